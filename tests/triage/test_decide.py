"""The decisions about threads, changes and copies, on plain values: no database, no parser."""

from __future__ import annotations

import pytest

from core.model import EVENT_FIELDS, Event, KeptDraft, KeptMessage, MailKind, Origin, ParsedMail
from triage import Known, NewEvents, Proposals, SetAside, decide

CURRENT = {"title": "Ledelse af hybride teams", "start": "2026-10-27T09:00", "end": "2026-10-27T11:00", "all_day": False,
           "place": "Rådhuset, Torvet 1, 7100 Vejle", "online": False, "registration_deadline": "2026-10-16",
           "registration": "tilmelding@vejle.example", "organizer": "Vejle Kommune", "audience": "Ledere"}


def parsed(*, events=(), kind=MailKind.EVENT, subject="Arrangement", sender="mette@vejle.example", message_id="<new@x>",
           in_reply_to=None, references=(), reply_text=None, text="") -> ParsedMail:
    return ParsedMail(message_id=message_id, subject=subject, sender=f"Mette <{sender}>", sender_address=sender, date=None,
                      in_reply_to=in_reply_to, references=list(references), kind=kind, events=list(events), text=text,
                      reply_text=reply_text)


def event(origin: str = Origin.TEXT, **values) -> Event:
    fields = {**CURRENT, **values}
    return Event(**fields, evidence={k: str(v) for k, v in fields.items() if v not in (None, False)},
                 origin={k: str(origin) for k in EVENT_FIELDS})


def known(*drafts: KeptDraft, own_mail: dict[str, int] | None = None) -> Known:
    messages = [KeptMessage(pk=1, message_id="<sub@x>", sender_address="mette@vejle.example",
                            subject="Arrangement: Ledelse af hybride teams", submitted=True)]
    return Known.of(messages, drafts or [KeptDraft(ref=(1, 0), status="approved", fields=dict(CURRENT), published=True,
                                                   sender_address="mette@vejle.example")], own_mail or {})


def test_a_reply_to_kontakts_own_receipt_finds_the_submission_it_answers():
    reply = parsed(in_reply_to="<receipt@ledelsesugen.dk>", events=[event(start="2026-10-27T13:00")])
    decision = decide(reply, pk=2, known=known(own_mail={"<receipt@ledelsesugen.dk>": 1}))
    assert isinstance(decision, Proposals) and decision.thread_pk == 1
    (change,) = decision.changes
    assert change.target == (1, 0) and set(change.fields) == {"start", "end"}
    assert change.fields["start"].proposed == "2026-10-27T13:00" and change.fields["start"].current == "2026-10-27T09:00"
    assert change.fields["end"].proposed == "2026-10-27T15:00"  # moved with the start: the event keeps its length


def test_without_headers_a_reply_is_threaded_by_sender_and_subject_only():
    mine = parsed(subject="SV: Arrangement: Ledelse af hybride teams", events=[event(place="Store Sal, Biblioteket")])
    assert isinstance(decide(mine, pk=2, known=known()), Proposals)
    stranger = parsed(subject="SV: Arrangement: Ledelse af hybride teams", sender="lars@odense.example",
                      events=[event(place="Store Sal, Biblioteket")])
    assert isinstance(decide(stranger, pk=2, known=known()), NewEvents)


def test_only_the_replys_own_words_are_proposed_never_its_quote_or_subject():
    quoted = event(origin=Origin.QUOTE, title="Vi har modtaget: Ledelse af hybride teams", place="Et andet sted 1, 8000 X")
    quoted.origin["start"], quoted.start = str(Origin.TEXT), "2026-10-28T09:00"
    decision = decide(parsed(in_reply_to="<sub@x>", events=[quoted]), pk=2, known=known())
    (change,) = decision.changes
    assert set(change.fields) == {"start", "end"}  # the title and place came from the quote
    assert change.fields["end"].proposed == "2026-10-28T11:00"  # a new day moves the end with it


def test_a_reply_that_says_nothing_new_is_set_aside_with_a_reason():
    same = decide(parsed(in_reply_to="<sub@x>", events=[event()]), pk=2, known=known())  # restates what is known
    thanks = decide(parsed(in_reply_to="<sub@x>", kind=MailKind.OTHER), pk=3, known=known())
    question = decide(parsed(in_reply_to="<sub@x>", kind=MailKind.QUESTION), pk=4, known=known())
    assert all(isinstance(d, SetAside) and d.thread_pk == 1 and d.reason for d in (same, thanks, question))
    assert question.reason != thanks.reason


def test_a_cancellation_in_a_thread_proposes_withdrawing_the_event_it_names():
    drafts = [KeptDraft(ref=(1, 0), status="approved", fields=dict(CURRENT)),
              KeptDraft(ref=(1, 1), status="pending", fields={**CURRENT, "title": "Morgenmøde om trivsel"})]
    decision = decide(parsed(kind=MailKind.CANCELLATION, in_reply_to="<sub@x>",
                             reply_text="Vi må desværre aflyse morgenmødet om trivsel."), pk=2, known=known(*drafts))
    assert [(c.target, c.cancel) for c in decision.changes] == [((1, 1), True)]
    everything = decide(parsed(kind=MailKind.CANCELLATION, in_reply_to="<sub@x>", reply_text="Vi aflyser det hele."),
                        pk=3, known=known(*drafts))
    assert sorted(c.target for c in everything.changes) == [(1, 0), (1, 1)]


def test_a_cancellation_of_nothing_known_is_set_aside_for_a_person():
    decision = decide(parsed(kind=MailKind.CANCELLATION, text="Vi aflyser vores lederdag."), pk=2, known=known())
    assert isinstance(decision, SetAside) and "aflys" in decision.reason.lower()


@pytest.mark.parametrize("title, copy", [("Ledelse af hybride teams", True), ("Ledelse af hybride teams!", True),
                                         ("Ledelse af hybride team", True), ("Trivsel i hybride teams", False)])
def test_a_new_event_like_a_kept_one_on_the_same_day_is_queued_marked(title, copy):
    decision = decide(parsed(sender="lars@odense.example", events=[event(title=title)]), pk=2, known=known())
    assert isinstance(decision, NewEvents) and decision.duplicate_of == [(1, 0) if copy else None]
    other_day = decide(parsed(sender="lars@odense.example", events=[event(title=title, start="2026-10-28T09:00")]),
                       pk=3, known=known())
    assert other_day.duplicate_of == [None]


def test_the_same_message_id_with_other_content_is_two_drafts_the_second_marked():
    decision = decide(parsed(message_id="<sub@x>", events=[event(title="Noget helt andet", start="2026-10-29T10:00")]),
                      pk=2, known=known())
    assert isinstance(decision, NewEvents) and decision.duplicate_of == [(1, 0)] and decision.thread_pk is None


def test_a_reviewer_saying_it_is_an_event_gives_a_draft_even_with_nothing_read():
    decision = decide(parsed(kind=MailKind.QUESTION, subject="SV: Ledercafé i uge 44"), pk=2, known=known(), as_event=True)
    (blank,) = decision.events
    assert blank.title == "Ledercafé i uge 44" and "start" in blank.missing and "place" in blank.missing
