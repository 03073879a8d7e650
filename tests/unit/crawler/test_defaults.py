"""One default per setting: the project settings and the components' own fallbacks agree."""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler import defaults as crawler_defaults
from crawler.frontier.conditional import ConditionalGetMiddleware
from crawler.runtime.backpressure import ExtractionBackpressure
from crawler.runtime.leases import LeaseKeeper
from crawler.runtime.progress import ProgressReporter
from crawler.runtime.run_record import CrawlRunRecorder
from crawler.safety.guard import AddressGuardMiddleware
from crawler.spiders.portal import PortalSpider
from pipelines import defaults as pipelines_defaults
from pipelines.analysis.job import analyse_page
from pipelines.analysis.pool import WorkerPool
from pipelines.archive import ArchivePipeline
from pipelines.extraction import ExtractionPipeline
from pipelines.language import LanguagePipeline

# What crawler/settings.py reads from the environment.
ENVIRONMENT = (
    "ARCHIVE_DATABASE_URL",
    "NEWSARCHIVE_EXTRACTION_WORKERS",
    "NEWSARCHIVE_EXTRACTION_TIMEOUT",
    "NEWSARCHIVE_PORTAL_PAGE_BUDGET",
    "NEWSARCHIVE_ALLOWED_PRIVATE_HOSTS",
)
DATABASE = (
    "sqlite:////nonexistent-dir/archive.sqlite3"  # never opened: components open it when a crawl starts
)


@pytest.fixture
def project_settings(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The settings of crawler/settings.py as a crawl with none of its variables in the environment has
    them: a fresh copy of the module, since the imported one read the environment the tests run in."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    spec = importlib.util.find_spec("crawler.settings")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


def _defaults(module: ModuleType) -> dict[str, Any]:
    values = {name: getattr(module, name) for name in dir(module) if name.isupper()}
    return {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()}


def test_the_project_settings_take_every_default_from_the_defaults_modules(
    project_settings: dict[str, Any],
) -> None:
    for module in (pipelines_defaults, crawler_defaults):
        for name, value in _defaults(module).items():
            assert name in project_settings, f"{name} is not set in crawler/settings.py"
            assert project_settings[name] == value, name


def _enabled(component: Any, crawler: Any) -> bool:
    try:
        component.from_crawler(crawler)
    except NotConfigured:
        return False
    return True


def _configured(settings: dict[str, Any]) -> dict[str, Any]:
    """What each of our components makes of ``settings``."""
    crawler = get_crawler(PortalSpider, {**settings, "ARCHIVE_DATABASE_URL": DATABASE})
    spider = PortalSpider.from_crawler(crawler, start_urls="https://baoninhthuan.com.vn/")
    pool = WorkerPool.for_crawler(crawler, analyse_page)
    archive = ArchivePipeline.from_crawler(crawler)
    progress = ProgressReporter.from_crawler(crawler)
    return {
        "bounds": spider.bounds,
        "url_limit": spider.url_limit,
        "stop_when_known": spider.stop_when_known,
        "extra_hosts": spider.extra_hosts,
        "planner": spider.planner.database_url,
        "workers": (pool.workers, pool.timeout, pool.memory_limit_mb, pool.max_pages),
        "archive": (archive.batch_size, archive.batch_seconds, archive.frontier_enabled),
        "backpressure": ExtractionBackpressure.from_crawler(crawler).limit,
        "languages": LanguagePipeline.from_crawler(crawler).accepted,
        "progress": (progress.mode, progress.interval),
        "lease_force": LeaseKeeper.from_crawler(crawler).force,
        "enabled": [
            _enabled(component, crawler)
            for component in (
                ExtractionPipeline,
                ConditionalGetMiddleware,
                CrawlRunRecorder,
                AddressGuardMiddleware,
            )
        ],
    }


def test_components_built_with_and_without_the_project_settings_agree(
    project_settings: dict[str, Any],
) -> None:
    # The project's own reactor and Scrapy overrides (REDIRECT_MAX_TIMES, DOWNLOAD_MAXSIZE...) aside.
    ours = {
        name: value
        for name, value in project_settings.items()
        if name in _defaults(pipelines_defaults) or name in _defaults(crawler_defaults)
    }
    assert _configured(ours) == _configured({})
    assert _configured(ours)["workers"][0] == pipelines_defaults.EXTRACTION_WORKERS
