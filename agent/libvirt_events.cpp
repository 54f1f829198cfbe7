// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/libvirt_events.hpp"

#include "common/log.hpp"

namespace ilvm::agent {
namespace {

// libvirt's keepalive: a libvirtd that answers no probe for 5 s x 3 is taken as gone.
constexpr int kKeepaliveInterval = 5;
constexpr unsigned kKeepaliveCount = 3;

const char *close_reason(int reason) {
    switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_ERROR: return "an I/O error";
    case VIR_CONNECT_CLOSE_REASON_EOF: return "libvirtd closed it";
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE: return "libvirtd stopped answering keepalive probes";
    default: return "the client closed it";
    }
}

}  // namespace

LibvirtEvents::LibvirtEvents(std::string uri, Handlers handlers, std::chrono::seconds retry)
    : uri_(std::move(uri)), handlers_(std::move(handlers)), retry_(retry) {}

LibvirtEvents::~LibvirtEvents() {
    if (retry_source_) g_source_remove(retry_source_);
    if (drop_source_) g_source_remove(drop_source_);
    disconnect();
}

void LibvirtEvents::start() {
    if (!connect()) retry_later();
}

bool LibvirtEvents::connect() {
    auto conn = host::open_libvirt(uri_);
    if (!conn.ok()) {
        if (last_error_ != conn.error().message)
            spdlog::warn("{}; trying again every {} s", conn.error().message, retry_.count());
        last_error_ = conn.error().message;
        return false;
    }
    conn_ = std::move(*conn);
    if (virConnectSetKeepAlive(conn_.get(), kKeepaliveInterval, kKeepaliveCount) < 0)
        spdlog::warn("libvirt keepalive not set on {} ({}): a hung libvirtd is noticed only when it closes the connection",
                     uri_, host::libvirt_error());
    close_callback_ = virConnectRegisterCloseCallback(conn_.get(), on_close, this, nullptr) == 0;
    if (!close_callback_)
        spdlog::warn("no close callback on {} ({}): a libvirtd restart is noticed by the next failed call", uri_,
                     host::libvirt_error());
    domain_callback_ = virConnectDomainEventRegisterAny(conn_.get(), nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                        VIR_DOMAIN_EVENT_CALLBACK(on_domain), this, nullptr);
    pool_callback_ = virConnectStoragePoolEventRegisterAny(conn_.get(), nullptr, VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
                                                           VIR_STORAGE_POOL_EVENT_CALLBACK(on_pool), this, nullptr);
    if (handlers_.threshold)
        threshold_callback_ = virConnectDomainEventRegisterAny(conn_.get(), nullptr, VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD,
                                                               VIR_DOMAIN_EVENT_CALLBACK(on_threshold), this, nullptr);
    if (handlers_.io_error)
        io_error_callback_ = virConnectDomainEventRegisterAny(conn_.get(), nullptr, VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON,
                                                              VIR_DOMAIN_EVENT_CALLBACK(on_io_error), this, nullptr);
    if (domain_callback_ < 0 || pool_callback_ < 0 || (handlers_.threshold && threshold_callback_ < 0) ||
        (handlers_.io_error && io_error_callback_ < 0)) {
        last_error_ = "cannot subscribe to libvirt events on " + uri_ + ": " + host::libvirt_error();
        spdlog::warn("{}; trying again every {} s", last_error_, retry_.count());
        disconnect();
        return false;
    }
    if (!last_error_.empty()) spdlog::info("connected to libvirt at {} again", uri_);
    last_error_.clear();
    if (handlers_.connected) handlers_.connected();
    return true;
}

void LibvirtEvents::disconnect() {
    if (!conn_) return;
    // Deregistering on a dead connection fails; there is nothing left to undo then.
    if (domain_callback_ >= 0 && virConnectDomainEventDeregisterAny(conn_.get(), domain_callback_) < 0)
        spdlog::debug("domain event callback not deregistered (connection gone): {}", host::libvirt_error());
    if (pool_callback_ >= 0 && virConnectStoragePoolEventDeregisterAny(conn_.get(), pool_callback_) < 0)
        spdlog::debug("pool event callback not deregistered (connection gone): {}", host::libvirt_error());
    for (int id : {threshold_callback_, io_error_callback_})
        if (id >= 0 && virConnectDomainEventDeregisterAny(conn_.get(), id) < 0)
            spdlog::debug("domain event callback not deregistered (connection gone): {}", host::libvirt_error());
    threshold_callback_ = io_error_callback_ = -1;
    if (close_callback_ && virConnectUnregisterCloseCallback(conn_.get(), on_close) < 0)
        spdlog::debug("close callback not unregistered (connection gone): {}", host::libvirt_error());
    domain_callback_ = pool_callback_ = -1;
    close_callback_ = false;
    conn_.reset();
}

void LibvirtEvents::retry_later() {
    if (retry_source_) return;
    retry_source_ = g_timeout_add_seconds(
        static_cast<guint>(retry_.count()),
        [](gpointer self) -> gboolean {
            auto *me = static_cast<LibvirtEvents *>(self);
            if (me->connect()) {
                me->retry_source_ = 0;
                return G_SOURCE_REMOVE;
            }
            return G_SOURCE_CONTINUE;
        },
        this);
}

void LibvirtEvents::on_close(virConnectPtr, int reason, void *opaque) {
    auto *me = static_cast<LibvirtEvents *>(opaque);
    me->last_error_ = std::string("libvirt connection to ") + me->uri_ + " lost: " + close_reason(reason);
    spdlog::warn("{}; reconnecting every {} s", me->last_error_, me->retry_.count());
    // Not inside libvirt's own callback: the connection is dropped from the main loop.
    if (me->drop_source_) return;
    me->drop_source_ = g_idle_add(
        [](gpointer self) -> gboolean {
            auto *m = static_cast<LibvirtEvents *>(self);
            m->drop_source_ = 0;
            m->disconnect();
            m->retry_later();
            return G_SOURCE_REMOVE;
        },
        me);
}

int LibvirtEvents::on_domain(virConnectPtr, virDomainPtr dom, int event, int detail, void *opaque) {
    auto *me = static_cast<LibvirtEvents *>(opaque);
    const char *name = virDomainGetName(dom);
    if (me->handlers_.domain) me->handlers_.domain(name ? name : "", event, detail);
    return 0;
}

void LibvirtEvents::on_pool(virConnectPtr, virStoragePoolPtr pool, int event, int /*detail*/, void *opaque) {
    auto *me = static_cast<LibvirtEvents *>(opaque);
    const char *name = virStoragePoolGetName(pool);
    if (me->handlers_.pool) me->handlers_.pool(name ? name : "", event);
}

void LibvirtEvents::on_threshold(virConnectPtr, virDomainPtr dom, const char *dev, const char *, unsigned long long threshold,
                                 unsigned long long excess, void *opaque) {
    auto *me = static_cast<LibvirtEvents *>(opaque);
    const char *name = virDomainGetName(dom);
    if (me->handlers_.threshold) me->handlers_.threshold(name ? name : "", dev ? dev : "", threshold, excess);
}

void LibvirtEvents::on_io_error(virConnectPtr, virDomainPtr dom, const char *src_path, const char *, int action,
                                const char *reason, void *opaque) {
    auto *me = static_cast<LibvirtEvents *>(opaque);
    const char *name = virDomainGetName(dom);
    if (me->handlers_.io_error) me->handlers_.io_error(name ? name : "", src_path ? src_path : "", action, reason ? reason : "");
}

}  // namespace ilvm::agent
