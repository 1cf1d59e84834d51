"""The panel: province (63 and 2025 naming) x indicator x date, one row per
claim, in CSV, Parquet, Stata and Excel, each with its data dictionary.

    vnfacts export panel --format csv|parquet|dta|xlsx|jsonl -o FILE
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.dataset import dictionary
from pipeline.store import dataset as sql

FORMATS = ("csv", "parquet", "dta", "xlsx", "jsonl")
DATE_COLUMNS = dictionary.DATE_FIELDS
COUNT_COLUMNS = ("target_year", "sources", "sites", "independent", "facts", "documents", "start", "end", "copies")


def as_dates(series: pd.Series) -> pd.Series:
    """datetime.date objects (None for unknown): CSV writes them ISO, Parquet as date32."""
    return pd.Series([None if pd.isna(v) else pd.Timestamp(v).date() for v in series], index=series.index,
                     dtype=object)


def whole(series: pd.Series) -> bool:
    values = pd.to_numeric(series, errors="coerce").dropna()
    return bool((values == values.round()).all())


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns with their real types: counts as nullable integers (a count is
    never "46.0"), dates as dates, flags as booleans, text as text."""
    frame = frame.copy()
    for name in frame.columns:
        column = frame[name]
        if name in DATE_COLUMNS:
            frame[name] = as_dates(column)
        elif name in COUNT_COLUMNS or (name in ("value", "total", "other_value") and whole(column)):
            frame[name] = pd.to_numeric(column, errors="coerce").round().astype("Int64")
        elif str(column.dtype) == "bool" or name in ("conflict", "is_original"):
            frame[name] = column.astype("boolean")
        elif column.dtype == object or str(column.dtype).startswith(("str", "string")):
            frame[name] = column.astype(object).where(column.notna(), None)
    return frame


def panel(con) -> pd.DataFrame:
    return typed(sql.panel_frame(con))


ARROW_TYPES = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32(),
               "string": pa.string()}


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """An Arrow table whose types follow the data dictionary (R and pandas
    read dates as dates, counts as integers)."""
    schema = dictionary.table_schema(frame)
    fields = [pa.field(f["name"], ARROW_TYPES[f["type"]]) for f in schema["fields"]]
    return pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with a BOM (spreadsheets then read Vietnamese right), ISO dates,
    integers without ".0", true/false."""
    out = frame.copy()
    for name in out.columns:
        if str(out[name].dtype) == "boolean":
            out[name] = out[name].map({True: "true", False: "false"}).astype(object)
    out.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    pq.write_table(arrow_table(frame), path, compression="zstd")


def write_jsonl(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    for name in out.columns:
        if dictionary.field_type(frame[name]) == "date":
            out[name] = [None if v is None else v.isoformat() for v in out[name]]
    out.to_json(path, orient="records", lines=True, force_ascii=False)


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    schema = dictionary.table_schema(frame)
    fields = pd.DataFrame([{"field": f["name"], "type": f["type"], "description": f["description"],
                            "allowed": ", ".join(f.get("constraints", {}).get("enum", []))} for f in schema["fields"]])
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.astype(object).where(frame.notna(), None).to_excel(writer, sheet_name="panel", index=False)
        fields.to_excel(writer, sheet_name="dictionary", index=False)
        pd.DataFrame(dictionary.indicator_table()).to_excel(writer, sheet_name="indicators", index=False)


def stata_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Stata stores labelled categories as numbers: every enum field becomes
    1..n with value labels (indicators labelled in English), flags 0/1."""
    out, labels = frame.copy(), {}
    for name in out.columns:
        if name in dictionary.ENUMS:
            codes = {value: i + 1 for i, value in enumerate(dictionary.ENUMS[name])}
            out[name] = out[name].map(codes).astype("float64")
            names = {k: dictionary.INDICATORS[k][1] for k in codes} if name == "indicator" else {k: k for k in codes}
            labels[name] = {code: names[value][:80] for value, code in codes.items()}
        elif str(out[name].dtype) == "boolean":
            out[name] = out[name].astype("float64")
            labels[name] = {0: "no", 1: "yes"}
        elif str(out[name].dtype) == "Int64":
            out[name] = out[name].astype("float64")
        elif dictionary.field_type(frame[name]) == "date":
            # pyreadstat reads nanosecond datetimes right (pandas 3 defaults to microseconds)
            out[name] = pd.to_datetime(out[name]).astype("datetime64[ns]")
        elif out[name].dtype == object:
            out[name] = out[name].fillna("").astype(str)
    return out, labels


def write_dta(frame: pd.DataFrame, path: Path) -> None:
    import pyreadstat

    out, value_labels = stata_frame(frame)
    column_labels = [dictionary.DESCRIPTIONS.get(name, name)[:80] for name in out.columns]
    pyreadstat.write_dta(out, str(path), column_labels=column_labels, variable_value_labels=value_labels,
                         version=15)


WRITERS = {"csv": write_csv, "parquet": write_parquet, "dta": write_dta, "xlsx": write_xlsx, "jsonl": write_jsonl}


def write_dictionary(frame: pd.DataFrame, data_path: Path, title: str) -> list[Path]:
    """NAME.schema.json (Frictionless Table Schema) and NAME.dictionary.md next to the data."""
    schema = dictionary.table_schema(frame)
    stem = data_path.with_suffix("")
    json_path, text_path = Path(f"{stem}.schema.json"), Path(f"{stem}.dictionary.md")
    json_path.write_text(dictionary.schema_json(schema), encoding="utf-8")
    text_path.write_text(dictionary.text_page(title, schema), encoding="utf-8")
    return [json_path, text_path]


def export_panel(con, fmt: str, output: str | Path) -> list[Path]:
    """Refresh clusters and claims, write the panel and its dictionary."""
    from pipeline.dataset import refresh

    if fmt not in WRITERS:
        raise ValueError(f"panel format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    refresh(con)
    frame, path = panel(con), Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    WRITERS[fmt](frame, path)
    return [path, *write_dictionary(frame, path, "vnfacts panel: province x indicator x date, one row per claim")]
