// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cstring>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "common/log.hpp"
#include "common/shared_library.hpp"
#include "secret/secret_provider.hpp"

namespace ilvm {
namespace {

// libvirt, loaded at the first secret lookup (common/shared_library.hpp): every `ilvm` verb
// and every hook call loads this module, and only a CHAP login needs libvirt.
#define ILVM_SECRET_LIBVIRT_FUNCTIONS(X) \
    X(virGetLastError)                   \
    X(virSetErrorFunc)                   \
    X(virConnectOpen)                    \
    X(virConnectClose)                   \
    X(virSecretLookupByUUIDString)       \
    X(virSecretLookupByUsage)            \
    X(virSecretGetValue)                 \
    X(virSecretFree)

struct SecretLibvirt {
#define ILVM_SECRET_LIBVIRT_MEMBER(name) decltype(&::name) name = nullptr;
    ILVM_SECRET_LIBVIRT_FUNCTIONS(ILVM_SECRET_LIBVIRT_MEMBER)
#undef ILVM_SECRET_LIBVIRT_MEMBER

    static Status resolve_from(const SharedLibrary &lib, SecretLibvirt &api) {
#define ILVM_SECRET_LIBVIRT_RESOLVE(name) ILVM_TRY(lib.resolve(#name, api.name));
        ILVM_SECRET_LIBVIRT_FUNCTIONS(ILVM_SECRET_LIBVIRT_RESOLVE)
#undef ILVM_SECRET_LIBVIRT_RESOLVE
        return Status::success();
    }
};

Result<const SecretLibvirt *> secret_libvirt() {
    return SharedLibrary::table_once<SecretLibvirt>("libvirt.so.0", "install libvirt's client library (Debian: libvirt0)");
}

// For a handle's deleter: a handle exists only after a call through the table succeeded.
const SecretLibvirt &loaded_secret_libvirt() { return *secret_libvirt().value(); }

struct ConnDeleter {
    void operator()(virConnectPtr c) const { if (c) loaded_secret_libvirt().virConnectClose(c); }
};
struct SecretDeleter {
    void operator()(virSecretPtr s) const { if (s) loaded_secret_libvirt().virSecretFree(s); }
};

std::string last_libvirt_error(const SecretLibvirt &api) {
    virErrorPtr e = api.virGetLastError();
    std::string msg = (e && e->message) ? e->message : "unknown libvirt error";
    // One line only.
    for (auto &ch : msg)
        if (ch == '\n') ch = ' ';
    return msg;
}

class LibvirtSecretProvider final : public SecretProvider {
public:
    explicit LibvirtSecretProvider(std::string uri) : uri_(std::move(uri)) {}

    Result<SecretString> chap_password(const SecretRef &ref) override {
        auto loaded = secret_libvirt();
        if (!loaded.ok())
            return system_error("cannot connect to libvirt at " + uri_ + ": " + loaded.error().message, loaded.error().hint);
        const SecretLibvirt &api = **loaded;
        if (!conn_) {
            // Keep libvirt from printing to our stderr; we report errors ourselves.
            api.virSetErrorFunc(nullptr, [](void *, virErrorPtr) {});
            conn_.reset(api.virConnectOpen(uri_.c_str()));
            if (!conn_)
                return system_error("cannot connect to libvirt at " + uri_ + ": " + last_libvirt_error(api),
                                    "is libvirtd (or virtsecretd) running? set ILVM_LIBVIRT_URI to use another URI");
        }
        std::unique_ptr<virSecret, SecretDeleter> secret;
        std::string what;
        if (!ref.uuid.empty()) {
            secret.reset(api.virSecretLookupByUUIDString(conn_.get(), ref.uuid.c_str()));
            what = "uuid " + ref.uuid;
        } else {
            secret.reset(api.virSecretLookupByUsage(conn_.get(), VIR_SECRET_USAGE_TYPE_ISCSI, ref.usage.c_str()));
            what = "usage '" + ref.usage + "'";
        }
        if (!secret)
            return not_found("no libvirt secret with " + what,
                             "define it with virsh secret-define (usage type='iscsi') and set its value with "
                             "virsh secret-set-value");
        size_t len = 0;
        unsigned char *raw = api.virSecretGetValue(secret.get(), &len, 0);
        if (!raw) {
            virErrorPtr e = api.virGetLastError();
            // libvirt never hands a private='yes' secret to an API caller (measured in the lab).
            if (e && e->code == VIR_ERR_INVALID_SECRET && e->message && std::strstr(e->message, "private"))
                return invalid_input("libvirt secret with " + what + " is private='yes': libvirt never reveals its value",
                                     "redefine it with <secret ephemeral='no' private='no'> (values stay readable only "
                                     "to root on qemu:///system) and set its value again");
            if (e && e->code == VIR_ERR_NO_SECRET)
                return not_found("libvirt secret with " + what + " has no value", "set it with virsh secret-set-value");
            return system_error("cannot read libvirt secret with " + what + ": " + last_libvirt_error(api),
                                "ilvm must run as root on a connection allowed to read secret values");
        }
        // Straight into the secret's own buffer: no std::string copy in between.
        SecretString value(std::string_view(reinterpret_cast<const char *>(raw), len));
        explicit_bzero(raw, len);
        free(raw);
        ILVM_TRY(validate_chap_secret(value));
        spdlog::debug("CHAP secret with {} fetched from libvirt ({} bytes)", what, len);
        return value;
    }

private:
    std::string uri_;
    std::unique_ptr<virConnect, ConnDeleter> conn_;
};

}  // namespace

std::unique_ptr<SecretProvider> make_libvirt_secret_provider(std::string uri) {
    return std::make_unique<LibvirtSecretProvider>(std::move(uri));
}

Status validate_chap_secret(const SecretString &s) {
    const auto &v = s.reveal();
    if (v.empty()) return invalid_input("the CHAP secret is empty");
    // open-iscsi's AUTH_STR_MAX_LEN is 256 including the terminator.
    if (v.size() > 255) return invalid_input("the CHAP secret is longer than 255 bytes");
    for (char c : v)
        if (c == '\n' || c == '\r' || c == '\0')
            return invalid_input("the CHAP secret contains a line break or NUL byte",
                                 "store the secret without a trailing newline (printf, not echo)");
    return {};
}

}  // namespace ilvm
