// SPDX-License-Identifier: LGPL-2.1-or-later
// A socket service of the agent (the hook's local socket, the peers' TLS port) that accepts on a
// main context and thread of its own, never on the agent's main loop: that loop can be stuck
// for half a minute in a libvirt call (a write threshold set while the domain's outgoing
// migration holds its job), and a caller waiting for the accept meanwhile gives up (lab,
// thin-migrate: the peer's hand-over request timed out). Each connection is served on one of
// the service's own worker threads (a GThreadPool, see service_thread.cpp for why not GIO's
// threaded service); destruction stops accepting and waits for the connections in service, so
// the handler's state outlives every call into it.
#pragma once

#include <functional>
#include <memory>

#include <gio/gio.h>

#include "common/result.hpp"

namespace ilvm::agent {

class SocketServiceThread {
public:
    // Adds the addresses to listen on (GIO ties each accept to the thread-default context of
    // whoever adds an address: `listen` runs with this service's context as that default).
    using Listen = std::function<Status(GSocketListener *listener)>;
    // Serves one accepted connection, on a worker thread (at most `workers` at a time).
    using Serve = std::function<void(GSocketConnection *connection)>;

    static Result<std::unique_ptr<SocketServiceThread>> start(int workers, const Listen &listen, Serve serve);
    ~SocketServiceThread();   // no new connection; waits for those in service
    SocketServiceThread(const SocketServiceThread &) = delete;
    SocketServiceThread &operator=(const SocketServiceThread &) = delete;

    struct State;   // what the GIO callbacks see

private:
    SocketServiceThread() = default;
    std::unique_ptr<State> state_;
};

}  // namespace ilvm::agent
