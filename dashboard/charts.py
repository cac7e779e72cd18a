"""Bar charts laid out in Python and drawn as SVG by a template (no JavaScript).

A chart here is geometry only: rectangles, text positions and colours as numbers
and strings. templates/dashboard/partials/chart.html turns it into an <svg> with
role="img", a <title> and <desc>, and a <title> on every bar; the strict CSP
forbids style attributes, so colours are SVG presentation attributes (fill=),
which are not CSS. Every chart on a page is followed by a table of the same data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Colours people can tell apart (Okabe-Ito), and one per severity.
SERIES_FILLS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
SEVERITY_FILLS = {
    "low": "#56b4e9",
    "medium": "#009e73",
    "high": "#e69f00",
    "critical": "#d55e00",
}

LABEL_WIDTH = 170
PLOT_WIDTH = 440
VALUE_WIDTH = 90
BAR_HEIGHT = 14
BAR_GAP = 3
GROUP_GAP = 12
TOP = 34
LEGEND_HEIGHT = 24
COLUMN_WIDTH = 26
COLUMN_GAP = 8
PLOT_HEIGHT = 180
AXIS_LABEL_HEIGHT = 56
LEFT_AXIS = 56
CHAR_WIDTH = 7


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    fill: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"
    rotate: int = 0


@dataclass(frozen=True)
class LegendItem:
    x: float
    y: float
    fill: str
    name: str

    @property
    def text_x(self) -> float:
        return self.x + 20

    @property
    def text_y(self) -> float:
        return self.y + 12


@dataclass(frozen=True)
class Chart:
    """Everything the SVG template draws; `slug` makes the ids of <title> and <desc>."""

    slug: str
    title: str
    description: str
    width: float
    height: float
    bars: list[Bar]
    texts: list[Text]
    legend: list[LegendItem]
    empty: bool


def _legend(series: Sequence[Series], y: float) -> list[LegendItem]:
    items, x = [], 0.0
    for one in series:
        items.append(LegendItem(x=x, y=y, fill=one.fill, name=one.name))
        x += 24 + CHAR_WIDTH * len(one.name) + 16
    return items


def grouped_bar_chart(
    *,
    slug: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_text: Callable[[float | None], str],
) -> Chart:
    """Horizontal bars: one group per category, one bar per series in each group,
    lengths proportional to the largest value. A missing value draws no bar and says
    so in the label."""
    present = [v for one in series for v in one.values if v is not None]
    scale_max = max(present, default=0) or 1
    bars, texts = [], []
    y = TOP
    for index, category in enumerate(categories):
        texts.append(Text(x=LABEL_WIDTH - 8, y=y + BAR_HEIGHT - 3, text=category, anchor="end"))
        for one in series:
            value = one.values[index]
            width = 0 if value is None else max(PLOT_WIDTH * value / scale_max, 1)
            text = value_text(value)
            if value is not None:
                bars.append(
                    Bar(
                        x=LABEL_WIDTH,
                        y=y,
                        width=round(width, 2),
                        height=BAR_HEIGHT,
                        fill=one.fill,
                        title=f"{category}, {one.name}: {text}",
                    )
                )
            texts.append(Text(x=LABEL_WIDTH + width + 6, y=y + BAR_HEIGHT - 3, text=text))
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP
    return Chart(
        slug=slug,
        title=title,
        description=description,
        width=LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
        height=y + 4,
        bars=bars,
        texts=texts,
        legend=_legend(series, 4),
        empty=not present,
    )


def stacked_column_chart(
    *,
    slug: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
) -> Chart:
    """Vertical columns, one per category (a month, a quarter), each stacked from its
    series (counts). The total stands above each column."""
    totals = [sum(one.values[index] or 0 for one in series) for index in range(len(categories))]
    scale_max = max(totals, default=0) or 1
    bars, texts = [], []
    baseline = TOP + LEGEND_HEIGHT + PLOT_HEIGHT
    texts.append(Text(x=LEFT_AXIS - 6, y=baseline, text="0", anchor="end"))
    texts.append(
        Text(x=LEFT_AXIS - 6, y=TOP + LEGEND_HEIGHT + 4, text=str(scale_max), anchor="end")
    )
    for index, category in enumerate(categories):
        x = LEFT_AXIS + index * (COLUMN_WIDTH + COLUMN_GAP)
        top: float = baseline
        for one in series:
            count = one.values[index] or 0
            if not count:
                continue
            height = PLOT_HEIGHT * count / scale_max
            top -= height
            bars.append(
                Bar(
                    x=x,
                    y=round(top, 2),
                    width=COLUMN_WIDTH,
                    height=round(height, 2),
                    fill=one.fill,
                    title=f"{category}, {one.name}: {count:g}",
                )
            )
        if totals[index]:
            texts.append(
                Text(x=x + COLUMN_WIDTH / 2, y=top - 4, text=f"{totals[index]:g}", anchor="middle")
            )
        texts.append(
            Text(x=x + COLUMN_WIDTH / 2, y=baseline + 14, text=category, anchor="end", rotate=-45)
        )
    width = LEFT_AXIS + max(len(categories), 1) * (COLUMN_WIDTH + COLUMN_GAP) + 16
    return Chart(
        slug=slug,
        title=title,
        description=description,
        width=max(width, 360),
        height=baseline + AXIS_LABEL_HEIGHT,
        bars=bars,
        texts=texts,
        legend=_legend(series, 4),
        empty=not any(totals),
    )
