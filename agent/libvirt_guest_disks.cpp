// SPDX-License-Identifier: LGPL-2.1-or-later
#include "agent/libvirt_guest_disks.hpp"

#include <memory>

#include "host/libvirt/libvirt_conn.hpp"

namespace ilvm::agent {
namespace {

using Domain = host::DomainHandle;

Result<Domain> lookup(virConnectPtr conn, const std::string &name) {
    if (!conn) return system_error("libvirt is not connected");
    Domain dom(virDomainLookupByName(conn, name.c_str()));
    if (!dom) return not_found("domain " + name + ": " + host::libvirt_error());
    return dom;
}

Error failed(const std::string &what, const std::string &domain) {
    return system_error(what + " of domain " + domain + ": " + host::libvirt_error());
}

}  // namespace

Result<std::vector<std::string>> LibvirtGuestDisks::running_domains() {
    virConnectPtr conn = conn_();
    if (!conn) return system_error("libvirt is not connected");
    virDomainPtr *list = nullptr;
    const int n = virConnectListAllDomains(conn, &list, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0) return system_error("listing the running domains: " + host::libvirt_error());
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
        Domain dom(list[i]);   // each freed here, whatever follows
        if (const char *name = virDomainGetName(dom.get())) out.emplace_back(name);
    }
    free(list);   // libvirt's array, allocated by it with malloc
    return out;
}

Result<std::string> LibvirtGuestDisks::live_xml(const std::string &domain) {
    ILVM_ASSIGN_OR_RETURN(auto dom, lookup(conn_(), domain));
    std::unique_ptr<char, decltype(&free)> xml(virDomainGetXMLDesc(dom.get(), 0), &free);
    if (!xml) return failed("the live XML", domain);
    return std::string(xml.get());
}

Status LibvirtGuestDisks::set_threshold(const std::string &domain, const std::string &node, uint64_t bytes) {
    ILVM_ASSIGN_OR_RETURN(auto dom, lookup(conn_(), domain));
    if (virDomainSetBlockThreshold(dom.get(), node.c_str(), bytes, 0) < 0)
        return failed("the write threshold on " + node, domain);
    return {};
}

Result<uint64_t> LibvirtGuestDisks::highest_write(const std::string &domain, const std::string &target) {
    ILVM_ASSIGN_OR_RETURN(auto dom, lookup(conn_(), domain));
    virDomainBlockInfo info{};
    if (virDomainGetBlockInfo(dom.get(), target.c_str(), &info, 0) < 0) return failed("the block info of " + target, domain);
    return static_cast<uint64_t>(info.allocation);
}

Result<bool> LibvirtGuestDisks::paused_by_io_error(const std::string &domain) {
    ILVM_ASSIGN_OR_RETURN(auto dom, lookup(conn_(), domain));
    int state = 0, reason = 0;
    if (virDomainGetState(dom.get(), &state, &reason, 0) < 0) return failed("the state", domain);
    return state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_IOERROR;
}

Status LibvirtGuestDisks::resume(const std::string &domain) {
    ILVM_ASSIGN_OR_RETURN(auto dom, lookup(conn_(), domain));
    if (virDomainResume(dom.get()) < 0) return failed("resuming", domain);
    return {};
}

}  // namespace ilvm::agent
