#!/bin/sh
# The in-cluster command of the image (installed as
# /usr/local/bin/artifact-conformance-node): run the suite on this node with
# every report, named after the node, then hand the reports over.
#
#   artifact-conformance-node [RUN OPTIONS...]    # passed to `artifact-conformance run`
#
# Environment:
#   NODE_NAME       the node (the manifests set it from the downward API, spec.nodeName)
#   REPORTS_DIR     where the reports go (default /reports): junit.xml, results.json,
#                   report.html, pytest.log and exit-status, in REPORTS_DIR/artifact-conformance-NODE
#   RESULTS_MODE    "sonobuoy": the reports go to $SONOBUOY_RESULTS_DIR (default
#                   /tmp/sonobuoy/results), are packed in artifact-conformance-NODE.tar.gz
#                   there, and last the file "done" is written holding the tarball's path:
#                   sonobuoy's worker waits for it, then sends the tarball (result-format
#                   junit: sonobuoy reads the junit.xml in it) to the aggregator
#   KEEP_SECONDS    after the run, stay alive this long so `kubectl cp` can fetch the
#                   reports (default 0)
#   ALWAYS_SUCCEED  "1": exit 0 whatever the run's outcome (an init container that
#                   failed would be restarted; the outcome is in exit-status and the reports)
set -u

node="${NODE_NAME:-$(hostname)}"
if [ "${RESULTS_MODE:-}" = sonobuoy ]; then
    base="${SONOBUOY_RESULTS_DIR:-/tmp/sonobuoy/results}"
else
    base="${REPORTS_DIR:-/reports}"
fi
out="$base/artifact-conformance-$node"
mkdir -p "$out"

artifact-conformance run --node-name "$node" --progress plain \
    --junit "$out/junit.xml" --results "$out/results.json" --html "$out/report.html" \
    --pytest-log "$out/pytest.log" "$@"
status=$?
echo "$status" > "$out/exit-status"
echo "artifact-conformance-node: node $node: run exited $status; reports in $out" >&2

if [ "${RESULTS_MODE:-}" = sonobuoy ]; then
    tarball="$base/artifact-conformance-$node.tar.gz"
    tar -C "$base" -czf "$tarball" "artifact-conformance-$node"
    printf '%s' "$tarball" > "$base/done"
fi
if [ "${KEEP_SECONDS:-0}" -gt 0 ]; then
    echo "artifact-conformance-node: keeping the reports for ${KEEP_SECONDS} s (kubectl cp)" >&2
    sleep "$KEEP_SECONDS"
fi
[ "${ALWAYS_SUCCEED:-}" = 1 ] && exit 0
exit "$status"
