"""Text for Slack's mrkdwn: customer text made inert, and figures, dates and people as the messages show them.

Customer text (evidence, names, titles that quote evidence) is untrusted: it
goes through `escape`, so `<!channel>` or `<http://evil|x>` in a customer's
message shows as text instead of pinging a channel or hiding a link.  `fit`
truncates escaped text between entities, never inside one.  Every function
returns a mrkdwn string; `blocks` puts them in Block Kit objects.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

from groundswell.delivery.replies import SLACK_USER
from signals.catalog import BY_ID

_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.I)
_HALF_ENTITY = re.compile(r"&[a-z]{0,4}$")


def escape(text: object) -> str:
    """Customer text made inert in mrkdwn: &, <, > as entities; "@here" defused with a word joiner."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u2060", escaped)


def fit(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis, never leaving half an entity like "&am"."""
    if len(text) <= limit:
        return text
    return _HALF_ENTITY.sub("", text[: limit - 1]).rstrip() + "…"


def customer(text: object, limit: int) -> str:
    """Customer text on one line, escaped and cut to `limit`."""
    return fit(escape(" ".join(str(text or "").split())), limit)


def link(url: object, label: str) -> str:
    """A mrkdwn link to an http(s) URL; anything else (javascript:, slack://) is dropped."""
    if not isinstance(url, str) or not re.match(r"https?://", url, re.I) or len(url) > 1000:
        return ""
    safe = quote(url, safe=":/?#[]@!$&'()*+,;=%~").replace("&", "&amp;")
    return f"<{safe}|{label}>"


def who(owner: object) -> str:
    """A mention for a Slack user id; any other owner (an email) as escaped text."""
    if not owner:
        return "unassigned"
    owner = str(owner)
    return f"<@{owner}>" if SLACK_USER.match(owner) else escape(owner)


def number(value: object, spec: str, template: str = "{}") -> str:
    return template.format(format(float(value), spec)) if isinstance(value, (int, float)) else "—"


def money(value: object) -> str:
    return number(value, ",.0f", "${}")


def pct(value: object) -> str:
    return number(value, ".1f", "{}%")


def as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def day(value: object) -> str:
    """A due date the way people say it: "Fri 27 Nov"."""
    d = as_date(value)
    return f"{d:%a} {d.day} {d:%b}" if d else escape(value or "no date")


def long_day(value: object) -> str:
    d = as_date(value)
    return f"{d.day} {d:%b %Y}" if d else "—"


def type_title(type_id: object) -> str:
    entry = BY_ID.get(str(type_id))
    return entry.title if entry else escape(type_id)
