"""Charts drawn on the server as SVG: no script, no library, nothing the strict CSP would refuse.

A chart is a row of categories (days, months, runs), each with one bar per series; a category may link
somewhere (the search histogram's bars filter the search). Colours come from the stylesheet (classes),
values ride along as data attributes so tests and screen readers read the same numbers as the bars.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

# Drawing area in SVG units; the <svg> scales to its box's width (phones included).
WIDTH, HEIGHT = 720, 150
TOP, BOTTOM, LEFT = 14, 20, 34
# The gap between categories, as a share of a category's width.
GAP = 0.2
# Charts with at most this many bars print each bar's value above it.
MAX_WRITTEN = 36
# Widest bar, in SVG units: a chart of few bars stays a chart, not blocks of colour.
MAX_BAR = 56


@dataclass(frozen=True)
class Series:
    """One kind of bar: its name (shown in the legend), CSS class (its colour) and a value per category."""

    name: str
    css: str
    values: list[int]


def bar_chart(
    chart_id: str,
    title: str,
    labels: list[str],
    series: list[Series],
    *,
    hrefs: list[str | None] | None = None,
    tips: list[str] | None = None,
    height: int = HEIGHT,
    write_values: bool = True,
) -> Markup:
    """Return a <figure> holding an SVG bar chart of ``series`` over the categories ``labels``.

    Every category gets its slot, so a category with nothing (a day without articles) shows as a gap.
    ``hrefs`` makes each category's bars a link (None: no link); ``tips`` is each category's tooltip
    text; ``write_values`` False never prints the values above the bars.
    """
    count = max(len(labels), 1)
    top = max((v for s in series for v in s.values), default=0) or 1
    slot = (WIDTH - LEFT) / count
    bar = min(slot * (1 - GAP) / max(len(series), 1), MAX_BAR)
    # the bars of a category, centred in its slot
    inset = (slot - bar * len(series)) / 2
    plot = height - TOP - BOTTOM
    # Few bars are labelled with their values; many would overlap (their tooltips still say).
    written = write_values and len(labels) * len(series) <= MAX_WRITTEN
    parts = [
        Markup('<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title">').format(
            WIDTH, height, chart_id
        ),
        Markup('<title id="{}-title">{}</title>').format(chart_id, title),
        Markup('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>').format(
            LEFT, TOP + plot, WIDTH, TOP + plot
        ),
        Markup('<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>').format(LEFT - 4, TOP + 4, top),
        Markup('<text class="tick" x="{}" y="{}" text-anchor="end">0</text>').format(LEFT - 4, TOP + plot),
    ]  # fmt: skip
    for index, label in enumerate(labels):
        tip = tips[index] if tips else label
        values = ", ".join(f"{s.name} {s.values[index]}" for s in series)
        group = [Markup("<title>{}: {}</title>").format(tip, values)]
        if (
            hrefs and hrefs[index]
        ):  # the whole slot is the link, not only its bars (a short bar is hard to hit)
            group.append(
                Markup('<rect class="hit" x="{:.2f}" y="{}" width="{:.2f}" height="{}"/>').format(
                    LEFT + index * slot, TOP, slot, plot
                )
            )
        for number, one in enumerate(series):
            value = one.values[index]
            tall = plot * value / top
            x = LEFT + index * slot + inset + number * bar
            group.append(
                Markup(
                    '<rect class="{}" x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" '
                    'data-series="{}" data-value="{}"/>'
                ).format(one.css, x, TOP + plot - tall, max(bar, 0.5), tall, one.name, value)
            )
            if written:
                group.append(
                    Markup('<text class="value" x="{:.2f}" y="{:.2f}" text-anchor="middle">{}</text>').format(
                        x + bar / 2, TOP + plot - tall - 3, value
                    )
                )
        body = Markup("").join(group)
        if hrefs and hrefs[index]:
            parts.append(Markup('<a href="{}" data-label="{}">{}</a>').format(hrefs[index], label, body))
        else:
            parts.append(Markup('<g data-label="{}">{}</g>').format(label, body))
    if labels:
        parts.append(Markup('<text class="tick" x="{}" y="{}">{}</text>').format(LEFT, height - 4, labels[0]))
        if len(labels) > 1:
            parts.append(
                Markup('<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>').format(
                    WIDTH, height - 4, labels[-1]
                )
            )
    parts.append(Markup("</svg>"))
    legend = Markup("").join(
        Markup('<span class="legend-key"><span class="swatch {}"></span>{}</span>').format(s.css, s.name)
        for s in series
    )
    return Markup('<figure class="chart" id="{}">{}<figcaption>{} {}</figcaption></figure>').format(
        chart_id, Markup("").join(parts), escape(title), legend if len(series) > 1 else ""
    )
