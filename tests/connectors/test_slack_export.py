"""SlackExportConnector on a real public export and on a synthetic one built here.

The real sample (github.com/hfaran/slack-export-viewer, tests/testarchive.zip)
lives in the repository's sibling folder `shared/`; its README counts 158
messages: 94 bot_message, 49 plain user messages, 8 channel_join, 3 bot_add,
3 file_share and 1 file_comment.  People talking are the 49 plain messages
plus the 3 file shares and the file comment: 53.
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import FILE_CONNECTORS, FatalSourceError, Message
from connectors.directory import Directory
from connectors.slack_export import SlackExportConnector
from signals.portfolio import Account, Contact

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "public" / "format_samples"
REAL = SAMPLES / "slack_export_real_hfaran"


def fetch(path: Path, directory: Directory | None = None, **kwargs) -> tuple[SlackExportConnector, list[Message]]:
    connector = SlackExportConnector(path=path, directory=directory or Directory(), **kwargs)
    return connector, list(connector.fetch())


def by_id(messages: list[Message]) -> dict[str, Message]:
    return {m.source_id: m for m in messages}


# -- the real export ------------------------------------------------------------------------

@pytest.fixture
def real() -> Path:
    if not (REAL / "testarchive.zip").is_file():
        pytest.skip(f"real Slack export sample not found at {REAL} (the repository's sibling shared/ folder)")
    return REAL


def test_real_sample_yields_the_53_people_messages_and_counts_the_noise(real: Path) -> None:
    connector, messages = fetch(real / "testarchive.zip")
    assert len(messages) == 53
    assert connector.noise == {"bot_message": 94, "channel_join": 8, "bot_add": 3}
    assert connector.skipped == []
    assert sum(m.channel == "enrique" for m in messages) == 30
    assert sum(m.channel == "traveling-sailor" for m in messages) == 23
    assert not any("has joined the channel" in m.text or "added an integration" in m.text for m in messages)


def test_real_zip_and_folder_give_identical_messages(real: Path) -> None:
    _, from_zip = fetch(real / "testarchive.zip")
    _, from_folder = fetch(real / "unzipped")
    assert from_zip == from_folder


def test_real_ids_are_stable_unique_and_times_utc_with_microseconds(real: Path) -> None:
    _, first = fetch(real / "testarchive.zip")
    _, second = fetch(real / "testarchive.zip")
    assert [m.source_id for m in first] == [m.source_id for m in second]
    assert len({m.source_id for m in first}) == len(first)
    m = by_id(first)["C0JGLMMNX:1452837352.000006"]
    assert m.ts == datetime(2016, 1, 15, 5, 55, 52, 6, tzinfo=timezone.utc)
    assert m.url == "https://slack.com/archives/C0JGLMMNX/p1452837352000006"
    assert m.source == "slack" and m.thread_id is None


def test_real_markup_is_rendered_with_names(real: Path) -> None:
    _, messages = fetch(real / "unzipped")
    texts = {m.source_id: m.text for m in messages}
    assert texts["C0JGLMMNX:1452837352.000006"].startswith("@Harry Potter: Created an issue for a setup.py")
    assert texts["C0JGLMMNX:1452846025.000011"] == (
        "Here's an example: https://github.com/hfaran/progressive/blob/master/setup.py")
    assert "Best fitness: 28919.8689279\n" in texts["C0JL6CGQ2:1459113341.000019"]  # <tel:…|label>
    assert texts["C0JL6CGQ2:1459052866.000012"] == "@Hermione Granger uploaded a file: 100 cities"
    comment = by_id(messages)["C0JL6CGQ2:1459106048.000018"]  # file_comment: the comment, by its author
    assert comment.author == "Hermione Granger" and comment.text.startswith("```'cities': {")
    assert not any("<@" in t or "<http" in t or "&gt;" in t for t in texts.values())


def test_real_members_are_vendor_and_channel_mapping_still_gives_the_account(real: Path) -> None:
    _, unmapped = fetch(real / "unzipped")
    assert {m.author_side for m in unmapped} == {"vendor"}
    assert {m.account_id for m in unmapped} == {None}
    assert {m.unresolved_hint for m in unmapped} == {"internal #enrique", "internal #traveling-sailor"}  # all members are ours
    assert set(unmapped[0].participants) == {"Harry Potter", "Hermione Granger", "Hamza Faran", "heroeshannibal"}
    directory = Directory(accounts=[Account("ACC-1", "Sailor Co", 100.0, slack_channels=("traveling-sailor",))])
    _, mapped = fetch(real / "unzipped", directory)
    sailor = [m for m in mapped if m.channel == "traveling-sailor"]
    assert {m.account_id for m in sailor} == {"ACC-1"} and {m.unresolved_hint for m in sailor} == {None}


def test_real_messages_are_in_time_order_per_channel_and_channels_sorted(real: Path) -> None:
    _, messages = fetch(real / "testarchive.zip")
    channels = [m.channel for m in messages]
    assert channels == sorted(channels)
    for name in set(channels):
        times = [m.ts for m in messages if m.channel == name]
        assert times == sorted(times)


# -- a synthetic export ---------------------------------------------------------------------

def ts(day: int, hour: int, micro: int = 0) -> str:
    return f"{int(datetime(2026, 3, day, hour, tzinfo=timezone.utc).timestamp())}.{micro:06d}"


def user(uid: str, name: str, email: str | None, team: str = "TVENDOR", **flags: bool) -> dict:
    profile = {"real_name": name, "display_name": name.split()[0].lower(), **({"email": email} if email else {})}
    return {"id": uid, "team_id": team, "name": name.split()[0].lower(), "profile": profile, **flags}


def say(uid: str | None, when: str, text: str, **extra: object) -> dict:
    return {"type": "message", **({"user": uid} if uid else {}), "text": text, "ts": when, **extra}


PARENT = ts(2, 9)
MARKUP = ("Hi <@UCARLA>, renewal doc: <https://acme.com/doc|the doc> &amp; <https://acme.com/raw> "
          "see <#C0GLOBEX> and <#C0INT|internal>, mail <mailto:bob@acme.com|bob@acme.com> or <mailto:x@acme.com> "
          "<!here> <!channel> <!everyone> <!subteam^S0CS|@cs-team> <!subteam^S0OPS> &lt;3 &gt; "
          "<@UNOBODY> <@UGHOST|ghost>")
RENDERED = ("Hi @Carla Csm, renewal doc: the doc & https://acme.com/raw "
            "see #globex-shared and #internal, mail bob@acme.com or x@acme.com "
            "@here @channel @everyone @cs-team @S0OPS <3 > @UNOBODY @ghost")
RICH = [{"type": "rich_text", "elements": [
    {"type": "rich_text_section", "elements": [
        {"type": "text", "text": "Renewal "}, {"type": "user", "user_id": "UCARLA"}, {"type": "text", "text": " see "},
        {"type": "link", "url": "https://x.io", "text": "plan"}, {"type": "text", "text": " "},
        {"type": "emoji", "name": "+1"}, {"type": "text", "text": " in "}, {"type": "channel", "channel_id": "C0INT"}]},
    {"type": "rich_text_list", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": "seats"}]},
        {"type": "rich_text_section", "elements": [{"type": "text", "text": "price"}]}]}]}]


def export_files() -> dict[str, object]:
    """A vendor workspace (team TVENDOR) sharing channels with Acme, Globex and Initech people."""
    users = [
        user("UCARLA", "Carla Csm", "carla@vendorco.com"), user("UEVAN", "Evan Eng", "evan.eng@gmail.com"),
        user("UBOB", "Bob Buyer", "bob@acme.com", is_restricted=True), user("UALICE", "Alice Acme", None, "TACME"),
        user("UGINA", "Gina Globex", "gina@globex.io", "TGLOBEX"),
        user("UQUINN", "Quinn Guest", "quinn@unknownco.net", is_ultra_restricted=True),
        user("UBOT", "Deploy Bot", None, is_bot=True)]
    channel = lambda cid, name, *members: {"id": cid, "name": name, "members": list(members)}  # noqa: E731
    acme_day = [
        say("UBOB", ts(2, 7), "<@UBOB> has joined the channel", subtype="channel_join"),
        say("UALICE", PARENT, MARKUP, thread_ts=PARENT, reply_count=2),
        say("UCARLA", ts(2, 10), "On it, will send the quote.", thread_ts=PARENT, parent_user_id="UALICE"),
        say("UBOB", ts(2, 11), "We are evaluating other vendors.", subtype="thread_broadcast", thread_ts=PARENT),
        say("UXAV", ts(2, 12), "Budget is cut next quarter.", user_team="TXAV",
            user_profile={"real_name": "Xavier Ext", "display_name": "xav"}),
        say(None, ts(2, 13), "Deploy finished", subtype="bot_message", bot_id="B1"),
        say("UBOT", ts(2, 14), "build green", bot_id="B2"),
        say("USLACKBOT", ts(2, 15), "This message was deleted.", subtype="tombstone"),
        say("UCARLA", ts(2, 16), "set the channel topic: renewals", subtype="channel_topic"),
        say("UBOB", ts(2, 17), ""),
        say("UBOB", ts(2, 18), "", blocks=RICH),
        say("UCARLA", ts(2, 19), "waves", subtype="me_message"),
        say("UBOB", ts(2, 20), "Here is our usage report", subtype="file_share", files=[{"id": "F1", "name": "u.csv"}]),
        say("UBOB", ts(2, 21), "Final price is fine", edited={"user": "UBOB", "ts": ts(2, 22)}),
        say("USLACKBOT", ts(2, 22), "Reminder: standup"),
        say(None, ts(2, 23), "", subtype="message_deleted", hidden=True, deleted_ts=ts(2, 21)),
        say("UBOB", ts(2, 8), "", attachments=[{"fallback": "fb", "text": "Shared: <https://acme.com/q|Q3 plan>"}]),
    ]
    return {
        "users.json": users,
        "channels.json": [channel("C0ACME", "acme-shared", "UCARLA", "UALICE", "UBOB"),
                          channel("C0GLOBEX", "globex-shared", "UCARLA", "UGINA"),
                          channel("C0PHX", "project-phoenix", "UCARLA", "UEVAN", "UBOB"),
                          channel("C0INT", "internal", "UCARLA", "UEVAN")],
        "groups.json": [channel("G0RND", "random-ext", "UCARLA", "UQUINN"),
                        channel("G0INITECH", "initech-x", "UCARLA", "UEVAN")],
        "mpims.json": [channel("G0MPIM", "mpdm-carla--bob--evan-1", "UCARLA", "UBOB", "UEVAN")],
        "dms.json": [{"id": "D0GINA", "members": ["UCARLA", "UGINA"]}],
        "integration_logs.json": [],
        "acme-shared/2026-03-02.json": acme_day,
        "acme-shared/2026-03-03.json": [say("UGINA", ts(3, 9), "Looping in from Globex.")],
        "globex-shared/2026-03-02.json": [say("UBOB", ts(2, 9), "Hi from Acme."), say("UCARLA", ts(2, 10), "Welcome!")],
        "project-phoenix/2026-03-02.json": [say("UEVAN", ts(2, 9), "Phoenix kickoff notes attached.")],
        "initech-x/2026-03-02.json": [say("UCARLA", ts(2, 9), "Initech onboarding plan.")],
        "random-ext/2026-03-02.json": [say("UCARLA", ts(2, 9), "Hello Quinn."), say("UQUINN", ts(2, 10), "Hi!")],
        "internal/2026-03-02.json": [say("UEVAN", ts(2, 9), "Lunch?")],
        "mpdm-carla--bob--evan-1/2026-03-02.json": [say("UCARLA", ts(2, 9), "Group chat about Acme.")],
        "D0GINA/2026-03-02.json": [say("UCARLA", ts(2, 9), "Private note to Gina.")],
    }


def write_folder(root: Path, files: dict[str, object]) -> Path:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content if isinstance(content, str) else json.dumps(content))
    return root


def write_zip(path: Path, files: dict[str, object], prefix: str = "", method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for rel, content in files.items():
            archive.writestr(prefix + rel, content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.fixture
def directory() -> Directory:
    return Directory(
        accounts=[
            Account("ACC-ACME", "Acme", 1000.0, domains=("acme.com",), slack_channels=("acme-shared",),
                    csm="carla@vendorco.com"),
            Account("ACC-GLOBEX", "Globex", 2000.0, domains=("globex.io",), slack_channels=("#globex-shared",)),
            Account("ACC-INITECH", "Initech", 500.0, domains=("initech.com",), slack_channels=("G0INITECH",))],
        contacts=[Contact("gina@globex.io", "Gina Globex", account_id="ACC-INITECH"),
                  Contact("alice@acme.com", "Alice Acme", account_id="ACC-ACME", slack_user_id="UALICE")])


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "export", export_files())


def test_is_registered_and_sniffs_exports_by_content(tmp_path: Path, export: Path) -> None:
    assert FILE_CONNECTORS["slack_export"] is SlackExportConnector
    assert SlackExportConnector.sniff(export)
    assert SlackExportConnector.sniff(write_zip(tmp_path / "flat.zip", export_files()))
    assert SlackExportConnector.sniff(write_zip(tmp_path / "wrapped.zip", export_files(), prefix="Acme Export/"))
    assert SlackExportConnector.sniff(write_folder(tmp_path / "outer" / "inner", export_files()).parent)
    (tmp_path / "notes.json").write_text("[]")
    assert not SlackExportConnector.sniff(tmp_path / "notes.json")
    assert not SlackExportConnector.sniff(tmp_path / "missing.zip")
    assert not SlackExportConnector.sniff(write_folder(tmp_path / "dict", {"users.json": {"ok": True}}))
    assert not SlackExportConnector.sniff(write_zip(tmp_path / "other.zip", {"data/2026-03-02.json": []}))
    assert not SlackExportConnector.sniff(write_folder(tmp_path / "mail", {"inbox.mbox": "From a@b.c\n"}))
    mixed = write_folder(tmp_path / "mixed", {"accounts.csv": "account_id,name,mrr\n"})
    write_folder(mixed / "slack", export_files())
    assert not SlackExportConnector.sniff(mixed) and SlackExportConnector.sniff(mixed / "slack")  # walk, find both


def test_zip_wrapped_zip_and_folder_yield_the_same_messages(tmp_path: Path, export: Path, directory: Directory) -> None:
    _, from_folder = fetch(export, directory)
    _, from_zip = fetch(write_zip(tmp_path / "flat.zip", export_files()), directory)
    _, from_wrapped = fetch(write_zip(tmp_path / "wrapped.zip", export_files(), prefix="Acme Export/"), directory)
    assert len(from_folder) == 19
    assert from_zip == from_folder == from_wrapped


def test_noise_is_counted_by_subtype_and_people_are_kept(export: Path, directory: Directory) -> None:
    connector, messages = fetch(export, directory)
    assert connector.noise == {"bot_message": 3, "channel_join": 1, "tombstone": 1, "channel_topic": 1,
                               "message_deleted": 1, "empty": 1}
    assert connector.skipped == []
    texts = {m.text for m in messages}
    assert {"waves", "Here is our usage report", "Final price is fine", "We are evaluating other vendors."} <= texts
    assert not texts & {"Deploy finished", "build green", "Reminder: standup", "This message was deleted."}


def test_markup_of_every_kind_is_rendered(export: Path, directory: Directory) -> None:
    _, messages = fetch(export, directory)
    assert by_id(messages)[f"C0ACME:{PARENT}"].text == RENDERED


def test_rich_text_blocks_and_attachments_stand_in_for_empty_text(export: Path, directory: Directory) -> None:
    found = by_id(fetch(export, directory)[1])
    assert found[f"C0ACME:{ts(2, 18)}"].text == "Renewal @Carla Csm see plan :+1: in #internal\n- seats\n- price"
    assert found[f"C0ACME:{ts(2, 8)}"].text == "Shared: Q3 plan"


def test_account_order_contact_then_domain_then_channel_then_members(export: Path, directory: Directory) -> None:
    found = by_id(fetch(export, directory)[1])
    assert found[f"C0ACME:{ts(3, 9)}"].account_id == "ACC-INITECH"     # Gina's contact row beats domain and channel
    assert found[f"C0GLOBEX:{ts(2, 9)}"].account_id == "ACC-ACME"      # Bob's acme.com beats #globex-shared
    assert found[f"C0GLOBEX:{ts(2, 10)}"].account_id == "ACC-GLOBEX"   # vendor author: the channel's mapping
    assert found[f"C0ACME:{ts(2, 10)}"].account_id == "ACC-ACME"
    assert found[f"G0INITECH:{ts(2, 9)}"].account_id == "ACC-INITECH"  # accounts.csv names the channel by id
    assert found[f"C0PHX:{ts(2, 9)}"].account_id == "ACC-ACME"         # unmapped: its customer member's domain
    assert found[f"C0ACME:{PARENT}"].account_id == "ACC-ACME"          # Alice: contact by Slack id, no email
    assert all(m.unresolved_hint is None for m in found.values() if m.account_id)


def test_unresolved_messages_say_why(export: Path, directory: Directory) -> None:
    found = by_id(fetch(export, directory)[1])
    for source_id in (f"G0RND:{ts(2, 9)}", f"G0RND:{ts(2, 10)}"):
        assert found[source_id].account_id is None
        assert found[source_id].unresolved_hint == "domain unknownco.net"
    assert found[f"C0INT:{ts(2, 9)}"].unresolved_hint == "internal #internal"  # only vendor members


def test_author_sides(export: Path, directory: Directory) -> None:
    sides = {(m.author, m.author_side) for m in fetch(export, directory)[1]}
    assert sides == {("Carla Csm", "vendor"),     # CSM's domain
                     ("Evan Eng", "vendor"),      # full workspace member, freemail, unknown to the directory
                     ("Bob Buyer", "customer"),   # a guest, but acme.com is Acme's
                     ("Alice Acme", "customer"),  # contact by Slack user id
                     ("Gina Globex", "customer"),
                     ("Xavier Ext", "customer"),  # Slack Connect: another team, in Acme's channel
                     ("Quinn Guest", "unknown")}  # a guest from an unknown company is not vendor


def test_threads_and_permalinks(export: Path, directory: Directory) -> None:
    found = by_id(fetch(export, directory, permalink_base="https://vendorco.slack.com/")[1])
    parent, reply, broadcast = (found[f"C0ACME:{t}"] for t in (PARENT, ts(2, 10), ts(2, 11)))
    assert parent.thread_id == reply.thread_id == broadcast.thread_id == f"C0ACME:{PARENT}"
    assert parent.url == f"https://vendorco.slack.com/archives/C0ACME/p{PARENT.replace('.', '')}"
    assert reply.url == (f"https://vendorco.slack.com/archives/C0ACME/p{ts(2, 10).replace('.', '')}"
                         f"?thread_ts={PARENT}&cid=C0ACME")
    assert found[f"C0ACME:{ts(2, 21)}"].thread_id is None


def test_dms_and_group_dms_resolve_through_their_members(export: Path, directory: Directory) -> None:
    found = by_id(fetch(export, directory)[1])
    dm, group = found[f"D0GINA:{ts(2, 9)}"], found[f"G0MPIM:{ts(2, 9)}"]
    assert (dm.channel, dm.account_id, dm.author_side) == ("D0GINA", "ACC-INITECH", "vendor")
    assert (group.channel, group.account_id) == ("mpdm-carla--bob--evan-1", "ACC-ACME")
    assert group.participants == ("carla@vendorco.com", "bob@acme.com", "evan.eng@gmail.com")


def test_participants_are_member_emails_or_names_plus_the_author(export: Path, directory: Directory) -> None:
    found = by_id(fetch(export, directory)[1])
    assert found[f"C0ACME:{PARENT}"].participants == ("carla@vendorco.com", "Alice Acme", "bob@acme.com")
    assert found[f"C0ACME:{ts(2, 12)}"].participants == ("carla@vendorco.com", "Alice Acme", "bob@acme.com",
                                                         "Xavier Ext")
    assert found[f"C0ACME:{ts(2, 10)}"].author_email == "carla@vendorco.com"


def test_order_within_a_conversation_and_across_conversations(export: Path, directory: Directory) -> None:
    messages = fetch(export, directory)[1]
    acme = [m.ts for m in messages if m.channel == "acme-shared"]
    assert acme == sorted(acme) and acme[0] == datetime(2026, 3, 2, 8, tzinfo=timezone.utc)
    order = list(dict.fromkeys(m.source_id.split(":")[0] for m in messages))
    assert order == ["D0GINA", "C0ACME", "C0GLOBEX", "G0INITECH", "C0INT", "G0MPIM", "C0PHX", "G0RND"]


def test_since_skips_older_messages(export: Path, directory: Directory) -> None:
    connector = SlackExportConnector(path=export, directory=directory)
    newer = list(connector.fetch(since=datetime(2026, 3, 3)))  # naive: taken as UTC
    assert [m.text for m in newer] == ["Looping in from Globex."]
    assert sum(connector.noise.values()) == 0


# -- broken input -----------------------------------------------------------------------------

def test_truncated_zip_is_one_fatal_line_before_any_message(tmp_path: Path) -> None:
    whole = write_zip(tmp_path / "whole.zip", export_files()).read_bytes()
    cut = tmp_path / "acme-export.zip"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    assert SlackExportConnector.sniff(cut)  # recognised, so that ingest can say what to do
    connector = SlackExportConnector(path=cut, directory=Directory())
    with pytest.raises(FatalSourceError) as error:
        next(connector.fetch())
    assert "\n" not in str(error.value)
    assert str(error.value) == ("slack export acme-export.zip is not a readable zip (truncated?): "
                                "re-download the export")


def test_a_bad_day_file_is_skipped_and_the_rest_still_yields(export: Path, directory: Directory) -> None:
    (export / "acme-shared" / "2026-03-04.json").write_text('[{"type": "message", "te')
    (export / "internal" / "2026-03-05.json").write_text('{"ts": "1.0", "text": "not a list"}')
    (export / "internal" / "2026-03-06.json").write_text(json.dumps([
        "just a string", say("UEVAN", None, "no ts"), say("UEVAN", "soon", "bad ts"),
        say("UEVAN", ts(6, 9), "x", subtype=["weird"]), say("UEVAN", ts(6, 10), "Still here.")]))
    connector, messages = fetch(export, directory)
    assert len(messages) == 20 and "Still here." in [m.text for m in messages]
    where = [s.where for s in connector.skipped]
    assert where == ["export:acme-shared/2026-03-04.json", "export:internal/2026-03-05.json",
                     "export:internal/2026-03-06.json[0]", "export:internal/2026-03-06.json[1]",
                     "export:internal/2026-03-06.json[2]", "export:internal/2026-03-06.json[3]"]
    assert "unreadable day file" in connector.skipped[0].reason
    assert "should be a JSON list, found dict" in connector.skipped[1].reason
    assert all("\n" not in str(s) for s in connector.skipped)


def test_a_corrupt_day_file_inside_a_zip_is_skipped(tmp_path: Path, directory: Directory) -> None:
    files = export_files()
    files["internal/2026-03-02.json"] = json.dumps([say("UEVAN", ts(2, 9), "MARKER-" + "x" * 40)])
    path = write_zip(tmp_path / "crc.zip", files, method=zipfile.ZIP_STORED)
    path.write_bytes(path.read_bytes().replace(b"MARKER-", b"MARKED-"))  # same size, wrong CRC
    connector, messages = fetch(path, directory)
    assert len(messages) == 18
    assert [s.where for s in connector.skipped] == ["crc.zip:internal/2026-03-02.json"]


@pytest.mark.parametrize(("rel", "content", "says"), [
    ("users.json", '[{"id": "U1", ', "users.json is not readable JSON"),
    ("channels.json", '{"id": "C1"}', "channels.json should be a JSON list, found dict"),
    ("dms.json", "\xff\xfe garbage", "dms.json is not readable JSON"),
])
def test_corrupt_metadata_is_fatal_before_any_message(export: Path, rel: str, content: str, says: str) -> None:
    (export / rel).write_text(content)
    with pytest.raises(FatalSourceError) as error:
        next(SlackExportConnector(path=export, directory=Directory()).fetch())
    assert says in str(error.value) and "re-download the export" in str(error.value)
    assert "\n" not in str(error.value)


def test_without_channels_json_folders_are_conversations_by_name(tmp_path: Path, directory: Directory) -> None:
    files = {k: v for k, v in export_files().items() if k not in ("channels.json", "groups.json", "mpims.json",
                                                                   "dms.json")}
    connector, messages = fetch(write_folder(tmp_path / "users-only", files), directory)
    found = by_id(messages)
    assert len(messages) == 19 and connector.skipped == []
    assert found[f"acme-shared:{PARENT}"].account_id == "ACC-ACME" and found[f"acme-shared:{PARENT}"].url is None
    assert found[f"acme-shared:{PARENT}"].text.startswith("Hi @Carla Csm, renewal doc: the doc")


def test_no_metadata_at_all_is_not_an_export(tmp_path: Path) -> None:
    path = write_folder(tmp_path / "days-only", {"general/2026-03-02.json": [say("U1", ts(2, 9), "hi")]})
    assert not SlackExportConnector.sniff(path)
    with pytest.raises(FatalSourceError, match="has no channels.json or users.json"):
        list(SlackExportConnector(path=path, directory=Directory()).fetch())
