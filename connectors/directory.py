"""Who is who: resolving people, channels and domains to accounts and sides.

Built once per ingest from the accounts and contacts the store holds, and
handed to every connector, so that account resolution follows one rule set,
in interface.md's order: the contact's `account_id`, then the author's or
recipients' email domain, then the Slack channel's mapping in accounts.csv,
then the domains of the channel's customer members.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Literal

from signals.portfolio import Account, Contact, email_domain

Side = Literal["customer", "vendor", "unknown"]

# Addresses at these domains say nothing about which company someone works for.
FREEMAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
    "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "yandex.com",
})


@dataclass
class Directory:
    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    vendor_domains: frozenset[str] = frozenset()
    # (name, email) pairs seen in earlier messages: lets a call transcript, which
    # often has only speaker names, place a speaker who has written before.
    known_people: Iterable[tuple[str, str]] = ()

    def __post_init__(self) -> None:
        self.account_ids = {a.account_id for a in self.accounts}
        self._by_domain = {d.lower(): a.account_id for a in self.accounts for d in a.domains}
        self._by_channel = {c.lower().lstrip("#"): a.account_id for a in self.accounts for c in a.slack_channels}
        self._by_name = {a.name.lower(): a.account_id for a in self.accounts}
        names = sorted((re.escape(n) for n in self._by_name if n), key=len, reverse=True)
        self._name_pattern = re.compile(r"(?<!\w)(" + "|".join(names) + r")(?!\w)") if names else None
        self._contact_by_email = {c.email.lower(): c for c in self.contacts}
        self._contact_by_slack = {c.slack_user_id: c for c in self.contacts if c.slack_user_id}
        self._contact_by_name = {c.name.lower(): c for c in self.contacts}
        self._people: dict[str, str] = {}
        for name, email in self.known_people:
            self.learn(name, email)
        csm_domains = {email_domain(a.csm) for a in self.accounts if a.csm}
        self.vendor_domains = frozenset(d.lower() for d in self.vendor_domains) | {d for d in csm_domains if d}

    # -- people -------------------------------------------------------------
    def learn(self, name: str, email: str) -> None:
        """Remember that `name` writes from `email` (the first address seen wins)."""
        if name and email and "@" in email:
            self._people.setdefault(name.strip().lower(), email.lower())

    def email_for(self, name: str) -> str | None:
        """The address of a person known by name: a contact, else someone seen writing before."""
        contact = self._contact_by_name.get(name.strip().lower())
        return contact.email if contact else self._people.get(name.strip().lower())

    def contact(self, *, email: str | None = None, slack_user_id: str | None = None,
                name: str | None = None) -> Contact | None:
        if email and (c := self._contact_by_email.get(email.lower())):
            return c
        if slack_user_id and (c := self._contact_by_slack.get(slack_user_id)):
            return c
        if name:
            return self._contact_by_name.get(name.strip().lower())
        return None

    def side_of(self, *, email: str | None = None, slack_user_id: str | None = None,
                name: str | None = None) -> Side:
        if email is None and name and not slack_user_id:
            email = self.email_for(name)
        domain = email_domain(email)
        if domain and self._is_vendor_domain(domain):
            return "vendor"
        contact = self.contact(email=email, slack_user_id=slack_user_id, name=name)
        if contact is not None:
            return "vendor" if self._is_vendor_domain(contact.domain) else "customer"
        if domain and self.account_for_domain(domain):
            return "customer"
        return "unknown"

    # -- accounts -----------------------------------------------------------
    def account_for_domain(self, domain: str | None) -> str | None:
        """Exact domain, then its parents (mail.acme.com -> acme.com); never freemail."""
        if not domain or domain in FREEMAIL or self._is_vendor_domain(domain):
            return None
        parts = domain.lower().split(".")
        for i in range(len(parts) - 1):
            if found := self._by_domain.get(".".join(parts[i:])):
                return found
        return None

    def account_for_email(self, email: str | None) -> str | None:
        contact = self.contact(email=email) if email else None
        if contact and contact.account_id in self.account_ids:
            return contact.account_id
        return self.account_for_domain(email_domain(email))

    def account_for_channel(self, channel: str | None) -> str | None:
        return self._by_channel.get(channel.lower().lstrip("#")) if channel else None

    def account_for_name(self, text: str | None) -> str | None:
        """An account whose whole name appears in `text` (a call title), longest name first."""
        if not text or self._name_pattern is None:
            return None
        match = self._name_pattern.search(text.lower())
        return self._by_name[match.group(1)] if match else None

    def resolve(self, *, author_email: str | None = None, author_slack_id: str | None = None,
                author_name: str | None = None, recipient_emails: Iterable[str] = (),
                channel: str | None = None, member_emails: Iterable[str] = ()) -> str | None:
        """The message's account by interface.md's order, or None."""
        contact = self.contact(email=author_email, slack_user_id=author_slack_id, name=author_name)
        if contact and contact.account_id in self.account_ids:
            return contact.account_id
        # The author's identity first, then each recipient's: a customer cc'ing a
        # colleague filed under another account still writes for their own.
        for email in (author_email, *recipient_emails):
            if email and (found := self.account_for_email(email)):
                return found
        if found := self.account_for_channel(channel):
            return found
        return self._majority_account(member_emails)

    def unresolved_hint(self, *, emails: Iterable[str | None] = (), channel: str | None = None,
                        fallback: str = "no customer address") -> str:
        """A short key naming why nothing matched, for the unknown-account report."""
        domains = [d for d in (email_domain(e) for e in emails) if d and not self._is_vendor_domain(d)]
        company = [d for d in domains if d not in FREEMAIL]
        if company:
            return f"domain {company[0]}"
        if channel:
            return f"channel #{channel.lstrip('#')}"
        if domains:
            return f"freemail {domains[0]}"
        return fallback

    def _majority_account(self, member_emails: Iterable[str]) -> str | None:
        votes = Counter(a for a in (self.account_for_email(e) for e in member_emails) if a)
        if not votes:
            return None
        (top, n), *rest = votes.most_common()
        return None if rest and rest[0][1] == n else top

    def _is_vendor_domain(self, domain: str) -> bool:
        parts = domain.lower().split(".")
        return any(".".join(parts[i:]) in self.vendor_domains for i in range(len(parts) - 1))
