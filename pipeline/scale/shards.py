"""Shard files on the driver's side of a Ray job (no SQL here: the database's
shards are pipeline/store/shards.py).

Raw ingest records are stored pickled, one a row: they are the driver's own
Python values (str or bytes html/text, any JSON fields), read back by the
workers of the same job, and must reach core.prepare_batch unchanged."""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

RECORD_SCHEMA = pa.schema([("batch", pa.int64()), ("id", pa.string()), ("record", pa.binary())])


def write_record_shards(batches: Iterable[list[dict]], directory: Path) -> int:
    """Raw records as Parquet shards, one per batch (the local ingest's
    batches, so the same records meet in core.prepare_batch); returns how
    many records."""
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for number, batch in enumerate(batches):
        table = pa.table({"batch": [number] * len(batch), "id": [str(r.get("id")) for r in batch],
                          "record": [pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL) for r in batch]},
                         schema=RECORD_SCHEMA)
        pq.write_table(table, directory / f"records-{number:06d}.parquet")
        count += len(batch)
    return count


def records_of(table: pa.Table) -> tuple[int, list[dict]]:
    """(batch number, raw records) of one record shard."""
    return table.column("batch")[0].as_py(), [pickle.loads(b) for b in table.column("record").to_pylist()]


def chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def collect(batches: Iterable[pa.Table], directory: Path, schema: pa.Schema, shard_size: int) -> int:
    """Write a job's output, as the driver receives it, into Parquet shards of
    about shard_size rows; returns the rows written. Ray hands each output
    block to the driver once (a retried task's block replaces the lost one),
    so the shards hold each document once."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = number = 0
    writer = None
    for batch in batches:
        if writer is None:
            writer = pq.ParquetWriter(directory / f"part-{number:06d}.parquet", schema)
        writer.write_table(batch.cast(schema))
        rows += batch.num_rows
        if writer and rows >= (number + 1) * shard_size:
            writer.close()
            writer, number = None, number + 1
    if writer is not None:
        writer.close()
    return rows
