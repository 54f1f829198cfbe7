#include "summaries.hpp"

#include <charconv>

#include "xml_query.hpp"

namespace ilvm::cli {
namespace {

uint64_t to_u64(const std::string &s) {
    uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

VolSummary vol_from(const XmlQuery &q, const std::string &base) {
    auto s = [&](const std::string &rel) { return q.str(("string(" + base + rel + ")").c_str()); };
    VolSummary v;
    v.name = s("/name");
    v.key = s("/key");
    v.path = s("/target/path");
    v.capacity = to_u64(s("/capacity"));
    v.allocation = to_u64(s("/allocation"));
    v.activation = s("/activation/@state");
    if (v.activation.empty()) v.activation = "inactive";
    v.open = s("/activation/@open") == "yes";
    v.skip = s("/activation/@skip") == "yes";
    v.autoactivation = s("/activation/@autoactivation") != "no";
    std::string hid = s("/holder/@host_id");
    if (!hid.empty()) {
        v.has_holder = true;
        v.holder_id = static_cast<uint32_t>(to_u64(hid));
        v.holder_name = s("/holder/@name");
        v.holder_mode = s("/holder/@mode");
    }
    return v;
}

}  // namespace

Result<PoolSummary> summarize_pool(const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto q, XmlQuery::parse(xml));
    PoolSummary p;
    p.name = q.str("string(/pool/name)");
    p.uuid = q.str("string(/pool/uuid)");
    p.host = q.str("string(/pool/source/host/@name)");
    p.port = q.str("string(/pool/source/host/@port)");
    if (p.port.empty()) p.port = "3260";
    p.target = q.str("string(/pool/source/device/@path)");
    p.lun = q.str("string(/pool/source/device/@lun)");
    if (p.lun.empty()) p.lun = "0";
    p.initiator = q.str("string(/pool/source/initiator/iqn/@name)");
    p.vg = q.str("string(/pool/source/name)");
    p.vg_uuid = q.str("string(/pool/source/vg/@uuid)");
    p.lock_type = q.str("string(/pool/locking/@type)");
    if (p.lock_type.empty()) p.lock_type = "sanlock";
    p.auth_user = q.str("string(/pool/source/auth/@username)");
    std::string cap = q.str("string(/pool/capacity)");
    if (!cap.empty()) {
        p.has_status = true;
        p.capacity = to_u64(cap);
        p.allocation = to_u64(q.str("string(/pool/allocation)"));
        p.available = to_u64(q.str("string(/pool/available)"));
    }
    return p;
}

Result<VolSummary> summarize_vol(const std::string &xml) {
    ILVM_ASSIGN_OR_RETURN(auto q, XmlQuery::parse(xml));
    return vol_from(q, "/volume");
}

Result<std::vector<VolSummary>> summarize_volumes(const std::string &volumes_xml) {
    ILVM_ASSIGN_OR_RETURN(auto q, XmlQuery::parse(volumes_xml));
    std::vector<VolSummary> out;
    int n = std::stoi("0" + q.str("string(count(/volumes/volume))"));
    for (int i = 1; i <= n; ++i) out.push_back(vol_from(q, "/volumes/volume[" + std::to_string(i) + "]"));
    return out;
}

JsonValue to_json_value(const VolSummary &v) {
    JsonObject o{{"name", v.name},
                 {"key", v.key},
                 {"path", v.path},
                 {"capacity", v.capacity},
                 {"allocation", v.allocation},
                 {"activation", v.activation},
                 {"open", v.open},
                 {"activation_skip", v.skip},
                 {"autoactivation", v.autoactivation}};
    if (v.has_holder)
        o.emplace_back("holder", JsonObject{{"host_id", v.holder_id},
                                            {"host_name", v.holder_name},
                                            {"mode", v.holder_mode.empty() ? JsonValue() : JsonValue(v.holder_mode)}});
    else
        o.emplace_back("holder", nullptr);
    return o;
}

std::string describe_activation(const VolSummary &v) {
    if (v.activation == "exclusive") return std::string("active here, exclusive") + (v.open ? ", open" : "");
    if (v.activation == "shared") return std::string("active here, shared") + (v.open ? ", open" : "");
    if (v.has_holder)
        return "held by host " + std::to_string(v.holder_id) + (v.holder_name.empty() ? "" : " (" + v.holder_name + ")") +
               (v.holder_mode.empty() ? "" : ", " + v.holder_mode);
    return "inactive";
}

const char *placement_state(const VolSummary &v) {
    if (v.activation != "inactive") return "active-here";
    return v.has_holder ? "held-elsewhere" : "free";
}

std::string placement_mode(const VolSummary &v) {
    if (v.activation == "exclusive" || v.activation == "shared") return v.activation;
    return v.has_holder ? v.holder_mode : "";
}

}  // namespace ilvm::cli
