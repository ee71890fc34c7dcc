"""The runtimes section as tables of text: the same rows for the terminal (rich)
and for the HTML page. Ratios are *system under test / reference*: above 1,
the reference store over CRI answers faster (or uses less).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .growth import describe_exponent
from .report import duration_us
from .runtimes import MEASURED, NOT_ATTEMPTED, OPERATIONS, OVER, REFERENCE, SUT

LABELS = {"status_by_tag": "status by tag", "status_by_id": "status by ID", "list": "list"}


@dataclass(frozen=True)
class TextTable:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    caption: str = ""


def system_label(section: dict[str, Any], system: str) -> str:
    """What answered Version, without the CRI version ("cri-o 1.37.0"), or the adapter's name."""
    if system == REFERENCE:
        return "reference (serve-cri)"
    who = section["systems"][system].get("who") or section["systems"][system]["adapter"]
    return f"SUT {who.split(' (CRI')[0]}"


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} MiB"


def _times(value: float | None, at_least: bool = False) -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}×" if value >= 100 else f"{value:.2f}×"
    return f"> {text}" if at_least else text


def point_text(point: dict[str, Any] | None) -> str:
    if point is None:
        return "-"
    if point["state"] == MEASURED:
        return duration_us(point["median_us"]) + ("" if point["calls"] > 1 else " (1 call)")
    if point["state"] == OVER:
        return f"over {point['bound_s']:g} s"
    if point["state"] == NOT_ATTEMPTED:
        return f"not attempted ({point['reason']})"
    return f"{point['state']}: {point.get('reason')}"


def ratio_of(sut: dict[str, Any] | None, reference: dict[str, Any] | None) -> tuple[float | None, bool]:
    """(sut / reference, whether it is only a lower bound)."""
    if not sut or not reference or reference["state"] != MEASURED or reference["median_us"] <= 0:
        return None, False
    if sut["state"] == MEASURED:
        return sut["median_us"] / reference["median_us"], False
    if sut["state"] == OVER:
        return sut["bound_s"] * 1e6 / reference["median_us"], True
    return None, False


def _points(section: dict[str, Any]) -> dict[tuple[str, int, str], dict[int, dict[str, Any]]]:
    return {(s["system"], s["stores"], s["operation"]): {p["artifacts"]: p for p in s["points"]}
            for s in section["series"]}


def sizes_of(section: dict[str, Any]) -> list[int]:
    return sorted({p["artifacts"] for s in section["series"] for p in s["points"]})


def spreads_of(section: dict[str, Any]) -> list[int]:
    return sorted({s["stores"] for s in section["series"]})


def latency_table(section: dict[str, Any], sut_label: str) -> TextTable:
    points = _points(section)
    rows = []
    for stores in spreads_of(section):
        for operation in (op for op in OPERATIONS if (SUT, stores, op) in points):
            for size in sizes_of(section):
                sut, reference = points[SUT, stores, operation].get(size), points[REFERENCE, stores, operation].get(size)
                value, at_least = ratio_of(sut, reference)
                rows.append((str(stores), LABELS[operation], f"{size:,}", point_text(sut), point_text(reference),
                             _times(value, at_least)))
    return TextTable(
        f"Look-ups over CRI: {sut_label} vs the reference store (serve-cri), artifacts in read-only stores",
        ("Stores", "Look-up", "Artifacts", sut_label, "Reference (serve-cri)", "SUT / reference"), rows,
        f"Median of the calls after the first on a fresh runtime per size; a call's deadline is "
        f"{section['bound_s']:g} s: a size over it is \"over {section['bound_s']:g} s\" and the larger sizes of "
        "that series are not attempted.")


def growth_table(section: dict[str, Any], sut_label: str) -> TextTable:
    rows = []
    for series in section["series"]:
        growth = series["growth"]
        who = sut_label if series["system"] == SUT else "reference (serve-cri)"
        left_out = ", ".join(f"{n:,}" for n in growth["left_out"]) or "-"
        rows.append((who, str(series["stores"]), LABELS[series["operation"]], describe_exponent(growth["exponent"]),
                     ", ".join(f"{n:,}" for n in growth["fitted_sizes"]) or "-", left_out))
    return TextTable("Fitted growth: exponent k of median latency ≈ c·n^k (log-log least squares)",
                     ("System", "Stores", "Look-up", "Growth", "Fitted over", "Left out (over / not attempted)"), rows,
                     "Fitted over the measured sizes only; fewer than two measured sizes give no exponent.")


def memory_table(section: dict[str, Any], sut_label: str) -> TextTable:
    found = {(m["system"], m["stores"], m["artifacts"]): m for m in section["memory"]}
    rows = []
    for stores in spreads_of(section):
        for size in sizes_of(section):
            sut, reference = found.get((SUT, stores, size)), found.get((REFERENCE, stores, size))
            if not sut and not reference:
                continue
            hwm = [m and m.get("hwm_mib") for m in (sut, reference)]
            rows.append((str(stores), f"{size:,}", _mib(sut and sut["rss_mib"]), _mib(hwm[0]),
                         _mib(reference and reference["rss_mib"]), _mib(hwm[1]),
                         _times(hwm[0] / hwm[1] if hwm[0] and hwm[1] else None)))
    return TextTable("The runtime's own memory after the look-ups (/proc/<pid>/status of the launched process)",
                     ("Stores", "Artifacts", f"{sut_label} RSS", "peak", "Reference RSS", "peak", "SUT / reference (peak)"),
                     rows, "serve-cri is a Python process; CRI-O's figure is the crio process's.")


def pulls_table(section: dict[str, Any], sut_label: str) -> TextTable:
    pulls, skipped = section.get("pulls") or {}, section.get("skipped") or {}
    rows = []
    for entry in (pulls.get("artifacts") or {}).values():
        label = f"{entry['size_bytes'] / (1 << 20):g} MiB, {entry['layers']} layer{'s' if entry['layers'] > 1 else ''}"
        ours, theirs = entry[SUT], entry[REFERENCE]
        rows.append((label, "wall time (PullImage + ImageStatus)", _pull(ours, "wall_s"), _pull(theirs, "wall_s"),
                     _times(entry["ratio"])))
        rows.append(("", "throughput", _pull(ours, "throughput_mib_s"), _pull(theirs, "throughput_mib_s"), ""))
        rows.append(("", "runtime peak RSS", _mib(ours.get("hwm_mib")), _mib(theirs.get("hwm_mib")), ""))
    if skipped.get(SUT) and skipped.get(REFERENCE):
        label = f"in a read-only store ({skipped['layer_bytes'] / (1 << 20):g} MiB)"
        for key, what in (("requests", "registry requests"), ("manifest_requests", "manifest requests"),
                          ("blob_requests", "blob requests"), ("blob_bytes", "blob bytes")):
            rows.append((label, what, f"{skipped[SUT][key]:,}", f"{skipped[REFERENCE][key]:,}", ""))
            label = ""
        rows.append(("", "wall time", _pull(skipped[SUT], "wall_s"), _pull(skipped[REFERENCE], "wall_s"), ""))
    caption = "; ".join(f"{name}: {part.get('reason')}" for name, part in (("pulls", pulls), ("skipped", skipped))
                        if part and part.get("status") != "ok")
    return TextTable("Pulls into the main store from a local registry, and a pull a read-only store satisfies "
                     "(registry traffic counted by the traffic probe)",
                     ("Artifact", "Measure", sut_label, "Reference (serve-cri)", "SUT / reference"), rows, caption)


def _pull(figures: dict[str, Any], key: str) -> str:
    if "error" in figures:
        return f"failed: {figures['error'][:120]}"
    value = figures.get(key)
    if value is None:
        return "-"
    return f"{value:.2f} s" if key == "wall_s" else f"{value:,.0f} MiB/s"


def all_tables(section: dict[str, Any], sut_label: str) -> list[TextTable]:
    return [latency_table(section, sut_label), growth_table(section, sut_label), memory_table(section, sut_label),
            pulls_table(section, sut_label)]
