// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvm: virsh-style CLI for iscsi-lvm pools and volumes.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <iostream>
#include <unistd.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/context.hpp"
#include "cli/doctor_command.hpp"
#include "cli/interrupts.hpp"
#include "cli/lease_lost_command.hpp"
#include "cli/lookup.hpp"
#include "cli/pool_rejoin_command.hpp"
#include "cli/ui/exit_codes.hpp"
#include "cli/ui/help.hpp"
#include "common/env.hpp"
#include "host/core/module_options.hpp"
#include "host/journal/journal_log.hpp"
#include "ilvm-config.h"

namespace ilvm::cli {
namespace {

using host::LogFields;
using host::make_journal_sink;
using host::stderr_is_discarded;
using host::stderr_is_journal;

struct Verb {
    VerbSpec spec;
    std::function<Status(Context &, const Args &)> run;
};

// Verbs that take a pool or volume lock: they wait for another one's (bounded).
const std::set<std::string> &waiting_verbs() {
    static const std::set<std::string> names = {
        "pool-define", "pool-undefine", "pool-build", "pool-start", "pool-destroy", "pool-delete", "pool-refresh",
        "pool-autostart", "vol-create", "vol-create-as", "vol-create-from", "vol-clone", "vol-delete", "vol-wipe",
        "vol-resize", "vol-upload", "vol-download", "vol-activate", "vol-deactivate", "vol-snapshot-create",
        "vol-snapshot-revert", "vol-snapshot-delete"};
    return names;
}

const char *const kLinkedHelp =
    "--linked: a linked clone, a qcow2 volume whose image is an empty overlay on VOL (raw or qcow2,\n"
    "without snapshots). The first linked clone makes VOL a template: read-only for good (resize, wipe,\n"
    "upload, snapshots and exclusive activation refused); clones read it shared on every host that runs\n"
    "them. vol-delete of a template is refused while a clone reads it. vol-create-from --linked wants\n"
    "<format type='qcow2'/> in FILE.";

const char *const kWaitHelp =
    "--wait SECONDS: wait that long for another ilvm command or the qemu hook working on the same pool or\n"
    "volume on this host (default 300); --no-wait: refuse at once (exit 4) instead.";

std::vector<Verb> with_wait_options(std::vector<Verb> table) {
    for (auto &v : table) {
        if (!waiting_verbs().count(v.spec.name)) continue;
        v.spec.value_options.insert("wait");
        v.spec.flag_options.insert("no-wait");
        v.spec.details += (v.spec.details.empty() ? "" : "\n") + std::string(kWaitHelp);
    }
    return table;
}

// What an argument or option means for one verb, where the text most verbs share
// (cli/ui/help.cpp) does not fit or there is none.
using OptionHelp = std::map<std::string, std::map<std::string, std::string>>;
const OptionHelp &verb_option_help() {
    static const OptionHelp help = {
        {"pool-define", {{"file", "pool XML file (docs/xml-reference.md)"}}},
        {"pool-define-as", {{"name", "the new pool's name"},
                            {"type", "iscsi-lvm (the only type; may be omitted)"},
                            {"source-host", "the iSCSI portal's address (IPv4 or IPv6)"},
                            {"source-port", "the portal's TCP port (default 3260)"},
                            {"source-dev", "the target's IQN"},
                            {"lun", "the LUN that carries the volume group (default 0)"},
                            {"source-initiator", "this host's initiator IQN for the pool (default: the host's)"},
                            {"source-name", "the volume group's name"},
                            {"auth-type", "chap (the only type)"},
                            {"auth-username", "the CHAP user name"},
                            {"secret-usage", "the usage of the libvirt secret holding the CHAP password"},
                            {"secret-uuid", "the UUID of that libvirt secret"},
                            {"target", "/dev/VG (the only path the pool can have)"},
                            {"locking", "sanlock (default), dlm or none"}}},
        {"pool-edit", {{"pool", "the pool to edit (name or UUID)"}}},
        {"pool-build", {{"overwrite", "initialise a LUN that carries a signature (PV, filesystem, partition table)"}}},
        {"pool-start", {{"build", "run pool-build first (asks for the pool's name, or takes --confirm)"},
                        {"overwrite", "with --build: initialise a LUN that carries a signature"}}},
        {"pool-list", {{"name", "print only the names (with --uuid: UUID and name)"}}},
        {"pool-dumpxml", {{"inactive", "the stored definition, without live numbers"}}},
        {"pool-autostart", {{"disable", "clear the autostart flag instead"}}},
        {"pool-autostart-all", {{"no-mirror", "leave the libvirt mirror pools alone (libvirtd is not up yet)"},
                                {"deadline", "seconds after which the starts still running are stopped"},
                                {"retry", "start only the pools whose start failed before (their marker)"}}},
        {"pool-destroy-all", {{"no-mirror", "leave the libvirt mirror pools alone (libvirtd has already stopped)"}}},
        {"reconcile", {{"pool", "only this started pool (name or UUID)"},
                       {"remove-incomplete", "remove volumes left incomplete by a killed vol-create or vol-clone"}}},
        {"migrate", {{"desturi", "the destination's libvirt URI, e.g. qemu+ssh://kvm-b/system"},
                     {"migrateuri", "where QEMU sends the memory, e.g. tcp://10.0.0.2"},
                     {"timeout", "seconds to wait for the destination to hold each volume (default 60)"},
                     {"persistent", "define the domain on the destination (virsh's --persistent)"},
                     {"undefinesource", "undefine it here afterwards (virsh's --undefinesource)"}}},
        {"migrate-finish", {{"timeout", "seconds to keep trying (default 600)"}}},
        {"vol-create", {{"file", "volume XML file (docs/xml-reference.md)"}}},
        {"vol-create-as", {{"name", "the new volume's name"},
                           {"allocation", "raw: must equal the capacity (thick); qcow2: the LV's size to start with"},
                           {"format", "raw (default) or qcow2"}}},
        {"vol-create-from", {{"file", "the new volume's XML file"}, {"vol", "the volume to copy (same pool)"},
                             {"linked", "a linked clone: a qcow2 overlay on VOL, which becomes a read-only template"}}},
        {"vol-clone", {{"newname", "the copy's name"},
                       {"linked", "a linked clone: a qcow2 overlay on VOL, which becomes a read-only template"}}},
        {"vol-delete", {{"wipe", "zero the volume before removing it"},
                        {"no-wipe", "do not zero it, whatever the pool's <wipe_on_delete> says"},
                        {"snapshots", "a qcow2 volume with snapshots: delete them too (else refused)"}}},
        {"vol-snapshot-create", {{"vol", "the qcow2 volume (its domain stopped, or running on this host)"},
                                 {"snapshot", "the snapshot's name: letters, digits, + _ . - (at most 64)"},
                                 {"description", "one line of text kept with it (at most 256 bytes)"}}},
        {"vol-snapshot-list", {{"vol", "the qcow2 volume"}}},
        {"vol-snapshot-revert", {{"vol", "the qcow2 volume (its domain stopped)"}, {"snapshot", "the snapshot to go back to"}}},
        {"vol-snapshot-delete", {{"vol", "the qcow2 volume (its domain stopped)"}, {"snapshot", "the snapshot to delete"}}},
        {"vol-wipe", {{"algorithm", "only zero"}}},
        {"vol-resize", {{"capacity", "the new size, or with --delta the change (e.g. 40G)"},
                        {"allow-shrink", "allow a smaller size (shrink the guest's filesystem first)"},
                        {"shrink", "the same as --allow-shrink"},
                        {"delta", "grow by CAPACITY (with --shrink: shrink by it)"}}},
        {"vol-list", {{"name", "print only the volumes' names"}}},
        {"vol-upload", {{"file", "the file to copy into the volume"},
                        {"offset", "where in the volume to start (a size, default 0)"},
                        {"length", "how much to copy at most (a size, default all)"}}},
        {"vol-download", {{"file", "the file to create (mode 0600)"},
                          {"offset", "where in the volume to start (a size, default 0)"},
                          {"length", "how much to copy at most (a size, default to the end)"},
                          {"overwrite", "replace an existing file"}}},
        {"vol-activate", {{"shared", "a shared lock instead of an exclusive one"},
                          {"hold", "keep it active here that long although nothing uses it (90s, 30m, 2h, up to 7d)"}}},
        {"host-setup", {{"host-id", "this host's sanlock host_id, 1..2000, different on every host"},
                        {"initiator", "iSCSI initiator name (IQN), written only when the host has none"},
                        {"fence-on-lease-loss", "the default, accepted for old scripts: lvmlockctl runs ilvm lease-lost when a pool's VG loses its lease"},
                        {"no-fence-on-lease-loss", "leave lvm.conf's global/lvmlockctl_kill_command as it is"}}},
        {"lease-lost", {{"vg", "the volume group whose sanlock lease was lost (lvmlockctl appends it)"}}},
        {"doctor", {{"pool", "only this started pool (name or UUID)"},
                    {"fix", "release stale volume locks (lvchange -an), nothing else"}}},
    };
    return help;
}

// Value options a verb cannot do without (it checks them itself, with its own hint).
const std::map<std::string, std::set<std::string>> &verb_required_options() {
    static const std::map<std::string, std::set<std::string>> required = {
        {"host-setup", {"host-id"}}, {"pool-define-as", {"source-host", "source-dev", "source-name"}}};
    return required;
}

std::vector<Verb> with_option_help(std::vector<Verb> table) {
    for (auto &v : table) {
        if (auto h = verb_option_help().find(v.spec.name); h != verb_option_help().end()) v.spec.option_help = h->second;
        if (auto r = verb_required_options().find(v.spec.name); r != verb_required_options().end())
            v.spec.required_options = r->second;
    }
    return table;
}

const std::vector<Verb> &verbs() {
    static const std::vector<Verb> v = with_option_help(with_wait_options({
        {{"pool-define", "define an inactive persistent pool from an XML file", {"file"}, 1, {}, {}, ""}, pool_define},
        {{"pool-define-as", "define an inactive persistent pool from arguments", {"name", "type"}, 1,
          {"source-host", "source-port", "source-dev", "lun", "source-initiator", "source-name", "auth-type", "auth-username",
           "secret-usage", "secret-uuid", "target", "locking"},
          {},
          "Needs --source-host, --source-dev and --source-name; the checks are pool-define's."},
         pool_define_as},
        {{"pool-edit", "edit a pool's definition in $VISUAL or $EDITOR, then define it", {"pool"}, 1, {}, {},
          "As virsh pool-edit: an unchanged file changes nothing; a refused one is offered again on a terminal."},
         pool_edit},
        {{"pool-undefine", "forget a pool's definition (its data stays on the LUN)", {"pool"}, 1, {}, {}, ""}, pool_undefine},
        {{"pool-build", "initialise the pool's LUN: PV + (shared) volume group", {"pool"}, 1, {"confirm"}, {"overwrite"},
          "Destructive: asks you to type the pool name, or takes --confirm NAME.\n"
          "Refuses a LUN that carries any signature (PV, filesystem, partition table) unless --overwrite."},
         pool_build},
        {{"pool-start", "log in, start the lockspace, verify the VG and refresh", {"pool"}, 1, {"confirm"}, {"build", "overwrite"},
          "--build runs pool-build first (with its confirmation)."},
         pool_start},
        {{"pool-destroy", "stop a pool on this host: deactivate idle volumes, lock-stop, log out", {"pool"}, 1, {}, {}, ""}, pool_destroy},
        {{"pool-delete", "remove the pool's (empty) volume group and PV label from the LUN", {"pool"}, 1, {}, {}, ""}, pool_delete},
        {{"pool-refresh", "re-read capacity and volumes", {"pool"}, 1, {}, {}, ""}, pool_refresh},
        {{"pool-rejoin", "after a lost lease (lease-lost) and the LUN back: rejoin, resume or destroy its domains", {"pool"},
          1, {}, {},
          "For a pool ilvm lease-lost fenced on this host (ilvm doctor reports it), once the LUN answers again:\n"
          "  1. the VG's lockspace is joined again (lvmlockctl --drop, vgchange --lock-start) unless it is;\n"
          "  2. each volume a domain here uses is taken back (lvchange -aey, then --refresh for its table)\n"
          "     only if its sanlock lease still names this host from before the loss: nobody had it since;\n"
          "  3. such a domain is resumed (virsh resume) when all its volumes came back; one with a volume\n"
          "     another host had meanwhile is destroyed here (virsh destroy: its disk changed under it);\n"
          "  4. the other devices lease-lost left are removed (dmsetup remove), volumes released.\n"
          "Removes the record when every volume is settled; else fails naming what is left (run it again).\n"
          "Exit 4 when the pool has no record (nothing to rejoin)."},
         pool_rejoin},
        {{"pool-list", "list pools", {}, 0, {}, {"all", "inactive", "json", "details", "name", "uuid"}, ""}, pool_list},
        {{"pool-info", "pool information (live numbers when active)", {"pool"}, 1, {}, {"json", "bytes"}, ""}, pool_info},
        {{"pool-dumpxml", "pool XML", {"pool"}, 1, {}, {"inactive"}, ""}, pool_dumpxml},
        {{"pool-autostart", "mark the pool to be started at boot (by iscsi-lvm.service)", {"pool"}, 1, {}, {"disable"}, ""}, pool_autostart},
        {{"pool-autostart-all", "start every autostart pool not active yet (iscsi-lvm.service at boot)", {}, 0,
          {"deadline"}, {"no-mirror", "retry"},
          "--no-mirror: leave the libvirt mirror pools alone (the boot service: libvirtd is not up yet).\n"
          "--deadline SECONDS: start the pools in parallel (one process per iSCSI session) and stop\n"
          "  the starts still running after SECONDS; those pools count as not started.\n"
          "Each autostart pool not started gets a marker, RUN_DIR/pools/POOL.autostart-pending;\n"
          "--retry starts only the marked pools (iscsi-lvm-autostart-retry.service, every minute\n"
          "until it succeeds). Exits 5 when a pool is not started."},
         pool_autostart_all},
        {{"pool-destroy-all", "stop every pool active on this host (iscsi-lvm.service at shutdown)", {}, 0, {},
          {"no-mirror"}, "--no-mirror: leave the libvirt mirror pools alone (libvirtd has already stopped)."},
         pool_destroy_all},
        {{"mirror-sync", "define and start the libvirt mirror pool of every pool active here", {}, 0, {}, {},
          "Run by iscsi-lvm-mirror.service once libvirtd is up; warns (exit 0) when libvirt is unreachable."},
         mirror_sync},
        {{"reconcile", "repair skip flags, release volumes active here that nothing uses", {}, 0, {"pool"},
          {"dry-run", "json", "remove-incomplete"},
          "Per started pool (or only --pool P): one lvs, then\n"
          "  lvchange --setactivationskip y --setautoactivation n  on volumes lacking either, and\n"
          "  lvchange -an  on volumes active here, not open, used by no running domain for 10 s.\n"
          "  lvchange -aey -K  on volumes left shared here by a live-migration hand-over that did not\n"
          "    finish (a running domain uses them through a disk neither readonly nor shareable).\n"
          "  Volumes tagged incomplete (a vol-create or vol-clone that was killed) are reported;\n"
          "    --remove-incomplete removes them (lvremove, refused while another host has one active).\n"
          "Volumes an ilvm command or the qemu hook here is working on are left alone.\n"
          "Prints one line per change, nothing when all is in order. --dry-run changes nothing.\n"
          "Run by ilvmd on events, by iscsi-lvm-reconcile.timer every 5 min and after each ilvm volume change."},
         reconcile},
        {{"migrate", "live-migrate a running domain, handing its volumes' locks over", {"domain", "desturi"}, 2,
          {"migrateuri", "timeout"}, {"persistent", "undefinesource", "json"},
          "Run on the source host instead of `virsh migrate --live DOMAIN DESTURI`:\n"
          "  1. the domain's exclusive volumes go to a shared lock here, so the destination's hook can take them;\n"
          "  2. virDomainMigrate3 with VIR_MIGRATE_LIVE (+ --persistent, --undefinesource, --migrateuri URI),\n"
          "     as virsh does it; libvirt then stops the domain here and the hook releases its volumes;\n"
          "  3. waits (every 0.2 s, up to --timeout SECONDS, default 60) until the destination holds each\n"
          "     volume exclusively, and prints the measured window during which it was not exclusive.\n"
          "If the migration fails, the volumes go back to exclusive here (retried for up to 60 s).\n"
          "The destination must run iscsi-lvm's hook (it starts iscsi-lvm-migrate-finish@DOMAIN.service)."},
         migrate},
        {{"migrate-finish", "destination side of a live migration: make the volumes exclusive again",
          {"domain"}, 1, {"timeout"}, {},
          "Run by iscsi-lvm-migrate-finish@DOMAIN.service, which the qemu hook starts at `migrate begin`.\n"
          "Waits while the incoming domain is paused for the migration, then converts each of its\n"
          "exclusive volumes from shared to exclusive, retrying every 0.25 s while the source still\n"
          "holds them; up to --timeout SECONDS (default 600). Exits 0 with nothing to do when the\n"
          "migration failed or was cancelled (the domain went away)."},
         migrate_finish},
        {{"vol-create", "create a volume from an XML file", {"pool", "file"}, 2, {}, {}, ""}, vol_create},
        {{"vol-create-as", "create a volume from arguments", {"pool", "name", "capacity"}, 3, {"allocation", "format"}, {},
          "CAPACITY takes virsh's units: 10G, 512MiB, 1TB (powers of 1000), bytes by default.\n"
          "The size is rounded up to whole extents."},
         vol_create_as},
        {{"vol-create-from", "create a volume as a copy of another", {"pool", "file", "vol"}, 3, {},
          {"progress", "json", "linked"}, kLinkedHelp},
         vol_create_from},
        {{"vol-clone", "clone a volume", {"vol", "newname"}, 2, {"pool"}, {"progress", "json", "linked"}, kLinkedHelp},
         vol_clone},
        {{"vol-delete", "delete a volume (refused while active on any host)", {"vol"}, 1, {"pool"},
          {"wipe", "no-wipe", "snapshots"},
          "--wipe zeroes it first (blkdiscard --zeroout, else zero writes); the pool's <wipe_on_delete> sets the default.\n"
          "A qcow2 volume with snapshots is refused, naming them, unless --snapshots (then every layer goes too)."},
         vol_delete},
        {{"vol-wipe", "zero a volume", {"vol"}, 1, {"pool", "algorithm"}, {}, ""}, vol_wipe},
        {{"vol-resize", "grow a volume (shrinking needs --allow-shrink)", {"vol", "capacity"}, 2, {"pool"},
          {"allow-shrink", "shrink", "delta"}, ""},
         vol_resize},
        {{"vol-list", "list a pool's volumes", {"pool"}, 1, {}, {"json", "details", "name"}, ""}, vol_list},
        {{"vol-info", "volume information, including which host holds it", {"vol"}, 1, {"pool"}, {"json", "bytes"}, ""}, vol_info},
        {{"vol-dumpxml", "volume XML", {"vol"}, 1, {"pool"}, {}, ""}, vol_dumpxml},
        {{"vol-path", "volume path", {"vol"}, 1, {"pool"}, {}, ""}, vol_path},
        {{"vol-upload", "copy a file into a volume", {"vol", "file"}, 2, {"pool", "offset", "length"}, {"progress", "json"}, ""},
         vol_upload},
        {{"vol-download", "copy a volume into a file", {"vol", "file"}, 2, {"pool", "offset", "length"}, {"overwrite", "progress", "json"},
          "FILE is created with mode 0600 and never through a symbolic link; an existing FILE is refused\n"
          "unless --overwrite (which truncates it)."},
         vol_download},
        {{"vol-activate", "activate a volume on this host (exclusive unless --shared)", {"vol"}, 1, {"pool", "hold"}, {"shared"},
          "The reconciler releases a volume that nothing uses after 10 s; --hold DURATION keeps it active\n"
          "here until then (e.g. while virt-install or virt-manager picks it from the mirror pool).\n"
          "vol-deactivate ends a hold."},
         vol_activate},
        {{"vol-deactivate", "deactivate a volume on this host", {"vol"}, 1, {"pool"}, {}, ""}, vol_deactivate},
        {{"vol-snapshot-create", "snapshot a qcow2 volume, its domain stopped or running here", {"pool", "vol", "snapshot"}, 3,
          {"description"}, {},
          "No domain on this host uses the volume: offline, the volume inactive on every host. Under its lock:\n"
          "  lvrename VG/VOL VG/snap_VOL_SNAPSHOT, made read-only and tagged (the snapshot's layer), then a new\n"
          "  LV VOL, created locked (lvcreate --activate ey -K), holding an empty qcow2 overlay on that layer.\n"
          "  The volume keeps its name and path: domain definitions never change.\n"
          "A domain running here uses it: through libvirt (a disk-only external snapshot, other disks left out)\n"
          "  onto a new LV VOL.SNAPSHOT, locked, with an empty overlay on the volume's LV, which becomes the\n"
          "  snapshot's read-only layer: nothing is renamed, the volume takes the new LV's name (as a file disk\n"
          "  does after a disk-only external snapshot by virsh). qcow2 volumes only."},
         vol_snapshot_create},
        {{"vol-snapshot-list", "list a qcow2 volume's snapshots", {"pool", "vol"}, 2, {}, {"json"},
          "One row per snapshot (its size, its LV's allocation, when it was taken, the snapshot it is backed\n"
          "by, whether the volume's top reads through it), then the volume's top. One lvs."},
         vol_snapshot_list},
        {{"vol-snapshot-revert", "make a stopped domain's volume what it was at a snapshot", {"pool", "vol", "snapshot"}, 3,
          {}, {},
          "What the volume held since that snapshot is discarded: its top becomes an empty overlay on the\n"
          "snapshot's layer. Newer snapshots stay (each still a valid image). Offline, under the volume's lock."},
         vol_snapshot_revert},
        {{"vol-snapshot-delete", "delete one snapshot of a stopped domain's volume", {"pool", "vol", "snapshot"}, 3, {}, {},
          "Each image backed by the snapshot's layer (the volume's top, newer snapshots) is grown by the layer's\n"
          "size, then rebased onto the layer below it (qemu-img rebase: what it reads stays the same), then the\n"
          "layer is removed. Offline, under the volume's lock."},
         vol_snapshot_delete},
        {{"host-setup", "prepare this host: lvmlockd, sanlock host_id and watchdog, initiator name, hook, daemons", {}, 0,
          {"host-id", "initiator"}, {"dry-run", "fence-on-lease-loss", "no-fence-on-lease-loss"},
          "--initiator IQN is written to /etc/iscsi/initiatorname.iscsi only when it has no name.\n"
          "It sets global/lvmlockctl_kill_command = \"" ILVM_CLI_PATH " lease-lost\" in lvm.conf\n"
          "  (a different command there is replaced, with a warning): a host that loses the LUN stops its\n"
          "  I/O to the pool's volumes and pauses (or powers off: the pool's <on_lockfailure>) their\n"
          "  domains instead of being reset by its watchdog. --no-fence-on-lease-loss leaves the setting\n"
          "  as it is; --fence-on-lease-loss (the default) is accepted for scripts that name it.\n"
          "Idempotent: a second run changes nothing and says so. --dry-run only prints the plan.\n"
          "ILVM_HOST_ROOT=DIR edits DIR/etc/... instead of /etc/... (tests, trial runs)."},
         host_setup},
        {{"host-validate", "check that this host is ready for shared pools", {}, 0, {}, {"json"},
          "One line per check: 'ok   CHECK', 'WARN CHECK: PROBLEM (fix: FIX)' or 'FAIL CHECK: PROBLEM (fix: FIX)'.\n"
          "Exits 5 when any check fails. Changes nothing."},
         host_validate},
        {{"doctor", "diagnose this host's pools: lockspaces, sessions, stale LV locks", {"pool"}, 0, {}, {"json", "fix"},
          "Per started pool (or only POOL), read-only: lvmlockd's lockspace (lvmlockctl -i, sanlock client\n"
          "status), the iSCSI session and its recovery timeout, LV locks held here for LVs not active here (stale: other hosts get\n"
          "\"LV locked by other host\"), volumes active here that nothing uses, incomplete volumes, the VG's\n"
          "metadata area (warns under 10% free), lvm's global lock; for the host: iscsi-lvm.service,\n"
          "iscsi-lvm-reconcile.timer, iscsi-lvm-mirror.service, ilvmd.service enabled and active,\n"
          "lvmlocal.conf host_id.\n"
          "One line per finding: 'ok   WHERE: CHECK: WHAT', 'WARN …' or 'FAIL … (fix: FIX)'.\n"
          "--fix runs only 'lvchange -an VG/LV' for each stale lock whose volume no domain here uses,\n"
          "printing each command and its result. Exits 5 when a finding fails (after --fix: still fails)."},
         doctor},
        {{"lease-lost", "stop this host's I/O to a VG whose lease was lost (lvmlockctl's kill command)", {"vg"}, 1, {}, {},
          "Run by lvmlockctl --kill when the VG's sanlock lease can no longer be renewed (the LUN is gone),\n"
          "if ilvm host-setup named it in lvm.conf (global/lvmlockctl_kill_command; its default).\n"
          "For the pool whose volume group VG is:\n"
          "  1. dmsetup wipe_table --noflush --nolockfs on every device of the VG but lvmlock: the error\n"
          "     target replaces its table, so every I/O to the volume fails at once;\n"
          "  2. each domain here using those volumes: virsh suspend (the pool's <on_lockfailure> pause,\n"
          "     the default) or virsh destroy (poweroff), 10 s each; a failure is a warning;\n"
          "  3. what was done is appended to RUN_DIR/pools/POOL.fenced: ilvm doctor reports it,\n"
          "     pool-rejoin (or pool-start) removes it.\n"
          "Prints one line. Exits 0 only when every device was wiped: lvmlockctl then drops the VG's\n"
          "locks, so the watchdog does not reset the host. A VG no pool uses: exit 3.\n"
          "The way back once the LUN returns: ilvm pool-rejoin POOL."},
         lease_lost},
    }));
    return v;
}

const Verb *find_verb(const std::string &name) {
    for (const auto &v : verbs())
        if (v.spec.name == name) return &v;
    return nullptr;
}

void print_help(std::ostream &out) {
    out << "Usage: ilvm [-v|-vv|-q] <command> [args...]\n"
           "       ilvm <command> --help\n"
           "       ilvm help [<command>]\n\n"
           "iscsi-lvm pools: one shared LVM volume group on an iSCSI LUN, one volume per VM disk,\n"
           "each active on at most one host at a time.\n\nCommands:\n";
    for (const auto &v : verbs()) {
        std::string n = v.spec.name;
        out << "  " << n << std::string(n.size() < 18 ? 18 - n.size() : 1, ' ') << v.spec.summary << "\n";
    }
    out << "\nExit codes: 0 ok, 1 internal error, 2 invalid input, 3 not found, 4 conflict / in use,\n"
           "5 system failure.  See ilvm(8).\n";
}

// The command's pool, volume and domain, attached to journal entries once known.
std::shared_ptr<LogFields> log_fields = std::make_shared<LogFields>();
bool logging_to_journal = false;

void setup_logging(int verbosity) {
    // Under systemd, and where nobody would read stderr (lease-lost under sanlock's kill path).
    logging_to_journal = stderr_is_journal() || stderr_is_discarded();
    std::shared_ptr<spdlog::logger> logger;
    if (logging_to_journal) {
        logger = std::make_shared<spdlog::logger>("ilvm", make_journal_sink("ilvm", log_fields));
    } else {
        logger = spdlog::stderr_logger_st("ilvm");
        logger->set_pattern("%l: %v");
    }
    spdlog::set_default_logger(logger);
    spdlog::set_level(verbosity < 0 ? spdlog::level::err
                      : verbosity == 0 ? spdlog::level::warn
                      : verbosity == 1 ? spdlog::level::info
                                       : spdlog::level::debug);
}

int report(const Error &e) {
    std::string msg = e.message;
    for (auto &c : msg)
        if (c == '\n') c = ' ';
    if (logging_to_journal) {
        // Under systemd the error is a journal entry at priority err, with the command's fields.
        spdlog::error("error: {}", msg);
        if (!e.hint.empty()) spdlog::info("hint: {}", e.hint);
        return exit_code_for(e.code);
    }
    std::cerr << "error: " << msg << "\n";
    if (!e.hint.empty()) std::cerr << "hint: " << e.hint << "\n";
    return exit_code_for(e.code);
}

// A command whose output did not reach its reader (a full disk, a pipe whose reader quit:
// SIGPIPE no longer ends ilvm) did not succeed: a script must not take a cut listing as whole.
int with_output_written(int exit_code) {
    errno = 0;
    if (std::fflush(stdout) == 0 && std::ferror(stdout) == 0) return exit_code;
    const std::string why = errno != 0 ? std::strerror(errno) : "a write failed";
    if (exit_code != kExitOk) return exit_code;   // the command's own error was already said
    return report(system_error("cannot write the output: " + why, "see where the standard output goes"));
}

}  // namespace

int main(int argc, char **argv) {
    if (Status pipes = ignore_broken_pipes(); !pipes.ok()) return report(pipes.error());
    std::vector<std::string> args(argv + 1, argv + argc);
    int verbosity = 0;
    size_t i = 0;
    for (; i < args.size() && args[i].size() > 1 && args[i][0] == '-'; ++i) {
        const auto &a = args[i];
        if (a == "-v" || a == "--verbose") ++verbosity;
        else if (a == "-vv") verbosity += 2;
        else if (a == "-q" || a == "--quiet") verbosity = -1;
        else if (a == "-h" || a == "--help") {
            print_help(std::cout);
            return kExitOk;
        } else if (a == "-V" || a == "--version") {
            std::cout << "ilvm " << ILVM_VERSION << "\n";
            return kExitOk;
        } else {
            return report(invalid_input("unknown option " + a, "see ilvm --help"));
        }
    }
    setup_logging(verbosity);
    if (i >= args.size()) {
        print_help(std::cerr);
        return kExitInvalid;
    }
    const std::string verb = args[i];
    std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
    if (verb == "help") {
        // virsh's `help [COMMAND]`.
        if (rest.empty()) {
            print_help(std::cout);
            return kExitOk;
        }
        if (rest.size() > 1) return report(invalid_input("help takes one command", "usage: ilvm help [<command>]"));
        const Verb *v = find_verb(rest[0]);
        if (!v) return report(invalid_input("unknown command '" + rest[0] + "'", "see ilvm help"));
        std::cout << verb_help(v->spec);
        return kExitOk;
    }
    for (const auto &v : verbs()) {
        if (v.spec.name != verb) continue;
        for (const auto &a : rest) {
            if (a == "--") break;   // what follows is positional: a domain may be named --help
            if (a == "--help" || a == "-h") {
                std::cout << verb_help(v.spec);
                return kExitOk;
            }
        }
        auto parsed = Args::parse(v.spec, rest);
        if (!parsed.ok()) return report(parsed.error());
        // The volume is "vol" in most verbs, "name" in vol-create-as.
        std::string volume = parsed->get("vol");
        if (volume.empty() && verb.rfind("vol-", 0) == 0) volume = parsed->get("name");
        *log_fields = LogFields{parsed->get("pool"), volume, parsed->get("domain")};
        Context ctx;
        // Before a verb reads a definition or run state: directories others could write to are
        // refused (host/core/pool_store.hpp). host-setup and host-validate read none.
        if (v.spec.name != "host-setup" && v.spec.name != "host-validate") {
            if (Status dirs = ctx.store.check_directories(); !dirs.ok()) return report(dirs.error());
        }
        // A pool is named by its name or its UUID, as in virsh; the verbs see the name.
        if (auto pool = parsed->opt("pool")) parsed->set("pool", pool_by_name_or_uuid(ctx.store, *pool));
        ctx.module_options = host::module_options_from_env();
        ctx.interactive = ::isatty(STDIN_FILENO) != 0;
        auto interrupt_fd = install_interrupt_handlers();
        if (!interrupt_fd.ok()) return report(interrupt_fd.error());
        ctx.module_options["interrupt_fd"] = std::to_string(*interrupt_fd);
        std::unique_ptr<TransferProgress> progress;
        if (parsed->flag("progress")) {
            const ProgressStyle style = parsed->flag("json")                ? ProgressStyle::json
                                        : ::isatty(STDERR_FILENO) != 0 ? ProgressStyle::terminal
                                                                       : ProgressStyle::log;
            auto started = TransferProgress::start(std::cerr, style);
            if (!started.ok()) return report(started.error());
            progress = std::move(*started);
            ctx.module_options["progress_fd"] = std::to_string(progress->write_fd());
            ctx.progress = progress.get();
        }
        Status st = v.run(ctx, *parsed);
        if (progress) progress->finish();   // its last line before the verb's error, if any
        if (interrupted()) {
            // What the verb made is undone (the backend's rollback); say that it did not finish.
            Error e = st.ok() ? system_error("interrupted") : st.take_error();
            if (e.message.find("interrupted") == std::string::npos) e.message = "interrupted: " + e.message;
            e.hint = "the command stopped and undid what it had made; run it again";
            return report(e);
        }
        if (!st.ok()) return report(st.error());
        return kExitOk;
    }
    return report(invalid_input("unknown command '" + verb + "'", "see ilvm --help"));
}

}  // namespace ilvm::cli

int main(int argc, char **argv) { return ilvm::cli::with_output_written(ilvm::cli::main(argc, argv)); }
