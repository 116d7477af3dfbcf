"""Charts of a comparison (Altair), saved offline as PNG and SVG with vl-convert.

- ``frame_mix_chart``: stacked bars, one per group (and topic): each frame's
  share of the frame labels in the cell, with counts in the tooltip;
- ``stance_chart``: the stance index with its 95% interval per group and
  topic; thin cells (n < 5) are drawn hollow and say "thin" in words;
- ``coverage_chart``: a heatmap of topic × group, coloured by the topic's
  share of the group's content, with the sentence count written in each cell.

Every frame has one colour (``frame_colours``), in the charts, the report's
frame tags and the XLSX codebook sheet alike, fixed by the frame's position in
the codebook so that a colour means the same frame everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import altair as alt
import pandas as pd

from stance.compare import THIN, Comparison

# Tableau 10, then the light shades of Tableau 20: distinct, colour-blind tolerable.
PALETTE = (
    "#4e79a7", "#e15759", "#f28e2b", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    "#a0cbe8", "#ffbe7d", "#8cd17d", "#b6992d", "#f1ce63", "#86bcb6", "#d37295", "#fabfd2", "#d4a6c8", "#79706e",
)
FONT = "sans-serif"  # no web fonts: nothing to fetch


def frame_colours(frames: Sequence[str]) -> dict[str, str]:
    """One colour per frame id, by its position in the codebook (cycling after 20)."""
    return {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(frames)}


def tag_style(colour: str) -> str:
    """CSS for a frame tag: the frame's colour behind black or white text, whichever reads better."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    ink = "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#fff"
    return f"background:{colour};color:{ink}"


def _frame_scale(comparison: Comparison) -> alt.Scale:
    colours = frame_colours(comparison.frames)
    names = [comparison.name_of(f) for f in comparison.frames]
    return alt.Scale(domain=names, range=[colours[f] for f in comparison.frames])


def _cells(comparison: Comparison) -> pd.DataFrame:
    cells = comparison.cells
    return cells[cells["n"] > 0] if comparison.topic is None else cells


def _row_label(name: str, n: int) -> str:
    return f"{name} (n={n}{', thin' if n < THIN else ''})"


def _facet(chart, comparison: Comparison, data: pd.DataFrame | None = None):
    """One row per topic, in codebook order, each with its own group labels."""
    order = [comparison.name_of(t) for t in comparison.topics]
    row = alt.Row("topic:N", title=None, sort=order, header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold"))
    faceted = chart.facet(row=row, data=data) if data is not None else chart.facet(row=row)
    return faceted.resolve_scale(y="independent")


def frame_mix_chart(comparison: Comparison) -> alt.Chart:
    """Stacked bars per group: each frame's share of the cell's frame labels."""
    rows = []
    for r in _cells(comparison).to_dict("records"):
        total = sum(r[f"frame.{f}.count"] for f in comparison.frames)
        for f in comparison.frames:
            count = r[f"frame.{f}.count"]
            if count:
                rows.append({
                    "group": _row_label(r["group_name"], r["n"]), "topic": r["topic_name"], "frame": comparison.name_of(f),
                    "order": comparison.frames.index(f), "count": count, "mix": count / total,
                    "of sentences": r[f"frame.{f}.share"], "n": r["n"],
                })
    data = pd.DataFrame(rows, columns=["group", "topic", "frame", "order", "count", "mix", "of sentences", "n"])
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("sum(mix):Q", title="share of the frame labels in the cell", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("group:N", title=None, sort=None),  # the comparison's order of groups, as in its tables
        color=alt.Color("frame:N", scale=_frame_scale(comparison), title="frame"),
        order=alt.Order("order:Q"),
        tooltip=["group", "topic", "frame", "count", alt.Tooltip("of sentences:Q", format=".0%", title="share of sentences"), "n"],
    ).properties(width=420)
    if comparison.topic is None:
        return _facet(chart, comparison).properties(title="Frame mix per source and topic")
    return chart.properties(title=f"Frame mix: {comparison.name_of(comparison.topic)}")


def stance_chart(comparison: Comparison, axis_id: str | None = None) -> alt.Chart:
    """The stance index with its 95% interval per group (and topic); hollow = thin."""
    axes = comparison.axes
    if not axes:
        return alt.Chart(pd.DataFrame({"text": ["the codebook defines no stance axis"]})).mark_text().encode(text="text:N")
    axis = next((a for a in axes if a.id == axis_id), axes[0])
    rows = []
    for r in _cells(comparison).to_dict("records"):
        n = r[f"stance.{axis.id}.n"]
        if not n:
            continue
        rows.append({
            "group": _row_label(r["group_name"], n), "topic": r["topic_name"], "index": r[f"stance.{axis.id}.index"],
            "low": r[f"stance.{axis.id}.low"], "high": r[f"stance.{axis.id}.high"], "n": n,
            "cell": f"thin (n < {THIN})" if n < THIN else f"n ≥ {THIN}",
        })
    data = pd.DataFrame(rows, columns=["group", "topic", "index", "low", "high", "n", "cell"])
    facet = comparison.topic is None
    base = alt.Chart() if facet else alt.Chart(data)
    domain = alt.Scale(domain=[-1, 1])
    title = f"← {comparison.name_of(axis.negative)}  ·  stance index  ·  {comparison.name_of(axis.positive)} →"
    zero = base.mark_rule(strokeDash=[3, 3], color="#999").encode(x=alt.datum(0, scale=domain))
    interval = base.mark_rule(strokeWidth=2, color="#555").encode(
        x=alt.X("low:Q", scale=domain, title=title), x2="high:Q", y=alt.Y("group:N", title=None, sort=None))
    point = base.mark_point(size=90, strokeWidth=2, color="#222", opacity=1).encode(
        x=alt.X("index:Q", scale=domain), y=alt.Y("group:N", sort=None),
        fill=alt.Fill("cell:N", scale=alt.Scale(domain=[f"thin (n < {THIN})", f"n ≥ {THIN}"], range=["white", "#222"]), title=None),
        tooltip=["group", "topic", alt.Tooltip("index:Q", format="+.2f"), alt.Tooltip("low:Q", format="+.2f", title="95% low"),
                 alt.Tooltip("high:Q", format="+.2f", title="95% high"), "n"],
    )
    layered = alt.layer(interval, zero, point).properties(width=420)
    if facet:
        return _facet(layered, comparison, data).properties(title=f"{axis.name}, with 95% intervals")
    return layered.properties(title=f"{axis.name}: {comparison.name_of(comparison.topic)}, with 95% intervals")


def coverage_chart(comparison: Comparison) -> alt.Chart:
    """Heatmap topic × group: colour is the topic's share of the group's content, text the count."""
    data = comparison.coverage.assign(share=lambda d: d["share"].fillna(0.0))
    # Side by side, more than three source names run into each other once the chart is fitted to a page: slant them.
    slant = {} if data["group"].nunique() <= 3 else {"labelAngle": -30, "labelAlign": "right", "labelLimit": 180}
    base = alt.Chart(data).encode(
        x=alt.X("group_name:N", title=None, sort=list(dict.fromkeys(data["group_name"])), axis=alt.Axis(**{"labelAngle": 0, **slant})),
        y=alt.Y("topic_name:N", title=None, sort=list(dict.fromkeys(data["topic_name"]))),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, max(0.05, float(data["share"].max() or 0))]),
                        title="share of content", legend=alt.Legend(format="%")),
        tooltip=["group_name", "topic_name", "sentences", "content", alt.Tooltip("share:Q", format=".1%")],
    )
    text = base.mark_text(fontSize=11).encode(
        text="sentences:Q",
        color=alt.condition(alt.datum.share > 0.6 * max(0.05, float(data["share"].max() or 0)), alt.value("white"), alt.value("black")),
    )
    return (rect + text).properties(width=max(160, 110 * comparison.coverage["group"].nunique()), title="Coverage: sentences per topic")


def charts(comparison: Comparison) -> dict[str, alt.Chart]:
    """The report's charts by name: stance, frame_mix, coverage."""
    return {"stance": stance_chart(comparison), "frame_mix": frame_mix_chart(comparison), "coverage": coverage_chart(comparison)}


def _spec(chart: alt.Chart) -> str:
    return chart.configure(font=FONT).configure_view(stroke=None).to_json()


def to_svg(chart: alt.Chart) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(_spec(chart))


def to_png(chart: alt.Chart, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(_spec(chart), scale=scale)


def save_chart(chart: alt.Chart, path: str | Path) -> Path:
    """Write a chart as ``.png`` or ``.svg`` (by suffix), offline."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".png":
        path.write_bytes(to_png(chart))
    elif suffix == ".svg":
        path.write_text(to_svg(chart), encoding="utf-8")
    else:
        raise ValueError(f"charts are saved as .png or .svg, not {suffix or 'a file without suffix'}")
    return path
