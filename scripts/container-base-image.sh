#!/bin/sh
# Builds docker.io/library/node:20-bookworm-slim offline (no image registry on the CI machines): Debian bookworm
# minbase from Debian's mirror (debootstrap), with this machine's node and npm, imported into podman under the
# official image's name so the Dockerfile's FROM resolves to it. Like the official image it has a user `node`
# (uid 1000). It also gets this machine's CA bundle, trusted by node (NODE_EXTRA_CA_CERTS): npm in a build then
# trusts what the host's npm trusts, which is what lets `npm ci` in the Dockerfile through a TLS-inspecting proxy
# such as the CI machines'. Does nothing when an image of that name exists (a real one, or one built by an earlier run).
# Usage: scripts/container-base-image.sh [--force]     (root; needs podman and debootstrap)
set -eu
IMAGE=docker.io/library/node:20-bookworm-slim
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "${1:-}" != "--force" ] && podman image exists "$IMAGE"; then
  echo "$IMAGE: present"
  exit 0
fi
NODE=$(command -v node)
NODE_MAJOR=$("$NODE" -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" = 20 ] || { echo "this machine's node is $("$NODE" --version), the image needs Node 20" >&2; exit 1; }
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")   # .../node_modules/npm

ROOTFS=$(mktemp -d "${TMPDIR:-/tmp}/node20-rootfs.XXXXXX")
trap 'rm -rf "$ROOTFS"' EXIT
echo "debootstrap bookworm into $ROOTFS (about a minute)"
debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 || { tail -20 "$ROOTFS.log" >&2; rm -f "$ROOTFS.log"; exit 1; }
rm -f "$ROOTFS.log"
install -m 0755 "$(readlink -f "$NODE")" "$ROOTFS/usr/local/bin/node"
mkdir -p "$ROOTFS/usr/local/lib/node_modules"
cp -a "$NPM_DIR" "$ROOTFS/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
chroot "$ROOTFS" /usr/local/bin/node --version >/dev/null   # its libraries are all there
CA_ENV=""
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$ROOTFS/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
  CA_ENV="--change=ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"
fi
chroot "$ROOTFS" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" --numeric-owner -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_VERSION='"$("$NODE" -p process.versions.node)" \
  --change 'CMD ["node"]' ${CA_ENV:+"$CA_ENV"} --quiet - "$IMAGE" >/dev/null
echo "$IMAGE: built from debootstrap + node $("$NODE" --version)"
