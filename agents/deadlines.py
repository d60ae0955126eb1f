"""Who must act on an action item, and by when.

Pure functions over one sentence of text: `resolve_due` turns the date
phrases people write ("by Friday", "EOD", "before the QBR on the 14th",
"3/5", "2026-03-05") into a calendar date relative to the message's
timestamp; `resolve_owner` decides whether the sentence is the author's own
commitment, a request to the other side, or a job handed to a named person.
Both classifiers and the task agent use them, so one rule set decides owners
and due dates.  No I/O, no clock: the caller passes `ts`.

Conventions (documented because people disagree about them):
- A weekday ("by Friday", "on Friday", "this Friday") is the next such day
  on or after the message's date: a Friday message saying "by Friday" means
  that same day.
- "next Friday" is the Friday of the week after the message's week
  (weeks start on Monday); "next week" alone is that week's Friday, the
  last working day of the period the writer named.
- "end of (the) week" / "EOW" is the Friday of the message's week (or the
  same day if the message is sent at the weekend); "end of (the) month" /
  "EOM" and "end of May" are the month's last day.
- "the 14th" is the next 14th on or after the message's date; "March 5",
  "5 March" and "3/5" (US month/day) are the next such date on or after it.
- "today", "EOD", "end of day", "tonight", "within the hour", "by 5pm"
  are the message's own date; "tomorrow" the day after; "this week" the
  week's Friday; "end of the quarter" / "EOQ" the quarter's last day.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import Callable

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_RE = r"(?P<wd>mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday)?\.?"
_MONTHS = {name[:3].lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTH_RE = (r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
             r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_ORD = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"

_ISO = re.compile(r"\b(?P<y>20\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)\b")
_DAY_MONTH = re.compile(rf"\b{_ORD}(?:\s+of)?\s+{_MONTH_RE}(?!\w)(?:,?\s+(?P<year>20\d\d)\b)?")
_MONTH_DAY = re.compile(rf"\b{_MONTH_RE}\s+{_ORD}\b(?!:)(?:,?\s+(?P<year>20\d\d)\b)?")
_SLASH = re.compile(r"(?<![\w/])(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])(?:/(?P<y>(?:20)?\d\d))?(?![\w/])")
_NTH = re.compile(r"\bthe\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)\b")
_END_OF_MONTH_NAMED = re.compile(rf"\b(?:end|close)\s+of\s+{_MONTH_RE}(?!\w)")
_END_OF_MONTH = re.compile(r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month|eom)\b")
_END_OF_NEXT_WEEK = re.compile(r"\b(?:the\s+)?end\s+of\s+next\s+week\b")
_END_OF_WEEK = re.compile(r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?week|eow)\b")
_END_OF_QUARTER = re.compile(r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?quarter|eoq)\b")
_THIS_WEEK = re.compile(r"\b(?:later\s+)?this\s+week\b")
_NEXT_WEEKDAY = re.compile(rf"\bnext\s+{_DAY_RE}(?!\w)")
_WEEKDAY = re.compile(rf"\b{_DAY_RE}(?!\w)")
_NEXT_WEEK = re.compile(r"\bnext\s+week\b")
_IN_N = re.compile(r"\bin\s+(?P<n>a|an|one|two|three|four|five|six|\d{1,2})\s+(?P<unit>day|week)s?\b")
_TOMORROW = re.compile(r"\b(?:tomorrow|tmrw|tmr)\b")
_TODAY = re.compile(r"\b(?:today|tonight|eod|cob|end\s+of\s+(?:the\s+)?(?:day|business)|this\s+(?:morning|afternoon|evening)"
                    r"|within\s+the\s+(?:hour|next\s+hour)|by\s+(?:noon|\d{1,2}(?::\d\d)?\s*(?:am|pm)))\b")
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _weekday_index(token: str) -> int:
    return next(i for i, name in enumerate(_WEEKDAYS) if name.startswith(token.lower()[:3]))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _next_date(today: date, month: int, day: int) -> date | None:
    """The first `month`/`day` on or after `today` (None if no such date)."""
    for year in (today.year, today.year + 1, today.year + 4):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _next_nth(today: date, day: int) -> date | None:
    """The next `day`-th of a month on or after `today`."""
    year, month = today.year, today.month
    for _ in range(12):
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _on_or_after(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _friday_of_week(today: date, weeks_ahead: int = 0) -> date:
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)
    return max(monday + timedelta(days=4), today)


def _iso(m: re.Match, today: date) -> date | None:
    try:
        return date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None


def _named_date(m: re.Match, today: date) -> date | None:
    month, day = _MONTHS[m["mon"].lower()[:3]], int(m["day"])
    if m["year"]:
        try:
            return date(int(m["year"]), month, day)
        except ValueError:
            return None
    return _next_date(today, month, day)


def _slash(m: re.Match, today: date) -> date | None:
    if m["y"]:
        year = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)
        try:
            return date(year, int(m["m"]), int(m["d"]))
        except ValueError:
            return None
    return _next_date(today, int(m["m"]), int(m["d"]))


def _in_n(m: re.Match, today: date) -> date:
    raw = m["n"].lower()
    n = _NUMBERS.get(raw) or int(raw)
    return today + (timedelta(weeks=n) if m["unit"].lower() == "week" else timedelta(days=n))


def _next_weekday(m: re.Match, today: date) -> date:
    monday_next = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
    return monday_next + timedelta(days=_weekday_index(m["wd"]))


def _quarter_end(m: re.Match, today: date) -> date:
    last_month = (today.month - 1) // 3 * 3 + 3
    return _month_end(today.year, last_month)


def _named_month_end(m: re.Match, today: date) -> date:
    month = _MONTHS[m["mon"].lower()[:3]]
    year = today.year if month >= today.month else today.year + 1
    return _month_end(year, month)


Rule = tuple[re.Pattern[str], Callable[[re.Match, date], date | None], tuple[str, ...]]
_DIGITS = tuple("0123456789")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Ordered from the most to the least specific: a sentence saying
# "by end of day Thursday, 4 September" resolves through the explicit date.
# The third element lists substrings one of which the rule needs: a cheap
# test that skips most regex searches.
_RULES: tuple[Rule, ...] = (
    (_ISO, _iso, ("-",)),
    (_DAY_MONTH, _named_date, _DIGITS),
    (_MONTH_DAY, _named_date, _DIGITS),
    (_SLASH, _slash, ("/",)),
    (_END_OF_MONTH_NAMED, _named_month_end, ("end of", "close of")),
    (_NTH, lambda m, today: _next_nth(today, int(m["day"])), _DIGITS),
    (_END_OF_NEXT_WEEK, lambda m, today: _friday_of_week(today, 1), ("next week",)),
    (_END_OF_WEEK, lambda m, today: _friday_of_week(today), ("end of", "eow")),
    (_END_OF_MONTH, lambda m, today: _month_end(today.year, today.month), ("end of", "eom")),
    (_END_OF_QUARTER, _quarter_end, ("end of", "eoq")),
    (_IN_N, _in_n, ("in ",)),
    (_NEXT_WEEKDAY, _next_weekday, ("next ",)),
    (_TOMORROW, lambda m, today: today + timedelta(days=1), ("tom", "tmr")),
    (_WEEKDAY, lambda m, today: _on_or_after(today, _weekday_index(m["wd"])), _DAYS),
    (_NEXT_WEEK, lambda m, today: _friday_of_week(today, 1), ("next week",)),
    (_THIS_WEEK, lambda m, today: _friday_of_week(today), ("this week",)),
    (_TODAY, lambda m, today: today, ("today", "tonight", "eod", "cob", "end of", "this ", "within", "by ")),
)


def resolve_due(text: str, ts: datetime) -> date | None:
    """The due date a sentence states, resolved against the message time `ts`.

    Returns None when the sentence names no date.  See the module docstring
    for how relative phrases are read.
    """
    today, text = ts.date(), text.lower()
    for pattern, resolve, hints in _RULES:
        if not any(hint in text for hint in hints):
            continue
        match = pattern.search(text)
        if match and (due := resolve(match, today)) is not None:
            return due
    return None


# -- owners -------------------------------------------------------------------

_UPPER, _LOWER = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_NAME = rf"[{_UPPER}][{_LOWER}]+(?:[-'][{_UPPER}]?[{_LOWER}]+)?"
_FULL_NAME = rf"(?P<name>{_NAME}(?:\s+{_NAME})?)"
_NOT_NAMES = frozenset("""
    i we you they he she it this that these those there here please thanks thank hi hello hey dear
    also okay ok so and but or then just quick happy sorry yes no our your my their his her
    someone somebody everyone anyone nobody team support finance legal procurement engineering
    monday tuesday wednesday thursday friday saturday sunday today tomorrow next
""".split())
_ASK = r"(?:[Cc]an|[Cc]ould|[Ww]ould|[Pp]lease)\b"
_ASKS = ("can", "could", "would", "please")
# Name patterns are case-sensitive (a name is capitalised); the rest run on
# lowercased text, which is several times faster than re.IGNORECASE.
_DELEGATED = re.compile(rf"\b(?:[Ii]'?ll|[Ii]\s+will|[Ww]e'?ll|[Ww]e\s+will)\s+(?:have|get|ask)\s+@?{_FULL_NAME}")
_MENTION = re.compile(rf"@(?P<name>[\w.\-]+)[,:]?\s+{_ASK}")
_VOCATIVE = re.compile(rf"(?:^|(?<=[\s(])){_FULL_NAME}\s*[,:\u2014-]\s*{_ASK}")
_THIRD_PERSON = re.compile(rf"(?<![@\w]){_FULL_NAME}(?:\s*,[^,.;]{{1,60}},|\s*,)?\s+"
                           rf"(?:will|is\s+going\s+to|is\s+gonna)\s+(?!be\b)[a-z]+")
_NOTE_STYLE = re.compile(rf"(?:^|(?<=[-*\u2022]\s)){_FULL_NAME}\s+to\s+(?!be\b|the\b|you\b)[a-z]+", re.M)
_FIRST_SINGULAR = re.compile(r"\b(?:i'?ll|i\s+will|i'?m\s+going\s+to|i\s+am\s+going\s+to|let\s+me|i\s+can"
                             r"|i'?ve\s+(?:booked|sent|opened|scheduled|escalated|asked)|i'?d\s+be\s+happy\s+to)\b")
_FIRST_PLURAL = re.compile(r"\b(?:we'?ll|we\s+will|we'?re\s+going\s+to|let'?s|we\s+can)\b")
_REQUEST = re.compile(r"\b(?:(?:can|could|would|will)\s+(?:you|someone|somebody|your\s+team)|please|pls|plz|kindly"
                      r"|are\s+you\s+able|(?:can|could)\s+we\s+(?:get|have|do|set\s+up|schedule|book|talk|arrange)"
                      r"|(?:i|we)\s+(?:need|want|expect)\s+(?:you|your\s+team)\b|(?:we|i)\s+(?:kindly\s+)?(?:request|ask)\s+(?:you|that)"
                      r"|i'?d\s+(?:like|appreciate|love)\s+(?:it\s+)?if\s+you|i'?d\s+appreciate|i\s+would\s+(?:be\s+grateful|appreciate)"
                      r"|let\s+(?:me|us)\s+know)\b")


# "Hi Priya," / "Dear Mr. Breathnach," / "Olá Jess," / "Kwame," on its own line / "Callum, a question: ..."
_GREETING = re.compile(
    r"\A\s*(?:(?i:hi|hey|hello|dear|morning|good\s+(?:morning|afternoon)|hallo|liebe|lieber|ol[aá]|prezad[ao]|hola"
    r"|bonjour|ciao)\s+(?:(?:Mr|Ms|Mrs|Dr)\.?\s+)?@?(?P<name>[A-Z][\w'\-]+)(?:\s+[A-Z][\w'\-]+)?\s*[,!\n]"
    r"|@?(?P<bare>[A-Z][\w'\-]+)(?:\s+[A-Z][\w'\-]+)?,)")
_NOT_ADDRESSEES = frozenset({"team", "all", "there", "everyone", "folks", "sir", "madam", "both", "guys", "thanks",
                             "sure", "yes", "no", "ok", "okay", "so", "well", "also", "again", "honestly", "look",
                             "sorry", "great", "perfect", "hello", "hi", "hey", "morning", "update", "quick",
                             "note", "fyi", "btw", "anyway", "sadly", "unfortunately", "right", "agreed", "noted"})


def _other_side(author_side: str) -> str:
    return "customer" if author_side == "vendor" else "vendor"


def _named(match: re.Match) -> str | None:
    name = match["name"]
    if not name or name.split()[0].lower() in _NOT_NAMES:
        return None
    return name


def _candidates(text: str, author: str, author_side: str, addressee: str | None) -> list[tuple[int, int, str]]:
    """(position, precedence, owner) for every owner cue the sentence holds."""
    me, low = author or author_side, text.lower()
    found: list[tuple[int, int, str]] = []
    for precedence, pattern, owner, where, hints in (
        (0, _DELEGATED, None, text, ("have ", "get ", "ask ")), (1, _MENTION, None, text, ("@",)),
        (1, _VOCATIVE, None, text, _ASKS), (2, _THIRD_PERSON, None, text, ("will ", "going to", "gonna")),
        (2, _NOTE_STYLE, None, text, (" to ",)),
        (3, _FIRST_SINGULAR, me, low, ("i", "let me")), (3, _FIRST_PLURAL, me, low, ("we", "let")),
        (4, _REQUEST, addressee or _other_side(author_side), low,
         _ASKS + ("will you", "are you", "if you", "pls", "plz", "kindly", "need", "want", "expect", "request", "ask",
                  "appreciate", "grateful", "let ")),
    ):
        if not any(hint in low for hint in hints):
            continue
        for match in pattern.finditer(where):
            who = owner or _named(match)
            if who:
                found.append((match.start(), precedence, who))
                break
    return found


def resolve_owner(text: str, *, author: str, author_side: str, addressee: str | None = None) -> str:
    """Who must act on the action item this sentence states.

    A job handed to a named person ("Sam will send", "@Priya can you",
    "Dana to follow up", "I'll have Tobias send") is that person's; a
    first-person commitment ("I'll", "let me", "we'll") is the author's (for
    an unknown author, the author's side); a request ("can you", "please
    send") belongs to `addressee` when the caller knows whom the message
    greets, else to the other side: "vendor" when a customer asks,
    "customer" when the vendor asks.  The earliest cue in the sentence wins.
    """
    author = "" if author == "unknown" else author  # a placeholder name, not a person: the side owns it
    found = _candidates(text, author, author_side, addressee)
    if found:
        return min(found, key=lambda c: (c[0], c[1]))[2]
    return author or (author_side if author_side in ("customer", "vendor") else "vendor")


def greeted_name(text: str) -> str | None:
    """The name an email or message opens by greeting ("Hi Hannah,"), if any."""
    greeting = _GREETING.match(text)
    name = greeting and (greeting["name"] or greeting["bare"])
    return name if name and name.lower() not in _NOT_ADDRESSEES else None
