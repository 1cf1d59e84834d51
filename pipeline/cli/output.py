"""Options every command shares: --db, and the output formats (--table,
--csv, --json, --nl, as sqlite-utils has them).

pandas loads only for the commands that print a DataFrame: `vnfacts query`
prints plain rows (Rows), so it starts without pandas (issue 11)."""
from __future__ import annotations

import csv
import functools
import json
import math
import shutil
import sys
import textwrap
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import click

from pipeline.paths import DEFAULT_DB

FORMATS = ("table", "csv", "json", "nl")


def db_option(create: bool = False, name: str = "db_path"):
    """--db, declared once. The default comes from the package (pipeline.paths),
    not the current folder. Commands that only read (create=False) refuse a
    missing file: store.connect says so, naming the path."""
    note = "created if missing" if create else "must exist"

    def decorate(command):
        return click.option("--db", name, default=str(DEFAULT_DB), show_default=True, metavar="FILE",
                            type=click.Path(dir_okay=False), help=f"DuckDB database file ({note})")(command)
    return decorate


def output_options(command):
    """Add --table/--csv/--json/--nl to a command, which receives one `fmt`;
    two of them together are an error, not the last one silently."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        chosen = [name for name in FORMATS if kwargs.pop(f"as_{name}")]
        if len(chosen) > 1:
            raise click.ClickException(f"choose one output format, not {' and '.join('--' + c for c in chosen)}")
        return command(*args, fmt=chosen[0] if chosen else "table", **kwargs)

    for name, text in reversed([("table", "aligned table (default)"), ("csv", "CSV with a header"),
                                ("json", "one JSON array"), ("nl", "JSON Lines, one object a line")]):
        run = click.option(f"--{name}", f"as_{name}", is_flag=True, help=text)(run)
    return run


@dataclass
class Rows:
    """A query's result as plain Python values (DuckDB's cursor, no pandas)."""
    columns: list[str]
    rows: list[tuple]

    @classmethod
    def of(cls, description, rows) -> "Rows":
        # DECIMAL as float, as DuckDB's DataFrames have it (2.50 prints 2.5)
        return cls([d[0] for d in description or []],
                   [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in rows])

    def numeric(self) -> list[bool]:
        """Columns whose values are all numbers (a column of nulls is not)."""
        def number(v):
            return isinstance(v, (int, float)) and not isinstance(v, bool)
        return [any(v is not None for v in col) and all(v is None or number(v) for v in col)
                for col in self.values()]

    def values(self) -> list[list]:
        return [list(col) for col in zip(*self.rows)] if self.rows else [[] for _ in self.columns]

    def records(self) -> list[dict]:
        return [{c: json_value(v) for c, v in zip(self.columns, row)} for row in self.rows]


def json_value(value):
    """A value as JSON has it, written as jsonable() writes a DataFrame's:
    dates ISO, a midnight timestamp as its date, NaN as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def jsonable(frame) -> list[dict]:
    if isinstance(frame, Rows):
        return frame.records()
    rows = json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))
    for row in rows:  # DuckDB DATEs come back as midnight timestamps
        for key, value in row.items():
            if isinstance(value, str) and value.endswith("T00:00:00.000"):
                row[key] = value[:10]
    return rows


def emit(frame, fmt: str = "table", out=None, width: int | None = None) -> None:
    """Print a DataFrame or Rows as a table, CSV, one JSON array or JSON Lines."""
    out = out or sys.stdout
    if fmt == "csv":
        write_csv(frame, out)
    elif fmt == "json":
        json.dump(jsonable(frame), out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "nl":
        for row in jsonable(frame):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        out.write(table(frame, width) + "\n")


def write_csv(frame, out) -> None:
    if not isinstance(frame, Rows):
        frame.to_csv(out, index=False)
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    writer.writerows(["" if v is None else v for v in row] for row in frame.rows)


def columns_of(frame) -> tuple[list[str], list[list], list[bool]]:
    """(names, values by column, numeric flags) of a DataFrame or Rows."""
    if isinstance(frame, Rows):
        return frame.columns, frame.values(), frame.numeric()
    import pandas as pd

    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]
    return [str(c) for c in frame.columns], [list(frame[c]) for c in frame.columns], numeric


def table(frame, width: int | None = None) -> str:
    """An aligned table that fits `width` columns (default: the terminal's):
    text left-aligned and wrapped at spaces, so a Vietnamese syllable is never
    cut; numbers right-aligned, whole numbers without ".0"."""
    names, values, numeric = columns_of(frame)
    if not values or not values[0]:
        return "(no rows)" if names else ""
    width = width or shutil.get_terminal_size((120, 24)).columns
    columns = [[name] + [cell(v) for v in col] for name, col in zip(names, values)]
    sizes = fit([max(len(line) for line in col) for col in columns], width)
    wrapped = [[textwrap.wrap(text, size) or [""] for text in col] for col, size in zip(columns, sizes)]
    lines = []
    for row in zip(*wrapped):
        for part in range(max(len(cell_lines) for cell_lines in row)):
            pieces = [(cl[part] if part < len(cl) else "") for cl in row]
            lines.append("  ".join(p.rjust(n) if num else p.ljust(n)
                                   for p, n, num in zip(pieces, sizes, numeric)).rstrip())
    return "\n".join(lines)


def missing(value) -> bool:
    """None, NaN, or pandas' NA/NaT (only a loaded pandas can have made those)."""
    if value is None or (isinstance(value, float) and value != value):
        return True
    pandas = sys.modules.get("pandas")
    return bool(pandas is not None and pandas.api.types.is_scalar(value) and pandas.isna(value))


def cell(value) -> str:
    """How one value reads in a table: nothing for null, 112 for 112.0."""
    if missing(value):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()  # DATEs arrive as midnight timestamps
    return " ".join(str(value).split())


def fit(sizes: list[int], width: int, narrowest: int = 8) -> list[int]:
    """Column widths that fit `width`: the widest columns give way first."""
    sizes = list(sizes)
    while sum(sizes) + 2 * (len(sizes) - 1) > width:
        widest = max(range(len(sizes)), key=sizes.__getitem__)
        if sizes[widest] <= narrowest:
            break
        sizes[widest] -= 1
    return sizes
