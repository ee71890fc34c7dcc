"""The runtimes section drawn: latency against store size, log-log, one line per
system and operation, one panel per spread (1 store, 4 stores).

A size that went over the bound is drawn as an upward triangle at the bound
(its figure is at least that), joined to the series by a dotted line. Needs
matplotlib (``pip install 'artifact-conformance[bench]'``); without it the
bench writes the JSON and the HTML tables, and says the plot is missing.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .runtime_tables import LABELS, system_label
from .runtimes import MEASURED, OPERATIONS, OVER, REFERENCE

STYLES = {"status_by_tag": "o", "status_by_id": "s", "list": "D"}
COLOURS = {"sut": ("#c0392b", "#e67e22", "#8e44ad"), REFERENCE: ("#1f618d", "#17a589", "#2e4053")}


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def figure(section: dict[str, Any]):
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
        from matplotlib.ticker import FuncFormatter, NullFormatter
    except ImportError as error:
        raise PlotUnavailable(f"the plot needs matplotlib (pip install 'artifact-conformance[bench]'): {error}") from None
    spreads = sorted({s["stores"] for s in section["series"]})
    fig, axes = pyplot.subplots(1, len(spreads), figsize=(6.4 * len(spreads), 6.6), squeeze=False, sharey=True)
    bound_s = section["bound_s"]
    for ax, stores in zip(axes[0], spreads):
        for series in (s for s in section["series"] if s["stores"] == stores):
            colour = COLOURS.get(series["system"], COLOURS["sut"])[OPERATIONS.index(series["operation"])]
            measured = [p for p in series["points"] if p["state"] == MEASURED]
            over = [p for p in series["points"] if p["state"] == OVER]
            label = f"{system_label(section, series['system'])}: {LABELS[series['operation']]}"
            exponent = series["growth"]["exponent"]
            if exponent is not None:
                label += f" (n^{exponent:.2f})"
            xs, ys = [p["artifacts"] for p in measured], [p["median_us"] / 1e6 for p in measured]
            ax.plot(xs, ys, marker=STYLES[series["operation"]], color=colour, label=label,
                    linestyle="-" if series["system"] == REFERENCE else "--", linewidth=1.6, markersize=5)
            for point in over:
                ax.plot([point["artifacts"]], [bound_s], marker="^", color=colour, markersize=9, linestyle="none")
                if xs:
                    ax.plot([xs[-1], point["artifacts"]], [ys[-1], bound_s], color=colour, linestyle=":")
        ax.axhline(bound_s, color="#888888", linewidth=0.8, linestyle="-.")
        ax.annotate(f"bound: {bound_s:g} s per call (▲ = over)", (0.02, 0.97), xycoords="axes fraction",
                    va="top", fontsize=8, color="#555555")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"artifacts in {stores} read-only store{'s' if stores > 1 else ''}", fontsize=11)
        ax.set_xlabel("artifacts in read-only stores")
        ax.grid(True, which="both", alpha=0.25)
        ax.set_xticks(sorted({p["artifacts"] for s in section["series"] for p in s["points"]}))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1, frameon=False)
    axes[0][0].set_ylabel("median latency of one CRI call (s)")
    fig.suptitle("CRI look-up latency against store size (log-log; slope = growth exponent)", fontsize=12)
    fig.tight_layout()
    return fig


def write_plots(section: dict[str, Any], stem: Path) -> dict[str, str]:
    """``stem``.png and ``stem``.svg; returns {"png": path, "svg": path, "svg_text": inline SVG}."""
    fig = figure(section)
    from matplotlib import pyplot

    png, svg = (stem.parent / f"{stem.name}.{kind}" for kind in ("png", "svg"))
    try:
        fig.savefig(png, dpi=110, bbox_inches="tight")
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    finally:
        pyplot.close(fig)
    svg.write_text(buffer.getvalue())
    return {"png": str(png), "svg": str(svg), "svg_text": buffer.getvalue()}
