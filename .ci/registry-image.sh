#!/usr/bin/env bash
# Build the registry image the suite runs against, without network access:
# Debian's CNCF distribution binary (package docker-registry) plus the shared
# libraries ldd reports for it, imported as a single-layer image.
#
#   .ci/registry-image.sh [IMAGE]      # default local/registry:2.8
#
# Needs a Docker engine reachable through DOCKER_HOST (see docker-engine.sh).
# Does nothing when the image already exists.
set -euo pipefail

IMAGE="${1:-${REGISTRY_IMAGE:-local/registry:2.8}}"
BINARY="${REGISTRY_BINARY:-/usr/bin/docker-registry}"

say() { echo "registry-image: $*" >&2; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    say "$IMAGE already exists; nothing to do"
    exit 0
fi
[[ -x "$BINARY" ]] || { say "$BINARY not found; install the Debian package docker-registry"; exit 1; }

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

install -D -m 0755 "$BINARY" "$root/usr/bin/docker-registry"
# Every absolute path ldd prints (libraries and the dynamic loader), copied
# as real files at the path the binary asks for; linux-vdso has no path.
mapfile -t libs < <(ldd "$BINARY" | grep -o '/[^ ]*' | sort -u)
for lib in "${libs[@]}"; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
mkdir -p "$root/var/lib/registry" "$root/tmp"
chmod 1777 "$root/tmp"
install -D -m 0644 /dev/stdin "$root/etc/docker/registry/config.yml" <<'EOF'
version: 0.1
log:
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
EOF

say "building $IMAGE from $BINARY ($("$BINARY" --version | awk '{print $NF}')) with: ${libs[*]}"
tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
    docker import \
        -c 'ENTRYPOINT ["/usr/bin/docker-registry"]' \
        -c 'CMD ["serve", "/etc/docker/registry/config.yml"]' \
        -c 'EXPOSE 5000' \
        -m "CNCF distribution from Debian's docker-registry package" \
        - "$IMAGE" >/dev/null

# A binary that cannot start in the image (a missing library) fails here, not
# in the middle of a test run.
docker run --rm --entrypoint /usr/bin/docker-registry "$IMAGE" --version >/dev/null ||
    { say "the image $IMAGE was built but its binary does not run"; exit 1; }
say "built $IMAGE"
