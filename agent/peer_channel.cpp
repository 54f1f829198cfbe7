// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/peer_channel.hpp"

#include <gio/gio.h>

#include "agent/service_thread.hpp"
#include "common/gobject_ptr.hpp"
#include "common/line_stream.hpp"
#include "common/log.hpp"

namespace ilvm::agent {

struct PeerServer::State {
    GObjectPtr<GTlsCertificate> cert;
    GObjectPtr<GTlsDatabase> ca;
    PeerHandler handler;
    std::chrono::seconds io_timeout{10};
    // Accepts off the agent's main loop (lab, thin-migrate: a hand-over request timed out
    // while that loop waited in libvirt). Last: it stops before the rest goes.
    std::unique_ptr<SocketServiceThread> accepting;
};

namespace {

std::string message_of(const GErrorPtr &e) { return e ? e->message : "unknown error"; }

// The cluster CA and this host's certificate of the given role.
Result<std::pair<GObjectPtr<GTlsCertificate>, GObjectPtr<GTlsDatabase>>> load_pki(const PkiFiles &pki,
                                                                                   const std::string &cert,
                                                                                   const std::string &key) {
    if (!g_tls_backend_supports_tls(g_tls_backend_get_default()))
        return system_error("GIO has no TLS backend", "install glib-networking");
    GError *raw = nullptr;
    GObjectPtr<GTlsCertificate> c(g_tls_certificate_new_from_files(cert.c_str(), key.c_str(), &raw));
    GErrorPtr err(raw);
    if (!c)
        return system_error("cannot load the certificate " + cert + " with its key " + key + ": " + message_of(err),
                            "the libvirt TLS setup of every host (virt-pki-validate); see docs/agent.md");
    raw = nullptr;
    GObjectPtr<GTlsDatabase> db(g_tls_file_database_new(pki.ca.c_str(), &raw));
    err.reset(raw);
    if (!db) return system_error("cannot load the CA certificate " + pki.ca + ": " + message_of(err), "see docs/agent.md");
    return std::make_pair(std::move(c), std::move(db));
}

std::string remote_of(GSocketConnection *conn) {
    GObjectPtr<GSocketAddress> addr(g_socket_connection_get_remote_address(conn, nullptr));
    if (!addr || !G_IS_INET_SOCKET_ADDRESS(addr.get())) return "(unknown peer)";
    gchar *ip = g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr.get())));
    std::string out = std::string(ip) + ":" + std::to_string(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(addr.get())));
    g_free(ip);
    return out;
}

gboolean accept_verified(GTlsConnection *, GTlsCertificate *, GTlsCertificateFlags errors, gpointer) {
    return errors == 0 ? TRUE : FALSE;
}

// One connection, on one of the service's threads: handshake (the client's certificate must
// chain to the CA), one request line, the handler's answer line.
void serve(PeerServer::State &st, GSocketConnection *conn) {
    const std::string peer = remote_of(conn);
    g_socket_set_timeout(g_socket_connection_get_socket(conn), static_cast<guint>(st.io_timeout.count()));
    GError *raw = nullptr;
    GObjectPtr<GIOStream> tls(g_tls_server_connection_new(G_IO_STREAM(conn), st.cert.get(), &raw));
    GErrorPtr err(raw);
    if (!tls) {
        spdlog::warn("peer {}: no TLS session: {}", peer, message_of(err));
        return;
    }
    g_object_set(tls.get(), "authentication-mode", G_TLS_AUTHENTICATION_REQUIRED, nullptr);
    g_tls_connection_set_database(G_TLS_CONNECTION(tls.get()), st.ca.get());
    // glib-networking leaves a server's decision on the client's certificate to this signal
    // (measured, 2.74: emitted even for a certificate the database verified, with no errors):
    // accept exactly the certificates the cluster CA verified, without any error.
    g_signal_connect(tls.get(), "accept-certificate", G_CALLBACK(accept_verified), nullptr);
    raw = nullptr;
    if (!g_tls_connection_handshake(G_TLS_CONNECTION(tls.get()), nullptr, &raw)) {
        err.reset(raw);
        spdlog::warn("peer {} refused: TLS handshake failed ({}): a peer needs a certificate from this cluster's CA", peer,
                     message_of(err));
        return;
    }
    GTlsCertificate *theirs = g_tls_connection_get_peer_certificate(G_TLS_CONNECTION(tls.get()));
    gchar *subject = theirs ? g_tls_certificate_get_subject_name(theirs) : nullptr;
    const std::string who = subject ? subject : "";
    g_free(subject);
    auto request = read_line(g_io_stream_get_input_stream(tls.get()), kMaxPeerLine, "the peer");
    if (!request.ok()) {
        spdlog::warn("peer {} ({}): {}", peer, who, request.error().message);
        return;
    }
    const std::string answer = st.handler(*request, who);
    if (auto w = write_line(g_io_stream_get_output_stream(tls.get()), answer, "the peer"); !w.ok())
        spdlog::warn("peer {} ({}): {}", peer, who, w.error().message);
    raw = nullptr;
    if (!g_io_stream_close(tls.get(), nullptr, &raw)) {
        err.reset(raw);
        spdlog::debug("peer {}: close: {} (the answer was sent)", peer, message_of(err));
    }
}

}  // namespace

Result<std::unique_ptr<PeerServer>> PeerServer::start(const std::string &address, uint16_t port, const PkiFiles &pki,
                                                      PeerHandler handler, std::chrono::seconds io_timeout) {
    ILVM_ASSIGN_OR_RETURN(auto loaded, load_pki(pki, pki.server_cert, pki.server_key));
    std::unique_ptr<PeerServer> server(new PeerServer());
    server->state_ = std::make_unique<State>();
    State &st = *server->state_;
    st.cert = std::move(loaded.first);
    st.ca = std::move(loaded.second);
    st.handler = std::move(handler);
    st.io_timeout = io_timeout;
    auto listen = [&](GSocketListener *listener) -> Status {
        GError *raw = nullptr;
        auto cannot_listen = [&](const std::string &where) {
            GErrorPtr err(raw);
            return system_error("cannot listen on " + where + ":" + std::to_string(port) + ": " + message_of(err),
                                "another program uses the port? ILVM_AGENT_PORT chooses another (every host the same)");
        };
        if (address.empty()) {
            // Every address, IPv4 and IPv6 (GIO opens one socket per family as needed).
            if (port == 0) return invalid_input("listening on every address needs a port");
            if (!g_socket_listener_add_inet_port(listener, port, nullptr, &raw)) return cannot_listen("every address");
            server->port_ = port;
            return Status::success();
        }
        GObjectPtr<GInetAddress> inet(g_inet_address_new_from_string(address.c_str()));
        if (!inet) return invalid_input("'" + address + "' is not an IP address to listen on");
        GObjectPtr<GSocketAddress> want(g_inet_socket_address_new(inet.get(), port));
        GSocketAddress *got = nullptr;
        if (!g_socket_listener_add_address(listener, want.get(), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr,
                                           &got, &raw))
            return cannot_listen(address);
        GObjectPtr<GSocketAddress> bound(got);
        server->port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
        return Status::success();
    };
    // A few threads: hand-overs are rare, each one short; more callers wait for a thread.
    ILVM_ASSIGN_OR_RETURN(st.accepting, SocketServiceThread::start(4, listen, [&st](GSocketConnection *conn) { serve(st, conn); }));
    return server;
}

PeerServer::~PeerServer() {
    if (state_) state_->accepting.reset();
}

Result<std::string> peer_call(const std::string &host, uint16_t port, const PkiFiles &pki, const std::string &request,
                              std::chrono::seconds timeout) {
    if (request.find('\n') != std::string::npos) return internal_error("a peer request is one line");
    ILVM_ASSIGN_OR_RETURN(auto loaded, load_pki(pki, pki.client_cert, pki.client_key));
    const std::string where = host + ":" + std::to_string(port);
    GObjectPtr<GSocketClient> client(g_socket_client_new());
    g_socket_client_set_timeout(client.get(), static_cast<guint>(timeout.count()));
    GError *raw = nullptr;
    GObjectPtr<GSocketConnection> conn(g_socket_client_connect_to_host(client.get(), host.c_str(), port, nullptr, &raw));
    GErrorPtr err(raw);
    if (!conn)
        return system_error("cannot reach the agent at " + where + ": " + message_of(err),
                            "is ilvmd running there, and the port open in its firewall (docs/agent.md)?");
    GObjectPtr<GSocketConnectable> identity(g_network_address_new(host.c_str(), port));
    raw = nullptr;
    GObjectPtr<GIOStream> tls(g_tls_client_connection_new(G_IO_STREAM(conn.get()), identity.get(), &raw));
    err.reset(raw);
    if (!tls) return system_error("no TLS session with " + where + ": " + message_of(err));
    g_tls_connection_set_certificate(G_TLS_CONNECTION(tls.get()), loaded.first.get());
    g_tls_connection_set_database(G_TLS_CONNECTION(tls.get()), loaded.second.get());
    raw = nullptr;
    if (!g_tls_connection_handshake(G_TLS_CONNECTION(tls.get()), nullptr, &raw)) {
        err.reset(raw);
        return system_error("TLS handshake with the agent at " + where + " failed: " + message_of(err),
                            "both hosts need certificates from the same CA, the server's naming " + host + " (docs/agent.md)");
    }
    ILVM_TRY(write_line(g_io_stream_get_output_stream(tls.get()), request, "the agent at " + where));
    auto answer = read_line(g_io_stream_get_input_stream(tls.get()), kMaxPeerLine, "the agent at " + where);
    if (!answer.ok()) return system_error("the agent at " + where + " gave no answer: " + answer.error().message);
    raw = nullptr;
    if (!g_io_stream_close(tls.get(), nullptr, &raw)) {
        err.reset(raw);
        spdlog::debug("{}: close: {} (the answer was read)", where, message_of(err));
    }
    return answer;
}

}  // namespace ilvm::agent
