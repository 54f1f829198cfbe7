// SPDX-License-Identifier: LGPL-2.1-or-later
#include "common/host_system.hpp"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "common/atomic_file.hpp"
#include "common/gobject_ptr.hpp"
#include "common/log.hpp"

namespace ilvm {
namespace {

struct GBytesDeleter {
    void operator()(GBytes *b) const { if (b) g_bytes_unref(b); }
};
using GBytesPtr = std::unique_ptr<GBytes, GBytesDeleter>;

struct MainContextDeleter {
    void operator()(GMainContext *c) const { if (c) g_main_context_unref(c); }
};

std::string bytes_to_string(GBytes *b) {
    if (!b) return {};
    gsize len = 0;
    auto *data = static_cast<const char *>(g_bytes_get_data(b, &len));
    return std::string(data ? data : "", len);
}

// State shared between the communicate callback and the timeout source.
struct Wait {
    bool done = false;
    bool timed_out = false;
    bool interrupted = false;
    GBytes *out = nullptr;
    GBytes *err = nullptr;
    GError *error = nullptr;
};

}  // namespace

Result<CommandOutput> HostSystem::run(const Command &cmd) {
    if (cmd.argv.empty()) return internal_error("empty command");
    spdlog::debug("run: {}", cmd.display());

    // A private main context: the module may be loaded into a host that runs its own loop.
    std::unique_ptr<GMainContext, MainContextDeleter> ctx(g_main_context_new());
    g_main_context_push_thread_default(ctx.get());

    GObjectPtr<GSubprocessLauncher> launcher(g_subprocess_launcher_new(
        static_cast<GSubprocessFlags>(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                      G_SUBPROCESS_FLAGS_STDERR_PIPE)));
    // Stable, parseable messages from LVM and friends whatever the admin's locale.
    g_subprocess_launcher_setenv(launcher.get(), "LC_ALL", "C", TRUE);
    g_subprocess_launcher_setenv(launcher.get(), "LVM_SUPPRESS_FD_WARNINGS", "1", TRUE);

    std::vector<const char *> argv;
    for (const auto &a : cmd.argv) argv.push_back(a.c_str());
    argv.push_back(nullptr);

    GError *raw = nullptr;
    GObjectPtr<GSubprocess> proc(g_subprocess_launcher_spawnv(launcher.get(), argv.data(), &raw));
    if (!proc) {
        GErrorPtr e(raw);
        g_main_context_pop_thread_default(ctx.get());
        return system_error("cannot run " + cmd.argv[0] + ": " + (e ? e->message : "unknown error"),
                            "is the package providing '" + cmd.argv[0] + "' installed?");
    }

    Wait wait;
    GBytesPtr input(g_bytes_new(cmd.stdin_data.data(), cmd.stdin_data.size()));
    g_subprocess_communicate_async(
        proc.get(), input.get(), nullptr,
        [](GObject *src, GAsyncResult *res, gpointer data) {
            auto *w = static_cast<Wait *>(data);
            g_subprocess_communicate_finish(G_SUBPROCESS(src), res, &w->out, &w->err, &w->error);
            w->done = true;
        },
        &wait);

    GSource *timer = g_timeout_source_new(static_cast<guint>(cmd.timeout.count()));
    g_source_set_callback(
        timer,
        [](gpointer data) -> gboolean {
            static_cast<Wait *>(data)->timed_out = true;
            return G_SOURCE_REMOVE;
        },
        &wait, nullptr);
    g_source_attach(timer, ctx.get());

    GSource *interrupt = nullptr;
    if (interrupt_fd_ >= 0) {
        interrupt = g_unix_fd_source_new(interrupt_fd_, G_IO_IN);
        GUnixFDSourceFunc on_interrupt = [](gint fd, GIOCondition, gpointer data) -> gboolean {
            char byte;
            if (::read(fd, &byte, 1) < 0) {
                // Nothing to consume (a spurious wakeup): stop all the same, once.
            }
            static_cast<Wait *>(data)->interrupted = true;
            return G_SOURCE_REMOVE;
        };
        // GLib's documented way to set a typed callback on a GSource: through a generic pointer.
        g_source_set_callback(interrupt, reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(on_interrupt)), &wait,
                              nullptr);
        g_source_attach(interrupt, ctx.get());
    }

    while (!wait.done && !wait.timed_out && !wait.interrupted) g_main_context_iteration(ctx.get(), TRUE);

    if (!wait.done) {
        // Bounded: kill the child and reap it; the pending communicate completes on exit.
        g_subprocess_force_exit(proc.get());
        while (!wait.done) g_main_context_iteration(ctx.get(), TRUE);
    }
    g_source_destroy(timer);
    g_source_unref(timer);
    if (interrupt) {
        g_source_destroy(interrupt);
        g_source_unref(interrupt);
    }
    g_main_context_pop_thread_default(ctx.get());

    GBytesPtr out(wait.out), err(wait.err);
    GErrorPtr error(wait.error);
    CommandOutput o;
    o.out = bytes_to_string(out.get());
    o.err = bytes_to_string(err.get());
    if (wait.timed_out) {
        // What it said before it was killed is often the only clue to why it hung.
        if (auto said = o.loggable_stderr(); !said.empty())
            spdlog::debug("stderr of {} until it was killed:\n{}", cmd.argv[0], said);
        return system_error(cmd.argv[0] + " did not finish within " +
                            std::to_string(cmd.timeout.count() / 1000) + " s and was killed");
    }
    if (wait.interrupted && !wait.timed_out)
        return system_error(cmd.argv[0] + " was stopped: the command was interrupted (SIGINT, SIGTERM or SIGHUP)");
    if (error) return system_error("running " + cmd.argv[0] + ": " + error->message);

    int status = g_subprocess_get_status(proc.get());
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    spdlog::debug("exit {}: {}", o.exit_code, cmd.argv[0]);
    // An error message quotes one line of it (CommandOutput::first_error_line); the rest is here.
    if (auto said = o.loggable_stderr(); !o.succeeded() && !said.empty()) spdlog::debug("stderr of {}:\n{}", cmd.argv[0], said);
    return o;
}

bool HostSystem::path_exists(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

Result<std::string> HostSystem::read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return not_found("no such file: " + path);
        return system_error("cannot read " + path + ": " + std::strerror(errno));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Status HostSystem::write_file(const std::string &path, std::string_view content, mode_t mode) {
    return write_file_atomically(path, content, mode);
}

Result<std::vector<std::string>> HostSystem::list_dir(const std::string &path) {
    std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(path.c_str()), ::closedir);
    if (!d) {
        if (errno == ENOENT) return not_found("no such directory: " + path);
        return system_error("cannot list " + path + ": " + std::strerror(errno));
    }
    std::vector<std::string> names;
    while (auto *ent = ::readdir(d.get())) {
        std::string n = ent->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    return names;
}

void HostSystem::sleep_for(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

std::chrono::steady_clock::time_point HostSystem::now() { return std::chrono::steady_clock::now(); }

}  // namespace ilvm
