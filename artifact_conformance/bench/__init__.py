"""``artifact-conformance bench``: how fast the reference store is, next to a peer.

Sections, each a module with one ``run(...)`` returning a JSON-able dict:

- ``lookups``: ``status`` by tag, by ID prefix, and ``list`` over layouts of
  1,000 and 10,000 artifacts, against ``NaiveLayeredStore`` (re-reads every
  index.json and manifest on each call);
- ``pulls``: wall time and peak RSS of a pull into the main store, against
  ``skopeo copy ... oci:`` of the same artifact from the same registry;
- ``skipped``: what a pull that a read-only store satisfies costs at the
  registry (requests, blob bytes), against skopeo copying it;
- ``suite_time``: wall time of the conformance run, serial and with xdist;
- ``slow_stores``: a read-only store on the harness's FUSE export at 20 ms per
  operation: the cold list against reading manifests one by one, warm calls
  against ``NaiveLayeredStore``, and a call about another store while the
  export stalls (needs root and /dev/fuse);
- ``runtimes`` (with ``--sut``): a CRI runtime beside the reference store served
  over CRI: look-ups against store size with a per-call bound, the runtime's
  RSS, pulls and a skipped pull; ``growth`` fits the exponents,
  ``runtime_tables`` / ``plot`` / ``html_page`` show them.

``run.run_bench`` runs them and ``report`` prints the tables and writes JSON.
"""
