#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages Mica's build, run and tests need, when any is missing.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu

PACKAGES="make gcc binutils python3 qemu-system-x86 grub-pc-bin grub-common xorriso mtools \
musl-tools musl-dev libcmocka-dev clang libclang-rt-14-dev"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
    echo "mica: missing Debian packages:$missing" >&2
    echo "mica: install them as root with:" >&2
    echo "    apt-get update && $cmd" >&2
    exit 1
fi
echo "mica: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
