// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/libvirt_pool_types.hpp"

#include "common/strings.hpp"
#include "common/xml_doc.hpp"

namespace ilvm::cli {
namespace {

constexpr const char *kCheck = "libvirt logical pool backend";

}  // namespace

Command virsh_pool_capabilities() {
    Command c{"virsh", "--connect", "qemu:///system", "pool-capabilities"};
    c.timeout = std::chrono::seconds(60);
    return c;
}

Result<std::set<std::string>> supported_pool_types(std::string_view capabilities_xml) {
    ILVM_ASSIGN_OR_RETURN(auto doc, parse_untrusted_xml(capabilities_xml, "libvirt's pool capabilities"));
    if (!xml::is_element(doc.root(), "storagepoolCapabilities"))
        return invalid_input("libvirt's pool capabilities are not a <storagepoolCapabilities> document");
    std::set<std::string> types;
    for (const xmlNode *pool : xml::child_elements(doc.root(), "pool")) {
        auto type = xml::attribute(pool, "type");
        if (type && xml::attribute(pool, "supported") == std::optional<std::string>("yes")) types.insert(*type);
    }
    return types;
}

HostCheck mirror_backend_check(System &sys) {
    const Command cmd = virsh_pool_capabilities();
    auto r = sys.run(cmd);
    if (!r.ok())
        // The runner's message names the program ("cannot run virsh: No such file or directory").
        return HostCheck{kCheck, false, r.error().message, "apt-get install libvirt-clients"};
    if (!r->succeeded()) {
        // virsh says "failed to connect to the hypervisor" first and why last.
        const auto lines = nonblank_lines(r->err);
        std::string why = lines.empty() ? "exit status " + std::to_string(r->exit_code) : lines.back();
        if (why.rfind("error: ", 0) == 0) why.erase(0, 7);
        return HostCheck{kCheck, false, "virsh pool-capabilities failed: " + why + " (the mirror pool needs libvirt)",
                         "systemctl start libvirtd, then ilvm host-validate again"};
    }
    auto types = supported_pool_types(r->out);
    if (!types.ok())
        return HostCheck{kCheck, false, "cannot read virsh pool-capabilities: " + types.error().message,
                         "check that " + cmd.display() + " prints libvirt's pool capabilities"};
    if (!types->count("logical"))
        return HostCheck{kCheck, false,
                         "libvirt has no backend for logical pools: the mirror pool cannot start and virsh shows "
                         "no volume of this host's pools",
                         "apt-get install libvirt-daemon-driver-storage-logical (Debian 13), then systemctl restart "
                         "libvirtd"};
    return HostCheck{kCheck, true, {}, {}};
}

}  // namespace ilvm::cli
