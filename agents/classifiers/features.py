"""Text to sparse features: word n-grams with negation scope, and character n-grams.

Word unigrams and bigrams carry phrasing ("not renew", "last day"); a word
inside a negation's scope is marked ("~renew" after "not"/"n't"/"no"), so
"we're not planning to leave" and "we're planning to leave" differ.
Character 3-5-grams inside words carry morphology and typos ("scrutinis",
"consolidat", "renewl").  Call-transcript fillers are dropped, digits fold
to 0 and curly apostrophes to straight ones, so Slack, email and speech
share one vocabulary.

Everything here is pure and deterministic: training and inference call the
same `features`, so the model sees at run time exactly what it was fit on.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

CHAR_NGRAMS = (3, 4, 5)
NEGATION_SCOPE = 3  # words after a negator that it reaches, within the clause

_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": ",", "\u2013": ","})
_DIGITS = re.compile(r"\d+")
_CLAUSE = re.compile(r"[.,;:!?()\[\]\n\"]+|\s-\s|\s(?:[Bb]ut|[Aa]lthough|[Tt]hough|[Hh]owever)\s")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)*")
# Words whose lookups a model keeps (its n-gram columns, the encoder's word pieces); past this the
# cache starts again, so a long-running `serve` that meets every typo and id does not grow without bound.
WORD_CACHE = 200_000
GRAM_PREFIX = "|"  # marks character n-grams, so "love" the word and "|love" in "lovely" stay apart
NAME = "<name>"  # a capitalised word inside a clause: often a product, company or person
_FILLERS = frozenset({"um", "umm", "uh", "uhh", "erm", "hmm", "mm", "mhm"})
_NOT_NAMES = frozenset("""monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december""".split())
_NEGATORS = frozenset({"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without", "cannot"})


def normalize(text: str) -> str:
    """Apostrophes and dashes folded, digits to 0; case is kept (see `NAME`)."""
    return _DIGITS.sub("0", text.translate(_FOLD))


def _negates(token: str) -> bool:
    return token in _NEGATORS or token.endswith("n't")


@lru_cache(maxsize=65536)
def char_grams(word: str) -> tuple[str, ...]:
    padded = f" {word} "  # "|" keeps character n-grams apart from words: "love" the word, "|love" in "lovely"
    return tuple(GRAM_PREFIX + padded[i:i + n] for n in CHAR_NGRAMS for i in range(len(padded) - n + 1))


def _clause_features(tokens: list[str], words: Counter, spelled: Counter) -> None:
    scope = 0
    previous = "<s>"
    for position, raw in enumerate(tokens):
        token = raw.lower()
        if position and raw[0].isupper() and not raw.isupper() and token not in _NOT_NAMES:
            # The name itself is dropped: a model that learnt "Ketterly" from one writer's
            # messages would not generalise; "look at <name>" does.
            words[NAME] += 1
            words[previous + " " + NAME] += 1
            previous = NAME
            continue
        if token in _FILLERS:
            continue
        if _negates(token):
            scope = NEGATION_SCOPE
            words[token] += 1
        elif scope:
            scope -= 1
            words["~" + token] += 1
        else:
            words[token] += 1
        words[previous + " " + token] += 1
        spelled[token] += 1
        previous = token


@dataclass(frozen=True, slots=True)
class Features:
    """A piece of text's features, in two parts so a model can cache the second per word.

    `words`: unigrams (negation-marked), bigrams and name features, counted.
    `tokens`: each word's count; its character n-grams are `char_grams(word)`.
    """

    words: Counter
    tokens: Counter

    def counts(self) -> Counter:
        """Every feature, character n-grams spelled out."""
        out = Counter(self.words)
        for token, count in self.tokens.items():
            for gram in char_grams(token):
                out[gram] += count
        return out


def split_features(text: str) -> Features:
    words: Counter = Counter()
    spelled: Counter = Counter()
    for clause in _CLAUSE.split(normalize(text)):
        tokens = _TOKEN.findall(clause)
        if tokens:
            _clause_features(tokens, words, spelled)
    return Features(words, spelled)


def features(text: str) -> Counter:
    """Feature counts of one piece of text (a sentence, or a whole message)."""
    return split_features(text).counts()
