"""Fit the extractor's model on labelled corpora and write the model file.

    python -m parsers.fit ../shared/corpus/dev ../shared/corpus/train [--out parsers/model/extractor.json]

Needs scikit-learn (`pip install -e '.[fit]'`); the extractor itself never imports it. What is
"right" for each field is what ../shared/eval/score.py says (`--score`), so the model learns
the judge's definition: title similarity, place word cover, organiser word sets, alternatives.

Every decision is a logistic regression over the named features of parsers/candidates.py and
parsers/decide.py, fitted in order: the event dates first, then each field for the events the
date model finds (so the fields are fitted on the events the extractor will really see), then
the kind of mail. Confidences are calibrated on held-out folds: the mails of each author group
(the file prefix; a corpus without prefixes is one group) are read by a model fitted on the other
groups, and an isotonic map from the scorer's probability to how often such choices were right
is fitted on those held-out choices.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

from parsers.decide import (Group, Row, choose, corrected, deadline_rows, years_away, end_rows, field_rows, group_events, mail_evidence_feats,
                            online_feats, start_rows)
from parsers.classify import machine_kind
from parsers.extract import Reading, build, read
from parsers.scoring import MODEL_PATH, Linear, Model

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCORE = ROOT.parent / "shared" / "eval" / "score.py"
FIELDS = ("start", "end", "title", "place", "registration_deadline", "registration", "organizer", "audience", "online")
CALIBRATED = FIELDS
NON_EVENT_KINDS = ("auto_reply", "bounce", "newsletter", "question", "cancellation", "other")
# kind_threshold: a mail is read as an event when the kind model gives it even odds or better. Mail set aside is
# listed in the desk (a reviewer can still make it an event), so a wrong call costs one decision either way
DEFAULTS = {"C": 0.3, "mention_threshold": 0.5, "kind_threshold": 0.5, "mention_low": 0.15, "C_kind": 1.0, "C_mention": 0.3, "C_field": 3.0}


@dataclass
class Case:
    path: Path
    group: str
    truth: dict
    reading: Reading


def group_of(path: Path) -> str:
    """The author group: the file's letter prefix ("k-001-…" -> "k"), else its corpus folder's name."""
    stem = path.stem
    head = stem.split("-", 1)[0]
    return head if head.isalpha() and len(head) <= 3 else path.parent.name


def load_cases(dirs: list[Path], tz: str = "Europe/Copenhagen") -> list[Case]:
    cases = []
    for d in dirs:
        for eml in sorted(Path(d).glob("*.eml")):
            truth_path = eml.with_suffix(".json")
            if not truth_path.exists():
                continue
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            cases.append(Case(eml, group_of(eml), truth, read(eml.read_bytes(), tz=tz, candidates=True)))
    return cases


def load_judge(path: Path = DEFAULT_SCORE) -> ModuleType:
    """score.py, whose field_ok and match_events say what is right."""
    if not Path(path).exists():
        raise SystemExit(f"fit: the scorer {path} is not there (give --score PATH)")
    spec = importlib.util.spec_from_file_location("kontakt_judge", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


# ------------------------------------------------------------------ labels


def _day(value: str | None) -> str | None:
    return value[:10] if value else None


def mention_labels(case: Case) -> list[int]:
    a = case.reading.analysis
    spans = []
    if case.truth.get("is_event_submission"):
        for t in case.truth.get("events", []):
            s, e = _day(t.get("start")), _day(t.get("end")) or _day(t.get("start"))
            if s:
                spans.append((s, max(s, e or s)))
    return [int(any(s <= m.first.isoformat() <= e for s, e in spans)) for m in a.mentions]


def match_groups(case: Case, groups: list[Group]) -> list[dict | None]:
    """The true event each predicted group stands for (by its day), or None."""
    truths = case.truth.get("events", []) if case.truth.get("is_event_submission") else []
    taken: set[int] = set()
    out: list[dict | None] = []
    for g in groups:
        best = None
        for i, t in enumerate(truths):
            if i in taken:
                continue
            s, e = _day(t.get("start")), _day(t.get("end")) or _day(t.get("start"))
            if s and s <= g.first.isoformat() <= max(s, e or s):
                best = i
                if s == g.first.isoformat():
                    break
        if best is not None:
            taken.add(best)
            out.append(truths[best])
        else:
            out.append(None)
    return out


def _right(judge: ModuleType, name: str, truth: dict, value: object, start: str | None = None) -> int:
    if name == "start":
        t = truth.get("start")
        if value is None:
            return 0
        if t and len(t) == 10:  # a day without a time: only "no time" is right (all_day follows from it)
            alts = [x for x in truth.get("start_alt", []) if x and len(x) > 10]
            return int(len(str(value)) == 10 and str(value) == t or any(str(value) == x for x in alts))
        return int(judge.field_ok("start", truth, {"start": value}))
    if name == "end":
        return int(judge.field_ok("end", truth, {"end": value, "start": start}))
    if name == "online":
        return int(bool(truth.get("online")) == bool(value))
    return int(judge.field_ok(name, truth, {name: value}))


# ------------------------------------------------------------------ fitting


class Fitter:
    def __init__(self, judge: ModuleType, C: float = DEFAULTS["C"], mention_threshold: float = DEFAULTS["mention_threshold"],
                 kind_threshold: float = DEFAULTS["kind_threshold"], mention_low: float = DEFAULTS["mention_low"],
                 C_kind: float = DEFAULTS["C_kind"], C_mention: float = DEFAULTS["C_mention"],
                 C_field: float = DEFAULTS["C_field"]) -> None:
        self.judge = judge
        self.C = C
        self.mention_threshold = mention_threshold
        self.kind_threshold = kind_threshold
        self.mention_low = mention_low
        self.C_kind = C_kind
        self.C_mention = C_mention
        self.C_field = C_field

    def _lr(self, X: list[dict[str, float]], y: list[int], C: float | None = None, weight: str | None = None) -> Linear:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        if not X or len(set(y)) < 2:
            rate = (sum(y) + 1) / (len(y) + 2)
            import math
            return Linear(math.log(rate / (1 - rate)), {})
        vec = DictVectorizer(sparse=True)
        M = vec.fit_transform(X).tocsr()
        M.indices = M.indices.astype("int32")  # liblinear takes 32-bit indices only
        M.indptr = M.indptr.astype("int32")
        lr = LogisticRegression(C=C or self.C, max_iter=5000, solver="liblinear", class_weight=weight, random_state=0)
        lr.fit(M, y)
        names = vec.get_feature_names_out()
        return Linear(float(lr.intercept_[0]), {str(n): float(w) for n, w in zip(names, lr.coef_[0]) if abs(w) > 1e-6})

    def _softmax(self, sets: list[tuple[list[dict[str, float]], list[int]]], C: float | None = None) -> Linear:
        """A conditional logit: per set of candidates, the right ones should outscore the rest.

        Maximises sum over sets of log(sum of exp(score) over the right candidates / over all), minus
        |w|^2 / 2C; sets with no right candidate teach nothing and are left out."""
        import numpy as np
        from scipy.optimize import minimize
        from sklearn.feature_extraction import DictVectorizer

        sets = [(X, y) for X, y in sets if any(y) and len(X) > 1]
        if not sets:
            return Linear(0.0, {}, softmax=True)
        rows = [f for X, _ in sets for f in X]
        right = np.array([r for _, y in sets for r in y], dtype=float)
        starts = np.cumsum([0] + [len(X) for X, _ in sets[:-1]])
        vec = DictVectorizer(sparse=True)
        M = vec.fit_transform(rows).tocsr()
        lam = 1.0 / (C or self.C_field)
        sizes = np.diff(np.append(starts, len(rows)))
        owner = np.repeat(np.arange(len(sets)), sizes)

        def loss(w):
            z = M @ w
            top = np.maximum.reduceat(z, starts)
            e = np.exp(z - top[owner])
            all_sum = np.add.reduceat(e, starts)
            right_sum = np.add.reduceat(e * right, starts)
            value = float(np.sum(np.log(all_sum) - np.log(right_sum))) + 0.5 * lam * float(w @ w)
            p = e / all_sum[owner]
            q = e * right / right_sum[owner]
            grad = M.T @ (p - q) + lam * w
            return value, grad

        result = minimize(loss, np.zeros(M.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500})
        names = vec.get_feature_names_out()
        return Linear(0.0, {str(n): float(w) for n, w in zip(names, result.x) if abs(w) > 1e-6}, softmax=True)


    def _multinomial(self, X: list[dict[str, float]], y: list[str]) -> dict[str, Linear]:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        classes = sorted(set(y))
        if len(classes) < 2:
            return {c: Linear(0.0, {}) for c in classes}
        vec = DictVectorizer(sparse=True)
        M = vec.fit_transform(X).tocsr()
        lr = LogisticRegression(C=self.C_kind, max_iter=5000)
        lr.fit(M, y)
        names = vec.get_feature_names_out()
        out = {}
        if len(lr.classes_) == 2:  # scikit-learn fits one logit for two classes: the first class scores zero
            out[str(lr.classes_[0])] = Linear(0.0, {})
            out[str(lr.classes_[1])] = Linear(float(lr.intercept_[0]),
                                              {str(n): float(w) for n, w in zip(names, lr.coef_[0]) if abs(w) > 1e-6})
            return out
        for k, cls in enumerate(lr.classes_):
            out[str(cls)] = Linear(float(lr.intercept_[k]), {str(n): float(w) for n, w in zip(names, lr.coef_[k]) if abs(w) > 1e-6})
        return out

    def fit_core(self, cases: list[Case]) -> Model:
        """One model on these cases, without calibration."""
        model = Model(scorers={}, kinds={}, thresholds={"mention": self.mention_threshold, "kind_event": self.kind_threshold,
                                                       "mention_low": self.mention_low},
                      meta={})
        X, y = [], []
        for case in cases:
            labels = mention_labels(case)
            for m, lab in zip(case.reading.analysis.mentions, labels):
                X.append(m.feats)
                y.append(lab)
        model.scorers["mention"] = self._lr(X, y, C=self.C_mention)
        mention = model.scorers["mention"]
        # the events the date model finds, each with the true event it stands for
        worked = []
        for case in cases:
            a = case.reading.analysis
            probs = corrected(a, years_away(a, [mention.prob(m.feats) for m in a.mentions]))
            groups = group_events(a, probs, self.mention_threshold)
            worked.append((case, a, probs, groups, match_groups(case, groups)))
        rows: dict[str, tuple[list, list]] = {name: ([], []) for name in FIELDS}
        sets: dict[str, list[tuple[list, list]]] = {name: [] for name in FIELDS}

        def collect(name: str, rs: list[Row], truth: dict, start: str | None = None) -> None:
            sets[name].append(([r.all_feats for r in rs], [_right(self.judge, name, truth, r.value, start) for r in rs]))

        for case, a, probs, groups, truths in worked:
            for gi, t in enumerate(truths):
                if t is None:
                    continue
                collect("start", start_rows(a, groups, gi), t)
                for name in ("title", "place", "registration", "organizer", "audience"):
                    collect(name, field_rows(a, groups, gi, name), t)
                collect("registration_deadline", deadline_rows(a, groups, gi), t)
        model.scorers["start"] = self._softmax(sets["start"])
        model.scorers["place"] = self._softmax(sets["place"])
        for case, a, probs, groups, truths in worked:
            for gi, t in enumerate(truths):
                if t is None:
                    continue
                srows = start_rows(a, groups, gi)
                gold = next((r for r in srows if _right(self.judge, "start", t, r.value)), None)
                start = gold or choose(srows, model.scorers["start"])[0]
                collect("end", end_rows(a, groups, gi, start), t, start.value)
                place, _ = choose(field_rows(a, groups, gi, "place"), model.scorers["place"])
                rows["online"][0].append(online_feats(a, groups, gi, place.value, place.line))
                rows["online"][1].append(int(bool(t.get("online"))))
        for name in FIELDS:
            if name not in model.scorers:
                model.scorers[name] = self._lr(*rows[name], C=self.C_field) if name == "online" else self._softmax(sets[name])
        # the kind of mail: one multinomial model over the kinds people's mail has ("event" among them). Its inputs
        # include what the date model says about the mail, taken from a date model fitted without the mail's author
        # group: the in-sample date model is surer of its training mails than of new mail, and the kind model would
        # learn to trust it too much
        held = self._held_out_mentions(cases)
        X, y = [], []
        for case, a, probs, groups, truths in worked:
            if id(case) in held:
                probs = corrected(a, years_away(a, held[id(case)]))
                groups = group_events(a, probs, self.mention_threshold)
            mime = case.reading.mime
            if machine_kind(a.headers, mime.subject, mime.sender) is not None:
                continue  # the headers decide these; the model learns the mail people write
            kind = case.truth.get("kind") or ("event" if case.truth.get("is_event_submission") else None)
            if kind is None:
                continue  # a non-event whose kind the truth does not say
            X.append({**a.mail_feats, **mail_evidence_feats(a, probs, groups)})
            y.append(kind)
        model.kinds = self._multinomial(X, y)
        return model

    def _held_out_mentions(self, cases: list[Case]) -> dict[int, list[float]]:
        """Each case's date probabilities from a date model fitted on the other author groups (empty with one group)."""
        groups = sorted({c.group for c in cases})
        out: dict[int, list[float]] = {}
        if len(groups) < 2:
            return out
        for g in groups:
            X, y = [], []
            for case in cases:
                if case.group != g:
                    for m, lab in zip(case.reading.analysis.mentions, mention_labels(case)):
                        X.append(m.feats)
                        y.append(lab)
            scorer = self._lr(X, y, C=self.C_mention)
            for case in cases:
                if case.group == g:
                    out[id(case)] = [scorer.prob(m.feats) for m in case.reading.analysis.mentions]
        return out

    def held_out(self, cases: list[Case]) -> list[tuple[str, float, int]]:
        """(field, raw probability, right) for every field given, each mail read by a model fitted without its group."""
        out = []
        for group in sorted({c.group for c in cases}):
            train = [c for c in cases if c.group != group]
            test = [c for c in cases if c.group == group]
            if not train or not test:
                continue
            model = self.fit_core(train)
            for case in test:
                out.extend(judged_fields(self.judge, case, model))
        return out

    def fit(self, cases: list[Case], *, calibrate: bool = True) -> Model:
        model = self.fit_core(cases)
        if calibrate and len({c.group for c in cases}) > 1:
            held = self.held_out(cases)
            for name in CALIBRATED:
                pairs = [(p, r) for f, p, r in held if f == name]
                if len(pairs) >= 10:
                    model.scorers[name].calibration = isotonic(pairs)
        model.meta = {"fitted": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "cases": len(cases), "groups": sorted({c.group for c in cases}), "C": self.C}
        return model


def judged_fields(judge: ModuleType, case: Case, model: Model) -> list[tuple[str, float, int]]:
    """Each field the model gives for the case's mail: its confidence and whether the judge calls it right.
    A field of an event that matches no true event is wrong."""
    parsed = build(case.reading, model)
    truth_events = case.truth.get("events", []) if case.truth.get("is_event_submission") else []
    predicted = [e.to_dict() for e in parsed.events]
    pairs = judge.match_events(truth_events, predicted)
    matched = {id(p) for _, p in pairs if p is not None}
    out = []
    for t, p in pairs:
        if p is None:
            continue
        for name in FIELDS:
            if name in p["confidence"]:
                out.append((name, p["confidence"][name], int(judge.field_ok(name, t, p))))
    for p in predicted:
        if id(p) not in matched:
            out.extend((name, c, 0) for name, c in p["confidence"].items() if name in FIELDS)
    return out


def isotonic(pairs: list[tuple[float, int]]) -> tuple[list[float], list[float]]:
    """Pool-adjacent-violators on (probability, right), each block's rate smoothed by one right and one wrong
    (a block of three right answers is not certainty); returns the block edges and rates for interpolation."""
    pairs = sorted(pairs)
    blocks: list[list[float]] = []  # [sum right, count, min p, max p]
    for p, r in pairs:
        blocks.append([float(r), 1.0, p, p])
        while len(blocks) >= 2 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            s, n, lo, hi = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += n
            blocks[-1][3] = hi
    xs, ys = [], []
    for s, n, lo, hi in blocks:
        rate = (s + 1) / (n + 2)
        if ys and rate < ys[-1]:
            rate = ys[-1]
        xs.extend([lo, hi] if hi > lo else [lo])
        ys.extend([rate, rate] if hi > lo else [rate])
    return xs, ys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m parsers.fit", description=__doc__.split("\n\n")[0])
    ap.add_argument("corpora", nargs="+", type=Path, help="folders of .eml + .json cases (../shared/corpus/FORMAT.md)")
    ap.add_argument("--out", type=Path, default=MODEL_PATH, help=f"where to write the model (default {MODEL_PATH})")
    ap.add_argument("--score", type=Path, default=DEFAULT_SCORE, help="the judge: score.py")
    ap.add_argument("--C", type=float, default=DEFAULTS["C"], help="inverse regularisation strength")
    ap.add_argument("--no-calibration", action="store_true", help="skip the held-out calibration (faster)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    judge = load_judge(args.score)
    cases = load_cases(args.corpora)
    if not cases:
        raise SystemExit("fit: no cases (.eml with a .json beside it) in " + ", ".join(map(str, args.corpora)))
    model = Fitter(judge, C=args.C).fit(cases, calibrate=not args.no_calibration)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"fit: {len(cases)} cases in {len(model.meta.get('groups', []))} groups -> {args.out} "
          f"({args.out.stat().st_size // 1024} KB, {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
