// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/snapshot_xml.hpp"

#include <set>

#include "common/xml_doc.hpp"
#include "lvm/lvm_argv.hpp"

namespace ilvm {
namespace {

std::string attr(const char *name, const std::string &value) {
    return std::string(" ") + name + "='" + xml::escape(value) + "'";
}

// The snapshot name of the layer `lv` names, if it is one of the chain's.
std::string backing_attr(const VolumeChain &chain, const std::optional<std::string> &lv) {
    if (!lv) return "";
    const ChainLayer *l = chain.layer_lv(*lv);
    return attr("backing", l ? l->snapshot : *lv);
}

}  // namespace

std::string format_snapshots_xml(const PoolDef &pool, const VolumeChain &chain) {
    std::set<std::string> current;
    for (const auto *l : chain.below(chain.backing)) current.insert(l->lv.name);
    std::string x = "<snapshots" + attr("pool", pool.name) + attr("volume", chain.top.name) +
                    attr("capacity", std::to_string(chain.capacity)) + attr("allocation", std::to_string(chain.top.size)) +
                    backing_attr(chain, chain.backing) + ">\n";
    for (const auto &l : chain.layers) {
        x += "  <snapshot" + attr("name", l.snapshot) + attr("lv", l.lv.name) + attr("capacity", std::to_string(l.capacity)) +
             attr("allocation", std::to_string(l.lv.size)) + attr("current", current.count(l.lv.name) ? "yes" : "no");
        if (l.created) x += attr("created", std::to_string(*l.created));
        x += backing_attr(chain, l.backing);
        if (!l.description.empty()) x += attr("description", l.description);
        x += "/>\n";
    }
    return x + "</snapshots>\n";
}

std::string format_live_snapshot_xml(const PoolDef &pool, const std::string &volume, const std::string &snapshot,
                                     const std::string &top) {
    return "<live-snapshot" + attr("pool", pool.name) + attr("volume", volume) + attr("snapshot", snapshot) + attr("top", top) +
           attr("path", lvm::lv_path(pool.vg_name, top)) + "/>\n";
}

}  // namespace ilvm
