// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/host_setup.hpp"

#include <sstream>

#include "cli/hostprep/host_argv.hpp"
#include "cli/hostprep/kill_command.hpp"
#include "cli/hostprep/kv_file.hpp"
#include "cli/hostprep/lvm_conf.hpp"
#include "cli/hostprep/lvmlockd_guard.hpp"
#include "cli/hostprep/multipath_conf.hpp"
#include "cli/hostprep/watchdog.hpp"
#include "common/log.hpp"
#include "common/names.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"

namespace ilvm::cli {
namespace {

// A host file as host-setup found it: its content ("" when missing) and the mode to write it
// back with (its own, so we never loosen or tighten what the admin or the package chose).
struct HostFile {
    bool exists = false;
    std::string content;
    mode_t mode = 0644;
};

Result<HostFile> read_host_file(System &sys, const HostRoot &root, const std::string &path, mode_t new_mode) {
    ILVM_ASSIGN_OR_RETURN(std::optional<std::string> content, read_if_exists(sys, root.at(path)));
    HostFile f;
    f.mode = new_mode;
    if (!content) return f;
    f.exists = true;
    f.content = std::move(*content);
    ILVM_ASSIGN_OR_RETURN(f.mode, sys.file_mode(root.at(path)));
    return f;
}

SetupStep file_step(std::string what, const std::string &path, const HostFile &f,
                    const std::optional<std::string> &new_content) {
    SetupStep s{std::move(what), {}, {}};
    if (new_content && (!f.exists || *new_content != f.content)) s.write = FileWrite{path, *new_content, f.mode};
    return s;
}

Result<SetupStep> lvm_setting_step(const std::string &path, const HostFile &f, const std::string &section,
                                   const std::string &key, const std::string &value) {
    ILVM_ASSIGN_OR_RETURN(ConfEdit edit, set_lvm_conf_value(f.content, section, key, value));
    return file_step(section + "/" + key + " = " + value + " in " + path, path, f,
                     edit.changed ? std::optional<std::string>(edit.text) : std::nullopt);
}

std::string joined(const std::vector<std::string> &words) {
    std::string s;
    for (const auto &w : words) s += (s.empty() ? "" : " ") + w;
    return s;
}

// The kill command's step, on lvm.conf as the use_lvmlockd step leaves it (`base`): both edit
// the one file, so the second write carries the first's change too.
Result<SetupStep> kill_command_step(const HostFile &f, const std::string &base, const HostSetupOptions &opt,
                                    SetupPlan &plan) {
    ILVM_ASSIGN_OR_RETURN(const std::string command, lease_lost_kill_command(opt.cli_path));
    const std::string value = "\"" + command + "\"";
    if (auto old = lvm_conf_value(base, "global", kKillCommandSetting); old && *old != value && *old != "\"\"")
        plan.warnings.push_back(std::string("global/") + kKillCommandSetting + " was " + *old + " in " + kLvmConf +
                                ": replaced by " + value + "; lvmlockctl runs only one kill command");
    ILVM_ASSIGN_OR_RETURN(ConfEdit edit, set_lvm_conf_value(base, "global", kKillCommandSetting, value));
    return file_step(std::string("global/") + kKillCommandSetting + " = " + value + " in " + kLvmConf, kLvmConf, f,
                     edit.changed ? std::optional<std::string>(edit.text) : std::nullopt);
}

// use_lvmlockd, then (unless --no-fence-on-lease-loss) the kill command.
Result<std::vector<SetupStep>> lvm_conf_steps(System &sys, const HostRoot &root, const HostSetupOptions &opt,
                                              bool multipath, SetupPlan &plan) {
    ILVM_ASSIGN_OR_RETURN(HostFile f, read_host_file(sys, root, kLvmConf, 0644));
    if (!f.exists) return not_found(std::string("no ") + kLvmConf, "install lvm2 and lvm2-lockd");
    // Not ours to change (the admin may layer PVs on local LVs), but it breaks the promise
    // that guest PVs stay invisible: say so now, host-validate fails on it.
    if (auto scan = lvm_conf_value(f.content, "devices", "scan_lvs"); scan && *scan != "0")
        plan.warnings.push_back(std::string("devices/scan_lvs = ") + *scan + " in " + kLvmConf +
                                ": LVM on this host would read guest PVs inside volumes; set it to 0");
    // Not ours either; with 0 LVM takes each path of a multipath map for a PV as well.
    if (auto detect = lvm_conf_value(f.content, "devices", kComponentDetection); multipath && detect && *detect == "0")
        plan.warnings.push_back(std::string("devices/") + kComponentDetection + " = 0 in " + kLvmConf +
                                ": LVM on this host would take the paths of a pool's multipath map for PVs; "
                                "set it to 1");
    ILVM_ASSIGN_OR_RETURN(SetupStep lockd, lvm_setting_step(kLvmConf, f, "global", "use_lvmlockd", "1"));
    std::vector<SetupStep> steps{lockd};
    if (opt.fence_on_lease_loss) {
        ILVM_ASSIGN_OR_RETURN(SetupStep kill, kill_command_step(f, lockd.write ? lockd.write->content : f.content, opt, plan));
        steps.push_back(std::move(kill));
    }
    return steps;
}

Result<SetupStep> host_id_step(System &sys, const HostRoot &root, uint32_t host_id, SetupPlan &plan) {
    ILVM_ASSIGN_OR_RETURN(HostFile f, read_host_file(sys, root, kLvmLocalConf, 0644));
    const std::string id = std::to_string(host_id);
    if (auto old = lvm_conf_value(f.content, "local", "host_id"); old && *old != "0" && *old != id)
        plan.warnings.push_back("host_id changes from " + *old + " to " + id +
                                ": pools started on this host keep host_id " + *old +
                                " until ilvm pool-destroy and ilvm pool-start");
    return lvm_setting_step(kLvmLocalConf, f, "local", "host_id", id);
}

Result<SetupStep> sanlock_step(System &sys, const HostRoot &root, bool sanlock_active, SetupPlan &plan) {
    ILVM_ASSIGN_OR_RETURN(HostFile f, read_host_file(sys, root, kSanlockDefaults, 0644));
    SetupStep s = file_step(std::string("sanlock uses the watchdog (sanlock_opts in ") + kSanlockDefaults + ")",
                            kSanlockDefaults, f, sanlock_defaults_with_watchdog(f.content));
    if (s.needed() && sanlock_active)
        plan.warnings.push_back("the running sanlock still has no watchdog: systemctl restart wdmd sanlock "
                                "while no pool is started on this host");
    return s;
}

Result<SetupStep> initiator_step(System &sys, const HostRoot &root, const std::optional<std::string> &wanted) {
    // Debian's iscsid start-up check writes this file with mode 0600: keep that for a new one.
    ILVM_ASSIGN_OR_RETURN(HostFile f, read_host_file(sys, root, kInitiatorNameFile, 0600));
    ILVM_ASSIGN_OR_RETURN(std::optional<std::string> content, initiator_file_with(f.content, wanted));
    std::string name = wanted.value_or(kv_unquote(kv_value(f.content, "InitiatorName").value_or("")));
    if (name.empty()) name = "generated by iscsid";
    return file_step("InitiatorName " + name + " in " + kInitiatorNameFile, kInitiatorNameFile, f, content);
}

Result<SetupStep> hook_step(System &sys, const HostRoot &root, const HostSetupOptions &opt, SetupPlan &plan) {
    // The source is this installation's binary, so it is read outside the root.
    ILVM_ASSIGN_OR_RETURN(std::optional<std::string> binary, read_if_exists(sys, opt.hook_source));
    if (!binary)
        return not_found("the qemu hook binary " + opt.hook_source + " does not exist",
                         "install iscsi-lvm (meson install), or set ILVM_HOOK_BINARY to a built shim/50-iscsi-lvm");
    const std::string dest = opt.hook_dir + "/" + kHookName;
    ILVM_ASSIGN_OR_RETURN(HostFile f, read_host_file(sys, root, dest, 0755));
    SetupStep s{"qemu hook " + dest + " (mode 0755)", {}, {}};
    if (!f.exists || f.content != *binary || f.mode != 0755) s.write = FileWrite{dest, std::move(*binary), 0755};
    if (!f.exists)
        plan.warnings.push_back("restart libvirtd (or virtqemud) so that it runs the new hook: "
                                "libvirt looks for hooks when it starts");
    return s;
}

// systemd reads a new drop-in only on daemon-reload; the restart it guards against must be
// refused from now on, not from the next boot.
Result<SetupStep> lvmlockd_guard_step(System &sys, const HostRoot &root) {
    ILVM_ASSIGN_OR_RETURN(HostFile f, read_host_file(sys, root, kLvmlockdDropIn, 0644));
    SetupStep s = file_step(std::string("lvmlockd refuses a manual stop or restart (") + kLvmlockdDropIn + ")",
                            kLvmlockdDropIn, f, lvmlockd_drop_in());
    if (s.write) s.command = systemctl_daemon_reload();
    return s;
}

// The unit states in order, or an empty list when systemctl did not answer one per unit
// (then every unit counts as needing `enable --now`, which reports the real problem).
Result<std::vector<std::string>> unit_states(System &sys, const Command &cmd, size_t units) {
    ILVM_ASSIGN_OR_RETURN(CommandOutput out, sys.run(cmd));
    std::vector<std::string> states = nonblank_lines(out.out);
    if (states.size() != units) states.clear();
    return states;
}

struct UnitStates {
    std::vector<std::string> units;
    std::vector<std::string> enabled;
    std::vector<std::string> active;
    bool is_active(const std::string &unit) const {
        for (size_t i = 0; i < units.size() && i < active.size(); ++i)
            if (units[i] == unit) return active[i] == "active";
        return false;
    }
};

Result<UnitStates> read_unit_states(System &sys, const std::vector<std::string> &units) {
    UnitStates d{units, {}, {}};
    ILVM_ASSIGN_OR_RETURN(d.enabled, unit_states(sys, systemctl_is_enabled(units), units.size()));
    ILVM_ASSIGN_OR_RETURN(d.active, unit_states(sys, systemctl_is_active(units), units.size()));
    return d;
}

// `systemctl enable --now` for the units not both enabled and active.
SetupStep units_step(const UnitStates &d, const std::string &kind) {
    std::vector<std::string> needed;
    for (size_t i = 0; i < d.units.size(); ++i) {
        const bool ok = i < d.enabled.size() && i < d.active.size() && d.enabled[i] == "enabled" &&
                        d.active[i] == "active";
        if (!ok) needed.push_back(d.units[i]);
    }
    if (needed.empty()) return SetupStep{kind + " enabled and running: " + joined(d.units), {}, {}};
    return SetupStep{"enable and start " + joined(needed) + " (systemctl enable --now)", {},
                     systemctl_enable_now(needed)};
}

// softdog when the host has no watchdog of its own, loaded now and at every boot (why: see
// watchdog.hpp). A hardware watchdog is left alone.
Result<SetupStep> watchdog_step(System &sys, const HostRoot &root) {
    const KernelModules modules(sys, root);
    const WatchdogState w = read_watchdog_state(sys, root, modules);
    if (w.hardware()) return SetupStep{"watchdog device: " + *w.identity + " (hardware, no softdog needed)", {}, {}};
    SetupStep s{"softdog loaded, now and at boot (" + w.softdog_at_boot.value_or(kSoftdogBootFile) + ")", {}, {}};
    if (!w.softdog_at_boot) {
        ILVM_ASSIGN_OR_RETURN(HostFile f, read_host_file(sys, root, kSoftdogBootFile, 0644));
        s = file_step(s.what, kSoftdogBootFile, f, softdog_boot_file_content());
    }
    if (!w.softdog_loaded) s.command = modprobe("softdog");
    return s;
}

// The multipath drop-in when multipath-tools is installed (multipath_conf.hpp); a running
// multipathd reads it on `multipathd reconfigure`, a stopped one when the daemons step starts it.
Result<SetupStep> multipath_step(System &sys, const HostRoot &root, bool installed, bool multipathd_active) {
    if (!installed)
        return SetupStep{"multipath-tools not installed: pools with several portals need it (apt install "
                         "multipath-tools, then ilvm host-setup again)",
                         {}, {}};
    ILVM_ASSIGN_OR_RETURN(HostFile f, read_host_file(sys, root, kMultipathDropIn, 0644));
    SetupStep s = file_step(std::string("multipath settings for pools with several portals (") + kMultipathDropIn + ")",
                            kMultipathDropIn, f, multipath_drop_in());
    if (s.write && multipathd_active) s.command = multipathd_reconfigure();
    return s;
}

// The file first, then the command that makes it take effect.
Status apply_step(System &sys, const HostRoot &root, const SetupStep &s) {
    if (s.write) {
        const std::string path = root.at(s.write->path);
        ILVM_TRY(sys.make_directories(parent_directory(path), 0755));
        ILVM_TRY(sys.write_file(path, s.write->content, s.write->mode));
    }
    if (s.command) return run_status(sys, *s.command, s.command->display());
    return {};
}

std::string pad(const std::string &label) { return label + std::string(13 - label.size(), ' '); }

}  // namespace

Result<uint32_t> parse_host_id(std::string_view text) {
    const auto id = parse_digits(text);
    if (!id || *id < 1 || *id > 2000)
        return invalid_input("host_id '" + std::string(text) + "' is not a number from 1 to 2000",
                             "give every host sharing a LUN its own sanlock host_id, e.g. --host-id 1 and --host-id 2");
    return static_cast<uint32_t>(*id);
}

std::optional<std::string> sanlock_defaults_with_watchdog(std::string_view text) {
    auto value = kv_value(text, "sanlock_opts");
    if (!value) return std::nullopt;
    std::istringstream in(kv_unquote(*value));
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    bool off = false;
    for (size_t i = 0; i < words.size(); ++i) {
        // sanlock takes both "-w 0" and "-w0".
        std::string *value = nullptr;
        if (words[i] == "-w" && i + 1 < words.size()) value = &words[++i];
        if (value && *value == "0") {
            *value = "1";
            off = true;
        } else if (words[i] == "-w0") {
            words[i] = "-w1";
            off = true;
        }
    }
    if (!off) return std::nullopt;
    return kv_set(text, "sanlock_opts", "\"" + joined(words) + "\"");
}

Result<std::optional<std::string>> initiator_file_with(std::string_view text, const std::optional<std::string> &wanted) {
    if (wanted) ILVM_TRY(validate_iscsi_name(*wanted, "initiator name"));
    const std::string current = kv_unquote(kv_value(text, "InitiatorName").value_or(""));
    if (!current.empty()) {
        if (wanted && *wanted != current)
            return conflict("this host's initiator name is already " + current + ", not " + *wanted,
                            std::string("targets grant access by initiator name: to change it, edit ") +
                                kInitiatorNameFile + " yourself and restart iscsid; or leave out --initiator");
        return std::optional<std::string>();
    }
    if (!wanted) {
        if (kv_value(text, "GenerateName").value_or("") == "yes") return std::optional<std::string>();
        return invalid_input(std::string("no InitiatorName in ") + kInitiatorNameFile,
                             "pass --initiator iqn.YYYY-MM.reversed.domain:host, the name your target grants access to");
    }
    // Debian's iscsid start-up check replaces the whole file while it says GenerateName=yes.
    return std::optional<std::string>(kv_set(kv_remove(text, "GenerateName"), "InitiatorName", *wanted));
}

Result<SetupPlan> plan_host_setup(System &sys, const HostRoot &root, const HostSetupOptions &opt) {
    SetupPlan plan;
    const bool multipath = multipathd_binary(sys, root).has_value();
    std::vector<std::string> daemon_units = host_daemons();
    if (multipath) daemon_units.emplace_back(kMultipathd);
    ILVM_ASSIGN_OR_RETURN(UnitStates daemons, read_unit_states(sys, daemon_units));
    ILVM_ASSIGN_OR_RETURN(UnitStates ours, read_unit_states(sys, product_units()));
    ILVM_ASSIGN_OR_RETURN(std::vector<SetupStep> lvm, lvm_conf_steps(sys, root, opt, multipath, plan));
    ILVM_ASSIGN_OR_RETURN(SetupStep host_id, host_id_step(sys, root, opt.host_id, plan));
    ILVM_ASSIGN_OR_RETURN(SetupStep sanlock, sanlock_step(sys, root, daemons.is_active("sanlock"), plan));
    ILVM_ASSIGN_OR_RETURN(SetupStep initiator, initiator_step(sys, root, opt.initiator));
    ILVM_ASSIGN_OR_RETURN(SetupStep hook, hook_step(sys, root, opt, plan));
    ILVM_ASSIGN_OR_RETURN(SetupStep guard, lvmlockd_guard_step(sys, root));
    ILVM_ASSIGN_OR_RETURN(SetupStep watchdog, watchdog_step(sys, root));
    ILVM_ASSIGN_OR_RETURN(SetupStep mpath, multipath_step(sys, root, multipath, daemons.is_active(kMultipathd)));
    // The daemons last: wdmd needs the watchdog device, sanlock reads its options, lvmlockd
    // its host_id and iscsid its name when they start; our units need all of them.
    plan.steps = std::move(lvm);
    for (auto *s : {&host_id, &sanlock, &initiator, &hook, &guard, &watchdog, &mpath}) plan.steps.push_back(std::move(*s));
    plan.steps.push_back(units_step(daemons, "daemons"));
    plan.steps.push_back(units_step(ours, "iscsi-lvm units"));
    return plan;
}

Status host_setup_run(System &sys, const HostRoot &root, const HostSetupOptions &opt, std::ostream &out) {
    ILVM_ASSIGN_OR_RETURN(SetupPlan plan, plan_host_setup(sys, root, opt));
    size_t changes = 0;
    for (const auto &s : plan.steps) {
        if (!s.needed()) {
            out << pad("unchanged") << s.what << "\n";
            continue;
        }
        ++changes;
        if (!opt.dry_run) {
            Status st = apply_step(sys, root, s);
            if (!st.ok()) {
                Error e = st.take_error();
                if (e.hint.empty()) e.hint = "the changes listed above were made; fix this and run ilvm host-setup again";
                return e;
            }
        }
        out << pad(opt.dry_run ? "would change" : "changed") << s.what << "\n";
    }
    for (const auto &w : plan.warnings) spdlog::warn("{}", w);
    const std::string n = std::to_string(changes) + (changes == 1 ? " change" : " changes");
    if (opt.dry_run)
        out << (changes ? "Dry run: " + n + " would be made; nothing was changed.\n"
                        : std::string("Dry run: the host is already set up; nothing would change.\n"));
    else
        out << (changes ? "Host set up: " + n + " made. Check it with ilvm host-validate.\n"
                        : std::string("Host already set up: nothing changed.\n"));
    return {};
}

}  // namespace ilvm::cli
