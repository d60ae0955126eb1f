"""The Slack bot: the buttons on alerts, replies in their threads, `/groundswell` and the App Home.

The listeners only translate between Slack and the store.  Each acks, reads
the ids it needs, opens its own `Session`, and calls a plain function of the
first section (`claim`, `snooze`, `close`, `reopen`, `reject`,
`apply_commands`), which changes alert and task rows and knows nothing of
Slack; then it commits and answers.  What people type is read by `replies`;
what the bot shows is built by `blocks`.

Decisions:
- `process_before_response=True`: a listener finishes before the HTTP
  response (or the Socket Mode ack) goes out, so `/groundswell` answers in the
  ack's body, ephemerally, and tests see every effect when `dispatch` returns.
- The bot's own user id is bolt's: `context.bot_user_id`, from the `auth.test`
  its authorization calls once and caches.  People are read with `users.info`
  (names, emails); a typed "@jane" is looked up in `users.list`.
- Customer channels stay quiet: mentions and messages outside alert threads
  get no answer.  In an alert's thread every reply that is read as commands
  gets an answer, and one that is not understood gets the help, never silence.
- Logs carry ids and command kinds, never tokens or what people wrote.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Sequence

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from groundswell import snapshots, store
from groundswell.delivery import alerts, blocks, replies
from groundswell.delivery.mrkdwn import escape
from groundswell.delivery.replies import (SLACK_USER, Assign, Claim, Command, Done, Due, Help, NotSignal, Reopen,
                                          Snooze, Unknown, Wrong)
from groundswell.settings import Config
from groundswell.tables import AlertRow, TaskRow
from signals.catalog import BY_ID, MESSAGE_TYPES
from signals.portfolio import Account

log = logging.getLogger(__name__)

# A reply also sent to the channel is still a person's reply; other subtypes are edits, joins and bots.
HUMAN_SUBTYPES = (None, "thread_broadcast")
MAX_CHOICES = 10
RETRAIN_NOTE = "It no longer counts in scores, and is kept to retrain the classifier."


# -- changing alerts and tasks (no Slack here) ----------------------------------------

def claim(session: Session, *, alert: AlertRow, user: str, name: str | None, now: datetime) -> TaskRow:
    """`user` owns the alert's task from now on."""
    task = store.task_for_alert(session, alert=alert, at=now)
    task.owner, task.owner_name = user, name or user
    if task.status == "open":
        alert.status, alert.snoozed_until = "claimed", None
    return task


def snooze(alert: AlertRow, *, until: date) -> None:
    alert.status, alert.snoozed_until = "snoozed", until


def close(session: Session, *, alert: AlertRow, now: datetime) -> TaskRow:
    task = store.task_for_alert(session, alert=alert, at=now)
    task.status, task.closed_at = "done", now
    alert.status = "done"
    return task


def reopen(session: Session, *, alert: AlertRow, now: datetime) -> TaskRow:
    task = store.task_for_alert(session, alert=alert, at=now)
    task.status, task.closed_at = "open", None
    alert.status = "open" if task.owner == alert.csm else "claimed"
    return task


def reject(session: Session, *, alert: AlertRow, author: str, now: datetime,
           corrected_type: str | None = None) -> int:
    """A person's verdict on the alert's signals: "not a signal", or the wrong type (`corrected_type`).

    Each signal quoting a stored message gets a feedback row, so it stops
    counting and trains the classifier; the alert is dismissed.  Returns the
    number of verdicts stored: derived signals and messages no longer stored
    are skipped.  A "wrong type" applies to the signals of the action's types.
    """
    verdict = "wrong" if corrected_type else "not_signal"
    stored = 0
    for signal in _quoted_signals(alert, only_action_types=corrected_type is not None):
        try:
            store.add_feedback(session, source=str(signal.get("source") or ""), source_id=str(signal["message_id"]),
                               signal_type=str(signal.get("type")), verdict=verdict, corrected_type=corrected_type,
                               author=author, at=now)
        except LookupError:
            continue
        stored += 1
    alert.status = "dismissed"
    return stored


def _quoted_signals(alert: AlertRow, *, only_action_types: bool) -> list[dict[str, Any]]:
    types = set(alert_types(alert)) if only_action_types else set()
    return [s for s in alert.payload.get("signals") or ()
            if s.get("message_id") and (not types or s.get("type") in types)]


def alert_types(alert: AlertRow) -> list[str]:
    return list((alert.payload.get("action") or {}).get("signal_types") or ())


@dataclass
class Outcome:
    """What a thread reply did: the command kinds applied in order, and what to answer with help."""

    applied: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    help: bool = False
    task: TaskRow | None = None
    signal_type: str | None = None


def apply_commands(session: Session, *, alert: AlertRow, commands: Sequence[Command], author: str,
                   names: dict[str, str], now: datetime) -> Outcome:
    """Apply a reply's commands to the alert and its task, in order.

    `Assign` must name a user id (the caller resolves typed names first);
    `names` holds the display names of the people who become owners.
    """
    outcome = Outcome()
    for command in commands:
        problem = _apply(session, alert, command, outcome, author=author, names=names, now=now)
        if problem:
            outcome.problems.append(problem)
        elif command.kind != Help.kind:
            outcome.applied.append(command.kind)
    return outcome


def _apply(session: Session, alert: AlertRow, command: Command, outcome: Outcome, *, author: str,
           names: dict[str, str], now: datetime) -> str | None:
    """One command; a sentence for the user when it cannot be applied."""
    match command:
        case Unknown(reason=reason):
            return reason
        case Help():
            outcome.help = True
        case Assign(user=user) if not SLACK_USER.match(user):
            return f"I can't find “@{user}” in this workspace: mention them so Slack completes the name."
        case Assign(user=user):
            outcome.task = claim(session, alert=alert, user=user, name=names.get(user), now=now)
        case Claim():
            outcome.task = claim(session, alert=alert, user=author, name=names.get(author), now=now)
        case Due(day=day):
            outcome.task = store.task_for_alert(session, alert=alert, at=now)
            outcome.task.due = day
        case Done():
            outcome.task = close(session, alert=alert, now=now)
        case Reopen():
            outcome.task = reopen(session, alert=alert, now=now)
        case Snooze(until=until):
            snooze(alert, until=until)
        case NotSignal():
            reject(session, alert=alert, author=author, now=now)
        case Wrong(type_id=type_id) if type_id in alert_types(alert):
            return f"This alert is already about {BY_ID[type_id].title}: say which type it should be."
        case Wrong(type_id=type_id):
            reject(session, alert=alert, author=author, now=now, corrected_type=type_id)
            outcome.signal_type = type_id
    return None


def task_view(alert: AlertRow, task: TaskRow | None, *, signal_type: str | None = None) -> dict[str, Any]:
    """What `blocks.task_confirmation` reads, after the change."""
    title = task.title if task else (alert.payload.get("action") or {}).get("title")
    return {"title": title, "owner": task.owner if task else None, "due": task.due if task else None,
            "snoozed_until": alert.snoozed_until, "signal_type": signal_type}


def answers(outcome: Outcome, view: dict[str, Any]) -> list[dict[str, Any]]:
    """The thread replies to a reply: what changed, then the help when something was not understood."""
    said = [blocks.task_confirmation(view, outcome.applied)] if outcome.applied else []
    if outcome.problems or outcome.help:
        said.append(blocks.help_reply(outcome.problems))
    return said


def match_accounts(accounts: Iterable[Account], query: str) -> list[Account]:
    """The account with this id, else those named so (any case), else by name prefix, else by substring."""
    accounts = list(accounts)
    wanted = query.strip().casefold()
    for test in (lambda a: a.account_id == query.strip(), lambda a: a.name.casefold() == wanted,
                 lambda a: a.name.casefold().startswith(wanted), lambda a: wanted in a.name.casefold()):
        if found := [a for a in accounts if test(a)]:
            return sorted(found, key=lambda a: (a.name.casefold(), a.account_id))
    return []


# -- Slack ---------------------------------------------------------------------------

def build_app(*, engine: Engine, client: WebClient, signing_secret: str, config: Config,
              clock: Callable[[], datetime]) -> App:
    """The bolt App with every listener; `clock` is "now" (aware, or naive UTC)."""
    app = App(client=client, signing_secret=signing_secret, token_verification_enabled=False,
              process_before_response=True, logger=_bolt_logger())
    bot = _Listeners(engine, config, clock)
    for action_id in blocks.ACTION_IDS:  # each button's change is the method named for it: gs_claim -> claim
        app.action(action_id)(bot.button(getattr(bot, action_id.removeprefix("gs_"))))
    app.event("message")(bot.on_message)
    app.event("app_mention")(_ignore)
    app.command("/groundswell")(bot.on_command)
    app.event("app_home_opened")(bot.on_home)
    return app


def _bolt_logger() -> logging.Logger:
    """Bolt logs a refused request's whole body at INFO, so its loggers start at WARNING.

    Bolt copies this logger's level into its own when the App is built; set
    `groundswell.bolt` to DEBUG before then to see its internals.
    """
    logger = logging.getLogger("groundswell.bolt")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    return logger


def _ignore(ack: Callable[..., Any]) -> None:
    """Mentions outside alert threads: no noise in customer channels."""
    ack()


@dataclass
class _Click:
    session: Session
    alert: AlertRow
    user: str
    value: dict[str, str]
    client: WebClient
    channel: str | None


@dataclass(frozen=True)
class _Listeners:
    engine: Engine
    config: Config
    clock: Callable[[], datetime]

    def now(self) -> datetime:
        now = self.clock()
        return now if now.tzinfo else now.replace(tzinfo=timezone.utc)

    def today(self) -> date:
        return alerts.service_day(self.config, self.now())

    def report(self, session: Session, **which: Any) -> dict[str, Any]:
        """Today's report (`account_id=`, `top=` or `account_ids=` narrow it), from the snapshot."""
        snapshot = snapshots.current(session, as_of=self.today(), config=self.config, now=self.now())
        return snapshots.as_report(session, snapshot, limit=self.config.actions.limit, **which)

    # -- buttons ------------------------------------------------------------------
    def button(self, change: Callable[[_Click], dict[str, Any] | None]) -> Callable[..., None]:
        """A listener that finds the clicked alert, applies `change`, commits, and posts its reply in the thread."""
        def listener(ack: Callable[..., Any], body: dict[str, Any], client: WebClient) -> None:
            ack()
            value, user = _clicked_value(body), body["user"]["id"]
            channel = (body.get("channel") or {}).get("id")
            with Session(self.engine) as session:
                alert = store.find_alert(session, cause_key=value["alert_id"]) if value else None
                if alert is None:
                    _whisper(client, channel, user, {"text": "I no longer know this alert."})
                    return
                reply = change(_Click(session, alert, user, value, client, channel))
                session.commit()
                log.info("%s on alert %s by %s", body["actions"][0].get("action_id"), alert.id, user)
                thread = (alert.channel or channel, alert.message_ts)
            if reply:
                _post(client, thread, reply)
        return listener

    def claim(self, click: _Click) -> dict[str, Any]:
        name = _real_name(click.client, click.user)
        task = claim(click.session, alert=click.alert, user=click.user, name=name, now=self.now())
        return blocks.task_confirmation(task_view(click.alert, task), [Claim.kind])

    def snooze(self, click: _Click) -> dict[str, Any]:
        snooze(click.alert, until=self.today() + timedelta(days=self.config.alerts.snooze_days))
        return blocks.task_confirmation(task_view(click.alert, None), [Snooze.kind])

    def not_signal(self, click: _Click) -> dict[str, Any]:
        reject(click.session, alert=click.alert, author=click.user, now=self.now())
        return _noted(blocks.task_confirmation(task_view(click.alert, None), [NotSignal.kind]))

    def wrong_type(self, click: _Click) -> dict[str, Any] | None:
        type_id = click.value.get("type")
        if type_id not in MESSAGE_TYPES:
            return None
        reject(click.session, alert=click.alert, author=click.user, now=self.now(), corrected_type=type_id)
        return _noted(blocks.task_confirmation(task_view(click.alert, None, signal_type=type_id), [Wrong.kind]))

    def open_account(self, click: _Click) -> None:
        found = self.report(click.session, account_id=click.alert.account_id)["accounts"]
        entry = found[0] if found else click.alert.payload.get("account") or {"account_id": click.alert.account_id}
        _whisper(click.client, click.channel or click.alert.channel, click.user, blocks.account_card(entry))

    # -- thread replies -------------------------------------------------------------
    def on_message(self, ack: Callable[..., Any], event: dict[str, Any], context: dict[str, Any],
                   client: WebClient) -> None:
        ack()
        if not _is_reply(event, context.get("bot_user_id")):
            return
        thread, author, now = (event["channel"], event["thread_ts"]), event["user"], self.now()
        with Session(self.engine) as session:
            alert = store.find_alert(session, channel=thread[0], message_ts=thread[1])
            if alert is None:
                return
            commands = replies.parse_reply(event.get("text") or "", now=now, tz=self.config.serve.timezone,
                                           bot_user_id=context.get("bot_user_id"))
            commands, names = _resolve_people(client, commands, author=author)
            outcome = apply_commands(session, alert=alert, commands=commands, author=author, names=names, now=now)
            view = task_view(alert, outcome.task, signal_type=outcome.signal_type)
            session.commit()
            log.info("reply on alert %s by %s: %s", alert.id, author, ",".join(c.kind for c in commands))
        for message in answers(outcome, view):
            _post(client, thread, message)

    # -- /groundswell ------------------------------------------------------------------
    def on_command(self, ack: Callable[..., Any], command: dict[str, Any], client: WebClient) -> None:
        """Answered in the ack's body: with process_before_response it is sent when the work is done."""
        try:
            answer = self.slash(replies.parse_slash(command.get("text") or ""), command["user_id"], client)
        except Exception:  # an edge: say so in plain words rather than Slack's "dispatch_failed"
            log.exception("/groundswell failed for %s", command.get("user_id"))
            answer = {"text": "Something went wrong on my side; try again in a minute."}
        ack(text=answer["text"], blocks=answer.get("blocks"), response_type="ephemeral")

    def slash(self, parsed: replies.SlashCommand | Unknown, user: str, client: WebClient) -> dict[str, Any]:
        if isinstance(parsed, Unknown):
            return blocks.help_reply([parsed.reason])
        if parsed.kind == "account":
            return self.account_answer(parsed.arg or "")
        if parsed.kind == "tasks":
            return self.tasks_answer(client, parsed.arg or user)
        if parsed.kind == "digest":
            with Session(self.engine) as session:
                return blocks.digest(self.report(session, top=blocks.TOP_ACCOUNTS))
        return blocks.help_reply()

    def account_answer(self, query: str) -> dict[str, Any]:
        with Session(self.engine) as session:
            found = match_accounts(store.load_accounts(session), query)
            if len(found) != 1:
                return blocks.account_choices(query, [(a.account_id, a.name) for a in found], shown=MAX_CHOICES)
            entries = self.report(session, account_id=found[0].account_id)["accounts"]
        if not entries:
            return {"text": f"{escape(found[0].name)} is not in today's report."}
        return blocks.account_card(entries[0])

    def tasks_answer(self, client: WebClient, who: str) -> dict[str, Any]:
        people = [who] if SLACK_USER.match(who) else _find_people(client, who)
        if len(people) != 1:
            said = "Several people are called" if people else "I can't find"
            return {"text": f"{said} “@{escape(who)}”: mention them, as in `/groundswell tasks @jane`."}
        with Session(self.engine) as session:
            items = _task_items(session, _open_tasks(session, people[0], _email(client, people[0])))
        return blocks.task_list(people[0], items, today=self.today())

    # -- App Home ------------------------------------------------------------------------
    def on_home(self, ack: Callable[..., Any], event: dict[str, Any], client: WebClient) -> None:
        ack()
        if event.get("tab", "home") != "home":
            return
        user = event["user"]
        email = _email(client, user)
        with Session(self.engine) as session:
            tasks = _task_items(session, _open_tasks(session, user, email))
            csms = store.account_field(session, field="csm") if email else {}  # my accounts, not the whole report
            mine = [i for i, csm in csms.items() if str(csm or "").casefold() == str(email).casefold()]
            accounts = self.report(session, account_ids=mine)["accounts"] if email else []
        _call(client.views_publish, user_id=user, view=blocks.home(user, tasks, accounts, today=self.today()))


# -- Slack helpers -------------------------------------------------------------------

def _clicked_value(body: dict[str, Any]) -> dict[str, str] | None:
    action = (body.get("actions") or [{}])[0]
    raw = action.get("value") or (action.get("selected_option") or {}).get("value")
    try:
        return blocks.read_value(raw)
    except ValueError:
        log.warning("ignored an action whose value is not ours: %s", action.get("action_id"))
        return None


def _is_reply(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A person's reply in a thread: not a bot's post, an edit, a join, nor the thread's parent."""
    return (bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")
            and event.get("subtype") in HUMAN_SUBTYPES and not event.get("bot_id")
            and bool(event.get("user")) and event.get("user") != bot_user_id)


def _resolve_people(client: WebClient, commands: Sequence[Command], *,
                    author: str) -> tuple[list[Command], dict[str, str]]:
    """Commands with each typed "@name" turned into a user id (or an Unknown), and the new owners' names."""
    resolved = [_resolve(client, c) if isinstance(c, Assign) else c for c in commands]
    owners = {c.user for c in resolved if isinstance(c, Assign)}
    owners |= {author} if any(isinstance(c, Claim) for c in resolved) else set()
    return resolved, {uid: _real_name(client, uid) for uid in owners if SLACK_USER.match(uid)}


def _resolve(client: WebClient, command: Assign) -> Command:
    if SLACK_USER.match(command.user):
        return command
    found = _find_people(client, command.user)
    if len(found) == 1:
        return Assign(found[0])
    said = "Several people are called" if found else "I can't find"
    return Unknown(command.user, f"{said} “@{command.user}”: mention them so Slack completes the name.")


def _find_people(client: WebClient, name: str) -> list[str]:
    """The ids of the workspace's people whose handle, display name or real name is `name` (any case)."""
    wanted = name.casefold()
    try:
        members = [m for page in client.users_list(limit=200) for m in page.get("members") or ()]
    except SlackApiError as e:  # answered as "can't find": the reply says to mention them instead
        log.warning("users.list failed: %s", e.response.get("error"))
        return []
    return [m["id"] for m in members if not (m.get("deleted") or m.get("is_bot")) and wanted in _spellings(m)]


def _spellings(member: dict[str, Any]) -> set[str]:
    profile = member.get("profile") or {}
    names = (member.get("name"), member.get("real_name"), profile.get("display_name"), profile.get("real_name"))
    return {str(n).casefold() for n in names if n}


def _user(client: WebClient, user: str) -> dict[str, Any]:
    try:
        return client.users_info(user=user)["user"] or {}
    except SlackApiError as e:
        log.warning("users.info failed for %s: %s", user, e.response.get("error"))
        return {}


def _real_name(client: WebClient, user: str) -> str:
    found = _user(client, user)
    profile = found.get("profile") or {}
    return found.get("real_name") or profile.get("real_name") or found.get("name") or user


def _email(client: WebClient, user: str) -> str | None:
    return (_user(client, user).get("profile") or {}).get("email")


def _open_tasks(session: Session, user: str, email: str | None) -> list[TaskRow]:
    """A person's open tasks: claimed (their user id), and their accounts' unclaimed ones (their email)."""
    owners = [user] + ([email] if email else [])
    tasks = {t.id: t for owner in owners for t in store.load_tasks(session, owner=owner)}
    return sorted(tasks.values(), key=lambda t: (t.due is None, t.due or date.max, t.id))


def _task_items(session: Session, tasks: Sequence[TaskRow]) -> list[dict[str, Any]]:
    names = {a.account_id: a.name for a in store.load_accounts(session)} if tasks else {}
    return [{"title": t.title, "account_id": t.account_id, "account_name": names.get(t.account_id),
             "due": t.due, "owner": t.owner} for t in tasks]


def _noted(message: dict[str, Any]) -> dict[str, Any]:
    """A confirmation of a verdict, saying what becomes of the signal."""
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": RETRAIN_NOTE}]}
    return message | {"blocks": [*message["blocks"], note]}


def _post(client: WebClient, thread: tuple[str | None, str | None], message: dict[str, Any]) -> None:
    channel, ts = thread
    if channel:
        _call(client.chat_postMessage, channel=channel, thread_ts=ts, text=message["text"],
              blocks=message.get("blocks"))


def _whisper(client: WebClient, channel: str | None, user: str, message: dict[str, Any]) -> None:
    if channel:
        _call(client.chat_postEphemeral, channel=channel, user=user, text=message["text"],
              blocks=message.get("blocks"))


def _call(method: Callable[..., Any], **params: Any) -> None:
    """A Web API call whose failure is logged, not raised: the change it reports is already committed."""
    try:
        method(**params)
    except SlackApiError as e:
        log.warning("%s failed: %s", getattr(method, "__name__", "slack call"), e.response.get("error"))
