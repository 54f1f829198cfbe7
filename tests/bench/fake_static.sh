#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The benchmark's stand-in for lvm/sanlock/iscsiadm/blkdiscard (ILVM_COMMAND_WRAPPER): prints a
# report written beforehand and exits, so a run measures our own cost, not a fake's. One line
# per command in $BENCH_LOG. lvcreate leaves $BENCH_DIR/created, after which lvs lists the new
# volume too. An lvs of one volume (its last argument VG/LV) prints that volume's row alone, as
# LVM does (vol-delete reads only its volume, vol-create-as reads the new one after lvcreate).
echo "$1" >> "$BENCH_LOG"
case "$1" in
lvs)
    case "$*" in
    *vg_free*) exec cat "$BENCH_DIR/lvs-space.json" ;;
    esac
    for last; do :; done
    case "$last" in
    */*) if [ -e "$BENCH_DIR/lv-${last#*/}.json" ]; then exec cat "$BENCH_DIR/lv-${last#*/}.json"; fi ;;
    esac
    if [ -e "$BENCH_DIR/created" ]; then exec cat "$BENCH_DIR/lvs-created.json"; fi
    exec cat "$BENCH_DIR/lvs.json" ;;
vgs)
    case "$*" in
    *vg_mda_free*) exec cat "$BENCH_DIR/vgs-mda.json" ;;
    esac
    exec cat "$BENCH_DIR/vgs.json" ;;
sanlock)
    case "$2" in
    direct) exec cat "$BENCH_DIR/dump.txt" ;;
    esac ;;
lvmlockctl) exec cat "$BENCH_DIR/lockctl.txt" ;;
lvcreate) : > "$BENCH_DIR/created" ;;
esac
exit 0
