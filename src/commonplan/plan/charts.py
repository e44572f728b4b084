"""Plotly figures of a multi-year strategy comparison, saved as HTML (and PNG where possible).

:func:`comparison_figure` draws, year by year and one line per strategy, what
:meth:`commonplan.plan.years.YearsResult.summary` reports: consumption per head, the investment
share, new capacity, labour hours, CO2 and the fulfilment of the consumption bundle;
:func:`sector_figure` the gross output of each sector group.  :func:`save_figures` writes both
into one self-contained HTML page (plotly.js embedded, so it opens offline) and, where the
``kaleido`` package can export images, a PNG of each.  commonplan does not depend on kaleido:
without it the PNGs are skipped and the returned notes say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from commonplan.plan.years import Comparison

__all__ = ["METRICS", "comparison_figure", "save_figures", "sector_figure"]

METRICS: tuple[tuple[str, str], ...] = (
    ("consumption_per_head", "Consumption per head"),
    ("investment_share", "Investment share of net output"),
    ("capacity_built", "New capacity started (output a year)"),
    ("labour", "Labour hours"),
    ("co2", "CO2"),
    ("fulfilment", "Consumption bundle fulfilled"),
)
"""Summary columns drawn by :func:`comparison_figure`, with their titles."""

COLOURS = {
    "heavy-industry-first": "#c0392b",
    "balanced": "#2874a6",
    "consumption-first": "#229954",
    "optimal": "#17202a",
}
_PERCENT = {"investment_share", "fulfilment"}


def _lines(comparison: Comparison) -> dict[str, dict[str, Any]]:
    return {
        name: {"years": list(r.years), "summary": r.summary(), "ok": r.success}
        for name, r in comparison.results.items()
    }


def comparison_figure(comparison: Comparison, *, title: str | None = None) -> Any:
    """A 2 × 3 grid, one panel per metric of :data:`METRICS` the results have, a line per
    strategy (strategies without a plan are left out and named in the title)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    data = _lines(comparison)
    first = next((d for d in data.values() if d["ok"]), None)
    shown = [(k, t) for k, t in METRICS if first is None or k in first["summary"]]
    rows = (len(shown) + 2) // 3 or 1
    fig = make_subplots(rows=rows, cols=3, subplot_titles=[t for _, t in shown])
    for name, d in data.items():
        if not d["ok"]:
            continue
        colour = COLOURS.get(name)
        for i, (key, label) in enumerate(shown):
            y = np.asarray(d["summary"][key], dtype=float)
            y = 100 * y if key in _PERCENT else y
            fig.add_trace(
                go.Scatter(
                    x=d["years"],
                    y=y,
                    name=name,
                    legendgroup=name,
                    showlegend=i == 0,
                    mode="lines+markers",
                    line={"color": colour, "width": 2.5 if name == "optimal" else 2},
                    hovertemplate=f"{name}<br>year %{{x}}<br>{label}: %{{y:.4g}}<extra></extra>",
                ),
                row=i // 3 + 1,
                col=i % 3 + 1,
            )
    for i, (key, _) in enumerate(shown):
        fig.update_xaxes(title_text="year", dtick=1, row=i // 3 + 1, col=i % 3 + 1)
        if key in _PERCENT:
            fig.update_yaxes(ticksuffix=" %", row=i // 3 + 1, col=i % 3 + 1)
    failed = [name for name, d in data.items() if not d["ok"]]
    heading = title or "Strategies compared, year by year"
    if failed:
        heading += f" (no plan: {', '.join(failed)})"
    fig.update_layout(
        title=heading,
        height=330 * rows + 120,
        width=1200,
        template="plotly_white",
        legend={"orientation": "h", "y": -0.08},
    )
    return fig


def sector_figure(comparison: Comparison, *, title: str | None = None) -> Any:
    """Gross output of each sector group, one panel per group, a line per strategy."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    data = _lines(comparison)
    first = next((d for d in data.values() if d["ok"]), None)
    keys = [k for k in (first["summary"] if first else {}) if k.startswith("output ")]
    fig = make_subplots(
        rows=1, cols=max(len(keys), 1), subplot_titles=[k[7:].capitalize() for k in keys]
    )
    for name, d in data.items():
        if not d["ok"]:
            continue
        for i, key in enumerate(keys):
            fig.add_trace(
                go.Scatter(
                    x=d["years"],
                    y=d["summary"][key],
                    name=name,
                    legendgroup=name,
                    showlegend=i == 0,
                    mode="lines+markers",
                    line={"color": COLOURS.get(name)},
                ),
                row=1,
                col=i + 1,
            )
    fig.update_xaxes(title_text="year", dtick=1)
    fig.update_layout(
        title=title or "Gross output by sector group",
        height=420,
        width=1200,
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def save_figures(
    comparison: Comparison,
    directory: str | Path,
    *,
    png: bool = True,
    title: str | None = None,
) -> tuple[list[Path], list[str]]:
    """Write ``years.html`` (both figures) and, if ``png`` and kaleido works, ``years.png`` and
    ``sectors.png`` into ``directory``; return the files written and notes on what was not."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    figures = {
        "years": comparison_figure(comparison, title=title),
        "sectors": sector_figure(comparison),
    }
    parts = [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0))
        for i, fig in enumerate(figures.values())
    ]
    page = out / "years.html"
    page.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{title or 'commonplan: multi-year plans compared'}</title></head><body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n",
        encoding="utf-8",
    )
    written = [page]
    notes: list[str] = []
    if png:
        written_png, why = _pngs(figures, out)
        written += written_png
        if why:
            notes.append(why)
    return written, notes


def _pngs(figures: dict[str, Any], out: Path) -> tuple[Sequence[Path], str]:
    """PNGs through kaleido, or why there are none (kaleido absent, or no browser for it)."""
    try:
        import kaleido  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return (
            [],
            "PNG not written: it needs the kaleido package, which is not installed; HTML only",
        )
    written = []
    try:
        for name, fig in figures.items():
            path = out / f"{name}.png"
            fig.write_image(path)
            written.append(path)
    except Exception as exc:  # kaleido needs a browser it can start; offline it may not
        return written, f"PNG not written: kaleido failed ({type(exc).__name__}: {exc}); HTML only"
    return written, ""
