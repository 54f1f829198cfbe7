// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/interrupts.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ilvm::cli {
namespace {

volatile sig_atomic_t g_signals = 0;
int g_write_fd = -1;

void on_signal(int) {
    g_signals = g_signals + 1;
    const char byte = 1;
    if (::write(g_write_fd, &byte, 1) < 0) {
        // The pipe is full: a byte is already waiting to stop the command. Nothing to do.
    }
}

}  // namespace

Status ignore_broken_pipes() {
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    if (::sigaction(SIGPIPE, &sa, nullptr) != 0)
        return system_error(std::string("cannot ignore SIGPIPE: ") + std::strerror(errno));
    return {};
}

Result<int> install_interrupt_handlers() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return system_error(std::string("cannot create a pipe: ") + std::strerror(errno));
    g_write_fd = fds[1];
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        if (::sigaction(sig, &sa, nullptr) != 0)
            return system_error(std::string("cannot handle signal ") + std::to_string(sig) + ": " + std::strerror(errno));
    return fds[0];
}

bool interrupted() { return g_signals != 0; }

}  // namespace ilvm::cli
