"""The `kontakt` command. Thin: each command loads settings, calls one library
function, and turns any KontaktError into one clear line and exit status 1."""

from __future__ import annotations

import functools
import json
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from core.errors import KontaktError
from core.settings import DEFAULT_CONFIG, Settings, load_settings

REVIEW_HINT = "Review them in the browser: kontakt serve  (then open http://{host}:{port}/)"
MESSAGE_STATUSES = ("received", "queued", "not_event", "duplicate", "failed", "purged")


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--config FILE on a command; the command receives the loaded `settings`."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                  default=DEFAULT_CONFIG, show_default=True, help="The configuration file.")
    @functools.wraps(func)
    def wrapper(config_path: Path, **kwargs: Any) -> Any:
        return func(settings=load_settings(config_path), **kwargs)

    return wrapper


class KontaktGroup(click.Group):
    """Reports kontakt's own errors as one line, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KontaktError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=KontaktGroup)
@click.version_option(package_name="kontakt")
def main() -> None:
    """Ledelsesugen's event intake: mail in, drafts for review, programme out."""
    from kontakt.warmup import quiet_start_up

    quiet_start_up()  # before the commands import their libraries


@main.command()
@config_option
def run(settings: Settings) -> None:
    """Take in new mail once: store it, read its events and queue them as drafts.

    Running it again queues nothing twice.

    Example: kontakt run --config config.toml
    """
    from kontakt.pipeline import run_once

    progress = None
    if sys.stdout.isatty():  # a long first run shows where it is; under cron it stays quiet
        counter = {"n": 0}

        def progress(step: int) -> None:
            counter["n"] += step
            click.echo(f"\r{counter['n']} mail(s) taken in …", nl=False)

    report = run_once(settings, trigger="manual", progress=progress)
    if progress:
        click.echo("")
    click.echo(f"Run {report.run_id}: {report.fetched} new mail(s), {report.new_drafts} draft(s) queued, "
               f"{report.updated_drafts} change(s) proposed by replies, {report.set_aside} set aside, "
               f"{report.failed} failed.")
    if report.drafts:
        click.echo(format_table(
            ["id", "titel", "start", "sted", "sikkerhed"],
            [[d.id, d.title, d.start, d.place, f"{overall_confidence(d.confidence):.2f}"] for d in report.drafts],
        ))
        click.echo(REVIEW_HINT.format(host=settings.review.host, port=settings.review.port))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message, one per line (JSON Lines).")
@click.option("--timezone", default="Europe/Copenhagen", show_default=True, help="The zone of the mails' wall-clock times.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def extract(as_json: bool, timezone: str, paths: Sequence[Path]) -> None:
    """Read events from .eml files or folders of them, without a database.

    Prints, per message in the order given, the JSON object documented in the
    README ("The extract contract"). A file that cannot be read, or a message
    the extractor fails on, prints an object with "kind": "failed" and its
    "error", and the files after it are still read.

    Example: kontakt extract --json mail.eml samples/inbox
    """
    from core.settings import ReaderSettings
    from kontakt.reader import Reader

    with Reader(tz=timezone, limits=ReaderSettings()) as reader:
        for row in _extract_rows(reader, _eml_files(paths)):
            if as_json:
                click.echo(json.dumps(row, ensure_ascii=False))
            else:
                click.echo(f"{row['source']}: {row['kind']}, {len(row['events'])} event(s)" + (f" ({row['error']})" if "error" in row else ""))
                for event in row["events"]:
                    click.echo(f"  {event['start']}  {event['title']}  @ {event['place']}")


def _extract_rows(reader: Any, files: list[tuple[Path, str | None]]) -> Iterator[dict[str, Any]]:
    """`kontakt extract`'s line for each file in order; the worker reads the next file while one is written."""
    due: deque[tuple[Path, str | None]] = deque()  # files taken, in order, with why one could not be read

    def requests() -> Iterator[tuple[bytes, bool]]:
        for path, error in files:
            raw = b""
            if error is None:
                try:
                    raw = path.read_bytes()
                except OSError as exc:
                    error = f"the file could not be read: {exc.strerror or exc.__class__.__name__}"
            due.append((path, error))
            if error is None:
                yield raw, False

    for result in reader.read_many(requests()):
        while due[0][1] is not None:
            path, error = due.popleft()
            yield _failed_row(path, error or "")
        yield _read_row(due.popleft()[0], result)
    yield from (_failed_row(path, error or "") for path, error in due)


def _read_row(path: Path, result: Any) -> dict[str, Any]:
    """One file's line of `kontakt extract`, as the reader's worker read it (bounded in time and memory): a
    fault of the extractor's on one mail fails that file, the rest are read."""
    if result.parsed is None:
        return _failed_row(path, result.error or "the mail could not be read")
    return result.parsed.to_json(source=str(path))


def _failed_row(path: Path, error: str) -> dict[str, Any]:
    return {"source": str(path), "message_id": None, "is_event_submission": False, "kind": "failed",
            "error": error, "events": []}


def _eml_files(paths: Sequence[Path]) -> list[tuple[Path, str | None]]:
    """The files to read in the order given, a folder's .eml files sorted; with why a path cannot be listed."""
    files: list[tuple[Path, str | None]] = []
    for path in paths:
        if not path.is_dir():
            files.append((path, None if path.exists() else "no such file"))
            continue
        try:
            files.extend((p, None) for p in sorted(path.glob("*.eml")))
        except OSError as exc:
            files.append((path, f"the folder could not be read: {exc.strerror or exc.__class__.__name__}"))
    return files


@main.command()
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "not_event", "merged", "withdrawn"]),
              help="Only drafts with this status.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of drafts.")
@config_option
def drafts(settings: Settings, status: str | None, as_json: bool) -> None:
    """List the queued drafts.

    Example: kontakt drafts --status pending --json
    """
    from kontakt.pipeline import open_store
    from store import repo, session_scope

    with session_scope(open_store(settings)) as session:
        rows = repo.list_drafts(session, status)
        messages = repo.messages_by_ids(session, {d.message_pk for d in rows})
        if as_json:
            click.echo(json.dumps([repo.draft_to_dict(d, messages.get(d.message_pk)) for d in rows],
                                  ensure_ascii=False, indent=2))
            return
        click.echo(format_table(
            ["id", "status", "titel", "start", "sted", "sikkerhed"],
            [[d.id, d.status, d.title, d.start, d.place, f"{overall_confidence(d.confidence):.2f}"] for d in rows],
        ))


@main.command()
@click.option("--kind", type=click.Choice(["event", "cancellation", "auto_reply", "bounce", "question", "newsletter",
                                           "other"]), help="Only messages of this kind.")
@click.option("--status", type=click.Choice(list(MESSAGE_STATUSES)), help="Only messages with this status "
              "(not_event: set aside).")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of messages.")
@config_option
def messages(settings: Settings, kind: str | None, status: str | None, as_json: bool) -> None:
    """List every stored message: its kind, status, why it was set aside, and its drafts.

    Example: kontakt messages --status not_event --json
    """
    from kontakt.pipeline import open_store
    from store import repo, session_scope

    with session_scope(open_store(settings)) as session:
        rows = repo.list_messages(session, kind=kind, status=status)
        drafts = repo.drafts_of(session, [m.id for m in rows])
        data = [repo.message_to_dict(m, drafts.get(m.id, [])) for m in rows]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(format_table(["id", "status", "art", "emne", "afsender", "grund", "kladder"],
                            [[d["id"], d["status"], d["kind"], d["subject"], d["sender"], d["reason"],
                              ",".join(map(str, d["drafts"]))] for d in data]))


@main.command("accept-change")
@click.argument("draft_id", type=int)
@click.option("--field", "fields", multiple=True, help="Accept only this field of the change (repeatable).")
@click.option("--as", "actor", default="cli", show_default=True, help="Who decides (recorded in the history).")
@config_option
def accept_change(settings: Settings, draft_id: int, fields: tuple[str, ...], actor: str) -> None:
    """Accept the change a reply proposes to a draft, all of it or the named fields (as the desk does).

    On a published event the change is published at once; an accepted cancellation withdraws it.

    Example: kontakt accept-change 12 --field start --field end
    """
    from kontakt.pipeline import open_store
    from store import repo, session_scope

    with session_scope(open_store(settings)) as session:
        draft = repo.accept_change(session, draft_id, actor=actor, fields=list(fields) or None)
    click.echo(f"Draft {draft.id} ({draft.status}): change accepted: {draft.title} ({draft.start}).")


@main.command("dismiss-change")
@click.argument("draft_id", type=int)
@click.option("--as", "actor", default="cli", show_default=True, help="Who decides (recorded in the history).")
@config_option
def dismiss_change(settings: Settings, draft_id: int, actor: str) -> None:
    """Dismiss the change a reply proposes to a draft; the draft and what is published stay as they are.

    Example: kontakt dismiss-change 12
    """
    from kontakt.pipeline import open_store
    from store import repo, session_scope

    with session_scope(open_store(settings)) as session:
        draft = repo.dismiss_change(session, draft_id, actor=actor)
    click.echo(f"Draft {draft.id}: the proposed change is dismissed; it stays {draft.status}.")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array of runs.")
@click.option("--limit", default=50, show_default=True, help="How many of the latest runs.")
@config_option
def runs(settings: Settings, as_json: bool, limit: int) -> None:
    """List the latest pipeline runs: when, outcome, what they fetched, queued and failed.

    Example: kontakt runs --json
    """
    from kontakt.pipeline import list_runs

    rows = list_runs(settings, limit)
    fields = ("id", "trigger", "outcome", "fetched", "new_messages", "new_drafts", "updated_drafts", "failed", "error")
    if as_json:
        click.echo(json.dumps([{**{f: getattr(r, f) for f in fields}, "started_at": _iso(r.started_at),
                                "finished_at": _iso(r.finished_at)} for r in rows], ensure_ascii=False, indent=2))
        return
    click.echo(format_table(["id", "start", "kilde", "udfald", "hentet", "nye", "opdateret", "fejl", "fejltekst"],
                            [[r.id, _iso(r.started_at), r.trigger, r.outcome, r.fetched, r.new_drafts,
                              r.updated_drafts, r.failed, r.error] for r in rows]))


@main.command()
@config_option
def purge(settings: Settings) -> None:
    """Delete raw mail and personal fields past [retention] raw_mail_days (GDPR).

    Published events stay; an anonymous count of what was deleted is kept.

    Example: kontakt purge --config /etc/kontakt/config.toml
    """
    from kontakt.pipeline import purge as purge_expired

    record = purge_expired(settings)
    click.echo(f"Purged {record.messages} message(s); {record.drafts_scrubbed} draft(s) scrubbed.")


@main.command()
@config_option
def schedule(settings: Settings) -> None:
    """Run the pipeline on the [schedule] cron in the foreground (for systemd); Ctrl-C stops it.

    Example: kontakt schedule --config /etc/kontakt/config.toml
    """
    import logging

    from scheduler import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    scheduler = build_scheduler(settings)
    click.echo(f"kontakt schedule: '{settings.schedule.cron}' ({settings.timezone}); Ctrl-C stops.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass


@main.command()
@click.option("--host", help="Address to listen on (default: [review] host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: [review] port, 8044).")
@config_option
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Start the review desk and the public programme pages (uvicorn).

    Sessions are signed with the secret in $KONTAKT_SECRET ([review] secret_env); without it, on SQLite,
    with a secret generated once and kept beside the database (DB.secret); on PostgreSQL it refuses to start.

    Example: kontakt serve --port 8044   (then open http://127.0.0.1:8044/)
    """
    import os

    import uvicorn

    from kontakt.desk import desk_app, secret_file

    app = desk_app(settings)
    if not os.environ.get(settings.review.secret_env or ""):
        click.echo(f"Sessions are signed with the secret kept in {secret_file(settings)}.", err=True)
    uvicorn.run(app, host=host or settings.review.host, port=port or settings.review.port, log_level="info",
                proxy_headers=False)


@main.group()
def user() -> None:
    """Reviewer accounts."""


@user.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="May manage users.")
@config_option
def user_add(settings: Settings, name: str, admin: bool) -> None:
    """Add a reviewer; the password is asked for (or read from standard input when it is not a terminal).

    Example: echo 'et langt kodeord' | kontakt user add mette --admin
    """
    from kontakt.pipeline import open_store
    from store import session_scope
    from store.users import add_user

    if sys.stdin.isatty():
        password = click.prompt("Adgangskode", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    with session_scope(open_store(settings)) as session:
        add_user(session, name, password, admin=admin)
    click.echo(f"User {name} added{' (admin)' if admin else ''}.")


@main.command()
@click.argument("draft_id", type=int)
@click.option("--as", "actor", default="cli", show_default=True, help="Who decides (recorded in the history).")
@config_option
def approve(settings: Settings, draft_id: int, actor: str) -> None:
    """Approve a draft, as the web desk does (recorded in its history).

    Example: kontakt approve 12
    """
    _decide(settings, draft_id, actor, "approved", None)


@main.command()
@click.argument("draft_id", type=int)
@click.option("--reason", required=True, help="Why (shown to the organiser if notifications are on).")
@click.option("--as", "actor", default="cli", show_default=True, help="Who decides (recorded in the history).")
@config_option
def reject(settings: Settings, draft_id: int, reason: str, actor: str) -> None:
    """Reject a draft with a reason, as the web desk does.

    Example: kontakt reject 12 --reason "Dublet af 11"
    """
    _decide(settings, draft_id, actor, "rejected", reason)


def _decide(settings: Settings, draft_id: int, actor: str, action: str, reason: str | None) -> None:
    from kontakt.pipeline import open_store
    from store import DraftStatus, repo, session_scope

    status = DraftStatus.APPROVED if action == "approved" else DraftStatus.REJECTED
    with session_scope(open_store(settings)) as session:
        draft = repo.update_draft(session, draft_id, actor=actor, action=action, status=status, note=reason)
    click.echo(f"Draft {draft.id} {action}: {draft.title} ({draft.start}).")


@main.command()
@click.argument("draft_id", type=int)
@click.option("--as", "actor", default="cli", show_default=True, help="Who decides (recorded in the history).")
@config_option
def discard(settings: Settings, draft_id: int, actor: str) -> None:
    """Discard the unapproved change to a published event: the published version stays as it is.

    The draft's fields go back to what is published and it is approved again; the feed, its
    SEQUENCE and its Last-Modified do not change. Recorded as "change_discarded".

    Example: kontakt discard 12
    """
    from kontakt.pipeline import open_store
    from store import session_scope
    from store.publishing import discard_changes

    with session_scope(open_store(settings)) as session:
        draft = discard_changes(session, draft_id, actor=actor)
    click.echo(f"Draft {draft.id}: change discarded; published as before: {draft.title} ({draft.start}).")


@main.command()
@click.argument("draft_id", type=int)
@click.option("--reason", help="Why (kept in the history).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--as", "actor", default="cli", show_default=True, help="Who decides (recorded in the history).")
@config_option
def withdraw(settings: Settings, draft_id: int, reason: str | None, yes: bool, actor: str) -> None:
    """Withdraw a published event: subscribed calendars are told it is cancelled, and the programme
    shows it as "Aflyst" for [publish] cancelled_days days. Asks for confirmation unless --yes.

    Example: kontakt withdraw 12 --reason "Aflyst af arrangøren" --yes
    """
    from kontakt.pipeline import open_store
    from store import repo, session_scope
    from store.publishing import withdraw as withdraw_event

    with session_scope(open_store(settings)) as session:
        draft = repo.get_draft(session, draft_id)
        if not yes:
            click.confirm(f"Withdraw {draft.title} ({draft.start}) for every subscriber?", abort=True)
        draft = withdraw_event(session, draft_id, actor=actor, note=reason)
    click.echo(f"Draft {draft.id} withdrawn: {draft.title} ({draft.start}) is cancelled in the feeds.")


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder to write (default: [publish] out).")
@config_option
def publish(settings: Settings, out: Path | None) -> None:
    """Write the public programme as static files: index.html, events.ics, events.json, a page and .ics per event.

    Only approved events appear; an edited event shows its last approved version until approved again.
    A file whose content did not change is left as it is.

    Example: kontakt publish --out /var/www/ledelsesugen
    """
    from kontakt.pipeline import open_store
    from publish.export import export
    from store import session_scope

    folder = out or settings.path(settings.publish.out)
    with session_scope(open_store(settings)) as session:
        counts = export(session, folder, title=settings.publish.title, site_url=settings.publish.site_url,
                        cancelled_days=settings.publish.cancelled_days)
    click.echo(f"Published {counts['events']} event(s) ({counts['cancelled']} cancelled) to {folder}: "
               f"{counts['written']} file(s) written, {counts['unchanged']} unchanged.")


@main.command()
@config_option
def notify(settings: Settings) -> None:
    """Send the notifications that are owed: receipts, decisions made since, the reviewers' digest.

    Runs after every `kontakt run` when [notify] enabled = true; run it after decisions in the desk.

    Example: kontakt notify
    """
    from kontakt.pipeline import open_store
    from publish.notify import send_pending

    if not settings.notify.enabled:
        raise click.ClickException("notifications are off: set [notify] enabled = true in the config")
    click.echo(f"Sent {send_pending(settings, open_store(settings))} notification(s).")


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@config_option
def db_upgrade(settings: Settings) -> None:
    """Apply the schema migrations this version of kontakt needs (take a backup first).

    Example: kontakt db upgrade --config /etc/kontakt/config.toml
    """
    from store import open_engine, upgrade

    before, after = upgrade(open_engine(settings.database.url))
    click.echo(f"Schema at revision {after}" + (f" (was {before})." if before != after else " (already current)."))


def _iso(moment: Any) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def overall_confidence(confidence: dict[str, float]) -> float:
    """A draft's confidence is that of its weakest field: one wrong field makes a wrong entry."""
    return min(confidence.values()) if confidence else 0.0


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], width: int = 40) -> str:
    """A plain-text table; long cells are cut with an ellipsis so a row fits a terminal."""
    def cell(value: Any) -> str:
        text = "" if value is None else " ".join(str(value).split())
        return text if len(text) <= width else text[: width - 1] + "…"

    cells = [[cell(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
