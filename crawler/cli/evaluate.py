"""`newsarchive eval ...`: measurements on real data read from ../shared/data (never from the repo)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from storage.cli.base import CommandGroup

DEFAULT_DATA_DIR = os.environ.get("NEWSARCHIVE_DATA_DIR", "../shared/data")


@click.group("eval", cls=CommandGroup)
def eval_group() -> None:
    """Score our extractor and language check on real pages, beside the bare libraries."""


def _data_option(func: Any) -> Any:
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_DATA_DIR,
        show_default=True,
        help="Directory of the shared data sets ($NEWSARCHIVE_DATA_DIR).",
    )(func)


@eval_group.command("extraction")
@_data_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--jobs", type=int, default=os.cpu_count() or 2, show_default=True, help="Worker processes.")
def eval_extraction(data_dir: Path, as_json: bool, jobs: int) -> None:
    """Body F1, title and date accuracy: ours vs bare trafilatura.extract."""
    from pipelines.evaluation import extraction

    raise SystemExit(extraction.run(data_dir, as_json=as_json, jobs=jobs))


@eval_group.command("language")
@_data_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def eval_language(data_dir: Path, as_json: bool) -> None:
    """Per-language recall and false-Vietnamese rate: ours vs bare langdetect."""
    from pipelines.evaluation import language

    raise SystemExit(language.run(data_dir, as_json=as_json))
