"""Body parts are judged by content type and disposition; both readers (mail-parser and the walk) agree."""

from __future__ import annotations

from email import encoders
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from parsers import MailKind, ParseError, extract
from parsers.attachments import kind_of
from parsers.mime import MAX_ATTACHMENT_BYTES, read_mime
from tests.parsers import mails

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//DA\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:u1@test.example\r\n"
       "DTSTAMP:20260901T080000Z\r\nDTSTART;TZID=Europe/Copenhagen:20261027T090000\r\n"
       "DTEND;TZID=Europe/Copenhagen:20261027T110000\r\nSUMMARY:Tillid i praksis\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def text_part(text: str, subtype: str = "plain", charset: str = "utf-8", **params) -> MIMEText:
    part = MIMEText(text, subtype, charset)
    for key, value in params.items():
        part.set_param(key, value)
    return part


def multipart(subtype: str, *parts, **kw) -> bytes:
    msg = MIMEMultipart(subtype)
    for part in parts:
        msg.attach(part)
    mails.headers(msg, **kw)
    return msg.as_bytes()


def attached(part, filename: str, disposition: str = "attachment"):
    part.add_header("Content-Disposition", disposition, filename=filename)
    return part


def test_a_named_text_body_without_attachment_disposition_is_the_body():
    # web forms and Outlook put name= on the body part; it used to be an attachment and the mail ended "other"
    raw = multipart("mixed", text_part(mails.EVENT_TEXT, name="besked.txt"))
    mime = read_mime(raw)
    assert mime.plain and "Nørrebæk Rådhus" in mime.plain[0] and mime.attachments == []
    parsed = extract(raw)
    assert parsed.kind == MailKind.EVENT and parsed.events[0].start == "2026-10-28T13:00"


def test_a_named_html_body_is_the_body_too():
    msg = text_part(mails.EVENT_HTML, "html", name="message.html")
    mails.headers(msg)
    mime = read_mime(msg.as_bytes())
    assert mime.html and "Titel:" in mime.html[0] and mime.attachments == []


@pytest.mark.parametrize("disposition, is_body", [("attachment", False), ("inline", True)])
def test_disposition_decides_for_a_named_text_part(disposition, is_body):
    raw = multipart("mixed", text_part("Se vedhæftede.\n"), attached(text_part("Deltagerliste\n"), "liste.txt", disposition))
    mime = read_mime(raw)
    assert ("Deltagerliste" in "".join(mime.plain)) is is_body
    assert [a.filename for a in mime.attachments] == ([] if is_body else ["liste.txt"])


def test_alternative_gives_both_bodies_and_related_keeps_inline_images_as_attachments():
    image = MIMEImage(PNG, "png")
    image.add_header("Content-ID", "<logo@vejle.example>")
    related = MIMEMultipart("related")
    related.attach(text_part(mails.EVENT_HTML + '<img src="cid:logo@vejle.example">', "html"))
    related.attach(image)
    raw = multipart("alternative", text_part(mails.EVENT_TEXT), related)
    mime = read_mime(raw)
    assert len(mime.plain) == 1 and len(mime.html) == 1 and "cid:logo" in mime.html[0]
    [logo] = mime.attachments
    assert (logo.filename, logo.content_type, logo.content_id, logo.payload) == (None, "image/png", "<logo@vejle.example>", PNG)


def test_a_forwarded_mail_attached_as_message_rfc822_is_read_as_text_with_its_headers():
    original = MIMEMultipart("mixed")
    original.attach(text_part(mails.EVENT_TEXT))
    original.attach(attached(MIMEApplication(mails.minimal_pdf(["Program"]), "pdf"), "program.pdf"))
    mails.headers(original, subject="Ledelse med mening", sender="Kirsten Lund <kilu@noerrebaek.example>")
    forward = attached(MIMEMessage(original), "Ledelse med mening.eml")
    raw = multipart("mixed", text_part("Hej, se den videresendte mail.\n\nVenlig hilsen\nBo\n"), forward,
                    subject="VS: Ledelse med mening", sender="Bo Dam <bo@kl.example>")
    mime = read_mime(raw)
    assert mime.reader == "walk" and "message/rfc822" in mime.fallback
    assert len(mime.plain) == 2 and "Nørrebæk Rådhus" in mime.plain[1]
    [fwd] = mime.forwarded
    assert (fwd.subject, fwd.sender_address, fwd.date.isoformat()) == (
        "Ledelse med mening", "kilu@noerrebaek.example", "2026-09-22T11:15:00+02:00")
    assert fwd.plain == [mime.plain[1]]
    [pdf] = mime.attachments
    assert pdf.filename == "program.pdf" and pdf.forwarded


def test_forwards_nested_far_deeper_than_mail_parser_reads_are_walked():
    # written by hand: the standard library's generator cannot write this deep, but its parser reads it
    inner = (b"From: Kirsten Lund <kilu@noerrebaek.example>\r\nSubject: Ledelse med mening\r\n"
             b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + mails.EVENT_TEXT.encode())
    for level in range(200):  # mail-parser raises RecursionError from about 150 levels
        b = b"f%d" % level
        inner = (b"From: Led %d <led%d@x.example>\r\nSubject: VS\r\nContent-Type: multipart/mixed; boundary=%s\r\n\r\n"
                 b"--%s\r\nContent-Type: text/plain\r\n\r\nVideresendt\r\n--%s\r\nContent-Type: message/rfc822\r\n\r\n"
                 % (level, level, b, b, b) + inner + b"\r\n--%s--\r\n" % b)
    mime = read_mime(inner)
    assert "Nørrebæk Rådhus" in mime.plain[-1]
    assert len(mime.forwarded) == 20 and mime.forwarded[0].sender_address == "led198@x.example"


@pytest.mark.parametrize("where", ["alternative", "attached"])
def test_calendars_inline_or_attached_are_calendar_attachments(where):
    calendar = MIMEText(ICS, "calendar", "utf-8")
    calendar.set_param("method", "REQUEST")
    if where == "alternative":  # Outlook: the invite is the third alternative, no name
        raw = multipart("alternative", text_part("Invitation\n"), text_part("<p>Invitation</p>", "html"), calendar)
    else:
        raw = multipart("mixed", text_part("Invitation\n"), attached(calendar, "invite.ics"))
    mime = read_mime(raw)
    [invite] = mime.attachments
    assert kind_of(invite) == "calendar" and invite.payload.decode() == ICS and invite.charset == "utf-8"
    assert mime.plain == ["Invitation\n"]
    assert extract(raw).events[0].title == "Tillid i praksis"


@pytest.mark.parametrize("content_type", [b"multipart/mixed", b'multipart/mixed; boundary="never-used"'])
def test_a_multipart_without_parts_is_split_at_the_delimiter_its_body_uses(content_type):
    body = (b"--real\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + mails.EVENT_TEXT.encode() +
            b"\r\n--real\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hej</p>\r\n--real--\r\n")
    raw = b"From: a@b.example\r\nSubject: Ledermode\r\nContent-Type: " + content_type + b"\r\n\r\n" + body
    mime = read_mime(raw)
    assert mime.reader == "walk" and "without parts" in mime.fallback
    assert mime.plain == [mails.EVENT_TEXT] and mime.html == ["<p>Hej</p>"]
    assert not any("Content-Type" in text for text in mime.plain)


def test_a_multipart_without_any_delimiter_is_read_as_text():
    raw = b"From: a@b.example\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\n" + mails.EVENT_TEXT.encode()
    assert read_mime(raw).plain == [mails.EVENT_TEXT]


def test_a_base64_encoded_multipart_is_decoded_on_purpose():
    inner = MIMEMultipart("alternative")
    inner.attach(text_part(mails.EVENT_TEXT))
    inner.attach(text_part("<p>HTML</p>", "html"))
    wrapped = MIMEBase("multipart", "alternative")
    wrapped.set_payload(inner.as_bytes().split(b"\n\n", 1)[1])  # RFC 2045 forbids encoding a multipart
    encoders.encode_base64(wrapped)
    raw = multipart("mixed", text_part("Se nedenfor.\n"), wrapped)
    mime = read_mime(raw)
    assert mime.plain[-1] == mails.EVENT_TEXT and mime.html == ["<p>HTML</p>"]


def test_nesting_is_walked_to_the_parsers_own_limit_and_past_it_is_a_readable_parse_error():
    def nested(levels: int) -> bytes:
        body = b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + mails.EVENT_TEXT.encode()
        for i in range(levels):
            body = (b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) + body + b"\r\n--b%d--\r\n" % i)
        return b"From: a@b.example\r\nSubject: dybt\r\n" + body

    assert mails.EVENT_TEXT.strip() in read_mime(nested(250)).plain[0]
    with pytest.raises(ParseError, match="indlejret"):
        read_mime(nested(1500))


@pytest.mark.parametrize("charset, data, expected", [
    ("utf-8", "Møde på Rådhuset".encode("latin-1"), "Møde på Rådhuset"),  # latin-1 labelled UTF-8
    ("iso-8859-1", "Møde på Rådhuset".encode(), "Møde på Rådhuset"),  # UTF-8 labelled latin-1 (mojibake)
    ("x-unknown", "Møde på Rådhuset".encode("latin-1"), "Møde på Rådhuset"),
    ("windows-1252", "Møde € på Rådhuset".encode("cp1252") + b"\x81", "Møde € på Rådhuset\ufffd"),  # undefined byte
    ("utf-7", b"+ADw-script+AD4-", "+ADw-script+AD4-"),  # never decoded: it hides markup
])
def test_bodies_in_a_wrong_or_unknown_charset_keep_their_letters(charset, data, expected):
    for cte in (b"8bit", b"base64"):
        payload = data if cte == b"8bit" else __import__("base64").encodebytes(data)
        raw = (b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain; charset=" + charset.encode()
               + b"\r\nContent-Transfer-Encoding: " + cte + b"\r\n\r\n" + payload)
        assert read_mime(raw).plain == [expected], cte


def test_body_text_is_clean_for_the_database():
    raw = (b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           + "Tid:\x00 kl. 9\r\nSted: Rådhuset\u202e\r\nslut\r".encode())
    assert read_mime(raw).plain == ["Tid: kl. 9\nSted: Rådhuset\nslut\n"]


def test_an_attachment_over_the_cap_is_listed_with_its_size_and_not_decoded():
    big = bytes(range(256)) * (MAX_ATTACHMENT_BYTES // 256 + 4096)
    raw = multipart("mixed", text_part(mails.EVENT_TEXT), attached(MIMEApplication(big, "octet-stream"), "video.bin"))
    mime = read_mime(raw)
    [video] = mime.attachments
    assert video.payload is None and video.size >= MAX_ATTACHMENT_BYTES and "ikke læst" in video.note
    assert mime.plain == [mails.EVENT_TEXT]


# ------------------------------------------------------------------ the two readers


def forms() -> dict[str, bytes]:
    pdf = attached(MIMEApplication(mails.minimal_pdf(["Program"]), "pdf"), "program.pdf")
    image = MIMEImage(PNG, "png")
    image.add_header("Content-ID", "<i1@x.example>")
    related = MIMEMultipart("related")
    related.attach(text_part(mails.EVENT_HTML, "html"))
    related.attach(image)
    return {
        "plain": mails.plain(),
        "plain quoted-printable windows-1252": mails.plain(charset="windows-1252", cte="quoted-printable"),
        "plain base64": mails.plain(cte="base64"),
        "html only": mails.html_only(),
        "alternative": mails.alternative(),
        "mixed with a pdf": multipart("mixed", text_part(mails.EVENT_TEXT), pdf),
        "related": multipart("alternative", text_part(mails.EVENT_TEXT), related),
        "named attachment inline": multipart("mixed", text_part(mails.EVENT_TEXT),
                                             attached(MIMEApplication(PNG, "octet-stream"), "billede.png", "inline")),
    }


@pytest.mark.parametrize("name", list(forms()))
def test_mail_parser_reads_ordinary_mail_and_the_walk_reads_it_the_same(name):
    raw = forms()[name]
    by_mailparser, by_walk = read_mime(raw), read_mime(raw, use_mailparser=False)
    assert by_mailparser.reader == "mail-parser" and by_mailparser.fallback is None
    assert by_walk.reader == "walk"
    assert (by_mailparser.plain, by_mailparser.html) == (by_walk.plain, by_walk.html)
    assert by_mailparser.attachments == by_walk.attachments
    assert by_mailparser.plain or by_mailparser.html


def test_a_mail_over_8_mb_of_many_base64_bodies_is_read():
    # runs just short of its 2,000 lines made the earlier pattern backtrack for minutes; the scan is linear now
    run = b"".join([b"QUJD" * 19 + b"\r\n"] * 1999)
    parts = [attached(MIMEApplication(b"", "octet-stream"), f"bilag{n}.bin") for n in range(60)]
    raw = multipart("mixed", text_part(mails.EVENT_TEXT), *parts)
    raw = raw.replace(b'.bin"\n\n', b'.bin"\n\n' + run)
    assert len(raw) > 8 * 2**20
    mime = read_mime(raw)
    assert mime.plain == [mails.EVENT_TEXT] and len(mime.attachments) == 50


def _reasons() -> dict[str, tuple[bytes, str]]:
    body = mails.EVENT_TEXT.encode()
    head = b"From: Kirsten Lund <kilu@noerrebaek.example>\r\nSubject: Ledermode\r\n"

    def mixed(part: bytes) -> bytes:
        return (head + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
                + body + b"\r\n--b\r\n" + part + b"\r\n--b--\r\n")

    deep = b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
    for i in range(60):
        deep = b"Content-Type: multipart/mixed; boundary=d%d\r\n\r\n--d%d\r\n" % (i, i) + deep + b"\r\n--d%d--\r\n" % i
    plain = b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
    return {
        "nested": (head + deep, "nested deeper than 50"),
        "many headers": (head + b"".join(b"X-Trace-%d: x\r\n" % i for i in range(1001)) + plain, "more than 1000 header fields"),
        "long headers": (head + b"To: " + b", ".join(b"p%d@x.example" % i for i in range(30000)) + b"\r\n" + plain,
                         "headers over"),
        "forward": (mixed(b"Content-Type: message/rfc822\r\n\r\n" + head + plain), "forwarded mail"),
        "no parts": (head + b"Content-Type: multipart/mixed\r\n\r\n" + body, "without parts"),
        "unnamed attachment": (mixed(b"Content-Type: application/pdf\r\nContent-Disposition: attachment\r\n\r\n%PDF"),
                               "without a name"),
        "utf-7": (head + b"Content-Type: text/plain; charset=utf-7\r\n\r\n" + body, "UTF-7"),
        "undecodable": (head + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                        + mails.EVENT_TEXT.replace("–", "-").encode("latin-1"), "declared charset"),
        "8-bit part header": (mixed('Content-Type: application/pdf; name="Møde.pdf"'.encode("latin-1")
                                    + b"\r\nContent-Disposition: attachment\r\n\r\n%PDF"), "not UTF-8"),
        "inline calendar": (mixed(b"Content-Type: text/calendar; charset=utf-8\r\n\r\n" + ICS.encode()), "other than plain"),
        "named body": (mixed(b'Content-Type: text/plain; charset=utf-8; name="svar.txt"\r\n\r\nTak\r\n'), "body part with a name"),
        "mojibake": (head + b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\n" + body, "mojibake"),
    }


@pytest.mark.parametrize("name", list(_reasons()))
def test_the_walk_reads_what_mail_parser_cannot_and_says_why(name):
    raw, reason = _reasons()[name]
    mime = read_mime(raw)
    assert mime.reader == "walk" and reason in mime.fallback
    assert any("Nørrebæk Rådhus" in text for text in mime.plain)


@pytest.mark.parametrize("where", ["message", "part"])
def test_a_mime_header_full_of_quoted_semicolons_is_cut_before_parsing(where):
    # the standard library's parameter parser is quadratic in them: 200,000 would take it minutes
    noise = b'x="' + b";" * 200_000 + b'"; '
    top = b'multipart/mixed; ' + (noise if where == "message" else b"") + b'boundary="b"'
    inner = b'text/plain; ' + (noise if where == "part" else b"") + b"charset=utf-8"
    raw = (b"From: a@b.example\r\nSubject: x\r\nContent-Type: " + top + b"\r\n\r\n--b\r\nContent-Type: " + inner
           + b"\r\n\r\n" + mails.EVENT_TEXT.encode() + b"\r\n--b--\r\n")
    mime = read_mime(raw)
    assert any("were cut" in w for w in mime.warnings)
    assert mime.plain == [mails.EVENT_TEXT]  # a boundary past the cut is found at the delimiter lines
