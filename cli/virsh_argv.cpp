// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/virsh_argv.hpp"

#include <chrono>

namespace ilvm::cli {
namespace {

// --domain NAME: a name is never read as an option, whatever it starts with.
Command virsh_on_domain(const std::string &uri, const char *verb, const std::string &domain) {
    Command c{"virsh", "-c", uri, verb, "--domain", domain};
    c.timeout = std::chrono::seconds(10);
    return c;
}

}  // namespace

Command virsh_suspend(const std::string &uri, const std::string &domain) { return virsh_on_domain(uri, "suspend", domain); }
Command virsh_destroy(const std::string &uri, const std::string &domain) { return virsh_on_domain(uri, "destroy", domain); }
Command virsh_resume(const std::string &uri, const std::string &domain) { return virsh_on_domain(uri, "resume", domain); }

}  // namespace ilvm::cli
