#include "handover.hpp"

#include <glib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/log.hpp"

namespace ilvm::hook {

std::string systemd_escape(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        const bool plain = g_ascii_isalnum(c) || c == ':' || c == '_' || (c == '.' && i != 0);
        if (c == '/') out += '-';
        else if (plain) out += static_cast<char>(c);
        else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string incoming_marker_path(const std::string &run_dir, const std::string &domain) {
    return run_dir + "/migrate/" + domain + ".incoming";
}

bool RunDirHandover::incoming(const std::string &domain) {
    struct stat st{};
    return ::stat(incoming_marker_path(run_dir_, domain).c_str(), &st) == 0;
}

Status RunDirHandover::mark_incoming(const std::string &domain) {
    // libvirt refuses '/' in domain names; refuse it here too rather than write elsewhere.
    if (domain.empty() || domain.find('/') != std::string::npos || domain == "." || domain == "..")
        return invalid_input("domain name '" + domain + "' cannot name a marker file");
    for (const std::string &d : {run_dir_, run_dir_ + "/migrate"})
        if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST)
            return system_error("cannot create " + d + ": " + std::strerror(errno));
    const std::string path = incoming_marker_path(run_dir_, domain);
    std::ofstream f(path, std::ios::trunc);
    f << "incoming live migration accepted by the qemu hook\n";
    if (!f) return system_error("cannot write " + path);
    return {};
}

void RunDirHandover::clear_incoming(const std::string &domain) {
    const std::string path = incoming_marker_path(run_dir_, domain);
    if (std::remove(path.c_str()) != 0 && errno != ENOENT) spdlog::warn("cannot remove {}: {}", path, std::strerror(errno));
}

Status RunDirHandover::start_finisher(const std::string &domain) {
    const std::string unit = "iscsi-lvm-migrate-finish@" + systemd_escape(domain) + ".service";
    // --no-block: queue the job and return; systemd, not libvirt, runs it.
    std::vector<std::string> args{systemctl_, "start", "--no-block", unit};
    std::vector<char *> argv;
    for (auto &a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    gchar *err_text = nullptr;
    gint wait_status = 0;
    GError *error = nullptr;
    // Our stdout is libvirt's: for `migrate begin` anything printed there is taken as a new
    // domain XML. The child's stdout is captured and dropped.
    gchar *out_text = nullptr;
    const gboolean spawned = g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out_text,
                                          &err_text, &wait_status, &error);
    g_free(out_text);
    std::string err = err_text ? err_text : "";
    g_free(err_text);
    if (!spawned) {
        std::string msg = error ? error->message : "spawn failed";
        g_clear_error(&error);
        return system_error("cannot start " + unit + ": " + msg);
    }
    if (!g_spawn_check_wait_status(wait_status, &error)) {
        g_clear_error(&error);
        while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
        return system_error("cannot start " + unit + ": " + err);
    }
    spdlog::info("domain {}: started {}", domain, unit);
    return {};
}

}  // namespace ilvm::hook
