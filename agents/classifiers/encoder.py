"""A fine-tuned sentence encoder: WordPiece and embeddings in numpy, the transformer in ONNX Runtime.

The local classifier can add a second opinion to its n-gram model: a
6-layer MiniLM (all-MiniLM-L6-v2, Apache-2.0) fine-tuned on the labelled
messages (`tools/train_encoder.py`, which needs PyTorch; running it does
not: it needs numpy and onnxruntime, both CPU-only wheels from PyPI).  The n-gram model knows the phrases it was shown; the encoder reads
meaning across wordings it was not.  Each misses things the other finds, and
together they do better than either (BENCHMARKS.md).

Two files ship: `encoder.npz`, the vocabulary and the embedding tables
(the word table int8 with a scale per row), read with `allow_pickle=False`
like the n-gram model; and `encoder.onnx`, the six layers and the head with
int8 weights (a scale per column), a graph of standard ONNX operators that
ONNX Runtime runs.  Neither file can run code of its own when read.
"""

from __future__ import annotations

import json
import os
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from agents.classifiers.features import WORD_CACHE

MAX_TOKENS = 128        # what the encoder was fine-tuned with, [CLS] and [SEP] included
MAX_WORD_CHARS = 100    # a longer "word" is [UNK], as in BERT


class WordPiece:
    """BERT's uncased tokenizer: clean, split CJK, lowercase, strip accents, split punctuation, WordPiece."""

    def __init__(self, vocab: Sequence[str], cache_size: int = WORD_CACHE) -> None:
        self.cache_size = cache_size
        self.ids = {token: i for i, token in enumerate(vocab)}
        self.unk, self.cls, self.sep = self.ids["[UNK]"], self.ids["[CLS]"], self.ids["[SEP]"]
        self._table = _CleanTable()
        # whitespace-separated chunk -> its ids: chunks repeat, so each is split and looked up once
        self._pieces: dict[str, tuple[int, ...]] = {}

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        if len(self._pieces) > self.cache_size:  # bounded (`features.WORD_CACHE`)
            self._pieces.clear()
        ids = [self.cls]
        # cleaning and lowercasing are a character-by-character map, so str.translate does them in C; the rest
        # is per chunk
        for chunk in text.translate(self._table).split():
            pieces = self._pieces.get(chunk)
            if pieces is None:
                pieces = self._pieces[chunk] = tuple(i for word in _chunk_words(chunk) for i in self._wordpiece(word))
            ids.extend(pieces)
            if len(ids) >= max_tokens - 1:
                break
        return ids[:max_tokens - 1] + [self.sep]

    def _wordpiece(self, word: str) -> tuple[int, ...]:
        """Greedy longest-match-first; a word with any piece missing from the vocabulary is [UNK]."""
        if len(word) > MAX_WORD_CHARS:
            return (self.unk,)
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    break
                end -= 1
            if end == start:
                return (self.unk,)
            start = end
        return tuple(pieces)


def _chunk_words(chunk: str) -> list[str]:
    """One cleaned, lowercased chunk without whitespace, as words: accents stripped, each punctuation mark alone."""
    out: list[str] = []
    word = ""
    for char in "".join(c for c in unicodedata.normalize("NFD", chunk) if unicodedata.category(c) != "Mn"):
        if _is_punctuation(char):
            out.extend((word, char) if word else (char,))
            word = ""
        else:
            word += char
    if word:
        out.append(word)
    return out


class _CleanTable(dict):
    """`str.translate`'s table for BERT's cleaning, filled a character at a time as each is first seen."""

    def __missing__(self, cp: int) -> str | None:
        self[cp] = cleaned = _cleaned(chr(cp))
        return cleaned


def _cleaned(char: str) -> str | None:
    """A control character dropped (None), whitespace made a space, a CJK character made a word of its own,
    anything else lowercased.

    Lowercased a character at a time, as BERT's tokenizer (the one the
    encoder was fine-tuned with) does: `str.lower` on a whole text would make
    a word-final sigma ς where it keeps σ.
    """
    cp = ord(char)
    if cp == 0 or cp == 0xFFFD or (unicodedata.category(char) in ("Cc", "Cf") and char not in "\t\n\r"):
        return None
    if _is_cjk(cp):
        return f" {char} "
    return " " if char.isspace() else char.lower()


def _is_punctuation(char: str) -> bool:
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(cp: int) -> bool:
    return any(low <= cp <= high for low, high in (
        (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
        (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)))


# -- the network ------------------------------------------------------------------

@dataclass
class Encoder:
    """The fine-tuned encoder and its classification head: text in, one logit per type out.

    The word, position and norm tables are numpy (`words` stored int8 per row);
    the six transformer layers, the mean pooling and the head are an int8
    ONNX graph run by ONNX Runtime, which multiplies int8 matrices with the
    CPU's integer instructions: 6x the float32 numpy pass this replaced
    (about 750 texts a second on 2 cores), for logits within 0.1 of it on
    average (BENCHMARKS.md).
    """

    types: tuple[str, ...]
    tokenizer: WordPiece
    words: np.ndarray        # (vocab, hidden)
    positions: np.ndarray    # (MAX_TOKENS, hidden), token type 0 folded in
    norm: tuple[np.ndarray, np.ndarray]
    session: Any             # onnxruntime.InferenceSession: (x, mask) -> logits
    threads: int = 1
    meta: dict[str, Any] = field(default_factory=dict)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_types) raw scores, each text read on its own, on as many threads as there are cores.

        One at a time, because int8 activations are scaled per call: in a
        batch, a text's logits would move with its neighbours' (by 0.08 on
        average, measured).  Alone, a text always scores the same.  ONNX
        Runtime lets go of the GIL, so the threads run in parallel.
        """
        ids = [self.tokenizer.encode(t) for t in texts]
        out = np.zeros((len(texts), len(self.types)), dtype=np.float32)
        if len(ids) == 1 or self.threads == 1:
            for i, one in enumerate(ids):
                out[i] = self._forward(one)
            return out
        with ThreadPoolExecutor(self.threads) as pool:
            for i, row in enumerate(pool.map(self._forward, ids)):
                out[i] = row
        return out

    def _forward(self, ids: list[int]) -> np.ndarray:
        x = _layer_norm(self.words[ids] + self.positions[:len(ids)], *self.norm)[None]
        return self.session.run(None, {"x": x, "mask": np.ones((1, len(ids)), dtype=np.float32)})[0][0]

    # -- files -------------------------------------------------------------------

    @classmethod
    def load(cls, source: Any, graph: bytes) -> "Encoder":
        """The tables from the `.npz` at `source`, the layers from the ONNX `graph` beside it."""
        with np.load(source, allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode())
            vocab = archive["vocab"].tobytes().decode().split("\n")
            get = {name: archive[name] for name in archive.files}
        return cls(types=tuple(meta["types"]), tokenizer=WordPiece(vocab),
                   words=_dequantise(get["words"], get["words.scale"]),
                   positions=get["positions"].astype(np.float32), norm=(get["norm.w"], get["norm.b"]),
                   session=_session(graph), threads=_usable_cores(), meta=meta)


def _usable_cores() -> int:
    """The cores this process may run on (a container's or `taskset`'s share), not the host's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _session(graph: bytes) -> Any:
    import onnxruntime  # here, not at import: the n-gram model alone never pays for it

    options = onnxruntime.SessionOptions()
    # one thread per call: `Encoder.logits` runs a call per core, which measured 1.3x faster than one call
    # spread over both cores (one text is too small a matrix to split well)
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: its warnings are about graph fusions, not about the input
    try:
        return onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types, none exported as a base class
        raise ValueError(f"not an encoder graph ONNX Runtime can run: {str(exc).splitlines()[0]}") from None


def quantise(matrix: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """int8 values and a float32 scale per column (axis 0) or per row (axis 1: the word table's rows)."""
    scale = np.abs(matrix).max(axis=axis, keepdims=True) / 127.0
    scale[scale == 0] = 1.0
    return np.round(matrix / scale).astype(np.int8), scale.astype(np.float32)


def _dequantise(values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return values.astype(np.float32) * scale


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * weight + bias
