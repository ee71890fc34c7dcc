"""The bench's output: one rich table per section, and the JSON document.

Ratios are always *peer / simulator*: above 1, the simulator is faster (or
uses less); below 1, the peer is. The tables show medians; the JSON holds
every raw figure (per-call summaries, every process run, request logs).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

MIB = 1 << 20


# -- formatting ------------------------------------------------------------------
def duration_us(us: float | None) -> str:
    if us is None:
        return "-"
    if us < 1000:
        return f"{us:.1f} µs"
    if us < 1_000_000:
        return f"{us / 1000:.2f} ms"
    return f"{us / 1_000_000:.2f} s"


def seconds(s: float | None) -> str:
    return "-" if s is None else f"{s:.2f} s"


def times(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}×" if value >= 100 else f"{value:.2f}×"


def mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} MiB"


def size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} B"


def _table(title: str, *columns: str, caption: str | None = None) -> Table:
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, title_justify="left",
                  caption_justify="left", pad_edge=False)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i < 2 else "right", overflow="fold")
    return table


def _problem(name: str, section: dict[str, Any]) -> Table | None:
    if section.get("status") == "ok":
        return None
    table = _table(f"{name}: {section.get('status')}", "reason")
    table.add_row(str(section.get("reason")))
    return table


# -- sections --------------------------------------------------------------------
def lookups_table(section: dict[str, Any]) -> Table:
    targets = section["targets"]
    table = _table(
        f"Look-ups: 1 main + {section['stores']['read_only']} read-only stores; "
        "simulator (cached, stat-keyed) vs peer (NaiveLayeredStore: re-reads everything per call)",
        "Artifacts", "Look-up", "Simulator median", "p99", "Peer median", "p99", "Peer / simulator", "Target",
        caption=_lookups_caption(section),
    )
    labels = {"status_by_tag": "status by tag", "status_by_id": "status by ID prefix",
              "list": "list (all, de-duplicated)"}
    for result in section["sizes"]:
        n = f"{result['artifacts']:,}"
        if not result["agreement"]["identical"]:
            table.add_row(n, "answers differ: not timed", *["-"] * 6)
            continue
        for operation, label in labels.items():
            figures = result["operations"][operation]
            target = "-"
            if operation != "list" and result["artifacts"] == targets["at_artifacts"]:
                met = (figures["simulator"]["median_us"] < targets["status_median_us_below"]
                       and (figures["ratio"] or 0) >= targets["ratio_at_least"])
                target = f"<1 ms, ≥{targets['ratio_at_least']:.0f}×: {'met' if met else 'MISSED'}"
            table.add_row(n, label, duration_us(figures["simulator"]["median_us"]),
                          duration_us(figures["simulator"]["p99_us"]), duration_us(figures["peer"]["median_us"]),
                          duration_us(figures["peer"]["p99_us"]), times(figures["ratio"]), target)
        unsettled = result["unsettled_status_by_tag"]
        peer = result["operations"]["status_by_tag"]["peer"]
        table.add_row(n, "status by tag, unsettled (index.json < 3 s old)",
                      duration_us(unsettled["simulator"]["median_us"]), duration_us(unsettled["simulator"]["p99_us"]),
                      duration_us(peer["median_us"]), duration_us(peer["p99_us"]), times(unsettled["peer_ratio"]),
                      f"re-reads, no re-parse: {times(unsettled['ratio_to_settled'])} settled")
        stats = result["syscalls_per_status"]
        table.add_row(n, "cost of an unchanged store, per status", f"{stats['stat_per_consulted_store']:.2f} stat",
                      f"{stats['open_per_call']:.2f} open", "-", "-", "-",
                      f"≈1 stat/store: {'met' if stats['stat_per_consulted_store'] <= 1.05 else 'MISSED'}")
        table.add_row(n, "start-up: first parse of every store", duration_us(result["startup_ms"] * 1000),
                      "-", "-", "-", "-", "-")
    return table


def _lookups_caption(section: dict[str, Any]) -> str:
    sizes = section["sizes"]
    agreed = all(r["agreement"]["identical"] for r in sizes)
    checked = ", ".join(f"{r['agreement']['status_queries']} status queries + list of {r['agreement']['list_entries']:,}"
                        for r in sizes)
    return (
        f"Settled: {section['settled']['how']} (waited {section['settled']['waited_s']:.1f} s). "
        f"Unsettled: {section['unsettled']['how']}. "
        f"Before timing, both implementations answered {checked} "
        f"{'identically' if agreed else 'DIFFERENTLY (see JSON)'}. Queries are sampled over all stores; "
        "a status consults the stores in order up to the one that resolves it (stat counts are per consulted store). "
        "Peer: no digest checks, stops at the first store with a hit."
    )


def pulls_table(section: dict[str, Any]) -> Table:
    options = section["options"]
    table = _table(
        "Pulls from a local registry into a fresh store: simulator "
        "(artifact-conformance store pull, subprocess) vs peer (skopeo copy to oci:)",
        "Artifact", "Measure", "Simulator", "Peer (skopeo)", "Peer / simulator",
        caption=(f"Median of {options['repeats']} run(s) each, alternating, fresh directory and os.sync() before each "
                 f"run; peak RSS via "
                 f"os.wait4 from a small shim (floor {mib(section.get('rss_floor_mib'))}). Python interpreter + the "
                 f"package's imports alone: {mib(section['python_floor']['max_rss_mib'])} peak RSS, "
                 f"{seconds(section['python_floor']['wall_s'])} (artifact-conformance --version)."
                 + ("" if section.get("peer") else f" Peer unavailable: {section.get('peer_missing')}.")),
    )
    for result in section["artifacts"].values():
        label = f"{size(result['size_bytes'])}, {result['layers']} layer{'s' if result['layers'] > 1 else ''}"
        ours, peer = result["simulator"] or {}, result["peer"] or {}
        table.add_row(label, "wall time", seconds(ours.get("wall_s")), seconds(peer.get("wall_s")),
                      times(result["wall_ratio"]))
        table.add_row("", "throughput", _rate(ours.get("throughput_mib_s")), _rate(peer.get("throughput_mib_s")), "")
        table.add_row("", "CPU time (user+sys)", seconds(ours.get("cpu_s")), seconds(peer.get("cpu_s")), "")
        table.add_row("", "peak RSS", mib(ours.get("max_rss_mib")), mib(peer.get("max_rss_mib")),
                      times(result["rss_ratio"]))
    return table


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} MiB/s"


def skipped_table(section: dict[str, Any]) -> Table:
    ours, full, peer = section["simulator"], section["simulator_without_read_only_store"], section["peer"] or {}
    table = _table(
        f"Skipped pull: the artifact ({size(section['layer_bytes'])} layer) is in a read-only store; "
        "registry traffic recorded by a proxy in front of the registry",
        "Measure", "Simulator, skipped", "Simulator, no read-only store", "Peer (skopeo copy)", "Target",
        caption=f"{section['reference']}: pull {'skipped' if ours['skipped'] else 'NOT skipped'}, main store "
                f"{'unchanged' if ours['main_store_unchanged'] else 'CHANGED'}; peer / simulator wall time "
                f"(process vs process) {times(section['wall_ratio'])}.",
    )
    table.add_row("registry requests", str(ours["requests"]), str(full["requests"]), str(peer.get("requests", "-")),
                  f"0 (optional level): {'met' if ours['requests'] == 0 else 'missed'}")
    table.add_row("manifest requests", str(ours["manifest_requests"]), str(full["manifest_requests"]),
                  str(peer.get("manifest_requests", "-")), "")
    table.add_row("blob requests", str(ours["blob_requests"]), str(full["blob_requests"]),
                  str(peer.get("blob_requests", "-")), "")
    table.add_row("blob bytes", f"{ours['blob_bytes']:,}", f"{full['blob_bytes']:,}",
                  f"{peer['blob_bytes']:,}" if peer else "-",
                  f"0 (required): {'met' if ours['blob_bytes'] == 0 else 'MISSED'}")
    table.add_row("wall time (process)", duration_us(ours["wall_s"] * 1e6), duration_us(full["wall_s"] * 1e6),
                  duration_us(peer["wall_s"] * 1e6) if peer else "-", "")
    table.add_row("wall time (in-process call)", duration_us(ours["in_process_s"] * 1e6), "-", "-", "")
    return table


def slow_stores_table(section: dict[str, Any]) -> Table:
    table = _table(
        f"Slow and stalled stores: {section['how']}",
        "Artifacts (slow store)", "Measure", "Simulator", "Peer", "Peer / simulator",
        caption=(f"Peers: the cold list reading manifests one by one; warm calls and the stall against "
                 f"NaiveLayeredStore (re-reads everything, on the caller's thread). A file-system call blocked "
                 f"for {section['stall_after_s']:g} s gives the store up."),
    )
    for result in section["sizes"]:
        n = f"{result['artifacts']} ({result['in_slow_store']})"
        table.add_row(n, "cold list", duration_us(result["cold_list_ms"] * 1e3),
                      duration_us(result["cold_list_one_by_one_ms"] * 1e3), times(result["cold_ratio"]))
        for operation, pair in result["warm"].items():
            table.add_row(n, f"warm {operation} (median)", duration_us(pair["simulator"]["median_us"]),
                          duration_us(pair["peer"]["median_us"]), times(pair["ratio"]))
        stall = result["stall"]
        first, peer = stall["reference_first_ms"], stall["peer_first_ms"]
        table.add_row(n, "stalled: status of another store's artifact, first call",
                      duration_us(first * 1e3) if isinstance(first, float) else first,
                      duration_us(peer * 1e3) if isinstance(peer, float) else peer, "")
        table.add_row(n, "stalled: the calls after it (median)", duration_us(stall["reference_after"]["median_us"]),
                      "-", "")
    return table


def suite_table(section: dict[str, Any]) -> Table:
    table = _table(
        f"Conformance suite wall time ({section['scope']}): serial vs pytest-xdist",
        "Run", "Command", "Wall", "CPU", "Result", "Serial / this",
        caption=f"From {section['cwd']}; includes {section['includes']}. Pass/fail is reported, not asserted.",
    )
    for name in ("serial", "parallel"):
        run = section[name]
        speedup = 1.0 if name == "serial" else section["speedup"]
        table.add_row(name, run["command"], seconds(run["wall_s"]), seconds(run["cpu_s"]),
                      f"{run['summary']} (exit {run['exit_code']})", times(speedup))
    return table


def runtimes_tables(section: dict[str, Any]) -> list[Table]:
    from . import runtime_tables  # it formats with this module's helpers

    tables = []
    for text in runtime_tables.all_tables(section, runtime_tables.system_label(section, "sut")):
        table = _table(text.title, *text.columns, caption=text.caption or None)
        for row in text.rows:
            table.add_row(*row)
        tables.append(table)
    return tables


RENDERERS = {"lookups": lookups_table, "pulls": pulls_table, "skipped": skipped_table, "suite": suite_table,
             "slow_stores": slow_stores_table, "runtimes": runtimes_tables}


def render(document: dict[str, Any], console: Console) -> None:
    machine = document["machine"]
    console.print(f"artifact-conformance bench{' --quick' if document['quick'] else ''} — {machine['date']}")
    console.print(f"machine: {machine['nproc']} CPUs ({machine['cpus_usable']} usable), {machine['cpu_model']}, "
                  f"{machine['kernel']} ({machine['machine']}); {machine['python']}; skopeo: {machine['skopeo'] or 'none'}")
    for name, section in document["sections"].items():
        console.print()
        problem = _problem(name, section)
        if problem is not None and not _has_figures(name, section):
            console.print(problem)
            continue
        rendered = RENDERERS[name](section)
        for table in rendered if isinstance(rendered, list) else [rendered]:
            console.print(table)
        if problem is not None:
            console.print(problem)
    loads = [machine.get("load_average_at_start"), machine.get("load_average_at_end")]
    load = " → ".join("/".join(f"{x:.2f}" for x in values) for values in loads if values)
    console.print(f"\nbench wall time: {seconds(document['wall_s'])}; load average (1/5/15 min) at start → end: "
                  f"{load or 'unknown'}")


def _has_figures(name: str, section: dict[str, Any]) -> bool:
    keys = {"lookups": "sizes", "pulls": "artifacts", "skipped": "simulator", "suite": "serial", "slow_stores": "sizes",
            "runtimes": "series"}
    return keys[name] in section


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write atomically: a temporary file beside the target, fsync'd, renamed over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=2, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_companions(document: dict[str, Any], json_path: Path) -> dict[str, str]:
    """Beside the JSON, for the runtimes section: the plot (PNG, SVG) and an HTML page
    with the plot and the tables. Returns what was written (and why a plot is missing)."""
    section = document["sections"].get("runtimes")
    if not section or "series" not in section:
        return {}
    from .html_page import page
    from .plot import PlotUnavailable, write_plots

    json_path = Path(json_path)
    stem = json_path.parent / (json_path.name.removesuffix(".json"))
    written: dict[str, str] = {}
    svg_text, problem = None, None
    try:
        plots = write_plots(section, stem)
        svg_text = plots.pop("svg_text")
        written.update(plots)
    except PlotUnavailable as error:
        problem = str(error)
        written["plot_missing"] = problem
    html_path = stem.parent / f"{stem.name}.html"
    html_path.write_text(page(document, section, svg_text, problem), encoding="utf-8")
    written["html"] = str(html_path)
    return written
