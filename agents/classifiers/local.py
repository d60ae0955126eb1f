"""The offline default classifier: cue phrases from the signal catalog.

`CueClassifier` matches each non-derived signal type's `cues` (regular
expression fragments declared in `signals/catalog.py`) against a message's
new text, drops matches that are negated ("we are not looking at other
tools") or sit in a known hard-negative phrasing ("our own customers
churned", "cancel the stand-up"), and emits at most one `Verdict` per type
per message, quoting the sentence that holds the strongest match.  Action
items get an owner and a due date from `agents.deadlines`.

It is a first, honest baseline: no model, no network, the same answer for
the same text, ~15k messages/s on the dev set's mix of long emails and
~27k/s on chat-sized messages, single-threaded (`bench/classify.py`).  A
trained model will replace it behind the same `Classifier` protocol.

How: cues are compiled once per instance into a prefix index (below), so one
pass over the lowercased text finds where any cue can start.  Matching reads
a same-length view of the text (commas, dashes and call-transcript fillers
blanked, curly apostrophes folded), so every offset still points into
`message.text` and evidence is always an exact substring of it.

Confidence, in [0, 1], comes from a few features, in this order:
- 0.5 for one matching cue in the evidence sentence, +0.15 for each further
  distinct cue in that sentence, +0.1 when other sentences of the message
  match the type too; capped at 0.95;
- action items: +0.1 when the sentence states a resolvable due date;
- x 0.8 when the sentence hedges ("maybe", "might", "not sure", "probably");
- x 0.9 when the sentence is a question (except for action items, which
  are often asked).
A negated cue (a negator a few words before it in the same clause) counts
for nothing, and so does one inside a type's hard-negative phrasing.

Vendor-side authors carry no customer signal: they yield only action items.
Text after a quoted-history marker (a `>` line, "On ... wrote:", a forwarded
header) is never read, even if left in `text`.  Text is data, never orders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Iterable, Sequence

try:  # the stdlib's own regex parser, used only to index cue prefixes for speed
    from re import _constants as _sre, _parser as _sre_parse
except ImportError:  # pragma: no cover - other Pythons: every cue is scanned in full
    _sre = _sre_parse = None

from agents.base import Verdict
from agents.deadlines import resolve_due, resolve_owner
from connectors.base import Message
from signals.catalog import CATALOG, SignalType

MAX_EVIDENCE = 240

_QUOTED_HISTORY = re.compile(
    r"^[ \t]*(?:>|On\s[^\n]{0,300}wrote:[ \t]*$|-{2,}\s*(?:Original|Forwarded)\s+[Mm]essage"
    r"|From:\s[^\n]+\n(?:Sent|Date):)", re.M)
_STOPS = (". ", "! ", "? ")  # a terminator followed by a space (or a newline) ends a sentence
_NEGATED = re.compile(
    r"(?:\b(?:not|no|never|nothing|nobody|none|neither|nor|without)\b|n't\b)(?!\s+(?:know|sure)\b)"
    r"(?:(?!\b(?:and|but|or|so|because|while)\b)[^.!?,;:\n\u2014\u2013]){0,28}$")
_HEDGE = re.compile(r"\b(?:maybe|might|perhaps|possibly|probably|not\s+sure|i\s+think|kind\s+of|sort\s+of|considering|wondering)\b")
_CLAUSE_BREAK = re.compile(r"[.!?;\n]|,\s+(?:and|but|so|because|which|while|though|although)\b|\s[\u2014\u2013]\s"
                           r"|\s(?:and|but)\s+(?:i|we|she|he|they)\b")
_SENTENCE_END = re.compile(r"[.!?;\n]")
# Fillers in call transcripts are blanked to spaces of the same length, so every
# offset still points into the original text.
_FILLER = re.compile(r"\b(?:um+|uh+|erm|hmm+)\b[,.]?")
_GREETING = re.compile(
    r"\A\s*(?i:hi|hey|hello|dear|morning|good\s+morning)\s+@?(?P<name>[A-Z][\w'\-]+)(?:\s+[A-Z][\w'\-]+)?\s*[,!\n]")
_NOT_ADDRESSEES = frozenset({"team", "all", "there", "everyone", "folks", "sir", "madam", "both", "guys"})

# Phrasings that look like a cue but are not about the customer's
# relationship with the vendor (taxonomy.md, "Notes that decide borderline
# cases").  Searched within the clause around each match.
_HARD_NEGATIVES: dict[str, str] = {
    "churn_intent": (
        r"\b(?:our|their)\s+(?:own\s+)?(?:customers?|users|subscribers|members|clients|buyers|players)\b"
        r"|\b(?:behind\s+us|ancient\s+history|not\s+going\s+anywhere|policy\s+thing|hypothetical(?:ly)?|newsletter|mailing\s+list)\b"
        r"|\bcancel\w*\s+(?:the\s+|our\s+|my\s+|this\s+|that\s+|today'?s\s+|tomorrow'?s\s+)?"
        r"(?:meeting|call|sync|stand-?up|demo|session|hold|invite|workshop|order|po|transfer|payment)\b"),
    "competitor_mention": (
        r"\b(?:used\s+to\s+(?:work|be)|joined\s+(?:us\s+)?from|(?:my|her|his|their)\s+(?:last|previous|old)\s+(?:company|job|role)"
        r"|back\s+(?:in|at|when)|ancient\s+history|legacy|as\s+a\s+joke|our\s+competitors?)\b"),
    "budget_pressure": r"\b(?:budget\s+for\s+(?:lunch|our\s+spring|the\s+campaign)|got\s+approved|(?:lunch|travel)\s+budget)\b",
    "champion_departure": (
        r"\bleaving\s+(?:for\s+(?:lunch|home|vacation|holiday|the\s+(?:day|airport|station|weekend|night)|a\s+(?:bit|minute|call|meeting|trip|conference))"
        r"|early|at\s+\d"
        r"|in\s+(?:\S+\s+)?(?:\d+|a\s+few|five|ten|fifteen|twenty)\s+(?:min|minutes|mins|hours?))"
        r"|\b(?:out\s+(?:sick|today|tomorrow)|school\s+pickup|our\s+account|backfill)\b"),
    "expansion_interest": (
        r"\b(?:our\s+(?:\S+\s+)?(?:customers|clients|users)|rather\s+than|instead\s+of|invoic\w*|billed|charged|parked"
        r"|on\s+hold|drop\w*|remov\w*|cancel\w*|refund\w*|revised|fewer|downgrad\w*|reduc\w*)\b"),
    "dissatisfaction": r"\bescalation\s+(?:path|process|policy|matrix|contact|procedure|point|email|channel)\b"
                       r"|\b(?:who|how|when|if)\s+(?:\S+\s+){0,3}escalat|\b(?:not\s+complaining|our\s+(?:own\s+)?fault|(?:it'?s|that'?s|probably)\s+on\s+us|not\s+your\s+fault)\b",
    "action_item": (
        r"\bif\s+you\s+(?:would|wish|want|'d|need|have|experience|prefer|no\s+longer)\b"
        r"|\b(?:unsubscribe|click\s+(?:on\s+)?(?:the|this)\s+link|mailing\s+list|email\s+list|\$link)\b"),
    "advocacy": r"\b(?:not\s+you|our\s+own|nothing\s+to\s+do\s+with\s+you|love\s+that\s+for\s+us)\b",
}


@dataclass(frozen=True, slots=True)
class _Hit:
    type: str
    cue: int  # index into the type's `cues`
    start: int
    end: int


# -- finding cue matches fast ---------------------------------------------------
# Python's regex engine tries every alternative at every position, so ten
# types x dozens of cues would cost ~10x the budget.  Instead each cue's
# possible first few characters are read from its parsed form; one pass of a
# prefix trie over the lowercased text finds the word starts where some cue
# can begin, and only the cues that can start there are tried.  A cue whose
# start cannot be read (say it begins with `\d` or `.`) is scanned in full.

_PREFIX_LEN = 8
_WORDISH = frozenset("abcdefghijklmnopqrstuvwxyz0123456789'- ")
_SPACES = re.compile(r"\s+")


def _is_space(items) -> bool:  # exactly `\s`
    items = list(items)
    return len(items) == 1 and items[0][0] is _sre.IN and list(items[0][1]) == [(_sre.CATEGORY, _sre.CATEGORY_SPACE)]


def _grow(states: set[tuple[str, bool]], chars: set[str]) -> set[tuple[str, bool]]:
    return {(s + c, len(s) + 1 < _PREFIX_LEN) if growing else (s, False) for s, growing in states for c in chars}


def _step(states: set[tuple[str, bool]], op, av) -> set[tuple[str, bool]]:
    """Advance (prefix, still-growing) states over one parsed regex item.

    A prefix holds lowercase letters, digits, apostrophes and " ", which
    stands for `\\s+`; anything else (a class, `\\S`, `.`) ends it there.
    """
    if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        return states
    if op is _sre.SUBPATTERN:
        return _extend(states, av[3])
    if op is _sre.BRANCH:
        return set().union(*(_extend(states, alternative) for alternative in av[1]))
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
        if _is_space(av[2]):
            spaced = _grow(states, {" "})
            return spaced | states if av[0] == 0 else spaced
        once = _extend(states, av[2])
        once = once if av[1] == 1 else {(s, False) for s, _ in once}
        return once | states if av[0] == 0 else once
    chars = {chr(av).lower()} if op is _sre.LITERAL else None
    if op is _sre.IN and all(kind is _sre.LITERAL for kind, _ in av):
        chars = {chr(code).lower() for _, code in av}
    elif op is _sre.IN and _is_space([(op, av)]):
        chars = {" "}
    if chars is None or not chars <= _WORDISH:
        return {(s, False) for s, _ in states}
    return _grow(states, chars)


def _extend(states: set[tuple[str, bool]], items: Iterable) -> set[tuple[str, bool]]:
    for op, av in items:
        if not any(growing for _, growing in states):
            break
        states = _step(states, op, av)
    return states


def _prefixes(cue: str) -> frozenset[str] | None:
    """Every lowercase string (<= _PREFIX_LEN chars, " " for whitespace) a match of `cue` starts with; None: unknown."""
    if _sre_parse is None:
        return None
    found = {s for s, _ in _extend({("", True)}, _sre_parse.parse(cue))}
    return None if "" in found or not all(s[0].isalnum() for s in found) else frozenset(found)


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching the longest of `words` at a position, shared prefixes factored out."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    def emit(node: dict) -> str:
        branches = [(r"\s+" if char == " " else re.escape(char)) + emit(child)
                    for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return f"(?:{body})?" if "" in node else body
    return emit(trie)


def _alternation(cues: Sequence[str], indices: Iterable[int]) -> re.Pattern[str]:
    """The given cues as one pattern whose named group `c<i>` says which cue matched."""
    return re.compile("(?:" + "|".join(f"(?P<c{i}>{cues[i]})" for i in indices) + r")(?!\w)", re.I)


class _CueIndex:
    """All cues of a catalog, compiled once, found in one pass over a text."""

    def __init__(self, types: Sequence[SignalType]) -> None:
        starts: dict[str, dict[str, list[int]]] = {}
        self._full_scans: list[tuple[str, re.Pattern[str]]] = []
        for signal_type in types:
            unindexed = []
            for i, cue in enumerate(signal_type.cues):
                prefixes = _prefixes(cue)
                for prefix in prefixes or ():
                    starts.setdefault(prefix, {}).setdefault(signal_type.id, []).append(i)
                if prefixes is None:
                    unindexed.append(i)
            if unindexed:
                pattern = _alternation(signal_type.cues, unindexed).pattern
                self._full_scans.append((signal_type.id, re.compile(r"(?<!\w)" + pattern, re.I)))
        cues = {t.id: t.cues for t in types}
        self._gate = re.compile(r"\b(?=(" + _trie_pattern(starts) + "))") if starts else None
        self._at: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
            found: self._candidates(found, starts, cues) for found in starts}

    @staticmethod
    def _candidates(found: str, starts: dict, cues: dict) -> tuple[tuple[str, re.Pattern[str]], ...]:
        """Per type, the cues that can start where the gate read `found` (or a prefix of it)."""
        by_type: dict[str, set[int]] = {}
        for length in range(1, len(found) + 1):
            for type_id, indices in starts.get(found[:length], {}).items():
                by_type.setdefault(type_id, set()).update(indices)
        return tuple((type_id, _alternation(cues[type_id], sorted(ix))) for type_id, ix in by_type.items())

    @property
    def unindexed(self) -> tuple[str, ...]:
        """Types with a cue the trie cannot index (scanned in full: slower, same answers)."""
        return tuple(type_id for type_id, _ in self._full_scans)

    def find(self, text: str, low: str, end: int) -> list[_Hit]:
        """Every cue match in `text[:end]`, at most one per type per start; `low` is `text` lowercased."""
        at, hits = self._at, []
        for gate in self._gate.finditer(low, 0, end) if self._gate else ():
            found, start = gate.group(1), gate.start()
            candidates = at.get(found) or at[_SPACES.sub(" ", found)]
            for type_id, pattern in candidates:
                match = pattern.match(text, start, end)
                if match is not None:
                    hits.append(_Hit(type_id, int(match.lastgroup[1:]), start, match.end()))
        for type_id, pattern in self._full_scans:
            hits.extend(_Hit(type_id, int(m.lastgroup[1:]), *m.span()) for m in pattern.finditer(text, 0, end))
        return hits


def _new_text_end(text: str) -> int:
    return marker.start() if (marker := _QUOTED_HISTORY.search(text)) else len(text)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _filler_spans(low: str) -> list[tuple[int, int]]:
    """Each "um"/"uh", with the ", " before it: "we're, um, we're" reads as "we're we're"."""
    return [(m.start() - 2 if low[m.start() - 2:m.start()] == ", " else m.start(), m.end()) for m in _FILLER.finditer(low)]


def _readable(text: str, *, speech: bool) -> tuple[str, str]:
    """Two same-length views of `text`: cues read the first (apostrophes folded;
    commas, dashes and, in speech, fillers blanked), negation and clause logic
    the second (lowercased, punctuation kept)."""
    if "\u2019" in text or "\u2018" in text:
        text = text.replace("\u2019", "'").replace("\u2018", "'")
    low = text.lower()
    if len(low) != len(text):  # a few characters lowercase to two; offsets must stay aligned
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    if speech or " um" in low or " uh" in low:
        spans = _filler_spans(low)
        text, low = _blank(text, spans), _blank(low, spans)
    return text.replace(",", " ").replace("\u2014", " ").replace("\u2013", " "), low


def _context(low: str, start: int, end: int, limit: int) -> tuple[int, int]:
    """Where a match's negation and hard negatives are looked for: back to the
    start of its clause, on to the end of its sentence ("..., but that's
    ancient history" undoes it), at most 60 characters either side."""
    left = max(0, start - 60)
    for brk in _CLAUSE_BREAK.finditer(low, left, start):
        left = brk.end()
    right = _SENTENCE_END.search(low, end, min(limit, end + 60))
    return left, (right.start() if right else min(limit, end + 60))


def _sentence_at(low: str, pos: int, end: int) -> tuple[int, int]:
    """The (start, end) of the sentence of `low[:end]` that holds position `pos`."""
    left = low.rfind("\n", 0, pos) + 1
    for stop in _STOPS:
        found = low.rfind(stop, 0, pos)
        if found >= 0:
            left = max(left, found + 2)
    ends = [i + 1 for stop in _STOPS if (i := low.find(stop, pos, end)) >= 0]
    newline = low.find("\n", pos, end)
    return left, min(ends + [newline if newline >= 0 else end])


def _with_context(low: str, span: tuple[int, int]) -> tuple[int, int]:
    """A sentence too short to stand alone ("Annoying.") is quoted with the one before it."""
    start, end = span
    if len(low[start:end].split()) >= 4 or start == 0:
        return span
    previous, _ = _sentence_at(low, max(0, start - 2), start)
    return (previous, end) if low[previous:start].strip() else span


def _trimmed(text: str, start: int, end: int, hit: _Hit) -> tuple[int, int]:
    """The (start, end) of the evidence: the sentence, stripped, <= MAX_EVIDENCE chars, holding the hit."""
    stripped = text[start:end]
    start, end = start + len(stripped) - len(stripped.lstrip()), end - len(stripped) + len(stripped.rstrip())
    if end - start > MAX_EVIDENCE:
        start = max(start, min(hit.start - MAX_EVIDENCE // 3, end - MAX_EVIDENCE))
        end = min(end, start + MAX_EVIDENCE)
        while start < end and text[start].isspace():
            start += 1
    return start, end


def _addressee(text: str) -> str | None:
    """The name an email or message opens by greeting ("Hi Hannah,"), if any."""
    greeting = _GREETING.match(text)
    return greeting["name"] if greeting and greeting["name"].lower() not in _NOT_ADDRESSEES else None


def _score(sentence: str, hits: list[_Hit], *, corroborated: bool, task: bool, due: date | None) -> float:
    """Confidence from the features the module docstring lists."""
    score = min(0.5 + 0.15 * (len({h.cue for h in hits}) - 1) + (0.1 if corroborated else 0.0), 0.95)
    if task:
        score += 0.1 if due else 0.0
    elif sentence.rstrip().endswith("?"):
        score *= 0.9
    if _HEDGE.search(sentence):
        score *= 0.8
    return round(min(score, 1.0), 3)


class CueClassifier:
    """Catalog cues, negation and hard negatives: the offline `Classifier`."""

    name: ClassVar[str] = "local"

    def __init__(self, catalog: Sequence[SignalType] = CATALOG) -> None:
        types = tuple(t for t in catalog if not t.derived and t.cues)
        self._order = {t.id: i for i, t in enumerate(types)}
        self._index = _CueIndex(types)
        self._vetoes = {t.id: re.compile(_HARD_NEGATIVES[t.id]) for t in types if t.id in _HARD_NEGATIVES}
        self._task_types = frozenset(t.id for t in types if t.side == "task")

    def classify(self, messages: Sequence[Message]) -> list[list[Verdict]]:
        """One list of verdicts per message, in order; messages are independent."""
        return [self.classify_one(message) for message in messages]

    def classify_one(self, message: Message) -> list[Verdict]:
        text, low = _readable(message.text, speech=message.source == "call")
        end = _new_text_end(text)
        by_type: dict[str, list[_Hit]] = {}
        for hit in self._index.find(text, low, end):
            if self._counts(hit, low, end, message.author_side):
                by_type.setdefault(hit.type, []).append(hit)
        return [self._verdict(type_id, by_type[type_id], low, end, message)
                for type_id in sorted(by_type, key=self._order.__getitem__)]

    def _counts(self, hit: _Hit, low: str, end: int, author_side: str) -> bool:
        """False for a match that says nothing: vendor-side, negated, or a hard negative."""
        if author_side == "vendor" and hit.type not in self._task_types:
            return False
        left, right = _context(low, hit.start, hit.end, end)
        if _NEGATED.search(low, max(left, hit.start - 40), hit.start):
            return False
        veto = self._vetoes.get(hit.type)
        return not (veto and veto.search(low, left, right))

    def _verdict(self, type_id: str, hits: list[_Hit], low: str, end: int, message: Message) -> Verdict:
        """One verdict for a type: the sentence with the best-scoring matches (the earliest on a tie)."""
        by_sentence: dict[tuple[int, int], list[_Hit]] = {}
        for hit in hits:
            by_sentence.setdefault(_sentence_at(low, hit.start, end), []).append(hit)
        task = type_id in self._task_types
        best: tuple[float, tuple[int, int], list[_Hit], date | None] | None = None
        for span, group in by_sentence.items():
            sentence = low[span[0]:span[1]]
            due = resolve_due(sentence, message.ts) if task else None
            score = _score(sentence, group, corroborated=len(by_sentence) > 1, task=task, due=due)
            if best is None or score > best[0]:
                best = (score, span, group, due)
        confidence, span, group, due = best
        start, stop = _trimmed(low, *_with_context(low, span), group[0])
        evidence = message.text[start:stop]
        if not task:
            return Verdict(type_id, confidence, evidence)
        return Verdict(type_id, confidence, evidence, owner=self._owner(evidence, message), due=due)

    @staticmethod
    def _owner(evidence: str, message: Message) -> str:
        return resolve_owner(evidence, author=message.author, author_side=message.author_side,
                             addressee=_addressee(message.text))
