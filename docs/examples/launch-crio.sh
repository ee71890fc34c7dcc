#!/usr/bin/env bash
# A --cri-launch wrapper: how a vendor points launch mode at a runtime the suite
# starts per scenario. The suite calls it as
#   launch-crio.sh SOCKET CONFIG
# where CONFIG is a CRI-O style TOML the suite wrote for the scenario ([crio] root,
# [crio.runtime] additional_artifact_stores, [crio.image] pinned_images and
# insecure_registries). The wrapper must serve CRI v1 on SOCKET until SIGTERM, and
# exit non-zero with the runtime's own message when it refuses the configuration.
#
# This one starts CRI-O (CRIO, default: crio on PATH) with CONFIG as a drop-in
# after a base file of scratch state paths, and makes the configured insecure
# registries plain HTTP through a registries.conf (CRI-O 1.37 no longer reads
# insecure_registries). Try it:
#   artifact-conformance run --sut cri --cri-launch "docs/examples/launch-crio.sh {socket} {config}"
# (--sut crio does the same without a wrapper.) Needs python3 3.11+ (tomllib), as the suite does.
set -euo pipefail
socket=$1 config=$2
crio=${CRIO:-crio}
scratch=$(dirname "$socket")
mkdir -p "$scratch/conf.d" "$scratch/registries.d"
cp "$config" "$scratch/conf.d/50-scenario.conf"

cat > "$scratch/policy.json" <<'JSON'
{"default": [{"type": "insecureAcceptAnything"}]}
JSON
runtime=$(command -v crun || command -v runc)
cat > "$scratch/crio.conf" <<TOML
[crio]
runroot = "$scratch/run"
log_dir = "$scratch/logs"
version_file = "$scratch/version"
version_file_persist = "$scratch/version-persist"
clean_shutdown_file = "$scratch/clean.shutdown"
storage_driver = "vfs"
[crio.api]
listen = "$socket"
[crio.runtime]
conmon = "$(command -v conmon)"
conmon_cgroup = "pod"
cgroup_manager = "cgroupfs"
pinns_path = "$(dirname "$(command -v "$crio")")/pinns"
default_runtime = "$(basename "$runtime")"
container_exits_dir = "$scratch/exits"
container_attach_socket_dir = "$scratch/attach"
namespaces_dir = "$scratch/ns"
[crio.runtime.runtimes.$(basename "$runtime")]
runtime_path = "$runtime"
runtime_root = "$scratch/oci"
[crio.image]
signature_policy = "$scratch/policy.json"
[crio.nri]
enable_nri = false
[crio.metrics]
enable_metrics = false
TOML

# [crio.image] insecure_registries in the scenario's file -> one plain-HTTP entry each.
# The file is TOML (an array may span lines), so it is read with a TOML parser.
{
    echo 'unqualified-search-registries = []'
    python3 -c 'import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print("\n".join(tomllib.load(f).get("crio", {}).get("image", {}).get("insecure_registries", [])))' "$config" |
        { grep . || true; } |
        while read -r host; do printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$host"; done
} > "$scratch/registries.conf"

exec "$crio" --config "$scratch/crio.conf" --config-dir "$scratch/conf.d" \
    --registries-conf "$scratch/registries.conf" --registries-conf-dir "$scratch/registries.d"
