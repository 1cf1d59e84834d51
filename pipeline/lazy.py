"""A module imported on first use (issue 11). pandas (and, through it,
pyarrow) costs ~0.5 s and ~100 MB at start-up, DuckDB ~0.2 s: `vnfacts query`
and `status` open the database without pandas, and `--help` loads neither.
A module names them through this proxy, `pd = lazy_module("pandas")`, then
`pd.DataFrame(...)` as usual; the import happens at the first attribute.
(Not importlib.util.LazyLoader: that registers the module in sys.modules at
once, and code that looks there for pandas would take it as loaded.)"""
from __future__ import annotations

import importlib


class lazy_module:
    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
