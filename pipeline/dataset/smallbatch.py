"""The same shingles and MinHash values as kernel.py, in Arrow and numpy,
for small batches.

The compiled kernel is ~4x cheaper per document, but loading it costs a
process ~0.9 CPU s once (numba's import, then scipy.linalg on the first
call): `vnfacts run` after a crawl of a few hundred pages spent more on
loading it than on its documents (its copies took 1.4 s instead of ~0.1).
Break-even is a few thousand documents, so a batch smaller than
clusters.COMPILED_FROM documents is sketched here unless the kernel is
loaded already. Tests compare both with the one-text-at-a-time Python and
datasketch code (the same values, on the bulk texts too).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Python's \w is a character that isalnum() or "_": a letter or a number.
_NOT_WORD = r"[^\pL\pN_]+"
# Shingles permuted at once: CHUNK x permutations uint32 values (8 MB at 128), so
# memory stays flat whatever the batch or the size of one text.
CHUNK = 16384


def text_array(texts) -> pa.Array:
    """A batch's texts (a list of str, an Arrow array or chunked array) as one
    large_string array, a missing text as "" (kernel.py reads its buffers)."""
    if not isinstance(texts, (pa.Array, pa.ChunkedArray)):
        texts = pa.array(texts, pa.large_string())
    texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    return pc.fill_null(texts.cast(pa.large_string()), "")


def words_of(texts) -> tuple[np.ndarray, np.ndarray]:
    """The batch's words hashed, in order (pandas' hash_array of each distinct
    word, lower-cased by Arrow), and each text's number of words."""
    texts = text_array(texts)
    tokens = pc.split_pattern_regex(pc.utf8_lower(texts), _NOT_WORD)
    flat = tokens.flatten()
    kept = pc.greater(pc.binary_length(flat), 0)  # a text starting or ending with a non-word gives ""
    text_of = np.repeat(np.arange(len(texts)), np.diff(tokens.offsets.to_numpy()))
    counts = np.bincount(text_of[kept.to_numpy(zero_copy_only=False)], minlength=len(texts))
    words = pc.dictionary_encode(flat.filter(kept))
    distinct = words.dictionary.to_numpy(zero_copy_only=False).astype(object)
    hashes = pd.util.hash_array(distinct, categorize=False) if len(distinct) else np.zeros(0, dtype=np.uint64)
    return hashes[words.indices.to_numpy()], counts.astype(np.int64)


def shingles_of(texts, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Every text's shingle hashes (uint32, repeats kept) and their number per text."""
    word_hash, counts = words_of(texts)
    shingles = np.maximum(counts - (width - 1), 0)
    mixed = np.zeros(max(len(word_hash) - width + 1, 0), dtype=np.uint64)
    for offset in range(width):
        # uint64 arithmetic wraps: a polynomial hash modulo 2^64, folded to 32 bits
        mixed = mixed * np.uint64(0x100000001B3) + word_hash[offset:offset + len(mixed)]
    folded = ((mixed ^ (mixed >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    # a text's shingles start at its own words and never run into the next text
    first_word = np.cumsum(counts) - counts
    within = np.arange(shingles.sum()) - np.repeat(np.cumsum(shingles) - shingles, shingles)
    return folded[np.repeat(first_word, shingles) + within], shingles


def _fmix32(h: np.ndarray) -> np.ndarray:
    """The MurmurHash3 finalizer datasketch's affine32 scheme applies first."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def minhash_rows(shingles: np.ndarray, counts: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One MinHash row per text (all 0xFFFFFFFF for a text without shingles),
    a chunk of shingles permuted at once."""
    out = np.full((len(counts), len(a)), 0xFFFFFFFF, dtype=np.uint32)
    buffer = np.empty((len(a), CHUNK), dtype=np.uint32)  # reused: no 8 MB temporaries per chunk
    for rows, flat, starts in _chunks(shingles.astype(np.uint32, copy=False), counts):
        # one row per permutation (uint32 arithmetic wraps: modulo 2^32), so
        # each text's minimum is over a contiguous run
        permuted = buffer[:, :len(flat)]
        np.multiply(a[:, None], _fmix32(flat)[None, :], out=permuted)
        np.add(permuted, b[:, None], out=permuted)
        # a chunk holds a row once (only a text's last piece shares a chunk)
        out[rows] = np.minimum(out[rows], np.minimum.reduceat(permuted, starts, axis=1).T)
    return out


def _chunks(shingles: np.ndarray, counts: np.ndarray):
    """(row of each piece, the pieces' hashes concatenated, where each piece
    starts) with at most CHUNK hashes a chunk; a long text is cut in pieces."""
    rows, pieces, size = [], [], 0
    for row, hashes in enumerate(np.split(shingles, np.cumsum(counts)[:-1]) if len(counts) else []):
        for begin in range(0, len(hashes), CHUNK):
            piece = hashes[begin:begin + CHUNK]
            if size + len(piece) > CHUNK:
                yield _chunk(rows, pieces)
                rows, pieces, size = [], [], 0
            rows.append(row)
            pieces.append(piece)
            size += len(piece)
    if pieces:
        yield _chunk(rows, pieces)


def _chunk(rows: list[int], pieces: list[np.ndarray]):
    starts = np.cumsum([0] + [len(p) for p in pieces[:-1]])
    return np.array(rows), np.concatenate(pieces), starts
