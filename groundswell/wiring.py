"""The one place that builds objects from settings and configuration.

Everything else receives its dependencies; this module decides which
concrete engine, classifier and agents a command gets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError

from agents.base import Agent, Classifier, ClassifierError
from agents.classifiers.memo import MemoClassifier
from agents.expansion import ExpansionAgent
from agents.multithread import DEFAULT_SENIOR, MultithreadAgent
from agents.risk import RiskAgent
from agents.task import TaskAgent
from groundswell import llm_store, store
from groundswell.settings import Config, ConfigError, Settings

log = logging.getLogger(__name__)


def build_engine(url: str) -> Engine:
    """An engine on `url` with the schema migrated to the newest version."""
    try:
        engine = store.make_engine(url)
        store.migrate(engine)
    except ArgumentError:
        raise ConfigError(f"database URL {url!r} is not valid: use sqlite:///path.db or postgresql://user@host/db") from None
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "cannot connect"
        raise ConfigError(f"cannot open the database at {_redact(url)}: {reason}") from None
    return engine


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}" if ":" in credentials else url
    return url


def build_slack_client(settings: Settings) -> Any:
    """The Slack Web API client from SLACK_BOT_TOKEN and GROUNDSWELL_SLACK_API_URL (retries 429s)."""
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        raise ConfigError("SLACK_BOT_TOKEN is not set: create the app from config/slack-manifest.yml, install it, "
                          "and export its bot token (README: Slack setup)")
    from connectors.slack import web_client  # slack_sdk only for commands that talk to Slack
    return web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)


def optional_slack_client(settings: Settings) -> Any:
    """The Slack client when SLACK_BOT_TOKEN is set (an empty value counts as unset), else None."""
    try:
        return build_slack_client(settings)
    except ConfigError:
        return None


def build_sources(settings: Settings, config: Config, engine: Engine, *, slack: Any = None) -> list[Any]:
    """The live sources configured here, each a `scheduler.Source` bound to its client, config and cursor."""
    from groundswell import sync
    from groundswell.scheduler import Source
    vendor, sources = config.vendor.domains, []
    if slack is not None:
        from connectors.slack import SlackUsers
        users = SlackUsers(refresh=timedelta(hours=config.slack.users_refresh_hours))  # kept from sync to sync
        sources.append(Source("slack", config.slack.sync_minutes, lambda now: sync.sync_slack(
            engine, client=slack, config=config.slack, vendor_domains=vendor, now=now, users=users)))
    if config.gmail.mailboxes and (settings.gmail_service_account_file or settings.gmail_token_file):
        from connectors.gmail import service_factory
        make = service_factory(api_endpoint=settings.gmail_api_url,
                               service_account_file=str(settings.gmail_service_account_file or "") or None,
                               token_file=str(settings.gmail_token_file or "") or None)
        sources.append(Source("gmail", config.gmail.sync_minutes, lambda now: sync.sync_gmail(
            engine, service_factory=make, mailboxes=config.gmail.mailboxes, config=config.gmail,
            vendor_domains=vendor, now=now)))
    if settings.gong_access_key and settings.gong_secret:
        key, secret = settings.gong_access_key.get_secret_value(), settings.gong_secret.get_secret_value()
        sources.append(Source("gong", config.gong.sync_minutes, lambda now: sync.sync_gong(
            engine, access_key=key, secret=secret, config=config.gong, vendor_domains=vendor, now=now)))
    return sources


def build_classifier(backend: str, settings: Settings, *, config: Config | None = None, engine: Engine | None = None,
                     model_path: Path | None = None, encoder: bool | None = None) -> Classifier:
    """The classifier for `backend`, memoised so the agents that share it classify each message once.

    `llm` is the cascade by default (`[llm] cascade`): the local model screens
    and only plausible messages reach the LLM.  With an engine, the LLM's
    answers are cached in the database, so re-analysis never pays twice.
    `encoder` overrides `[local] encoder` (the local backend with the encoder).
    """
    if backend == "local":
        # Imported here: the model needs scipy, which commands that never classify (report, nrr) should not load.
        from agents.classifiers.local import LocalClassifier, load_encoder, load_model
        local = (config or Config()).local
        model = load_model(model_path)
        with_encoder = local.encoder if encoder is None else encoder
        if with_encoder and encoder is None and "combination" not in model.meta:
            # a model trained without the encoder's fold scores: the default falls back, `--encoder` fails
            log.warning("%s has no combination with the encoder: reading with the n-gram model alone "
                        "(`groundswell train` fits one when training/encoder_folds.npz is there)",
                        model_path or "the shipped local model")
            with_encoder = False
        return MemoClassifier(inner=LocalClassifier(model, encoder=load_encoder() if with_encoder else None,
                                                    screen=local.encoder_screen, trust=local.encoder_trust))
    if backend == "llm":
        return MemoClassifier(inner=_llm(settings, (config or Config()).llm, engine, model_path))
    raise ClassifierError(f"unknown backend {backend!r}: use local or llm")


def _llm(settings: Settings, llm: Any, engine: Engine | None, model_path: Path | None) -> Classifier:
    if settings.openai_api_key is None or not settings.openai_api_key.get_secret_value():
        raise ClassifierError("the llm backend needs OPENAI_API_KEY (any value for a local server such as Ollama) "
                              "and OPENAI_BASE_URL for a server other than OpenAI; or use --backend local")
    from agents.classifiers.llm import LLMClassifier, MemoryCache, Prices, chat_model
    from agents.classifiers.privacy import MaskOptions
    chat = chat_model(settings.llm_model, settings.openai_base_url, api_key=settings.openai_api_key.get_secret_value(),
                      timeout=llm.timeout_seconds, max_retries=llm.max_retries)
    cache = llm_store.StoredCache(engine, model=settings.llm_model) if engine is not None else MemoryCache()
    precise = LLMClassifier(chat, method=llm.method, cache=cache, concurrency=llm.concurrency,
                            mask_options=MaskOptions(emails=llm.mask_emails, phones=llm.mask_phones,
                                                     token_urls=llm.mask_token_urls),
                            prices=Prices(input_per_million=llm.price_input_per_mtok,
                                          output_per_million=llm.price_output_per_mtok))
    if not llm.cascade:
        return precise
    from agents.classifiers.cascade import CascadeClassifier
    from agents.classifiers.local import LocalClassifier, load_model
    return CascadeClassifier(screen=LocalClassifier(load_model(model_path)), precise=precise, slack=llm.screen_slack)


def llm_usage(classifier: Classifier) -> dict[str, Any] | None:
    """What the LLM backend did in this process, for the run's record; None for the local backend."""
    inner = getattr(classifier, "inner", classifier)
    precise = getattr(inner, "precise", inner)
    if not hasattr(precise, "usage"):
        return None
    usage = precise.usage.to_dict()
    asked = usage["requests"] + usage["cache_hits"]
    return usage | {"screened": getattr(inner, "screened", asked), "sent": getattr(inner, "sent", asked),
                    "cost_usd": usage["estimated_cost"]}


@dataclass(frozen=True)
class Analysis:
    """What `pipeline.analyze` needs: one (memoised) classifier shared by every agent."""

    classifier: Classifier
    agents: list[Agent]
    multithread: MultithreadAgent


def build_analysis(backend: str, settings: Settings, config: Config, *, engine: Engine | None = None) -> Analysis:
    classifier = build_classifier(backend, settings, config=config, engine=engine)
    return Analysis(classifier, *build_agents(classifier, config))


def build_agents(classifier: Classifier, config: Config) -> tuple[list[Agent], MultithreadAgent]:
    a = config.analysis
    multithread = MultithreadAgent(classifier=classifier, window_days=a.engagement_window_days,
                                   baseline_days=a.baseline_days, drop_ratio=a.drop_ratio,
                                   silence_days=a.silence_days,
                                   senior_titles=tuple(a.senior_titles) or DEFAULT_SENIOR)
    return [RiskAgent(classifier), ExpansionAgent(classifier), TaskAgent(classifier), multithread], multithread
