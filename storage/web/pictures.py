"""The charts of the browser's pages, from the figures the pages already read."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from storage.web.charts import Series, bar_chart
from storage.web.facets import FacetValue
from storage.web.operations import RUN_SERIES, periods_between, run_figures

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
    """Return the search page's matches per month over their whole span (a month without matches is an
    empty slot), each bar a link that filters the search to its month."""
    counts = {m.value: m.count for m in months}
    span = periods_between(months[0].value, months[-1].value, "month") if months else []
    return bar_chart(
        "month-histogram",
        "Kết quả theo tháng (matches per month)",
        [_day_label(value) for value in span],
        [Series("kết quả (matches)", "matches", [counts.get(value, 0) for value in span])],
        hrefs=[url(q, chosen, month=value, page=None) if counts.get(value) else None for value in span],
        height=90,
        write_values=False,
    )
