#!/usr/bin/env python3
"""How well the extractor generalises: grouped cross-validation over the labelled corpora.

    python bench/quality.py [--corpus ../shared/corpus/dev ../shared/corpus/train] [--score ../shared/eval/score.py]

Each author group (the file prefix k r s u m n; dev is its own group) is left out in turn: a model
is fitted on all the other groups exactly as `python -m parsers.fit` fits the shipped one
(calibration included, on held-out groups inside the training groups), the left-out group is
read with it, and ../shared/eval/score.py scores what came out. Prints per group and overall:
field accuracy, classification, events found, spurious events, kind accuracy, and calibration
(expected calibration error over the fields given, the share of fields at >= 0.95 and how often
those are right). No mail is ever scored by a model that saw it or its author.

`--quick` skips the inner calibration (the probabilities are then the raw scores): much faster,
for trying a change; the figures to report come without it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORE = ["title", "start", "end", "place", "online", "registration_deadline", "registration", "organizer"]
BINS = 10


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, nargs="+",
                    default=[ROOT.parent / "shared" / "corpus" / "dev", ROOT.parent / "shared" / "corpus" / "train"])
    ap.add_argument("--score", type=Path, default=ROOT.parent / "shared" / "eval" / "score.py")
    ap.add_argument("--quick", action="store_true", help="no inner calibration (faster; raw probabilities)")
    ap.add_argument("--C", type=float, default=None, help="regularisation (default: the fit command's)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a fitting setting other than the fit command's (see parsers.fit.DEFAULTS), e.g. kind_threshold=0.4")
    ap.add_argument("--keep", type=Path, help="write the held-out predictions (JSON Lines) here")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every wrong field of the held-out groups")
    args = ap.parse_args()

    from parsers.fit import DEFAULTS, Fitter, judged_fields, load_cases, load_judge
    from parsers.extract import build

    t0 = time.perf_counter()
    judge = load_judge(args.score)
    cases = load_cases(args.corpus)
    read_s = time.perf_counter() - t0
    settings = {"C": args.C if args.C is not None else DEFAULTS["C"]}
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in DEFAULTS:
            ap.error(f"--set {item}: no such setting; there are {', '.join(DEFAULTS)}")
        settings[name] = float(value)
    fitter = Fitter(judge, **settings)
    groups = sorted({c.group for c in cases})
    rows: dict[str, list[str]] = {}
    judged: dict[str, list[tuple[str, float, int]]] = {}
    for g in groups:
        train = [c for c in cases if c.group != g]
        model = fitter.fit(train, calibrate=not args.quick)
        rows[g] = []
        judged[g] = []
        for case in cases:
            if case.group != g:
                continue
            rows[g].append(json.dumps(build(case.reading, model).to_json(source=str(case.path)), ensure_ascii=False))
            judged[g].extend(judged_fields(judge, case, model))
    fit_s = time.perf_counter() - t0 - read_s

    print(f"leave-one-group-out over {len(cases)} cases in {len(groups)} groups ({', '.join(groups)}); "
          f"{'quick: no calibration' if args.quick else 'calibrated as shipped'}; "
          f"{', '.join(f'{k}={v:g}' for k, v in {**DEFAULTS, **settings}.items())}")
    print(f"{'group':8s} {'cases':>5s} {'events':>6s} {'field':>6s} {'class':>6s} {'found':>6s} {'spur':>5s} {'kind':>6s}"
          f" {'ECE':>6s} {'>=.95':>6s} {'right':>6s}")
    all_rows = [r for g in groups for r in rows[g]]
    if args.keep:
        args.keep.write_text("\n".join(all_rows) + "\n", encoding="utf-8")
    for g in groups + ["overall"]:
        members = [c for c in cases if g == "overall" or c.group == g]
        lines = all_rows if g == "overall" else rows[g]
        fields = [x for grp in groups for x in judged[grp]] if g == "overall" else judged[g]
        result = _score(args.score, members, lines, verbose=args.verbose and g != "overall")
        ece, share, right = calibration([x for x in fields if x[0] in CORE])
        print(f"{g:8s} {len(members):5d} {result['events']:6d} {result['field_accuracy']:6.3f} {result['classification']:6.3f} "
              f"{result['events_found']:6.3f} {result['spurious']:5d} {result['kind']:>6s} {ece:6.3f} {share:6.1%} {right:6.1%}")
        if args.verbose and g != "overall" and result["wrong"]:
            print("\n".join("    " + w for w in result["wrong"]))
    print(f"(calibration over the core fields given in held-out events, spurious events' fields counted wrong; "
          f"read {read_s:.0f} s, fitted and scored {fit_s:.0f} s)")
    return 0


def _score(score: Path, members: list, lines: list[str], *, verbose: bool) -> dict:
    with tempfile.TemporaryDirectory() as d:
        for case in members:
            for p in (case.path, case.path.with_suffix(".json")):
                os.symlink(p.resolve(), Path(d) / p.name)
        pred = Path(d) / "predictions.jsonl.txt"
        pred.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = subprocess.run([sys.executable, str(score), d, "--predictions", str(pred)] + (["-v"] if verbose else []),
                             capture_output=True, text=True, check=True).stdout
    m = re.search(r"score: field_accuracy=([\d.]+) classification=([\d.]+) events_found=([\d.]+) spurious=(\d+)", out)
    events = re.search(r"true events (\d+)", out)
    kind = re.search(r"kind\s+(\d+)/(\d+)", out)
    wrong = [ln for ln in out.splitlines() if ".eml:" in ln] if verbose else []
    return {"field_accuracy": float(m.group(1)), "classification": float(m.group(2)), "events_found": float(m.group(3)),
            "spurious": int(m.group(4)), "events": int(events.group(1)) if events else 0,
            "kind": f"{int(kind.group(1)) / int(kind.group(2)):.3f}" if kind and int(kind.group(2)) else "-", "wrong": wrong}


def calibration(fields: list[tuple[str, float, int]]) -> tuple[float, float, float]:
    """(expected calibration error over ten equal bins, share of fields at >= 0.95, accuracy of those)."""
    if not fields:
        return 0.0, 0.0, 0.0
    bins: list[list[tuple[float, int]]] = [[] for _ in range(BINS)]
    for _, p, r in fields:
        bins[min(int(p * BINS), BINS - 1)].append((p, r))
    ece = sum(abs(sum(p for p, _ in b) / len(b) - sum(r for _, r in b) / len(b)) * len(b) for b in bins if b) / len(fields)
    high = [r for _, p, r in fields if p >= 0.95]
    return ece, len(high) / len(fields), (sum(high) / len(high)) if high else 0.0


if __name__ == "__main__":
    sys.exit(main())
