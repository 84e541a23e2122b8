"""From candidates to events: the fitted scorer picks.

1. Each date in the mail is scored as an event's day (or not: a deadline, a holiday in a
   signature, the quoted call's dates). The days kept are grouped into events: one per day,
   except that each table row or list item is an event of its own; a span of days is one event.
2. Each event gets a scope in the layout (its table row, its section between headings, what is
   shared by all), and every candidate of every field is described by where it stands relative
   to that event. The field's scorer gives each candidate, and "none", a probability of being
   right; the best is chosen and its probability, calibrated on held-out folds, is the confidence.

The same functions make the rows the fit learns from (parsers/fit.py), so what is fitted is
exactly what is scored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from parsers import danish_time as dt
from parsers.candidates import (HYBRID, MAILTEXT, ONLINE_WORD, PLATFORM, POSTCODE_TOWN, STREET, Analysis, Cand, _bin,
                                has_cue)
from parsers.scoring import Model

MAX_EVENTS = 20
REPEAT = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in MAILTEXT["repeat_cues"]) + r")\b", re.IGNORECASE)


@dataclass
class Group:
    mentions: list[int]  # indices into Analysis.mentions
    first: date
    last: date | None
    anchor: int  # the line of the best mention (-1: none with a line)
    anchors: set[int] = field(default_factory=set)
    seg: tuple[int, int] = (-1, -1)  # line range (inclusive) of the event's own section
    score: float = 0.0
    calendar: int = -1


@dataclass
class Row:
    """One candidate for one field of one event: what it would give, and its features — those of where it stands
    for this event (`feats`) and, apart, the candidate's own (`base`, the same dict for every event, so that its
    part of the score is computed once per mail)."""

    value: object
    evidence: str
    origin: str
    feats: dict[str, float]
    line: int = -1
    extra: object = None  # times: (start, end) minutes
    base: dict[str, float] | None = None

    @property
    def all_feats(self) -> dict[str, float]:
        return {**self.base, **self.feats} if self.base else self.feats

    def get(self, name: str) -> float:
        return self.feats.get(name) or (self.base.get(name, 0.0) if self.base else 0.0)


# ------------------------------------------------------------------ event days


def group_events(a: Analysis, probs: list[float], threshold: float) -> list[Group]:
    """Days scored as events, grouped: a table row or list item per event, a span of days one event."""
    lines = a.layout.lines
    kept = [i for i, p in enumerate(probs) if p >= threshold]
    # calendar events stand for themselves: each VEVENT (or occurrence) is an event
    groups: list[Group] = []
    for i in sorted(kept, key=lambda i: (a.mentions[i].first, -probs[i])):
        m = a.mentions[i]
        ln = lines[m.line] if m.line >= 0 else None
        unit = _unit(ln) if ln is not None else None
        target = None
        for g in groups:
            if m.calendar >= 0 and g.calendar >= 0 and g.calendar != m.calendar:
                continue
            within = g.first <= m.first <= (g.last or g.first)
            if not within:
                continue
            if unit is not None and any(_unit(lines[a.mentions[j].line]) not in (None, unit)
                                        for j in g.mentions if a.mentions[j].line >= 0 and _unit(lines[a.mentions[j].line]) is not None):
                continue  # another row of the same table, another list item: another event
            target = g
            break
        if target is None:
            target = Group([i], m.first, m.last, m.line, calendar=m.calendar)
            groups.append(target)
        else:
            target.mentions.append(i)
            if m.last and (target.last is None or m.last > target.last):
                target.last = m.last
            if target.calendar < 0 and m.calendar >= 0:
                target.calendar = m.calendar
    groups = _join_days(a, groups)
    for g in groups:
        best = max(g.mentions, key=lambda j: (probs[j] + (0.2 if lines[a.mentions[j].line].zone in ("own", "forward", "document")
                                                         else 0.0) if a.mentions[j].line >= 0 else probs[j]))
        g.anchor = a.mentions[best].line
        g.anchors = {a.mentions[j].line for j in g.mentions if a.mentions[j].line >= 0}
        g.score = max(probs[j] for j in g.mentions)
    groups.sort(key=lambda g: (_body_line(a, g), g.first))
    groups = groups[:MAX_EVENTS]
    _segments(a, groups)
    return groups


def _join_days(a: Analysis, groups: list[Group]) -> list[Group]:
    """A conference over two days ("Dag 1: 28. oktober kl. 9-16 / Dag 2: 29. oktober kl. 9-15") is one event: days
    that follow each other, named in the same paragraph or neighbouring lines, not in rows or items of their own,
    in a mail that does not say the event is held more than once."""
    lines = a.layout.lines
    if len(groups) < 2 or any(REPEAT.search(ln.text) for ln in lines if ln.zone in ("own", "forward", "document")):
        return groups
    body = lambda g: sorted(a.mentions[j].line for j in g.mentions if a.mentions[j].line >= 0 and  # noqa: E731
                            lines[a.mentions[j].line].zone in ("own", "forward", "quote", "document"))
    out: list[Group] = []
    for g in sorted(groups, key=lambda g: g.first):
        prev = out[-1] if out else None
        if prev is not None and g.calendar < 0 and prev.calendar < 0 and (g.first - (prev.last or prev.first)).days == 1:
            pl, gl = body(prev), body(g)
            units = {(_unit(lines[x]) or (None,))[0] for x in pl + gl}
            if pl and gl and units == {None} and (lines[pl[-1]].para == lines[gl[0]].para or 0 < gl[0] - pl[-1] <= 2):
                prev.mentions += g.mentions
                prev.last = g.last or g.first
                continue
        out.append(g)
    return out


def _unit(ln) -> tuple[str, int] | None:
    """The layout unit that holds one event: a table row, a list item."""
    if ln.cells:
        return ("row", ln.index)
    if ln.item:
        return ("item", ln.index)
    return None


def _body_line(a: Analysis, g: Group) -> int:
    body = [x for x in g.anchors if a.layout.lines[x].source == 0 and a.layout.lines[x].zone != "subject"]
    return min(body) if body else (min(g.anchors) if g.anchors else 10**9)


def _shares_paragraph(a: Analysis, groups: list[Group], g: Group, ln) -> bool:
    """Another event's date in the same paragraph: each dated line is an event of its own ("Mandag 26.10: …")."""
    return any(o is not g and any(a.layout.lines[x].para == ln.para and x != ln.index for x in o.anchors) for o in groups)


def _heading_like(ln) -> bool:
    return bool(ln.heading or ln.bold >= 0.8 or ln.caps or ln.large) and len(ln.text) < 120 and not ln.label


def _segments(a: Analysis, groups: list[Group]) -> None:
    """Each event's section of the layout: from the heading (or item, or row) that starts it to the next event's."""
    lines = a.layout.lines
    starts = []
    for g in groups:
        body = sorted(x for x in g.anchors if lines[x].zone in ("own", "forward", "quote", "document"))
        if not body:
            starts.append(None)
            continue
        first = body[0]
        ln = lines[first]
        if ln.cells or ln.item or _shares_paragraph(a, groups, g, ln):
            starts.append(first)
            continue
        s = first
        # back to the paragraph's start, and to a heading just above it
        while s > 0 and lines[s - 1].para == ln.para and lines[s - 1].source == ln.source:
            s -= 1
        k = s - 1
        while k >= 0 and k >= s - 3 and lines[k].source == ln.source and lines[k].zone == ln.zone:
            if _heading_like(lines[k]) or lines[k].alone and len(lines[k].text) < 90:
                s = k
                break
            k -= 1
        starts.append(s)
    order = sorted((s, i) for i, s in enumerate(starts) if s is not None)
    for n, (s, i) in enumerate(order):
        g = groups[i]
        anchor_line = lines[min(x for x in g.anchors if lines[x].zone in ("own", "forward", "quote", "document"))]
        if n + 1 < len(order):
            end = order[n + 1][0] - 1
        else:
            end = s
            while end + 1 < len(lines) and lines[end + 1].source == anchor_line.source and \
                    lines[end + 1].zone == anchor_line.zone:
                end += 1
            if len(order) > 1:  # the last of several: as long as the others, what follows is for all of them
                longest = max(order[k + 1][0] - order[k][0] for k in range(len(order) - 1))
                end = min(end, s + longest - 1)
        if anchor_line.cells or anchor_line.item or _shares_paragraph(a, groups, g, anchor_line):
            # a row, an item or a dated line of a list, and what hangs under it up to the next one
            end2 = s
            while end2 + 1 <= end and not lines[end2 + 1].cells and not lines[end2 + 1].item and \
                    lines[end2 + 1].para == lines[s].para:
                end2 += 1
            end = end2 if len(order) > 1 else end
        g.seg = (s, max(s, end))


# ------------------------------------------------------------------ where a candidate stands


def scope_feats(a: Analysis, groups: list[Group], gi: int, line: int) -> dict[str, float]:
    """Where a line stands for this event; "_tag" names the scope (callers that use it pop it)."""
    g = groups[gi]
    n = len(groups)
    multi = "1" if n == 1 else ("2" if n <= 3 else "4")
    f: dict[str, float] = {}
    if line < 0:
        f["sc:no_line"] = 1.0
        f["_tag"] = "no_line"  # type: ignore[assignment]
        return f
    lines = a.layout.lines
    ln = lines[line]
    tag = None
    if line in g.anchors:
        tag = "same_line"
    elif g.calendar >= 0 and ln.zone == f"calendar:{g.calendar}":
        tag = "same_calendar"
    elif ln.zone.startswith("calendar"):
        tag = "other_calendar"
    elif g.seg[0] >= 0 and g.seg[0] <= line <= g.seg[1]:
        tag = "in_segment"
    elif any(o.seg[0] <= line <= o.seg[1] for j, o in enumerate(groups) if j != gi and o.seg[0] >= 0):
        tag = "other_segment"
    else:
        tag = "shared"
    f[f"sc:{tag}"] = 1.0
    f[f"sc:{tag}&n{multi}"] = 1.0
    f["_tag"] = tag  # type: ignore[assignment]  # read and removed by the callers that want it
    anchor = g.anchor if g.anchor >= 0 else -1
    if anchor >= 0 and lines[anchor].source == ln.source:
        d = line - anchor
        f[_bin("sc:dist", abs(d), (0, 1, 2, 4, 8, 16))] = 1.0
        f["sc:before" if d < 0 else "sc:after"] = 1.0 if d else 0.0
        if lines[anchor].para == ln.para:
            f["sc:same_para"] = 1.0
        if lines[anchor].table and lines[anchor].table == ln.table:
            f["sc:same_table"] = 1.0
    elif anchor >= 0:
        f["sc:other_source"] = 1.0
    return f


def _scope_tag(a: Analysis, groups: list[Group], gi: int, line: int) -> str:
    return str(scope_feats(a, groups, gi, line)["_tag"])


def _merge(*dicts: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for d in dicts:
        out.update(d)
    return out


def _zone_cross(feats: dict[str, float], a: Analysis) -> dict[str, float]:
    """Zone features crossed with what the mail is: in a reply that corrects, its own words win over the quote."""
    out = {}
    ctx = "reply" if a.reply else ("forward" if a.forward else "plain")
    for k in list(feats):
        if k.startswith("z:"):
            out[f"{k}&{ctx}"] = 1.0
    return out


def field_rows(a: Analysis, groups: list[Group], gi: int, name: str) -> list[Row]:
    """Every candidate of a field for one event (and "none"), with its features."""
    rows = []
    cands: list[Cand] = a.cands.get(name, [])
    in_seg = 0
    labelled = 0
    scoped = []
    for c in cands:
        sc = scope_feats(a, groups, gi, c.line)
        tag = sc.pop("_tag", "none")
        if tag in ("same_line", "in_segment", "same_calendar"):
            in_seg += 1
        if c.labelled:
            labelled += 1
        scoped.append((c, sc, tag))
    own = "own_has" if in_seg else "own_none"
    if name == "title" and len(groups) > 1 and in_seg:
        # several events: the subject names the mail, not one of them, when the event's own section has a name
        scoped = [(c, sc, tag) for c, sc, tag in scoped if not c.feats.get("z:subject")]
    g = groups[gi]
    above = sorted((c.line for c, sc, tag in scoped if 0 <= c.line <= g.anchor and tag in ("in_segment", "same_line")),
                   reverse=True)
    nearest = {line: rank for rank, line in enumerate(dict.fromkeys(above))}
    for c, sc, tag in scoped:
        # another event's section, or what all share: counts differently when this event's own section names one
        if tag in ("other_segment", "shared", "other_calendar"):
            sc[f"sc:{tag}&{own}"] = 1.0
        for k in c.srcs:
            sc[f"{k}&sc:{tag}"] = 1.0
        if c.line in nearest:
            sc[_bin("sc:rank_above", nearest[c.line], (0, 1, 2))] = 1.0
        feats = sc
        if name == "place" and a.online_words.get("hybrid"):
            # a hybrid event's place is its venue, not its platform
            for k in ("p_platform", "p_online_word", "p_postcode", "p_street", "p_venue"):
                if k in c.feats:
                    feats[f"hybrid&{k}"] = 1.0
        rows.append(Row(c.value, c.evidence, c.origin, feats, c.line, base=c.feats))
    none = {"none": 1.0, _bin("none:n", len(cands), (0, 1, 3, 8, 20)): 1.0, _bin("none:seg", in_seg, (0, 1, 3)): 1.0,
            _bin("none:labelled", labelled, (0, 1)): 1.0}
    if a.reply:
        none["none:reply"] = 1.0
    if a.calendar:
        none["none:calendar"] = 1.0
    if len(groups) > 1:
        none["none:multi"] = 1.0
    if name == "registration":
        seg = range(groups[gi].seg[0], groups[gi].seg[1] + 1) if groups[gi].seg[0] >= 0 else range(len(a.layout.lines))
        if any(has_cue(a.layout.lines[x].text, "no_registration") for x in seg):
            none["none:no_registration_words"] = 1.0
        if a.mail_feats.get("w:registration") or a.mail_feats.get("sw:registration"):
            none["none:registration_words"] = 1.0
    rows.append(Row(None, "", "", none))
    return rows


# ------------------------------------------------------------------ times


def _time_scope(a: Analysis, groups: list[Group], gi: int) -> tuple[list, bool]:
    """The times that belong to this event: its own section's; when it has none, what all events share
    (a programme given once for several dates)."""
    g = groups[gi]
    own = [t for t in a.times if t.line in g.anchors or _scope_tag(a, groups, gi, t.line) == "in_segment"]
    if own:
        return own, False
    lines = a.layout.lines
    shared = [t for t in a.times if lines[t.line].zone in ("own", "forward", "document")
              and _scope_tag(a, groups, gi, t.line) == "shared"]
    return shared, True


def _minute(d: date, hour: int, minute: int) -> str:
    return f"{d:%Y-%m-%d}T{hour:02d}:{minute:02d}"


def start_rows(a: Analysis, groups: list[Group], gi: int) -> list[Row]:
    g = groups[gi]
    rows: list[Row] = []
    lines = a.layout.lines
    if g.calendar >= 0:
        item = a.calendar[g.calendar]
        if isinstance(item.start, datetime):
            rows.append(Row(item.start.strftime("%Y-%m-%dT%H:%M"), "DTSTART", "calendar", {"cal_time": 1.0}, -1,
                            (item.start.hour * 60 + item.start.minute, item.end.hour * 60 + item.end.minute
                             if isinstance(item.end, datetime) and item.end.date() == item.start.date() else None)))
    seg_times, shared_scope = _time_scope(a, groups, gi)
    first_seg = min(((t.line, t.start) for t in seg_times), default=None)
    last_seg = max(((t.line, t.start) for t in seg_times), default=None)
    slots = [t for t in seg_times if t.feats.get("slot_time")]
    for t in a.times:
        ln = lines[t.line]
        if ln.zone not in ("own", "forward", "quote", "document", "subject") and not ln.zone.startswith("calendar"):
            if not (ln.zone == "greeting"):
                continue
        sc = scope_feats(a, groups, gi, t.line)
        if sc.pop("_tag") in ("other_segment", "other_calendar"):
            continue
        f = _merge(t.feats, sc, _zone_cross(t.feats, a))
        if t.line in g.anchors:
            near = [m for m in g.mentions if a.mentions[m].line == t.line]
            for mi in near:
                m = a.mentions[mi]
                if 0 <= t.start - m.end <= 40:
                    f["t:right_after_date"] = 1.0
                elif 0 <= m.start - t.end <= 30:
                    f["t:right_before_date"] = 1.0
        if shared_scope and t in seg_times:
            f["t:in_shared_scope"] = 1.0
        if (t.line, t.start) == first_seg:
            f["t:first_in_segment"] = 1.0
        if (t.line, t.start) == last_seg:
            f["t:last_in_segment"] = 1.0
        if slots and t is slots[0]:
            f["t:first_slot"] = 1.0
        if dt.find_dates(ln.text) and t.line not in g.anchors:
            f["t:line_has_other_date"] = 1.0
        rows.append(Row(_minute(g.first, t.hour, t.minute), ln.text[t.start:t.end], _origin(a, t.line), f, t.line,
                        (t.hour * 60 + t.minute, t.end_hour * 60 + (t.end_minute or 0) if t.end_hour is not None else None)))
    none = {"none": 1.0, _bin("none:times", len(seg_times), (0, 1, 3)): 1.0}
    if any(CUE_ALL_DAY.search(lines[x].text) for x in g.anchors):
        none["none:all_day_words"] = 1.0
    if g.last:
        none["none:range"] = 1.0
    rows.append(Row(g.first.isoformat(), "", "", none))
    return rows


CUE_ALL_DAY = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in dt.ALL_DAY_WORDS) + r"|om formiddagen|om eftermiddagen|all day)\b",
                         re.IGNORECASE)


def end_rows(a: Analysis, groups: list[Group], gi: int, start: Row) -> list[Row]:
    g = groups[gi]
    lines = a.layout.lines
    day = g.last or g.first
    # over several days, a time belongs to the day named on its line ("Dag 2: 29. oktober kl. 9-15")
    line_day = {a.mentions[j].line: (a.mentions[j].last or a.mentions[j].first) for j in g.mentions if a.mentions[j].line >= 0}
    rows: list[Row] = []
    start_min = start.extra[0] if start.extra else None
    if start.extra and start.extra[1] is not None:
        e = start.extra[1]
        rows.append(Row(_minute(line_day.get(start.line, day) if g.last else g.first, e // 60, e % 60), start.evidence,
                        start.origin, _merge({"e:range_of_start": 1.0}, {k: v for k, v in start.feats.items() if k.startswith("z:")}),
                        start.line))
    if g.calendar >= 0:
        item = a.calendar[g.calendar]
        if isinstance(item.end, datetime):
            rows.append(Row(item.end.strftime("%Y-%m-%dT%H:%M"), "DTEND", "calendar", {"cal_time": 1.0}, -1))
    seg_times, shared_scope = _time_scope(a, groups, gi)
    last_seg = max(((t.line, t.start) for t in seg_times), default=None)
    slots = [t for t in seg_times if t.feats.get("slot_time")]
    latest = max((t.end_hour * 60 + (t.end_minute or 0) if t.end_hour is not None else t.hour * 60 + t.minute for t in seg_times),
                 default=None)
    for t in a.times:
        ln = lines[t.line]
        if ln.zone not in ("own", "forward", "quote", "document", "subject"):
            continue
        sc = scope_feats(a, groups, gi, t.line)
        if sc.pop("_tag") in ("other_segment", "other_calendar"):
            continue
        for value, which in ((t.end_hour * 60 + (t.end_minute or 0) if t.end_hour is not None else None, "range_end"),
                             (t.hour * 60 + t.minute, "time")):
            if value is None or start_min is not None and value <= start_min:
                continue
            if start.line == t.line and start.extra and which == "range_end" and value == start.extra[1]:
                continue  # already offered as the start's own range
            f = _merge(t.feats, sc, {f"e:{which}": 1.0}, _zone_cross(t.feats, a))
            if (t.line, t.start) == last_seg:
                f["e:last_in_segment"] = 1.0
            if slots and t is slots[-1]:
                f["e:last_slot"] = 1.0
            if shared_scope and t in seg_times:
                f["e:in_shared_scope"] = 1.0
            if latest is not None and value == latest:
                f["e:latest_in_segment"] = 1.0
            if start.line == t.line:
                f["e:same_line_as_start"] = 1.0
            if start_min is not None:
                f[_bin("e:hours", (value - start_min) / 60, (0.5, 1, 2, 4, 8))] = 1.0
            on = line_day.get(t.line, day)
            if g.last and t.line in line_day and on == (g.last or g.first):
                f["e:on_last_day"] = 1.0
            rows.append(Row(_minute(on, value // 60, value % 60), ln.text[t.start:t.end], _origin(a, t.line), f, t.line))
    if g.last and any(r.get("e:on_last_day") for r in rows):
        # over several days the event ends when its last day does: the time given on that day's line
        rows = [r for r in rows if r.get("e:on_last_day")]
    none = {"none": 1.0, _bin("none:times", len(seg_times), (0, 1, 3)): 1.0}
    if start_min is None:
        none["none:no_start_time"] = 1.0
    if g.last:
        none["none:range"] = 1.0
        rows.append(Row(g.last.isoformat(), "", "", {"e:last_day": 1.0, **({"none:no_start_time": 1.0} if start_min is None else {})}))
    rows.append(Row(None, "", "", none))
    return rows


def _origin(a: Analysis, line: int) -> str:
    from parsers.candidates import origin_of

    return origin_of(a.layout.lines[line]) if line >= 0 else "header"


# ------------------------------------------------------------------ deadlines


def deadline_rows(a: Analysis, groups: list[Group], gi: int) -> list[Row]:
    g = groups[gi]
    rows: list[Row] = []
    lines = a.layout.lines
    own = set(g.mentions)
    scoped = []
    for i, m in enumerate(a.mentions):
        if i in own or m.line < 0 or m.calendar >= 0 or m.first > g.first:
            continue
        sc = scope_feats(a, groups, gi, m.line)
        scoped.append((i, m, sc, sc.pop("_tag")))
    own_has = "own_has" if any(t in ("same_line", "in_segment") and m.feats.get("cue:deadline") for _, m, _, t in scoped) \
        else "own_none"
    for i, m, sc, tag in scoped:
        ln = lines[m.line]
        if tag in ("other_segment", "shared"):
            sc[f"sc:{tag}&{own_has}"] = 1.0
        f = _merge({f"m:{k}": v for k, v in m.feats.items()}, sc, _zone_cross(m.feats, a))
        days = (g.first - m.first).days
        f[_bin("d:days_before", days, (0, 3, 7, 14, 30, 60))] = 1.0
        value = m.first.isoformat()
        evidence = m.text
        times = [t for t in dt.find_times(ln.text[m.end:m.end + 16]) if t.start < 8 and t.end_hour is None]
        if times:
            value = _minute(m.first, times[0].hour, times[0].minute)
            evidence = ln.text[m.start:m.end + times[0].end]
            f["d:with_time"] = 1.0
        if any(i2 in own for i2, m2 in enumerate(a.mentions) if m2.line == m.line):
            f["d:line_has_event_date"] = 1.0
        rows.append(Row(value, evidence, _origin(a, m.line), f, m.line))
    # "senest 14 dage før", "no later than the day before": counted back from the event's day
    for r in a.relative_deadlines:
        sc = scope_feats(a, groups, gi, r.line)
        if sc.pop("_tag") == "other_segment":
            continue
        day = g.first - timedelta(days=r.days)
        value = _minute(day, *r.time) if r.time else day.isoformat()
        f = _merge({f"m:{k}": v for k, v in r.feats.items()}, sc, {"d:relative": 1.0}, _zone_cross(r.feats, a))
        f[_bin("d:days_before", r.days, (0, 3, 7, 14, 30, 60))] = 1.0
        rows.append(Row(value, r.text, _origin(a, r.line), f, r.line))
    none = {"none": 1.0, _bin("none:n", len(rows), (0, 1, 3)): 1.0}
    if any(r.feats.get("m:cue:deadline") for r in rows):
        none["none:cue_somewhere"] = 1.0
    rows.append(Row(None, "", "", none))
    return rows


# ------------------------------------------------------------------ online


def online_feats(a: Analysis, groups: list[Group], gi: int, place: object, place_line: int | None = None) -> dict[str, float]:
    g = groups[gi]
    lines = a.layout.lines
    if g.seg[0] >= 0:
        seg = [lines[x] for x in range(g.seg[0], g.seg[1] + 1)]
    else:
        seg = [ln for ln in lines if ln.zone in ("own", "forward", "quote", "document") or ln.index in g.anchors]
    seg_text = "\n".join(ln.text for ln in seg)
    f = {"bias": 1.0}
    for name, pattern in (("platform", PLATFORM), ("online_word", ONLINE_WORD), ("hybrid", HYBRID)):
        if a.online_words.get(name):
            f[f"o:mail_{name}"] = 1.0
            if pattern.search(seg_text):
                f[f"o:seg_{name}"] = 1.0
    p = str(place or "")
    if place_line is not None and place_line >= 0:
        text = lines[place_line].text
        if PLATFORM.search(text) or ONLINE_WORD.search(text) or HYBRID.search(text):
            f["o:place_line_online"] = 1.0
    if place is None:
        f["o:no_place"] = 1.0
    else:
        if PLATFORM.search(p) or ONLINE_WORD.search(p):
            f["o:place_online"] = 1.0
        if POSTCODE_TOWN.search(p) or STREET.search(p):
            f["o:place_address"] = 1.0
    if g.calendar >= 0:
        item = a.calendar[g.calendar]
        if item.location and (PLATFORM.search(item.location) or ONLINE_WORD.search(item.location)):
            f["o:cal_location_online"] = 1.0
        if item.description and re.search(r"teams\.microsoft|zoom\.us|meet\.google|webex", item.description, re.I):
            f["o:cal_meeting_link"] = 1.0
    if re.search(r"teams\.microsoft|zoom\.us|meet\.google|webex\.com", seg_text, re.I):
        f["o:meeting_link"] = 1.0
    # a venue with an address and online words beside it: a hybrid event (both), not one or the other
    if f.get("o:place_address"):
        for k in ("o:seg_hybrid", "o:seg_online_word", "o:seg_platform", "o:place_line_online"):
            if f.get(k):
                f[f"{k}&address"] = 1.0
    if len(groups) > 1:
        f["o:multi"] = 1.0
    return f


# ------------------------------------------------------------------ the decision


@dataclass
class Choice:
    value: object
    evidence: str
    origin: str
    prob: float  # the scorer's raw probability
    confidence: float  # calibrated
    line: int = -1


@dataclass
class Decided:
    group: Group
    fields: dict[str, Choice]


def choose(rows: list[Row], scorer, cache: dict[int, float] | None = None) -> tuple[Row, float]:
    """The scorer's best row and its probability. `cache`: the candidates' own scores, one dict per mail and scorer."""
    best, p = scorer.choose_rows(rows, {} if cache is None else cache)
    return rows[best], p


_AGAINST = ("cancel", "thanks", "rsvp", "private", "tentative", "internal", "marketing", "press", "request_material",
            "unsubscribe", "inquiry", "journalist", "phishing", "absence", "past", "not_public", "newsletter", "visit_request")


def mail_evidence_feats(a: Analysis, probs: list[float], groups: list[Group]) -> dict[str, float]:
    """What the event dates say about the mail, for the kind model."""
    f: dict[str, float] = {}
    own = [p for p, m in zip(probs, a.mentions) if m.feats.get("z:own") or m.feats.get("z:forward") or m.feats.get("z:document")
           or m.feats.get("z:calendar") or m.feats.get("z:subject") and not a.reply]  # a reply's subject is the original's
    quote = [p for p, m in zip(probs, a.mentions) if m.feats.get("z:quote")]
    f[_bin("ev:own_max", max(own, default=0.0), (0.1, 0.3, 0.5, 0.7, 0.9))] = 1.0
    f[_bin("ev:quote_max", max(quote, default=0.0), (0.1, 0.5, 0.9))] = 1.0
    f[_bin("ev:days", len({g.first for g in groups}), (0, 1, 3))] = 1.0 if groups else 0.0
    if any(m.feats.get("in_question") for p, m in zip(probs, a.mentions) if p >= 0.5):
        f["ev:asked"] = 1.0
    own_date = max(own, default=0.0) >= 0.5
    mf = a.mail_feats
    # what the mail's words say, crossed with whether it gives an event of its own
    for cue in ("cancel", "move", "question", "thanks", "rsvp", "private", "tentative", "internal", "marketing", "press",
                "request_material", "unsubscribe", "offer", "registration", "visit_request", "inquiry", "journalist"):
        if mf.get(f"w:{cue}") or mf.get(f"sw:{cue}"):
            f[f"ev:{cue}&{'own_date' if own_date else 'no_own_date'}"] = 1.0
    # how many different reasons the mail's words give for being something else than a submission: each reason is
    # rare in a corpus, their number is not, so the model can learn it from every author's mail
    against = sum(1 for cue in _AGAINST if mf.get(f"w:{cue}") or mf.get(f"sw:{cue}"))
    for k in range(1, min(against, 4) + 1):
        f[f"ev:against>={k}"] = 1.0
    if mf.get("s:calendar_response_subject") or mf.get("cal_method:reply"):
        f["ev:calendar_response"] = 1.0
    kept = [m for p, m in zip(probs, a.mentions) if p >= 0.5 and not m.feats.get("z:quote")]
    if kept and all(m.feats.get("cue:cancel") for m in kept):
        f["ev:dates_cancelled"] = 1.0  # "vi må desværre aflyse den 30. oktober"
    if kept and all(m.feats.get("in_question") for m in kept):
        f["ev:dates_asked"] = 1.0
    if kept and all(m.feats.get("cue:tentative") for m in kept):
        f["ev:dates_tentative"] = 1.0  # "måske torsdag den 29. oktober"
    if a.reply and not own_date and max(quote, default=0.0) >= 0.5:
        f["ev:reply_about_quoted_event"] = 1.0
    return f


def corrected(a: Analysis, probs: list[float]) -> list[float]:
    """A reply that moves its event ("vi har måttet flytte salonen til torsdag den 30. oktober") gives the event's day
    in its own words: that date is the event's, the quoted original's dates are what it was. As FORMAT.md reads a
    correction: the event as it now stands."""
    lines = a.layout.lines
    if not a.reply:
        return probs
    own = [i for i, m in enumerate(a.mentions) if m.line >= 0 and lines[m.line].zone == "own"
           and not m.feats.get("cue:deadline") and not m.feats.get("cue:cancel")]
    moved = [i for i in own if a.mentions[i].feats.get("cue:move")]
    if not moved:
        return probs
    out = list(probs)
    for i, m in enumerate(a.mentions):
        if i in moved:
            out[i] = max(out[i], 0.9)
        elif m.line >= 0 and (lines[m.line].zone in ("quote", "fwd_header", "attribution") or m.feats.get("cue:cancel")):
            out[i] = 0.0  # the quoted original's day, or the day the reply calls off ("aflyse den 27.", then "flytter til …")
    return out


def years_away(a: Analysis, probs: list[float]) -> list[float]:
    """A date more than thirteen months from when the mail was sent ("Office 1.2.31") is not the day of the event
    it announces."""
    if a.sent is None:
        return probs
    sent = a.sent.date()
    return [0.0 if abs((m.first - sent).days) > 400 else p for p, m in zip(probs, a.mentions)]


def event_probs(a: Analysis, model: Model) -> list[float]:
    """Each date's probability of being an event's day, as the scorer and the mail's plain words say."""
    probs = [model.scorer("mention").prob(m.feats) for m in a.mentions]
    return corrected(a, years_away(a, probs))


def decide_events(a: Analysis, model: Model, probs: list[float] | None = None,
                  threshold: float | None = None) -> tuple[list[Group], list[Decided]]:
    if probs is None:
        probs = event_probs(a, model)
    groups = group_events(a, probs, model.thresholds.get("mention", 0.5) if threshold is None else threshold)
    caches: dict[str, dict[int, float]] = {}  # per scorer, for this mail only: ids of its own candidates' dicts
    out = []
    for gi, g in enumerate(groups):
        fields: dict[str, Choice] = {}
        # a start (and an end) is right when its day is and its time is: the day's probability times the time's
        srows = start_rows(a, groups, gi)
        start, p = own_words_win(a, srows, *choose(srows, model.scorer("start")), model.scorer("start"))
        fields["start"] = _choice(start, p * g.score, model.scorer("start"))
        erows = [r for r in end_rows(a, groups, gi, start) if r.value is None or not start.value
                 or str(r.value) > str(start.value)]
        end, p = own_words_win(a, erows, *choose(erows, model.scorer("end")), model.scorer("end"))
        fields["end"] = _choice(end, p * g.score, model.scorer("end"))
        for name in ("title", "place", "registration", "organizer", "audience"):
            rows = field_rows(a, groups, gi, name)
            cache = caches.setdefault(name, {})
            row, p = choose(rows, model.scorer(name), cache)
            if name in MOVED_BY_REPLIES:
                row, p = own_words_win(a, rows, row, p, model.scorer(name), cache)
            given = _calendar_given(rows, name) if g.calendar >= 0 else None
            if given is not None:  # an invite's SUMMARY and LOCATION say what it is called and where
                row, p = given, model.scorer(name).prob_of(rows, given, cache)
            fields[name] = _choice(row, p, model.scorer(name))
        row, p = choose(deadline_rows(a, groups, gi), model.scorer("registration_deadline"))
        fields["registration_deadline"] = _choice(row, p, model.scorer("registration_deadline"))
        of = online_feats(a, groups, gi, fields["place"].value, fields["place"].line)
        po = model.scorer("online").prob(of)
        on = po >= 0.5
        # no words of its own to point at: it stands where the event's place does
        fields["online"] = Choice(on, "", fields["place"].origin or "text", po if on else 1 - po,
                                  model.scorer("online").calibrated(po if on else 1 - po))
        out.append(Decided(g, fields))
    return groups, out


# what a reply that corrects its event says in its own words: a new time, a new venue ("Vi er flyttet til …")
MOVED_BY_REPLIES = ("place",)


def own_words_win(a: Analysis, rows: list[Row], row: Row, p: float, scorer, cache: dict[int, float] | None = None
                  ) -> tuple[Row, float]:
    """In a reply, a time or a venue its own words give is the event's as it now stands, over the quoted original's
    (the corpora hold too few corrections for the scorer to learn it): the best such row, with its own probability."""
    if not a.reply or row.origin == "text":
        return row, p
    own = [r for r in rows if r.origin == "text" and r.value not in (None, "")]
    if not own:
        return row, p
    cache = {} if cache is None else cache
    best = max(own, key=lambda r: scorer.prob_of(rows, r, cache))
    return best, scorer.prob_of(rows, best, cache)


CALENDAR_SOURCE = {"title": "src:cal_summary", "place": "src:cal_location"}


def _calendar_given(rows: list[Row], name: str) -> Row | None:
    src = CALENDAR_SOURCE.get(name)
    return next((r for r in rows if src and r.get(src) and r.get("sc:same_line")), None) if src else None


def _choice(row: Row, p: float, scorer) -> Choice:
    return Choice(row.value, row.evidence, row.origin, p, scorer.calibrated(p), row.line)
