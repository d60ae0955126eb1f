"""The bot's grammar: what people type to Groundswell, parsed into commands.

Two surfaces: a thread reply under an alert ("assign to @jane due friday",
"mine", "snooze 2 weeks", "wrong: budget pressure") and the `/groundswell`
slash command.  Pure functions over text: no Slack calls, no clock (the
caller passes `now`), no store; the bot applies what comes back.

How replies are read (decisions people could make differently):
- A reply is a sequence of commands, optionally separated by commas,
  semicolons, "and", "then" or new lines; "please", "ok", "thanks" are
  skipped.  Anything else becomes an `Unknown` in its place.  Commands must
  stand on their own rather than be found inside a sentence, so chatter in
  an alert's thread ("I think they're done with us") never closes an alert.
- Text is untrusted: a reply over MAX_REPLY_CHARS is not read, code
  (```...``` and `...`) and quoted lines ("> ...") are dropped, nothing is
  evaluated, and `Unknown.text` is the raw fragment (escape it to show it).
- Mentions: Slack sends `<@U0123ABC>` or `<@U0123ABC|jane>` (an `Assign`
  gets the user id); a typed "@jane" gives the bare name "jane", resolved
  later by the bot.  A name without "@" is refused rather than guessed.
- Dates are read by `agents.deadlines`, the rule set the task agent uses,
  against `now` converted to the replier's time zone (a naive `now` is UTC):
  "due friday" said on a Friday is that same day (as "by Friday" is), "due
  next week" is next week's Friday, "due 12 Jan" the next 12 January on or
  after today.  A due date already past is refused.
- Snoozes end after today: "snooze until friday" said on a Friday means a
  week later, "snooze until next week" means next Monday, a month is 30 days,
  a bare "snooze" is a week (what the button does), and more than
  MAX_SNOOZE_DAYS is refused.
- "wrong: X" / "this is X" take a message signal type by id or title, in any
  case, with spaces, underscores or hyphens, or a near miss ("budget
  presure").  Derived types (engagement_drop, single_threaded) are patterns
  over many messages, so no single message can be re-labelled as one.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable, ClassVar, Literal
from zoneinfo import ZoneInfo

from agents.deadlines import resolve_due
from signals.catalog import BY_ID, MESSAGE_TYPES

MAX_REPLY_CHARS = 2000
MAX_SNOOZE_DAYS = 180
MAX_ARG_CHARS = 100
SNOOZE_DEFAULT_DAYS = 7

_USER_ID = r"[UW][A-Z0-9]{1,20}"
# A whole string that is a Slack user id ("U0123ABC"), not a typed name: the bot and blocks test with it.
SLACK_USER = re.compile(rf"^{_USER_ID}$")


# -- commands -----------------------------------------------------------------

@dataclass(frozen=True)
class Assign:
    user: str  # a Slack user id ("U0123ABC") or a bare name typed as "@jane"
    kind: ClassVar[str] = "assign"


@dataclass(frozen=True)
class Claim:
    kind: ClassVar[str] = "claim"


@dataclass(frozen=True)
class Due:
    day: date
    kind: ClassVar[str] = "due"


@dataclass(frozen=True)
class Done:
    kind: ClassVar[str] = "done"


@dataclass(frozen=True)
class Reopen:
    kind: ClassVar[str] = "reopen"


@dataclass(frozen=True)
class Snooze:
    until: date
    kind: ClassVar[str] = "snooze"


@dataclass(frozen=True)
class NotSignal:
    kind: ClassVar[str] = "not_signal"


@dataclass(frozen=True)
class Wrong:
    type_id: str
    kind: ClassVar[str] = "wrong"


@dataclass(frozen=True)
class Help:
    kind: ClassVar[str] = "help"


@dataclass(frozen=True)
class Unknown:
    text: str    # the raw fragment that was not understood (untrusted)
    reason: str  # a sentence for the user, the fragment quoted in it
    kind: ClassVar[str] = "unknown"


Command = Assign | Claim | Due | Done | Reopen | Snooze | NotSignal | Wrong | Help | Unknown


@dataclass(frozen=True)
class SlashCommand:
    kind: Literal["account", "tasks", "digest", "help"]
    arg: str | None = None  # account: name or id; tasks: a user id, a bare name, or None for the caller


# mrkdwn, so "<" and ">" are written as entities.
HELP_TEXT = "\n".join([
    "*Reply in an alert's thread:*",
    "• `mine` · `I'll take it` · `on it` · `assign to @jane`",
    "• `due friday` · `due 12 Jan` · `due tomorrow` · `due next week` · `due in 3 days`",
    "• `done` · `reopen` · `snooze 2 weeks` · `snooze until monday`",
    "• `not a signal` · `wrong: budget pressure` (this trains the classifier)",
    "Combine them: `assign to @jane due friday`, `mine, due tomorrow`.",
    "*Slash command:* `/groundswell account &lt;name&gt;` · `/groundswell tasks [@user]` · "
    "`/groundswell digest` · `/groundswell help`",
])


# -- reading a reply ------------------------------------------------------------

def parse_reply(text: str, *, now: datetime, tz: ZoneInfo | str = "UTC",
                bot_user_id: str | None = None) -> list[Command]:
    """The commands in a thread reply, in order; `[]` when no text is left outside code and quotes.

    Fragments that are not commands come back as `Unknown` where they stood, so
    the bot can apply the rest and answer the problem with HELP_TEXT.  Mentions
    of `bot_user_id` ("@Groundswell done") are ignored.
    """
    if len(text) > MAX_REPLY_CHARS:
        return [Unknown(_clip(text), f"That reply is too long to be a command (over {MAX_REPLY_CHARS} characters).")]
    return _scan(_clean(text, bot_user_id), _local_today(now, tz))


def _local_today(now: datetime, tz: ZoneInfo | str) -> date:
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    aware = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    return aware.astimezone(zone).date()


_FENCE = re.compile(r"```.*?```", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_QUOTE_LINE = re.compile(r"^\s*(?:>|&gt;)")
_TYPOGRAPHY = str.maketrans({"\u2019": "'", "\u2018": "'", "*": None, "~": None, "\u00a0": " "})


def _clean(text: str, bot_user_id: str | None) -> str:
    text = _INLINE_CODE.sub(" ", _FENCE.sub(" ", text))
    text = "\n".join(line for line in text.splitlines() if not _QUOTE_LINE.match(line))
    text = text.replace("&amp;", "&").translate(_TYPOGRAPHY)
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return text.strip()


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the grammar ------------------------------------------------------------------

_END = r"(?![\w'@/-])"
_IT = r"(?:\s+(?:it|this))?"
_MENTION = rf"(?:<@(?P<uid>{_USER_ID})(?:\|[^>\n]{{0,80}})?>|@(?P<name>\w[\w.-]{{0,79}}))"
_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday)?\.?"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
_COUNT = r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten)"
# Only the phrases agents.deadlines can resolve, so a command's date ends where
# the next command starts ("due friday assign to @jane").
_DATE = "(?:" + "|".join([
    r"\d{4}-\d{1,2}-\d{1,2}",
    rf"(?:the\s+)?{_ORDINAL}(?:\s+of)?\s+{_MONTH}(?:,?\s+\d{{4}})?",
    rf"{_MONTH}\s+{_ORDINAL}(?:,?\s+\d{{4}})?",
    r"\d{1,2}/\d{1,2}(?:/\d{2,4})?",
    r"the\s+\d{1,2}(?:st|nd|rd|th)",
    r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?(?:day|week|month|quarter)",
    r"eod|eow|eom|eoq|cob",
    r"in\s+(?:\d{1,2}|a|an|one|two|three|four|five|six)\s+(?:days?|weeks?)",
    rf"next\s+{_WEEKDAY}",
    rf"(?:this\s+|on\s+)?{_WEEKDAY}",
    r"(?:next|this)\s+week",
    r"today|tonight|tomorrow|tmrw|tmr",
]) + r")(?![\w/-])"
_WEEKDAY_WORD = re.compile(rf"\b{_WEEKDAY}(?!\w)")
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
            "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def _type_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _type_names() -> dict[str, str]:
    """Every accepted spelling's key (ids and titles, punctuation dropped) -> type id."""
    names = {}
    for type_id in MESSAGE_TYPES:
        names[_type_key(type_id)] = type_id
        names[_type_key(BY_ID[type_id].title)] = type_id
    return names


_TYPE_NAMES = _type_names()  # built once: the catalog is fixed for the life of the process


def _type_pattern() -> str:
    words = {tuple(re.findall(r"[a-z0-9]+", spelling.lower()))
             for t in MESSAGE_TYPES for spelling in (t, BY_ID[t].title)}
    alternatives = sorted((r"[\s_-]*".join(w) for w in words), key=len, reverse=True)
    return "(?P<type>" + "|".join(alternatives) + ")"


def _valid_types() -> str:
    return ", ".join(f"`{t}`" for t in MESSAGE_TYPES)


def _assign(m: re.Match[str], today: date) -> Command:
    return Assign(m["uid"] or m["name"].rstrip(".-"))


def _due(m: re.Match[str], today: date) -> Command:
    day = resolve_due(m["when"], datetime.combine(today, datetime.min.time()))
    if day is None:
        return Unknown(m.group(), f"I can't read the date in “{_clip(m.group())}”: try `due friday` or `due 12 Jan`.")
    if day < today:
        return Unknown(m.group(), f"“{_clip(m.group())}” is in the past ({day:%d %b %Y}).")
    return Due(day)


def _snooze_for(m: re.Match[str], today: date) -> Command:
    count = _NUMBERS.get(m["n"].lower()) or int(m["n"])
    days = count * {"d": 1, "w": 7, "m": 30}[m["unit"][0].lower()]
    return _snooze(m.group(), today + timedelta(days=days), today)


def _snooze_until(m: re.Match[str], today: date) -> Command:
    phrase = " ".join(m["when"].lower().split())
    if phrase == "next week":  # a snooze wakes at the start of a week, not at its deadline
        return _snooze(m.group(), today + timedelta(days=7 - today.weekday()), today)
    day = resolve_due(phrase, datetime.combine(today, datetime.min.time()))
    if day is not None and day == today and _WEEKDAY_WORD.search(phrase):
        day += timedelta(days=7)  # "until friday" on a Friday: snoozing to today would do nothing
    return _snooze(m.group(), day, today)


def _snooze(fragment: str, until: date | None, today: date) -> Command:
    if until is None or until <= today:
        return Unknown(fragment, f"“{_clip(fragment)}” needs a date after today: try `snooze 2 weeks`.")
    if (until - today).days > MAX_SNOOZE_DAYS:
        return Unknown(fragment, f"Snoozes last at most {MAX_SNOOZE_DAYS} days; “{_clip(fragment)}” is longer.")
    return Snooze(until)


def _wrong(m: re.Match[str], today: date) -> Command:
    return Wrong(_TYPE_NAMES[_type_key(m["type"])])


def _wrong_fuzzy(m: re.Match[str], today: date) -> Command | None:
    """A near miss of a type name ("budget presure"), or None to let a shorter reading try."""
    close = difflib.get_close_matches(_type_key(m["raw"]), list(_TYPE_NAMES), n=1, cutoff=0.8)
    return Wrong(_TYPE_NAMES[close[0]]) if close else None


def _wrong_unknown(m: re.Match[str], today: date) -> Command:
    raw = (m["raw"] or "").strip()
    said = f"“{_clip(raw)}” is not a signal type" if raw else "Say which type"
    return Unknown(m.group(), f"{said}; valid types: {_valid_types()}. Example: `wrong: budget_pressure`.")


def _fixed(command: Command) -> Callable[[re.Match[str], date], Command]:
    return lambda m, today: command


def _refuse(reason: str) -> Callable[[re.Match[str], date], Command]:
    return lambda m, today: Unknown(m.group(), reason.format(fragment=_clip(m.group())))


_WRONG_LEAD = r"wrong(?:\s+type)?\s*[:=-]?\s*(?:(?:it'?s|is|should\s+be)\s+)?(?:an?\s+)?"
_REST = r"(?P<raw>[^,;\n&]*)"
_NOT_SIGNAL = r"(?:(?:this\s+is\s+|it'?s\s+)?not\s+a\s+(?:real\s+)?signal|no\s+signal|false\s+(?:positive|alarm))"
_DONE = rf"(?:done|closed?{_IT}|fixed|resolved?{_IT}|completed?|finished|mark(?:ed)?\s+(?:as\s+)?done)"
_CLAIM = (r"(?:mine|i'?ll\s+take\s+(?:it|this)|i\s+will\s+take\s+(?:it|this)|(?:i'?m\s+|i\s+am\s+)?on\s+it"
          rf"|(?:re)?assign{_IT}\s+(?:to\s+)?me|take\s+it|taking\s+(?:it|this)|claim(?:ed)?"
          r"|i\s+(?:got|have)\s+(?:it|this))")
_HAND_OVER = rf"(?:(?:re)?assign{_IT}\s+(?:to\s+)?|(?:give|hand|pass){_IT}\s+(?:over\s+)?to\s+|owner\s*[:=]?\s*)"
_SNOOZE_UNIT = r"(?P<unit>days?|d|weeks?|wks?|w|months?|mos?)"
_CALL_IT = r"(?:(?:this\s+is|it'?s|it\s+is|should\s+be|re-?label(?:\s+it)?(?:\s+as)?)\s+|type\s*[:=]?\s*)"
_Build = Callable[[re.Match[str], date], Command | None]


def _snooze_default(m: re.Match[str], today: date) -> Command:
    return _snooze(m.group(), today + timedelta(days=SNOOZE_DEFAULT_DAYS), today)


def _rules() -> tuple[tuple[re.Pattern[str], _Build], ...]:
    """Tried in order at each position; the first whose builder returns a command wins."""
    typ, word = _type_pattern(), r"[\w-]+"
    rules: list[tuple[str, _Build]] = [
        (r"(?:help|commands|usage|\?+)", _fixed(Help())),
        (_NOT_SIGNAL, _fixed(NotSignal())),
        (rf"(?:re-?open(?:ed)?{_IT}|not\s+done)", _fixed(Reopen())),
        (_DONE, _fixed(Done())),
        (_CLAIM, _fixed(Claim())),
        (rf"{_HAND_OVER}{_MENTION}", _assign),
        (rf"(?:(?:re)?assign|give|hand|pass){_IT}\b{_REST}",
         _refuse("Who should own it? Mention them: `assign to @jane` (not “{fragment}”).")),
        (rf"due\s+(?:date\s+)?(?:is\s+)?(?:by\s+|on\s+)?(?P<when>{_DATE})", _due),
        (rf"due\b{_REST}",
         _refuse("I can't read the date in “{fragment}”: try `due friday`, `due 12 Jan` or `due in 3 days`.")),
        (rf"snooze{_IT}(?:\s+for)?\s+(?P<n>{_COUNT})\s*{_SNOOZE_UNIT}", _snooze_for),
        (rf"snooze{_IT}\s+(?:(?:until|till|til|to)\s+)?(?P<when>{_DATE})", _snooze_until),
        (rf"snooze{_IT}(?!\s+(?:until|till|til|to|for|\d))", _snooze_default),
        (rf"snooze\b{_REST}", _refuse("I can't read “{fragment}”: try `snooze 2 weeks` or `snooze until monday`.")),
        (rf"{_WRONG_LEAD}{typ}", _wrong),
        (rf"{_CALL_IT}(?:actually\s+)?(?:an?\s+)?{typ}", _wrong),
        # Shortest reading first, so a near miss does not swallow the next command ("… due friday").
        *[(rf"{_WRONG_LEAD}(?P<raw>{word}(?:\s+{word}){{{n}}})", _wrong_fuzzy) for n in (0, 1, 2)],
        (rf"{_WRONG_LEAD}{_REST}", _wrong_unknown),
    ]
    return tuple((re.compile(pattern + _END, re.I), build) for pattern, build in rules)


_RULES = _rules()
_FILLER = r"(?:and|then|also|please|pls|plz|okay|ok|thanks|thank\s+you|thx|ty|hey|hi)\b"
_SKIP = re.compile(rf"(?:[\s,;.!&•-]+|{_FILLER})*", re.I)
_CLAUSE = re.compile(r".+?(?=[,;\n&]|\b(?:and|then)\b|$)", re.I)


def _scan(body: str, today: date) -> list[Command]:
    commands: list[Command] = []
    pos = _SKIP.match(body).end()
    while pos < len(body):
        command, pos = _next_command(body, pos, today)
        commands.append(command)
        pos = _SKIP.match(body, pos).end()
    return commands


def _next_command(body: str, pos: int, today: date) -> tuple[Command, int]:
    for pattern, build in _RULES:
        match = pattern.match(body, pos)
        if match and (command := build(match, today)) is not None:
            return command, match.end()
    clause = _CLAUSE.match(body, pos)
    fragment = clause.group() if clause else body[pos:]
    reason = f"I didn't understand “{_clip(fragment)}”."
    return Unknown(_clip(fragment, 200), reason), pos + max(1, len(fragment))


# -- the slash command ------------------------------------------------------------

_SLASH_MENTION = re.compile(rf"^{_MENTION}$")


def parse_slash(text: str) -> SlashCommand | Unknown:
    """`/groundswell account <name or id> | tasks [@user] | digest | help`; empty is help."""
    text = " ".join(_unescape(text[:MAX_REPLY_CHARS]).split())
    verb, _, arg = text.partition(" ")
    verb = verb.lower()
    if verb in ("", "help", "?"):
        return SlashCommand("help")
    if verb in ("account", "acct"):
        if not arg:
            return Unknown(text, "Which account? Try `/groundswell account Acme`.")
        return SlashCommand("account", arg[:MAX_ARG_CHARS])
    if verb in ("tasks", "task", "todo"):
        return _slash_tasks(text, arg)
    if verb == "digest":
        return SlashCommand("digest") if not arg else Unknown(text, "`/groundswell digest` takes no argument.")
    return Unknown(text, f"I don't know “{_clip(verb, 30)}”: try `/groundswell help`.")


def _slash_tasks(text: str, arg: str) -> SlashCommand | Unknown:
    if arg.lower() in ("", "me", "mine"):
        return SlashCommand("tasks")
    m = _SLASH_MENTION.match(arg)
    if not m:
        return Unknown(text, "Whose tasks? Mention them: `/groundswell tasks @jane`.")
    return SlashCommand("tasks", m["uid"] or m["name"].rstrip(".-"))


def _unescape(text: str) -> str:
    """Slack escapes &, < and > in typed text; a name lookup wants them back (mentions keep their brackets)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
