"""Non-event mail is set aside; events hidden in attachments are found; broken input never crashes."""

from __future__ import annotations

import io
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from parsers import MailKind, ParseError, extract
from tests.parsers import mails


def test_auto_reply_by_header():
    raw = mails.plain(text="Jeg er fraværende til og med 5. oktober.\n", subject="Automatisk svar: Ledelsesugen")
    raw = b"Auto-Submitted: auto-replied\r\n" + raw
    parsed = extract(raw)
    assert parsed.kind == MailKind.AUTO_REPLY and parsed.events == [] and parsed.auto_submitted


def test_newsletter_by_list_header_even_with_dates_inside():
    raw = b"List-Unsubscribe: <https://nyt.example/afmeld>\r\n" + mails.plain()
    parsed = extract(raw)
    assert parsed.kind == MailKind.NEWSLETTER and parsed.events == []


def test_bounce_report_with_an_event_in_the_returned_mail():
    report = MIMEMultipart("report", report_type="delivery-status")
    report.attach(MIMEText("Your message could not be delivered.\n", "plain"))
    report.attach(MIMEText(mails.EVENT_TEXT, "plain", "utf-8"))
    mails.headers(report, subject="Undelivered Mail Returned to Sender", sender="MAILER-DAEMON@mx.example")
    parsed = extract(report.as_bytes())
    assert parsed.kind == MailKind.BOUNCE and parsed.events == []


def test_a_question_with_a_tentative_date_is_not_an_event():
    text = """Hej

Vi overvejer at holde et arrangement, måske torsdag den 29. oktober.
Hvordan kommer man med i programmet? Skal vi udfylde en formular?

Venlig hilsen
Ole
"""
    parsed = extract(mails.plain(text=text, subject="Spørgsmål"))
    assert parsed.kind == MailKind.QUESTION and parsed.events == []


@pytest.mark.parametrize("text, kind", [
    # a date asked about is not an event announced
    ("Kan vi mødes tirsdag den 13. oktober kl. 10-11 for at tale om et samarbejde?\n\nHilsen Morten\n", MailKind.QUESTION),
    # one question is enough when the plan is tentative and the question is how to take part
    ("Vi overvejer at holde et arrangement den 28. oktober om frivillige. Hvordan melder vi det ind?\n\nHilsen Karin\n",
     MailKind.QUESTION),
    # an answer to someone else's invitation
    ("Tak for invitationen til lanceringen den 5. oktober kl. 10. Jeg kommer gerne.\n\nMvh Henrik\n", MailKind.OTHER),
])
def test_questions_and_answers_that_carry_a_date_are_set_aside(text, kind):
    parsed = extract(mails.plain(text=text, subject="Ledelsesugen"))
    assert (parsed.kind, parsed.events) == (kind, [])


def test_thanks_for_the_invitation_and_an_event_offered_is_an_event():
    text = ("Tak for invitationen til at være med. Vi vil gerne bidrage med et arrangement:\n\n"
            "Ledelse af ledere\nOnsdag den 28. oktober kl. 13-15\nSted: Rådhuset, Torvet 1, 7100 Vejle\n\nHilsen Vejle Kommune\n")
    parsed = extract(mails.plain(text=text, subject="Ledelsesugen"))
    assert parsed.kind == MailKind.EVENT and parsed.events[0].start == "2026-10-28T13:00"


def test_an_internal_meeting_that_should_not_be_published():
    text = """Kære Ledelsesugen

Vi vil gerne invitere ambassadøren til vores chefforum onsdag den 28. oktober kl. 9-11 på rådhuset.
Mødet er internt, så det skal ikke i kalenderen.

Venlig hilsen
Bo
"""
    parsed = extract(mails.plain(text=text, subject="Invitation til ambassadøren"))
    assert parsed.kind == MailKind.OTHER and parsed.events == []


ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//DA\r
METHOD:REQUEST\r
BEGIN:VEVENT\r
UID:abc@test.example\r
DTSTAMP:20260901T080000Z\r
DTSTART;TZID=Europe/Copenhagen:{start}\r
DTEND:{end}\r
SUMMARY:Netværksmøde for HR-chefer\r
LOCATION:Havnehuset\\, lokale 4\\, Havnevej 2\\, 5000 Odense C\r
DESCRIPTION:For HR-chefer i kommunerne. Tilmelding: https://hr.example/net\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_calendar_invite_with_tzid_and_a_utc_end_across_the_dst_change():
    # 25 October 2026 is the night Denmark leaves summer time: 13:00Z is 14:00 local (CET, +01)
    ics = ICS.format(start="20261025T120000", end="20261025T130000Z")
    raw = mails.with_attachment("Se invitationen.\n", ics.encode(), "invite.ics", "text", "calendar")
    event = extract(raw).events[0]
    assert (event.start, event.end) == ("2026-10-25T12:00", "2026-10-25T14:00")
    assert event.title == "Netværksmøde for HR-chefer"
    assert event.place == "Havnehuset, lokale 4, Havnevej 2, 5000 Odense C"
    assert event.registration == "https://hr.example/net"


def test_pdf_flyer():
    pdf = mails.minimal_pdf(["Ledelse i praksis", "", "Tid: Fredag den 30. oktober kl. 9-12",
                             "Sted: Kulturhuset, Havnevej 1, 4000 Roskilde", "Tilmelding: https://kultur.example/ledelse"])
    raw = mails.with_attachment("Hej\n\nProgrammet er vedhæftet.\n\nVenlig hilsen\nLise\nRoskilde Kommune\n",
                                pdf, "program.pdf", "application", "pdf")
    parsed = extract(raw)
    event = parsed.events[0]
    assert (event.start, event.end) == ("2026-10-30T09:00", "2026-10-30T12:00")
    assert event.place == "Kulturhuset, Havnevej 1, 4000 Roskilde"
    assert event.organizer == "Roskilde Kommune"
    pdf_text = next(a.text for a in parsed.attachments if a.filename == "program.pdf")
    assert event.evidence["start"] in pdf_text


def test_word_document():
    import docx

    document = docx.Document()
    for line in ["Invitation", "Fremtidens velfærdsledelse", "Dato: Tirsdag den 27. oktober 2026",
                 "Tidspunkt: 8.30-12.00", "Sted: Rådhuset, Torvet 1, 7100 Vejle", "Målgruppe: Ledere i ældreplejen"]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    raw = mails.with_attachment("Invitationen er vedhæftet.\n", buffer.getvalue(), "invitation.docx", "application",
                                "vnd.openxmlformats-officedocument.wordprocessingml.document")
    event = extract(raw).events[0]
    assert event.title == "Fremtidens velfærdsledelse"
    assert (event.start, event.end) == ("2026-10-27T08:30", "2026-10-27T12:00")
    assert event.audience == "Ledere i ældreplejen"


def test_broken_attachments_are_listed_with_a_note_not_a_crash():
    raw = mails.with_attachment(mails.EVENT_TEXT, b"%PDF-1.4 not really", "flyer.pdf", "application", "pdf")
    parsed = extract(raw)
    assert len(parsed.events) == 1
    flyer = next(a for a in parsed.attachments if a.filename == "flyer.pdf")
    assert flyer.text in (None, "") or flyer.note


@pytest.mark.parametrize("raw", [
    b"\x00\xff\xfe garbage \x00" * 50,
    b"Subject: x\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\nno parts at all\r\n",
    b"Subject: =?utf-7?q?+ADw-script+AD4-?=\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n+ADw-script+AD4-alert(1)+ADw-/script+AD4-\r\n",
    b"Subject: x\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nM\xf8de p\xe5 R\xe5dhuset\r\n",
    b"Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!====abc\xff\r\n",
    b"Subject: x\r\nDate: Fri, 31 Dec 9999 23:59:59 +1400\r\n\r\nTid: 27. oktober kl. 9-10\r\n",
    b"Subject: " + b"A" * 100_000 + b"\r\n\r\nkl. 9-10 " * 20_000,
])
def test_hostile_input_gives_a_result_or_a_readable_parse_error(raw):
    try:
        parsed = extract(raw)
    except ParseError as exc:
        assert str(exc)
        return
    assert parsed.kind in set(MailKind)
    parsed.text.encode("utf-8")  # no lone surrogates left for the database


def test_deeply_nested_mime_is_walked_without_recursion():
    inner = MIMEText(mails.EVENT_TEXT, "plain", "utf-8")
    for _ in range(120):  # deeper than the stdlib's own generator can write
        outer = MIMEMultipart("mixed")
        outer.attach(inner)
        inner = outer
    mails.headers(inner)
    parsed = extract(inner.as_bytes())
    assert parsed.events and parsed.events[0].start == "2026-10-28T13:00"


def test_an_invite_with_a_year_1_event_an_end_before_its_start_and_a_repeat_is_cleaned():
    events = "".join(f"""BEGIN:VEVENT\r
UID:{uid}@test.example\r
DTSTAMP:20260901T080000Z\r
DTSTART;TZID=Europe/Copenhagen:{start}\r
DTEND;TZID=Europe/Copenhagen:{end}\r
SUMMARY:{title}\r
END:VEVENT\r
""" for uid, start, end, title in [("a", "20261028T150000", "20261028T090000", "Baglæns workshop"),
                                    ("b", "00010101T090000", "00010101T100000", "Oldtidsmøde"),
                                    ("c", "20261029T090000", "20261029T120000", "Dobbeltmøde"),
                                    ("d", "20261029T090000", "20261029T120000", "Dobbeltmøde")])
    ics = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//DA\r\n{events}END:VCALENDAR\r\n"
    parsed = extract(mails.with_attachment("Se vedhæftede.\n", ics.encode(), "i.ics", "text", "calendar"))
    assert [(e.title, e.start, e.end) for e in parsed.events] == [
        ("Baglæns workshop", "2026-10-28T15:00", None), ("Dobbeltmøde", "2026-10-29T09:00", "2026-10-29T12:00")]
    assert "end" not in parsed.events[0].confidence and "end" not in parsed.events[0].evidence


@pytest.mark.parametrize("reply, own", [(False, True), (True, False)])
def test_a_date_in_the_subject_is_the_senders_own_unless_the_mail_replies(reply, own):
    # the kind model weighs what the sender's own words date; a subject is the sender's, a reply's is the original's
    from parsers.decide import mail_evidence_feats
    from parsers.extract import read

    subject = ("SV: " if reply else "") + "Webinar 28/10: ledelse på tværs"
    raw = mails.plain(text="Kære Ledelsesugen\n\nVi håber, det kan komme med i kalenderen.\n\nHilsen Signe\n",
                      subject=subject)
    if reply:
        raw = b"In-Reply-To: <orig@kommune.example>\r\n" + raw
    a = read(raw, candidates=True).analysis
    assert a.mentions and all(m.feats.get("z:subject") for m in a.mentions)
    feats = mail_evidence_feats(a, [0.95] * len(a.mentions), [])
    assert bool(feats.get("ev:own_max>0.9")) is own


def test_the_reasons_against_a_submission_are_counted_together():
    # each reason ("tak for sidst", "afmeld", ...) is rare in a corpus; the kind model also sees how many a mail gives
    from parsers.decide import _AGAINST, mail_evidence_feats
    from parsers.extract import read

    text = ("Tak for sidst, det var et godt arrangement.\n"
            "Vil I afmelde mig jeres nyhedsbrev?\n\nHilsen Bo\n")
    a = read(mails.plain(text=text, subject="Tak"), candidates=True).analysis
    given = sum(1 for cue in _AGAINST if a.mail_feats.get(f"w:{cue}") or a.mail_feats.get(f"sw:{cue}"))
    assert given >= 2
    feats = mail_evidence_feats(a, [0.0] * len(a.mentions), [])
    assert [k for k in range(1, 5) if feats.get(f"ev:against>={k}")] == list(range(1, min(given, 4) + 1))


@pytest.mark.parametrize("cell, address", [("Tuborgvej 164", True), ("Hold-An Vej 7", True), ("Torvet 3", True),
                                           ("Session 2", False), ("Modul 4", False)])
def test_a_table_cell_is_offered_as_an_address_when_it_reads_as_one(cell, address):
    # "Session 2" has a word and a number as "Torvet 3" has; a street name ends as street names do
    from parsers.extract import read

    rows = "".join(f"<tr><td>{cell}</td><td>{title}</td><td>{when}</td></tr>" for title, when in [
        ("Ledelse af ledere", "Tirsdag den 27. oktober 2026 kl. 13.00-14.00"),
        ("Ledelse af frivillige", "Torsdag den 29. oktober 2026 kl. 9.00-10.00")])
    html = f"<html><body><p>Kære Ledelsesugen</p><table>{rows}</table><p>Hilsen Bo</p></body></html>"
    a = read(mails.html_only(html), candidates=True).analysis
    assert any(ln.cells for ln in a.layout.lines)
    offered = {c.value for c in a.cands["place"] if c.feats.get("src:cell_address")}
    assert (cell in offered) is address
