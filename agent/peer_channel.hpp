// SPDX-License-Identifier: LGPL-2.1-or-later
// The agents' channel to each other (docs/agent.md, "Peer channel"): mutual TLS with the PKI
// that libvirt's TLS migration already uses, through GIO's TLS (glib-networking). Each side
// presents its libvirt certificate (server: servercert.pem, client: clientcert.pem) and
// accepts only a peer whose certificate the cluster CA (cacert.pem) signed; the client also
// checks that the server's certificate names the host it dialled. One request, one answer,
// each one line (at most kMaxPeerLine bytes), every step bounded by a timeout.
//
// The hand-over protocol that runs over it: handover_service.hpp and host/core/agent_wire.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/pki_files.hpp"
#include "common/result.hpp"

namespace ilvm::agent {

inline constexpr size_t kMaxPeerLine = 64 * 1024;

// The request handler: the request line and the peer's certificate subject; the answer line.
// It runs on one of the server's threads, never on the agent's main loop.
using PeerHandler = std::function<std::string(const std::string &request, const std::string &peer_subject)>;

class PeerServer {
public:
    // Listens on `address`:`port` (port 0: any free one, see port()); address "": every
    // address of the host (IPv4 and IPv6), on a given port.
    static Result<std::unique_ptr<PeerServer>> start(const std::string &address, uint16_t port, const PkiFiles &pki,
                                                     PeerHandler handler, std::chrono::seconds io_timeout);
    ~PeerServer();
    PeerServer(const PeerServer &) = delete;
    PeerServer &operator=(const PeerServer &) = delete;
    uint16_t port() const { return port_; }

    struct State;   // what the GIO callbacks see

private:
    PeerServer() = default;
    std::unique_ptr<State> state_;
    uint16_t port_ = 0;
};

// Connects to `host`:`port`, handshakes (the server's certificate must chain to the CA and
// name `host`), sends `request` and returns the answer line. Every failure is a system error
// saying which step failed.
Result<std::string> peer_call(const std::string &host, uint16_t port, const PkiFiles &pki, const std::string &request,
                              std::chrono::seconds timeout);

}  // namespace ilvm::agent
