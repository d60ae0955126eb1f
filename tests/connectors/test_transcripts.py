"""TranscriptConnector on real caption samples and on one fixture per format and rule."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.base import FILE_CONNECTORS, FatalSourceError, Message
from connectors.directory import Directory
from connectors.transcripts import NO_DATE, NOT_A_TRANSCRIPT, TranscriptConnector
from signals.portfolio import Account, Contact

DATA = Path(__file__).resolve().parent / "data" / "transcripts"
SAMPLES = (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "public" / "format_samples"
           / "transcripts_vtt_srt")
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"real format samples not found at {SAMPLES}")


@pytest.fixture
def directory() -> Directory:
    return Directory(
        accounts=[Account("ACC-1", "Acme Corp", 1000.0, domains=("acme.com",), csm="sam@groundswell.io"),
                  Account("ACC-2", "Globex", 500.0, domains=("globex.com",)),
                  Account("ACC-3", "Initech", 300.0, domains=("initech.com",))],
        contacts=[Contact("dana@acme.com", "Dana Kim", account_id="ACC-1"),
                  Contact("lee@globex.com", "Lee Park", account_id="ACC-2"),
                  Contact("sam@groundswell.io", "Sam Rivera")],
        vendor_domains=frozenset({"groundswell.io"}))


def fetch(path: Path, directory: Directory, **options) -> tuple[list[Message], TranscriptConnector]:
    connector = TranscriptConnector(path=path, directory=directory, **options)
    return list(connector.fetch()), connector


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def turns(messages: list[Message]) -> list[tuple[str, str]]:
    return [(m.author, m.text) for m in messages]


# -- real samples ------------------------------------------------------------------
@needs_samples
def test_teams_voice_spans_with_unpadded_timestamps(tmp_path, directory):
    copy = shutil.copy(SAMPLES / "webvttpy_teams_timeframe.vtt", tmp_path / "teams 2025-03-04.vtt")
    messages, connector = fetch(Path(copy), directory)
    assert turns(messages) == [("Yuri Bakulin", "There you go."), ("Adrian Petrescu", "Why hello there, Yuri.")]
    assert [m.ts for m in messages] == [utc(2025, 3, 4), utc(2025, 3, 4, 0, 0, 0, 210_000)]
    assert connector.skipped == []


@needs_samples
def test_bom_captions_without_speakers_are_one_unknown_turn(tmp_path, directory):
    copy = shutil.copy(SAMPLES / "webvttpy_captions_with_bom.vtt", tmp_path / "bom_2025-03-04.vtt")
    messages, _ = fetch(Path(copy), directory)
    assert turns(messages) == [("Unknown speaker", "Caption text #1 Caption text #2 Caption text #3 Caption text #4")]
    assert messages[0].ts == utc(2025, 3, 4, 0, 0, 0, 500_000)


@needs_samples
def test_inline_timestamps_and_class_tags_are_stripped(tmp_path, directory):
    copy = shutil.copy(SAMPLES / "webvttpy_cue_tags.vtt", tmp_path / "tags-2025-03-04.vtt")
    messages, _ = fetch(Path(copy), directory)
    assert turns(messages) == [("Unknown speaker", "When the moon hits your eye Like a big-a pizza pie That's amore")]
    assert messages[0].ts == utc(2025, 3, 4, 0, 0, 16, 500_000)  # hour-less 00:16.500


@needs_samples
@pytest.mark.parametrize(("name", "captions"), [("webvttpy_sample.vtt", 16), ("webvttpy_sample.srt", 5)])
def test_generic_samples_merge_all_captions_into_one_turn(tmp_path, directory, name, captions):
    copy = shutil.copy(SAMPLES / name, tmp_path / f"2025-03-04 {name}")
    messages, _ = fetch(Path(copy), directory)
    assert len(messages) == 1
    assert messages[0].text == " ".join(f"Caption text #{i}" for i in range(1, captions + 1))


@needs_samples
def test_sample_folder_as_published_skips_every_file_with_a_reason(directory):
    assert TranscriptConnector.sniff(SAMPLES)
    messages, connector = fetch(SAMPLES, directory)
    reasons = {Path(s.where).name: s.reason for s in connector.skipped}
    assert messages == []
    assert reasons["webvttpy_teams_timeframe.vtt"] == NO_DATE
    assert reasons["README.txt"].startswith("not a transcript")
    assert len(reasons) == 7 and all("\n" not in r for r in reasons.values())


# -- formats -----------------------------------------------------------------------
def test_zoom_vtt_with_ids_settings_blocks_and_multiline_cues(directory):
    messages, _ = fetch(DATA / "zoom-acme-corp.vtt", directory)
    assert turns(messages) == [
        ("Sam Rivera", "Thanks for joining, everyone. Let's review the renewal."),
        ("Dana Kim", "Honestly, we're evaluating other vendors & may not renew. Budget is tight."),
        ("Sam Rivera", "Understood."),
    ]
    assert [m.ts for m in messages] == [utc(2025, 3, 4, 15, 0, 1, 250_000), utc(2025, 3, 4, 15, 0, 7, 120_000),
                                        utc(2025, 3, 4, 15, 1, 5, 500_000)]
    assert {m.channel for m in messages} == {"zoom-acme-corp"}


def test_vtt_note_date_title_participants_and_two_voices_in_one_cue(tmp_path, directory):
    path = write(tmp_path / "call.vtt", "WEBVTT\n\nNOTE 2025-03-04 15:00\ntitle: Weekly sync\n"
                 "participants: Dana Kim <dana@acme.com>, sam@groundswell.io\n\n"
                 "0:0:2.5 --> 0:0:4.0\n<v.loud Dana Kim>Hi</v>\n<v Sam Rivera>Hello</v>\n")
    messages, _ = fetch(path, directory)
    assert turns(messages) == [("Dana Kim", "Hi"), ("Sam Rivera", "Hello")]
    assert messages[0].ts == utc(2025, 3, 4, 15, 0, 2, 500_000)
    assert messages[0].channel == "Weekly sync"
    assert messages[0].author_email == "dana@acme.com" and messages[1].author_email == "sam@groundswell.io"
    assert messages[0].participants == ("dana@acme.com", "sam@groundswell.io")


def test_srt_speakers_from_name_prefix_and_continuation(directory):
    messages, _ = fetch(DATA / "globex-sync 2025-02-10.srt", directory)
    assert turns(messages) == [("Lee Park", "Hi all. We need SSO before renewal."),
                               ("Sam Rivera", "Noted, I'll follow up.")]
    assert messages[1].ts == utc(2025, 2, 10, 0, 0, 5, 100_000)


def test_plain_text_with_timestamps_preamble_and_continuations(directory):
    messages, _ = fetch(DATA / "2025-01-20 initech call.txt", directory)
    assert turns(messages) == [
        ("Priya Shah", "Morning! Quick agenda today. We'll cover onboarding and pricing."),
        ("Sam Rivera", "Sounds good."),
        ("Priya Shah", "Action items: send the SOW by Friday. Also, our CFO asked about the 20% uplift."),
    ]
    assert [m.ts for m in messages] == [utc(2025, 1, 20, 0, 0, 5), utc(2025, 1, 20, 0, 1, 2, 500_000),
                                        utc(2025, 1, 20, 0, 2)]


def test_plain_text_colon_phrases_are_not_speakers(tmp_path, directory):
    path = write(tmp_path / "2025-01-22 notes.txt",
                 "Dana Kim: Two things.\nAction items: send the SOW.\n[00:00:09] Next steps: sign.\nSam Rivera: Will do.\n")
    messages, _ = fetch(path, directory)
    assert turns(messages) == [("Dana Kim", "Two things. Action items: send the SOW. Next steps: sign."),
                               ("Sam Rivera", "Will do.")]
    assert messages[1].ts == utc(2025, 1, 22, 0, 0, 9)  # a timestamped continuation line moves the clock on


def test_otter_text_export(directory):
    messages, _ = fetch(DATA / "otter 2025-01-21.txt", directory)
    assert turns(messages) == [("Dana Kim", "Can you walk us through the new dashboard?"),
                               ("Sam Rivera", "Sure, let me share my screen. Here it is.")]
    assert messages[1].ts == utc(2025, 1, 21, 0, 0, 15)


def test_simple_json_with_named_participants(directory):
    messages, _ = fetch(DATA / "acme-qbr.json", directory)
    assert turns(messages) == [("Sam Rivera", "Welcome to the QBR."),
                               ("Dana Kim", "We love the new reports. We'd like to add 40 seats."),
                               ("Jo Park", "And SSO, please.")]
    assert messages[2].ts == utc(2025, 3, 10, 21, 0, 9, 875_000)  # -05:00 converted to UTC
    assert [m.author_email for m in messages] == ["sam@groundswell.io", "dana@acme.com", "jo@acme.com"]
    assert messages[0].participants == ("dana@acme.com", "sam@groundswell.io", "jo@acme.com")
    assert {(m.channel, m.thread_id) for m in messages} == {("Acme Corp QBR", messages[0].thread_id)}


def test_simple_json_bare_participant_emails_match_speakers_by_name(directory):
    messages, _ = fetch(DATA / "globex-call 2025-04-01.json", directory)
    assert [(m.author, m.author_email) for m in messages] == [
        ("Lee Park", "lee@globex.com"), ("Sam Rivera", "sam.rivera@groundswell.io"), ("Pat Jones", "pat@globex.com")]
    assert messages[0].ts == utc(2025, 4, 1, 0, 0, 1)


def test_gong_transcripts_with_parties_and_metadata(directory):
    messages, _ = fetch(DATA / "gong-export.json", directory)
    acme = [m for m in messages if m.thread_id == "7782342274025937895"]
    assert [m.source_id for m in acme] == [f"7782342274025937895:{i}" for i in range(3)]
    assert turns(acme) == [("Sam Rivera", "Hi Dana. How are things?"),
                           ("Dana Kim", "Honestly the price increase is a problem."),
                           ("Speaker 333", "Can I jump in?")]
    assert [m.ts for m in acme] == [utc(2025, 5, 6, 16, 30, 0, 460_000), utc(2025, 5, 6, 16, 30, 2, 230_000),
                                    utc(2025, 5, 6, 16, 30, 6, 1_000)]
    assert acme[0].channel == "Acme Corp renewal" and acme[0].account_id == "ACC-1"
    assert acme[0].participants == ("sam@groundswell.io", "dana@acme.com", "obs@acme.com", "Speaker 333")
    globex = [m for m in messages if m.thread_id == "9000000000000000001"]
    assert [(m.author, m.account_id, m.ts) for m in globex] == [("Lee Park", "ACC-2", utc(2025, 5, 7, 10))]


def test_gong_affiliation_decides_sides_as_the_live_connector_does(tmp_path, directory):
    # A partner on the vendor's side (Internal, unknown domain) and a customer on a shared address (External):
    # the directory alone would guess both wrong.
    parties = [{"speakerId": "1", "name": "Pat Agency", "emailAddress": "pat@partner-agency.com", "affiliation": "Internal"},
               {"speakerId": "2", "name": "Dana Kim", "emailAddress": "dana@acme.com", "affiliation": "External"},
               {"speakerId": "3", "name": "Sam Rivera", "emailAddress": "sam@groundswell.io"}]
    path = write(tmp_path / "gong.json", json.dumps({"callTranscripts": [{"callId": "c9", "parties": parties, "transcript": [
        {"speakerId": s, "sentences": [{"start": 1000 * i, "end": 1000 * i + 500, "text": f"Turn {i} here."}]}
        for i, s in enumerate(["1", "2", "3"])]}], "metaData": {"started": "2025-05-06T09:30:00Z", "title": "Acme sync"}}))
    messages, _ = fetch(path, directory)
    assert [(m.author, m.author_side) for m in messages] == [
        ("Pat Agency", "vendor"), ("Dana Kim", "customer"), ("Sam Rivera", "vendor")]


def test_gong_time_unit_in_seconds(tmp_path, directory):
    path = write(tmp_path / "gong.json", json.dumps({"callTranscripts": [{"callId": "c1", "transcript": [
        {"speakerId": "1", "sentences": [{"start": 2.5, "end": 3, "text": "Hi."}]}]}],
        "metaData": {"started": "2025-05-06T09:30:00Z", "title": "Globex sync"}}))
    messages, _ = fetch(path, directory, gong_time_unit="s")
    assert [(m.source_id, m.author, m.ts, m.account_id) for m in messages] == [
        ("c1:0", "Speaker 1", utc(2025, 5, 6, 9, 30, 2, 500_000), "ACC-2")]
    with pytest.raises(ValueError, match="gong_time_unit"):
        TranscriptConnector(path=path, directory=directory, gong_time_unit="minutes")


def test_flat_speakers_and_sentences(directory):
    messages, _ = fetch(DATA / "flat-initech.json", directory)
    assert turns(messages) == [("Sam Rivera", "Shall we start?"), ("Priya Shah", "Yes. We hit a bug in the importer.")]
    assert messages[1].ts == utc(2025, 6, 2, 14, 0, 4, 20_000)
    assert (messages[1].author_email, messages[1].account_id) == ("priya@initech.com", "ACC-3")


def test_utf16_and_cp1252_files_and_a_header_without_blank_line(tmp_path, directory):
    (tmp_path / "a 2025-03-04.vtt").write_bytes("WEBVTT\n\n00:01.000 --> 00:02.000\nDana Kim: h\u00e9llo\n".encode("utf-16"))
    (tmp_path / "b 2025-03-04.srt").write_bytes("1\n00:00:01,000 --> 00:00:02,000\nJos\u00e9: ol\u00e1\n".encode("cp1252"))
    write(tmp_path / "c 2025-03-04.vtt", "WEBVTT\n00:01.000 --> 00:02.000\nLee Park: hi\n")
    messages, connector = fetch(tmp_path, directory)
    assert turns(messages) == [("Dana Kim", "h\u00e9llo"), ("Jos\u00e9", "ol\u00e1"), ("Lee Park", "hi")]
    assert connector.skipped == []


def test_millisecond_offsets_survive_every_timestamp_style(tmp_path, directory):
    path = write(tmp_path / "2025-03-04.vtt", "WEBVTT\n\n1:2:3.45 --> 1:2:4.0\nA B: one\n\n"
                 "02:03.007 --> 02:04.000\nC D: two\n\n00:00:59.999 --> 00:01:00.000\nE F: three\n")
    messages, _ = fetch(path, directory)
    assert [m.ts - utc(2025, 3, 4) for m in messages] == [
        timedelta(hours=1, minutes=2, seconds=3, milliseconds=450),  # "1:2:3.45": Teams-style, no padding
        timedelta(minutes=2, seconds=3, milliseconds=7),
        timedelta(seconds=59, milliseconds=999)]


# -- account, side, date -----------------------------------------------------------
def test_author_side_from_contacts_and_vendor_domain(directory):
    messages, _ = fetch(DATA / "acme-qbr.json", directory)
    assert [(m.author, m.author_side) for m in messages] == [
        ("Sam Rivera", "vendor"), ("Dana Kim", "customer"), ("Jo Park", "customer")]
    assert {m.account_id for m in messages} == {"ACC-1"}


def test_account_from_majority_of_participant_domains(tmp_path, directory):
    path = write(tmp_path / "Globex review 2025-04-02.json", json.dumps({
        "participants": ["a@acme.com", "b@acme.com", "lee@globex.com", "sam@groundswell.io"],
        "utterances": [{"speaker": "Lee Park", "start": 0, "text": "Hello."}]}))
    messages, _ = fetch(path, directory)
    assert messages[0].account_id == "ACC-1"  # two acme.com addresses outvote one globex.com and the title


def test_account_from_an_account_id_folder_at_any_depth(tmp_path, directory):
    write(tmp_path / "calls" / "ACC-2" / "2025" / "2025-02-01 weekly.txt", "Lee Park: Hi.\nSam Rivera: Hi Lee.\n")
    write(tmp_path / "ACC-3" / "2025-02-02 sync.txt", "Priya Shah: Hi.\nSam Rivera: Hi Priya.\n")
    nested, _ = fetch(tmp_path / "calls", directory)
    rooted, _ = fetch(tmp_path / "ACC-3", directory)
    single, _ = fetch(tmp_path / "ACC-3" / "2025-02-02 sync.txt", directory)
    assert {m.account_id for m in nested} == {"ACC-2"}
    assert {m.account_id for m in rooted} == {m.account_id for m in single} == {"ACC-3"}


def test_ingest_root_lets_a_single_file_see_account_folders_above_it(tmp_path, directory):
    path = write(tmp_path / "calls" / "ACC-2" / "2025" / "2025-02-01 weekly.txt", "Alex Moreau: Hi.\nRiley Stone: Hi.\n")
    alone, _ = fetch(path, directory)
    rooted, _ = fetch(path, directory, root=tmp_path / "calls")
    assert {m.account_id for m in alone} == {None}  # only "2025" is the file's own folder
    assert {m.account_id for m in rooted} == {"ACC-2"}


def test_account_from_title_metadata_then_file_stem(tmp_path, directory):
    by_title, _ = fetch(DATA / "zoom-acme-corp.vtt", directory)  # stem "zoom-acme-corp" -> "acme corp"
    path = write(tmp_path / "2025-02-03 call.vtt", "WEBVTT\n\nNOTE title: Globex QBR\n\n00:01.000 --> 00:02.000\nHi\n")
    by_note, _ = fetch(path, directory)
    assert {m.account_id for m in by_title} == {"ACC-1"} and {m.account_id for m in by_note} == {"ACC-2"}


def test_unresolved_calls_say_why(tmp_path, directory):
    unknown_domain = write(tmp_path / "a" / "2025-02-03 intro.json", json.dumps({
        "participants": ["kim@umbrella.io", "sam@groundswell.io"],
        "utterances": [{"speaker": "Kim", "start": 0, "text": "Hi."}]}))
    no_address = write(tmp_path / "b" / "2025-02-03 intro.txt", "Kim: Hi.\nSam Rivera: Hello.\n")
    first, _ = fetch(unknown_domain, directory)
    second, _ = fetch(no_address, directory)
    assert (first[0].account_id, first[0].unresolved_hint) == (None, "domain umbrella.io")
    assert (second[0].account_id, second[0].unresolved_hint) == (None, "call '2025-02-03 intro'")


def test_date_from_metadata_beats_file_name_and_missing_date_is_a_skip(tmp_path, directory):
    write(tmp_path / "2020-01-01 qbr.json", json.dumps({
        "started_at": "2025-03-04T15:00:00Z", "utterances": [{"speaker": "Dana Kim", "start": 1, "text": "Hi."}]}))
    write(tmp_path / "sync_2025-02-28_acme.srt", "1\n00:00:01,000 --> 00:00:02,000\nDana Kim: Hi.\n")
    undated = write(tmp_path / "sync.srt", "1\n00:00:01,000 --> 00:00:02,000\nDana Kim: Hi.\n")
    messages, connector = fetch(tmp_path, directory)
    assert sorted(m.ts for m in messages) == [utc(2025, 2, 28, 0, 0, 1), utc(2025, 3, 4, 15, 0, 1)]
    assert [(Path(s.where).name, s.reason) for s in connector.skipped] == [(undated.name, NO_DATE)]


def test_since_keeps_only_newer_turns(directory):
    connector = TranscriptConnector(path=DATA / "acme-qbr.json", directory=directory)
    messages = list(connector.fetch(since=datetime(2025, 3, 10, 21, 0, 5, tzinfo=timezone.utc)))
    assert [m.source_id.split(":")[1] for m in messages] == ["2"]


# -- stability ---------------------------------------------------------------------
def test_source_ids_are_stable_across_runs_and_folder_moves(tmp_path, directory):
    first_home = shutil.copytree(DATA, tmp_path / "one" / "calls")
    first, _ = fetch(Path(first_home), directory)
    again, _ = fetch(Path(first_home), directory)
    moved = shutil.move(first_home, tmp_path / "elsewhere" / "renamed")
    after_move, _ = fetch(Path(moved), directory)
    ids = [m.source_id for m in first]
    assert ids == [m.source_id for m in again] == [m.source_id for m in after_move]
    assert len(set(ids)) == len(ids) == 22
    assert all(re.fullmatch(r"([0-9a-f]{12}|\d{19}):\d+", i) for i in ids)
    assert all(m.thread_id == m.source_id.rsplit(":", 1)[0] for m in first)


# -- broken input ------------------------------------------------------------------
def test_broken_files_are_skipped_with_one_line_reasons_and_the_rest_yield(tmp_path, directory):
    write(tmp_path / "good 2025-03-04.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nDana Kim: Still here.\n")
    write(tmp_path / "no-header 2025-03-04.vtt", "00:01.000 --> 00:02.000\nDana Kim: Hi.\n")
    write(tmp_path / "bad.json", '{"utterances": [\n{"speaker": "Dana"\n')
    write(tmp_path / "unknown.json", '{"messages": []}')
    write(tmp_path / "empty.srt", "")
    write(tmp_path / "bad-timing 2025-03-04.srt", "1\n00:00:01,000 --> 00:00:0x,000\nDana Kim: Hi.\n")
    write(tmp_path / "accounts.csv", "account_id,name,mrr\n")
    messages, connector = fetch(tmp_path, directory)
    reasons = {Path(s.where).name: s.reason for s in connector.skipped}
    assert turns(messages) == [("Dana Kim", "Still here.")]
    assert reasons == {
        "no-header 2025-03-04.vtt": "missing WEBVTT header",
        "bad.json": "invalid JSON at line 3 column 1: Expecting ',' delimiter",
        "unknown.json": "unknown JSON shape: expected 'utterances', 'callTranscripts' or 'speakers' with 'sentences'",
        "empty.srt": "empty file",
        "bad-timing 2025-03-04.srt": "bad SubRip timing line 2: '00:00:01,000 --> 00:00:0x,000'",
    }
    assert all("\n" not in reason for reason in reasons.values())


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("call.vtt", "1\n00:00:01.000 --> 00:00:02.000\nHi\n", "missing WEBVTT header"),
    ("call.json", "{not json", "invalid JSON at line 1 column 2: Expecting property name enclosed in double quotes"),
    ("call.txt", "", "empty file"),
    ("call.json", '{"started_at": "last tuesday", "utterances": []}',
     "unreadable started_at 'last tuesday': use ISO 8601 like 2025-03-04T15:00:00Z"),
    ("call.json", '{"utterances": [{"speaker": "A", "start": "soon", "text": "Hi"}]}', "unreadable start time 'soon'"),
    ("call 2025-03-04.vtt", "WEBVTT\n\nNOTE nothing was said\n", "no speech in the transcript"),
    ("call.csv", "speaker,text\nDana,hi\n", NOT_A_TRANSCRIPT),
])
def test_a_single_broken_file_records_its_skip(tmp_path, directory, name, content, reason):
    messages, connector = fetch(write(tmp_path / name, content), directory)
    assert messages == []
    assert [(s.where, s.reason) for s in connector.skipped] == [(str(tmp_path / name), reason)]


def test_a_missing_path_is_a_fatal_source_error(tmp_path, directory):
    with pytest.raises(FatalSourceError, match="No such transcript file or folder"):
        fetch(tmp_path / "nowhere", directory)


# -- detection ---------------------------------------------------------------------
def test_sniff_by_content(tmp_path):
    assert TranscriptConnector.sniff(write(tmp_path / "a.caption", "\ufeffWEBVTT\n\n00:01.000 --> 00:02.000\nx\n"))
    assert TranscriptConnector.sniff(write(tmp_path / "b.sub", "1\n00:00:01,000 --> 00:00:02,000\nHi\n"))
    assert TranscriptConnector.sniff(write(tmp_path / "c.out", '{"callTranscripts": []}'))
    assert TranscriptConnector.sniff(write(tmp_path / "d.txt", "Dana Kim  0:03\nHi\n\nSam Rivera  0:05\nHello\n"))
    assert TranscriptConnector.sniff(DATA)
    assert not TranscriptConnector.sniff(write(tmp_path / "e.txt", "Shopping list\nmilk\neggs\nNote: buy bread\n"))
    assert not TranscriptConnector.sniff(write(tmp_path / "f.json", '[{"type": "message", "text": "hi"}]'))
    assert not TranscriptConnector.sniff(write(tmp_path / "g.csv", "speaker,text\nDana,hi\n"))
    assert not TranscriptConnector.sniff(tmp_path / "missing.vtt")
    assert not TranscriptConnector.sniff(write(tmp_path / "only" / "notes.md", "Dana: hi\nSam: hello\n").parent)
    assert FILE_CONNECTORS["transcripts"] is TranscriptConnector


def test_a_speaker_known_as_a_contact_ties_the_call_to_their_account(tmp_path, directory):
    path = write(tmp_path / "2025-02-01 catch-up.txt", "Lee Park: Hi.\nSam Rivera: Hi Lee.\n")
    messages, _ = fetch(path, directory)
    lee = directory.contact(name="Lee Park")
    assert lee is not None and {m.account_id for m in messages} == {lee.account_id}
