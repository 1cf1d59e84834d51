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
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from datasketch import MinHash

from pipeline.store import dataset as sql

SHINGLE_WORDS = 5
NUM_PERM = 128
BANDS, ROWS = 42, 3
COPY_JACCARD = 0.48
# the estimate's standard error at 0.48 with 128 values is sqrt(0.48 * 0.52 / 128) = 0.044
ESTIMATE_FLOOR = COPY_JACCARD - 6 * 0.044
SEED = 1
BATCH = 2000
WORD = re.compile(r"\w+")
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED).permutations


def shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the text's word 5-shingles, vectorized: every word is
    hashed once (pandas' SipHash of the string), a shingle mixes its five
    words' hashes. Repeated shingles are kept: a minimum ignores them."""
    words = WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return np.zeros(0, dtype=np.uint32)
    word_hash = pd.util.hash_array(np.array(words, dtype=object), categorize=False)
    mixed = np.zeros(len(words) - SHINGLE_WORDS + 1, dtype=np.uint64)
    for offset in range(SHINGLE_WORDS):
        # uint64 arithmetic wraps: a polynomial hash modulo 2^64, folded to 32 bits
        mixed = mixed * np.uint64(0x100000001B3) + word_hash[offset:offset + len(mixed)]
    return ((mixed ^ (mixed >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _identity(values):
    return values


def signature(text: str) -> tuple[int, np.ndarray]:
    """(number of shingles, MinHash values) of a text."""
    hashes = shingle_hashes(text)
    return len(hashes), minhash_values(new_minhash(), hashes)


def new_minhash() -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=_identity, permutations=_PERMUTATIONS, scheme="affine32")


def minhash_values(minhash: MinHash, hashes: np.ndarray) -> np.ndarray:
    """MinHash values of shingle hashes (the MinHash is reset and reused).

    datasketch hashes each item of a batch with `hashfunc`; handing it the
    whole array as one item with an identity hashfunc runs its permutations
    and minimum on the array at once (tests check the values equal those of
    feeding the shingles one by one)."""
    minhash.clear()
    if len(hashes):
        minhash.update_batch([hashes])
    return minhash.hashvalues.astype(np.uint32)


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


def sketch_batch(batch: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Signature and band rows of a batch of documents, and their shingle
    hashes (verification reuses them)."""
    minhash, shingles, values = new_minhash(), {}, []
    for doc, text in zip(batch["id"], batch["text"]):
        shingles[doc] = shingle_hashes(text)
        values.append(minhash_values(minhash, shingles[doc]))
    counts = np.array([len(h) for h in shingles.values()], dtype=np.int64)
    matrix = np.array(values, dtype="<u4").reshape(len(values), NUM_PERM)
    ids = batch["id"].to_numpy(dtype=object)
    signatures = pd.DataFrame({"doc": ids, "content_hash": batch["content_hash"].to_numpy(dtype=object),
                               "shingles": counts, "signature": [row.tobytes() for row in matrix]})
    banded = counts > 0  # a text with no shingle is compared with nothing
    bands = pd.DataFrame({"doc": np.repeat(ids[banded], BANDS),
                          "band": np.tile(np.arange(BANDS, dtype=np.int16), int(banded.sum())),
                          "hash": band_hashes(matrix[banded]).reshape(-1)})
    return signatures, bands, shingles


def verified_pairs(con, ids: list[str], known: dict[str, np.ndarray]) -> pd.DataFrame:
    """Candidate pairs of these documents whose Jaccard reaches the threshold.
    Pairs whose signatures estimate less than ESTIMATE_FLOOR (6 standard
    errors below the threshold) are dropped unread; the others are decided
    on the exact Jaccard. `known` holds the batch's shingle hashes; older
    partners are read and shingled once."""
    candidates = sql.candidate_pairs(con, ids)
    sigs = sql.signatures_of(con, [d for pair in candidates for d in pair])
    likely = [(a, b) for a, b in candidates if estimate(sigs[a], sigs[b]) >= ESTIMATE_FLOOR]
    needed = {d for pair in likely for d in pair}
    texts = sql.texts_of(con, [d for d in needed if d not in known])
    shingles = {d: set((known[d] if d in known else shingle_hashes(texts[d])).tolist()) for d in needed}
    kept = [(a, b, s) for a, b in likely if (s := set_jaccard(shingles[a], shingles[b])) >= COPY_JACCARD]
    return pd.DataFrame(kept, columns=["a", "b", "similarity"]).astype({"similarity": "float64"})


def update_clusters(con, max_batches: int | None = None, batch_size: int = BATCH) -> int:
    """Sketch documents stored since the last call (or changed), link their
    copies, and rebuild document_clusters. Returns the documents sketched.
    With max_batches, stop after that many batches and leave the rebuild to
    the call that finds nothing left (so a caller can hold the database
    only per batch)."""
    sql.ensure_schema(con)
    sql.forget_documents(con, sql.stale_sketches(con))  # deleted or changed texts: old sketches and pairs go
    done = batches = 0
    while (max_batches is None or batches < max_batches) and len(batch := sql.unsketched_documents(con, batch_size)):
        signatures, bands, shingles = sketch_batch(batch)
        sql.insert_sketches(con, signatures, bands)
        # pairs of a new document with an older one or another new one (DISTINCT
        # in SQL); older pairs were found when their newer side was stored
        sql.insert_pairs(con, verified_pairs(con, batch["id"].tolist(), shingles))
        done, batches = done + len(batch), batches + 1
    if max_batches is None or batches < max_batches:
        rebuild_clusters(con)
    return done


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
