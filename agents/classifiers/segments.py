"""The sentences of a message's new text, as offsets into the original text.

The classifier scores a message as a whole and sentence by sentence, and
quotes the best sentence as evidence.  Working in offsets, never in copies,
is what keeps evidence an exact substring of `message.text`; reading only
`new_text_spans` is what keeps quoted history and signatures out of it.
"""

from __future__ import annotations

import re

from connectors.email_text import new_text_spans

MAX_EVIDENCE = 240
MIN_WORDS = 4  # a shorter sentence ("Annoying.") is quoted with the one before it on its line
MIN_FRAGMENT_WORDS = 3  # shorter pieces on a line of their own are not sentences

# A sentence ends at . ! ? (with closing quotes/brackets) before whitespace, at
# a line break, or at a bullet.  Abbreviations such as "e.g. " cost a split,
# which only makes one piece of evidence shorter.
_BREAK = re.compile(r"(?<=[.!?])[\"')\]]*[ \t]+|\s*\n\s*(?:[-*\u2022]\s+)?")
_WORD = re.compile(r"\w+")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of the new text, stripped, in order; short ones merged back."""
    found: list[tuple[int, int]] = []
    for span_start, span_end in new_text_spans(text):
        first = len(found)  # short sentences merge only within one run of new text
        start = span_start
        for brk in _BREAK.finditer(text, span_start, span_end):
            _append(found, first, text, start, brk.start())
            start = brk.end()
        _append(found, first, text, start, span_end)
    return found


def _append(found: list[tuple[int, int]], first: int, text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not _WORD.search(stripped):
        return
    start += len(piece) - len(piece.lstrip())
    end = start + len(stripped)
    words = len(_WORD.findall(stripped))
    same_line = len(found) > first and "\n" not in text[found[-1][1]:start]  # never a sign-off or a list number
    if words < MIN_WORDS and same_line and end - found[-1][0] <= MAX_EVIDENCE:
        found[-1] = (found[-1][0], end)  # "Annoying." joins the sentence it comments on
    elif words >= MIN_FRAGMENT_WORDS:
        found.append((start, end))
    # else: a lone name, initial or list number ("Ryan", "3.") says nothing and must never be evidence


def evidence_span(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The span, cut to MAX_EVIDENCE characters at a word boundary when longer."""
    start, end = span
    if end - start <= MAX_EVIDENCE:
        return span
    cut = text.rfind(" ", start, start + MAX_EVIDENCE)
    return start, (cut if cut > start + MAX_EVIDENCE // 2 else start + MAX_EVIDENCE)
