"""The operators' config file: schema, validation, and errors that point at the line.

`load_config(path)` returns a validated `Config` or raises `ConfigError` whose message reads like
`config.yaml:42 topics[2].any: expected a list of terms`. Secrets never live here: the bot token
and the database override come from the environment (`Environment`).
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from monitor.config_errors import describe, dotted
from monitor.crawl_config import ArticleSelectors, ListingConfig
from monitor.yaml_source import KeyPath, YamlSyntaxError, load_located

DEFAULT_CONFIG = Path("config.yaml")
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_ID = r"^[a-z0-9][a-z0-9_-]*$"
SOURCE_KINDS = ("feed", "listing", "sitemap", "spider")


class ConfigError(ValueError):
    """The config cannot be used; `errors` are lines like `config.yaml:7 sources[0].feed: ...`."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def parse_duration(value: Any) -> timedelta:
    """`30s`, `10m`, `1h30m`, `2d` (or a number of seconds) → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 10m, 1h")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 30s, 10m, 1h")
    text = value.strip().lower()
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise ValueError(f"expected a duration such as 30s, 10m, 1h, got {value!r}")
    total = timedelta()
    for number, unit in parts:
        total += timedelta(**{_UNITS[unit]: int(number)})
    return total


def format_duration(value: timedelta) -> str:
    """The inverse of parse_duration, for tables and messages."""
    seconds = int(value.total_seconds())
    out = ""
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_size(value: Any) -> int:
    """`15MB`, `512KB`, `2GB` or a number of bytes → bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"expected a size such as 15MB or 512KB, got {value!r}")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])


ByteSize = Annotated[int, BeforeValidator(parse_size)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageConfig(_Strict):
    url: str = "sqlite:///data/dozor.db"

    @field_validator("url")
    @classmethod
    def _is_database_url(cls, url: str) -> str:
        try:
            parsed = make_url(url)
        except Exception:
            raise ValueError(
                "expected a database URL such as sqlite:///data/dozor.db "
                "or postgresql+psycopg://user@host/db"
            ) from None
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("expected a sqlite:/// or postgresql+psycopg:// URL")
        return url


class TelegramConfig(_Strict):
    base_url: str = "https://api.telegram.org/bot"
    admins: list[int] = Field(default_factory=list)
    link_previews: bool = True  # Telegram's preview card of the article under each alert
    # Back-off after 5xx/network errors doubles from 1s up to this; alerts wait, never dropped.
    max_retry_delay: Duration = timedelta(minutes=10)

    @field_validator("max_retry_delay")
    @classmethod
    def _retry_at_least_a_second(cls, delay: timedelta) -> timedelta:
        if delay < timedelta(seconds=1):
            raise ValueError("expected at least 1s")
        return delay

    @field_validator("base_url")
    @classmethod
    def _is_http(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL such as https://api.telegram.org/bot")
        return url


class MetricsConfig(_Strict):
    """The optional Prometheus endpoint: http://host:port/metrics. Off unless `port` is set."""

    port: int | None = Field(default=None, ge=0, le=65535)
    # Loopback by default: metrics name sources and topics; expose them deliberately.
    host: str = "127.0.0.1"


class FetchConfig(_Strict):
    user_agent: str = "Dozor/0.1 (+https://github.com/dozor-monitor/dozor)"
    timeout: Duration = timedelta(seconds=20)
    max_size: ByteSize = 15 * 1024 * 1024  # after decompression: compression bombs stop here
    max_redirects: int = Field(default=5, ge=0, le=20)
    pause_after: int = Field(default=10, ge=1)  # failures in a row before a source is paused
    # Crawled sites (listing, sitemap, spider sources) only: the least wait between two requests
    # to one site (AutoThrottle waits longer when the site slows down), and requests at a time.
    crawl_delay: Duration = timedelta(seconds=1)
    crawl_concurrency: int = Field(default=2, ge=1, le=2)
    # Polls in a row that find no links (or only empty pages) before a crawled source is BROKEN.
    broken_after: int = Field(default=3, ge=1)

    @property
    def user_agent_has_contact(self) -> bool:
        # Site owners must be able to reach whoever crawls them (robots.txt etiquette). A warning,
        # not an error: configs written before this check must keep loading.
        return bool(re.search(r"https?://\S+|\S+@\S+\.\S+", self.user_agent))


class SourceConfig(_Strict):
    """One watched site: exactly one of `feed`, `listing`, `sitemap` or `spider` says how."""

    id: str = Field(pattern=_ID)
    name: str = ""
    feed: str | None = None
    listing: ListingConfig | None = None
    sitemap: str | None = None
    spider: str | None = None
    # A hand-written spider's start pages, instead of the ones written in its class.
    start_urls: list[str] = Field(default_factory=list)
    article: ArticleSelectors | None = None  # crawled sources: where the article's parts are
    interval: Duration = timedelta(minutes=10)
    enabled: bool = True
    allow_private: bool = False  # may fetch (or be redirected to) loopback/private addresses
    fetch_article: bool = False  # also fetch each new item's page and match its main text

    @field_validator("feed", "sitemap")
    @classmethod
    def _is_http(cls, url: str | None, info: ValidationInfo) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s) {info.field_name} URL")
        return url

    @field_validator("start_urls")
    @classmethod
    def _are_http(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"expected http(s) URLs, got {url!r}")
        return urls

    @field_validator("spider")
    @classmethod
    def _known_spider(cls, name: str | None) -> str | None:
        if name is None:
            return None
        from monitor.spiders import spider_names  # imports Scrapy: only for configs that use it

        known = spider_names(hand_written=True)
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"no spider named {name!r} in monitor/spiders/{hint}; "
                             f"known: {', '.join(known) or 'none'}")
        return name

    @field_validator("interval")
    @classmethod
    def _at_least_a_second(cls, interval: timedelta) -> timedelta:
        if interval < timedelta(seconds=1):
            raise ValueError("expected at least 1s")
        return interval

    @model_validator(mode="after")
    def _one_kind(self) -> SourceConfig:
        given = [kind for kind in SOURCE_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            found = f" (found {' and '.join(given)})" if given else ""
            raise ValueError(f"give exactly one of feed, listing, sitemap or spider{found}")
        if self.start_urls and not self.spider:
            raise ValueError("start_urls belongs to spider sources; a listing has listing.start_urls")
        if self.article and self.feed:
            raise ValueError("article selectors are for listing, sitemap and spider sources; "
                             "a feed uses fetch_article")
        if self.fetch_article and not self.feed:
            raise ValueError("fetch_article is for feeds; crawled sources always fetch their articles")
        return self

    @property
    def kind(self) -> str:
        """feed, listing, sitemap or spider."""
        return next(kind for kind in SOURCE_KINDS if getattr(self, kind) is not None)

    @property
    def url(self) -> str:
        """Where the source is read from, as `dozor sources` and the store show it."""
        if self.feed or self.sitemap:
            return self.feed or self.sitemap or ""
        if self.listing:
            return self.listing.start_urls[0]
        return self.start_urls[0] if self.start_urls else f"spider:{self.spider}"

    @property
    def crawled(self) -> bool:
        return self.feed is None

    @property
    def label(self) -> str:
        return self.name or self.id


def _valid_term(term: str) -> str:
    from monitor.rules import check_term  # rules imports fold only; kept lazy to keep config light

    problem = check_term(term)
    if problem:
        raise ValueError(f"invalid term {term!r}: {problem}")
    return term


TermText = Annotated[str, AfterValidator(_valid_term)]


class TopicConfig(_Strict):
    id: str = Field(pattern=_ID)
    title: str = ""
    any: list[TermText] = Field(min_length=1)
    all: list[Annotated[list[TermText], Field(min_length=1)]] = Field(default_factory=list)
    not_: list[TermText] = Field(default_factory=list, alias="not")
    fields: list[Literal["title", "text"]] = Field(default_factory=lambda: ["title", "text"], min_length=1)
    priority: Literal["urgent", "normal"] = "normal"

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def label(self) -> str:
        return self.title or self.id


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; expected an IANA name such as Asia/Almaty") from None
    return name


class Config(_Strict):
    # Alerts show the article's time in this zone (an IANA name).
    timezone: Annotated[str, AfterValidator(_known_zone)] = "Asia/Almaty"
    storage: StorageConfig = StorageConfig()
    telegram: TelegramConfig = TelegramConfig()
    fetch: FetchConfig = FetchConfig()
    metrics: MetricsConfig = MetricsConfig()
    sources: list[SourceConfig] = Field(default_factory=list)
    topics: list[TopicConfig] = Field(default_factory=list)

    def warnings(self) -> list[str]:
        """What works but should be changed; `check-config` prints these, `run` logs them."""
        notes = []
        if not self.fetch.user_agent_has_contact:
            notes.append("fetch.user_agent has no contact URL or e-mail address; sites may block "
                         "crawlers they cannot reach. E.g. \"Dozor/0.1 (+https://example.org/contact)\"")
        return notes

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def topic(self, topic_id: str) -> TopicConfig | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def source(self, source_id: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.id == source_id), None)


class Environment(BaseSettings):
    """Settings that come only from the environment (secrets and per-machine overrides)."""

    model_config = SettingsConfigDict(env_prefix="DOZOR_", extra="ignore")

    config: Path | None = None
    database_url: str | None = None
    telegram_token: SecretStr | None = None


def resolve_config_path(explicit: Path | None, env: Environment) -> Path:
    """--config PATH, else $DOZOR_CONFIG, else ./config.yaml."""
    return explicit or env.config or DEFAULT_CONFIG


def load_config(path: Path) -> Config:
    """Read and validate the config file, or raise ConfigError naming file, line and key."""
    if not path.is_file():
        raise ConfigError([f"{path}: no such config file (pass --config PATH or set DOZOR_CONFIG)"])
    try:
        located = load_located(path)
    except YamlSyntaxError as exc:
        raise ConfigError([str(exc)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from None
    data = located.data if located.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path.name}:1 expected a mapping of keys (storage, sources, topics …)"])
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe(exc, located, Config)) from None
    duplicates = [
        f"{path.name}:{located.line_of(loc)} {dotted(loc)}: duplicate id {item_id!r}; ids must be unique"
        for loc, item_id in _duplicate_ids(config)
    ]
    if duplicates:
        raise ConfigError(duplicates)
    return config


def _duplicate_ids(config: Config) -> list[tuple[KeyPath, str]]:
    found = []
    for kind, items in (("sources", config.sources), ("topics", config.topics)):
        seen: set[str] = set()
        for index, item in enumerate(items):
            if item.id in seen:
                found.append(((kind, index, "id"), item.id))
            seen.add(item.id)
    return found


def database_url(config: Config, config_path: Path, env: Environment) -> str:
    """The database URL to use: $DOZOR_DATABASE_URL, else storage.url; relative SQLite paths
    resolve against the config file's folder (not the working directory)."""
    raw = env.database_url or config.storage.url
    url = make_url(raw)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return raw
    db_path = Path(url.database)
    if not db_path.is_absolute():
        db_path = (config_path.resolve().parent / db_path).resolve()
    return url.set(database=str(db_path)).render_as_string(hide_password=False)
