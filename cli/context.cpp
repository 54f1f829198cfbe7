// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/context.hpp"

#include <cctype>
#include <string>
#include <unistd.h>

#include "common/log.hpp"
#include "common/names.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"
#include "host/libvirt/libvirt_mirror_pool.hpp"

namespace ilvm::cli {

Result<host::BackendClient *> Context::backend() {
    if (!module) {
        auto m = host::BackendClient::load(module_options);
        if (!m.ok()) return m.take_error();
        module.emplace(std::move(m).value());
    }
    return &*module;
}

std::string Context::libvirt_uri() const {
    auto uri = module_options.find("libvirt_uri");
    return uri != module_options.end() ? uri->second : "qemu:///system";
}

host::MirrorPool &Context::mirror() {
    if (!mirror_pool) mirror_pool = host::make_libvirt_mirror_pool(libvirt_uri());
    return *mirror_pool;
}

Result<std::string> Context::pool_xml(const std::string &name) {
    ILVM_TRY(validate_pool_name(name));
    return store.load(name);
}

Result<std::vector<std::string>> Context::started_pools(const Args &args) {
    std::vector<std::string> pools;
    if (auto only = args.opt("pool")) {
        ILVM_TRY(active_pool_xml(*only));
        pools.push_back(*only);
    } else {
        for (const auto &name : store.names())
            if (store.active(name)) pools.push_back(name);
    }
    return pools;
}

Result<std::string> Context::active_pool_xml(const std::string &name) {
    ILVM_TRY(pool_xml(name));  // defined (and a valid name)
    if (!store.active(name))
        return conflict("pool '" + name + "' is not active on this host", "start it with ilvm pool-start " + name);
    return store.load_runtime(name);
}

Result<std::chrono::milliseconds> Context::wait(const Args &args) const {
    if (args.flag("no-wait")) {
        if (args.opt("wait")) return invalid_input("--wait and --no-wait are mutually exclusive");
        return std::chrono::milliseconds(0);
    }
    auto given = args.opt("wait");
    if (!given) return std::chrono::duration_cast<std::chrono::milliseconds>(kDefaultWait);
    ILVM_ASSIGN_OR_RETURN(uint64_t seconds, parse_number(*given, 0, 86400, "--wait"));
    return std::chrono::milliseconds(seconds * 1000);
}

void Context::announce_wait(const std::string &what) const {
    spdlog::info("waiting for {}", what);
    if (::isatty(STDERR_FILENO)) std::cerr << "ilvm: waiting for " << what << "...\n";
}

Result<FileLock> Context::lock_pool(const Args &args, const std::string &name, LockMode mode) {
    ILVM_ASSIGN_OR_RETURN(auto wait_for, wait(args));
    // What holds the pool up: the work on its volumes here, if that is what it is.
    auto busy = [&] {
        std::vector<std::string> what;
        for (const auto &[vol, h] : host::VolumeLock::held_in_pool(store, name)) what.push_back(h.operation + " on " + vol);
        return join(what, ", ");
    };
    auto lock = store.lock(name, mode, clock, wait_for, [&] {
        const std::string b = busy();
        announce_wait((b.empty() ? "another ilvm command" : b) + " (pool " + name + ")");
    });
    if (lock.ok()) return lock;
    Error e = lock.take_error();
    if (const std::string b = busy(); !b.empty()) e.message += " (" + b + ")";
    return e;
}

Result<host::VolumeLock> Context::lock_volume(const Args &args, const host::VolumeRef &v, const std::string &operation) {
    ILVM_ASSIGN_OR_RETURN(auto wait_for, wait(args));
    return host::VolumeLock::acquire(store, v, operation, /*domain=*/false, clock, wait_for,
                                     [&](const host::VolumeLockHolder &h) {
                                         announce_wait(h.operation + " on volume " + v.display());
                                     });
}

Status Context::confirm(const Args &args, const std::string &expected, const std::string &what) {
    if (auto given = args.opt("confirm")) {
        if (*given == expected) return {};
        return invalid_input("--confirm '" + *given + "' does not match pool name '" + expected + "'");
    }
    if (!interactive)
    {
        std::string lowered = what;
        if (!lowered.empty()) lowered[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(lowered[0])));
        return invalid_input("confirmation needed: " + lowered, "pass --confirm " + expected + " when running non-interactively");
    }
    *out << what << ".\nType the pool name (" << expected << ") to confirm: " << std::flush;
    std::string line;
    if (!std::getline(*in, line)) return invalid_input("no confirmation given");
    if (line != expected) return invalid_input("confirmation '" + line + "' does not match pool name '" + expected + "'");
    return {};
}

}  // namespace ilvm::cli
