"""Masking what a hosted model never needs to see, and mapping quotes back.

Before a message leaves the machine, `mask` replaces email addresses, phone
numbers and URLs that carry query strings or token-like path segments
(password resets, signed links, invite links) by placeholders such as
`[email]`.  The model quotes evidence from the masked text; the returned
`Unmask` maps such a quote back to the exact substring of the *original*
text it stands for, because evidence must always be a substring of the
message as the user sees it.  A quote that cuts a placeholder in half takes
the whole original item.  Pure functions, no I/O.

Callers may add their own patterns (`extra`): the LLM classifier uses this to
neutralise its prompt delimiters inside customer text with the same mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# A phone number: optional +country code, optional (area), then groups of digits split by space, dot or dash.
# Nine to fifteen digits in all (checked in code), which leaves dates, amounts and seat counts alone.
PHONE = re.compile(r"(?<![\w+/-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]\d{2,5}){1,4}(?![\w/-])"
                   r"|(?<![\w+])\+\d{9,15}(?!\w)")
URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'|]+", re.IGNORECASE)
_URL_TRAIL = ".,;:!?)]}'\""
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A path or fragment segment that looks like a secret: long and mixing letters and digits.
_TOKENISH = re.compile(r"[A-Za-z0-9_\-]{20,}")

PLACEHOLDERS = {"email": "[email]", "phone": "[phone]", "url": "[url]"}


@dataclass(frozen=True, slots=True)
class MaskOptions:
    emails: bool = True
    phones: bool = True
    token_urls: bool = True


@dataclass(frozen=True, slots=True)
class _Piece:
    masked_start: int
    masked_end: int
    start: int   # in the original text
    end: int
    replaced: bool


class Unmask:
    """Maps a quote from the masked text to the original substring it stands for."""

    def __init__(self, original: str, masked: str, pieces: Sequence[_Piece]) -> None:
        self.original, self.masked, self.pieces = original, masked, tuple(pieces)

    @property
    def changed(self) -> bool:
        return any(p.replaced for p in self.pieces)

    def __call__(self, quote: str) -> str | None:
        """The original substring for `quote`, or None when `quote` is not in the masked text."""
        if not quote:
            return None
        at = self.masked.find(quote)
        if at < 0:
            return None
        start, end = self._position(at, start=True), self._position(at + len(quote), start=False)
        return self.original[start:end]

    def _position(self, masked_at: int, *, start: bool) -> int:
        for piece in self.pieces:
            if piece.masked_start <= masked_at < piece.masked_end or (
                    not start and piece.masked_start < masked_at <= piece.masked_end):
                if not piece.replaced:
                    return piece.start + masked_at - piece.masked_start
                if masked_at == piece.masked_start:
                    return piece.start
                if masked_at == piece.masked_end:
                    return piece.end
                return piece.start if start else piece.end  # a cut placeholder takes the whole item
        return len(self.original)


def mask(text: str, *, emails: bool = True, phones: bool = True, token_urls: bool = True,
         extra: Iterable[tuple[re.Pattern[str], str]] = ()) -> tuple[str, Unmask]:
    """`text` with private items replaced by placeholders, and the map back to the original.

    `extra` adds (pattern, replacement) pairs, matched after the built-in ones.
    """
    spans: list[tuple[int, int, str]] = []
    if token_urls:
        spans += _claim(spans, ((s, e, PLACEHOLDERS["url"]) for s, e in _token_urls(text)))
    if emails:
        spans += _claim(spans, ((m.start(), m.end(), PLACEHOLDERS["email"]) for m in EMAIL.finditer(text)))
    if phones:
        spans += _claim(spans, ((m.start(), m.end(), PLACEHOLDERS["phone"]) for m in PHONE.finditer(text)
                                if _is_phone(m.group())))
    for pattern, replacement in extra:
        spans += _claim(spans, ((m.start(), m.end(), replacement) for m in pattern.finditer(text) if m.end() > m.start()))
    return _apply(text, sorted(spans))


def _claim(taken: list[tuple[int, int, str]], found: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The found spans that overlap no span already taken (nor each other)."""
    kept: list[tuple[int, int, str]] = []
    for span in found:
        if not any(span[0] < e and s < span[1] for s, e, _ in taken + kept):
            kept.append(span)
    return kept


def _apply(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, Unmask]:
    out: list[str] = []
    pieces: list[_Piece] = []
    at = length = 0
    for start, end, replacement in spans + [(len(text), len(text), "")]:
        if start > at:
            out.append(text[at:start])
            pieces.append(_Piece(length, length + start - at, at, start, False))
            length += start - at
        if end > start:
            out.append(replacement)
            pieces.append(_Piece(length, length + len(replacement), start, end, True))
            length += len(replacement)
        at = max(at, end)
    masked = "".join(out)
    return masked, Unmask(text, masked, pieces)


def _token_urls(text: str) -> Iterable[tuple[int, int]]:
    for m in URL.finditer(text):
        url = m.group().rstrip(_URL_TRAIL)
        rest = url.split("://", 1)[1]
        path = rest.split("/", 1)[1] if "/" in rest else ""
        if "?" in url or "#" in url and len(url.split("#", 1)[1]) > 8 or "@" in rest.split("/", 1)[0] \
                or any(any(c.isdigit() for c in seg) and any(c.isalpha() for c in seg)
                       for seg in _TOKENISH.findall(path)):
            yield m.start(), m.start() + len(url)


def _is_phone(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    return 9 <= digits <= 15 and not _ISO_DATE.fullmatch(candidate.strip())
