"""Build the bundled demo company (`groundswell/demo_company/`) from its stories.

The stories in `tools/demo_stories/*.toml` are hand-written data: the vendor
(Brightloop) and its staff, one file per customer account with its people,
revenue history, Slack script, email threads and calls, and a file of
outsiders (a prospect, a partner agency) whose messages resolve to no
account.  This script only turns them into the real formats, through
`tools/exports.py`, deterministically: run it twice and get the same bytes.

    python tools/build_demo.py            # from the repository root

Slack script lines (in a channel's `script`):

    2026-08-04 14:12 marcus: top-level message; <@maya> mentions, \\n newlines
      14:20 maya: an indented line is a reply in the thread above it
    2026-08-05 09:00 @join kiran
    2026-08-05 09:01 @bot status: a bot message
"""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import exports  # noqa: E402  (tools/ is not a package)

ROOT = Path(__file__).resolve().parent.parent
STORIES = ROOT / "tools" / "demo_stories"
OUT = ROOT / "groundswell" / "demo_company"
MONTHS = [f"{y}-{m:02d}" for y, m in [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 11)]]
ACCOUNT_COLUMNS = ["account_id", "name", "mrr", "domains", "slack_channels", "csm", "segment",
                   "plan", "renewal_date", "industry"]
CONTACT_COLUMNS = ["email", "name", "title", "account_id", "slack_user_id", "role"]
SCRIPT_LINE = re.compile(r"^(?P<indent>\s*)(?:(?P<date>\d{4}-\d{2}-\d{2}) )?(?P<time>\d{2}:\d{2}) "
                         r"(?P<who>@join|@bot \w+|[a-z][\w.-]*):? (?P<text>.*)$")
MENTION = re.compile(r"<@([a-z][\w.-]*)>")
CALL_WRITERS = {"vtt-voice", "vtt-colon", "srt", "txt", "json-simple", "json-gong"}


@dataclass
class Person:
    handle: str
    name: str
    email: str
    title: str = ""
    role: str = ""
    side: str = "customer"
    account_id: str | None = None
    in_contacts_with_account: bool = True
    slack: bool = False
    team_id: str = ""
    tz: int = 0
    signature: str = ""
    sig_dash: bool = False
    html: bool = False
    display_name: str = ""

    @property
    def slack_id(self) -> str:
        return "U0" + exports.stable_hex("user", self.email, length=9).upper()


@dataclass
class Story:
    path: Path
    data: dict
    account: dict | None = None
    people: dict[str, Person] = field(default_factory=dict)


# -- loading ------------------------------------------------------------------

def load_stories(folder: Path = STORIES) -> tuple[dict, list[Story], dict[str, Person]]:
    vendor_data = tomllib.loads((folder / "brightloop.toml").read_text(encoding="utf-8"))
    vendor = vendor_data["vendor"]
    stories = [Story(p, tomllib.loads(p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.toml"))]
    people: dict[str, Person] = {}
    for story in stories:
        story.account = story.data.get("account")
        for handle, raw in story.data.get("people", {}).items():
            if handle in people:
                raise ValueError(f"{story.path.name}: handle {handle!r} is already used")
            people[handle] = story.people[handle] = make_person(handle, raw, story, vendor)
    return vendor, stories, people


def make_person(handle: str, raw: dict, story: Story, vendor: dict) -> Person:
    account = story.account or {}
    is_vendor = raw["email"].endswith("@" + vendor["domain"])
    team_seed = vendor["domain"] if is_vendor else raw["email"].split("@")[1]
    return Person(handle=handle, name=raw["name"], email=raw["email"], title=raw.get("title", ""),
                  role=raw.get("role", ""), side="vendor" if is_vendor else "customer",
                  account_id=account.get("account_id"),
                  in_contacts_with_account=raw.get("contact_account_id", True),
                  slack=raw.get("slack", False), team_id="T0" + exports.stable_hex("team", team_seed, length=9).upper(),
                  tz=raw.get("tz", 0), signature=raw.get("signature", "").strip("\n"),
                  sig_dash=raw.get("sig_dash", False), html=raw.get("html", False),
                  display_name=raw.get("display_name", raw["name"].split()[0].lower()))


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)


# -- CSVs ---------------------------------------------------------------------

def account_rows(stories: list[Story], people: dict[str, Person]) -> list[dict]:
    rows = []
    for story in (s for s in stories if s.account):
        a = story.account
        channels = [c["name"] for c in story.data.get("channel", []) if c.get("in_csv", True)]
        rows.append({"account_id": a["account_id"], "name": a["name"], "mrr": a["mrr_history"][-1],
                     "domains": a["domains"], "slack_channels": channels, "csm": people[a["csm"]].email,
                     "segment": a["segment"], "plan": a["plan"], "renewal_date": a["renewal_date"],
                     "industry": a["industry"]})
    return rows


def revenue_rows(stories: list[Story]) -> list[dict]:
    rows = []
    for a in (s.account for s in stories if s.account):
        history = a["mrr_history"]
        if len(history) != len(MONTHS):
            raise ValueError(f"{a['account_id']}: mrr_history needs {len(MONTHS)} values")
        started = False
        for month, mrr in zip(MONTHS, history):
            started = started or mrr > 0
            if mrr > 0 or (started and a.get("zero_rows")):
                rows.append({"account_id": a["account_id"], "month": month, "mrr": mrr})
    return rows


def contact_rows(people: dict[str, Person]) -> list[dict]:
    return [{"email": p.email, "name": p.name, "title": p.title,
             "account_id": p.account_id if p.in_contacts_with_account else "",
             "slack_user_id": p.slack_id if p.slack else "", "role": p.role}
            for p in people.values() if p.side == "customer" and p.account_id]


# -- Slack --------------------------------------------------------------------

def slack_users(vendor: dict, people: dict[str, Person]) -> list[dict]:
    users = [slack_user(p) for p in people.values() if p.slack]
    users += [{"id": bot["user_id"], "team_id": people[vendor["csm_handles"][0]].team_id, "name": key,
               "real_name": bot["name"], "is_bot": True, "deleted": False,
               "profile": {"real_name": bot["name"], "display_name": bot["name"], "bot_id": bot["bot_id"]}}
              for key, bot in sorted(vendor.get("bots", {}).items())]
    return sorted(users, key=lambda u: u["id"])


def slack_user(person: Person) -> dict:
    external = person.side == "customer"
    return {"id": person.slack_id, "team_id": person.team_id, "name": person.email.split("@")[0],
            "deleted": False, "real_name": person.name, "tz": f"Etc/GMT{-person.tz:+d}" if person.tz else "UTC",
            "tz_offset": person.tz * 3600, "is_admin": False, "is_owner": False, "is_bot": False,
            "is_restricted": external, "is_ultra_restricted": False, "is_stranger": external,
            "profile": {"title": person.title, "real_name": person.name, "display_name": person.display_name,
                        "email": person.email, "team": person.team_id,
                        "first_name": person.name.split()[0], "last_name": person.name.split()[-1]}}


def slack_messages(channel: str, script: str, people: dict[str, Person], bots: dict) -> list[dict]:
    messages, parent, day = [], None, None
    for number, line in enumerate(script.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = SCRIPT_LINE.match(line)
        if not match:
            raise ValueError(f"#{channel} line {number}: cannot parse {line!r}")
        day = match["date"] or day
        moment = parse_time(f"{day} {match['time']}")
        seq = int(exports.stable_hex(channel, number, line, length=5), 16) % 999_900 + 100
        message = script_message(match, moment, seq, people, bots)
        if match["indent"]:
            message.update(thread_ts=parent["ts"], parent_user_id=parent.get("user", ""))
        else:
            parent = message
        messages.append(message)
    if len({m["ts"] for m in messages}) != len(messages):
        raise ValueError(f"#{channel}: two messages share a ts")
    return messages


def script_message(match: re.Match, moment: datetime, seq: int, people: dict[str, Person], bots: dict) -> dict:
    ts, who, text = exports.make_slack_ts(moment, seq), match["who"], match["text"]
    if who == "@join":
        person = people[text.strip()]
        return {"type": "message", "subtype": "channel_join", "ts": ts, "user": person.slack_id,
                "text": f"<@{person.slack_id}> has joined the channel"}
    if who.startswith("@bot "):
        bot = bots[who.split()[1]]
        return {"type": "message", "subtype": "bot_message", "ts": ts, "bot_id": bot["bot_id"],
                "username": bot["name"], "text": render_slack_text(text, people)}
    person = people[who]
    return {"type": "message", "user": person.slack_id, "text": render_slack_text(text, people), "ts": ts,
            "team": person.team_id,
            "user_profile": {"real_name": person.name, "display_name": person.display_name,
                             "name": person.email.split("@")[0], "team": person.team_id}}


def render_slack_text(text: str, people: dict[str, Person]) -> str:
    text = text.replace("\\n", "\n")
    return MENTION.sub(lambda m: f"<@{people[m[1]].slack_id}>" if m[1] in people else m[0], text)


def slack_channel(raw: dict, messages: list[dict], people: dict[str, Person]) -> dict:
    members = sorted({m["user"] for m in messages if m.get("user")} |
                     {people[h].slack_id for h in raw.get("members", [])})
    creator = people[raw["creator"]].slack_id
    created = int(parse_time(raw.get("created", "2025-03-02 15:00")).timestamp())
    is_ext = raw["name"].startswith("ext-")
    return {"id": "C0" + exports.stable_hex("channel", raw["name"], length=9).upper(), "name": raw["name"],
            "created": created, "creator": creator, "is_archived": raw.get("archived", False),
            "is_general": False, "is_ext_shared": is_ext, "members": members,
            "topic": {"value": raw.get("topic", ""), "creator": creator, "last_set": created},
            "purpose": {"value": raw.get("purpose", ""), "creator": creator, "last_set": created}}


def write_slack(out: Path, vendor: dict, stories: list[Story], people: dict[str, Person]) -> dict[str, int]:
    channels, messages = [], {}
    for story in stories:
        for raw in story.data.get("channel", []):
            messages[raw["name"]] = slack_messages(raw["name"], raw["script"], people, vendor.get("bots", {}))
            channels.append(slack_channel(raw, messages[raw["name"]], people))
    channels.sort(key=lambda c: c["name"])
    exports.write_slack_export(out / "slack", users=slack_users(vendor, people), channels=channels,
                               messages=messages)
    return {name: len(items) for name, items in messages.items()}


# -- email --------------------------------------------------------------------

def thread_emails(thread: dict, people: dict[str, Person]) -> list[dict]:
    emails: list[dict] = []
    for index, raw in enumerate(thread["msg"]):
        sender, moment = people[raw["from"]], parse_time(raw["at"])
        body = compose_body(raw, sender)
        previous = emails[-1] if emails else None
        if previous and raw.get("quote", True):
            body = exports.format_quoted_reply(body, quoted_text=previous["body"],
                                               quoted_date=previous["date"], quoted_name=previous["from"][0],
                                               quoted_addr=previous["from"][1])
        subject = raw.get("subject") or (("Re: " if index else "") + thread["subject"])
        local = moment.astimezone(timezone(timedelta(hours=sender.tz)))
        email = {"message_id": f"<{exports.stable_hex(thread['subject'], index, raw['at'], raw['from'], length=20)}"
                               f"@mail.{sender.email.split('@')[1]}>",
                 "date": local, "from": (sender.name, sender.email), "subject": subject, "body": body,
                 "to": [(people[h].name, people[h].email) for h in raw["to"]],
                 "cc": [(people[h].name, people[h].email) for h in raw.get("cc", [])]}
        if previous:
            email["in_reply_to"] = previous["message_id"]
            email["references"] = previous.get("references", []) + [previous["message_id"]]
        if sender.html:
            email["html"] = exports.text_to_html(body)
        emails.append(email)
    return emails


def compose_body(raw: dict, sender: Person) -> str:
    body = raw["body"].strip("\n")
    if sender.signature and raw.get("signature", True):
        body += ("\n\n-- \n" if sender.sig_dash else "\n\n") + sender.signature
    return body + "\n"


def thread_mailboxes(thread: dict, default: str | None, people: dict[str, Person], csms: list[str]) -> set[str]:
    involved = {h for m in thread["msg"] for h in [m["from"], *m["to"], *m.get("cc", [])]}
    boxes = {h for h in involved if h in csms} | set(thread.get("mailboxes", []))
    return boxes or {default or csms[0]}


def write_email(out: Path, vendor: dict, stories: list[Story], people: dict[str, Person]) -> dict[str, int]:
    csms = vendor["csm_handles"]
    boxes: dict[str, list[dict]] = {h: [] for h in csms}
    counts: dict[str, int] = {}
    for story in stories:
        default = (story.account or {}).get("csm")
        for thread in story.data.get("email", []):
            emails = thread_emails(thread, people)
            counts[story.path.stem] = counts.get(story.path.stem, 0) + len(emails)
            for box in thread_mailboxes(thread, default, people, csms):
                boxes[box].extend(emails)
    for handle, emails in boxes.items():
        exports.write_mbox(out / "email" / f"{handle}.mbox", emails)
    return counts


# -- calls --------------------------------------------------------------------

def call_turns(call: dict, people: dict[str, Person]) -> list[dict]:
    turns, clock = [], 2.0 + int(exports.stable_hex(call["file"], length=2), 16) / 64
    for number, line in enumerate(l for l in call["turns"].splitlines() if l.strip()):
        handle, _, text = line.partition(": ")
        words = len(text.split())
        end = clock + 0.8 + words * 0.37
        turns.append({"speaker": people[handle.strip()].name, "start": round(clock, 3),
                      "end": round(end, 3), "text": text.strip()})
        clock = end + 0.3 + int(exports.stable_hex(call["file"], number, length=2), 16) / 200
    return turns


def write_call(out: Path, call: dict, people: dict[str, Person], vendor_domain: str) -> int:
    kind, path = call["format"], out / "calls" / call["file"]
    if kind not in CALL_WRITERS:
        raise ValueError(f"{call['file']}: unknown call format {kind!r}")
    turns, started = call_turns(call, people), parse_time(call["at"])
    participants = [{"name": people[h].name, "email": people[h].email,
                     "affiliation": "Internal" if people[h].email.endswith(vendor_domain) else "External"}
                    for h in call["participants"]]
    if kind.startswith("vtt"):
        exports.write_vtt(path, turns, style=kind.split("-")[1],
                          started_at=started if call.get("metadata_date", False) else None)
    elif kind == "srt":
        exports.write_srt(path, turns)
    elif kind == "txt":
        exports.write_transcript_txt(path, turns)
    else:
        exports.write_transcript_json(path, title=call["title"], started_at=started,
                                      participants=participants, turns=turns, shape=kind.split("-")[1])
    return len(turns)


def write_calls(out: Path, vendor: dict, stories: list[Story], people: dict[str, Person]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for story in stories:
        for call in story.data.get("call", []):
            n = write_call(out, call, people, vendor["domain"])
            counts[story.path.stem] = counts.get(story.path.stem, 0) + n
    return counts


# -- README and entry point ---------------------------------------------------------

def readme(vendor: dict, stories: list[Story], people: dict[str, Person], totals: dict[str, int]) -> str:
    lines = [vendor["readme_intro"].strip(), "", "## Brightloop's team", ""]
    for handle in vendor["staff_order"]:
        p = people[handle]
        lines.append(f"- **{p.name}** ({p.email}), {p.title}")
    lines += ["", "## The accounts", "",
              "| id | account | segment | plan | MRR now | renewal | CSM | story |",
              "| --- | --- | --- | --- | ---: | --- | --- | --- |"]
    for a in (s.account for s in stories if s.account):
        lines.append(f"| {a['account_id']} | {a['name']} | {a['segment']} | {a['plan']} | "
                     f"${a['mrr_history'][-1]:,} | {a['renewal_date']} | {people[a['csm']].name} | {a['story']} |")
    lines += ["", vendor["readme_outro"].strip().format(**totals), ""]
    return "\n".join(lines)


def build(out_dir: Path = OUT, stories_dir: Path = STORIES) -> dict[str, dict[str, int]]:
    """Write the whole demo company into `out_dir` (emptied first); return message counts."""
    vendor, stories, people = load_stories(stories_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    exports.write_csv(out_dir / "accounts.csv", account_rows(stories, people), ACCOUNT_COLUMNS)
    exports.write_csv(out_dir / "contacts.csv", contact_rows(people), CONTACT_COLUMNS)
    exports.write_csv(out_dir / "revenue.csv", revenue_rows(stories), ["account_id", "month", "mrr"])
    counts = {"slack": write_slack(out_dir, vendor, stories, people),
              "email": write_email(out_dir, vendor, stories, people),
              "call": write_calls(out_dir, vendor, stories, people)}
    totals = {k: sum(v.values()) for k, v in counts.items()}
    exports.write_text(out_dir / "README.md", readme(vendor, stories, people, totals))
    return counts


def main() -> None:
    counts = build()
    for source, per in counts.items():
        print(f"{source}: {sum(per.values())} messages")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
