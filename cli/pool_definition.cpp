// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/pool_definition.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <glib.h>

#include "common/gobject_ptr.hpp"
#include "common/xml_doc.hpp"

namespace ilvm::cli {
namespace {

std::string attr(const char *name, const std::string &value) { return std::string(" ") + name + "='" + xml::escape(value) + "'"; }

Result<std::string> required(const Args &args, const char *option, const char *what) {
    auto v = args.opt(option);
    if (!v || v->empty())
        return invalid_input(std::string("pool-define-as needs --") + option + " (" + what + ")",
                             "e.g. ilvm pool-define-as san --source-host 10.0.0.50 --source-dev iqn.2024-04.com.example:vms "
                             "--source-name vg_san");
    return *v;
}

// The CHAP part: a username and the libvirt secret that holds the password (never the
// password itself: it stays in libvirt's secret store, docs/xml-reference.md).
Result<std::string> auth_xml(const Args &args) {
    const auto user = args.opt("auth-username");
    const auto usage = args.opt("secret-usage"), uuid = args.opt("secret-uuid");
    const auto type = args.opt("auth-type");
    if (!user) {
        if (usage || uuid || type)
            return invalid_input("--auth-type, --secret-usage and --secret-uuid need --auth-username",
                                 "CHAP: --auth-username NAME --secret-usage USAGE (the libvirt secret holding the password)");
        return std::string();
    }
    if (type && *type != "chap") return invalid_input("auth type '" + *type + "' is not supported", "iscsi-lvm pools use chap");
    if (usage.has_value() == uuid.has_value())
        return invalid_input("CHAP needs exactly one of --secret-usage and --secret-uuid",
                             "name the libvirt secret that holds the password (virsh secret-list)");
    return "    <auth type='chap'" + attr("username", *user) + "><secret" +
           (usage ? attr("usage", *usage) : attr("uuid", *uuid)) + "/></auth>\n";
}

}  // namespace

Result<std::string> pool_xml_from_args(const Args &args) {
    const std::string name = args.get("name");
    if (auto type = args.opt("type"); type && *type != "iscsi-lvm")
        return invalid_input("pool type '" + *type + "' is not supported here", "ilvm defines iscsi-lvm pools (omit the type)");
    ILVM_ASSIGN_OR_RETURN(std::string host, required(args, "source-host", "the portal's address"));
    ILVM_ASSIGN_OR_RETURN(std::string target, required(args, "source-dev", "the target's IQN"));
    ILVM_ASSIGN_OR_RETURN(std::string vg, required(args, "source-name", "the volume group's name"));
    ILVM_ASSIGN_OR_RETURN(std::string auth, auth_xml(args));
    std::string x = "<pool type='iscsi-lvm'>\n  <name>" + xml::escape(name) + "</name>\n  <source>\n";
    x += "    <host" + attr("name", host) + (args.opt("source-port") ? attr("port", args.get("source-port")) : "") + "/>\n";
    x += "    <device" + attr("path", target) + (args.opt("lun") ? attr("lun", args.get("lun")) : "") + "/>\n";
    if (auto initiator = args.opt("source-initiator")) x += "    <initiator><iqn" + attr("name", *initiator) + "/></initiator>\n";
    x += auth;
    x += "    <name>" + xml::escape(vg) + "</name>\n    <format type='lvm2'/>\n  </source>\n";
    if (auto path = args.opt("target")) x += "  <target><path>" + xml::escape(*path) + "</path></target>\n";
    if (auto locking = args.opt("locking")) x += "  <locking" + attr("type", *locking) + "/>\n";
    return x + "</pool>\n";
}

Result<std::string> edit_text(const std::string &text, const std::string &file_prefix) {
    const char *editor = std::getenv("VISUAL");
    if (editor == nullptr || *editor == '\0') editor = std::getenv("EDITOR");
    if (editor == nullptr || *editor == '\0') editor = "vi";
    gint argc = 0;
    gchar **argv = nullptr;
    GError *raw = nullptr;
    if (!g_shell_parse_argv(editor, &argc, &argv, &raw)) {
        GErrorPtr err(raw);
        return invalid_input("the editor command '" + std::string(editor) + "' " + (err ? err->message : "cannot be split into words"),
                             "set VISUAL or EDITOR to an editor");
    }
    std::vector<std::string> words(argv, argv + argc);
    g_strfreev(argv);

    // A private copy: mode 0600 whatever the umask, in a fresh file.
    const char *tmpdir_env = std::getenv("TMPDIR");
    const std::string tmpdir = tmpdir_env && *tmpdir_env ? tmpdir_env : "/tmp";
    std::string path = tmpdir + "/" + file_prefix + "-XXXXXX.xml";
    const int fd = ::mkstemps(path.data(), 4);
    if (fd < 0) return system_error("cannot create a temporary file for the editor in " + tmpdir);
    struct Removed {
        std::string path;
        ~Removed() { ::unlink(path.c_str()); }
    } removed{path};
    const bool written = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!written) return system_error("cannot write the temporary file " + path);

    words.push_back(path);
    std::vector<gchar *> child_argv;
    for (auto &w : words) child_argv.push_back(w.data());
    child_argv.push_back(nullptr);
    gint status = 0;
    // The editor gets this terminal: stdin, stdout and stderr are inherited.
    if (!g_spawn_sync(nullptr, child_argv.data(), nullptr,
                      static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN), nullptr, nullptr, nullptr,
                      nullptr, &status, &raw)) {
        GErrorPtr err(raw);
        return system_error("cannot run the editor '" + words.front() + "': " + (err ? err->message : "cannot run it"),
                            "set VISUAL or EDITOR to an editor");
    }
    if (!g_spawn_check_wait_status(status, &raw)) {
        GErrorPtr err(raw);
        return system_error("the editor '" + words.front() + "' failed (" + (err ? err->message : "it failed") +
                            "); nothing was changed");
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream edited;
    edited << in.rdbuf();
    if (!in.good() && !in.eof()) return system_error("cannot read back the edited file " + path);
    return edited.str();
}

}  // namespace ilvm::cli
