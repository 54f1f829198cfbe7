// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/host_validate.hpp"

#include <algorithm>

#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "cli/hostprep/host_argv.hpp"
#include "cli/hostprep/host_setup.hpp"
#include "cli/hostprep/kill_command.hpp"
#include "cli/hostprep/kv_file.hpp"
#include "cli/hostprep/libvirt_pool_types.hpp"
#include "cli/hostprep/lvmlockd_guard.hpp"
#include "cli/hostprep/multipath_conf.hpp"
#include "cli/hostprep/pki_check.hpp"
#include "cli/hostprep/watchdog.hpp"
#include "common/names.hpp"
#include "common/strings.hpp"
#include "sanlock/client_status.hpp"
#include "sanlock/lease_dump.hpp"

namespace ilvm::cli {
namespace {

constexpr const char *kSetupFix = "ilvm host-setup --host-id N";

HostCheck pass(std::string name) { return HostCheck{std::move(name), true, {}, {}}; }

HostCheck fail(std::string name, std::string problem, std::string fix) {
    return HostCheck{std::move(name), false, std::move(problem), std::move(fix)};
}

HostCheck warning(std::string name, std::string problem, std::string fix) {
    HostCheck c{std::move(name), true, std::move(problem), std::move(fix)};
    c.warn = true;
    return c;
}

// "what: first line of stderr" for a command that ran and failed, or could not run.
std::string command_problem(const Result<CommandOutput> &r, const std::string &what) {
    if (!r.ok()) return "cannot run " + what + ": " + r.error().message;
    std::string line = r->first_error_line();
    return what + " failed: " + (line.empty() ? "exit status " + std::to_string(r->exit_code) : line);
}

// --- kernel ------------------------------------------------------------------------

HostCheck module_check(const KernelModules &modules, const std::string &name) {
    const std::string check = "kernel module " + name;
    if (modules.present(name)) return pass(check);
    return fail(check, "not loaded",
                "modprobe " + name + " && echo " + name + " >> /etc/modules-load.d/iscsi-lvm.conf");
}

HostCheck watchdog_check(const WatchdogState &w) {
    const std::string check = "watchdog device";
    if (w.hardware()) return pass(check);
    const std::string setup = std::string(kSetupFix) + " (loads softdog now and at boot), or load your hardware "
                                                        "watchdog's driver";
    if (w.softdog_loaded || w.identity) {
        if (w.softdog_at_boot) return pass(check);
        return fail(check, "softdog is loaded now but not at boot: after a reboot wdmd, sanlock and every pool fail",
                    setup);
    }
    // A watchdog the kernel does not name (no sysfs class): wdmd can use it.
    if (w.device) return pass(check);
    return fail(check, "no /dev/watchdog and softdog is not loaded", setup);
}

// --- LVM configuration --------------------------------------------------------------

struct LvmSettings {
    std::map<std::string, std::string> values;   // "use_lvmlockd" -> "1"
    std::string problem;                         // set when lvmconfig failed
};

LvmSettings lvm_settings(System &sys) {
    LvmSettings s;
    auto r = sys.run(lvmconfig_full({"global/use_lvmlockd", "local/host_id", "devices/scan_lvs"}));
    if (!r.ok() || !r->succeeded()) {
        s.problem = command_problem(r, "lvmconfig");
        return s;
    }
    for (const auto &line : nonblank_lines(r->out)) {
        const size_t eq = line.find('=');
        if (eq != std::string::npos) s.values[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return s;
}

// The setting's value, or a failed check saying why there is none.
std::optional<std::string> lvm_value(const LvmSettings &s, const std::string &path, const std::string &check,
                                     std::vector<HostCheck> &out) {
    const std::string key = path.substr(path.find('/') + 1);
    if (auto it = s.values.find(key); s.problem.empty() && it != s.values.end()) return it->second;
    out.push_back(fail(check, s.problem.empty() ? "lvmconfig did not report " + path : s.problem,
                       "install lvm2 and lvm2-lockd; lvmconfig --validate shows errors in /etc/lvm/lvm.conf"));
    return std::nullopt;
}

// Returns the valid host_id, if any, for the uniqueness check.
std::optional<uint32_t> lvm_checks(const LvmSettings &s, std::vector<HostCheck> &out) {
    if (auto v = lvm_value(s, "global/use_lvmlockd", "lvm use_lvmlockd", out)) {
        if (*v == "1") out.push_back(pass("lvm use_lvmlockd"));
        else
            out.push_back(fail("lvm use_lvmlockd", "global/use_lvmlockd is " + *v,
                               std::string(kSetupFix) + " (sets use_lvmlockd = 1 in " + kLvmConf + ")"));
    }
    std::optional<uint32_t> host_id;
    if (auto v = lvm_value(s, "local/host_id", "lvm host_id", out)) {
        if (auto id = parse_host_id(*v); id.ok()) {
            host_id = *id;
            out.push_back(pass("lvm host_id"));
        } else {
            out.push_back(fail("lvm host_id",
                               *v == "0" ? "local/host_id is not set" : "local/host_id " + *v + " is not in 1..2000",
                               std::string(kSetupFix) + " (N from 1 to 2000, unique among the hosts sharing a LUN)"));
        }
    }
    // scan_lvs = 0 makes LVM's built-in filter skip LVs as PV candidates, so the PVs that
    // guests create inside our volumes stay invisible to this host (see host_setup.hpp).
    if (auto v = lvm_value(s, "devices/scan_lvs", "lvm scan_lvs off", out)) {
        if (*v == "0") out.push_back(pass("lvm scan_lvs off"));
        else
            out.push_back(fail("lvm scan_lvs off", "devices/scan_lvs is " + *v + ": LVM here reads PVs inside volumes, guests' too",
                               std::string("set scan_lvs = 0 in the devices section of ") + kLvmConf));
    }
    return host_id;
}

// Storage-loss fencing (issue 19, host-setup's default): whether lvmlockctl runs `ilvm
// lease-lost` when a VG's lease is lost. Unset is a warning (a host set up before it was the
// default, or with --no-fence-on-lease-loss); our command naming a binary that is not there
// fails: lvmlockctl could not run it, and the host would be reset as without it. Asked of
// lvmconfig on its own, so that an lvm2 without the setting (before 2.03.12) fails no other check.
HostCheck kill_command_check(System &sys, const HostRoot &root) {
    const std::string check = std::string("lvm ") + kKillCommandSetting;
    const std::string off = "a host that loses the LUN is reset by its watchdog";
    auto r = sys.run(lvmconfig_full({std::string("global/") + kKillCommandSetting}));
    std::optional<std::string> value;
    if (r.ok() && r->succeeded())
        for (const auto &line : nonblank_lines(r->out))
            if (line.rfind(std::string(kKillCommandSetting) + "=", 0) == 0) value = kv_unquote(line.substr(line.find('=') + 1));
    HostCheck c = pass(check);
    if (!value) {
        const bool answered = r.ok() && r->succeeded();
        c.note = "lvmconfig does not report it (" +
                 (answered ? std::string("lvm2 before 2.03.12 has no such setting") : command_problem(r, "lvmconfig")) +
                 "): " + off;
        return c;
    }
    if (value->empty())
        return warning(check, "not set: " + off + ", its pools' I/O is not stopped first",
                       std::string(kSetupFix) + " (sets it unless --no-fence-on-lease-loss)");
    const auto ilvm = ilvm_of_kill_command(*value);
    if (!ilvm) {
        c.note = "another command, not ilvm's: " + *value;
        return c;
    }
    auto mode = sys.file_mode(root.at(*ilvm));
    if (!mode.ok() || (*mode & 0111) == 0)
        return fail(check,
                    *value + ", but " + *ilvm + (mode.ok() ? " is not executable" : " does not exist") +
                        ": lvmlockctl cannot run it, a host that loses the LUN is reset by its watchdog",
                    std::string("install iscsi-lvm, then ") + kSetupFix);
    c.note = *value + ": a pool whose VG loses its lease has its I/O stopped here, not the host reset";
    return c;
}

// --- files --------------------------------------------------------------------------

HostCheck initiator_check(System &sys, const HostRoot &root) {
    const std::string check = "initiator name";
    auto text = read_if_exists(sys, root.at(kInitiatorNameFile));
    if (!text.ok()) return fail(check, text.error().message, std::string("check ") + kInitiatorNameFile);
    const std::string content = text->value_or("");
    const std::string name = kv_unquote(kv_value(content, "InitiatorName").value_or(""));
    if (name.empty()) {
        if (kv_value(content, "GenerateName").value_or("") == "yes")
            return fail(check, "no InitiatorName yet (GenerateName=yes: iscsid makes one when it first starts)",
                        "systemctl start iscsid, or ilvm host-setup --host-id N --initiator IQN");
        return fail(check, std::string("no InitiatorName in ") + kInitiatorNameFile,
                    "ilvm host-setup --host-id N --initiator iqn.YYYY-MM.reversed.domain:host");
    }
    if (Status st = validate_iscsi_name(name, "InitiatorName"); !st.ok())
        return fail(check, st.error().message,
                    std::string("put a valid iSCSI name in ") + kInitiatorNameFile +
                        ", restart iscsid and grant it access on the target");
    return pass(check);
}

HostCheck hook_check(System &sys, const HostRoot &root, const std::string &hook_dir) {
    const std::string check = "libvirt hook";
    const std::string path = hook_dir + "/" + kHookName;
    auto mode = sys.file_mode(root.at(path));
    if (!mode.ok() && mode.error().code == ErrorCode::not_found)
        return fail(check, path + " is missing", std::string(kSetupFix) + ", then restart libvirtd");
    if (!mode.ok()) return fail(check, mode.error().message, "check " + path);
    if ((*mode & 0111) == 0) return fail(check, path + " is not executable", "chmod 0755 " + path);
    return pass(check);
}

// --- daemons ------------------------------------------------------------------------

// One check per unit from `systemctl is-active` (`enabled` false) or `is-enabled` (true),
// named "<prefix><unit><suffix>"; a unit passes in one of `good` states.
void unit_checks(System &sys, const std::vector<std::string> &units, bool enabled, const std::string &prefix,
                 const std::string &suffix, const std::vector<std::string> &good, std::vector<HostCheck> &out) {
    auto r = sys.run(enabled ? systemctl_is_enabled(units) : systemctl_is_active(units));
    // One state per unit; a non-zero exit only means that one of them is not active.
    std::vector<std::string> states = r.ok() ? nonblank_lines(r->out) : std::vector<std::string>{};
    std::string problem;
    if (!r.ok()) problem = command_problem(r, "systemctl");
    else if (states.size() != units.size()) {
        const auto err = nonblank_lines(r->err);
        problem = std::string("systemctl ") + (enabled ? "is-enabled" : "is-active") + " answered " +
                  std::to_string(states.size()) + " states for " + std::to_string(units.size()) + " units" +
                  (err.empty() ? "" : ": " + err.front());
    }
    for (size_t i = 0; i < units.size(); ++i) {
        const std::string check = prefix + units[i] + suffix;
        if (!problem.empty())
            out.push_back(fail(check, problem, "check that systemd runs this host: systemctl is-system-running"));
        else if (std::find(good.begin(), good.end(), states[i]) != good.end())
            out.push_back(pass(check));
        else
            out.push_back(fail(check, states[i], "systemctl enable --now " + units[i]));
    }
}

// The timer's service runs only now and then: the timer itself is what must be active.
void product_unit_checks(System &sys, std::vector<HostCheck> &out) {
    unit_checks(sys, product_units(), /*enabled=*/true, "unit ", " enabled", {"enabled", "static"}, out);
    unit_checks(sys, product_units(), /*enabled=*/false, "unit ", " active", {"active"}, out);
}

void daemon_checks(System &sys, std::vector<HostCheck> &out) {
    unit_checks(sys, host_daemons(), /*enabled=*/false, "daemon ", "", {"active"}, out);
}

HostCheck sanlock_watchdog_check(const sanlock::SanlockStatus &st) {
    const std::string check = "sanlock uses the watchdog";
    if (st.use_watchdog.value_or(false)) return pass(check);
    return fail(check,
                st.use_watchdog ? "sanlock runs with -w 0" : "sanlock client status -D did not report use_watchdog",
                std::string(kSetupFix) + " (sets -w 1 in " + kSanlockDefaults +
                    "), then systemctl restart wdmd sanlock while no pool is started here");
}

// No other live host may use our host_id in the lockspaces we share with it, and every
// lockspace must run with the host_id configured now (lvmlockd reads it at lock-start).
HostCheck host_id_unique_check(System &sys, const sanlock::SanlockStatus &st, uint32_t host_id) {
    const std::string check = "host_id unique";
    const std::string id = std::to_string(host_id);
    std::vector<std::pair<std::string, std::string>> problems;   // problem, fix
    for (const auto &ls : st.lockspaces) {
        if (ls.name.rfind("lvm_", 0) != 0) continue;   // not lvmlockd's
        if (ls.host_id != host_id)
            problems.emplace_back("lockspace " + ls.name + " runs with host_id " + std::to_string(ls.host_id) +
                                      ", lvm says " + id,
                                  "ilvm pool-destroy and ilvm pool-start its pool so that it rejoins with host_id " + id);
        auto r = sys.run(sanlock::sanlock_client_host_status(ls.name));
        if (!r.ok() || !r->succeeded()) {
            problems.emplace_back(command_problem(r, "sanlock client host_status -s " + ls.name),
                                  "sanlock client host_status -s " + ls.name + " -D");
            continue;
        }
        for (const auto &h : sanlock::parse_sanlock_host_status(r->out)) {
            if (h.host_id != host_id || h.owner_name == st.daemon_name || !sanlock::sanlock_host_live(h)) continue;
            const std::string who = sanlock::host_name_from_owner(h.owner_name);
            problems.emplace_back("live host " + (who.empty() ? std::string("(unnamed)") : who) + " also uses host_id " +
                                      id + " in lockspace " + ls.name,
                                  "give one of the two hosts another host_id: ilvm pool-destroy its pools, "
                                  "ilvm host-setup --host-id N, ilvm pool-start");
        }
    }
    if (problems.empty()) return pass(check);
    std::string all;
    for (const auto &p : problems) all += (all.empty() ? "" : "; ") + p.first;
    return fail(check, all, problems.front().second);
}

void sanlock_checks(System &sys, std::optional<uint32_t> host_id, std::vector<HostCheck> &out) {
    auto r = sys.run(sanlock::sanlock_client_status());
    if (!r.ok() || !r->succeeded()) {
        const std::string problem = command_problem(r, "sanlock client status");
        out.push_back(fail("sanlock uses the watchdog", problem, "systemctl enable --now wdmd sanlock"));
        out.push_back(fail("host_id unique", problem, "systemctl enable --now wdmd sanlock"));
        return;
    }
    const sanlock::SanlockStatus st = sanlock::parse_sanlock_status(r->out);
    out.push_back(sanlock_watchdog_check(st));
    if (!host_id)
        out.push_back(fail("host_id unique", "no valid host_id to compare", std::string(kSetupFix)));
    else
        out.push_back(host_id_unique_check(sys, st, *host_id));
}

}  // namespace

std::vector<HostCheck> validate_host(System &sys, const HostRoot &root, const std::string &hook_dir) {
    std::vector<HostCheck> out;
    const KernelModules modules(sys, root);
    out.push_back(module_check(modules, "dm_mod"));
    out.push_back(module_check(modules, "iscsi_tcp"));
    out.push_back(watchdog_check(read_watchdog_state(sys, root, modules)));
    const std::optional<uint32_t> host_id = lvm_checks(lvm_settings(sys), out);
    out.push_back(kill_command_check(sys, root));
    out.push_back(initiator_check(sys, root));
    out.push_back(hook_check(sys, root, hook_dir));
    out.push_back(mirror_backend_check(sys));
    daemon_checks(sys, out);
    out.push_back(multipath_check(sys, root));
    out.push_back(lvmlockd_stop_guard_check(sys, root));
    out.push_back(lvmlockd_pid_file_check(sys, root));
    sanlock_checks(sys, host_id, out);
    product_unit_checks(sys, out);
    out.push_back(agent_certificates_check(sys, root));
    return out;
}

std::vector<HostCheck> service_checks(System &sys, const HostRoot &root) {
    std::vector<HostCheck> out;
    product_unit_checks(sys, out);
    const LvmSettings s = lvm_settings(sys);
    std::vector<HostCheck> lvm;
    lvm_checks(s, lvm);
    for (auto &c : lvm)
        if (c.name == "lvm host_id") out.push_back(std::move(c));
    out.push_back(lvmlockd_stop_guard_check(sys, root));
    out.push_back(lvmlockd_pid_file_check(sys, root));
    return out;
}

std::string format_check(const HostCheck &c) {
    if (c.ok && c.warn) return "WARN " + c.name + ": " + c.problem + (c.fix.empty() ? "" : " (fix: " + c.fix + ")");
    if (c.ok) return "ok   " + c.name + (c.note.empty() ? "" : ": " + c.note);
    return "FAIL " + c.name + ": " + c.problem + " (fix: " + c.fix + ")";
}

JsonValue checks_to_json(const std::vector<HostCheck> &checks) {
    JsonArray arr;
    for (const auto &c : checks) {
        JsonObject o{{"check", c.name}, {"ok", c.ok}};
        if (c.ok && !c.note.empty()) o.emplace_back("note", c.note);
        if (c.warn) o.emplace_back("warn", true);
        if (!c.ok || c.warn) {
            o.emplace_back("problem", c.problem);
            o.emplace_back("fix", c.fix);
        }
        arr.emplace_back(std::move(o));
    }
    return arr;
}

Status host_validate_run(System &sys, const HostRoot &root, const std::string &hook_dir, bool json,
                         std::ostream &out) {
    const std::vector<HostCheck> checks = validate_host(sys, root, hook_dir);
    size_t failed = 0;
    for (const auto &c : checks) failed += c.ok ? 0 : 1;
    if (json) {
        out << to_json(checks_to_json(checks));
    } else {
        for (const auto &c : checks) out << format_check(c) << "\n";
    }
    if (failed)
        return system_error(std::to_string(failed) + " of " + std::to_string(checks.size()) + " host checks failed",
                            "each FAIL line says how to fix it; ilvm host-setup fixes most of them");
    return {};
}

}  // namespace ilvm::cli
