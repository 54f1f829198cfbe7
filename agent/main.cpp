// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvmd: the iscsi-lvm host agent (agent/agent.hpp, ilvmd(8)). Run by ilvmd.service.
#include <iostream>
#include <string>
#include <vector>

#include <libvirt-glib/libvirt-glib.h>

#include "agent/agent.hpp"
#include "common/log.hpp"
#include "host/core/module_options.hpp"
#include "host/journal/journal_log.hpp"
#include "ilvm-config.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace {

constexpr const char *kUsage =
    "Usage: ilvmd [-v|--verbose] [-q|--quiet]\n"
    "       ilvmd --help | --version\n"
    "\n"
    "The iscsi-lvm host agent: follows libvirt's domain and pool events and udev's block\n"
    "device events, and reconciles the pools started on this host as they change (idle\n"
    "volumes released, volume flags repaired, the libvirt mirror refreshed). Started by\n"
    "ilvmd.service; see ilvmd(8).\n";

// Exit status (ilvmd(8)): 0 stopped by a signal, 1 could not start, 2 usage.
constexpr int kExitCannotStart = 1;
constexpr int kExitUsage = 2;

int fail(const ilvm::Error &e) {
    spdlog::error("error: {}", e.message);
    if (!e.hint.empty()) spdlog::info("hint: {}", e.hint);
    return e.code == ilvm::ErrorCode::invalid_input ? kExitUsage : kExitCannotStart;
}

void setup_logging(int verbosity) {
    std::shared_ptr<spdlog::logger> logger;
    if (ilvm::host::stderr_is_journal()) {
        logger = std::make_shared<spdlog::logger>("ilvmd", ilvm::host::make_journal_sink("ilvmd", nullptr));
    } else {
        logger = spdlog::stderr_logger_mt("ilvmd");
        logger->set_pattern("%l: %v");
    }
    spdlog::set_default_logger(logger);
    // The agent's changes (info) are what an administrator reads it for.
    spdlog::set_level(verbosity < 0 ? spdlog::level::warn : verbosity == 0 ? spdlog::level::info : spdlog::level::debug);
}

}  // namespace

int main(int argc, char **argv) {
    int verbosity = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            return 0;
        }
        if (a == "--version") {
            std::cout << "ilvmd " << ILVM_VERSION << "\n";
            return 0;
        }
        if (a == "-v" || a == "--verbose") ++verbosity;
        else if (a == "-q" || a == "--quiet") verbosity = -1;
        else {
            std::cerr << "error: unknown option '" << a << "'\nhint: see ilvmd --help\n";
            return kExitUsage;
        }
    }
    setup_logging(verbosity);
    // libvirt's events on GLib's main loop; before any libvirt connection is opened.
    gvir_event_register();

    auto options = ilvm::host::module_options_from_env();
    const std::string uri = options.count("libvirt_uri") ? options["libvirt_uri"] : "qemu:///system";
    auto agent_options = ilvm::agent::agent_options_from_env(uri);
    if (!agent_options.ok()) return fail(agent_options.error());
    agent_options->handover.module_options = options;
    auto store = ilvm::host::PoolStore::from_environment();
    if (auto dirs = store.check_directories(); !dirs.ok()) return fail(dirs.error());
    auto client = ilvm::host::BackendClient::load(options);
    if (!client.ok()) return fail(client.error());
    ilvm::agent::Agent agent(std::move(store), std::move(*client), std::move(*agent_options));
    return agent.run();
}
