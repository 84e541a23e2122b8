"""The fitted extractor: layouts it must read, what its confidences mean, the model file and the fit command.

Every mail here is written for the test (tests/parsers/mails.py builds them); none is a corpus case.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from core.model import MailKind, Origin
from parsers import extract
from parsers.candidates import FEATURE_VERSION
from parsers.scoring import MODEL_PATH, Model, ModelError, load_model, read_model
from tests.parsers import mails

CPH_WINTER = timezone(timedelta(hours=1))
SCORE = Path(__file__).resolve().parents[3] / "shared" / "eval" / "score.py"
SIGNATURE = "\n\nVenlig hilsen\nMette Holm\nKonsulent, Nørrebæk Kommune\nTlf. 7412 3456\n"


def html_mail(body: str, **kw) -> bytes:
    return mails.html_only(html=f"<html><body>{body}</body></html>", **kw)


# ------------------------------------------------------------------ layouts


def test_a_table_with_one_row_per_event_gives_an_event_per_row():
    html = """<p>Kære Ledelsesugen</p><p>Her er vores program:</p>
<table><tr><th>Dato</th><th>Tid</th><th>Arrangement</th><th>Sted</th></tr>
<tr><td>Mandag 26. oktober</td><td>9.00–11.00</td><td>Ledelse af forandring</td><td>Rådhuset, Torvet 1, 6200 Aabenraa</td></tr>
<tr><td>Onsdag 28. oktober</td><td>13.00–15.30</td><td>Trivsel i teamet</td><td>Biblioteket, Havnegade 5, 6200 Aabenraa</td></tr>
<tr><td>Fredag 30. oktober</td><td>8.30–10.00</td><td>Morgenmøde for nye ledere</td><td>Online på Teams</td></tr>
</table><p>Venlig hilsen<br>Nørrebæk Kommune</p>"""
    events = extract(html_mail(html, subject="Tre arrangementer")).events
    assert [(e.title, e.start, e.end) for e in events] == [
        ("Ledelse af forandring", "2026-10-26T09:00", "2026-10-26T11:00"),
        ("Trivsel i teamet", "2026-10-28T13:00", "2026-10-28T15:30"),
        ("Morgenmøde for nye ledere", "2026-10-30T08:30", "2026-10-30T10:00"),
    ]
    assert events[0].place.startswith("Rådhuset") and events[1].place.startswith("Biblioteket")
    assert events[2].online and not events[0].online


def test_a_cell_spanning_two_rows_belongs_to_both_events():
    html = """<table><tr><th>Dato</th><th>Tid</th><th>Arrangement</th><th>Sted</th></tr>
<tr><td rowspan="2">Tirsdag 27. oktober</td><td>9.00–11.00</td><td>Strategi i praksis</td>
<td rowspan="2">Regionshuset, Damhaven 12, 7100 Vejle</td></tr>
<tr><td>12.30–14.00</td><td>Workshop om samarbejde</td></tr></table>
<p>Med venlig hilsen<br>Region Syddanmark</p>"""
    events = extract(html_mail(html, subject="Program")).events
    assert [(e.title, e.start) for e in events] == [("Strategi i praksis", "2026-10-27T09:00"),
                                                    ("Workshop om samarbejde", "2026-10-27T12:30")]
    assert {e.place for e in events} == {"Regionshuset, Damhaven 12, 7100 Vejle"}


def test_a_label_and_value_table_reads_as_labelled_fields():
    html = """<p>Hej</p><h2>Temadag om arbejdsmiljø</h2>
<table><tr><td><b>Hvornår</b></td><td>Torsdag den 29. oktober kl. 9.30-15.00</td></tr>
<tr><td><b>Hvor</b></td><td>Kulturhuset, Jernbanegade 3, 4000 Roskilde</td></tr>
<tr><td><b>Målgruppe</b></td><td>Ledere i dagtilbud</td></tr>
<tr><td><b>Tilmelding</b></td><td><a href="https://roskilde.example/temadag">Tilmeld dig her</a></td></tr></table>
<p>Venlig hilsen<br>Anne Lund<br>Roskilde Kommune</p>"""
    event = extract(html_mail(html, subject="Temadag")).events[0]
    assert (event.start, event.end) == ("2026-10-29T09:30", "2026-10-29T15:00")
    assert event.place == "Kulturhuset, Jernbanegade 3, 4000 Roskilde"
    assert event.registration == "https://roskilde.example/temadag"
    assert event.audience == "Ledere i dagtilbud"


def test_a_programme_gives_the_hours_from_its_first_and_last_slot():
    text = """Hej Ledelsesugen

Lederdag om tillid

Dato: Tirsdag den 27. oktober
Sted: Sønderborg Rådhus, Rådhustorvet 10, 6400 Sønderborg

Program
09.00 Velkomst og kaffe
09.30 Oplæg om tillidsbaseret ledelse
12.00 Frokost
13.00 Workshops
15.30 Tak for i dag
""" + SIGNATURE
    event = extract(mails.plain(text=text, subject="Lederdag")).events[0]
    assert (event.start, event.end, event.all_day) == ("2026-10-27T09:00", "2026-10-27T15:30", False)


@pytest.mark.parametrize("sentence, starts, end", [
    ("Vi starter kl. 8.15 og slutter kl. 9.45.", {"2026-10-28T08:15"}, "2026-10-28T09:45"),
    # the corpora's truth takes the doors opening as another right start (start_alt)
    ("Dørene åbner kl. 8.30, og vi starter kl. 9. Vi slutter kl. 12.", {"2026-10-28T09:00", "2026-10-28T08:30"},
     "2026-10-28T12:00"),
])
def test_times_said_in_prose(sentence, starts, end):
    text = f"""Hej

Morgenmøde om sygefravær onsdag den 28. oktober i Kantinen, Skolegade 9, 6200 Aabenraa. {sentence}
""" + SIGNATURE
    event = extract(mails.plain(text=text, subject="Morgenmøde om sygefravær")).events[0]
    assert event.start in starts and event.end == end and not event.all_day


def test_x_inviterer_names_the_organiser():
    text = """Kære Ledelsesugen

Lederforum Sydhavn inviterer til fyraftensmøde om ledelse af ledere torsdag den 29. oktober kl. 16-18 \
i Medborgerhuset, Havnevej 2, 4700 Næstved.

Mvh
Karen Holm
"""
    event = extract(mails.plain(text=text, subject="Fyraftensmøde", sender="Karen Holm <karen@gmail.example>")).events[0]
    assert event.organizer == "Lederforum Sydhavn"
    assert event.origin["organizer"] == Origin.TEXT


def test_an_english_mail_has_its_date_times_and_deadline_read():
    text = """Dear Leadership Week team,

We are hosting a public seminar in English:

Leading across borders
Tuesday, October 27, 2–4 pm
Venue: Aarhus BSS, Fuglesangs Allé 4, 8210 Aarhus V
Please register by 20 October at https://events.example/borders

Best regards
John Smith
"""
    event = extract(mails.plain(text=text, subject="Public seminar")).events[0]
    assert (event.start, event.end) == ("2026-10-27T14:00", "2026-10-27T16:00")
    assert event.registration_deadline == "2026-10-20"
    assert event.registration == "https://events.example/borders"


@pytest.mark.parametrize("words, day", [("I morgen", "2026-10-27"), ("På torsdag", "2026-10-29")])
def test_a_relative_day_is_counted_from_the_send_date(words, day):
    text = f"Hej\n\n{words} kl. 14-15.30 holder vi ledelsescafé i Kantinen, Rådhusvej 1, 5700 Svendborg.\n" + SIGNATURE
    monday = datetime(2026, 10, 26, 9, 5, tzinfo=CPH_WINTER)
    event = extract(mails.plain(text=text, subject="Ledelsescafé", sent=monday)).events[0]
    assert (event.start, event.end) == (f"{day}T14:00", f"{day}T15:30")


# ------------------------------------------------------------------ confidence, origin, missing


def test_every_field_given_has_a_probability_an_origin_and_exact_evidence():
    parsed = extract(mails.alternative())
    for event in parsed.events:
        for name, value in event.fields().items():
            if value not in (None, False):
                assert 0.0 <= event.confidence[name] <= 1.0, name
        assert set(event.origin.values()) <= {o.value for o in Origin}
        for name, evidence in event.evidence.items():
            assert evidence in parsed.text, name


def test_a_field_such_mails_give_that_is_not_there_is_marked_missing():
    text = mails.EVENT_TEXT.replace("Sted: Nørrebæk Rådhus, mødesal 3, Torvet 2, 6200 Aabenraa\n", "")
    text = text.replace("Skolegade 9, 6200 Aabenraa\n", "")
    event = extract(mails.plain(text=text)).events[0]
    assert event.place is None and "place" in event.missing
    assert "start" not in event.missing


# ------------------------------------------------------------------ replies, cancellations, kinds


def _reply(text: str, subject: str, in_reply_to: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Hanne Skov <hansko@roskilde.example>"
    msg["To"] = "kontakt@ledelsesugen.dk"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(mails.SENT)
    msg["Message-ID"] = "<reply-1@roskilde.example>"
    msg["In-Reply-To"] = in_reply_to
    msg["References"] = in_reply_to
    msg.set_content(text)
    return msg.as_bytes()


ORIGINAL_QUOTED = """
Den 14. sep. 2026 kl. 10.12 skrev Hanne Skov <hansko@roskilde.example>:
> Hej
>
> Roskilde Kommune holder ledelsesdag for skoleledere i Ledelsesugen.
>
> Ledelsesdag for skoleledere
> Fredag den 30. oktober kl. 9.00-14.00
> Sted: Roskilde Kongrescenter, Møllehusvej 15, 4000 Roskilde
> Tilmelding senest fredag den 2. oktober til hansko@roskilde.example
>
> Venlig hilsen
> Hanne Skov
> Roskilde Kommune
"""


def test_a_reply_that_corrects_keeps_the_quoted_event_and_takes_the_change_from_its_own_words():
    raw = _reply("Lille rettelse: vi starter kl. 9.30.\n\nHilsen Hanne\n" + ORIGINAL_QUOTED,
                 "Re: Ledelsesdag for skoleledere", "<original-1@roskilde.example>")
    parsed = extract(raw)
    assert parsed.kind == MailKind.EVENT and len(parsed.events) == 1
    event = parsed.events[0]
    assert event.start == "2026-10-30T09:30" and event.origin["start"] == Origin.TEXT
    assert event.place.startswith("Roskilde Kongrescenter") and event.origin["place"] == Origin.QUOTE
    assert parsed.corrects == "<original-1@roskilde.example>"
    assert parsed.reply_text and "rettelse" in parsed.reply_text and "Kongrescenter" not in parsed.reply_text


def test_a_cancellation_in_a_thread_names_the_mail_it_calls_off():
    raw = _reply("Hej\n\nVi må desværre aflyse ledelsesdagen den 30. oktober på grund af for få tilmeldte.\n\n"
                 "Hilsen Hanne\n" + ORIGINAL_QUOTED, "Re: Ledelsesdag for skoleledere", "<original-1@roskilde.example>")
    parsed = extract(raw)
    assert (parsed.kind, parsed.events, parsed.cancels) == (MailKind.CANCELLATION, [], "<original-1@roskilde.example>")


def test_kontakts_own_receipt_quoted_in_a_reply_never_gives_the_title():
    raw = _reply("Hej\n\nTiden er rettet: vi starter kl. 10 den 30. oktober.\n\nHanne\n\n"
                 "Den 15. sep. 2026 kl. 09.03 skrev Ledelsesugen <kontakt@ledelsesugen.dk>:\n"
                 "> Vi har modtaget: Ledelsesdag for skoleledere\n> Fredag den 30. oktober kl. 9.00-14.00\n",
                 "Re: Vi har modtaget: Ledelsesdag for skoleledere", "<receipt-1@ledelsesugen.dk>")
    for event in extract(raw).events:
        assert not (event.title or "").lower().startswith("vi har modtaget")


def test_an_accepted_calendar_reply_is_not_an_event():
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x@test.example\r\n"
           "DTSTART;TZID=Europe/Copenhagen:20261027T090000\r\nDTEND;TZID=Europe/Copenhagen:20261027T100000\r\n"
           "SUMMARY:Koordineringsmøde\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:anne@kommune.example\r\nEND:VEVENT\r\n"
           "END:VCALENDAR\r\n")
    parsed = extract(mails.with_attachment("", ics.encode(), "invite.ics", "text", "calendar",
                                           subject="Accepteret: Koordineringsmøde"))
    assert not parsed.is_event_submission and parsed.kind != MailKind.EVENT


def test_mime_test_mail_and_numbers_do_not_become_events():
    text = "1\n2\n3\n\nTo    : Mary Smith\nFrom  : John Doe\n\n<?xml version='1.0'?><test/>\n"
    parsed = extract(mails.plain(text=text, subject="test"))
    assert parsed.events == [] and parsed.kind != MailKind.EVENT


# ------------------------------------------------------------------ the model file and the fit command


def test_the_shipped_model_loads_and_was_fitted_for_these_features():
    model = load_model()
    assert MODEL_PATH.exists()
    assert json.loads(MODEL_PATH.read_text(encoding="utf-8"))["feature_version"] == FEATURE_VERSION
    for name in ("mention", "title", "start", "end", "place", "registration", "registration_deadline", "organizer", "online"):
        assert model.scorer(name).weights, name
    assert "event" in model.kinds
    for name in ("title", "start", "place", "organizer"):
        xs, ys = model.scorer(name).calibration or ([], [])
        assert xs == sorted(xs) and ys == sorted(ys) and all(0.0 <= y <= 1.0 for y in ys), name


def test_a_model_for_other_features_is_refused(tmp_path):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["feature_version"] = FEATURE_VERSION + 1
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelError, match="parsers.fit"):
        read_model(path)


def _case(folder: Path, name: str, raw: bytes, truth: dict) -> None:
    (folder / f"{name}.eml").write_bytes(raw)
    (folder / f"{name}.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")


def test_the_fit_command_fits_a_loadable_model_on_a_tiny_corpus(tmp_path):
    if not SCORE.exists():
        pytest.skip(f"the judge {SCORE} is not beside the repository")
    from parsers.fit import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    truth = {"is_event_submission": True, "kind": "event", "events": [{
        "title": "Ledelse med mening – åbent ledermøde", "start": "2026-10-28T13:00", "end": "2026-10-28T15:30",
        "all_day": False, "place": "Nørrebæk Rådhus, mødesal 3, Torvet 2, 6200 Aabenraa", "online": False,
        "registration_deadline": "2026-10-20", "registration": "ledelse@noerrebaek.example",
        "organizer": "Nørrebæk Kommune", "audience": "Ledere i dagtilbud og skole"}]}
    _case(corpus, "a-001", mails.plain(), truth)
    _case(corpus, "a-002", mails.html_only(), {**truth, "events": [{**truth["events"][0],
                                                                     "registration": "https://www.noerrebaek.example/ledermoede",
                                                                     "registration_deadline": None}]})
    question = "Hej\n\nHvordan kommer vi med i programmet? Vi overvejer noget i uge 44.\n\nHilsen Ole\n"
    _case(corpus, "b-001", mails.plain(text=question, subject="Spørgsmål"),
          {"is_event_submission": False, "kind": "question", "events": []})
    out = tmp_path / "model.json"
    assert main([str(corpus), "--out", str(out), "--score", str(SCORE), "--no-calibration"]) == 0
    model = read_model(out)
    assert isinstance(model, Model) and model.scorer("title").weights
    parsed = extract(mails.plain(), model=model)
    assert parsed.events and parsed.events[0].start == "2026-10-28T13:00"
