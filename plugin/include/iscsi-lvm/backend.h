// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * iscsi-lvm backend module ABI.
 *
 * A host (the ilvm CLI, the libvirt qemu hook) dlopen()s iscsi-lvm.so and calls
 *
 *     const ilvm_backend_ops *ilvm_backend_register(uint32_t host_abi_version);
 *
 * The module returns NULL when it cannot serve host_abi_version; the host must also refuse
 * a table whose abi_version it does not know. Callbacks are named and shaped after
 * libvirt's storage backend contract (virStorageBackend: checkPool, startPool, buildPool,
 * refreshPool, stopPool, deletePool, createVol, buildVol, buildVolFrom, refreshVol,
 * deleteVol, resizeVol, wipeVol, uploadVol, downloadVol) plus activate/deactivate for the
 * hook. Pools and volumes cross the ABI as libvirt-format XML strings; every call returns
 * an ilvm_status and fills an ilvm_reply, which the host releases with reply_clear().
 *
 * Compatibility rule: ILVM_BACKEND_ABI_VERSION changes whenever a callback's meaning or
 * signature changes (version 1 is still pre-release: it is frozen by the first release).
 * Appending callbacks at the end of the table, with `size` grown, does not change the
 * version. Hosts refuse a module whose table ends before rejoin_pool (what every verb and
 * the hook call); a field appended after it is used only when the module's table holds it
 * (ILVM_BACKEND_OPS_HAS), and a verb that needs a missing one is refused by the host, naming
 * the module's version. A larger table is fine.
 */
#ifndef ISCSI_LVM_BACKEND_H
#define ISCSI_LVM_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ILVM_BACKEND_ABI_VERSION 1u
#define ILVM_BACKEND_REGISTER_SYMBOL "ilvm_backend_register"
#define ILVM_BACKEND_MODULE_NAME "iscsi-lvm.so"

/* Error classes (and the CLI's exit codes are derived from them). */
typedef enum {
    ILVM_OK = 0,
    ILVM_ERR_INVALID = 1,    /* malformed XML, bad name/size, refused option */
    ILVM_ERR_NOT_FOUND = 2,  /* no such pool / volume / device / secret */
    ILVM_ERR_CONFLICT = 3,   /* in use, active on another host, not empty, exists */
    ILVM_ERR_SYSTEM = 4,     /* a command or the host failed underneath */
    ILVM_ERR_INTERNAL = 5    /* bug or ABI misuse */
} ilvm_status;

/* Filled by every callback; strings are NUL-terminated, owned by the module, NULL when
 * absent. Release with ops->reply_clear(). */
typedef struct ilvm_reply {
    int code;          /* an ilvm_status */
    char *message;     /* one line, no secret */
    char *hint;        /* optional: what the user can do */
    char *xml;         /* main result: pool or volume XML */
    char *extra_xml;   /* refresh_pool: <volumes> with one <volume> per LV */
} ilvm_reply;

typedef struct ilvm_option {
    const char *key;
    const char *value;
} ilvm_option;

/* Flags */
#define ILVM_BUILD_OVERWRITE        (1u << 0)  /* build: destroy existing signatures */
#define ILVM_BUILD_KEEP_STARTED     (1u << 1)  /* build: stay logged in, lockspace started */
#define ILVM_KEEP_SESSION           (1u << 2)  /* stop/delete/forget_pool: another pool on this
                                                  host uses the same target session/record */
#define ILVM_BUILD_FROM_LINKED      (1u << 0)  /* build_vol_from: a linked clone (issue 18): a qcow2
                                                  overlay on the source, which becomes a
                                                  read-only template. Only when the module's
                                                  build_vol_from_flags has it; a module refuses
                                                  flags it does not know (ILVM_ERR_INVALID). */
#define ILVM_DELETE_VOL_WIPE        (1u << 0)  /* delete_vol: zero before removing */
#define ILVM_DELETE_VOL_NO_WIPE     (1u << 1)  /* delete_vol: override the pool default */
#define ILVM_DELETE_VOL_SNAPSHOTS   (1u << 2)  /* delete_vol: a qcow2 volume with snapshots is
                                                  deleted with every snapshot layer (without it:
                                                  ILVM_ERR_CONFLICT naming them). A module
                                                  without snapshots ignores it. */
#define ILVM_RESIZE_ALLOW_SHRINK    (1u << 0)
#define ILVM_RESIZE_ALLOCATION      (1u << 1)  /* resize_vol of a qcow2 volume: `capacity` is the
                                                  size its LV should reach (the image is left as
                                                  it is); ilvmd's growth of a running guest's disk */
#define ILVM_ACTIVATE_SHARED        (1u << 0)  /* activate_vol: -asy instead of -aey */
#define ILVM_ACTIVATE_NO_LEASE_READ (1u << 1)  /* activate_vol: for a loop that tries again in a
                                                  moment: a lock refusal is answered at once
                                                  (conflict, "another host holds its lock"),
                                                  without reading the sanlock leases to name
                                                  the holder or to retry; a volume active here
                                                  is converted by lvchange alone, without asking
                                                  lvmlockd its mode first. A module without it
                                                  reads them, as before. */
#define ILVM_DEACTIVATE_AFTER_USE   (1u << 2)  /* deactivate_vol: the domain that used the volume
                                                  has stopped (the qemu hook's release). This
                                                  module looks at every volume found open again
                                                  once udev has settled (its probe of a device
                                                  closed after writing), so the flag changes
                                                  nothing here; still accepted. An older module
                                                  refuses at once without it. */
#define ILVM_REFRESH_VOL_FIND_HOLDER (1u << 0) /* refresh_vol: read sanlock leases to name the
                                                  host holding an inactive volume */
#define ILVM_REFRESH_VOL_NO_VG_LOCK (1u << 1)  /* refresh_vol: lvs --nolocking (this host's view,
                                                  no VG lock): for polls that must not compete
                                                  with another host's lock requests */
#define ILVM_REUSE_LVS_REPORT       (1u << 8)  /* activate_vol, deactivate_vol: reuse the `lvs --nolocking`
                                                  of the pool's VG that an earlier call of this
                                                  instance read, unless that call changed this
                                                  volume (then read it again). For one hook call
                                                  holding every volume's host lock: one lvs per
                                                  pool, not per disk. A module without it reads
                                                  lvs each time, as before. */
#define ILVM_RECONCILE_DRY_RUN      (1u << 0)  /* reconcile_pool: run only lvs, change nothing */
#define ILVM_RECONCILE_REMOVE_INCOMPLETE (1u << 1) /* reconcile_pool: lvremove volumes tagged
                                                  ilvm_incomplete that nobody here works on */
#define ILVM_DIAGNOSE_FIX           (1u << 0)  /* diagnose_pool: lvchange -an each LV whose lock is
                                                  held here while it is not active here, unless a
                                                  domain here uses it; nothing else */

/* snapshot_vol's actions (issue 18). */
#define ILVM_SNAPSHOT_LIST          0u
#define ILVM_SNAPSHOT_CREATE        1u
#define ILVM_SNAPSHOT_REVERT        2u
#define ILVM_SNAPSHOT_DELETE        3u
/* A running domain's snapshot (issue 18), in three calls around libvirt's disk-only external
 * snapshot, which `ilvm` asks for in between (the module never calls libvirt). The volume's
 * top is active and open here; no LV is renamed (libvirt keeps every path of the disk's
 * chain in the domain's XML). LIVE_BEGIN: a new top LV, created locked and tagged
 * incomplete, holds an empty qcow2 overlay on the volume's LV; reply->xml <live-snapshot
 * pool='P' volume='V' snapshot='S' top='N' path='/dev/VG/N'/>. LIVE_COMMIT (after libvirt
 * switched the disk to N): the volume's LV becomes the read-only layer of snapshot S of
 * volume N, its layers N's, N complete. LIVE_ABORT (libvirt refused): N removed. */
#define ILVM_SNAPSHOT_LIVE_BEGIN    4u
#define ILVM_SNAPSHOT_LIVE_COMMIT   5u
#define ILVM_SNAPSHOT_LIVE_ABORT    6u

typedef struct ilvm_backend ilvm_backend;  /* opaque module instance */

typedef struct ilvm_backend_ops {
    uint32_t abi_version;     /* ILVM_BACKEND_ABI_VERSION of the module */
    uint32_t size;            /* sizeof(ilvm_backend_ops) in the module */
    const char *type;         /* "iscsi-lvm" */
    const char *module_version;

    /* Options (all optional): "libvirt_uri" (secret store, default qemu:///system),
     * "iscsi_nodes_dir" (/var/lib/iscsi/nodes and /etc/iscsi/nodes), "device_timeout_ms" (30000),
     * "command_wrapper" (test harnesses only: argv[0] of every command is prefixed),
     * "interrupt_fd" (a pipe's read end: a byte there stops the running command, so the call
     * fails and rolls back what it made; the host writes it from its SIGINT/SIGTERM handler). */
    ilvm_backend *(*open)(const ilvm_option *options, size_t n_options, ilvm_reply *reply);
    void (*close)(ilvm_backend *b);
    void (*reply_clear)(ilvm_reply *reply);

    /* Validation: returns canonical XML (defaults filled in). */
    int (*parse_pool)(ilvm_backend *b, const char *pool_xml, ilvm_reply *reply);
    int (*parse_vol)(ilvm_backend *b, const char *vol_xml, ilvm_reply *reply);

    /* Pools. start/build return the (possibly updated: pinned VG UUID) pool XML. */
    int (*check_pool)(ilvm_backend *b, const char *pool_xml, int *is_active, ilvm_reply *reply);
    int (*start_pool)(ilvm_backend *b, const char *pool_xml, unsigned int flags, ilvm_reply *reply);
    int (*build_pool)(ilvm_backend *b, const char *pool_xml, unsigned int flags, ilvm_reply *reply);
    int (*refresh_pool)(ilvm_backend *b, const char *pool_xml, ilvm_reply *reply);
    int (*stop_pool)(ilvm_backend *b, const char *pool_xml, unsigned int flags, ilvm_reply *reply);
    int (*delete_pool)(ilvm_backend *b, const char *pool_xml, unsigned int flags, ilvm_reply *reply);
    int (*forget_pool)(ilvm_backend *b, const char *pool_xml, unsigned int flags, ilvm_reply *reply);

    /* Volumes. Results are volume XML in reply->xml. */
    int (*create_vol)(ilvm_backend *b, const char *pool_xml, const char *vol_xml, unsigned int flags, ilvm_reply *reply);
    int (*build_vol)(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int flags, ilvm_reply *reply);
    int (*build_vol_from)(ilvm_backend *b, const char *pool_xml, const char *vol_xml, const char *source_vol_name,
                          unsigned int flags, ilvm_reply *reply);
    int (*refresh_vol)(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int flags,
                       ilvm_reply *reply);
    int (*delete_vol)(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int flags, ilvm_reply *reply);
    int (*resize_vol)(ilvm_backend *b, const char *pool_xml, const char *vol_name, uint64_t capacity,
                      unsigned int flags, ilvm_reply *reply);
    int (*wipe_vol)(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int algorithm,
                    unsigned int flags, ilvm_reply *reply);
    int (*upload_vol)(ilvm_backend *b, const char *pool_xml, const char *vol_name, const char *src_path,
                      uint64_t offset, uint64_t length, unsigned int flags, ilvm_reply *reply);
    /* dst_path must exist: the caller creates it with the mode it wants; the module writes
     * into it without following a symlink, creating or truncating it. */
    int (*download_vol)(ilvm_backend *b, const char *pool_xml, const char *vol_name, const char *dst_path,
                        uint64_t offset, uint64_t length, unsigned int flags, ilvm_reply *reply);

    /* Activation (the qemu hook, vol-activate / vol-deactivate). On success reply->xml is
     * the volume as found *before* the call: its <activation> tells the caller whether the
     * call changed anything (what a rollback must undo) without another lvs. */
    int (*activate_vol)(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int flags,
                        ilvm_reply *reply);
    int (*deactivate_vol)(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int flags,
                          ilvm_reply *reply);

    /* Appended after the first table (hosts built with it need a module this large).
     *
     * The reconciler: one lvs of the pool's VG, then `lvchange --setactivationskip y
     * --setautoactivation n` on every LV lacking either, and `lvchange -an` on LVs active on
     * this host that are not open, not in use and listed as settled. state_xml (may be NULL):
     * <reconcile><in-use volume='V'/>…<settled volume='V'/>…<busy volume='V'/>…</reconcile>, which the host
     * derives from libvirt's status files and its own idle bookkeeping. reply->xml:
     * <reconcile pool='P'><step volume='V' action='set-flags|deactivate|idle|keep'
     * result='planned|done|failed' reason='…' [error='…']/>…</reconcile>. A failed step does
     * not fail the call; flags: ILVM_RECONCILE_DRY_RUN. Never called by the qemu hook. */
    int (*reconcile_pool)(ilvm_backend *b, const char *pool_xml, const char *state_xml, unsigned int flags,
                          ilvm_reply *reply);

    /* Appended after reconcile_pool (`ilvm doctor`, issue 15): checks of a started pool on
     * this host, read-only: lvmlockd's lockspace (lvmlockctl -i, sanlock client status), the
     * iSCSI session, one lvs --nolocking, the VG's metadata area (vgs), lvm's global lock.
     * state_xml as reconcile_pool's (<in-use>: volumes domains here use; <busy>: skipped).
     * reply->xml: <diagnosis pool='P'><finding check='…' severity='ok|warn|fail' [volume='V']
     * what='…' [fix='…'] [applied='done|failed' [error='…']]/>…</diagnosis>.
     * flags: ILVM_DIAGNOSE_FIX. Never called by the qemu hook. */
    int (*diagnose_pool)(ilvm_backend *b, const char *pool_xml, const char *state_xml, unsigned int flags,
                         ilvm_reply *reply);

    /* Appended after diagnose_pool (`ilvm pool-info`, issue 16): refresh_pool's two documents,
     * each <volume> also saying where it is: <activation state='exclusive|shared'> from this
     * host's lock (one lvmlockctl -i) and <holder> for one held by another host (one sanlock
     * direct dump over the whole lease area), as refresh_vol with ILVM_REFRESH_VOL_FIND_HOLDER
     * says of one volume; <volumes metadata_size='B' metadata_free='B'> gives the VG's
     * metadata area (vgs vg_mda_size, vg_mda_free) when vgs could say. At most five commands
     * whatever the number of volumes. flags: none yet (pass 0). */
    int (*inspect_pool)(ilvm_backend *b, const char *pool_xml, unsigned int flags, ilvm_reply *reply);

    /* Appended after inspect_pool (`ilvm lease-lost`, issue 19): storage-loss fencing on this
     * host, for the command lvmlockctl --kill runs when the VG's lease cannot be renewed. One
     * `dmsetup info` lists the device-mapper devices; each device of the pool's VG but
     * lvmlockd's lease LV (lvmlock) gets the error target in place of its table (`dmsetup
     * wipe_table --noflush --nolockfs`), so every later I/O to the volume fails at once.
     * reply->xml: <fencing pool='P' vg='VG'><device name='DM' volume='V' open='N'
     * result='wiped|failed' [error='…']/>…</fencing>. A failed wipe does not fail the call
     * (the others are still wiped); a failed listing does. flags: none yet (pass 0). Never
     * called by the qemu hook. */
    int (*fence_pool)(ilvm_backend *b, const char *pool_xml, unsigned int flags, ilvm_reply *reply);

    /* Appended after fence_pool (`ilvm pool-rejoin`, issue 19): the way back after fence_pool,
     * once the LUN answers again; sanlock pools only (another lock type: ILVM_ERR_INVALID,
     * nothing run). The lockspace: `sanlock client status -D`; still being joined or left:
     * ILVM_ERR_CONFLICT, nothing changed; gone: `lvmlockctl --drop VG` then `vgchange
     * --lock-start VG` as start_pool does. Then, for the volumes of request_xml, one lvs, two
     * `sanlock direct dump`s (the delta leases, then the volumes' leases) and one `dmsetup
     * info`; then each volume, in the request's order: with take_back='yes' and a lease that
     * still names this host from before the loss (this host_id, an older generation: nobody
     * acquired it since), `lvchange -aey -K VG/V`, a dump of its lease (this host_id, this
     * generation, lver one more, or the volume is failed: the lease changed hands meanwhile)
     * and `lvchange --refresh VG/V` (its real table again); any other: its device removed
     * (`dmsetup remove`, or `lvchange -an` when this host locked it since the rejoin), unless
     * it is open (in-use, nothing run).
     * request_xml (NULL or "": no volume, the lockspace alone):
     * <rejoin><volume name='V' take_back='yes|no'/>…</rejoin>.
     * reply->xml: <rejoin pool='P' vg='VG' lockspace='started|joined'><volume name='V'
     * result='taken-back|released|in-use|failed' [holder_id='N'] [holder_name='H']
     * [detail='…']/>…</rejoin>; holder: another host holding the volume's lease now. A
     * volume's failure does not fail the call; the lockspace and the listings do.
     * flags: none yet (pass 0). Never called by the qemu hook. */
    int (*rejoin_pool)(ilvm_backend *b, const char *pool_xml, const char *request_xml, unsigned int flags,
                       ilvm_reply *reply);

    /* Appended after rejoin_pool (`ilvm vol-snapshot-*`, issue 18): the snapshots of a qcow2
     * volume, offline (the volume inactive here and its lock free on every host; a raw
     * volume: ILVM_ERR_INVALID; active here: ILVM_ERR_CONFLICT, "stop the domain first").
     * action ILVM_SNAPSHOT_LIST: one lvs. CREATE (`snapshot`, `description` may be NULL):
     * the volume's LV becomes a read-only layer (lvrename, tags) and a new LV of the
     * volume's name, created locked, holds an empty qcow2 overlay on it. REVERT: the
     * volume's top becomes an empty overlay on the snapshot's layer. DELETE: each image
     * backed by the layer is rebased onto the layer's parent (qemu-img rebase), then the
     * layer removed. Every change takes the volume's lock (its top `lvchange -aey -K`) and
     * plans from an lvs read under it. reply->xml: LIST only, <snapshots pool='P' volume='V'
     * capacity='B' allocation='B' [backing='S']><snapshot name='S' lv='LV' capacity='B'
     * allocation='B' current='yes|no' [created='UNIX'] [backing='S'] [description='…']/>…
     * </snapshots>. flags: none yet (pass 0). Never called by the qemu hook. */
    int (*snapshot_vol)(ilvm_backend *b, const char *pool_xml, const char *vol_name, unsigned int action,
                        const char *snapshot, const char *description, unsigned int flags, ilvm_reply *reply);

    /* Appended after snapshot_vol (linked clones, issue 18): the build_vol_from flags this
     * module knows (ILVM_BUILD_FROM_LINKED). Modules before it ignored build_vol_from's
     * flags, so a linked clone asked of one would have been a full copy: a host asks a
     * linked clone only of a module whose table holds this field (ILVM_BACKEND_OPS_HAS) and
     * names the flag here. Modules from this one on refuse any other bit. */
    uint32_t build_vol_from_flags;

    /* Appended after build_vol_from_flags: the snapshot_vol actions this module knows, one
     * bit per action ((1u << ILVM_SNAPSHOT_LIVE_BEGIN) | …). A module before it knows LIST,
     * CREATE, REVERT and DELETE, and answers any other action with ILVM_ERR_INTERNAL; a host
     * asks a running domain's snapshot only of a module that names the LIVE_* actions here. */
    uint32_t snapshot_actions;
} ilvm_backend_ops;

/* Whether the module's table (`ops`, an ilvm_backend_ops) holds `field`: appended fields
 * beyond an older module's `size` are not there to read. */
#define ILVM_BACKEND_OPS_HAS(ops, field) \
    ((ops).size >= offsetof(ilvm_backend_ops, field) + sizeof((ops).field))

typedef const ilvm_backend_ops *(*ilvm_backend_register_fn)(uint32_t host_abi_version);

const ilvm_backend_ops *ilvm_backend_register(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* ISCSI_LVM_BACKEND_H */
