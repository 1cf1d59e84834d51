"""Claims: one figure stated by many documents, and conflicts between them.

A claim is the facts (across documents) with the same indicator, change,
status, level, place (compared as a place), primary number (value, else
percent) and compatible dates. Dates are compatible when equal, when one
is unknown, or when one of them is only the publication date ("hiện nay",
"đến nay" give the day the copy appeared) and they lie within
SYNDICATION_DAYS of each other. A conflict is two claims about the same
indicator, change, status, level, place and date whose numbers cannot both
be true (their approx intervals are disjoint) and that no single document
states both (a document giving two numbers is a before/after, not a
disagreement).

The tables are rebuilt from facts every time; claim ids hash the claim's
key, so a rebuild gives identical rows.
"""
from __future__ import annotations

import hashlib
import math
from collections import Counter
from datetime import date
from functools import lru_cache

import pandas as pd

from pipeline.lang.places import CENTRAL_CITIES, canonical_province
from pipeline.lang.vntext import normalize
from pipeline.store import dataset as sql

SYNDICATION_DAYS = 14
KEY = ["indicator", "change", "status", "level", "place", "number"]
SCENE = ["indicator", "change", "status", "level", "place", "kind"]
ABOUT = 0.1  # "khoảng N", "gần N": taken as N +- 10%


def place_key(locality, province, cluster) -> str:
    """A place, compared as a place: "tỉnh Hải Dương", "Hải Dương" and
    "thành phố Cần Thơ" (a centrally run city) are provinces; "thành phố
    Bạc Liêu" is the district-level city, a different place. A figure with
    no place at all (a ministry's) is the same figure only within copies of
    one article."""
    return locality_key(locality) if locality else f"unplaced:{cluster}"


@lru_cache(maxsize=65536)  # localities repeat: each is resolved once
def locality_key(locality: str) -> str:
    text = normalize(locality).strip()
    bare = text
    for unit in ("tỉnh ", "thành phố ", "tp. ", "tp "):
        if text.lower().startswith(unit):
            bare = text[len(unit):].strip()
            if unit != "tỉnh " and canonical_province(bare) not in CENTRAL_CITIES:
                bare = None
            break
    name = canonical_province(bare) if bare else None
    return f"province:{name}" if name else " ".join(text.lower().split())


def day(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def prepare(frame: pd.DataFrame) -> list[dict]:
    """The facts as records with their claim key fields (strings, no nulls)."""
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for r in records:
        r["place"] = place_key(r["locality"], r["province"], r["cluster"])
        r["kind"] = "value" if r["value"] is not None else "percent"
        r["number"] = f"v{r['value']:g}" if r["value"] is not None else f"p{r['percent']:g}"
        r["level"], r["change"], r["status"] = r["level"] or "", r["change"] or "", r["status"] or ""
        r["as_of"], r["published"] = day(r["as_of"]), day(r["published"])
        r["soft"] = r["as_of"] is not None and r["as_of"] == r["published"]
        r["target_year"] = None if r["target_year"] is None else int(r["target_year"])
    return records


def close(a: date, b: date, soft: bool) -> bool:
    return a == b or (soft and abs((a - b).days) <= SYNDICATION_DAYS)


def date_slots(rows: list[dict]) -> list[tuple]:
    """(as_of, target_year) of the claim each fact of one key group joins."""
    if len(rows) == 1:  # most figures are stated once
        return [(rows[0]["as_of"], rows[0]["target_year"])]
    years = sorted({r["target_year"] for r in rows if r["target_year"] is not None})
    slots: list[list] = []  # [as_of, last date, soft, target_year]
    assigned = {}
    for i in sorted((i for i, r in enumerate(rows) if r["as_of"]), key=lambda i: (rows[i]["as_of"], rows[i]["doc"])):
        r, year = rows[i], slot_year(rows[i]["target_year"], years)
        slot = next((s for s in slots if s[3] == year and close(r["as_of"], s[1], r["soft"] or s[2])), None)
        if slot is None:
            slots.append(slot := [r["as_of"], r["as_of"], r["soft"], year])
        elif slot[2] and not r["soft"]:  # a stated date names the claim's date over a publication date
            slot[0], slot[2] = r["as_of"], False
        slot[1] = max(slot[1], r["as_of"])
        assigned[i] = slot
    for i, r in enumerate(rows):
        if i not in assigned:
            year = slot_year(r["target_year"], years)
            matching = [s for s in slots if s[3] == year]
            assigned[i] = matching[0] if len(matching) == 1 else [None, None, False, year]
    return [(assigned[i][0], assigned[i][3]) for i in range(len(rows))]


def slot_year(year, years: list[int]):
    """A fact's target year; an unknown one joins the only year stated, if one."""
    if year is not None:
        return year
    return years[0] if len(years) == 1 else None


def claim_id(key: tuple, as_of, year) -> str:
    text = "|".join(map(str, (*key, as_of, year)))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def assign(records: list[dict]) -> dict[str, list[dict]]:
    """Each fact's claim (id, date, target year); returns claim id -> its facts."""
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault(tuple(r[k] for k in KEY), []).append(r)
    claims: dict[str, list[dict]] = {}
    for key in sorted(groups):
        rows = sorted(groups[key], key=lambda r: (r["doc"], r["start"] or 0))
        for r, (as_of, year) in zip(rows, date_slots(rows)):
            r["claim"], r["claim_as_of"], r["claim_year"] = claim_id(key, as_of, year), as_of, year
            claims.setdefault(r["claim"], []).append(r)
    return claims


def mode(values):
    """The most frequent non-null value, the first stated on a tie."""
    counts = Counter(v for v in values if v is not None)
    return max(counts, key=counts.get) if counts else None  # max keeps the first of equal counts


def summarize(rows: list[dict]) -> dict:
    first = min(rows, key=lambda r: (r["published"] is None, r["published"] or date.min, r["doc"]))
    dates = [r["published"] for r in rows if r["published"]]
    return {
        "claim": first["claim"], "indicator": first["indicator"], "change": first["change"] or None,
        "status": first["status"] or None, "level": first["level"] or None, "place": first["place"],
        "locality": mode(r["locality"] for r in rows), "province": mode(r["province"] for r in rows),
        "province_2025": mode(r["province_2025"] for r in rows),
        "value": first["value"] if first["kind"] == "value" else None,
        "total": mode(r["total"] for r in rows), "percent": mode(r["percent"] for r in rows),
        "approx": mode(r["approx"] for r in rows), "as_of": first["claim_as_of"], "target_year": first["claim_year"],
        "facts": len(rows), "documents": len({r["doc"] for r in rows}),
        "sites": len({r["site"] for r in rows if r["site"]}), "independent": len({r["cluster"] for r in rows}),
        "first_seen": min(dates, default=None), "last_seen": max(dates, default=None),
        "original_doc": first["doc"], "conflict": False, "kind": first["kind"],
        "soft": all(r["soft"] for r in rows if r["as_of"] == first["claim_as_of"]),
        "docs": frozenset(r["doc"] for r in rows),
    }


def interval(number: float, approx) -> tuple[float, float]:
    """The numbers a stated figure allows."""
    if approx == "at_least":
        return number, math.inf
    if approx == "at_most":
        return -math.inf, number
    if approx == "about":
        return number * (1 - ABOUT), number * (1 + ABOUT)
    return number, number


def disagree(a: dict, b: dict) -> bool:
    """Same scene, a known and compatible date, numbers that cannot both hold,
    and no document stating both."""
    if a["docs"] & b["docs"]:
        return False
    if a["status"] == "target":
        if a["target_year"] is None or a["target_year"] != b["target_year"]:
            return False
    elif a["as_of"] is None or b["as_of"] is None or not close(a["as_of"], b["as_of"], a["soft"] or b["soft"]):
        return False
    number = "value" if a["kind"] == "value" else "percent"
    (lo_a, hi_a), (lo_b, hi_b) = interval(a[number], a["approx"]), interval(b[number], b["approx"])
    return hi_a < lo_b or hi_b < lo_a


def conflicts(claims: list[dict]) -> list[dict]:
    """Pairs of disagreeing claims of one scene, each with its original document."""
    found = []
    scenes: dict[tuple, list[dict]] = {}
    for claim in claims:
        scenes.setdefault(tuple(claim[k] for k in SCENE), []).append(claim)
    for members in scenes.values():
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if disagree(a, b):
                    a["conflict"] = b["conflict"] = True
                    number = "value" if a["kind"] == "value" else "percent"
                    found.append({"claim": a["claim"], "other": b["claim"], "indicator": a["indicator"],
                                  "place": a["place"], "level": a["level"], "as_of": a["as_of"] or b["as_of"],
                                  "target_year": a["target_year"], "value": a[number], "other_value": b[number],
                                  "doc": a["original_doc"], "other_doc": b["original_doc"]})
    return found


def build(facts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(claims, claim_sources, claim_conflicts) from facts with their document's
    date, site and copy cluster (store.dataset.fact_sources)."""
    claims = assign(prepare(facts))
    summaries = [summarize(rows) for _, rows in sorted(claims.items())]
    found = conflicts(summaries)
    sources = sorted((r for rows in claims.values() for r in rows), key=lambda r: (r["claim"], r["doc"], r["start"] or 0))
    return (pd.DataFrame(summaries, columns=sql.CLAIM_COLUMNS), pd.DataFrame(sources, columns=sql.SOURCE_COLUMNS),
            pd.DataFrame(found, columns=sql.CONFLICT_COLUMNS))


def rebuild_claims(con) -> tuple[int, int]:
    """Rebuild claims, their sources and conflicts from the stored facts.
    Returns (claims, conflicts)."""
    sql.ensure_schema(con)
    claims, sources, found = build(sql.fact_sources(con))
    sql.replace_claims(con, typed(claims), sources, found)
    return len(claims), len(found)


def typed(claims: pd.DataFrame) -> pd.DataFrame:
    claims = claims.copy()
    for col in ("value", "total", "percent"):
        claims[col] = pd.to_numeric(claims[col], errors="coerce").astype("float64")
    claims["target_year"] = pd.to_numeric(claims["target_year"], errors="coerce").astype("Int64")
    return claims
