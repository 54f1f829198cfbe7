// SPDX-License-Identifier: LGPL-2.1-or-later
// How long one external command costs us (issue 16): `true` run N times through HostSystem
// (posix_spawn, common/child_process.cpp) and through GLib's GSubprocess with a private main
// context and communicate (what HostSystem did before), in one process that has the backend
// module and libvirt loaded, as `ilvm` has when it runs commands. Prints the medians and
// their ratio, measured in the same run; asserts nothing.
//
// Usage: spawn-bench MODULE [RUNS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <dlfcn.h>
#include <gio/gio.h>

#include "common/host_system.hpp"
#include "common/shared_library.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double median_ms(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// The old runner's steps, without its error handling: launcher, spawn, communicate, wait.
bool run_with_gsubprocess(const char *program) {
    GMainContext *ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    GSubprocessLauncher *launcher = g_subprocess_launcher_new(static_cast<GSubprocessFlags>(
        G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE));
    g_subprocess_launcher_setenv(launcher, "LC_ALL", "C", TRUE);
    const char *argv[] = {program, nullptr};
    GSubprocess *proc = g_subprocess_launcher_spawnv(launcher, argv, nullptr);
    GBytes *input = g_bytes_new(nullptr, 0);
    GBytes *out = nullptr, *err = nullptr;
    bool ok = proc && g_subprocess_communicate(proc, input, nullptr, &out, &err, nullptr) &&
              g_subprocess_get_successful(proc);
    for (GBytes *b : {input, out, err})
        if (b) g_bytes_unref(b);
    if (proc) g_object_unref(proc);
    g_object_unref(launcher);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
    return ok;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: spawn-bench MODULE [RUNS]\n");
        return 2;
    }
    const int runs = argc > 2 ? std::max(3, std::atoi(argv[2])) : 101;
    // What ilvm has mapped when it runs commands: the module, and libvirt for a verb that needs it.
    if (!dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) {
        std::fprintf(stderr, "spawn-bench: cannot load %s: %s\n", argv[1], dlerror());
        return 1;
    }
    if (auto lib = ilvm::SharedLibrary::load("libvirt.so.0", ""); !lib.ok())
        std::fprintf(stderr, "spawn-bench: %s (measuring without it)\n", lib.error().message.c_str());
    ilvm::HostSystem host;
    std::vector<double> ours, gsub;
    for (int i = 0; i < runs; ++i) {   // paired, so both see the same machine load
        auto t0 = Clock::now();
        auto r = host.run(ilvm::Command{"true"});
        auto t1 = Clock::now();
        if (!r.ok() || r->exit_code != 0) {
            std::fprintf(stderr, "spawn-bench: HostSystem could not run true\n");
            return 1;
        }
        if (!run_with_gsubprocess("true")) {
            std::fprintf(stderr, "spawn-bench: GSubprocess could not run true\n");
            return 1;
        }
        auto t2 = Clock::now();
        ours.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        gsub.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    const double o = median_ms(ours), g = median_ms(gsub);
    std::printf("one command (true), median of %d: HostSystem (posix_spawn) %.2f ms, GSubprocess %.2f ms, ratio %.2fx\n",
                runs, o, g, g / o);
    return 0;
}
