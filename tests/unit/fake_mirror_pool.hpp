// A scripted MirrorPool: a state per pool name, failures on demand, and a log of calls.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "mirror_pool.hpp"

namespace ilvm::test {

class FakeMirrorPool final : public cli::MirrorPool {
public:
    std::map<std::string, cli::MirrorInfo> pools;   // absent when not listed
    bool reachable = true;
    std::set<std::string> failing;                  // "define", "start", ...: fail with a system error
    std::vector<std::string> calls;                 // "start san", ...

    cli::MirrorInfo inspect(const std::string &name, const std::string &) override {
        if (!reachable) return {cli::MirrorState::unreachable, "cannot connect to libvirt at test:///nowhere"};
        auto it = pools.find(name);
        return it == pools.end() ? cli::MirrorInfo{cli::MirrorState::absent, {}} : it->second;
    }
    Status define(const std::string &name, const std::string &) override { return act("define", name, cli::MirrorState::defined); }
    Status start(const std::string &name) override { return act("start", name, cli::MirrorState::active); }
    Status refresh(const std::string &name) override { return act("refresh", name, cli::MirrorState::active); }
    Status stop(const std::string &name) override { return act("stop", name, cli::MirrorState::defined); }
    Status undefine(const std::string &name) override {
        ILVM_TRY(act("undefine", name, cli::MirrorState::absent));
        pools.erase(name);
        return {};
    }

private:
    Status act(const std::string &verb, const std::string &name, cli::MirrorState after) {
        calls.push_back(verb + " " + name);
        if (failing.count(verb)) return system_error("libvirt said no to " + verb);
        pools[name] = {after, {}};
        return {};
    }
};

}  // namespace ilvm::test
