"""The data dictionary: every field of the dataset's tables, its type, its
allowed values, and the indicators' names in Vietnamese and English, as a
Frictionless Table Schema (machine-readable) and one page of text."""
from __future__ import annotations

import json

import pandas as pd

# key -> (Vietnamese name, English name); wording ours, scope as in FACTS.md
INDICATORS = {
    "secretary_hamlet_head": ("Bí thư chi bộ đồng thời là trưởng thôn, tổ dân phố",
                              "Party cell secretaries who are also the hamlet head"),
    "secretary_committee_chair": ("Bí thư cấp ủy đồng thời là chủ tịch UBND",
                                  "Party committee secretaries who are also People's Committee chair"),
    "secretary_council_chair": ("Bí thư, phó bí thư kiêm chủ tịch HĐND",
                                "Secretaries or deputy secretaries who are also People's Council chair"),
    "concurrent_post": ("Kiêm nhiệm chức danh khác", "Other concurrent-post arrangements"),
    "non_local_leader": ("Bí thư, chủ tịch không phải người địa phương",
                         "Secretaries or chairs who are not local people"),
    "part_time_staff": ("Người hoạt động không chuyên trách", "Non-professional (part-time) workers"),
    "civil_servant": ("Biên chế, cán bộ, công chức, viên chức", "Payroll posts, officials, civil and public servants"),
    "leader_post": ("Vị trí lãnh đạo, quản lý", "Leadership posts"),
    "admin_unit": ("Đơn vị hành chính", "Administrative units (commune level and above)"),
    "hamlet": ("Thôn, tổ dân phố", "Hamlets and residential groups"),
    "agency": ("Cơ quan, đầu mối", "Agencies and their internal bodies"),
    "public_service_unit": ("Đơn vị sự nghiệp công lập", "Public service units"),
    "party_org": ("Tổ chức đảng", "Party organisations"),
    "voter_approval": ("Tỷ lệ cử tri đồng ý", "Share of voters approving a merger"),
}

ENUMS = {
    "indicator": list(INDICATORS),
    "approx": ["exact", "at_least", "at_most", "about"],
    "change": ["count", "decrease", "increase"],
    "status": ["achieved", "target"],
    "level": ["hamlet", "commune", "district", "province"],
    "scope": ["province", "local"],
}

DESCRIPTIONS = {
    "claim": "claim id: a hash of the claim's key (stable across rebuilds of the same facts)",
    "other": "the claim it conflicts with",
    "doc": "document id", "other_doc": "document id of the other claim's original",
    "id": "document id", "url": "address of the document", "site": "the publishing site",
    "title": "headline", "published": "publication date", "text": "clean text (fact offsets point here)",
    "content_hash": "SHA-1 of the text", "extracted_version": "rules version of the last extraction",
    "source": "file or archive record the document came from",
    "cluster": "id of the earliest published copy among its near-duplicates (itself if none)",
    "is_original": "true for the earliest published copy of its cluster",
    "province": "province, 63-province naming (before 1 July 2025)",
    "province_2025": "province after the 1 July 2025 merger (34 provinces)",
    "locality": "the most specific place the figure is about, as written",
    "place": "the place as compared between documents (province:NAME for a whole province)",
    "scope": "province: the figure is about the whole province; local: about a place in it",
    "indicator": "what is counted (see the indicator table)",
    "change": "count (a state), decrease or increase",
    "status": "achieved (done, current or decided) or target (a plan, goal or proposal)",
    "level": "administrative level of the counted thing",
    "as_of": "date the figure refers to", "target_year": "year a target is set for",
    "value": "the count", "total": "denominator of X/Y", "percent": "a share as written (20.4 = 20.4%)",
    "approx": "exact, at_least, at_most or about (+-10% when compared)",
    "over_plan_percent": "percent by which a plan was exceeded",
    "quote": "shortest span carrying the figure", "sentence": "the sentence of the quote",
    "start": "offset of the quote in the document text", "end": "end offset of the quote",
    "rule_id": "the extraction rule", "rules_version": "version of the rules that produced the fact",
    "confidence": "how sure the rule is of the fact",
    "facts": "facts (mentions) behind the claim", "documents": "documents stating the claim",
    "sources": "documents stating the claim", "sites": "distinct sites stating the claim",
    "independent": "distinct near-duplicate clusters stating the claim (copies count once)",
    "first_seen": "earliest publication date among the sources", "last_seen": "latest publication date",
    "original_doc": "the earliest published document stating the claim",
    "conflict": "true when another claim gives an incompatible number for the same indicator, place, level and date",
    "other_value": "the other claim's number", "similarity": "Jaccard of word 5-shingles to the original",
    "copies": "documents in the cluster",
}


DATE_FIELDS = ("as_of", "first_seen", "last_seen", "published")


def field_type(series: pd.Series) -> str:
    """The Frictionless type of a typed column (a date field by its name, so
    an empty table has the same schema)."""
    if series.name in DATE_FIELDS:
        return "date"
    kind = series.dtype.kind if hasattr(series.dtype, "kind") else "O"
    if str(series.dtype) in ("boolean", "bool"):
        return "boolean"
    if str(series.dtype) in ("Int64", "Int32", "Int16", "int64", "int32", "int16"):
        return "integer"
    if kind == "f":
        return "number"
    if kind == "M" or str(series.dtype).startswith("date32") or is_date_column(series):
        return "date"
    return "string"


def is_date_column(series: pd.Series) -> bool:
    import datetime as dt

    values = series.dropna()
    return len(values) > 0 and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values)


def table_schema(frame: pd.DataFrame, primary_key: list[str] | None = None) -> dict:
    """Frictionless Table Schema of a typed frame."""
    fields = []
    for name in frame.columns:
        field = {"name": name, "type": field_type(frame[name]), "description": DESCRIPTIONS.get(name, "")}
        if name in ENUMS:
            field["constraints"] = {"enum": ENUMS[name]}
        if field["type"] == "date":
            field["format"] = "%Y-%m-%d"
        fields.append(field)
    schema = {"fields": fields, "missingValues": [""]}
    if primary_key:
        schema["primaryKey"] = primary_key
    return schema


def indicator_table() -> list[dict]:
    return [{"indicator": key, "name_vi": vi, "name_en": en} for key, (vi, en) in INDICATORS.items()]


def fields_section(title: str, schema: dict) -> str:
    lines = [f"# {title}", "", "| field | type | allowed values | meaning |", "|---|---|---|---|"]
    for field in schema["fields"]:
        allowed = ", ".join(field.get("constraints", {}).get("enum", []))
        lines.append(f"| {field['name']} | {field['type']} | {allowed} | {field['description']} |")
    return "\n".join(lines) + "\n"


def indicators_section() -> str:
    lines = ["Empty cells are unknown (null). Dates are ISO 8601 (YYYY-MM-DD).", "",
             "## Indicators", "", "| indicator | tiếng Việt | English |", "|---|---|---|"]
    lines += [f"| {row['indicator']} | {row['name_vi']} | {row['name_en']} |" for row in indicator_table()]
    return "\n".join(lines) + "\n"


def text_page(title: str, schema: dict) -> str:
    """One page of text: the fields, then the indicators in both languages."""
    return fields_section(title, schema) + "\n" + indicators_section()


def schema_json(schema: dict) -> str:
    """Stable bytes: the same schema always writes the same file."""
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
