// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/pool_xml.hpp"

#include <cctype>
#include <cstdint>
#include <optional>

#include "common/names.hpp"
#include "common/numbers.hpp"
#include "common/size.hpp"
#include "common/strings.hpp"
#include "common/xml_doc.hpp"
#include "xml/schema.hpp"

namespace ilvm {
namespace {

constexpr std::string_view k_what = "pool XML";
constexpr uint32_t k_max_lun = 16383;  // open-iscsi / SAM flat addressing

std::string text_of(const xmlNode *node) { return std::string(trim(xml::text_content(node))); }

std::string line_suffix(const xmlNode *node) {
    const long line = xml::line_of(node);
    return line > 0 ? " (line " + std::to_string(line) + ")" : std::string();
}

// Digits only (no sign, no spaces, no hex), at most `max`; nullopt otherwise.
std::optional<uint64_t> parse_decimal(std::string_view s, uint64_t max) {
    auto v = parse_digits(s);
    if (!v || *v > max) return std::nullopt;
    return v;
}

// libvirt prints UUIDs lower case with dashes; store them that way so comparisons with
// libvirt's output and our own files are plain string compares.
std::string canonical_uuid(std::string_view uuid) {
    std::string hex;
    for (char c : uuid)
        if (c != '-') hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (hex.size() != 32) return std::string(uuid);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20);
}

Status check_root(const xmlNode *root) {
    if (!xml::is_element(root, "pool")) {
        std::string name(xml::node_name(root));
        if (root->ns != nullptr) name += " (in a namespace)";
        return invalid_input("pool XML must have <pool type='iscsi-lvm'> as its root element, not <" + xml::one_line(name, 80) + ">");
    }
    auto type = xml::attribute(root, "type");
    if (!type)
        return invalid_input("pool XML: <pool> has no type attribute", "iscsi-lvm pools are written <pool type='iscsi-lvm'>");
    if (xml::token(*type) != "iscsi-lvm")
        return invalid_input("pool type " + xml::shown(*type) + " is not supported: iscsi-lvm pools are <pool type='iscsi-lvm'>",
                             "pools of libvirt's own types are defined with virsh pool-define");
    return {};
}

// Names under which someone might try to put the CHAP password into the XML.
bool secret_bearing_name(std::string_view name) {
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower.find("pass") != std::string::npos  // password, passwd, passphrase, chap_password
           || lower == "value" || lower == "secret" || lower == "base64";
}

// Refused before the schema so the message says what to do instead, and so the value is
// never echoed (the schema's "unknown attribute" message would not leak it either, but
// this one explains). Looks at the whole document, not just <auth>.
Status refuse_inline_secrets(const xmlNode *node) {
    const std::string hint =
        "store the password with 'virsh secret-define' and 'virsh secret-set-value', then reference it with "
        "<secret usage='...'/> or <secret uuid='...'/> inside <auth>";
    const std::string prefix = "the CHAP password lives in libvirt's secret store, not in pool XML: ";
    const std::string me(xml::node_name(node));
    if (node->type != XML_ELEMENT_NODE) return {};
    if (me != "secret" && secret_bearing_name(me))
        return invalid_input(prefix + "remove the <" + xml::one_line(me, 40) + "> element" + line_suffix(node), hint);
    for (const xmlAttr *a = node->properties; a != nullptr; a = a->next) {
        const std::string_view an = a->name != nullptr ? reinterpret_cast<const char *>(a->name) : "";
        if (secret_bearing_name(an))
            return invalid_input(prefix + "remove the '" + xml::one_line(an, 40) + "' attribute from <" + xml::one_line(me, 40) + ">" +
                                     line_suffix(node),
                                 hint);
    }
    const bool holds_secret = me == "secret" || me == "auth";
    for (const xmlNode *c = node->children; c != nullptr; c = c->next) {
        if (holds_secret && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
            !trim(xml::text_content(c)).empty())
            return invalid_input(prefix + "remove the text inside <" + me + ">" + line_suffix(node), hint);
        if (c->type == XML_ELEMENT_NODE) ILVM_TRY(refuse_inline_secrets(c));
    }
    return {};
}

Result<uint16_t> parse_port(std::string_view text) {
    auto v = parse_decimal(text, 65535);
    if (!v || *v == 0)
        return invalid_input("invalid portal port " + xml::shown(text, 24) + ": expected a number from 1 to 65535",
                             "omit port= for the iSCSI default, 3260");
    return static_cast<uint16_t>(*v);
}

Result<uint32_t> parse_lun(std::string_view text) {
    auto v = parse_decimal(text, k_max_lun);
    if (!v)
        return invalid_input("invalid LUN " + xml::shown(text, 24) + ": expected a number from 0 to " + std::to_string(k_max_lun),
                             "iscsiadm -m session -P 3 lists the LUNs a target exports");
    return static_cast<uint32_t>(*v);
}

// <login timeout=… retries=…/>: each within bounds, and together at most an hour of trying.
constexpr uint32_t k_max_login_timeout = 600;
constexpr uint32_t k_max_login_retries = 100;
constexpr uint32_t k_max_login_window = 3600;

Result<LoginSettings> parse_login(const xmlNode *login) {
    LoginSettings out;
    const std::string hint = "<login timeout='SECONDS' retries='N'/>: each attempt may take up to timeout seconds, and "
                             "open-iscsi gives up after timeout x retries seconds (default " +
                             std::to_string(LoginSettings::kDefaultTimeout) + " and " +
                             std::to_string(LoginSettings::kDefaultRetries) + ")";
    if (auto t = xml::attribute(login, "timeout")) {
        auto v = parse_number(*t, 1, k_max_login_timeout, "login timeout");
        if (!v.ok()) return Error(ErrorCode::invalid_input, v.error().message + line_suffix(login), hint);
        out.timeout = static_cast<uint32_t>(*v);
    }
    if (auto r = xml::attribute(login, "retries")) {
        auto v = parse_number(*r, 1, k_max_login_retries, "login retries");
        if (!v.ok()) return Error(ErrorCode::invalid_input, v.error().message + line_suffix(login), hint);
        out.retries = static_cast<uint32_t>(*v);
    }
    if (out.window() > k_max_login_window)
        return invalid_input("login timeout " + std::to_string(out.timeout) + " s x " + std::to_string(out.retries) +
                                 " retries is more than " + std::to_string(k_max_login_window) + " s of trying" +
                                 line_suffix(login),
                             hint);
    return out;
}

Result<std::string> required_attr(const xmlNode *node, std::string_view name) {
    auto v = xml::attribute(node, name);
    if (!v) return invalid_input("<" + std::string(xml::node_name(node)) + "> has no " + std::string(name) + " attribute" + line_suffix(node));
    return std::move(*v);
}

Result<ChapAuth> parse_auth(const xmlNode *auth) {
    ChapAuth out;
    ILVM_ASSIGN_OR_RETURN(std::string type, required_attr(auth, "type"));
    if (xml::token(type) != "chap")
        return invalid_input("auth type " + xml::shown(type) + " is not supported: only 'chap'" + line_suffix(auth));
    ILVM_ASSIGN_OR_RETURN(out.username, required_attr(auth, "username"));
    ILVM_TRY(validate_chap_username(out.username));
    ILVM_ASSIGN_OR_RETURN(const xmlNode *secret, xml::exactly_one_child(auth, "secret"));
    auto usage = xml::attribute(secret, "usage");
    auto uuid = xml::attribute(secret, "uuid");
    if (usage.has_value() == uuid.has_value())
        return invalid_input("<secret> needs exactly one of usage= or uuid=" + line_suffix(secret),
                             "e.g. <secret usage='san-chap'/>, as in virsh secret-list");
    if (usage) {
        ILVM_TRY(validate_secret_usage(*usage));
        out.secret.usage = *usage;
    } else {
        ILVM_TRY(validate_uuid(*uuid));
        out.secret.uuid = canonical_uuid(*uuid);
    }
    return out;
}

Result<Portal> parse_portal(const xmlNode *host, PoolXmlOrigin origin) {
    Portal portal;
    ILVM_ASSIGN_OR_RETURN(std::string host_name, required_attr(host, "name"));
    ILVM_ASSIGN_OR_RETURN(portal.host,
                          canonical_host(host_name, origin == PoolXmlOrigin::definition ? HostNames::refuse : HostNames::keep));
    if (auto port = xml::attribute(host, "port")) {
        ILVM_ASSIGN_OR_RETURN(portal.port, parse_port(*port));
    }
    return portal;
}

// One to PoolDef::kMaxPortals <host> elements (the schema asks for at least one), each a
// distinct portal: the same address twice, however written (a host name kept from an earlier
// version compared without case), would be two sessions over one path, which multipath
// would take for two paths.
Status parse_portals(const xmlNode *source, PoolDef &def, PoolXmlOrigin origin) {
    const auto hosts = xml::child_elements(source, "host");
    if (hosts.empty()) return invalid_input("<source> has no <host>", "e.g. <host name='10.0.0.50' port='3260'/>");
    if (hosts.size() > PoolDef::kMaxPortals)
        return invalid_input("<source> names " + std::to_string(hosts.size()) + " portals (<host>): at most " +
                                 std::to_string(PoolDef::kMaxPortals) + line_suffix(hosts[PoolDef::kMaxPortals]),
                             "each <host> is one path to the LUN; name the portals this host should log in to");
    for (const xmlNode *host : hosts) {
        ILVM_ASSIGN_OR_RETURN(Portal portal, parse_portal(host, origin));
        for (const auto &earlier : def.portals)
            if (earlier.is(portal.host, portal.port))
                return invalid_input("portal " + portal.address() + " is named twice in <source>" + line_suffix(host),
                                     "each <host> is one path to the LUN: remove the second one (the same address, "
                                     "however written, and the same port)");
        def.portals.push_back(std::move(portal));
    }
    return {};
}

Status parse_source(const xmlNode *source, PoolDef &def, PoolXmlOrigin origin) {
    ILVM_TRY(parse_portals(source, def, origin));

    ILVM_ASSIGN_OR_RETURN(const xmlNode *login, xml::optional_child(source, "login"));
    if (login != nullptr) {
        ILVM_ASSIGN_OR_RETURN(def.login, parse_login(login));
    }

    ILVM_ASSIGN_OR_RETURN(const xmlNode *device, xml::exactly_one_child(source, "device"));
    ILVM_ASSIGN_OR_RETURN(def.target_iqn, required_attr(device, "path"));
    ILVM_TRY(validate_iscsi_name(def.target_iqn, "target IQN"));
    if (auto lun = xml::attribute(device, "lun")) {
        ILVM_ASSIGN_OR_RETURN(def.lun, parse_lun(*lun));
    }

    ILVM_ASSIGN_OR_RETURN(const xmlNode *initiator, xml::optional_child(source, "initiator"));
    if (initiator != nullptr) {
        ILVM_ASSIGN_OR_RETURN(const xmlNode *iqn, xml::exactly_one_child(initiator, "iqn"));
        ILVM_ASSIGN_OR_RETURN(def.initiator_iqn, required_attr(iqn, "name"));
        ILVM_TRY(validate_iscsi_name(def.initiator_iqn, "initiator IQN"));
    }

    ILVM_ASSIGN_OR_RETURN(const xmlNode *auth, xml::optional_child(source, "auth"));
    if (auth != nullptr) {
        ILVM_ASSIGN_OR_RETURN(def.auth, parse_auth(auth));
    }

    ILVM_ASSIGN_OR_RETURN(const xmlNode *vg_name, xml::optional_child(source, "name"));
    def.vg_name = vg_name != nullptr ? text_of(vg_name) : def.name;
    ILVM_TRY(validate_vg_name(def.vg_name));

    ILVM_ASSIGN_OR_RETURN(const xmlNode *vg, xml::optional_child(source, "vg"));
    if (vg != nullptr) {
        ILVM_ASSIGN_OR_RETURN(def.vg_uuid, required_attr(vg, "uuid"));
        ILVM_TRY(validate_lvm_uuid(def.vg_uuid));
    }

    ILVM_ASSIGN_OR_RETURN(const xmlNode *format, xml::optional_child(source, "format"));
    if (format != nullptr) {
        auto type = xml::attribute(format, "type").value_or("");
        if (xml::token(type) != "lvm2")
            return invalid_input("source format " + xml::shown(type) + " is not supported: only 'lvm2'" + line_suffix(format));
    }
    return {};
}

// <metadata_size unit='MiB'>64</metadata_size>: whole MiB from 1 MiB to 1 GiB (LVM rounds
// an area to its own alignment; more than 1 GiB is a typo, not a plan), unit MiB by default.
Result<uint64_t> parse_metadata_size(const xmlNode *node) {
    const std::string text = xml::token(xml::text_content(node));
    const std::string unit = xml::token(xml::attribute(node, "unit").value_or("MiB"));
    const std::string hint = "e.g. <metadata_size unit='MiB'>64</metadata_size> (the default)";
    const auto value = parse_digits(text);
    if (!value) return invalid_input("<metadata_size> " + xml::shown(text, 40) + " is not a whole number" + line_suffix(node), hint);
    auto bytes = scale_size(*value, unit);
    if (!bytes.ok()) return invalid_input("<metadata_size>: " + bytes.error().message + line_suffix(node), hint);
    constexpr uint64_t mib = 1ULL << 20;
    if (*bytes < mib || *bytes > 1024 * mib || *bytes % mib != 0)
        return invalid_input("<metadata_size> must be a whole number of MiB from 1 MiB to 1 GiB, not " +
                                 std::to_string(*bytes) + " bytes" + line_suffix(node),
                             hint);
    return *bytes;
}

}  // namespace

Result<PoolDef> parse_pool_xml(std::string_view text, PoolXmlOrigin origin) {
    ILVM_ASSIGN_OR_RETURN(XmlDoc doc, parse_untrusted_xml(text, k_what));
    const xmlNode *root = doc.root();
    ILVM_TRY(check_root(root));
    ILVM_TRY(refuse_inline_secrets(root));
    ILVM_TRY(validate_schema(doc, SchemaKind::pool));

    // From here on the structure is known good; the lookups below still return errors
    // rather than assume it.
    PoolDef def;
    ILVM_ASSIGN_OR_RETURN(const xmlNode *name, xml::exactly_one_child(root, "name"));
    def.name = text_of(name);
    ILVM_TRY(validate_pool_name(def.name));

    ILVM_ASSIGN_OR_RETURN(const xmlNode *uuid, xml::optional_child(root, "uuid"));
    if (uuid != nullptr) {
        const std::string u = text_of(uuid);
        ILVM_TRY(validate_uuid(u));
        def.uuid = canonical_uuid(u);
    }

    ILVM_ASSIGN_OR_RETURN(const xmlNode *source, xml::exactly_one_child(root, "source"));
    ILVM_TRY(parse_source(source, def, origin));

    ILVM_ASSIGN_OR_RETURN(const xmlNode *target, xml::optional_child(root, "target"));
    if (target != nullptr) {
        ILVM_ASSIGN_OR_RETURN(const xmlNode *path, xml::exactly_one_child(target, "path"));
        const std::string p = text_of(path);
        if (p != def.target_path())
            return invalid_input("target path " + xml::shown(p) + " does not match the volume group " + xml::shown(def.vg_name) +
                                     ": expected '" + def.target_path() + "'",
                                 "the VG name is <source><name> (default: the pool name); omit <target> to derive the path");
    }

    ILVM_ASSIGN_OR_RETURN(const xmlNode *locking, xml::optional_child(root, "locking"));
    if (locking != nullptr) {
        const std::string type = xml::token(xml::attribute(locking, "type").value_or(""));
        if (type == "sanlock") def.lock_type = LockType::sanlock;
        else if (type == "dlm") def.lock_type = LockType::dlm;
        else if (type == "none") def.lock_type = LockType::none;
        else
            return invalid_input("unknown lock type " + xml::shown(type) + ": expected 'sanlock', 'dlm' or 'none'" +
                                 line_suffix(locking));
    }

    for (auto [element, field] : {std::pair<const char *, bool *>{"wipe_on_create", &def.wipe_on_create},
                                  std::pair<const char *, bool *>{"wipe_on_delete", &def.wipe_on_delete}}) {
        ILVM_ASSIGN_OR_RETURN(const xmlNode *node, xml::optional_child(root, element));
        if (node == nullptr) continue;
        const std::string v = xml::token(xml::text_content(node));
        if (v == "yes") *field = true;
        else if (v == "no") *field = false;
        else return invalid_input("<" + std::string(element) + "> must be 'yes' or 'no', not " + xml::shown(v) + line_suffix(node));
    }
    ILVM_ASSIGN_OR_RETURN(const xmlNode *mda, xml::optional_child(root, "metadata_size"));
    if (mda != nullptr) {
        ILVM_ASSIGN_OR_RETURN(def.metadata_size, parse_metadata_size(mda));
    }
    ILVM_ASSIGN_OR_RETURN(const xmlNode *on_lockfailure, xml::optional_child(root, "on_lockfailure"));
    if (on_lockfailure != nullptr) {
        const std::string v = xml::token(xml::text_content(on_lockfailure));
        if (v == "pause") def.on_lockfailure = LockFailurePolicy::pause;
        else if (v == "poweroff") def.on_lockfailure = LockFailurePolicy::poweroff;
        else
            return invalid_input("<on_lockfailure> must be 'pause' or 'poweroff', not " + xml::shown(v) +
                                 line_suffix(on_lockfailure));
    }
    // <capacity>, <allocation>, <available>: pool-dumpxml output, ignored.
    return def;
}

std::string format_pool_xml(const PoolDef &def, const PoolStatus *status) {
    using xml::escape;
    // An empty vg_name means "same as the pool", as when <source><name> is omitted.
    const std::string vg = def.vg_name.empty() ? def.name : def.vg_name;
    std::string o;
    o += "<pool type='iscsi-lvm'>\n";
    o += "  <name>" + escape(def.name) + "</name>\n";
    if (!def.uuid.empty()) o += "  <uuid>" + escape(def.uuid) + "</uuid>\n";
    if (status != nullptr) {
        o += "  <capacity unit='bytes'>" + std::to_string(status->capacity) + "</capacity>\n";
        o += "  <allocation unit='bytes'>" + std::to_string(status->allocation) + "</allocation>\n";
        o += "  <available unit='bytes'>" + std::to_string(status->available) + "</available>\n";
    }
    o += "  <source>\n";
    for (const auto &portal : def.portals)
        o += "    <host name='" + escape(portal.host) + "' port='" + std::to_string(portal.port) + "'/>\n";
    o += "    <login timeout='" + std::to_string(def.login.timeout) + "' retries='" + std::to_string(def.login.retries) +
         "'/>\n";
    o += "    <device path='" + escape(def.target_iqn) + "' lun='" + std::to_string(def.lun) + "'/>\n";
    if (!def.initiator_iqn.empty()) {
        o += "    <initiator>\n";
        o += "      <iqn name='" + escape(def.initiator_iqn) + "'/>\n";
        o += "    </initiator>\n";
    }
    if (def.auth) {
        o += "    <auth type='chap' username='" + escape(def.auth->username) + "'>\n";
        if (!def.auth->secret.usage.empty()) o += "      <secret usage='" + escape(def.auth->secret.usage) + "'/>\n";
        else o += "      <secret uuid='" + escape(def.auth->secret.uuid) + "'/>\n";
        o += "    </auth>\n";
    }
    o += "    <name>" + escape(vg) + "</name>\n";
    if (!def.vg_uuid.empty()) o += "    <vg uuid='" + escape(def.vg_uuid) + "'/>\n";
    o += "    <format type='lvm2'/>\n";
    o += "  </source>\n";
    o += "  <target>\n";
    o += "    <path>" + escape("/dev/" + vg) + "</path>\n";
    o += "  </target>\n";
    o += "  <locking type='" + std::string(lock_type_name(def.lock_type)) + "'/>\n";
    o += std::string("  <wipe_on_create>") + (def.wipe_on_create ? "yes" : "no") + "</wipe_on_create>\n";
    o += std::string("  <wipe_on_delete>") + (def.wipe_on_delete ? "yes" : "no") + "</wipe_on_delete>\n";
    o += "  <metadata_size unit='MiB'>" + std::to_string(def.metadata_size >> 20) + "</metadata_size>\n";
    o += std::string("  <on_lockfailure>") + lock_failure_policy_name(def.on_lockfailure) + "</on_lockfailure>\n";
    o += "</pool>\n";
    return o;
}

}  // namespace ilvm
