"""Event records against gold event records: events matched one to one, then each field compared.

Within an article, predicted and gold events are paired by the assignment that
maximises their agreement (scipy's linear_sum_assignment): a pair must share
the event type or a trigger, and gains for the same sub-event type, a place
within 25 km (or the same place name), the same date and shared triggers.
Events are scored by precision, recall and F1 of the pairs; fields by accuracy
over the pairs: the location within 25 km, the fatalities exactly and within
10 %.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sitrep.places import fold

FIELDS = ("event_date", "date_precision", "event_type", "sub_event_type", "actor1", "actor2", "admin1", "country",
          "iso3", "geo_precision")
NEAR_KM = 25.0


class EventFileError(ValueError):
    pass


def read_events(path: str | Path) -> dict[str, list[dict]]:
    """Gold or predicted event records by article: a .jsonl file, or a folder of them."""
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise EventFileError(f"{path}: no .jsonl event files")
    out: dict[str, list[dict]] = {}
    for f in files:
        try:
            # JSON Lines end at "\n" only: str.splitlines would also cut at U+0085 or U+2028 inside a string.
            lines = f.read_text(encoding="utf-8-sig").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise EventFileError(f"{f}: cannot read ({exc})") from None
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EventFileError(f"{f} line {n}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict) or "article_id" not in record or "event_type" not in record:
                raise EventFileError(f"{f} line {n}: an event record needs at least article_id and event_type")
            out.setdefault(str(record["article_id"]), []).append(record)
    return out


def distance_km(a: dict, b: dict) -> float:
    try:
        la1, lo1, la2, lo2 = (math.radians(float(x)) for x in (a["latitude"], a["longitude"], b["latitude"], b["longitude"]))
    except (TypeError, ValueError, KeyError):
        return math.inf
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def same_place(a: dict, b: dict) -> bool:
    """Within 25 km when both have coordinates; else the same place name as written."""
    d = distance_km(a, b)
    if d != math.inf:
        return d <= NEAR_KM
    return bool(a.get("location")) and fold(a.get("location", "")) == fold(b.get("location", ""))


def _triggers(e: dict) -> set[str]:
    return {fold(t) for t in str(e.get("triggers") or "").split(";") if t.strip()}


def agreement(p: dict, g: dict) -> float:
    """How well a predicted event fits a gold one; 0 when they cannot be the same event."""
    shared = _triggers(p) & _triggers(g)
    if p.get("event_type") != g.get("event_type") and not shared:
        return 0.0
    return (2.0 * (p.get("event_type") == g.get("event_type")) + (p.get("sub_event_type") == g.get("sub_event_type"))
            + 2.0 * same_place(p, g) + (p.get("event_date") == g.get("event_date")) + 1.5 * bool(shared) + 0.01)


def match(pred: list[dict], gold: list[dict]) -> list[tuple[dict, dict]]:
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    if not pred or not gold:
        return []
    score = np.array([[agreement(p, g) for g in gold] for p in pred])
    rows, cols = linear_sum_assignment(-score)
    return [(pred[r], gold[c]) for r, c in zip(rows, cols) if score[r, c] > 0]


def _same(field: str, p: dict, g: dict) -> bool:
    a, b = p.get(field), g.get(field)
    if field in ("actor1", "actor2", "admin1", "country"):
        return fold(str(a or "")) == fold(str(b or ""))
    return (a or "") == (b or "")


def _fatalities(p, g, tolerance: float = 0.0) -> bool:
    if p is None or g is None or p == "" or g == "":
        return (p in (None, "")) == (g in (None, ""))
    p, g = float(p), float(g)
    return abs(p - g) <= tolerance * max(abs(g), 1e-9) if tolerance else p == g


def score_events(pred: dict[str, list[dict]], gold: dict[str, list[dict]]) -> dict:
    """Event precision/recall/F1 and per-field accuracy over matched pairs, on the articles gold covers."""
    pairs, n_pred, n_gold = [], 0, 0
    per_article = []
    for article, gold_events in sorted(gold.items()):
        mine = pred.get(article, [])
        matched = match(mine, gold_events)
        pairs += matched
        n_pred += len(mine)
        n_gold += len(gold_events)
        per_article.append({"article": article, "gold": len(gold_events), "predicted": len(mine), "matched": len(matched)})
    m = len(pairs)
    precision = m / n_pred if n_pred else 0.0
    recall = m / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = {}
    if pairs:
        for field in FIELDS:
            accuracy[field] = round(sum(_same(field, p, g) for p, g in pairs) / m, 4)
        accuracy["location_within_25km"] = round(sum(same_place(p, g) for p, g in pairs) / m, 4)
        accuracy["fatalities_exact"] = round(sum(_fatalities(p.get("fatalities"), g.get("fatalities")) for p, g in pairs) / m, 4)
        accuracy["fatalities_within_10pct"] = round(
            sum(_fatalities(p.get("fatalities"), g.get("fatalities"), 0.1) for p, g in pairs) / m, 4)
    return {
        "matching": "one to one per article (linear_sum_assignment); a pair shares the event type or a trigger",
        "articles": len(gold), "gold_events": n_gold, "predicted_events": n_pred, "matched": m,
        "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
        "field_accuracy": accuracy,
        "per_article": per_article,
    }


def summary_by(events: list[dict], key: str) -> dict[str, dict]:
    """Events and fatalities per country or per event type: the summary an analyst reads first."""
    out: dict[str, dict] = {}
    for e in events:
        row = out.setdefault(e.get(key) or "(unknown)", {"events": 0, "fatalities": 0})
        row["events"] += 1
        row["fatalities"] += int(e.get("fatalities") or 0)
    return dict(sorted(out.items(), key=lambda kv: (-kv[1]["events"], kv[0])))
