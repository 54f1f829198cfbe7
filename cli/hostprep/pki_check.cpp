// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/hostprep/pki_check.hpp"

#include <cstdio>
#include <optional>
#include <string.h>
#include <vector>

#include <gio/gio.h>

#include "common/gobject_ptr.hpp"
#include "common/pki_files.hpp"

namespace ilvm::cli {
namespace {

constexpr const char *kCheck = "agent certificates";
constexpr const char *kInstallFix =
    "install the cluster CA and this host's libvirt server and client certificates (the files virsh migrate over "
    "qemu+tls:// uses; virt-pki-validate checks them; see docs/agent.md, Peer channel)";

struct Problems {
    std::vector<std::string> found;
    std::string fix;   // the first problem's
    void add(std::string problem, std::string problem_fix) {
        if (found.empty()) fix = std::move(problem_fix);
        found.push_back(std::move(problem));
    }
};

// Text that held a private key: overwritten before it is freed.
struct WipedText {
    std::string text;
    ~WipedText() { explicit_bzero(text.data(), text.size()); }
};

// The text of host file `path`, or nothing (a problem is added).
std::optional<std::string> read_host_file(System &sys, const HostRoot &root, const std::string &path, Problems &p) {
    auto text = read_if_exists(sys, root.at(path));
    if (!text.ok()) {
        p.add(text.error().message, "check " + path);
        return std::nullopt;
    }
    if (!*text) {
        p.add(path + " is missing", kInstallFix);
        return std::nullopt;
    }
    return std::move(**text);
}

std::string verification_problems(GTlsCertificateFlags flags, const std::string &ca_path) {
    const std::pair<GTlsCertificateFlags, std::string> named[] = {
        {G_TLS_CERTIFICATE_UNKNOWN_CA, "not signed by the CA in " + ca_path},
        {G_TLS_CERTIFICATE_EXPIRED, "expired"},
        {G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet"},
        {G_TLS_CERTIFICATE_REVOKED, "revoked"},
        {G_TLS_CERTIFICATE_INSECURE, "signed with an insecure algorithm"},
        {G_TLS_CERTIFICATE_GENERIC_ERROR, "not verifiable"},
    };
    std::string out;
    for (const auto &[flag, text] : named)
        if (flags & flag) out += (out.empty() ? "" : ", ") + text;
    return out.empty() ? "not verifiable" : out;
}

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// One role's certificate and key: loaded together, verified against `ca` (when it parsed),
// the key kept from other users.
void check_certificate(System &sys, const HostRoot &root, GTlsCertificate *ca, const std::string &ca_path,
                       const std::string &role, const std::string &cert_path, const std::string &key_path, Problems &p) {
    auto cert = read_host_file(sys, root, cert_path, p);
    WipedText key{read_host_file(sys, root, key_path, p).value_or("")};
    if (auto mode = sys.file_mode(root.at(key_path)); mode.ok() && (*mode & 077) != 0)
        p.add(key_path + " is readable by other users than its owner (mode " + octal_mode(*mode) + ")",
              "chmod 600 " + key_path);
    if (!cert || key.text.empty()) return;
    WipedText both{*cert + "\n" + key.text};
    GError *raw = nullptr;
    GObjectPtr<GTlsCertificate> loaded(g_tls_certificate_new_from_pem(both.text.c_str(),
                                                                      static_cast<gssize>(both.text.size()), &raw));
    GErrorPtr err(raw);
    if (!loaded) {
        p.add("the " + role + " certificate " + cert_path + " with its key " + key_path + " cannot be loaded: " +
                  (err ? err->message : "unknown error"),
              kInstallFix);
        return;
    }
    if (!ca) return;
    GTlsCertificateFlags flags = g_tls_certificate_verify(loaded.get(), nullptr, ca);
    if (flags != 0) p.add("the " + role + " certificate " + cert_path + " is " + verification_problems(flags, ca_path),
                          kInstallFix);
}

}  // namespace

HostCheck agent_certificates_check(System &sys, const HostRoot &root) {
    if (!g_tls_backend_supports_tls(g_tls_backend_get_default()))
        return HostCheck{kCheck, false, "GIO has no TLS backend: ilvmd cannot reach other hosts' agents",
                         "apt-get install glib-networking"};
    const PkiFiles pki = libvirt_pki();   // host paths; HostRoot moves them
    Problems p;
    GObjectPtr<GTlsCertificate> ca;
    if (auto text = read_host_file(sys, root, pki.ca, p)) {
        GError *raw = nullptr;
        ca.reset(g_tls_certificate_new_from_pem(text->c_str(), static_cast<gssize>(text->size()), &raw));
        GErrorPtr err(raw);
        if (!ca) p.add(pki.ca + " is not a certificate: " + (err ? err->message : "unknown error"), kInstallFix);
    }
    check_certificate(sys, root, ca.get(), pki.ca, "server", pki.server_cert, pki.server_key, p);
    check_certificate(sys, root, ca.get(), pki.ca, "client", pki.client_cert, pki.client_key, p);
    if (p.found.empty()) return HostCheck{kCheck, true, {}, {}};
    std::string all;
    for (const auto &f : p.found) all += (all.empty() ? "" : "; ") + f;
    return HostCheck{kCheck, false,
                     all + ": a stock virsh migrate to or from this host is refused (ilvm migrate still works)", p.fix};
}

}  // namespace ilvm::cli
