// SPDX-License-Identifier: LGPL-2.1-or-later
#include "lvm/lvm_argv.hpp"

namespace ilvm::lvm {
namespace {

std::string bytes_arg(uint64_t bytes) { return std::to_string(bytes) + "b"; }
std::string vg_lv(const std::string &vg, const std::string &lv) { return vg + "/" + lv; }

Command report(const char *tool, const std::string &fields, const std::string &target) {
    return Command{tool, "--reportformat", "json", "--units", "b", "--nosuffix", "--binary", "-o", fields, target};
}

}  // namespace

constexpr const char *kVgFields =
    "vg_name,vg_uuid,vg_size,vg_free,vg_extent_size,vg_extent_count,vg_free_count,lv_count,vg_lock_type,vg_lock_args";

Command vgs_report(const std::string &vg) { return report("vgs", kVgFields, vg); }

Command vgs_mda_report(const std::string &vg) { return report("vgs", "vg_name,vg_mda_free,vg_mda_size", vg); }

Command vgs_report_with_mda(const std::string &vg) {
    return report("vgs", std::string(kVgFields) + ",vg_mda_free,vg_mda_size", vg);
}

constexpr const char *kLvFields =
    "lv_name,lv_uuid,lv_size,lv_path,lv_active_locally,lv_active_exclusively,lv_device_open,"
    "lv_skip_activation,lv_autoactivation,lv_lockargs,lv_tags";

Command lvs_report(const std::string &vg) { return report("lvs", kLvFields, vg); }

Command lvs_report_with_space(const std::string &vg) {
    return report("lvs", std::string(kLvFields) + ",vg_free,vg_extent_size", vg);
}

Command lvs_report_unlocked(const std::string &vg) {
    auto c = lvs_report(vg);
    c.argv.insert(c.argv.begin() + 1, "--nolocking");
    return c;
}

Command lvs_report_one(const std::string &vg, const std::string &lv) {
    auto c = lvs_report(vg);
    c.argv.back() = vg_lv(vg, lv);
    return c;
}

Command lvs_report_one_with_space(const std::string &vg, const std::string &lv) {
    auto c = lvs_report_with_space(vg);
    c.argv.back() = vg_lv(vg, lv);
    return c;
}

Command pvs_report(const std::string &device) { return report("pvs", "pv_name,pv_uuid,vg_name,vg_uuid", device); }

Command vgcreate(const std::string &vg, const std::string &device, LockType lock, uint64_t metadata_bytes) {
    Command c{"vgcreate"};
    if (lock != LockType::none) {
        c.argv.insert(c.argv.end(), {"--shared", "--lock-type", lock_type_name(lock)});
    }
    c.argv.insert(c.argv.end(), {"--metadatasize", bytes_arg(metadata_bytes), "--setautoactivation", "n", "--config", kArchiveConfig,
                                 vg, device});
    // sanlock initialises its lease area (1 GiB) on the LUN: slow over iSCSI.
    c.timeout = std::chrono::minutes(10);
    return c;
}

Command vgremove(const std::string &vg) { return Command{"vgremove", vg}; }

Command vg_lock_type_none_forced(const std::string &vg) {
    return Command{"vgchange", "--locktype", "none", "--lockopt", "force", "--yes", vg};
}

Command vgremove_without_lvmlockd(const std::string &vg) {
    return Command{"vgremove", "--force", "--config", "global{use_lvmlockd=0}", vg};
}

Command vg_lock_start(const std::string &vg) {
    Command c{"vgchange", "--lock-start", vg};
    // Joining a sanlock lockspace takes ~20-60 s, and minutes when our host_id's
    // previous lease has to expire first (host crashed without lock-stop).
    c.timeout = std::chrono::minutes(10);
    return c;
}

Command vg_lock_stop(const std::string &vg) { return Command{"vgchange", "--lock-stop", vg}; }

Command lockctl_drop(const std::string &vg) { return Command{"lvmlockctl", "--drop", vg}; }

Command lvcreate(const std::string &vg, const std::string &lv, uint64_t bytes, const std::vector<std::string> &tags) {
    // --zero/--wipesignatures n: the LV is not active, so lvcreate could not clear it
    // anyway; we clear both ends ourselves under an exclusive activation.
    Command c{"lvcreate", "--yes", "--activate", "n", "--zero", "n", "--wipesignatures", "n",
              "--setactivationskip", "y", "--setautoactivation", "n", "--addtag", kIncompleteTag};
    for (const auto &tag : tags) c.argv.insert(c.argv.end(), {"--addtag", tag});
    c.argv.insert(c.argv.end(), {"--name", lv, "--size", bytes_arg(bytes), "--config", kArchiveConfig, vg});
    return c;
}

Command lvcreate_locked(const std::string &vg, const std::string &lv, uint64_t bytes, const std::vector<std::string> &tags) {
    Command c = lvcreate(vg, lv, bytes, tags);
    // lvcreate(): "--yes", "--activate", "n", …: the activation becomes "ey", with -K.
    c.argv[3] = "ey";
    c.argv.insert(c.argv.begin() + 4, "-K");
    return c;
}

Command lvrename(const std::string &vg, const std::string &from, const std::string &to) {
    return Command{"lvrename", "--config", kArchiveConfig, vg_lv(vg, from), vg_lv(vg, to)};
}

Command lv_change_layer(const std::string &vg, const std::string &lv, std::optional<bool> writable,
                        const std::vector<std::string> &add_tags, const std::vector<std::string> &del_tags) {
    Command c{"lvchange"};
    if (writable) c.argv.insert(c.argv.end(), {"--permission", *writable ? "rw" : "r"});
    for (const auto &t : del_tags) c.argv.insert(c.argv.end(), {"--deltag", t});
    for (const auto &t : add_tags) c.argv.insert(c.argv.end(), {"--addtag", t});
    c.argv.insert(c.argv.end(), {"--config", kArchiveConfig, vg_lv(vg, lv)});
    return c;
}

Command lvremove(const std::string &vg, const std::string &lv) {
    return Command{"lvremove", "--yes", "--config", kArchiveConfig, vg_lv(vg, lv)};
}

Command lvextend(const std::string &vg, const std::string &lv, uint64_t bytes) {
    return Command{"lvextend", "--size", bytes_arg(bytes), "--config", kArchiveConfig, vg_lv(vg, lv)};
}

Command lvreduce(const std::string &vg, const std::string &lv, uint64_t bytes) {
    return Command{"lvreduce", "--yes", "--size", bytes_arg(bytes), "--config", kArchiveConfig, vg_lv(vg, lv)};
}

Command lv_activate(const std::string &vg, const std::string &lv, ActivationMode mode) {
    return Command{"lvchange", mode == ActivationMode::exclusive ? "-aey" : "-asy", "-K", vg_lv(vg, lv)};
}

Command lv_deactivate(const std::string &vg, const std::string &lv) { return Command{"lvchange", "-an", vg_lv(vg, lv)}; }

Command lv_refresh(const std::string &vg, const std::string &lv) { return Command{"lvchange", "--refresh", vg_lv(vg, lv)}; }

Command lv_mark_complete(const std::string &vg, const std::string &lv) {
    return Command{"lvchange", "--deltag", kIncompleteTag, "--config", kArchiveConfig, vg_lv(vg, lv)};
}

Command lv_replace_tag(const std::string &vg, const std::string &lv, const std::string &old_tag,
                       const std::string &new_tag) {
    return Command{"lvchange", "--deltag", old_tag, "--addtag", new_tag, "--config", kArchiveConfig, vg_lv(vg, lv)};
}

Command lv_set_skip_flags(const std::string &vg, const std::string &lv) {
    return Command{"lvchange", "--setactivationskip", "y", "--setautoactivation", "n", "--config", kArchiveConfig,
                   vg_lv(vg, lv)};
}

std::string lv_path(const std::string &vg, const std::string &lv) { return "/dev/" + vg + "/" + lv; }

std::string dm_path(const std::string &vg, const std::string &lv) {
    auto mangle = [](const std::string &s) {
        std::string out;
        for (char ch : s) {
            out += ch;
            if (ch == '-') out += '-';
        }
        return out;
    };
    return "/dev/mapper/" + mangle(vg) + "-" + mangle(lv);
}

}  // namespace ilvm::lvm
