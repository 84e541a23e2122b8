"""Malformed headers are read leniently, with a warning, never an exception.

The messages are built as bytes by hand: the email package's generator would repair
the very defects under test (raw 8-bit bytes, broken encoded words, RFC 2231 forms).
"""

from __future__ import annotations

import pytest

from parsers import extract
from parsers.mime import header_text, read_mime

CRLF = b"\r\n"
BODY = "Tid: Tirsdag den 27. oktober kl. 9-11\nSted: Rådhuset, Torvet 1, 7100 Vejle\n".encode()


def message(*headers: bytes, body: bytes = BODY, content_type: bytes = b"text/plain; charset=utf-8") -> bytes:
    head = [b"From: Mette Holm <meho@vejle.example>", b"To: kontakt@ledelsesugen.dk",
            b"Date: Mon, 14 Sep 2026 10:30:00 +0200", b"Message-ID: <m1@vejle.example>", b"MIME-Version: 1.0"]
    if not any(h.lower().startswith(b"subject:") for h in headers):
        head.append(b"Subject: =?utf-8?q?Morgenm=C3=B8de?=")
    if content_type and not any(h.lower().startswith(b"content-type:") for h in headers):
        head.append(b"Content-Type: " + content_type)
    return CRLF.join(head + list(headers)) + CRLF + CRLF + body


def with_part(part_headers: bytes, payload: bytes = b"%PDF-1.4 ikke en rigtig pdf\r\n") -> bytes:
    body = (b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + BODY + b"\r\n--b1\r\n" + part_headers
            + b"\r\n\r\n" + payload + b"\r\n--b1--\r\n")
    return message(body=body, content_type=b'multipart/mixed; boundary="b1"')


@pytest.mark.parametrize("part_headers", [
    # the crash of issue 15: raw UTF-8 in a part header made compat32 hand back a Header object
    'Content-Type: application/pdf; name="Program for dagen – arbejdsglæde.pdf"\r\n'
    'Content-Disposition: attachment; filename="Program for dagen – arbejdsglæde.pdf"'.encode(),
    'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="Program for dagen – arbejdsglæde.pdf"'
    .encode("windows-1252"),  # the same name in raw windows-1252 (an older client)
    b"Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
    b" filename*=utf-8''Program%20for%20dagen%20%E2%80%93%20arbejdsgl%C3%A6de.pdf",  # RFC 2231
    b"Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
    b" filename*0*=utf-8''Program%20for%20dagen%20%E2%80;\r\n filename*1*=%93%20arbejdsgl%C3%A6de.pdf",  # continued
    b'Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n'
    b' filename="=?utf-8?Q?Program_for_dagen_=E2=80=93_arbejdsgl=C3=A6de.pdf?="',  # RFC 2047 in quotes (Outlook)
])
def test_an_attachment_name_in_any_encoding_is_read(part_headers):
    mime = read_mime(with_part(part_headers))
    assert [a.filename for a in mime.attachments] == ["Program for dagen – arbejdsglæde.pdf"]
    assert mime.attachments[0].disposition == "attachment"
    assert "Rådhuset" in mime.plain[0]


@pytest.mark.parametrize("part_headers", [
    b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=x-klingon''%E6bning.pdf",
    b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8'da'%ZZ%.pdf",
    b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*0=a; filename*2=c; filename*1*=utf-8''%E6",
    b"Content-Type: application/pdf\r\nContent-Disposition: \xe6ttachment; filename=x.pdf",
    b'Content-Type: application/pdf; name="=?x-unknown?B?!!!?=.pdf"\r\nContent-Disposition: attachment',
    b"Content-Type: text/plain; charset=\"utf-8\xff\"\r\nContent-Disposition: attachment; filename=a.txt",
    b"Content-Type: text/plain; charset*=utf-8''x%FF\r\nContent-Disposition: attachment; filename=a.txt",
    b"Content-Type: ;;;===;;\r\nContent-Disposition: attachment; filename=",
])
def test_broken_part_parameters_give_an_attachment_not_an_exception(part_headers):
    mime = read_mime(with_part(part_headers))
    assert len(mime.attachments) == 1 and "Rådhuset" in mime.plain[0]
    for attachment in mime.attachments:
        (attachment.filename or "").encode("utf-8")  # no lone surrogates


@pytest.mark.parametrize("raw_subject, expected", [
    ("Morgenmøde på Ærø – “tillid” i praksis".encode(), "Morgenmøde på Ærø – “tillid” i praksis"),  # raw UTF-8
    ("Morgenmøde på Ærø".encode("latin-1"), "Morgenmøde på Ærø"),  # raw latin-1, no encoded words
    (b"=?iso-8859-1?q?Morgenm=F8de?= p=?utf-8?q?=C3=A5?= Aer=?utf-8?q?=C3=B8?=", "Morgenmøde på Aerø"),
    (b"=?utf-8?b?TW9yZ2Vu?= =?utf-8?b?bcO4ZGU=?=", "Morgenmøde"),  # white space between two words is not text
    (b"=?utf-8?q?Morgenm=C3?= =?utf-8?q?=B8de?=", "Morgenmøde"),  # a character split across two words
    (b"=?x-klingon?q?Morgenm=F8de?=", "Morgenmøde"),  # unknown charset: UTF-8, else windows-1252
    (b"=?utf-8*da?q?Morgenm=C3=B8de?=", "Morgenmøde"),  # RFC 2231 language tag
    (b"=?utf-8?X?abc?= =?utf-8?B?!!!?= ok", "=?utf-8?X?abc?= ok"),  # unknown encoding kept as written
    (b"Tilmelding =?utf-8?q?=C3=A5ben?=", "Tilmelding åben"),  # white space before a word is text
    (b"Morgenm\xf8de\x00 =?utf-8?q?om_tillid=0D=0ABcc:_offer@victim.example?=", "Morgenmøde om tillid Bcc: offer@victim.example"),
    ("fdp.exe\u202e.txt \x1b[2J".encode(), "fdp.exe.txt [2J"),  # bidi override and escape removed
])
def test_subjects_are_decoded_leniently(raw_subject, expected):
    mime = read_mime(message(b"Subject: " + raw_subject))
    assert mime.subject == expected
    assert "\r" not in mime.subject and "\n" not in mime.subject


def test_folded_headers_are_unfolded():
    mime = read_mime(message(b"Subject:\r\n\t=?utf-8?Q?Arrangement_til?=\r\n\t=?utf-8?Q?_=C3=85bent_hus?=\r\n \t\r\n\tfor alle"))
    assert mime.subject == "Arrangement til Åbent hus for alle"


def test_repeated_headers_read_the_first_and_say_so():
    raw = (b"From: Mette Holm <meho@vejle.example>\r\nFrom: Hacker <evil@x.example>\r\nSubject: Morgenmode\r\n"
           b"Subject: AFLYST\r\nDate: Mon, 14 Sep 2026 10:30:00 +0200\r\nDate: Tue, 15 Sep 2026 10:30:00 +0200\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n" + BODY)
    mime = read_mime(raw)
    assert (mime.subject, mime.sender_address, mime.date.day, mime.content_type) == (
        "Morgenmode", "meho@vejle.example", 14, "text/plain")
    assert {w.split()[0] for w in mime.warnings if "given 2 times" in w} == {"from", "subject", "date", "content-type"}


def test_the_sender_is_the_real_mailbox_behind_a_display_name():
    raw = message().replace(b"From: Mette Holm <meho@vejle.example>",
                            b"From: =?utf-8?q?kontakt=40ledelsesugen=2Edk_=E2=80=AE?= <spoof@attacker.example>")
    mime = read_mime(raw)
    assert mime.sender_address == "spoof@attacker.example" and mime.sender_name == "kontakt@ledelsesugen.dk"


@pytest.mark.parametrize("from_header, name, address", [
    ("Søren Ølgaard <soeol@aadalen.example>".encode("latin-1"), "Søren Ølgaard", "soeol@aadalen.example"),
    ("Søren Ærø <søren@ærø.example>".encode(), "Søren Ærø", "søren@ærø.example"),
    (b"=?x-unknown?Q?S=F8ren_=D8lgaard?= <soeol@aadalen.example>", "Søren Ølgaard", "soeol@aadalen.example"),
    (b'"Lund, Kirsten" <KILU@Vejle.example>', "Lund, Kirsten", "kilu@vejle.example"),
    (b", ".join(b"Deltager %03d <d%03d@net.example>" % (i, i) for i in range(500)), "Deltager 000", "d000@net.example"),
])
def test_sender_names_in_any_encoding(from_header, name, address):
    raw = message().replace(b"From: Mette Holm <meho@vejle.example>", b"From: " + from_header)
    mime = read_mime(raw)
    assert (mime.sender_name, mime.sender_address) == (name, address)


@pytest.mark.parametrize("date_header, expected", [
    (b"Mon, 14 Sep 2026 10:30:00 +0200", "2026-09-14T10:30:00+02:00"),  # the sender's own offset is kept
    (b"14 Sep 2026 10:30 +0545", "2026-09-14T10:30:00+05:45"),
    (b"Tue, 08 Sep 2026 10:15:00 +9960", None),  # a 100-hour zone
    (b"Fri, 31 Dec 9999 23:59:59 -1200", None),  # past year 9999 in UTC
    ("31. februar 2026 kl. 25:61".encode(), None),
])
def test_dates_are_read_strictly(date_header, expected):
    raw = message().replace(b"Date: Mon, 14 Sep 2026 10:30:00 +0200", b"Date: " + date_header)
    mime = read_mime(raw)
    assert (mime.date.isoformat() if mime.date else None) == expected
    if expected is None:
        assert any(w.startswith("Date header") for w in mime.warnings)


def test_message_ids_stay_as_written_and_references_keep_root_and_parents():
    refs = b" ".join(b"<r%d@x.example>" % i for i in range(5000))
    raw = message(b"In-Reply-To: =?utf-8?q?=3Cabc=40x=2Eexample=3E?=", b"References: " + refs)
    raw = raw.replace(b"<m1@vejle.example>", "<møde 27. oktober 🎉 @ fjordby kommune.example>".encode())
    mime = read_mime(raw)
    assert mime.message_id == "<møde 27. oktober 🎉 @ fjordby kommune.example>"
    assert mime.in_reply_to == "=?utf-8?q?=3Cabc=40x=2Eexample=3E?="  # an id is not RFC 2047 text
    assert len(mime.references) == 100 and mime.references[0] == "<r0@x.example>" and mime.references[-1] == "<r4999@x.example>"


@pytest.mark.parametrize("charset", [b"x-unknown-charset", b"", b'""', b'"utf-8\xff"', b"utf-8; charset=latin-1",
                                     b"=?utf-8?q?x?="])
def test_unusable_charset_parameters_still_give_the_body(charset):
    mime = read_mime(message(content_type=b"text/plain; charset=" + charset))
    assert "Rådhuset" in mime.plain[0]


def test_header_text_never_raises_on_odd_values():
    for value in [None, "", "=?", "=?utf-8?q?", "=?utf-8?b?=?=", "\udcf8", "a" * 100_000, "=?utf-8?b?" + "A" * 5001 + "?="]:
        assert isinstance(header_text(value), str)
    assert len(header_text("a " * 50_000)) == 2000


def test_a_mail_with_malformed_headers_is_still_an_event():
    raw = with_part('Content-Type: application/pdf; name="Program for dagen – arbejdsglæde.pdf"\r\n'
                    'Content-Disposition: attachment; filename="Program for dagen – arbejdsglæde.pdf"'.encode())
    parsed = extract(raw.replace(b"Subject: ", b"Subject: Morgenm\xf8de "))
    assert parsed.events and parsed.events[0].start == "2026-10-27T09:00"
    assert [a.filename for a in parsed.attachments] == ["Program for dagen – arbejdsglæde.pdf"]
