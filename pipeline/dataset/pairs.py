"""Candidate pairs decided in bulk: MinHash estimates and exact Jaccard
similarities of many pairs at once, in numpy.

Why: documents written from one template (3,000 notices differing by a
number, tests/test_ingest_faults.py's corpus) make every pair a candidate
(4.5 million); decided one pair at a time in Python, that took a minute
of CPU for documents stored in a second (issue 13). The values are those of
the per-pair code (clusters.estimate and clusters.set_jaccard; a test
compares them).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# elements gathered at once (two uint64 arrays of this size: 64 MB at most)
ELEMENTS = 1 << 22


def coded(candidates: pa.Table) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(the distinct documents, then each pair's two sides as indices into them)."""
    a, b = candidates.column("a"), candidates.column("b")
    sides = pa.chunked_array([*a.chunks, *b.chunks], a.type)
    codes = pc.dictionary_encode(sides).combine_chunks()
    index = codes.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes.dictionary.to_pylist(), index[:candidates.num_rows], index[candidates.num_rows:]


def estimates(signatures: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of equal MinHash values of each pair (rows of `signatures`)."""
    out = np.empty(len(a), dtype=np.float64)
    step = max(ELEMENTS // max(signatures.shape[1], 1), 1)
    for start in range(0, len(a), step):
        pick = slice(start, start + step)
        out[pick] = np.count_nonzero(signatures[a[pick]] == signatures[b[pick]], axis=1) / signatures.shape[1]
    return out


def jaccards(sets: list[np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact Jaccard of each pair of sorted, distinct hash arrays (0 if either
    is empty): both sides of a chunk of pairs tagged with the pair's number
    and sorted, so an element of both sides appears twice in a row."""
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    flat = np.concatenate(sets).astype(np.uint64) if len(sets) else np.zeros(0, np.uint64)
    first = np.cumsum(sizes) - sizes
    out = np.zeros(len(a), dtype=np.float64)
    for pick in _chunks(sizes[a] + sizes[b]):
        both = np.concatenate([_gather(flat, first, sizes, a[pick]), _gather(flat, first, sizes, b[pick])])
        pair = np.concatenate([np.repeat(np.arange(len(a[pick])), sizes[a[pick]]),
                               np.repeat(np.arange(len(b[pick])), sizes[b[pick]])]).astype(np.uint64)
        keys = np.sort((pair << np.uint64(32)) | both)
        repeated = keys[1:][keys[1:] == keys[:-1]] >> np.uint64(32)
        common = np.bincount(repeated.astype(np.int64), minlength=len(a[pick]))
        union = sizes[a[pick]] + sizes[b[pick]] - common
        out[pick] = np.where((sizes[a[pick]] > 0) & (sizes[b[pick]] > 0), common / np.maximum(union, 1), 0.0)
    return out


def _gather(flat: np.ndarray, first: np.ndarray, sizes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The elements of these rows of a ragged array, row after row."""
    counts = sizes[rows]
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return flat[np.repeat(first[rows], counts) + within]


def _chunks(elements: np.ndarray):
    """Slices of consecutive pairs holding about ELEMENTS elements each."""
    start, total = 0, np.cumsum(elements)
    while start < len(elements):
        base = total[start - 1] if start else 0
        stop = max(int(np.searchsorted(total, base + ELEMENTS, side="right")), start + 1)
        yield slice(start, stop)
        start = stop
