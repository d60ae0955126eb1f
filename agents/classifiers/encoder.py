"""A fine-tuned sentence encoder run with numpy alone: WordPiece and a BERT forward pass.

The local classifier can add a second opinion to its n-gram model: a
6-layer MiniLM (all-MiniLM-L6-v2, Apache-2.0) fine-tuned on the labelled
messages (`tools/train_encoder.py`, which needs PyTorch; running it does
not).  The n-gram model knows the phrases it was shown; the encoder reads
meaning across wordings it was not.  Each misses things the other finds, and
together they do better than either (BENCHMARKS.md).

The weights ship as int8 with one scale per output column, dequantised to
float32 when loaded.  The file is a NumPy `.npz` read with
`allow_pickle=False`, like the n-gram model: reading it runs no code.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from agents.classifiers.features import WORD_CACHE

MAX_TOKENS = 128        # what the encoder was fine-tuned with, [CLS] and [SEP] included
MAX_WORD_CHARS = 100    # a longer "word" is [UNK], as in BERT
BATCH = 32


class WordPiece:
    """BERT's uncased tokenizer: clean, split CJK, lowercase, strip accents, split punctuation, WordPiece."""

    def __init__(self, vocab: Sequence[str], cache_size: int = WORD_CACHE) -> None:
        self.cache_size = cache_size
        self.ids = {token: i for i, token in enumerate(vocab)}
        self.unk, self.cls, self.sep = self.ids["[UNK]"], self.ids["[CLS]"], self.ids["[SEP]"]
        self._pieces: dict[str, tuple[int, ...]] = {}  # word -> its pieces: words repeat, so look each up once

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        if len(self._pieces) > self.cache_size:  # bounded (`features.WORD_CACHE`)
            self._pieces.clear()
        ids = [self.cls]
        for word in _basic_words(text):
            pieces = self._pieces.get(word)
            if pieces is None:
                pieces = self._pieces[word] = self._wordpiece(word)
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


def _basic_words(text: str) -> list[str]:
    out: list[str] = []
    for chunk in _clean(text).lower().split():
        chunk = "".join(c for c in unicodedata.normalize("NFD", chunk) if unicodedata.category(c) != "Mn")
        word = ""
        for char in chunk:
            if _is_punctuation(char):
                out.extend((word, char) if word else (char,))
                word = ""
            else:
                word += char
        if word:
            out.append(word)
    return out


def _clean(text: str) -> str:
    """Control characters dropped, whitespace made spaces, CJK characters made words of their own."""
    chars = []
    for char in text:
        cp = ord(char)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(char) in ("Cc", "Cf") and char not in "\t\n\r"):
            continue
        if _is_cjk(cp):
            chars.append(f" {char} ")
        else:
            chars.append(" " if char.isspace() else char)
    return "".join(chars)


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
class Layer:
    qkv: np.ndarray      # (hidden, 3 * hidden)
    qkv_bias: np.ndarray
    out: np.ndarray      # (hidden, hidden)
    out_bias: np.ndarray
    norm1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray       # (hidden, intermediate)
    up_bias: np.ndarray
    down: np.ndarray     # (intermediate, hidden)
    down_bias: np.ndarray
    norm2: tuple[np.ndarray, np.ndarray]


@dataclass
class Encoder:
    """The fine-tuned encoder and its classification head: text in, one logit per type out."""

    types: tuple[str, ...]
    tokenizer: WordPiece
    words: np.ndarray        # (vocab, hidden)
    positions: np.ndarray    # (MAX_TOKENS, hidden), token type 0 folded in
    norm: tuple[np.ndarray, np.ndarray]
    layers: list[Layer]
    heads: int
    head: np.ndarray         # (hidden, n_types)
    head_bias: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_types) raw scores; texts are batched by length so little is spent on padding."""
        ids = [self.tokenizer.encode(t) for t in texts]
        out = np.zeros((len(texts), len(self.types)), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            out[batch] = self._forward([ids[i] for i in batch])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in batch)
        tokens = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for i, ids in enumerate(batch):
            tokens[i, :len(ids)] = ids
            mask[i, :len(ids)] = 1.0
        x = _layer_norm(self.words[tokens] + self.positions[:length], *self.norm)
        blocked = (1.0 - mask)[:, None, None, :] * np.float32(-1e4)  # padding gets no attention
        for layer in self.layers:
            x = self._layer(x, layer, blocked)
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled @ self.head + self.head_bias

    def _layer(self, x: np.ndarray, layer: Layer, blocked: np.ndarray) -> np.ndarray:
        # Linear maps run on (tokens, hidden) matrices and attention on contiguous per-head stacks:
        # numpy hands both to BLAS, where strided 3-D operands would take its slow generic loop.
        b, n, hidden = x.shape
        size = hidden // self.heads
        flat = x.reshape(b * n, hidden)
        qkv = (flat @ layer.qkv + layer.qkv_bias).reshape(b, n, 3, self.heads, size).transpose(2, 0, 3, 1, 4)
        q, k, v = (np.ascontiguousarray(qkv[i]) for i in range(3))
        scores = q @ k.transpose(0, 1, 3, 2).copy() / np.float32(np.sqrt(size)) + blocked
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(b * n, hidden)
        flat = _layer_norm(flat + context @ layer.out + layer.out_bias, *layer.norm1)
        h = flat @ layer.up + layer.up_bias
        h = _gelu(h)
        return _layer_norm(flat + h @ layer.down + layer.down_bias, *layer.norm2).reshape(b, n, hidden)

    # -- files -------------------------------------------------------------------

    @classmethod
    def load(cls, source: Any) -> "Encoder":
        with np.load(source, allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode())
            vocab = archive["vocab"].tobytes().decode().split("\n")
            get = {name: archive[name] for name in archive.files}
        matrix = lambda name: _dequantise(get[name], get[name + ".scale"])  # noqa: E731
        layers = [Layer(qkv=matrix(f"{i}.qkv"), qkv_bias=get[f"{i}.qkv_bias"], out=matrix(f"{i}.out"),
                        out_bias=get[f"{i}.out_bias"], norm1=(get[f"{i}.norm1.w"], get[f"{i}.norm1.b"]),
                        up=matrix(f"{i}.up"), up_bias=get[f"{i}.up_bias"], down=matrix(f"{i}.down"),
                        down_bias=get[f"{i}.down_bias"], norm2=(get[f"{i}.norm2.w"], get[f"{i}.norm2.b"]))
                  for i in range(meta["layers"])]
        return cls(types=tuple(meta["types"]), tokenizer=WordPiece(vocab), words=matrix("words"),
                   positions=get["positions"].astype(np.float32), norm=(get["norm.w"], get["norm.b"]),
                   layers=layers, heads=meta["heads"], head=get["head"], head_bias=get["head_bias"], meta=meta)


def quantise(matrix: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """int8 values and a float32 scale per column (axis 0) or per row (axis 1: the word table's rows)."""
    scale = np.abs(matrix).max(axis=axis, keepdims=True) / 127.0
    scale[scale == 0] = 1.0
    return np.round(matrix / scale).astype(np.int8), scale.astype(np.float32)


def _dequantise(values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return values.astype(np.float32) * scale


def _gelu(h: np.ndarray) -> np.ndarray:
    """GELU by its tanh form: within 1e-3 of the exact one BERT was trained with, and 10x faster than erf."""
    return 0.5 * h * (1.0 + np.tanh(np.float32(0.7978845608) * (h + np.float32(0.044715) * h * h * h)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * weight + bias
