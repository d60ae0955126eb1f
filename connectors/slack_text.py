"""Slack's message markup as plain text: mrkdwn tokens and rich_text blocks.

Shared by the export connector and the live Web API connector, which see
the same message payloads: `<@U123>` becomes `@Real Name`, `<#C1|name>`
`#name`, `<https://x|label>` `label`, and entities are unescaped.
"""

from __future__ import annotations

import re

_MARKUP = re.compile(r"<([^<>]*)>")


class SlackMarkup:
    """Slack mrkdwn and rich_text blocks as plain text, with ids shown as names."""

    def __init__(self, users: dict[str, str], channels: dict[str, str]) -> None:
        self.users, self.channels = users, channels

    def render(self, text: str) -> str:
        if "<" in text:
            text = _MARKUP.sub(self._token, text)
        if "&" in text:
            text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        return text

    def _token(self, match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        sigil, rest = target[:1], target[1:]
        if sigil == "@":
            return "@" + (self.users.get(rest) or label.lstrip("@") or rest)
        if sigil == "#":
            return "#" + (label or self.channels.get(rest) or rest)
        if sigil == "!":
            command, _, argument = rest.partition("^")
            if command in ("here", "channel", "everyone"):
                return "@" + command
            return label or "@" + (argument.split("^", 1)[0] or command)
        return label or (target[7:] if target.startswith("mailto:") else target)

    def render_attached(self, raw: dict) -> str:
        """Text from rich_text/section blocks, else attachments, for messages with an empty `text`."""
        parts = [self._block(b) for b in raw.get("blocks") or () if isinstance(b, dict)]
        if not any(parts):
            parts = [self.render(a.get("text") or a.get("fallback") or "")
                     for a in raw.get("attachments") or () if isinstance(a, dict)]
        return "\n".join(p for p in parts if p).strip()

    def _block(self, block: dict) -> str:
        if block.get("type") == "rich_text":
            return "\n".join(self._element(e) for e in block.get("elements") or ())
        text = block.get("text")
        return self.render(text.get("text") or "") if isinstance(text, dict) else ""

    def _element(self, element: dict) -> str:
        kind, children = element.get("type"), element.get("elements") or ()
        if kind == "rich_text_list":
            return "\n".join("- " + self._element(child) for child in children)
        if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
            return "".join(self._element(child) for child in children)
        if kind in ("user", "channel"):
            ref = element.get(f"{kind}_id", "")
            return "@" + self.users.get(ref, ref) if kind == "user" else "#" + self.channels.get(ref, ref)
        if kind == "emoji":
            return f":{element.get('name', '')}:"
        if kind in ("broadcast", "usergroup"):
            return "@" + str(element.get("range") or element.get("usergroup_id") or "")
        return str(element.get("text") or element.get("url") or element.get("fallback") or "")
