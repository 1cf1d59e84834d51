"""What a fact is in code: the `Fact` dataclass (the fields of FACTS.md and
their provenance), its one conversion to a `facts` table row, and where a
token range stands in the sentence (the quote's character offsets).

Who fills which field, once each:

    indicator, value, total, percent, quote,   facts.make_fact (from the rule's
      sentence, paragraph, sentence_start,       match and the numbers it carries)
      start, end, rule_id
    approx, change, over_plan_percent          attributes.decide <- context.py
    status                                     attributes.decide <- status.py
    level                                      attributes.decide (attributes.py itself)
    locality, province, province_2025          attributes.decide <- lang/places.py
    as_of, target_year                         attributes.decide <- dates.py
    evidence (status, as_of, state)            attributes.decide
    confidence, evidence.features              attributes.rate <- confidence.py
    doc, rules_version                         facts.sentence_facts

The parts of a breakdown (breakdown.py) copy their parent with
`dataclasses.replace` and change only what the part says itself.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date

# the tags of a number a count fact can be about (annotate.py tags them)
ANCHOR_TAGS = ("CARD", "CARDW", "FRAC")


@dataclass(slots=True)
class Evidence:
    """How the extractor decided (confidence.py reads it, calibrate.py fits
    on it; not stored in the database)."""
    status: str | None = None    # "rule", a status.decide reason ("cue", "default", "frame", ...)
    as_of: str | None = None     # a dates.when reason ("cue", "now", "published", "none", ...)
    state: str | None = None     # "before"/"after" of a merger (status.merger_state), else None
    features: dict[str, float] = field(default_factory=dict)  # confidence.FEATURES -> value


@dataclass(slots=True)
class Fact(Mapping):
    """One quantitative statement in one document (FACTS.md, "Fields"),
    with its provenance. `to_row()` is the `facts` table row.

    Also a Mapping of its field names (fact["value"], fact.get, {**fact}),
    as the fact dicts of earlier versions were: evaluate.py, the rule tests
    and the benchmark read stored rows and extracted facts alike. A field
    may be set by key (fact["percent"] = None); a key that is no field is a
    KeyError, so no ad-hoc key is ever added."""
    indicator: str
    value: int | float | None = None
    total: int | float | None = None
    percent: int | float | None = None
    approx: str | None = None
    change: str | None = None
    status: str | None = None
    over_plan_percent: int | float | None = None
    level: str | None = None
    locality: str | None = None
    province: str | None = None
    province_2025: str | None = None
    as_of: date | None = None
    target_year: int | None = None
    quote: str = ""
    confidence: float | None = None
    # provenance: the document, the sentence (its text, its paragraph's number
    # and its first character in the clean text), the quote's character
    # offsets in the document's clean text, the rule and the rules version
    doc: str | None = None
    sentence: str = ""
    paragraph: int | None = None
    sentence_start: int | None = None
    start: int = 0
    end: int = 0
    rule_id: str = ""
    rules_version: str = ""
    evidence: Evidence = field(default_factory=Evidence)

    def to_row(self) -> dict:
        """The `facts` table row (store/db.py FACT_COLUMNS): every field but
        the ones the table does not keep (NOT_STORED)."""
        return {name: getattr(self, name) for name in ROW_FIELDS}

    def to_dict(self) -> dict:
        """Every field, evidence included, as plain data (JSON-ready but for as_of)."""
        return asdict(self)

    def __getitem__(self, name: str):
        if name not in FIELD_NAMES:
            raise KeyError(name)
        return getattr(self, name)

    def __setitem__(self, name: str, value) -> None:
        # dict-era writers (extract/bounds.py nulls a figure): a field only, never a new key
        if name not in FIELD_NAMES:
            raise KeyError(f"{name!r} is no field of a Fact")
        setattr(self, name, value)

    def __iter__(self) -> Iterator[str]:
        return iter(FIELD_NAMES)

    def __len__(self) -> int:
        return len(FIELD_NAMES)


FIELD_NAMES = tuple(f.name for f in fields(Fact))
NOT_STORED = ("paragraph", "sentence_start", "evidence")
# in the order of the table's columns (store/db.py FACT_COLUMNS): doc first
ROW_FIELDS = ("doc", *(name for name in FIELD_NAMES if name not in (*NOT_STORED, "doc")))


def rows(facts) -> list[dict]:
    """Facts as `facts` table rows, the one conversion the store and the
    Ray shards use; a row that is already a dict (a test's, the benchmark's)
    passes as it is."""
    return [f.to_row() if isinstance(f, Fact) else f for f in facts]


def char_span(doc, sentence, start, end) -> tuple[int, int]:
    """Characters of tokens start..end-1 in the sentence text."""
    offsets = doc.user_data["offsets"]
    return offsets[start][0], offsets[end - 1][1]
