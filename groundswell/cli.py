"""The `groundswell` command line (interface.md's table of commands).

This is an edge: it builds settings and config once, hands them to wiring,
and turns every expected failure into one line on stderr and exit status 2.
Commands stay thin; the work lives in `pipeline`, `report` and `demo`.
"""

from __future__ import annotations

import functools
import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from agents.base import ClassifierError
from connectors.base import SourceError
from groundswell import console, llm_store, store
from groundswell.settings import (CALIBRATE_NOTE, DEFAULT_CONFIG, Config, ConfigError, Settings, load_config,
                                  write_effects)
from groundswell.wiring import (build_analysis, build_classifier, build_engine, build_slack_client,
                               optional_slack_client)

EXPECTED = (SourceError, ConfigError, ClassifierError, click.BadParameter)
TABLE_ACCOUNTS = 25  # the report table's accounts, by MRR at risk; JSON and Markdown list them all
# The scorer, calibration and pipeline modules are imported inside the commands that use them: they
# pull in numpy and every connector, and `nrr` or `--help` should not wait for that.


class Context:
    """What every command gets: settings, config, the database URL and consoles."""

    def __init__(self, db: str | None, config_path: Path | None) -> None:
        self.settings = Settings()
        self.config: Config = load_config(config_path)
        self.config_path = config_path or DEFAULT_CONFIG
        self.db_url = db or self.settings.database_url
        self.out, self.err = console.make_consoles()

    def engine(self) -> Any:
        return build_engine(self.db_url)


def command(fn: Callable[..., None]) -> Callable[..., None]:
    """Add --db and --config, build the Context, and turn expected errors into exit 2."""
    @click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
                  help="TOML config merged over the defaults (default: config/groundswell.toml).")
    @click.option("--db", default=None, help="Database URL (default: $GROUNDSWELL_DATABASE_URL or sqlite:///groundswell.db).")
    @functools.wraps(fn)
    def wrapper(db: str | None, config_path: Path | None, **kwargs: Any) -> None:
        try:
            fn(Context(db, config_path), **kwargs)
        except EXPECTED as exc:
            fail(str(exc))
        except SQLAlchemyError as exc:
            fail(f"database error: {str(getattr(exc, 'orig', None) or exc).strip().splitlines()[0]}")
    return wrapper


# The local backend with the fine-tuned encoder (or without); unset, `[local] encoder` decides.
ENCODER_OPTION = click.option("--encoder/--no-encoder", default=None,
                              help="Read messages with the fine-tuned encoder as well as the n-gram model (local backend).")


def fail(message: str) -> None:
    click.echo(f"groundswell: {' '.join(message.split())}", err=True)
    sys.exit(2)


def record_llm_usage(ctx: Context, engine: Any, classifier: Any) -> None:
    """The LLM backend's requests, tokens and estimated cost for this run: stored, and said on stderr."""
    from groundswell.wiring import llm_usage
    usage = llm_usage(classifier)
    if usage is None:
        return
    with Session(engine) as session, session.begin():
        llm_store.record_llm_usage(session, at=datetime.now(timezone.utc), model=ctx.settings.llm_model, usage=usage)
    console.print_llm_usage(ctx.err, usage, model=ctx.settings.llm_model)


def parse_date(value: str | None) -> date:
    if value is None:
        return datetime.now(timezone.utc).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"--as-of {value!r} is not a date: use YYYY-MM-DD") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="groundswell")
def main() -> None:
    """Groundswell: churn and expansion signals from what customers say, turned into NRR and actions."""


@main.command()
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=Path("groundswell-digest.html"),
              help="Where to write the weekly digest page.")
@command
def demo(ctx: Context, out_path: Path) -> None:
    """Build a fresh database from the bundled sample company and run the whole pipeline offline."""
    from groundswell.demo import run_demo
    run_demo(ctx, out_path=out_path)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--accounts", "accounts_csv", type=click.Path(path_type=Path), help="accounts.csv")
@click.option("--contacts", "contacts_csv", type=click.Path(path_type=Path), help="contacts.csv")
@click.option("--revenue", "revenue_csv", type=click.Path(path_type=Path), help="revenue.csv")
@command
def ingest(ctx: Context, paths: tuple[Path, ...], accounts_csv: Path | None, contacts_csv: Path | None,
           revenue_csv: Path | None) -> None:
    """Load Slack exports, mbox/eml email, transcripts and CSVs; the same input twice stores nothing new."""
    if not paths and not (accounts_csv or contacts_csv or revenue_csv):
        raise click.BadParameter("give at least one PATH, or --accounts/--contacts/--revenue")
    engine = ctx.engine()
    from groundswell import pipeline
    with console.progress(ctx.err, "Ingesting messages") as advance:
        report = pipeline.ingest(engine, paths=list(paths), accounts_csv=accounts_csv, contacts_csv=contacts_csv,
                                 revenue_csv=revenue_csv, vendor_domains=ctx.config.vendor.domains,
                                 options=ctx.config.sources, progress=advance)
    console.print_ingest(ctx.out, ctx.err, report)


@main.command()
@click.option("--backend", type=click.Choice(["local", "llm"]), default="local", show_default=True)
@click.option("--as-of", "as_of", default=None, help="Date (YYYY-MM-DD) the derived signals are computed at; default today.")
@command
def analyze(ctx: Context, backend: str, as_of: str | None) -> None:
    """Run the agents over messages not yet analysed, recompute derived signals, and score the portfolio."""
    day = parse_date(as_of)
    from groundswell import pipeline, snapshots
    from groundswell.report import end_of_day
    engine = ctx.engine()
    analysis = build_analysis(backend, ctx.settings, ctx.config, engine=engine)
    with Session(engine) as session:
        pending = store.pending_count(session)
    with console.progress(ctx.err, "Analysing messages", total=pending) as advance:
        report = pipeline.analyze(engine, classifier=analysis.classifier, agents=analysis.agents,
                                  multithread=analysis.multithread, as_of=end_of_day(day),
                                  now=datetime.now(timezone.utc), batch_size=ctx.config.analysis.batch_size,
                                  progress=advance)
    record_llm_usage(ctx, engine, analysis.classifier)
    # Score now, so that the next `report` for this day reads the result instead of computing it.
    with console.status(ctx.err, "Scoring the portfolio"), Session(engine) as session:
        snapshots.current(session, as_of=day, config=ctx.config, now=datetime.now(timezone.utc))
    console.print_analyze(ctx.out, report)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True)
@click.option("--as-of", "as_of", default=None, help="Score as of this date (YYYY-MM-DD); default today.")
@click.option("--account", "account_id", default=None, help="Only this account (its id).")
@command
def report(ctx: Context, fmt: str, as_of: str | None, account_id: str | None) -> None:
    """The scored portfolio and the prioritised actions."""
    from groundswell import snapshots
    from groundswell.report import to_markdown
    day, limit = parse_date(as_of), ctx.config.actions.limit
    with Session(ctx.engine()) as session:
        snapshot = snapshots.current(session, as_of=day, config=ctx.config, now=datetime.now(timezone.utc))
        if fmt == "json" and account_id is None:
            # Written straight to stdout: click.echo would scan tens of megabytes for ANSI codes to strip.
            sys.stdout.write(snapshots.as_json(session, snapshot) + "\n")
            return
        data = snapshots.as_report(session, snapshot, limit=limit, account_id=account_id,
                                   top=TABLE_ACCOUNTS if fmt == "table" else None)
        llm = llm_store.llm_usage(session) if fmt == "table" and not account_id else None
        if account_id and not data["accounts"]:
            known = account_id in store.account_field(session, field="name")
            raise click.BadParameter(f"account {account_id!r} had no MRR on {day}, so it is not in the report" if known
                                     else f"no account {account_id!r}: see `groundswell report` for the ids")
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(to_markdown(data), nl=False)
    elif account_id:
        console.print_account(ctx.out, data)
    else:
        console.print_report(ctx.out, data)
        if llm:
            console.print_status_llm(ctx.out, llm)


@main.command()
@click.option("--input", "input_path", default="-", help="JSONL file, or - for stdin.")
@click.option("--backend", type=click.Choice(["local", "llm"]), default="local", show_default=True)
@ENCODER_OPTION
@command
def classify(ctx: Context, input_path: str, backend: str, encoder: bool | None) -> None:
    """Classify one message per JSONL line and print one JSONL line each, in order. Stores nothing."""
    from groundswell.classify import classify_lines, read_lines
    classifier = build_classifier(backend, ctx.settings, config=ctx.config, encoder=encoder)
    for line in classify_lines(classifier, read_lines(input_path)):
        click.echo(line)


@main.command("eval")
@click.option("--input", "input_path", required=True, help="Labelled JSONL (the format of dev_messages.jsonl).")
@click.option("--backend", type=click.Choice(["local", "llm"]), default="local", show_default=True)
@click.option("--model", "model_path", type=click.Path(path_type=Path), default=None,
              help="A local model file to measure instead of the shipped one.")
@ENCODER_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@command
def evaluate(ctx: Context, input_path: str, backend: str, model_path: Path | None, encoder: bool | None, fmt: str) -> None:
    """Precision, recall and F1 per signal type, false positives and reliability against labelled messages."""
    from groundswell.evaluation import evaluate as run_evaluation
    from groundswell.training import load_examples
    examples = load_examples([Path(input_path)])
    classifier = build_classifier(backend, ctx.settings, config=ctx.config, model_path=model_path, encoder=encoder)
    result = run_evaluation(classifier, examples).to_dict()
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        console.print_evaluation(ctx.out, result)


@main.command()
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("training"),
              show_default=True, help="The training data folder (heldout/ inside it is never read).")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Where to write the model (default: the packaged model file).")
@click.option("--with-feedback", is_flag=True, help="Add the corrections people made in Slack (from --db).")
@command
def train(ctx: Context, data_dir: Path, out_path: Path | None, with_feedback: bool) -> None:
    """Rebuild the local classifier from the training data in the repository, deterministically."""
    from groundswell import training
    examples = training.load_examples(training.training_files(data_dir))
    if with_feedback:
        with Session(ctx.engine()) as session:
            corrections = training.feedback_examples(store.load_feedback(session))
        ctx.err.print(f"adding {len(corrections)} message(s) with feedback from the database")
        examples += corrections
    folds = data_dir / training.FOLDS_FILE
    encoder_folds = training.load_encoder_folds(folds) if folds.is_file() else None
    if encoder_folds is not None:
        missing = sum(e.gold and e.id not in encoder_folds for e in examples)
        if missing:
            ctx.err.print(f"{folds}: no encoder scores for {missing} hand-labelled message(s); the combination is "
                          "fit without them (rerun tools/train_encoder.py --folds after changing the data)")
    with console.status(ctx.err, f"training on {len(examples):,} labelled messages"):
        model = training.train(examples, encoder_folds=encoder_folds)
    target = out_path or training.packaged_model_path()
    model.save(target)
    console.print_training(ctx.out, model, target)


@main.command()
@click.option("--as-of", "as_of", required=True, help="Fit on signals up to this date (YYYY-MM-DD) and outcomes after it.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--dry-run", is_flag=True, help="Print the backtest and the fitted effects; do not write the config.")
@command
def calibrate(ctx: Context, as_of: str, fmt: str, dry_run: bool) -> None:
    """Fit each signal type's effect from history; print the backtest; write the effects to config."""
    from groundswell import calibration
    from groundswell.report import end_of_day, score_portfolio, scoring_params
    day = parse_date(as_of)
    params = scoring_params(ctx.config)
    with Session(ctx.engine()) as session:
        scored = score_portfolio(session, as_of=day, config=ctx.config, params=params)
    try:
        result = calibration.calibrate(scored, as_of=day, params=params, until=end_of_day(day),
                                       strength=ctx.config.scoring.calibration_strength)
    except calibration.CalibrationError as exc:
        raise click.BadParameter(str(exc)) from None
    if not dry_run:
        write_effects(ctx.config_path, result.effects,
                      note=f"{CALIBRATE_NOTE} --as-of {day} on {datetime.now(timezone.utc):%Y-%m-%d}")
    if fmt == "json":
        click.echo(json.dumps(result.to_dict() | {"written": None if dry_run else str(ctx.config_path)}))
    else:
        console.print_calibration(ctx.out, result, None if dry_run else ctx.config_path)


@main.command()
@click.option("--revenue", "revenue_csv", type=click.Path(path_type=Path), help="revenue.csv (else the database)")
@click.option("--accounts", "accounts_csv", type=click.Path(path_type=Path), help="accounts.csv, for --by")
@click.option("--start", required=True, help="Start month YYYY-MM")
@click.option("--end", required=True, help="End month YYYY-MM")
@click.option("--by", type=click.Choice(["segment", "plan", "csm"]), default=None)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@command
def nrr(ctx: Context, revenue_csv: Path | None, accounts_csv: Path | None, start: str, end: str,
        by: str | None, fmt: str) -> None:
    """Actual NRR, GRR, logo retention and MRR movements of the cohort active in the start month."""
    from groundswell.retention import nrr_command
    nrr_command(ctx, revenue_csv=revenue_csv, accounts_csv=accounts_csv, start=start, end=end, by=by, fmt=fmt)


@main.command()
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=Path("groundswell-digest.html"))
@click.option("--as-of", "as_of", default=None, help="Date (YYYY-MM-DD); default today.")
@click.option("--post", is_flag=True, help="Also post it to the Slack channel in [digest] channel.")
@command
def digest(ctx: Context, out_path: Path, as_of: str | None, post: bool) -> None:
    """The weekly manager digest: an HTML page, and with --post a Slack message."""
    from groundswell import pipeline
    from groundswell.report import end_of_day
    client = build_slack_client(ctx.settings) if post else None
    day = parse_date(as_of) if as_of else None  # None: today in the service's timezone
    now = end_of_day(day) if day else datetime.now(timezone.utc)
    written = pipeline.publish_digest(ctx.engine(), config=ctx.config, path=out_path, client=client, now=now,
                                      as_of=day)
    ctx.out.print(f"Wrote the digest to {written}" + (f" and posted it to {ctx.config.digest.channel}" if post else ""))


SOURCES = {"slack": ("slack", "SLACK_BOT_TOKEN is not set"), "transcripts": ("gong", "GONG_ACCESS_KEY and "
           "GONG_ACCESS_KEY_SECRET are not set (transcript files: put them in a [serve] watch folder)"),
           "gmail": ("gmail", "no Gmail source: set [gmail] mailboxes and GROUNDSWELL_GMAIL_SERVICE_ACCOUNT_FILE "
                     "or GROUNDSWELL_GMAIL_TOKEN_FILE")}


@main.command()
@click.option("--source", type=click.Choice(list(SOURCES)), default=None,
              help="Only this source (default: every configured one, and the [serve] watch folders).")
@command
def sync(ctx: Context, source: str | None) -> None:
    """Pull what is new from the configured live sources since the last sync."""
    from groundswell import pipeline
    from groundswell.wiring import build_sources
    engine, now = ctx.engine(), datetime.now(timezone.utc)
    slack = optional_slack_client(ctx.settings)
    configured = {s.name: s for s in build_sources(ctx.settings, ctx.config, engine, slack=slack)}
    wanted = [SOURCES[source][0]] if source else list(configured)
    if source and wanted[0] not in configured:
        raise click.BadParameter(SOURCES[source][1])
    for name in wanted:
        console.print_sync(ctx.out, ctx.err, configured[name].sync(now))
    folders = ctx.config.serve.watch if source in (None, "transcripts") else []
    for missing in (f for f in folders if not f.exists()):
        ctx.err.print(f"watched folder {missing} does not exist")
    if present := [f for f in folders if f.exists()]:
        console.print_ingest(ctx.out, ctx.err, pipeline.ingest(engine, paths=present, options=ctx.config.sources,
                                                               vendor_domains=ctx.config.vendor.domains))
    if not wanted and not ctx.config.serve.watch:
        raise click.BadParameter("no live source is configured: set SLACK_BOT_TOKEN, or the Gong keys, "
                                 "or [serve] watch folders (README: Configuration)")


@main.command()
@click.option("--post", is_flag=True, help="Send them to Slack and record them, so they are never sent twice.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@command
def alerts(ctx: Context, post: bool, fmt: str) -> None:
    """The alerts due now, deduplicated and batched as configured."""
    from groundswell.delivery import alerts as alerting
    now = datetime.now(timezone.utc)
    with Session(ctx.engine()) as session:
        todo = alerting.due_now(session, config=ctx.config, now=now)
        sent = alerting.post(session, build_slack_client(ctx.settings), todo, config=ctx.config.alerts,
                             now=now) if post else None
    if fmt == "json":
        click.echo(json.dumps({"alerts": todo.rows(), "posted": sent.posted if sent else 0,
                               "errors": sent.errors if sent else []}, ensure_ascii=False))
    else:
        console.print_alerts(ctx.out, ctx.err, todo.rows(), sent)


@main.command()
@command
def status(ctx: Context) -> None:
    """Each source's last sync, lag and errors; what the database holds; alerts and open tasks."""
    with Session(ctx.engine()) as session:
        console.print_status(ctx.out, store.status(session), now=datetime.now(timezone.utc))


@main.command()
@click.option("--once", is_flag=True, help="Run one refresh (sync, ingest watched folders, analyse, alert) and exit.")
@command
def serve(ctx: Context, once: bool) -> None:
    """The long-running service: Slack bot, scheduled syncs, analysis, alerts and the weekly digest."""
    import logging

    from groundswell.scheduler import Jobs
    from groundswell.service import SchedulerLock
    from groundswell.service import serve as run_service
    from groundswell.wiring import build_sources
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = ctx.engine()
    analysis = build_analysis(ctx.config.serve.backend, ctx.settings, ctx.config, engine=engine)
    slack = optional_slack_client(ctx.settings)
    jobs = Jobs(engine=engine, classifier=analysis.classifier, agents=analysis.agents,
                multithread=analysis.multithread, config=ctx.config, slack=slack,
                sources=build_sources(ctx.settings, ctx.config, engine, slack=slack), llm_model=ctx.settings.llm_model)
    if once:
        if not SchedulerLock(jobs.engine).acquire():
            ctx.err.print("another groundswell serve runs the jobs on this database: nothing to do")
            return
        for source in jobs.sources:
            jobs.sync(source.name)
        jobs.refresh()
        return
    run_service(jobs, ctx.settings)
