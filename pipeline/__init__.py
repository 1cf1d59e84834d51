"""vnfacts: Vietnamese provincial news -> quantitative facts in DuckDB.

Stages (see pipeline.core): clean -> normalize -> segment -> extract -> load.
"""
__version__ = "0.1.0"
