# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by build-debs and test-debs (docs/packaging.md): clean Debian chroots under
# $ILVM_PKG_DIR, made with debootstrap from $ILVM_MIRROR. Sourced, not run.
#   base-RELEASE   debootstrap --variant=minbase, made once and never changed afterwards
#   WORK           a throw-away copy of the base for one build or one install test
set -euo pipefail

ILVM_PKG_DIR=${ILVM_PKG_DIR:-/var/tmp/ilvm-pkg}
ILVM_MIRROR=${ILVM_MIRROR:-http://deb.debian.org/debian}
ILVM_RELEASES=${ILVM_RELEASES:-bookworm trixie}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

# A signal ends the script through its EXIT trap, which unmounts and removes the work chroot.
trap 'exit 130' INT TERM HUP

say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

need_root() {
    [ "$(id -u)" = 0 ] || die "run as root (debootstrap and chroot need it)"
    command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
}

# ensure_base RELEASE: the pristine chroot of RELEASE, made on first use.
ensure_base() {
    local r=$1 base=$ILVM_PKG_DIR/base-$1
    if [ ! -d "$base" ]; then
        say "$r: debootstrap --variant=minbase into $base (once; later runs reuse it)"
        rm -rf "$base.tmp"
        mkdir -p "$ILVM_PKG_DIR"
        debootstrap --variant=minbase "$r" "$base.tmp" "$ILVM_MIRROR" >"$ILVM_PKG_DIR/debootstrap-$r.log" 2>&1 ||
            die "$r: debootstrap failed, see $ILVM_PKG_DIR/debootstrap-$r.log"
        mv "$base.tmp" "$base"
    fi
    # No service may start inside a chroot (maintainer scripts that use invoke-rc.d).
    printf '#!/bin/sh\nexit 101\n' >"$base/usr/sbin/policy-rc.d"
    chmod 0755 "$base/usr/sbin/policy-rc.d"
    echo "deb $ILVM_MIRROR $r main" >"$base/etc/apt/sources.list"
    printf 'APT::Install-Recommends "false";\n' >"$base/etc/apt/apt.conf.d/90ilvm-no-recommends"
}

# new_work RELEASE WORK: WORK becomes a fresh copy of the base, with /proc and /dev mounted
# (unmounted by drop_work, which the callers trap on exit).
new_work() {
    local r=$1 work=$2
    drop_work "$work"
    ensure_base "$r"
    cp -a "$ILVM_PKG_DIR/base-$r" "$work"
    cp /etc/resolv.conf "$work/etc/resolv.conf"
    mount -t proc proc "$work/proc"
    mount --rbind /dev "$work/dev"
    mount --make-rslave "$work/dev"
}

drop_work() {
    local work=$1
    [ -e "$work" ] || return 0
    mountpoint -q "$work/proc" && umount -l "$work/proc"
    mountpoint -q "$work/dev" && umount -R -l "$work/dev"
    rm -rf --one-file-system "$work"
}

in_chroot() { local work=$1; shift; chroot "$work" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
