// SPDX-License-Identifier: LGPL-2.1-or-later
// ilvmd's unix socket for the qemu hook ($ILVM_RUN_DIR/ilvmd.sock; host/core/agent_client.hpp is
// the other end): mode 0600 in the 0700 run directory, and a caller that is not root is
// refused by its credentials (SO_PEERCRED) before its request is read. One request line, one
// answer line, on one of the service's threads (never the main loop).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>

#include "common/result.hpp"

namespace ilvm::agent {

using LocalHandler = std::function<std::string(const std::string &request)>;

class LocalServer {
public:
    // Replaces a socket file left by an agent that is gone; refuses while another one answers
    // on it. `allowed_uid`: the only caller accepted (root; a test passes its own).
    static Result<std::unique_ptr<LocalServer>> start(const std::string &path, LocalHandler handler,
                                                      std::chrono::seconds io_timeout, uid_t allowed_uid = 0);
    ~LocalServer();   // stops listening and removes the socket file
    LocalServer(const LocalServer &) = delete;
    LocalServer &operator=(const LocalServer &) = delete;

    struct State;

private:
    LocalServer() = default;
    std::unique_ptr<State> state_;
};

}  // namespace ilvm::agent
