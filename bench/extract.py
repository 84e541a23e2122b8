#!/usr/bin/env python3
"""Extraction speed, start-up cost, and whether confidence means something (on mails the model was fitted on:
the held-out figures are bench/quality.py's).

    python bench/extract.py [--corpus ../shared/corpus/dev] [--score ../shared/eval/score.py] [--rounds 20]

Prints figures; asserts nothing. Runs on one core (this process only).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUCKETS = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.85), (0.85, 0.95), (0.95, 1.01)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "dev")
    ap.add_argument("--score", type=Path, default=ROOT.parent / "shared" / "eval" / "score.py")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    t0 = time.perf_counter()
    import parsers
    from kontakt.warmup import load_extractor

    load_extractor()  # as `kontakt run` and `kontakt extract` do (the model file included)
    load = time.perf_counter() - t0
    from parsers.candidates import clear_caches
    from parsers.scoring import MODEL_PATH, read_model

    t1 = time.perf_counter()
    read_model(MODEL_PATH)  # what the model file itself costs: reading and building the scorers
    model_load = time.perf_counter() - t1
    t2 = time.perf_counter()
    import dateparser  # noqa: F401  (loaded only for relative dates; counted here as the worst case)  # pyflakes: ignore
    dateparser_load = time.perf_counter() - t2

    mails = [(p, p.read_bytes()) for p in sorted(args.corpus.glob("*.eml"))]
    first = time.perf_counter()
    results = {p.name: parsers.extract(raw) for p, raw in mails}
    first_pass = time.perf_counter() - first
    elapsed = 0.0
    for _ in range(args.rounds):
        clear_caches()  # each round reads the mails as new ones: nothing remembered from the round before
        start = time.perf_counter()
        for _, raw in mails:
            parsers.extract(raw)
        elapsed += time.perf_counter() - start
    n = len(mails) * args.rounds
    print(f"corpus: {args.corpus} ({len(mails)} messages), {args.rounds} rounds, one core, caches cleared each round")
    print(f"load time (imports, spaCy pipeline, model file, heap frozen): {load:.2f} s; "
          f"of it the model file {model_load * 1000:.0f} ms; dateparser on first use {dateparser_load:.2f} s")
    print(f"first pass: {len(mails) / first_pass:.0f} messages/s")
    print(f"extraction: {n / elapsed:.0f} messages/s ({elapsed / n * 1000:.1f} ms/message)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    if not args.score.exists():
        print(f"(no {args.score}: accuracy by confidence skipped)")
        return
    spec = importlib.util.spec_from_file_location("score", args.score)
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)  # type: ignore[union-attr]
    table: dict[tuple[float, float], list[int]] = defaultdict(lambda: [0, 0])
    for path, _ in mails:
        truth = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        predicted = [e.to_dict() for e in results[path.name].events]
        for t, p in score.match_events(truth.get("events", []), predicted):
            if p is None:
                continue
            for name in score.CORE:
                if p.get(name) in (None, False) and name not in p["confidence"]:
                    continue
                c = p["confidence"].get(name, 0.0)
                bucket = next(b for b in BUCKETS if b[0] <= c < b[1])
                table[bucket][0] += score.field_ok(name, t, p)
                table[bucket][1] += 1
    print("\naccuracy by confidence (non-empty predicted fields of matched events):")
    print("  confidence    fields  right  accuracy")
    for bucket in BUCKETS:
        right, total = table[bucket]
        acc = f"{right / total:6.1%}" if total else "     -"
        print(f"  {bucket[0]:.2f}-{min(bucket[1], 1.0):.2f}  {total:8d}  {right:5d}  {acc}")


if __name__ == "__main__":
    main()
