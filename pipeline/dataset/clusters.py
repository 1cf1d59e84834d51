"""Syndicated and near-duplicate documents: MinHash over word shingles, LSH
bands kept in the database, copies linked into clusters.

Why these numbers:
- Shingles are 5 consecutive words of the stored (already normalized) text,
  lower-cased. The threshold COPY_JACCARD = 0.48 on their Jaccard similarity
  is the middle of the gap seen on 27 pairs labelled by hand from the bulk
  corpus (tests/data/dataset/labelled_pairs.tsv): every copy there (the same
  article republished, re-headlined, trimmed or lightly edited) scores
  >= 0.505 and every distinct article (the same event reported
  independently, advertisements sharing a footer) <= 0.457.
- 128 permutations (datasketch's affine32 scheme), LSH with 42 bands of 3
  rows: a pair at Jaccard 0.48 shares a band with probability
  1-(1-0.48^3)^42 = 0.993, at 0.3 with 0.68, at 0.1 with 0.04. Candidates are
  verified on the exact Jaccard of their shingles: with 128 values the
  estimate's error (about 0.045 at 0.5) is as wide as the labelled gap.
- Bands live in a table, not in an in-memory index, so memory stays flat in
  corpus size and a new batch is compared with everything stored by a join.

Cost (issue 13): a batch's words, shingles and MinHash values are computed
in one compiled pass over its UTF-8 bytes (kernel.py, numba; a small batch
in Arrow and numpy, smallbatch.py, see COMPILED_FROM); the values
and shingles are those of the first, one-text-at-a-time Python and
datasketch code (tests compare them; on all 12,786 bulk texts the
clusters are identical). One known difference: the kernel, like the Arrow
code before it, lower-cases the Turkish dotted "İ" to "i", Python to "i"
plus a combining dot that then splits the word. Batches are read and
written as Arrow, the candidate pairs decided in bulk (pairs.py), the file
held across quick batches (store.HeldConnection), and document_clusters
rewritten only where it changed. Measured by python -m
pipeline.dataset.measure (see its docstring and the README): on the bench's
12,786 HTML pages clustering costs ~17% of ingest's CPU time; on the same
articles stored as plain text, whose ingest is 4x cheaper, ~61%. numba
costs ~0.9 CPU s once a process (its import, and scipy.linalg, which it
loads on the first call). Clustering is opt-in at ingest (`vnfacts ingest
--clusters`); the nightly run and `vnfacts claims` always link copies.
"""
from __future__ import annotations

import contextlib
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.dataset import pairs, smallbatch
from pipeline.store import dataset as sql
from pipeline.store.session import Database, HeldConnection

SHINGLE_WORDS = 5
NUM_PERM = 128
BANDS, ROWS = 42, 3
COPY_JACCARD = 0.48
# the estimate's standard error at 0.48 with 128 values is sqrt(0.48 * 0.52 / 128) = 0.044
ESTIMATE_FLOOR = COPY_JACCARD - 6 * 0.044
SEED = 1
BATCH = 2000
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


def shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the text's word 5-shingles (see batch_shingles)."""
    return batch_shingles([text])[0]


def batch_shingles(texts) -> list[np.ndarray]:
    """Each text's word 5-shingles hashed to 32 bits, for a batch at once:
    the words are the text's lower-cased runs of \\w (letters, digits, "_"),
    each hashed as pandas' hash_array hashes its string, and a shingle mixes
    its five words' hashes (kernel.py or smallbatch.py). Repeated shingles are kept:
    a minimum ignores them. `texts` is a list of str or an Arrow string array."""
    shingles, counts = sketcher(len(texts)).shingles_of(texts, SHINGLE_WORDS)
    return np.split(shingles, np.cumsum(counts)[:-1]) if len(counts) else []


# A backlog (or a batch) of this many documents loads the compiled kernel
# (kernel.py): loading it costs a process ~0.9 CPU s, after which a document
# costs ~0.05 ms against ~0.2 in Arrow and numpy (smallbatch.py, used below
# this unless the kernel is loaded already; the same values either way).
# 3,000 documents win back half the load in one call, and a process that goes
# on (a bulk ingest in chunks, `vnfacts claims` over a large database) the
# rest; a crawl's passes stay in Arrow: with the kernel, `vnfacts run` on
# 2,000 local pages spent 2.0 s on copies against 0.25-0.47 s.
COMPILED_FROM = 3000


def prepare_sketcher(backlog: int) -> None:
    """Load the kernel when `backlog` documents wait to be sketched (see COMPILED_FROM)."""
    if backlog >= COMPILED_FROM:
        from pipeline.dataset import kernel  # noqa: F401 (sketcher uses it once it is loaded)


def sketcher(documents: int):
    """The module that sketches a batch of `documents`: kernel or smallbatch."""
    if documents >= COMPILED_FROM or "pipeline.dataset.kernel" in sys.modules:
        from pipeline.dataset import kernel
        return kernel
    return smallbatch


def signature(text: str) -> tuple[int, np.ndarray]:
    """(number of shingles, MinHash values) of a text."""
    hashes = shingle_hashes(text)
    return len(hashes), minhash_matrix([hashes])[0]


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of datasketch's affine32 scheme (MinHash(num_perm, seed)
    draws them so: a odd, b any 32-bit value). Drawn here so that clustering
    does not import datasketch (with scipy, ~0.5 s per command); the tests
    compare the values with datasketch's own MinHash."""
    draw = np.random.RandomState(seed)
    a = draw.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    return a, draw.randint(0, 1 << 32, num_perm, dtype=np.uint32)


_A, _B = _permutations(NUM_PERM, SEED)
_EMPTY = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)  # datasketch's empty MinHash


def minhash_matrix(hash_arrays: list[np.ndarray]) -> np.ndarray:
    """MinHash values of many texts' shingle hashes, one row each: the values
    datasketch's MinHash(scheme="affine32") gives fed the shingles one by one
    (a test compares them)."""
    counts = np.array([len(h) for h in hash_arrays], dtype=np.int64)
    flat = np.concatenate(hash_arrays) if hash_arrays else np.zeros(0, dtype=np.uint32)
    return sketcher(len(counts)).minhash_rows(flat, counts, _A, _B)


def band_hashes(values: np.ndarray) -> np.ndarray:
    """One signed 64-bit hash per band of ROWS values (DuckDB BIGINT); values
    is one signature or a matrix of them (one per row)."""
    rows = values[..., :BANDS * ROWS].astype(np.uint64).reshape(*values.shape[:-1], BANDS, ROWS)
    return (rows * _MIX[:ROWS]).sum(axis=-1, dtype=np.uint64).view(np.int64)


def jaccard(a: str, b: str) -> float:
    """Exact Jaccard similarity of two texts' word 5-shingles."""
    return set_jaccard(set(shingle_hashes(a).tolist()), set(shingle_hashes(b).tolist()))


def set_jaccard(sa: set, sb: set) -> float:
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def estimate(a: bytes, b: bytes) -> float:
    """Jaccard estimated from two MinHash signatures (share of equal values)."""
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))


def sketch_batch(batch: pa.Table) -> tuple[pa.Table, pa.Table, dict]:
    """Signature and band rows of a batch of documents (an Arrow table: id,
    text, content_hash), and their shingle hashes (verification reuses them).
    Arrow in and out: DuckDB reads the rows without Python objects."""
    ids = batch.column("id").combine_chunks()
    way = sketcher(batch.num_rows)
    flat, counts = way.shingles_of(batch.column("text"), SHINGLE_WORDS)
    shingles = dict(zip(ids.to_pylist(), np.split(flat, np.cumsum(counts)[:-1])))
    matrix = way.minhash_rows(flat, counts, _A, _B).astype("<u4")
    blobs = pa.FixedSizeBinaryArray.from_buffers(pa.binary(4 * NUM_PERM), len(matrix), [None, pa.py_buffer(matrix)])
    signatures = pa.table({"doc": ids, "content_hash": batch.column("content_hash"), "shingles": counts,
                           "signature": blobs.cast(pa.binary())})
    banded = np.flatnonzero(counts > 0)  # a text with no shingle is compared with nothing
    bands = pa.table({"doc": ids.take(np.repeat(banded, BANDS)),
                      "band": np.tile(np.arange(BANDS, dtype=np.int16), len(banded)),
                      "hash": band_hashes(matrix[banded]).reshape(-1)})
    return signatures, bands, shingles


def verified_pairs(con, bands: pa.Table, known: dict[str, np.ndarray]) -> pd.DataFrame:
    """Candidate pairs of the documents whose band rows are `bands` (stored
    already) whose Jaccard reaches the threshold. Pairs whose signatures
    estimate less than ESTIMATE_FLOOR (6 standard errors below the
    threshold) are dropped unread; the others are decided on the exact
    Jaccard. `known` holds the batch's shingle hashes; older partners are
    read and shingled once."""
    docs, a, b = pairs.coded(sql.candidate_pairs(con, bands))
    sigs = sql.signatures_of(con, docs)
    matrix = np.array([np.frombuffer(sigs[d], dtype="<u4") for d in docs]).reshape(len(docs), NUM_PERM)
    likely = pairs.estimates(matrix, a, b) >= ESTIMATE_FLOOR
    a, b = a[likely], b[likely]
    needed = np.unique(np.concatenate([a, b])).tolist()
    texts = sql.texts_of(con, [docs[i] for i in needed if docs[i] not in known])
    older = dict(zip(texts, batch_shingles(list(texts.values()))))
    sets = [_NONE] * len(docs)
    for i in needed:
        sets[i] = np.unique(known[docs[i]] if docs[i] in known else older[docs[i]])
    similarity = pairs.jaccards(sets, a, b)
    kept = similarity >= COPY_JACCARD
    ids_of = np.array(docs, dtype=object)
    return pd.DataFrame({"a": ids_of[a[kept]], "b": ids_of[b[kept]], "similarity": similarity[kept]})


_NONE = np.zeros(0, dtype=np.uint32)


def update_clusters(con, max_batches: int | None = None, batch_size: int = BATCH) -> int:
    """Sketch documents stored since the last call (or changed), link their
    copies, and rebuild document_clusters. Returns the documents sketched.
    With max_batches, stop after that many batches and leave the rebuild to
    the call that finds the rest fits in its batch (so a caller can hold the
    database only per batch)."""
    sql.ensure_schema(con)
    sql.forget_documents(con, sql.stale_sketches(con))  # deleted or changed texts: old sketches and pairs go
    prepare_sketcher(sql.unsketched_count(con))
    done = batches = 0
    last = batch_size
    while (max_batches is None or batches < max_batches) and (last := _sketch_one(con, batch_size)):
        done, batches = done + last, batches + 1
    if max_batches is None or batches < max_batches or last < batch_size:  # nothing left: the clusters now
        rebuild_clusters(con)
    return done


def _sketch_one(con, batch_size: int) -> int:
    """Sketch one batch of unsketched documents and store their verified pairs."""
    batch = sql.unsketched_documents(con, batch_size)
    if not batch.num_rows:
        return 0
    signatures, bands, shingles = sketch_batch(batch)
    sql.insert_sketches(con, signatures, bands)
    # pairs of a new document with an older one or another new one (DISTINCT
    # in SQL); older pairs were found when their newer side was stored
    sql.insert_pairs(con, verified_pairs(con, bands, shingles))
    return batch.num_rows


# A batch holds the database at most about LEASE seconds: it starts at
# FIRST_BATCH and grows while batches are quick (see link_copies).
FIRST_BATCH, LARGEST_BATCH, LEASE = 1000, 8000, 2.0


def link_copies(db) -> int:
    """Sketch and cluster every document stored since the last call, in
    batches (`db` a store.Database, whose file is held across batches for up
    to store.session.HOLD seconds and then let go so that `vnfacts query`
    gets in between, or an open connection). Returns the documents sketched.
    The batch starts at FIRST_BATCH documents, doubles while a batch takes
    under LEASE / 2 seconds and halves over LEASE: 3,000 near-identical
    documents held the database 24 s in one batch, while a new connection
    per small batch spent the time opening and checkpointing the file (fixed
    batches of 200: 19.3 CPU s for the 12,786 bulk documents, issue 13). The
    call whose batch holds the rest also rebuilds the clusters."""
    size, done = FIRST_BATCH, 0
    with contextlib.closing(HeldConnection(db)) as held:
        while True:
            start = time.monotonic()
            step = update_clusters(held.connection(), max_batches=1, batch_size=size)
            done += step
            if step < size:
                return done
            took = time.monotonic() - start
            if isinstance(db, Database) and (hold := held.release_if_due(next_work=took)):
                time.sleep(gap(hold))  # closed a while: a waiting `vnfacts query` gets the file
            size = next_batch(size, took)


def gap(held: float) -> float:
    """Seconds to stay closed after holding the file `held` seconds: at least
    the crawl's GAP (crawl/writer.py), up to 1 s (a waiter retries at least
    every second, store/db.py) after a long hold: without it, 3,000
    template documents locked a concurrent query out for 10 s."""
    return min(1.0, max(0.25, held / 2))


def next_batch(size: int, seconds: float) -> int:
    if seconds > LEASE:
        return max(size // 2, 1)
    return min(size * 2, LARGEST_BATCH) if seconds < LEASE / 2 else size


def components(pairs: list[tuple[str, str, float]]) -> dict[str, list[str]]:
    """Connected components of the copy graph (union-find), members sorted."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for doc in sorted(parent):
        groups.setdefault(root(doc), []).append(doc)
    return groups


def rebuild_clusters(con) -> None:
    """Each component's original is its earliest published copy (undated last,
    then by id). A copy's similarity to the original is its pair's when they
    were compared directly (the usual case), else computed once here."""
    pairs = sql.all_pairs(con)
    known = {(a, b): s for a, b, s in pairs}
    groups = components(pairs)
    published = sql.publication_dates(con, [doc for group in groups.values() for doc in group])
    rows, missing = [], []
    for group in groups.values():
        original = min(group, key=lambda d: (published.get(d) is None, published.get(d) or 0, d))
        for doc in group:
            share = None if doc == original else known.get((min(doc, original), max(doc, original)))
            if share is None and doc != original:
                missing.append((len(rows), doc, original))
            rows.append([doc, original, doc == original, len(group), share])
    texts = sql.texts_of(con, [d for _, doc, original in missing for d in (doc, original)])
    for index, doc, original in missing:
        rows[index][4] = jaccard(texts[doc], texts[original])
    frame = pd.DataFrame(rows, columns=["doc", "cluster", "is_original", "copies", "similarity"])
    sql.replace_clusters(con, frame.astype({"similarity": "float64"}))
