"""The fitted model, scored in plain Python: no scikit-learn at run time.

`parsers/model/extractor.json` is written by `python -m parsers.fit` (see parsers/fit.py). It holds,
per decision (each field, the event dates, the kind of mail), a logistic regression's weights over
named features and an isotonic calibration table fitted on held-out folds, so that a probability
shown as 0.9 is right about nine times in ten. Loading it costs a few milliseconds.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from parsers.candidates import FEATURE_VERSION

MODEL_PATH = Path(__file__).parent / "model" / "extractor.json"


class ModelError(Exception):
    """The model file is missing, unreadable or fitted for other features."""


@dataclass
class Linear:
    """A linear score over named features: a logistic regression (`softmax` False: each candidate on its own), or a
    conditional logit (`softmax` True: the candidates of one decision compete, and their probabilities sum to one)."""

    bias: float
    weights: dict[str, float]
    calibration: tuple[list[float], list[float]] | None = None
    softmax: bool = False

    def choose(self, candidates: list[dict[str, float]]) -> tuple[int, float]:
        """The best of the candidates, and the probability that it is the right one (not calibrated)."""
        logits = [self.logit(f) for f in candidates]
        best = max(range(len(logits)), key=logits.__getitem__)
        if not self.softmax:
            return best, sigmoid(logits[best])
        top = logits[best]
        return best, 1.0 / sum(math.exp(z - top) for z in logits)

    def row_logit(self, row, cache: dict[int, float]) -> float:
        """A row's score: its candidate's own features scored once per mail (`cache`), where it stands per event."""
        w = self.weights
        z = self.bias + sum(w.get(k, 0.0) * v for k, v in row.feats.items())
        if row.base:
            key = id(row.base)
            if key not in cache:
                cache[key] = sum(w.get(k, 0.0) * v for k, v in row.base.items())
            z += cache[key]
        return z

    def choose_rows(self, rows: list, cache: dict[int, float]) -> tuple[int, float]:
        """The best row (rows have .feats and .base) and the probability that it is the right one. `cache` holds the
        candidates' own scores for one mail: make a new one per mail and per scorer."""
        logits = [self.row_logit(r, cache) for r in rows]
        best = max(range(len(logits)), key=logits.__getitem__)
        if not self.softmax:
            return best, sigmoid(logits[best])
        top = logits[best]
        return best, 1.0 / sum(math.exp(z - top) for z in logits)

    def prob_of(self, rows: list, row, cache: dict[int, float]) -> float:
        """The probability the scorer gives one of the rows, not necessarily its best."""
        z = self.row_logit(row, cache)
        if not self.softmax:
            return sigmoid(z)
        return 1.0 / sum(math.exp(self.row_logit(r, cache) - z) for r in rows)

    def logit(self, feats: dict[str, float]) -> float:
        w = self.weights
        return self.bias + sum(w.get(k, 0.0) * v for k, v in feats.items())

    def prob(self, feats: dict[str, float]) -> float:
        return sigmoid(self.logit(feats))

    def calibrated(self, p: float) -> float:
        """The held-out accuracy of choices scored p (isotonic, interpolated); p itself when not calibrated."""
        if not self.calibration:
            return p
        xs, ys = self.calibration
        if not xs:
            return p
        if p <= xs[0]:
            return ys[0]
        if p >= xs[-1]:
            return ys[-1]
        i = bisect_right(xs, p)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (p - x0) / (x1 - x0)

    @classmethod
    def from_json(cls, data: dict) -> "Linear":
        cal = data.get("calibration")
        return cls(float(data["bias"]), {k: float(v) for k, v in data["weights"].items()},
                   (list(cal[0]), list(cal[1])) if cal else None, bool(data.get("softmax", False)))

    def to_json(self) -> dict:
        return {"bias": round(self.bias, 5), "softmax": self.softmax, "weights": {k: round(v, 5) for k, v in sorted(self.weights.items()) if abs(v) >= 1e-5},
                "calibration": [[round(x, 5) for x in self.calibration[0]], [round(y, 5) for y in self.calibration[1]]]
                if self.calibration else None}


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@dataclass
class Model:
    scorers: dict[str, Linear]
    kinds: dict[str, Linear]  # one-vs-rest scores of the kinds a non-event mail can be
    thresholds: dict[str, float]
    meta: dict

    def scorer(self, name: str) -> Linear:
        return self.scorers[name]

    def kind_probs(self, feats: dict[str, float]) -> dict[str, float]:
        """The non-event kinds, softmax over the one-vs-rest logits."""
        logits = {k: s.logit(feats) for k, s in self.kinds.items()}
        top = max(logits.values(), default=0.0)
        exp = {k: math.exp(v - top) for k, v in logits.items()}
        total = sum(exp.values()) or 1.0
        return {k: v / total for k, v in exp.items()}

    @classmethod
    def from_json(cls, data: dict) -> "Model":
        if data.get("feature_version") != FEATURE_VERSION:
            raise ModelError(f"the model was fitted for features version {data.get('feature_version')}, "
                             f"the extractor makes version {FEATURE_VERSION}: run python -m parsers.fit")
        return cls({k: Linear.from_json(v) for k, v in data["scorers"].items()},
                   {k: Linear.from_json(v) for k, v in data.get("kinds", {}).items()},
                   {k: float(v) for k, v in data.get("thresholds", {}).items()}, data.get("meta", {}))

    def to_json(self) -> dict:
        return {"feature_version": FEATURE_VERSION, "meta": self.meta,
                "thresholds": {k: round(v, 4) for k, v in self.thresholds.items()},
                "scorers": {k: v.to_json() for k, v in sorted(self.scorers.items())},
                "kinds": {k: v.to_json() for k, v in sorted(self.kinds.items())}}


def read_model(path: Path) -> Model:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"the model file {path} could not be read: {exc}") from exc
    return Model.from_json(data)


@lru_cache(maxsize=1)
def load_model() -> Model:
    """The model shipped in the package (cached: read once per process)."""
    return read_model(MODEL_PATH)
