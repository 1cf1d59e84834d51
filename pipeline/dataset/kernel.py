"""The compiled inner loops of clustering (numba): words, shingles, MinHash.

One pass over a batch's UTF-8 bytes finds each text's words (runs of letters,
digits and "_"), lower-cases them, and hashes each word with the same 64-bit
value pandas' hash_array gives its string (SipHash-2-4 with pandas' key, then
pandas' mix), so the shingles and the MinHash values are those the Arrow and
numpy code gave (tests compare them; sketches stored before stay valid).
Why compiled: splitting 27.5 M characters into 6.1 M words cost ~1.9 CPU s
in Arrow, and any path through Python strings ~0.8 s before hashing (issue 13);
here it is one loop over the bytes.

Which code points are word characters, and their lower case, come from tables
built from Python's own str methods (tables()): the Basic Multilingual Plane
(46 ms, once a process), and the rest of Unicode (0.1 s) only when a batch
holds a character above it.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numba as nb
import numpy as np

from pipeline.dataset.smallbatch import text_array

_KEY = b"0123456789123456"  # pandas' default hash key
K0 = int.from_bytes(_KEY[:8], "little")
K1 = int.from_bytes(_KEY[8:], "little")
WORD_BUFFER = 256  # bytes of one lower-cased word; a call with a longer word is made again with more


@lru_cache(maxsize=2)
def tables(size: int = 0x10000) -> tuple[np.ndarray, np.ndarray]:
    """(is_word, lower) for code points below `size`: whether the lower-cased
    code point is \\w, and its lower case's first code point (Arrow's simple
    mapping, which the stored sketches were made with: "İ" -> "i")."""
    chars = [chr(c) if not 0xD800 <= c < 0xE000 else " " for c in range(0x10000)]
    lowered = [c.lower()[0] for c in chars]
    is_word = np.array([c.isalnum() or c == "_" for c in lowered], dtype=np.bool_)
    lower = np.array([ord(c) for c in lowered], dtype=np.int32)
    if size > 0x10000:
        above_word, above_lower = _tables_above_bmp(size)
        is_word, lower = np.concatenate((is_word, above_word)), np.concatenate((lower, above_lower))
    return is_word, lower


def _tables_above_bmp(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The same tables from U+10000 on, computed over one string (0.1 s, not
    0.6 one character at a time): above the BMP every lower case is one code
    point and none depends on its neighbours."""
    lowered = np.arange(0x10000, size, dtype=np.uint32).tobytes().decode("utf-32-le").lower()
    is_word = np.zeros(len(lowered), dtype=np.bool_)
    is_word[[m.start() for m in re.finditer(r"\w", lowered)]] = True
    return is_word, np.frombuffer(lowered.encode("utf-32-le"), dtype=np.uint32).astype(np.int32)


@nb.njit(cache=True, inline="always")
def _rotl(x, b):
    return (x << np.uint64(b)) | (x >> np.uint64(64 - b))


@nb.njit(cache=True)
def siphash24(buf, n, k0, k1):
    """SipHash-2-4 of buf[:n] (uint8), the hash pandas' hash_object_array uses."""
    v0 = k0 ^ np.uint64(0x736F6D6570736575)
    v1 = k1 ^ np.uint64(0x646F72616E646F6D)
    v2 = k0 ^ np.uint64(0x6C7967656E657261)
    v3 = k1 ^ np.uint64(0x7465646279746573)
    end = n - (n % 8)
    for i in range(0, end, 8):
        m = np.uint64(0)
        for j in range(8):
            m |= np.uint64(buf[i + j]) << np.uint64(8 * j)
        v0, v1, v2, v3 = _rounds(v0, v1, v2, v3, m, 2)
    last = np.uint64(n & 0xFF) << np.uint64(56)
    for j in range(n % 8):
        last |= np.uint64(buf[end + j]) << np.uint64(8 * j)
    v0, v1, v2, v3 = _rounds(v0, v1, v2, v3, last, 2)
    v2 ^= np.uint64(0xFF)
    v0, v1, v2, v3 = _rounds(v0, v1, v2, v3, np.uint64(0), 4)
    return v0 ^ v1 ^ v2 ^ v3


@nb.njit(cache=True, inline="always")
def _rounds(v0, v1, v2, v3, m, count):
    """`count` SipRounds absorbing m (m = 0 for the finalization)."""
    v3 ^= m
    for _ in range(count):
        v0 += v1
        v1 = _rotl(v1, 13)
        v1 ^= v0
        v0 = _rotl(v0, 32)
        v2 += v3
        v3 = _rotl(v3, 16)
        v3 ^= v2
        v0 += v3
        v3 = _rotl(v3, 21)
        v3 ^= v0
        v2 += v1
        v1 = _rotl(v1, 17)
        v1 ^= v2
        v2 = _rotl(v2, 32)
    v0 ^= m
    return v0, v1, v2, v3


@nb.njit(cache=True, inline="always")
def pandas_mix(h):
    """The mix pandas' hash_array applies after SipHash."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))




@nb.njit(cache=True, inline="always")
def _code_point(data, i):
    """(code point, its byte length) of the UTF-8 sequence at data[i] (valid UTF-8: Arrow's strings)."""
    b = np.int64(data[i])
    if b < 0x80:
        return b, 1
    if b < 0xE0:
        return ((b & 0x1F) << 6) | (data[i + 1] & 0x3F), 2
    if b < 0xF0:
        return ((b & 0x0F) << 12) | ((data[i + 1] & 0x3F) << 6) | (data[i + 2] & 0x3F), 3
    return ((b & 0x07) << 18) | ((data[i + 1] & 0x3F) << 12) | ((data[i + 2] & 0x3F) << 6) | (data[i + 3] & 0x3F), 4


@nb.njit(cache=True, inline="always")
def _put_utf8(buf, n, cp):
    """Append code point cp to buf[n:] as UTF-8; the new length."""
    if cp < 0x80:
        buf[n] = cp
        return n + 1
    if cp < 0x800:
        buf[n], buf[n + 1] = 0xC0 | (cp >> 6), 0x80 | (cp & 0x3F)
        return n + 2
    if cp < 0x10000:
        buf[n], buf[n + 1], buf[n + 2] = 0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F)
        return n + 3
    buf[n], buf[n + 1] = 0xF0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3F)
    buf[n + 2], buf[n + 3] = 0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F)
    return n + 4


@nb.njit(cache=True)
def word_hashes(data, offsets, is_word, lower, out, counts, buffer_size):
    """Each text's words (data[offsets[t]:offsets[t+1]]) hashed in order into
    `out`, their number per text into `counts`. Returns the words written, -1
    if a code point is beyond the tables, -2 if `out` is too small, -3 if a
    word is longer than buffer_size bytes. (The buffer is never grown in the
    loop: a reassigned array costs reference counting on every character.)"""
    buf = np.empty(buffer_size, dtype=np.uint8)
    k0, k1 = np.uint64(K0), np.uint64(K1)
    written = 0
    for t in range(len(offsets) - 1):
        i, end, length, start = offsets[t], offsets[t + 1], 0, written
        while i <= end:
            cp, size = _code_point(data, i) if i < end else (0x20, 1)  # a space closes the last word
            if cp >= len(is_word):
                return -1
            if is_word[cp]:
                if length + 4 > buffer_size:
                    return -3
                length = _put_utf8(buf, length, lower[cp])
            elif length:
                if written == len(out):
                    return -2
                out[written] = pandas_mix(siphash24(buf, length, k0, k1))
                written, length = written + 1, 0
            i += size
        counts[t] = written - start
    return written


@nb.njit(cache=True)
def shingle_hashes(words, counts, width, out, shingle_counts):
    """Each text's shingles of `width` words, the words' hashes mixed as a
    polynomial modulo 2^64 (multiplier 0x100000001B3) folded to 32 bits, into
    `out`; returns the number written. A shingle never spans two texts."""
    written, first = 0, 0
    for t in range(len(counts)):
        n = counts[t]
        for s in range(first, first + n - width + 1):
            mixed = np.uint64(0)
            for k in range(width):
                mixed = mixed * np.uint64(0x100000001B3) + words[s + k]
            out[written] = np.uint32((mixed ^ (mixed >> np.uint64(32))) & np.uint64(0xFFFFFFFF))
            written += 1
        shingle_counts[t] = max(n - width + 1, 0)
        first += n
    return written


@nb.njit(cache=True, inline="always")
def _fmix32(h):
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & np.uint64(0xFFFFFFFF)
    return h ^ (h >> np.uint64(16))


@nb.njit(cache=True)
def minhash(shingles, counts, a, b, out):
    """Row t of `out` (pre-filled with the empty value) becomes the MinHash of
    text t's shingles under datasketch's affine32 scheme: the minimum over
    shingles of (a * fmix32(h) + b) mod 2^32, for each permutation (a, b)."""
    perms = len(a)
    values = np.empty(perms, dtype=np.uint32)
    first = 0
    for t in range(len(counts)):
        row = out[t]
        for s in range(first, first + counts[t]):
            mixed = np.uint32(_fmix32(np.uint64(shingles[s])))
            for p in range(perms):
                values[p] = a[p] * mixed + b[p]  # stored as uint32: modulo 2^32
            for p in range(perms):
                row[p] = min(row[p], values[p])
        first += counts[t]


def utf8_buffers(texts) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, offsets) of an Arrow string array or a list of str, zero-copy
    for a large_string array (what DuckDB hands over)."""
    texts = text_array(texts)
    _, offsets, data = texts.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64)[texts.offset:texts.offset + len(texts) + 1]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(1, np.uint8)
    return _read_only(data), _read_only(offsets)


def _read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view: Arrow's buffers come either way, and each kind would
    compile (and cache) its own copy of the kernel."""
    view = array.view()
    view.flags.writeable = False
    return view


def words_of(texts) -> tuple[np.ndarray, np.ndarray]:
    """Every text's word hashes in order (uint64) and each text's number of words."""
    data, offsets = utf8_buffers(texts)
    counts = np.zeros(len(offsets) - 1, dtype=np.int64)
    size, table, longest = (int(offsets[-1] - offsets[0]) // 4 + len(counts) + 1), 0x10000, WORD_BUFFER
    while True:
        out = np.empty(size, dtype=np.uint64)
        written = word_hashes(data, offsets, *tables(table), out, counts, longest)
        if written >= 0:
            return out[:written], counts
        if written == -1:  # a character above the BMP
            table = 0x110000
        elif written == -2:  # more words than the first guess: one-letter words fill half the bytes
            size = int(offsets[-1] - offsets[0]) // 2 + len(counts) + 1
        else:  # a word longer than the buffer (a lower-cased character takes at most 4 bytes)
            longest = 4 * int(np.diff(offsets).max()) + 4


def shingles_of(texts, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Every text's shingle hashes (uint32, repeats kept) and their number per text."""
    words, counts = words_of(texts)
    out = np.empty(max(len(words), 1), dtype=np.uint32)
    per_text = np.zeros(len(counts), dtype=np.int64)
    return out[:shingle_hashes(words, counts, width, out, per_text)], per_text


def minhash_rows(shingles: np.ndarray, counts: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One MinHash row per text (uint32; all 0xFFFFFFFF, datasketch's empty value, for a text without shingles)."""
    out = np.full((len(counts), len(a)), 0xFFFFFFFF, dtype=np.uint32)
    minhash(shingles.astype(np.uint32, copy=False), counts.astype(np.int64, copy=False), a, b, out)
    return out
