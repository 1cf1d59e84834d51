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
from datetime import date

import pandas as pd

from pipeline.lang.places import CENTRAL_CITIES, canonical_province
from pipeline.lang.vntext import normalize
from pipeline.store import dataset as sql

SYNDICATION_DAYS = 14
KEY = ["indicator", "change", "status", "level", "place", "number"]
SCENE = ["indicator", "change", "status", "level", "place", "kind"]
ABOUT = 0.1  # "khoảng N", "gần N": taken as N +- 10%


def place_key(locality, province) -> str:
    """A place, compared as a place: "tỉnh Hải Dương", "Hải Dương" and
    "thành phố Cần Thơ" (a centrally run city) are provinces; "thành phố
    Bạc Liêu" is the district-level city, a different place."""
    text = normalize(locality or "").strip()
    bare = text
    for unit in ("tỉnh ", "thành phố ", "tp. ", "tp "):
        if text.lower().startswith(unit):
            bare = text[len(unit):].strip()
            if unit != "tỉnh " and canonical_province(bare) not in CENTRAL_CITIES:
                bare = None
            break
    name = canonical_province(bare) if bare else None
    if name:
        return f"province:{name}"
    if text:
        return " ".join(text.lower().split())
    return f"none:{province or ''}"


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """The facts with their claim key columns (strings, no nulls)."""
    frame = frame.astype(object).where(frame.notna(), None)  # one null (None) for every column
    frame["place"] = [place_key(loc, prov) for loc, prov in zip(frame["locality"], frame["province"])]
    has_value = frame["value"].notna()
    frame["kind"] = has_value.map({True: "value", False: "percent"})
    frame["number"] = [f"v{v:g}" if ok else f"p{p:g}" for ok, v, p in zip(has_value, frame["value"], frame["percent"])]
    for col in ("value", "total", "percent"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    frame["level"] = frame["level"].fillna("")
    for col in ("change", "status"):
        frame[col] = frame[col].fillna("")
    frame["as_of"] = [None if pd.isna(d) else pd.Timestamp(d).date() for d in frame["as_of"]]
    frame["published"] = [None if pd.isna(d) else pd.Timestamp(d).date() for d in frame["published"]]
    frame["soft"] = [d is not None and d == p for d, p in zip(frame["as_of"], frame["published"])]
    frame["target_year"] = frame["target_year"].astype("Int64")
    return frame


def close(a: date, b: date, soft: bool) -> bool:
    return a == b or (soft and abs((a - b).days) <= SYNDICATION_DAYS)


def date_slots(rows: pd.DataFrame) -> list[tuple]:
    """(as_of, target_year) of the claim each fact of one key group joins."""
    years = sorted({int(y) for y in rows["target_year"].dropna()})
    slots: list[list] = []  # [as_of, last date, soft, target_year]
    dated = rows[rows["as_of"].notna()].sort_values(["as_of", "doc", "start"], kind="stable")
    assigned = {}
    for idx, as_of, soft, year in zip(dated.index, dated["as_of"], dated["soft"], dated["target_year"]):
        year = slot_year(year, years)
        slot = next((s for s in slots if s[3] == year and close(as_of, s[1], soft or s[2])), None)
        if slot is None:
            slots.append(slot := [as_of, as_of, soft, year])
        elif slot[2] and not soft:  # a stated date names the claim's date over a publication date
            slot[0], slot[2] = as_of, False
        slot[1] = max(slot[1], as_of)
        assigned[idx] = slot
    for idx, year in zip(rows.index.difference(dated.index), rows.loc[rows.index.difference(dated.index), "target_year"]):
        year = slot_year(year, years)
        matching = [s for s in slots if s[3] == year]
        assigned[idx] = matching[0] if len(matching) == 1 else [None, None, False, year]
    return [(assigned[i][0], assigned[i][3]) for i in rows.index]


def slot_year(year, years: list[int]):
    """A fact's target year; an unknown one joins the only year stated, if one."""
    if not pd.isna(year):
        return int(year)
    return years[0] if len(years) == 1 else None


def claim_id(key: tuple, as_of, year) -> str:
    text = "|".join(map(str, (*key, as_of, year)))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def assign(frame: pd.DataFrame) -> pd.DataFrame:
    """Each fact's claim id, claim date and claim target year."""
    frame = frame.copy()
    frame["claim"], frame["claim_as_of"], frame["claim_year"] = None, None, None
    for key, rows in frame.groupby(KEY, sort=True):
        slots = date_slots(rows)
        frame.loc[rows.index, "claim"] = [claim_id(key, a, y) for a, y in slots]
        frame.loc[rows.index, "claim_as_of"] = pd.Series([a for a, _ in slots], index=rows.index, dtype=object)
        frame.loc[rows.index, "claim_year"] = pd.Series([y for _, y in slots], index=rows.index, dtype=object)
    return frame


def mode(values: pd.Series):
    """The most frequent non-null value, the first stated on a tie."""
    values = values.dropna()
    if values.empty:
        return None
    counts = values.value_counts(sort=False)
    return counts.index[list(counts).index(counts.max())]


def summarize(rows: pd.DataFrame) -> dict:
    first = rows.assign(_undated=rows["published"].isna()).sort_values(["_undated", "published", "doc"]).iloc[0]
    dates = rows["published"].dropna()
    return {
        "claim": rows["claim"].iloc[0], "indicator": first["indicator"], "change": first["change"] or None,
        "status": first["status"] or None, "level": first["level"] or None, "place": first["place"],
        "locality": mode(rows["locality"]), "province": mode(rows["province"]),
        "province_2025": mode(rows["province_2025"]), "value": first["value"] if first["kind"] == "value" else None,
        "total": mode(rows["total"]), "percent": mode(rows["percent"]), "approx": mode(rows["approx"]),
        "as_of": first["claim_as_of"], "target_year": first["claim_year"], "facts": len(rows),
        "documents": rows["doc"].nunique(), "sites": rows["site"].nunique(), "independent": rows["cluster"].nunique(),
        "first_seen": dates.min() if len(dates) else None, "last_seen": dates.max() if len(dates) else None,
        "original_doc": first["doc"], "conflict": False, "kind": first["kind"],
        "soft": bool(rows.loc[rows["as_of"] == first["claim_as_of"], "soft"].all()), "docs": frozenset(rows["doc"]),
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
    if facts.empty:
        return (pd.DataFrame(columns=sql.CLAIM_COLUMNS), pd.DataFrame(columns=sql.SOURCE_COLUMNS),
                pd.DataFrame(columns=sql.CONFLICT_COLUMNS))
    frame = assign(prepare(facts))
    summaries = [summarize(rows) for _, rows in frame.groupby("claim", sort=True)]
    found = conflicts(summaries)
    claims = pd.DataFrame(summaries)[sql.CLAIM_COLUMNS].sort_values("claim", kind="stable")
    sources = frame[sql.SOURCE_COLUMNS].sort_values(["claim", "doc", "start"], kind="stable")
    return claims, sources, pd.DataFrame(found, columns=sql.CONFLICT_COLUMNS)


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
