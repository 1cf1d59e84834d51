"""What the pages show, computed from rows: links that keep the filters, a
fact's sentence and paragraph cut around its quote, a document's text with
its quotes marked, and a reviewer's corrections parsed and checked.

Everything here returns plain text pieces; the templates escape them
(autoescape), so a page never writes markup that came from a scraped site."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from pipeline.store.reviews import FACETS

INDICATORS = ["secretary_hamlet_head", "secretary_committee_chair", "secretary_council_chair", "concurrent_post",
              "non_local_leader", "part_time_staff", "civil_servant", "leader_post", "admin_unit", "hamlet",
              "agency", "public_service_unit", "party_org", "voter_approval"]
CHOICES = {"change": ["count", "decrease", "increase"], "status": ["achieved", "target"],
           "level": ["", "hamlet", "commune", "district", "province"], "indicator": INDICATORS}
NUMBERS = ("value", "total", "percent")
EDITABLE = ["indicator", "value", "total", "percent", "change", "status", "level", "locality", "as_of",
            "target_year"]


def filters_of(params) -> dict:
    """The facet filters in a query string (one value per facet)."""
    return {facet: params[facet] for facet in FACETS if params.get(facet)}


def link(path: str, params: dict, **changes) -> str:
    """path?params with some changed; a change to None drops that parameter."""
    merged = {**params, **changes}
    query = urlencode({k: v for k, v in merged.items() if v is not None and v != ""})
    return f"{path}?{query}" if query else path


def web_url(url: str | None) -> str | None:
    """A scraped URL fit for an href: http(s) only (never javascript: or data:)."""
    text = (url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else None


def number(value) -> str:
    """46.0 -> '46', 20.4 -> '20.4', None -> ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell(value) -> str:
    if value is None:
        return ""
    return number(value) if isinstance(value, float) else str(value)


def paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph (a run between newlines) holding text[start:end]."""
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    return left, len(text) if right < 0 else right


def sentence_bounds(text: str, sentence: str | None, start: int, end: int) -> tuple[int, int]:
    """Where the fact's sentence stands around the quote; the quote alone if
    the stored sentence is not found there."""
    if sentence:
        at = text.find(sentence, max(0, end - len(sentence)))
        if 0 <= at <= start and at + len(sentence) >= end:
            return at, at + len(sentence)
    return start, end


def evidence(text: str, fact: dict) -> dict:
    """The paragraph cut in five: before the sentence, the sentence up to the
    quote, the quote at its offsets, the rest of the sentence, the rest."""
    start, end = int(fact["start"]), int(fact["end"])
    p_start, p_end = paragraph_bounds(text, start, end)
    s_start, s_end = sentence_bounds(text, fact.get("sentence"), start, end)
    s_start, s_end = max(s_start, p_start), min(s_end, p_end)
    return {"offset": p_start, "before": text[p_start:s_start], "lead": text[s_start:start], "quote": text[start:end],
            "tail": text[end:s_end], "after": text[s_end:p_end], "matches": text[start:end] == fact.get("quote")}


def marked_paragraphs(text: str, facts: list[dict]) -> list[tuple[int, list[tuple[str, str | None]]]]:
    """The document's paragraphs as (offset of the paragraph in the text,
    runs of (piece, fact key or None)), each fact's quote one run; a quote
    overlapping an earlier one is not marked."""
    spans, last = [], -1
    for fact in sorted(facts, key=lambda f: (f["start"], f["end"])):
        if fact["start"] >= last:
            spans.append((fact["start"], fact["end"], fact["fact_key"]))
            last = fact["end"]
    runs, position = [], 0
    for start, end, key in spans:
        runs += [(text[position:start], None), (text[start:end], key)]
        position = end
    runs.append((text[position:], None))
    return split_paragraphs(runs)


def split_paragraphs(runs: list[tuple[str, str | None]]) -> list[tuple[int, list[tuple[str, str | None]]]]:
    paragraphs, position = [(0, [])], 0
    for piece, key in runs:
        for i, line in enumerate(piece.split("\n")):
            if i:
                position += 1  # the newline
                paragraphs.append((position, []))
            if line:
                paragraphs[-1][1].append((line, key))
            position += len(line)
    return [(offset, p) for offset, p in paragraphs if p]


def corrections(fact: dict, submitted: dict) -> dict:
    """The fields a reviewer changed, typed; ValueError names a bad field."""
    changed = {}
    for name, raw in submitted.items():
        check_editable(name)
        value = typed(name, raw)
        if value != normal(fact.get(name)):
            changed[name] = value
    return changed


def new_fact(doc: dict, body: dict) -> dict:
    """A fact a reviewer added: their fields, the quote where they selected it.
    Offsets from the browser are checked against the text (and the quote
    looked up nearby if they are off, e.g. by characters outside the BMP)."""
    quote, text = str(body["quote"]).strip(), doc["text"]
    if not quote:
        raise ValueError("select the words of the missed fact first")
    start = locate(text, quote, int(body["start"]))
    fields = {name: typed(name, raw) for name, raw in (body.get("fields") or {}).items() if check_editable(name)}
    if not fields.get("indicator"):
        raise ValueError("an added fact needs an indicator")
    if fields.get("value") is None and fields.get("percent") is None:
        raise ValueError("an added fact needs a value or a percent")
    fields.setdefault("change", "count")
    fields.setdefault("status", "achieved")
    return {"doc": doc["id"], **fields, "quote": quote, "start": start, "end": start + len(quote)}


def locate(text: str, quote: str, start: int) -> int:
    if text[start:start + len(quote)] == quote:
        return start
    found = [i for i in (text.rfind(quote, 0, start + len(quote)), text.find(quote, start)) if i >= 0]
    if not found:
        raise ValueError(f"the selection {quote[:40]!r} is not in the document's text")
    return min(found, key=lambda i: abs(i - start))


def check_editable(name: str) -> bool:
    if name not in EDITABLE:
        raise ValueError(f"field {name!r} cannot be edited (editable: {', '.join(EDITABLE)})")
    return True


def typed(name: str, raw):
    text = "" if raw is None else str(raw).strip()
    if not text:
        if name == "indicator":
            raise ValueError("indicator cannot be empty")
        return None
    if name in NUMBERS:
        return parse_float(name, text)
    if name == "target_year":
        return parse_year(text)
    if name == "as_of":
        return parse_date(text)
    if name in CHOICES and text not in CHOICES[name]:
        raise ValueError(f"{name} {text!r}: expected one of {', '.join(c for c in CHOICES[name] if c)}")
    return text


def parse_float(name: str, text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a number") from None


def parse_year(text: str) -> int:
    if not (text.isdigit() and len(text) == 4):
        raise ValueError(f"target_year {text!r} is not a year")
    return int(text)


def parse_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"as_of {text!r} is not a date (YYYY-MM-DD)") from None


def normal(value):
    """A stored value in the form typed() gives, to tell what changed."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return value if value != "" else None
