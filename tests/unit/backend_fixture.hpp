// SPDX-License-Identifier: LGPL-2.1-or-later
// Shared setup for golden-argv backend tests: a pool from tests/data/pools, a FakeSystem
// scripted with recorded lvs/vgs/pvs JSON and iscsiadm output.
#pragma once

#include <gtest/gtest.h>
#include <memory>

#include "backend/backend.hpp"
#include "fake_secrets.hpp"
#include "fake_system.hpp"
#include "xml/pool_xml.hpp"

namespace ilvm::test {

class BackendTest : public ::testing::Test {
protected:
    FakeSystem sys;
    FakeSecrets secrets;
    std::unique_ptr<Backend> backend;
    PoolDef pool;

    void use_pool(const std::string &file) {
        auto p = parse_pool_xml(data_file("pools/" + file));
        ASSERT_TRUE(p.ok()) << p.error().message;
        pool = *p;
        BackendConfig cfg;
        cfg.device_timeout = std::chrono::seconds(5);
        // 2026-01-01 00:00:00 UTC whatever the day the tests run: goldens record it.
        cfg.wall_clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1767225600)); };
        backend = std::make_unique<Backend>(sys, secrets, cfg);
    }
    void SetUp() override { use_pool("san.xml"); }

    // iscsiadm --mode session: our session listed, or "No active sessions" (exit 21).
    void logged_in(bool yes) {
        if (yes)
            sys.on({"iscsiadm", "--mode", "session"}, ok_out(data_file("iscsi/session_list.txt")));
        else
            sys.on({"iscsiadm", "--mode", "session"}, fail_out(21, "iscsiadm: No active sessions.\n"));
    }
    // The by-path link of each portal exists (udev created it after login).
    void lun_present() {
        for (const auto &portal : pool.portals) sys.paths.insert(pool.by_path_device(portal));
    }
    void vgs(const std::string &file) { sys.on({"vgs"}, ok_out(data_file("lvm/" + file))); }
    void lvs(std::vector<std::string> files) {
        std::vector<CommandOutput> outs;
        for (const auto &f : files) outs.push_back(ok_out(data_file("lvm/" + f)));
        sys.on({"lvs"}, outs);
    }
    // sanlock lists the pool's lockspace as joined: what a successful lock-start leaves.
    void lockspace_joined() {
        sys.on({"sanlock", "client", "status"}, ok_out(data_file("sanlock/status_joined_vg_san.txt")));
    }
    void started_pool() {
        logged_in(true);
        lun_present();
    }
    void expect_no_mutation() {
        EXPECT_TRUE(sys.mutating_commands().empty()) << "mutating commands were run:\n" << sys.transcript();
    }
    void expect_not_run(const std::vector<std::string> &prefix) {
        EXPECT_FALSE(sys.ran(prefix)) << "unexpected command in:\n" << sys.transcript();
    }
    // Each of `fragments` appears in the transcript, after the one before it.
    void expect_in_order(const std::vector<std::string> &fragments) {
        const std::string t = sys.transcript();
        size_t from = 0;
        for (const auto &f : fragments) {
            const auto at = t.find(f, from);
            ASSERT_NE(at, std::string::npos) << "'" << f << "' missing, or not after what precedes it in:\n" << t;
            from = at + f.size();
        }
    }
};

}  // namespace ilvm::test
