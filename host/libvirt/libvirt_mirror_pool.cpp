// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/libvirt/libvirt_mirror_pool.hpp"


#include "common/log.hpp"
#include "common/xml_doc.hpp"
#include "host/libvirt/libvirt_conn.hpp"

namespace ilvm::host {

namespace {

struct PoolDeleter {
    void operator()(virStoragePoolPtr p) const { if (p) loaded_libvirt().virStoragePoolFree(p); }
};
using PoolHandle = std::unique_ptr<virStoragePool, PoolDeleter>;

class LibvirtMirrorPool final : public MirrorPool {
public:
    explicit LibvirtMirrorPool(std::string uri) : uri_(std::move(uri)) {}

    MirrorInfo inspect(const std::string &name, const std::string &vg) override {
        if (!connect()) return {MirrorState::unreachable, connect_error_};
        PoolHandle pool(loaded_libvirt().virStoragePoolLookupByName(conn_.get(), name.c_str()));
        if (!pool) return {MirrorState::absent, {}};
        // Flags 0: type, source and device are the same in the live XML, and libvirt's test
        // driver (our unit tests) refuses VIR_STORAGE_XML_INACTIVE.
        char *raw = loaded_libvirt().virStoragePoolGetXMLDesc(pool.get(), 0);
        if (!raw) return {MirrorState::foreign, "cannot read its XML: " + libvirt_error()};
        std::string desc(raw);
        free(raw);
        auto doc = parse_untrusted_xml(desc, "libvirt pool XML");
        if (!doc.ok() || !xml::is_element(doc->root(), "pool")) return {MirrorState::foreign, "its XML does not parse"};
        const xmlNode *src = xml::first_child(doc->root(), "source");
        const xmlNode *src_name = src ? xml::first_child(src, "name") : nullptr;
        const xmlNode *device = src ? xml::first_child(src, "device") : nullptr;
        const std::string type = xml::attribute(doc->root(), "type").value_or("");
        const std::string source = src_name ? xml::text_content(src_name) : "";
        if (type != "logical") return {MirrorState::foreign, "it is a '" + type + "' pool"};
        if (source != vg) return {MirrorState::foreign, "it is a logical pool on volume group '" + source + "'"};
        // A <device> lets `virsh pool-build --overwrite` / `pool-delete` wipe our LUN.
        if (device && !xml::attribute(device, "path").value_or("").empty())
            return {MirrorState::foreign, "it names a source device, which virsh pool-build/pool-delete would wipe"};
        return {loaded_libvirt().virStoragePoolIsActive(pool.get()) == 1 ? MirrorState::active : MirrorState::defined, {}};
    }

    Status define(const std::string &name, const std::string &vg) override {
        ILVM_TRY(require_connection());
        const std::string xml = mirror_pool_xml(name, vg);
        PoolHandle pool(loaded_libvirt().virStoragePoolDefineXML(conn_.get(), xml.c_str(), 0));
        if (!pool) return system_error("cannot define libvirt mirror pool " + name + ": " + libvirt_error());
        // We start it when the lockspace is ready; libvirt's own autostart would run
        // vgchange on a VG whose LUN may not even be logged in yet.
        if (loaded_libvirt().virStoragePoolSetAutostart(pool.get(), 0) < 0)
            return system_error("cannot turn off autostart of libvirt mirror pool " + name + ": " + libvirt_error());
        return {};
    }

    Status start(const std::string &name) override {
        return with_pool(name, "start", [](virStoragePoolPtr p) { return loaded_libvirt().virStoragePoolCreate(p, 0); });
    }
    Status refresh(const std::string &name) override {
        return with_pool(name, "refresh", [](virStoragePoolPtr p) { return loaded_libvirt().virStoragePoolRefresh(p, 0); });
    }
    Status stop(const std::string &name) override {
        return with_pool(name, "stop", [](virStoragePoolPtr p) { return loaded_libvirt().virStoragePoolDestroy(p); });
    }
    Status undefine(const std::string &name) override {
        return with_pool(name, "undefine", [](virStoragePoolPtr p) { return loaded_libvirt().virStoragePoolUndefine(p); });
    }

private:
    bool connect() {
        if (conn_) return true;
        if (!connect_error_.empty()) return false;   // tried once already in this run
        auto conn = open_libvirt(uri_);
        if (!conn.ok()) {
            connect_error_ = conn.error().message;
            return false;
        }
        conn_ = std::move(*conn);
        return true;
    }

    Status require_connection() {
        if (connect()) return {};
        return system_error(connect_error_, "is libvirtd (or virtstoraged) running? ILVM_LIBVIRT_URI selects another URI");
    }

    template <typename F>
    Status with_pool(const std::string &name, const char *verb, F &&call) {
        ILVM_TRY(require_connection());
        PoolHandle pool(loaded_libvirt().virStoragePoolLookupByName(conn_.get(), name.c_str()));
        if (!pool) return not_found("no libvirt pool " + name + " to " + verb);
        if (call(pool.get()) < 0)
            return system_error(std::string("cannot ") + verb + " libvirt mirror pool " + name + ": " + libvirt_error());
        spdlog::debug("libvirt mirror pool {}: {}", name, verb);
        return {};
    }

    std::string uri_;
    ConnHandle conn_;
    std::string connect_error_;
};

}  // namespace

std::unique_ptr<MirrorPool> make_libvirt_mirror_pool(std::string uri) {
    return std::make_unique<LibvirtMirrorPool>(std::move(uri));
}

}  // namespace ilvm::host
