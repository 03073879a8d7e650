"""The charts of the browser's pages, from the figures the pages already read."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from storage.web.charts import Series, bar_chart
from storage.web.facets import FacetValue
from storage.web.operations import RUN_SERIES, run_figures

_RUN_CSS = ("pages", "new", "failed")


def _day_label(value: str) -> str:
    # YYYY-MM-DD or YYYY-MM, written day first as Vietnamese dates are
    return "/".join(reversed(value.split("-")))


def portal_charts(shown: dict[str, Any]) -> dict[str, Markup]:
    """Return the portal page's two charts: archived articles per day or month, and its last runs."""
    unit = shown["unit"]
    periods = shown["periods"]
    word = "ngày (day)" if unit == "day" else "tháng (month)"
    articles = bar_chart(
        "articles-chart",
        f"Bài đã lưu theo {word} đăng (archived articles per {unit} published)",
        [_day_label(p.value) for p in periods],
        [Series("bài (articles)", "articles", [p.count for p in periods])],
    )
    runs = shown["charted_runs"]
    columns = list(zip(*(figures for _, figures in runs), strict=True)) if runs else [(), (), ()]
    series = [
        Series(label, css, list(values))
        for (label, _, _), css, values in zip(RUN_SERIES, _RUN_CSS, columns, strict=True)
    ]
    runs_chart = bar_chart(
        "runs-chart",
        "Các lượt thu thập gần đây (recent crawl runs): trang tải, bài mới, lỗi",
        [f"#{run['id']}" for run, _ in runs],
        series,
        hrefs=[f"/run/{run['id']}" for run, _ in runs],
    )
    return {"articles": articles, "runs": runs_chart}


def run_chart(details: dict[str, Any]) -> Markup:
    """Return one run's pages fetched, new and failed (the run's totals), coloured as on the portal page."""
    figures = run_figures({}, details["stats"], None)
    series = [
        Series(label, css, [value])
        for (label, _, _), css, value in zip(RUN_SERIES, _RUN_CSS, figures, strict=True)
    ]
    return bar_chart(
        "run-chart",
        f"Lượt #{details['id']} (run): trang tải, bài mới, lỗi",
        [f"#{details['id']}"],
        series,
        height=120,
    )


def month_histogram(q: str, chosen: dict[str, str], months: list[FacetValue], url: Any) -> Markup:
    """Return the search page's matches per month, each bar a link that filters the search to it."""
    return bar_chart(
        "month-histogram",
        "Kết quả theo tháng (matches per month)",
        [m.label for m in months],
        [Series("kết quả (matches)", "matches", [m.count for m in months])],
        hrefs=[url(q, chosen, month=m.value, page=None) for m in months],
        height=90,
    )
