"""A season through a folder mailbox, with notifications on and a real SMTP server on loopback catching
kontakt's own mail: submissions, receipts, replies that move or cancel, copies, and mail set aside.

Each step is what an organiser or a reviewer does; each assertion is what they would check.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import icalendar
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from kontakt.cli import main
from tests.support.dovecot import free_port
from tests.support.smtp import Catcher

SUMMER = timezone(timedelta(hours=2))
SENT = datetime(2026, 9, 14, 10, 30, tzinfo=SUMMER)


def mail(*, sender: str, subject: str, body: str, msgid: str, sent: datetime = SENT,
         headers: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "kontakt@ledelsesugen.dk"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = msgid
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return bytes(msg)


def submission(*, sender: str, organiser: str, title: str, place: str, msgid: str, town: str) -> bytes:
    return mail(sender=sender, subject=f"Arrangement til Ledelsesugen: {title}", msgid=msgid, body=(
        "Kære Ledelsesugen\n\nVi vil gerne have dette med i programmet.\n\n"
        f"{title}\n\n"
        "Tid: Tirsdag den 27. oktober kl. 9-11\n"
        f"Sted: {place}\n"
        "Målgruppe: Ledere i kommunen\n"
        f"Arrangør: {organiser}\n"
        f"Tilmelding senest den 16. oktober til tilmelding@{town}.example\n\n"
        f"Venlig hilsen\n{sender.split(' <')[0]}\n{organiser}\n"))


def quoted(original: EmailMessage, style: str) -> str:
    """The original as a mail program quotes it under a reply: Outlook's header block, or Gmail's "> "."""
    text = original.get_content()
    if style == "outlook":
        return (f"\n\nFra: Ledelsesugen <kontakt@ledelsesugen.dk>\nSendt: 15. september 2026 08:02\n"
                f"Til: {original['To']}\nEmne: {original['Subject']}\n\n{text}")
    lines = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    return f"\n\nDen tir. 15. sep. 2026 kl. 08.02 skrev Ledelsesugen <kontakt@ledelsesugen.dk>:\n{lines}\n"


def reply_to(original: EmailMessage, *, sender: str, body: str, msgid: str, style: str,
             sent: datetime = SENT + timedelta(days=1)) -> bytes:
    refs = f"{original['References'] or ''} {original['Message-ID']}".strip()
    return mail(sender=sender, subject=f"SV: {original['Subject']}", msgid=msgid, sent=sent,
                body=body + quoted(original, style),
                headers={"In-Reply-To": original["Message-ID"], "References": refs})


@pytest.fixture
def season(tmp_path: Path):
    catcher = Catcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(f'[mailbox]\nsource = "folder:{inbox}"\n[database]\nurl = "sqlite:///k.db"\n'
                      f'[notify]\nenabled = true\nsmtp_host = "127.0.0.1"\nsmtp_port = {controller.port}\n'
                      'smtp_security = "none"\nmax_age_days = 0\n')
    yield Season(config, inbox, catcher, tmp_path)
    controller.stop()


class Season:
    def __init__(self, config: Path, inbox: Path, catcher: Catcher, tmp: Path) -> None:
        self.config, self.inbox, self.catcher, self.tmp = config, inbox, catcher, tmp
        self.n = 0

    def arrives(self, raw: bytes) -> None:
        self.n += 1
        (self.inbox / f"{self.n:03d}.eml").write_bytes(raw)

    def kontakt(self, *args: str) -> str:
        result = CliRunner().invoke(main, [*args, "--config", str(self.config)])
        assert result.exit_code == 0, result.output
        return result.output

    def run(self) -> None:
        self.kontakt("run")

    def drafts(self) -> list[dict]:
        return json.loads(self.kontakt("drafts", "--json"))

    def messages(self) -> list[dict]:
        return json.loads(self.kontakt("messages", "--json"))

    def feed(self) -> dict[str, icalendar.Event]:
        out = self.tmp / "public"
        self.kontakt("publish", "--out", str(out))
        calendar = icalendar.Calendar.from_ical((out / "events.ics").read_bytes())
        return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


AARHUSVIG = "mette@aarhusvig.example"
TITLE = "Ledelse af hybride teams"


@pytest.mark.parametrize("style", ["outlook", "gmail"])
def test_a_season_of_submissions_replies_and_set_aside_mail(season, style):
    # 1. a submission gets one receipt, which lists what was read and says how to correct it
    season.arrives(submission(sender=f"Mette Holm <{AARHUSVIG}>", organiser="Aarhusvig Kommune", title=TITLE,
                              place="Rådhuset, Rådhustorvet 1, 8000 Aarhusvig", msgid="<sub-1@aarhusvig.example>",
                              town="aarhusvig"))
    season.run()
    receipts = season.catcher.to(AARHUSVIG)
    assert len(receipts) == 1
    receipt = receipts[0]
    assert receipt["Subject"].startswith("Vi har modtaget") and receipt["In-Reply-To"] == "<sub-1@aarhusvig.example>"
    body = receipt.get_content()
    assert "tirsdag den 27. oktober 2026 kl. 09.00–11.00" in body and "svar" in body.lower()
    assert "2026-10-27T09:00" not in body  # dates as people write them
    for raw in season.catcher.raw:  # threading headers go out plain, never RFC 2047-encoded
        headers = raw.split(b"\r\n\r\n", 1)[0]
        assert b"=?" not in b"".join(line for line in headers.split(b"\r\n") if line[:1] in (b" ", b"\t")
                                     or line.lower().startswith((b"message-id", b"in-reply-to", b"references")))
    (draft,) = season.drafts()
    season.kontakt("approve", str(draft["id"]))
    approved = season.feed()[TITLE]
    assert int(approved["SEQUENCE"]) >= 1

    # 2. the organiser answers the receipt: the venue and the time move; nothing else may change
    season.arrives(reply_to(receipt, sender=f"Mette Holm <{AARHUSVIG}>", msgid="<svar-1@aarhusvig.example>", style=style,
                            body="Hej\n\nRettelse: Vi er flyttet til Aarhusvig Bibliotek, Store Sal, Søndergade 3, "
                                 "8000 Aarhusvig, og vi starter først kl. 13.30. Vi slutter kl. 15.30.\n\nVh Mette"))
    season.run()
    (draft,) = season.drafts()  # no new draft for the reply
    assert (draft["title"], draft["organizer"], draft["audience"], draft["registration"]) == (
        TITLE, "Aarhusvig Kommune", "Ledere i kommunen", "tilmelding@aarhusvig.example")
    assert draft["start"] == "2026-10-27T09:00" and draft["status"] == "approved"  # published unchanged until accepted
    change = draft["pending_change"]
    assert change and change["cancel"] is False
    proposed = {name: c["proposed"] for name, c in change["fields"].items()}
    assert proposed.get("start") == "2026-10-27T13:30" and proposed.get("end") == "2026-10-27T15:30"
    assert "Aarhusvig Bibliotek" in proposed.get("place", "")
    assert not set(proposed) & {"title", "organizer", "audience", "registration", "registration_deadline"}
    assert all(c["evidence"] for c in change["fields"].values()), change
    assert season.feed()[TITLE]["DTSTART"].dt.hour == 9  # subscribers still see the published version
    assert len(season.catcher.to(AARHUSVIG)) == 2  # the approval; a reply to a receipt gets no receipt
    assert season.catcher.to(AARHUSVIG)[1]["Subject"].startswith("Dit arrangement er i programmet")

    # 3. accepting the change publishes it: a new SEQUENCE, the new time and place
    season.kontakt("accept-change", str(draft["id"]))
    moved = season.feed()[TITLE]
    assert int(moved["SEQUENCE"]) > int(approved["SEQUENCE"])
    assert (moved["DTSTART"].dt.hour, moved["DTSTART"].dt.minute) == (13, 30)
    assert "Aarhusvig Bibliotek" in str(moved["LOCATION"])

    # 4. a reply to the approval mail calls the event off: withdrawal proposed, then accepted
    approval = season.catcher.to(AARHUSVIG)[1]
    season.arrives(reply_to(approval, sender=f"Mette Holm <{AARHUSVIG}>", msgid="<aflys-1@aarhusvig.example>",
                            style=style, body="Hej\n\nVi må desværre aflyse arrangementet på grund af sygdom.\n\nVh Mette"))
    season.run()
    (draft,) = season.drafts()
    assert draft["pending_change"]["cancel"] is True and draft["status"] == "approved"
    season.kontakt("accept-change", str(draft["id"]))
    assert str(season.feed()[TITLE]["STATUS"]) == "CANCELLED"


def test_copies_are_marked_never_dropped_and_set_aside_mail_is_listed_with_its_reason(season):
    first = submission(sender=f"Mette Holm <{AARHUSVIG}>", organiser="Aarhusvig Kommune", title="Walk and talk for ledere",
                       place="P-pladsen ved Søen, Søvej 2, 8000 Aarhusvig", msgid="<walk@aarhusvig.example>",
                       town="aarhusvig")
    # another municipality's own event with the same title at the same time
    other = submission(sender="Lars Friis <lafr@fjordby.example>", organiser="Fjordby Kommune",
                       title="Walk and talk for ledere", place="Havnen, Kajgade 1, 7000 Fjordby",
                       msgid="<walk@fjordby.example>", town="fjordby")
    # a web form that gives every mail the same Message-ID, with two different events
    form_a = submission(sender="Formular <formular@region.example>", organiser="Region Syd", title="Lederdag om data",
                        place="Regionshuset, Damhaven 12, 7100 Vejle", msgid="<fixed@form.example>", town="region")
    form_b = submission(sender="Formular <formular@region.example>", organiser="Region Syd",
                        title="Morgenmøde om trivsel", place="Sygehuset, Kabbeltoft 25, 8700 Horsens",
                        msgid="<fixed@form.example>", town="region")
    question = mail(sender="Ole Dam <olda@lilleby.example>", subject="Spørgsmål om Ledelsesugen", msgid="<q@lilleby.example>",
                    body="Hej\n\nHvordan melder vi et arrangement ind, og er der en frist?\n\nMvh Ole\n")
    auto = mail(sender="Jens Bo <jebo@kommune.example>", subject="Automatisk svar: Ledelsesugen",
                msgid="<auto@kommune.example>", headers={"Auto-Submitted": "auto-replied"},
                body="Jeg er fraværende til og med 20. september og læser ikke mails.\n")
    for raw in (first, other, form_a, form_b, question, auto):
        season.arrives(raw)
    season.run()
    receipt = season.catcher.to(AARHUSVIG)[0]
    season.arrives(reply_to(receipt, sender=f"Mette Holm <{AARHUSVIG}>", msgid="<tak@aarhusvig.example>", style="gmail",
                            body="Tak for det!\n\nVh Mette"))
    season.run()

    drafts = {(d["title"], d["organizer"]): d for d in season.drafts()}
    walk_a, walk_b = drafts[("Walk and talk for ledere", "Aarhusvig Kommune")], drafts[("Walk and talk for ledere",
                                                                                          "Fjordby Kommune")]
    assert walk_a["duplicate_of"] is None and walk_b["duplicate_of"] == walk_a["id"]  # two drafts, the second marked
    form_drafts = [d for d in season.drafts() if d["organizer"] == "Region Syd"]
    assert sorted(d["title"] for d in form_drafts) == ["Lederdag om data", "Morgenmøde om trivsel"]  # both kept

    listed = {m["message_id"]: m for m in season.messages()}
    for message_id in ("<q@lilleby.example>", "<auto@kommune.example>", "<tak@aarhusvig.example>"):
        row = listed[message_id]
        assert row["status"] == "not_event" and row["drafts"] == [] and row["reason"], row
    assert listed["<q@lilleby.example>"]["kind"] in ("question", "other")  # the kind model's call: set aside either way
    assert listed["<auto@kommune.example>"]["kind"] == "auto_reply"
    answered = {m["In-Reply-To"] for m in season.catcher.messages}
    assert not answered & {"<q@lilleby.example>", "<auto@kommune.example>", "<tak@aarhusvig.example>"}
    assert len(season.catcher.to(AARHUSVIG)) == 1  # the "tak" to the receipt got none
