"""`analyze --backend llm` as a user runs it: the local screen sends only plausible messages, answers are cached in
the database (the same text never costs twice), spending is recorded and shown; against a fake OpenAI server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.openai import FakeOpenAI
from tests.groundswell.test_cli import assert_one_line_error, run

ACCOUNTS = "account_id,name,mrr,domains,csm\nA,Acme,12000,acme.io,maya@vendor.io\n"
EML = """From: Dana Kim <dana@acme.io>
To: Maya Ortiz <maya@vendor.io>
Subject: {subject}
Date: Tue, 01 Sep 2026 1{n}:00:00 +0000
Message-ID: <{n}@acme.io>

{body}
"""
CHURN = "We will not be renewing the contract when it ends in January."


def mail(folder: Path, n: int, subject: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{n}.eml").write_text(EML.format(n=n, subject=subject, body=body))


def test_the_cascade_sends_only_plausible_messages_and_never_pays_twice(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    mail(tmp_path / "one", 1, "Renewal", CHURN)
    mail(tmp_path / "one", 2, "Thanks", "Thanks, that worked!")
    with FakeOpenAI() as fake:
        env = {"OPENAI_BASE_URL": fake.url, "OPENAI_API_KEY": "sk-test"}
        assert run("ingest", "one", "--accounts", "accounts.csv", cwd=tmp_path).returncode == 0
        first = run("analyze", "--backend", "llm", "--as-of", "2026-09-02", cwd=tmp_path, env=env)
        assert first.returncode == 0, first.stderr
        assert len(fake.requests) == 1  # "Thanks, that worked!" never left the machine
        assert "1 of 2 messages past the local screen" in " ".join(first.stderr.split())
        report = json.loads(run("report", "--format", "json", "--as-of", "2026-09-02", cwd=tmp_path).stdout)
        [signal] = [s for s in report["accounts"][0]["signals"] if s["type"] == "churn_intent"]
        assert signal["evidence"] == CHURN

        mail(tmp_path / "two", 3, "Re: Renewal", CHURN)  # the same words in a new message
        assert run("ingest", "two", cwd=tmp_path).returncode == 0
        second = run("analyze", "--backend", "llm", "--as-of", "2026-09-02", cwd=tmp_path, env=env)
        assert second.returncode == 0, second.stderr
        assert len(fake.requests) == 1 and "1 from cache" in " ".join(second.stderr.split())

        status = " ".join(run("status", cwd=tmp_path).stdout.split())
        assert "LLM backend: 2 runs, 1 requests" in status
        assert "sk-test" not in first.stderr + second.stderr + status
        assert_one_line_error(run("analyze", "--backend", "llm", cwd=tmp_path), "OPENAI_API_KEY")


def test_eval_measures_the_llm_backend_on_labelled_data(tmp_path: Path) -> None:
    lines = [{"id": "m1", "text": CHURN, "labels": ["churn_intent"], "action_items": []},
             {"id": "m2", "text": "Thanks, that worked!", "labels": [], "action_items": []},
             {"id": "m3", "text": "We had another outage this morning, not acceptable.", "labels": ["dissatisfaction"],
              "action_items": []}]
    (tmp_path / "labelled.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    with FakeOpenAI() as fake:
        env = {"OPENAI_BASE_URL": fake.url, "OPENAI_API_KEY": "sk-test"}
        result = run("eval", "--input", "labelled.jsonl", "--backend", "llm", "--format", "json", cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        scores = json.loads(result.stdout)
        assert scores["per_type"]["churn_intent"]["recall"] == 1.0
        assert 0 < len(fake.requests) <= 2


def test_serve_can_analyse_with_the_llm_and_records_what_it_cost(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    mail(tmp_path / "inbox", 1, "Renewal", CHURN)
    assert run("ingest", "--accounts", "accounts.csv", cwd=tmp_path).returncode == 0
    with FakeOpenAI() as fake:
        env = {"OPENAI_BASE_URL": fake.url, "OPENAI_API_KEY": "sk-test", "GROUNDSWELL_LLM_MODEL": "gpt-test",
               "GROUNDSWELL__SERVE__BACKEND": "llm", "GROUNDSWELL__SERVE__WATCH": f'["{tmp_path / "inbox"}"]'}
        served = run("serve", "--once", cwd=tmp_path, env=env)
        assert served.returncode == 0, served.stderr
        assert len(fake.requests) == 1 and "llm: 1 requests" in served.stderr
    status = " ".join(run("status", cwd=tmp_path).stdout.split())
    assert "LLM backend: 1 runs, 1 requests" in status and "(gpt-test)" in status
