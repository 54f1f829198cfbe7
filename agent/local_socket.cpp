// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/local_socket.hpp"

#include "agent/service_thread.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "common/gobject_ptr.hpp"
#include "common/line_stream.hpp"
#include "common/log.hpp"
#include "host/core/agent_client.hpp"

namespace ilvm::agent {

struct LocalServer::State {
    LocalHandler handler;
    std::chrono::seconds io_timeout{10};
    uid_t allowed_uid = 0;
    std::string path;
    std::unique_ptr<SocketServiceThread> accepting;   // last: it stops before the rest goes
};

namespace {

std::string message_of(GError *e) { return e ? e->message : "unknown error"; }

void serve(LocalServer::State &st, GSocketConnection *conn) {
    GSocket *sock = g_socket_connection_get_socket(conn);
    g_socket_set_timeout(sock, static_cast<guint>(st.io_timeout.count()));
    GError *raw = nullptr;
    GObjectPtr<GCredentials> creds(g_socket_get_credentials(sock, &raw));
    GErrorPtr err(raw);
    if (!creds) {
        spdlog::warn("local caller refused: its credentials cannot be read ({})", message_of(err.get()));
        return;
    }
    raw = nullptr;
    const uid_t uid = g_credentials_get_unix_user(creds.get(), &raw);
    err.reset(raw);
    if (err || uid != st.allowed_uid) {
        spdlog::warn("local caller with uid {} refused: only uid {} may ask the agent", static_cast<long>(uid),
                     static_cast<long>(st.allowed_uid));
        return;
    }
    GIOStream *io = G_IO_STREAM(conn);
    auto request = read_line(g_io_stream_get_input_stream(io), host::kMaxAgentLine, "the local caller");
    if (!request.ok()) {
        spdlog::warn("{}", request.error().message);
        return;
    }
    const std::string answer = st.handler(*request);
    if (auto w = write_line(g_io_stream_get_output_stream(io), answer, "the local caller"); !w.ok())
        spdlog::warn("{} (it gave up waiting?)", w.error().message);
}

// Someone answers on `path` right now.
bool answered(const std::string &path) {
    GObjectPtr<GSocketClient> client(g_socket_client_new());
    g_socket_client_set_timeout(client.get(), 2);
    GObjectPtr<GSocketAddress> address(g_unix_socket_address_new(path.c_str()));
    GObjectPtr<GSocketConnection> conn(
        g_socket_client_connect(client.get(), G_SOCKET_CONNECTABLE(address.get()), nullptr, nullptr));
    return conn != nullptr;
}

}  // namespace

Result<std::unique_ptr<LocalServer>> LocalServer::start(const std::string &path, LocalHandler handler,
                                                        std::chrono::seconds io_timeout, uid_t allowed_uid) {
    // The run directory may not exist yet on a host where no pool was started since boot.
    const std::string dir = std::filesystem::path(path).parent_path().string();
    if (g_mkdir_with_parents(dir.c_str(), 0700) != 0)
        return system_error("cannot create " + dir + ": " + std::strerror(errno));
    struct stat sb {};
    if (::lstat(path.c_str(), &sb) == 0) {
        if (!S_ISSOCK(sb.st_mode)) return conflict(path + " exists and is not a socket", "remove it, then start ilvmd");
        if (answered(path)) return conflict("another ilvmd answers on " + path, "systemctl status ilvmd");
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            return system_error("cannot remove the old socket " + path + ": " + std::strerror(errno));
    }
    std::unique_ptr<LocalServer> server(new LocalServer());
    server->state_ = std::make_unique<State>();
    State &st = *server->state_;
    st.handler = std::move(handler);
    st.io_timeout = io_timeout;
    st.allowed_uid = allowed_uid;
    GObjectPtr<GSocketAddress> address(g_unix_socket_address_new(path.c_str()));
    auto listen = [&](GSocketListener *listener) -> Status {
        // 0600 from the start: the socket never exists with looser permissions. (umask is the
        // process's: a file another thread creates meanwhile only gets tighter permissions.)
        const mode_t old_mask = ::umask(0177);
        GError *raw = nullptr;
        const gboolean added = g_socket_listener_add_address(listener, address.get(), G_SOCKET_TYPE_STREAM,
                                                             G_SOCKET_PROTOCOL_DEFAULT, nullptr, nullptr, &raw);
        ::umask(old_mask);
        GErrorPtr err(raw);
        if (!added) return system_error("cannot listen on " + path + ": " + message_of(err.get()));
        st.path = path;
        return Status::success();
    };
    // A few threads: one hook or verb at a time is usual; more callers wait for a thread.
    ILVM_ASSIGN_OR_RETURN(st.accepting, SocketServiceThread::start(4, listen, [&st](GSocketConnection *conn) { serve(st, conn); }));
    return server;
}

LocalServer::~LocalServer() {
    if (!state_) return;
    state_->accepting.reset();
    if (!state_->path.empty() && ::unlink(state_->path.c_str()) != 0 && errno != ENOENT)
        spdlog::warn("cannot remove {}: {} (the next start replaces it)", state_->path, std::strerror(errno));
}

}  // namespace ilvm::agent
