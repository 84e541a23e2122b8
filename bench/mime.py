#!/usr/bin/env python3
"""MIME reading: who reads what, how fast, and the slowest hostile mails.

    python bench/mime.py [--rounds 5] [--corpus DIR ...]

Prints, per corpus (../shared/corpus/dev and train, and the hostile corpus written by
../shared/corpus/make_hostile.py into a temporary folder): how many mails mail-parser
read and why the walk read the others (parsers/mime.py); the speed of read_mime as used,
of the walk alone, of mail-parser alone (MailParser.from_bytes) and of the standard
library's parse alone, and of the whole extraction (parsers.extract) for scale; then the
slowest hostile mails, read (read_mime) and extracted. Times are this process's CPU time
(the machine is shared: wall time would measure the neighbours). Asserts nothing. One core.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "corpus"


def rate(function, mails: list[bytes], rounds: int) -> str:
    start = time.process_time()
    for _ in range(rounds):
        for raw in mails:
            try:
                function(raw)
            except Exception:  # mail-parser alone raises on some hostile mail: counted as read
                pass
    elapsed = time.process_time() - start
    n = len(mails) * rounds
    return f"{n / elapsed:7.0f} mails/s ({elapsed / n * 1000:5.2f} ms/mail)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--corpus", type=Path, action="append", help="a folder of .eml files (default: dev, train, hostile)")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from mailparser import MailParser

    import parsers
    from kontakt.warmup import load_extractor
    from parsers.mime import read_mime

    load_extractor()
    temporary = tempfile.TemporaryDirectory()
    corpora = args.corpus or [SHARED / "dev", SHARED / "train", _hostile(Path(temporary.name))]
    totals: Counter[str] = Counter()
    for folder in corpora:
        files = sorted(folder.glob("*.eml"))
        mails = [p.read_bytes() for p in files]
        reasons = Counter(read_mime(raw).fallback or "mail-parser read it" for raw in mails if _readable(read_mime, raw))
        totals.update(reasons)
        print(f"\n{folder.name}: {len(mails)} mails, {sum(map(len, mails)) / 2**20:.1f} MB")
        for reason, n in reasons.most_common():
            print(f"  {n:4d}  {reason if reason == 'mail-parser read it' else 'walk: ' + reason}")
        print(f"  read_mime as used   {rate(read_mime, mails, args.rounds)}")
        print(f"  the walk alone      {rate(lambda raw: read_mime(raw, use_mailparser=False), mails, args.rounds)}")
        print(f"  mail-parser alone   {rate(MailParser.from_bytes, mails, args.rounds)}")
        print(f"  stdlib parse alone  {rate(lambda raw: email.message_from_bytes(raw, policy=email.policy.compat32), mails, args.rounds)}")
        print(f"  parsers.extract     {rate(parsers.extract, mails, args.rounds)}")
    print("\nall corpora:")
    for reason, n in totals.most_common():
        print(f"  {n:4d}  {reason}")

    hostile = corpora[-1]
    timings = []
    for path in sorted(hostile.glob("*.eml")):
        raw = path.read_bytes()
        t0 = time.process_time()
        _readable(read_mime, raw)
        t1 = time.process_time()
        _readable(parsers.extract, raw)
        timings.append((time.process_time() - t1, t1 - t0, path.name))
    print(f"\nslowest in {hostile.name} (extract, of which read_mime):")
    for extract_s, mime_s, name in sorted(timings, reverse=True)[:10]:
        print(f"  {extract_s:6.3f} s  {mime_s:6.3f} s  {name}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    temporary.cleanup()


def _readable(function, raw: bytes) -> bool:
    try:
        function(raw)
    except Exception:  # ParseError (the empty mail): read, and refused
        return False
    return True


def _hostile(folder: Path) -> Path:
    out = folder / "hostile"
    subprocess.run([sys.executable, str(SHARED / "make_hostile.py"), "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return out


if __name__ == "__main__":
    main()
