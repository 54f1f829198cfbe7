// SPDX-License-Identifier: LGPL-2.1-or-later
// State shared by every verb: the pool store, the (lazily loaded) backend module, and the
// user's terminal for confirmations.
#pragma once

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/interrupts.hpp"
#include "cli/transfer_progress.hpp"
#include "cli/ui/args.hpp"
#include "common/clock.hpp"
#include "common/file_lock.hpp"
#include "host/core/backend_client.hpp"
#include "host/core/pool_store.hpp"
#include "host/core/volume_lock.hpp"
#include "host/libvirt/mirror_pool.hpp"

namespace ilvm::cli {

// How long a verb waits for another one's pool or volume lock unless told otherwise.
inline constexpr std::chrono::seconds kDefaultWait{300};

struct Context {
    host::PoolStore store = host::PoolStore::from_environment();
    InterruptibleClock clock;   // a lock wait ends on Ctrl-C
    std::map<std::string, std::string> module_options;
    std::optional<host::BackendClient> module;
    bool interactive = false;   // stdin is a terminal: destructive verbs may prompt
    std::istream *in = &std::cin;
    std::ostream *out = &std::cout;

    std::unique_ptr<host::MirrorPool> mirror_pool;   // libvirt, opened on first use; tests may inject
    // --progress of a copying verb (cli/transfer_progress.hpp), or nullptr.
    TransferProgress *progress = nullptr;

    Result<host::BackendClient *> backend();
    // This host's libvirt: ILVM_LIBVIRT_URI (module option libvirt_uri), else qemu:///system.
    std::string libvirt_uri() const;
    // The libvirt mirror pool API on libvirt_uri().
    host::MirrorPool &mirror();
    // The pool's persistent XML, or not_found.
    Result<std::string> pool_xml(const std::string &name);
    // The definition a started pool runs with (its run-state copy: a redefinition takes
    // effect at the next start); refuses (conflict class) when the pool is not started here.
    Result<std::string> active_pool_xml(const std::string &name);
    // The pools a per-pool pass (reconcile, doctor) covers: the one named by `pool` (refused
    // as active_pool_xml refuses when it is not started here), else every pool started here.
    Result<std::vector<std::string>> started_pools(const Args &args);
    // --wait SECONDS (default kDefaultWait) or --no-wait: how long a verb waits for a lock.
    Result<std::chrono::milliseconds> wait(const Args &args) const;
    // The pool's lock (host/core/pool_store.hpp), waiting as `args` say; a wait is announced
    // on a terminal (and at -v in the log).
    Result<FileLock> lock_pool(const Args &args, const std::string &name, LockMode mode);
    // A volume's lock for `operation` (the verb), likewise.
    Result<host::VolumeLock> lock_volume(const Args &args, const host::VolumeRef &v, const std::string &operation);
    // Says what a verb waits for: on a terminal to stderr, always to the log at info.
    void announce_wait(const std::string &what) const;
    // Asks the user to type `expected` (or checks --confirm) before a destructive step.
    Status confirm(const Args &args, const std::string &expected, const std::string &what);
};

// Verb implementations; each returns Status and prints its own success output.
Status pool_define(Context &, const Args &);
Status pool_define_as(Context &, const Args &);
Status pool_edit(Context &, const Args &);
Status pool_undefine(Context &, const Args &);
Status pool_build(Context &, const Args &);
Status pool_start(Context &, const Args &);
Status pool_destroy(Context &, const Args &);
Status pool_delete(Context &, const Args &);
Status pool_refresh(Context &, const Args &);
Status pool_list(Context &, const Args &);
Status pool_info(Context &, const Args &);
Status pool_dumpxml(Context &, const Args &);
Status pool_autostart(Context &, const Args &);
Status pool_autostart_all(Context &, const Args &);
Status pool_destroy_all(Context &, const Args &);
Status mirror_sync(Context &, const Args &);
Status reconcile(Context &, const Args &);
Status migrate(Context &, const Args &);
Status migrate_finish(Context &, const Args &);

Status vol_create(Context &, const Args &);
Status vol_create_as(Context &, const Args &);
Status vol_create_from(Context &, const Args &);
Status vol_clone(Context &, const Args &);
Status vol_delete(Context &, const Args &);
Status vol_wipe(Context &, const Args &);
Status vol_resize(Context &, const Args &);
Status vol_list(Context &, const Args &);
Status vol_info(Context &, const Args &);
Status vol_dumpxml(Context &, const Args &);
Status vol_path(Context &, const Args &);
Status vol_upload(Context &, const Args &);
Status vol_download(Context &, const Args &);
Status vol_activate(Context &, const Args &);
Status vol_deactivate(Context &, const Args &);
Status vol_snapshot_create(Context &, const Args &);
Status vol_snapshot_list(Context &, const Args &);
Status vol_snapshot_revert(Context &, const Args &);
Status vol_snapshot_delete(Context &, const Args &);

Status host_setup(Context &, const Args &);
Status host_validate(Context &, const Args &);

}  // namespace ilvm::cli
