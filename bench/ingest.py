#!/usr/bin/env python3
"""The whole pipeline at volume, against a Dovecot started for the benchmark.

    python bench/ingest.py [--n 5000] [--small 1000] [--repeat 1] [--probe 1000] [--corpus ../shared/corpus/dev]
                           [--no-postgres] [--shared-core | --spread]

Measures, on the same N messages (the dev corpus cycled, each copy with its own
Message-ID, and from the second round on its titles marked with the round, so
most copies are new events the store must queue, not cheap duplicates): a bare
imapclient fetch (transfer cost), extraction alone in memory (parsing cost),
bare spacy.blank("da") tokenisation of the text (the floor for any spaCy
reading), `kontakt extract` on the same mails as files (a reader with its start-up),
and `kontakt run` end to end into SQLite and PostgreSQL; then a second
run with no new mail (the nightly no-op), peak RSS at N and at the small N, and
the same run inside this process (start-up already paid), which shows what intake
and storage add per mail.

kontakt runs pinned to one core. Dovecot and PostgreSQL are servers of their own
(in a deployment, Microsoft 365 and a database host), so they run on the other
core; with --shared-core they share kontakt's core, which charges their work to
the pipeline too. With --spread nothing is pinned: kontakt's parent and its reading
worker (and the servers) share every core, as on a deployment's machine, where the
worker reads the next mail while the parent stores the last. The machine's speed drifts by several per cent within minutes,
so extraction alone is measured (on the first --probe mails) before the first run
and after each, and each run's ratio uses the two measurements beside it.
--repeat K measures everything K times and prints each figure's median and range.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import email
import email.encoders
import email.header
import email.policy
import html
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import dovecot as dv  # noqa: E402
from tests.support.postgres import Postgres, postgres_bin  # noqa: E402

# `kontakt` as a child that reports its own peak RSS (VmHWM) as it exits. The kernel's ru_maxrss would
# not do: a child's counts the memory of the process it was forked from, this benchmark's included.
KONTAKT = [sys.executable, "-c", """
import atexit, sys
def peak():
    sys.stderr.write(next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")))
atexit.register(peak)
sys.argv[0] = "kontakt"
from kontakt.cli import main
main()
"""]


def messages(corpus: Path, n: int) -> list[bytes]:
    """N mails cycled from the corpus, each with its own Message-ID; from the second round on, each
    copy's event titles carry the round number, so a copy is a new event (drafts stored), not a
    duplicate of the first (which costs the store almost nothing)."""
    seeds = [(p.read_bytes(), _titles(p.with_suffix(".json"))) for p in sorted(corpus.glob("*.eml"))]
    out = []
    for i in range(n):
        raw, titles = seeds[i % len(seeds)]
        round_ = i // len(seeds)
        if round_ and titles:
            raw = _retitled(raw, titles, round_)
        raw = re.sub(rb"(?im)^Message-ID:[^\r\n]*", b"Message-ID: <bench-%d@bench.example>" % i, raw, count=1)
        out.append(b"X-Bench-Copy: %d\r\n" % i + raw)
    return out


def _titles(gold: Path) -> list[str]:
    if not gold.exists():
        return []
    data = json.loads(gold.read_text(encoding="utf-8"))
    return [e["title"] for e in data.get("events", []) if e.get("title")]


def _retitled(raw: bytes, titles: list[str], round_: int) -> bytes:
    """The mail with each title (in the subject and in every text part, .ics included) followed by
    ' · runde N'. Parts are re-encoded by the email package; what the extractor reads stays the same."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)

    def marked(text: str) -> str:
        for title in titles:
            for form in {title, html.escape(title, quote=False)}:
                text = text.replace(form, f"{form} · runde {round_}")
        return text

    if msg["Subject"]:
        subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
        del msg["Subject"]
        msg["Subject"] = email.header.Header(marked(subject), "utf-8")
    for part in msg.walk():
        if part.get_content_maintype() != "text" or part.is_multipart():
            continue
        body = part.get_payload(decode=True)
        charset = part.get_content_charset() or "utf-8"
        try:
            text = body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
        new = marked(text)
        if new != text:
            del part["Content-Transfer-Encoding"]
            part.set_payload(new.encode("utf-8"), None)
            part.set_param("charset", "utf-8")
            email.encoders.encode_base64(part)
    try:
        return msg.as_bytes()
    except (UnicodeEncodeError, LookupError):
        return raw


def cores(shared: bool, spread: bool) -> tuple[set[int], set[int]]:
    """(kontakt's cores, the servers' cores): a core each where the machine has two, unless shared or spread."""
    available = sorted(os.sched_getaffinity(0))
    if spread:
        return set(available), set(available)
    return {available[0]}, {available[0] if shared or len(available) < 2 else available[1]}


def pin(cpus: set[int]) -> list[str]:
    """Pin this process (and so what it starts next) to these cores; the same for a child, as a prefix."""
    os.sched_setaffinity(0, cpus)
    return ["taskset", "-c", ",".join(map(str, sorted(cpus)))] if shutil.which("taskset") else []


def extraction_rate(mails: list[bytes]) -> tuple[float, list[str]]:
    """Messages per second of extraction alone on mails in memory, and the texts it read."""
    import parsers

    start = time.perf_counter()
    texts = [parsers.extract(raw).text for raw in mails]
    return len(mails) / (time.perf_counter() - start), texts


def timed_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit status) of a KONTAKT child process."""
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    errors = done.stderr.decode(errors="replace")
    if done.returncode:
        sys.stderr.write(errors[-2000:])
    peak = re.search(r"^VmHWM:\s+(\d+) kB", errors, re.MULTILINE)
    return elapsed, int(peak.group(1)) / 1024 if peak else float("nan"), done.returncode


def bare_fetch(server: dv.Dovecot, batch: int = 200) -> tuple[int, float]:
    import imapclient

    start = time.perf_counter()
    client = imapclient.IMAPClient("127.0.0.1", port=server.port, ssl=False)
    client.login(dv.USER, dv.PASSWORD)
    client.select_folder("INBOX", readonly=True)
    uids = client.search("ALL")
    count = 0
    for i in range(0, len(uids), batch):
        count += len(client.fetch(uids[i:i + batch], ["BODY.PEEK[]"]))
    client.logout()
    return count, time.perf_counter() - start


def bench_config(url: str, server: dv.Dovecot, work: Path, label: str) -> Path:
    """The config every run of the benchmark uses: the Dovecot above, batches of 200, this database."""
    config = work / f"{label}.toml"
    config.write_text(f'[mailbox]\nsource = "{server.url()}"\npassword_env = "BENCH_IMAP_PASSWORD"\nbatch_size = 200\n'
                      f'[database]\nurl = "{url}"\n')
    return config


def pipeline(url: str, server: dv.Dovecot, work: Path, taskset: list[str], label: str) -> dict[str, float]:
    """`kontakt run` on N new mails, then again with none, into a database installed as a deployment's is
    (`kontakt db upgrade` once, untimed): the nightly run never creates the schema."""
    config = bench_config(url, server, work, label)
    env = dict(os.environ, BENCH_IMAP_PASSWORD=dv.PASSWORD, PYTHONPATH=str(ROOT))
    subprocess.run(KONTAKT + ["db", "upgrade", "--config", str(config)], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, rss, status = timed_child(taskset + KONTAKT + ["run", "--config", str(config)], env)
    noop, _, noop_status = timed_child(taskset + KONTAKT + ["run", "--config", str(config)], env)
    return {"wall": wall, "rss": rss, "status": status, "noop": noop if noop_status == 0 else float("nan")}


def outcomes(db: Path) -> str:
    import sqlite3

    with sqlite3.connect(db) as conn:
        statuses = conn.execute("SELECT status, count(*) FROM message GROUP BY status ORDER BY 2 DESC").fetchall()
        drafts = conn.execute("SELECT count(*) FROM draft").fetchone()[0]
    return ", ".join(f"{count} {status}" for status, count in statuses) + f"; {drafts} drafts"


def in_process(url: str, server: dv.Dovecot, work: Path, label: str) -> float:
    """Seconds for the same run inside this process, where imports and the spaCy pipeline are loaded:
    what intake and storage add per mail, without the start-up. The schema is installed first, untimed."""
    from kontakt.pipeline import open_store, run_once
    from core.settings import load_settings

    os.environ["BENCH_IMAP_PASSWORD"] = dv.PASSWORD
    settings = load_settings(bench_config(url, server, work, label))
    open_store(settings).dispose()
    start = time.perf_counter()
    run_once(settings)
    return time.perf_counter() - start


def one_round(round_: int, mails: list[bytes], folder: Path, server: dv.Dovecot, small: dv.Dovecot,
              pg: Postgres | None, work: Path, taskset: list[str], probe: int) -> dict[str, float]:
    """Every figure once, each run into a new database. The machine's speed drifts by several per cent
    within minutes, so extraction alone is measured (on the first `probe` mails) before the first run
    and after each, and each run's ratio uses the mean of the two measurements beside it."""
    n = len(mails)
    sample = mails[:probe]
    figures: dict[str, float] = {}
    count, seconds = bare_fetch(server)
    figures["fetch"] = count / seconds
    first, texts = extraction_rate(sample)
    import spacy

    blank = spacy.blank("da")
    start = time.perf_counter()
    for text in texts:
        blank(text)
    figures["tokenise"] = len(texts) / (time.perf_counter() - start)
    probes = [first]

    def measured(key: str, rate: float) -> None:
        """The run's rate, then extraction alone again: the ratio against the two beside it."""
        probes.append(extraction_rate(sample)[0])
        figures[key] = rate
        figures[f"ratio {key}"] = rate / ((probes[-2] + probes[-1]) / 2)

    extract_cli, _, status = timed_child(taskset + KONTAKT + ["extract", "--json", str(folder)],
                                         dict(os.environ, PYTHONPATH=str(ROOT)))
    measured("extract_cli", n / extract_cli if status == 0 else float("nan"))
    databases = {"SQLite": lambda label: f"sqlite:///{work / label}.db"}
    if pg is not None:
        databases["PostgreSQL"] = pg.create_database
    for name, url in databases.items():
        run = pipeline(url(f"{name.lower()}-{round_}"), server, work, taskset, f"{name}-{round_}")
        measured(f"run {name}", n / run["wall"] if run["status"] == 0 else float("nan"))
        figures[f"rss {name}"] = run["rss"]
        figures[f"noop {name}"] = run["noop"]
        measured(f"warm {name}", n / in_process(url(f"warm-{name.lower()}-{round_}"), server, work,
                                                 f"warm-{name}-{round_}"))
        # both against the extraction beside them, so the drift between the two runs cancels
        figures[f"ratio cli {name}"] = figures[f"ratio run {name}"] / figures["ratio extract_cli"]
    small_run = pipeline(f"sqlite:///{work / f'small-{round_}.db'}", small, work, taskset, f"small-{round_}")
    figures["rss small"] = small_run["rss"]
    figures["extract"] = statistics.mean(probes)
    figures["extract spread"] = (max(probes) - min(probes)) / min(probes) * 100
    figures["ratio tokenise"] = figures["extract"] / figures["tokenise"]
    figures["rss growth"] = (figures["rss SQLite"] - figures["rss small"]) / figures["rss small"] * 100
    return figures


def report(rounds: list[dict[str, float]], n: int, small: int) -> None:
    """Each figure as it was measured, or over several rounds as its median with the range."""
    def shown(key: str, spec: str = ".0f") -> str:
        values = sorted(r[key] for r in rounds)
        median = statistics.median(values)
        if len(values) == 1:
            return format(median, spec)
        return f"{median:{spec}} ({values[0]:{spec}}–{values[-1]:{spec}})"

    databases = [name for name in ("SQLite", "PostgreSQL") if f"run {name}" in rounds[0]]
    print(f"{'messages per second':48s} {'median (range)' if len(rounds) > 1 else ''}")
    print(f"{'  bare imapclient fetch (transfer)':48s} {shown('fetch')}")
    print(f"{'  extraction alone, in memory (parsing)':48s} {shown('extract')}   "
          f"(between its slowest and fastest measurement in a round: {shown('extract spread')} %)")
    floor = '  spacy.blank("da") tokenisation (floor)'
    print(f"{floor:48s} {shown('tokenise')}")
    print(f"{'  kontakt extract --json, start-up included':48s} {shown('extract_cli')}")
    for name in databases:
        print(f"{'  kontakt run -> ' + name + ', start-up included':48s} {shown('run ' + name)}")
        print(f"{'  the same run in-process, start-up paid':48s} {shown('warm ' + name)}")
    print("ratios")
    for name in databases:
        print(f"{'  pipeline / extraction alone, ' + name:48s} {shown('ratio run ' + name, '.2f')}   "
              f"in-process {shown('ratio warm ' + name, '.2f')}")
        print(f"{'  kontakt run / kontakt extract, ' + name:48s} {shown('ratio cli ' + name, '.2f')}")
    print(f"{'  extraction / tokenisation':48s} {shown('ratio tokenise', '.2f')}")
    print("no new mail, start-up included: "
          + "; ".join(f"{name} {shown('noop ' + name, '.2f')} s" for name in databases))
    print(f"peak RSS of kontakt run: N={small}: {shown('rss small')} MB, N={n}: {shown('rss SQLite')} MB "
          f"({shown('rss growth', '+.0f')} %) on SQLite"
          + (f"; PostgreSQL {shown('rss PostgreSQL')} MB" if "PostgreSQL" in databases else ""))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "dev")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--shared-core", action="store_true", help="run Dovecot and PostgreSQL on kontakt's core")
    ap.add_argument("--spread", action="store_true", help="pin nothing: kontakt and the servers share every core")
    ap.add_argument("--repeat", type=int, default=1, help="measure everything this many times; print median and range")
    ap.add_argument("--probe", type=int, default=1000, help="mails of each measurement of extraction alone")
    args = ap.parse_args()
    kontakt_core, server_core = cores(args.shared_core, args.spread)
    mails = messages(args.corpus, args.n)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}; kontakt on cores {sorted(kontakt_core)}, "
          f"Dovecot and PostgreSQL on cores {sorted(server_core)}{' (shared)' if server_core & kontakt_core else ''}")
    print(f"messages: {args.n} ({sum(map(len, mails)) / 2**20:.1f} MB), cycled from {args.corpus}")

    work = Path(tempfile.mkdtemp(prefix="kontakt-bench-"))
    servers: list[dv.Dovecot | Postgres] = []
    try:
        pin(server_core)  # the servers, started now, stay on their core
        server, small = dv.Dovecot().start(), dv.Dovecot().start()
        servers += [server, small]
        pg = Postgres().start() if not args.no_postgres and postgres_bin() is not None else None
        servers += [pg] if pg else []
        taskset = pin(kontakt_core)
        start = time.perf_counter()
        server.add_many(mails)
        small.add_many(mails[: args.small])
        print(f"loading Dovecot (Maildir writes): {time.perf_counter() - start:.1f} s")

        from kontakt.warmup import load_extractor

        load_extractor()  # as the pipeline does: spaCy loaded, the start-up heap frozen
        extraction_rate(mails[:args.probe])  # warmed up: what loads at the first mail that needs it (dateparser)
        folder = work / "mail"  # the same mails as files, for `kontakt extract` (start-up paid like a run's)
        folder.mkdir()
        for i, raw in enumerate(mails):
            (folder / f"{i:06d}.eml").write_bytes(raw)
        rounds = []
        for round_ in range(args.repeat):
            rounds.append(one_round(round_, mails, folder, server, small, pg, work, taskset, args.probe))
            print(f"round {round_ + 1} of {args.repeat} done", file=sys.stderr, flush=True)
        print()
        print(f"what the SQLite run stored: {outcomes(work / 'sqlite-0.db')}")
        report(rounds, args.n, args.small)
    finally:
        for running in servers:
            if isinstance(running, dv.Dovecot):
                running.cleanup()
            else:
                running.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
