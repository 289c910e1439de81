#!/bin/sh
# A Debian 12 root file system with systemd and this machine's node, for booting with systemd-nspawn: the test of
# agents/linux's units (test/install/global-install.test.ts) boots it to see the agent unit start at boot and
# leave at shutdown, which a machine without systemd as PID 1 (CI) cannot show otherwise. Kept in a cache
# directory (tests boot it with --volatile=overlay, so it stays as built) and rebuilt only when missing or made
# with another node. Prints its path.
# Usage: scripts/systemd-rootfs.sh [CACHE_DIR]     (root; needs debootstrap; about 2-3 minutes the first time)
set -eu
CACHE=${1:-/var/cache/lbagent-test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE=$(readlink -f "$(command -v node)")
ROOTFS=$CACHE/systemd-bookworm-node$("$NODE" -p process.versions.node)
if [ -f "$ROOTFS/.lbagent-rootfs" ]; then
  echo "$ROOTFS"
  exit 0
fi
mkdir -p "$CACHE"
# Built beside the cache entry and renamed into place: a concurrent run never boots a half-built tree.
NEW=$(mktemp -d "$CACHE/.new.XXXXXX")
chmod 0755 "$NEW" # it becomes the container's /: mktemp's 0700 would shut out every user but root
trap 'rm -rf "$NEW" "$NEW.log"' EXIT
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$NEW" "$MIRROR" >"$NEW.log" 2>&1 || { tail -20 "$NEW.log" >&2; exit 1; }
# node where the lbagent command's `#!/usr/bin/env node` finds it on systemd's PATH; /usr/local stays empty for the
# test's `npm install -g --prefix` (bound there)
install -m 0755 "$NODE" "$NEW/usr/bin/node"
touch "$NEW/.lbagent-rootfs"
mv -T "$NEW" "$ROOTFS" 2>/dev/null || true   # another run got there first: theirs is as good
echo "$ROOTFS"
