// SPDX-License-Identifier: LGPL-2.1-or-later
// libvirt's events on this host's libvirtd, delivered on the agent's GLib main loop
// (libvirt-glib's event loop integration, gvir_event_register(), called once in main()
// before any connection): domain lifecycle events and storage pool lifecycle events. The
// connection is watched with libvirt's keepalive; when libvirtd goes away (restart, idle
// exit of a socket-activated daemon) it is reopened every few seconds, and `connected` runs
// after each (re)connection, because events were missed while it was down.
//
// Only ever on the main loop and never while the hook waits for the agent: the agent calls
// libvirt for events and mirror refreshes only, from outside any hook's request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <glib.h>

#include "host/libvirt/libvirt_conn.hpp"

namespace ilvm::agent {

class LibvirtEvents {
public:
    struct Handlers {
        std::function<void(const std::string &domain, int event, int detail)> domain;
        std::function<void(const std::string &pool, int event)> pool;
        std::function<void()> connected;
        // VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD: the disk's node ("vda[1]"), the threshold that
        // fired and how far the write went past it (thin_growth.hpp).
        std::function<void(const std::string &domain, const std::string &node, uint64_t threshold, uint64_t excess)>
            threshold = {};
        // VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON: the disk's source path, QEMU's action, the reason.
        std::function<void(const std::string &domain, const std::string &source, int action, const std::string &reason)>
            io_error = {};
    };

    LibvirtEvents(std::string uri, Handlers handlers, std::chrono::seconds retry = std::chrono::seconds(5));
    ~LibvirtEvents();
    LibvirtEvents(const LibvirtEvents &) = delete;
    LibvirtEvents &operator=(const LibvirtEvents &) = delete;

    // Connects now, or keeps trying every `retry`.
    void start();
    bool connected() const { return static_cast<bool>(conn_); }
    // The connection, for calls made from the main loop; nullptr while disconnected.
    virConnectPtr connection() const { return conn_.get(); }
    const std::string &last_error() const { return last_error_; }

private:
    bool connect();
    void disconnect();
    void retry_later();
    static void on_close(virConnectPtr conn, int reason, void *opaque);
    static int on_domain(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque);
    static void on_pool(virConnectPtr conn, virStoragePoolPtr pool, int event, int detail, void *opaque);
    static void on_threshold(virConnectPtr conn, virDomainPtr dom, const char *dev, const char *path,
                             unsigned long long threshold, unsigned long long excess, void *opaque);
    static void on_io_error(virConnectPtr conn, virDomainPtr dom, const char *src_path, const char *dev_alias,
                            int action, const char *reason, void *opaque);

    std::string uri_;
    Handlers handlers_;
    std::chrono::seconds retry_;
    host::ConnHandle conn_;
    int domain_callback_ = -1;
    int pool_callback_ = -1;
    int threshold_callback_ = -1;
    int io_error_callback_ = -1;
    bool close_callback_ = false;
    guint retry_source_ = 0;
    guint drop_source_ = 0;   // a lost connection, dropped from the main loop
    std::string last_error_;
};

}  // namespace ilvm::agent
