// SPDX-License-Identifier: LGPL-2.1-or-later
// The CHAP password must never reach an argv, a command's stdin, a log line or an error.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sstream>

#include "backend_fixture.hpp"

namespace ilvm::test {
namespace {

class SecretLeak : public BackendTest {
protected:
    std::ostringstream log;
    std::shared_ptr<spdlog::logger> previous;

    void SetUp() override {
        use_pool("san_chap.xml");
        previous = spdlog::default_logger();
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(log);
        auto logger = std::make_shared<spdlog::logger>("capture", sink);
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(logger);
        spdlog::set_level(spdlog::level::trace);
    }
    void TearDown() override { spdlog::set_default_logger(previous); }
};

TEST_F(SecretLeak, NotInArgvLogsOrErrors) {
    const std::string secret = "Sup3r-S3cret-CHAP";
    secrets.by_usage["san-chap"] = secret;
    const std::string target_dir = "/etc/iscsi/nodes/iqn.2024-04.com.example:vms";
    sys.dirs[target_dir] = {"10.0.0.50,3260,-1"};
    sys.dirs[target_dir + "/10.0.0.50,3260,-1"] = {"ilvm-san"};
    sys.files[target_dir + "/10.0.0.50,3260,-1/ilvm-san"] = data_file("iscsi/node_record_default.txt");
    logged_in(false);
    lun_present();
    sys.on({"pvs"}, ok_out(data_file("lvm/pvs_vg_san.json")));
    // A successful start, then a failing one (auth refused) to cover error paths too.
    auto ok = backend->start_pool(pool);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    sys.on({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal", "10.0.0.50:3260",
            "--interface", "ilvm-san", "--login"},
           fail_out(24, "iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\n"));
    auto bad = backend->start_pool(pool);
    ASSERT_FALSE(bad.ok());

    EXPECT_EQ(secrets.lookups, 2);
    ASSERT_FALSE(log.str().empty()) << "the capture sink saw nothing: the test would prove nothing";
    EXPECT_EQ(log.str().find(secret), std::string::npos) << log.str();
    EXPECT_EQ(bad.error().message.find(secret), std::string::npos);
    EXPECT_EQ(bad.error().hint.find(secret), std::string::npos);
    ASSERT_GT(sys.commands.size(), 5u);
    for (const auto &c : sys.commands) {
        EXPECT_EQ(c.display().find(secret), std::string::npos) << c.display();
        EXPECT_EQ(c.stdin_data.find(secret), std::string::npos);
    }
    // ...and it did reach the one place it belongs.
    EXPECT_NE(sys.files[target_dir + "/10.0.0.50,3260,-1/ilvm-san"].find(secret), std::string::npos);
}

}  // namespace
}  // namespace ilvm::test
