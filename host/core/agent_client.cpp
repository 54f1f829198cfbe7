// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/agent_client.hpp"

#include <filesystem>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "common/gobject_ptr.hpp"
#include "common/line_stream.hpp"

namespace ilvm::host {

std::string agent_socket_path(const std::string &run_dir) { return run_dir + "/ilvmd.sock"; }

std::string agent_socket_path(const PoolStore &store) {
    return agent_socket_path(std::filesystem::path(store.run_dir()).parent_path().string());
}

Result<AgentAnswer> call_local_agent(const std::string &socket_path, const AgentRequest &request,
                                     std::chrono::seconds timeout) {
    const std::string who = "ilvmd (" + socket_path + ")";
    GObjectPtr<GSocketClient> client(g_socket_client_new());
    g_socket_client_set_timeout(client.get(), static_cast<guint>(timeout.count()));
    GObjectPtr<GSocketAddress> address(g_unix_socket_address_new(socket_path.c_str()));
    GError *raw = nullptr;
    GObjectPtr<GSocketConnection> conn(
        g_socket_client_connect(client.get(), G_SOCKET_CONNECTABLE(address.get()), nullptr, &raw));
    GErrorPtr err(raw);
    if (!conn) {
        const bool absent = err && (g_error_matches(err.get(), G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
                                    g_error_matches(err.get(), G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED));
        const std::string message = "cannot reach " + who + ": " + (err ? err->message : "unknown error");
        if (absent) return not_found(message, "start the agent on this host: systemctl start ilvmd");
        return system_error(message);
    }
    GIOStream *io = G_IO_STREAM(conn.get());
    ILVM_TRY(write_line(g_io_stream_get_output_stream(io), encode_request(request), who));
    ILVM_ASSIGN_OR_RETURN(std::string line, read_line(g_io_stream_get_input_stream(io), kMaxAgentLine, who));
    auto answer = decode_answer(line);
    if (!answer.ok()) return system_error(who + " answered something unreadable: " + answer.error().message);
    return answer;
}

}  // namespace ilvm::host
