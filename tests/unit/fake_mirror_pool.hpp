// SPDX-License-Identifier: LGPL-2.1-or-later
// A scripted MirrorPool: a state per pool name, failures on demand, and a log of calls.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "host/libvirt/mirror_pool.hpp"

namespace ilvm::test {

class FakeMirrorPool final : public host::MirrorPool {
public:
    std::map<std::string, host::MirrorInfo> pools;   // absent when not listed
    bool reachable = true;
    std::set<std::string> failing;                  // "define", "start", ...: fail with a system error
    std::vector<std::string> calls;                 // "start san", ...
    // libvirt's answer to a failed refresh (storagePoolRefresh): the pool stopped.
    bool failed_refresh_stops = false;

    host::MirrorInfo inspect(const std::string &name, const std::string &) override {
        if (!reachable) return {host::MirrorState::unreachable, "cannot connect to libvirt at test:///nowhere"};
        auto it = pools.find(name);
        return it == pools.end() ? host::MirrorInfo{host::MirrorState::absent, {}} : it->second;
    }
    Status define(const std::string &name, const std::string &) override { return act("define", name, host::MirrorState::defined); }
    Status start(const std::string &name) override { return act("start", name, host::MirrorState::active); }
    Status refresh(const std::string &name) override {
        Status st = act("refresh", name, host::MirrorState::active);
        if (!st.ok() && failed_refresh_stops) pools[name] = {host::MirrorState::defined, {}};
        return st;
    }
    Status stop(const std::string &name) override { return act("stop", name, host::MirrorState::defined); }
    Status undefine(const std::string &name) override {
        ILVM_TRY(act("undefine", name, host::MirrorState::absent));
        pools.erase(name);
        return {};
    }

private:
    Status act(const std::string &verb, const std::string &name, host::MirrorState after) {
        calls.push_back(verb + " " + name);
        if (failing.count(verb)) return system_error("libvirt said no to " + verb);
        pools[name] = {after, {}};
        return {};
    }
};

}  // namespace ilvm::test
