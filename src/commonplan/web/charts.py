"""Plotly figures of the pages: fulfilment bars, resources against their caps, the largest flows
between sectors (a Sankey diagram), a years chart for multi-year plans, and a watched series of a
running plan (plan against reconciled actual, with its uncertainty band and the forecast).

Every builder returns a :class:`Chart`: the figure as Plotly JSON (drawn in the page by
``static/charts.js`` with the plotly.js the server vendors from the ``plotly`` package), a
one-sentence summary (the chart's accessible name) and the numbers as text rows, which the page
lists under the chart so that nothing is lost without JavaScript or without sight.  Every word
comes from the page's translator (:mod:`commonplan.web.text`).
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import plotly.graph_objects as go  # type: ignore[import-untyped]

from commonplan.economy.model import Economy
from commonplan.web.text import Translator

__all__ = [
    "FLOWS",
    "Chart",
    "caps_bars",
    "flows",
    "flows_sankey",
    "fulfilment_bars",
    "short",
    "watch_chart",
    "years_chart",
]

FLOWS = 25
"""How many of the largest flows the Sankey diagram shows."""

PALETTE = ("#0b5cad", "#b35900", "#1e6b32", "#7a1fa2", "#8a1c1c", "#00616b")
"""Colours that keep 4.5:1 contrast on white."""

_LAYOUT: dict[str, Any] = {
    "margin": {"l": 8, "r": 28, "t": 40, "b": 8},
    "height": 340,
    "font": {"family": "system-ui, sans-serif", "size": 13},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    "showlegend": False,
}


@dataclass(frozen=True)
class Chart:
    """A figure for the page: ``key`` names it (element ids), ``figure`` is Plotly's JSON,
    ``summary`` describes it in a sentence, ``rows`` are its numbers as (label, value) text;
    ``wide``: the figure needs a wide screen (a Sankey diagram), so on a phone its rows, ranked,
    are shown instead."""

    key: str
    title: str
    figure: dict[str, Any]
    summary: str
    rows: tuple[tuple[str, str], ...]
    wide: bool = False

    def script_json(self) -> str:
        """The figure as JSON that is safe inside ``<script type="application/json">``."""
        raw = json.dumps(self.figure, separators=(",", ":"), allow_nan=False)
        return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _figure(fig: go.Figure) -> dict[str, Any]:
    plain: dict[str, Any] = json.loads(fig.to_json())
    return plain


def _vline(x: float, **line: Any) -> dict[str, Any]:
    """A vertical line at ``x`` across the plot, drawn with ``line`` (color, width, dash)."""
    return {"type": "line", "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1, "line": line}


def _share_axes(shares: Sequence[float], title: str) -> dict[str, Any]:
    """A bar chart's axes for shares across: percentages from 0 to 100 % or the largest share,
    the bars top-down in their order."""
    return {
        "xaxis": {"tickformat": ".0%", "range": [0, max([1.0, *shares]) * 1.02], "title": title},
        "yaxis": {"autorange": "reversed", "automargin": True},
    }


def _layout(t: Translator, title: str, **extra: Any) -> dict[str, Any]:
    """The layout of every chart, its numbers written with the page language's separators."""
    title_ = {"text": title, "x": 0, "xanchor": "left"}
    return {**_LAYOUT, "title": title_, "separators": t.separators, **extra}


def fulfilment_bars(
    t: Translator, items: Sequence[tuple[str, float]], *, overall: float | None = None
) -> Chart:
    """How far each target is met (1 = in full), one horizontal bar each; ``overall`` draws the
    plan's common fulfilment as a line."""
    labels = [label for label, _ in items]
    shares = [float(share) for _, share in items]
    fig = go.Figure(
        go.Bar(
            x=shares,
            y=[short(label) for label in labels],
            orientation="h",
            marker_color=PALETTE[0],
            customdata=labels,
            hovertemplate="%{customdata}: %{x:.1%}<extra></extra>",
        )
    )
    shapes = [] if overall is None else [_vline(overall, color=PALETTE[1], width=2, dash="dash")]
    title = t("chart.fulfilment.title")
    fig.update_layout(
        **_layout(
            t,
            title,
            height=max(200, 60 + 28 * len(items)),
            shapes=shapes,
            **_share_axes(shares, t("chart.fulfilment.x")),
        )
    )
    rows = tuple((label, t("num.percent", value=share)) for label, share in items)
    summary = (
        t("chart.fulfilment.summary", count=len(items), overall=overall)
        if overall is not None
        else t("chart.fulfilment.summary_none", count=len(items))
    )
    return Chart("fulfilment", title, _figure(fig), summary, rows)


def caps_bars(
    t: Translator,
    use: Mapping[str, float],
    caps: Mapping[str, float],
    *,
    names: Mapping[str, str],
    units: Mapping[str, str],
) -> Chart:
    """Each capped resource (labour hours, CO2 …): what the plan uses as a share of its cap,
    with the cap at 100 %; ``names`` and ``units`` label them."""
    keys = [k for k in caps if np.isfinite(float(caps[k])) and float(caps[k]) > 0]
    shares = [float(use.get(k, 0.0)) / float(caps[k]) for k in keys]
    labels = [names.get(k, k) for k in keys]
    text = [
        t(
            "chart.caps.bar",
            used=t.number(float(use.get(k, 0.0))),
            cap=t.number(float(caps[k])),
            unit=t.maybe(f"unit.{units.get(k, '')}", units.get(k, "")),
        )
        for k in keys
    ]
    fig = go.Figure(
        go.Bar(
            x=shares,
            y=[short(label) for label in labels],
            orientation="h",
            marker_color=[PALETTE[4] if s >= 0.999 else PALETTE[2] for s in shares],
            customdata=text,
            hovertemplate="%{y}: %{x:.1%} — %{customdata}<extra></extra>",
        )
    )
    title = t("chart.caps.title")
    fig.update_layout(
        **_layout(
            t,
            title,
            height=max(200, 80 + 40 * len(keys)),
            shapes=[_vline(1, color="#1b1b1b", width=2)],
            **_share_axes(shares, t("chart.caps.x")),
        )
    )
    rows = tuple(
        (label, t("chart.caps.row", share=share, detail=detail))
        for label, share, detail in zip(labels, shares, text, strict=True)
    )
    binding = [label for label, share in zip(labels, shares, strict=True) if share >= 0.999]
    summary = (
        t("chart.caps.summary_binding", count=len(keys), binding=", ".join(binding))
        if binding
        else t("chart.caps.summary", count=len(keys))
    )
    return Chart("caps", title, _figure(fig), summary, rows)


def flows(
    economy: Economy, activity: Mapping[str, float], top: int = FLOWS
) -> list[tuple[float, int, int]]:
    """The ``top`` largest flows of the plan between sectors, largest first: (amount, input
    product index, using process index), amount = input coefficient × the process's activity
    (gross output)."""
    a = economy.A.tocsc()
    index = {p: j for j, p in enumerate(economy.processes)}
    found: list[tuple[float, int, int]] = []
    for process, level in activity.items():
        j = index.get(process)
        x = float(level)
        if j is None or not x > 0:
            continue
        start, end = a.indptr[j], a.indptr[j + 1]
        for i, coefficient in zip(a.indices[start:end], a.data[start:end], strict=True):
            amount = float(coefficient) * x
            if amount > 0:
                found.append((amount, int(i), j))
    return heapq.nlargest(top, found)


def short(label: str, width: int = 24) -> str:
    """A label cut to ``width`` characters (…) to fit a phone; the full one is in the hover."""
    return label if len(label) <= width else label[: width - 1].rstrip(" ,(") + "…"


def flows_sankey(
    t: Translator, economy: Economy, activity: Mapping[str, float], *, top: int = FLOWS
) -> Chart:
    """A Sankey diagram of the plan's ``top`` largest flows: inputs (left) into the sectors that
    use them (right)."""
    largest = flows(economy, activity, top)
    makes = np.asarray(economy.makes)
    sources: dict[int, int] = {}
    users: dict[int, int] = {}
    labels: list[str] = []
    link_source, link_target, values = [], [], []
    for amount, i, j in largest:
        if i not in sources:
            sources[i] = len(labels)
            labels.append(economy.label(i))
        link_source.append(sources[i])
        link_target.append(j)
        values.append(amount)
    for j in sorted({j for _, _, j in largest}):
        users[j] = len(labels)
        labels.append(economy.label(int(makes[j])))
    unit = economy.units.get("output", "")
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [short(label) for label in labels],
                "customdata": labels,
                "hovertemplate": "%{customdata}<extra></extra>",
                "pad": 8,
                "thickness": 12,
                "color": [PALETTE[0]] * len(sources) + [PALETTE[2]] * len(users),
            },
            link={
                "source": link_source,
                "target": [users[j] for j in link_target],
                "value": values,
                "color": "rgba(11, 92, 173, 0.25)",
                "hovertemplate": "%{source.label} → %{target.label}: %{value:,.3~r} "
                + unit
                + "<extra></extra>",
            },
        )
    )
    title = t("chart.flows.title", count=len(largest))
    fig.update_layout(**_layout(t, title, height=560, font={**_LAYOUT["font"], "size": 11}))
    rows = tuple(
        (
            t("chart.flows.row", source=economy.label(i), target=economy.label(int(makes[j]))),
            _amount(t, unit, amount),
        )
        for amount, i, j in largest
    )
    summary = t("chart.flows.summary", count=len(largest), unit=unit)
    return Chart("flows", title, _figure(fig), summary, rows, wide=True)


def years_chart(
    t: Translator,
    years: Sequence[int | str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    unit: str = "",
) -> Chart:
    """One line per series over the plan's years (e.g. {"labour hours": [...], "CO2": [...]}
    from a multi-year plan); every series has one value per year."""
    for name, values in series.items():
        if len(values) != len(years):
            raise ValueError(
                f"series {name!r} has {len(values)} values for {len(years)} years; one per year"
            )
    x = [str(y) for y in years]
    fig = go.Figure(
        [
            go.Scatter(
                x=x,
                y=[float(v) for v in values],
                name=name,
                mode="lines+markers",
                line={"color": PALETTE[k % len(PALETTE)], "width": 2},
            )
            for k, (name, values) in enumerate(series.items())
        ]
    )
    fig.update_layout(
        **_layout(
            t,
            title,
            showlegend=len(series) > 1,
            legend={"orientation": "h", "y": -0.2},
            xaxis={"type": "category", "title": t("chart.years.x")},
            yaxis={"title": unit, "rangemode": "tozero"},
        )
    )
    rows = tuple(
        (t("chart.years.row", series=name, year=year), _amount(t, unit, float(v)))
        for name, values in series.items()
        for year, v in zip(x, values, strict=True)
    )
    summary = t(
        "chart.years.summary", count=len(series), first=x[0] if x else "", last=x[-1] if x else ""
    )
    return Chart("years", title, _figure(fig), summary, rows)


def watch_chart(
    t: Translator,
    key: str,
    title: str,
    periods: Sequence[str],
    values: Sequence[float | None],
    std: Sequence[float | None],
    *,
    planned: float,
    forecast: tuple[str, float, float, float] | None = None,
    unit: str = "",
) -> Chart:
    """A watched series of a running plan: the plan's figure per period (a dashed line), the
    reconciled values (null: nothing reported) with a band of ± 1.96 standard errors, and the
    next period's forecast ``(period, mean, lower, upper)`` with its 95 % interval."""
    if not (len(values) == len(std) == len(periods)):
        raise ValueError("values and std must give one figure (or None) per period")
    x = list(periods)
    known = [
        (p, float(v), float(s or 0.0))
        for p, v, s in zip(x, values, std, strict=True)
        if v is not None
    ]
    ahead = [forecast[0]] if forecast is not None else []
    traces = [
        go.Scatter(
            x=[p for p, _, _ in known],
            y=[v - 1.96 * s for _, v, s in known],
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
        ),
        go.Scatter(
            x=[p for p, _, _ in known],
            y=[v + 1.96 * s for _, v, s in known],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(11, 92, 173, 0.18)",
            name=t("chart.watch.band"),
            hoverinfo="skip",
        ),
        go.Scatter(
            x=x + ahead,
            y=[planned] * (len(x) + len(ahead)),
            mode="lines",
            name=t("chart.watch.planned"),
            line={"color": PALETTE[1], "width": 2, "dash": "dash"},
        ),
        go.Scatter(
            x=x,
            y=[None if v is None else float(v) for v in values],
            mode="lines+markers",
            name=t("chart.watch.actual"),
            line={"color": PALETTE[0], "width": 2},
        ),
    ]
    if forecast is not None:
        at, mean, lower, upper = forecast
        traces.append(
            go.Scatter(
                x=[at],
                y=[mean],
                mode="markers",
                name=t("chart.watch.forecast"),
                marker={"color": PALETTE[2], "size": 9, "symbol": "diamond"},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [upper - mean],
                    "arrayminus": [mean - lower],
                    "color": PALETTE[2],
                },
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(
        **_layout(
            t,
            short(title, 40),
            height=280,
            showlegend=True,
            legend={"orientation": "h", "y": -0.3},
            xaxis={"type": "category"},
            yaxis={"title": unit, "rangemode": "tozero"},
        )
    )
    amount = partial(_amount, t, unit)
    rows = tuple(
        (
            p,
            t(
                "chart.watch.row",
                planned=amount(planned),
                actual=amount(v),
                band=amount(1.96 * s),
            ),
        )
        for p, v, s in known
    )
    if forecast is not None:
        rows += (
            (
                forecast[0],
                t(
                    "chart.watch.row_forecast",
                    mean=amount(forecast[1]),
                    lower=amount(forecast[2]),
                    upper=amount(forecast[3]),
                ),
            ),
        )
    summary = t("chart.watch.summary", series=title, count=len(known), periods=len(x))
    return Chart(key, title, _figure(fig), summary, rows)


def _amount(t: Translator, unit: str, value: float) -> str:
    v = float(value)
    plain = t.number(v, ",.0f" if abs(v) >= 100 else ",.2f" if abs(v) >= 1 else ".3g")
    return t("num.qty", value=plain, unit=unit).strip()
