#!/usr/bin/env bash
# Install the Debian packages given as arguments when any is missing.
# Used by .ci/run (engine, registry, skopeo) and by `make test`/`make conformance`
# (registry binary and skopeo only: the suite needs no Docker engine).
# Not root, or not Debian: say what is missing and leave it to the caller.
set -euo pipefail

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

command -v dpkg-query >/dev/null || { echo "install-packages: not a Debian system; make sure these are available: $*" >&2; exit 0; }
missing=()
for package in "$@"; do installed "$package" || missing+=("$package"); done
(( ${#missing[@]} )) || exit 0
if [[ $(id -u) != 0 ]]; then
    echo "install-packages: missing ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 0
fi
policy_added=""
# Without systemd, package scripts would start docker and docker-registry
# through init.d: services nobody started on purpose and nobody would stop.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    policy_added=1
fi
trap '[[ -n "$policy_added" ]] && rm -f /usr/sbin/policy-rc.d' EXIT
echo "install-packages: installing ${missing[*]}" >&2
# needrestart (recommended by docker.io) would otherwise offer to restart services.
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
