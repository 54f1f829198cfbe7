// SPDX-License-Identifier: LGPL-2.1-or-later
// The CHAP password must never reach an argv, a command's stdin, a log line or an error;
// the SecretString holding it leaves no copy behind (wiped buffer, moves that copy nothing)
// and keeps the process undumpable while it exists.
#include <algorithm>
#include <new>
#include <spdlog/spdlog.h>
#include <sstream>
#include <sys/prctl.h>

#include "backend_fixture.hpp"
#include "iscsi/node_record.hpp"
#include "log_capture.hpp"

namespace ilvm::test {
namespace {

class SecretLeak : public BackendTest {
protected:
    LogCapture log;

    void SetUp() override { use_pool("san_chap.xml"); }
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
    lockspace_joined();
    // A successful start, then a failing one (auth refused) to cover error paths too.
    auto ok = backend->start_pool(pool);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    sys.on({"iscsiadm", "--mode", "node", "--targetname", "iqn.2024-04.com.example:vms", "--portal", "10.0.0.50:3260",
            "--interface", "ilvm-san", "--login"},
           fail_out(24, "iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\n"));
    auto bad = backend->start_pool(pool);
    ASSERT_FALSE(bad.ok());

    EXPECT_EQ(secrets.lookups, 2);
    ASSERT_FALSE(log.text().empty()) << "the capture sink saw nothing: the test would prove nothing";
    EXPECT_EQ(log.text().find(secret), std::string::npos) << log.text();
    EXPECT_EQ(bad.error().message.find(secret), std::string::npos);
    EXPECT_EQ(bad.error().hint.find(secret), std::string::npos);
    ASSERT_GT(sys.commands.size(), 5u);
    for (const auto &c : sys.commands) {
        EXPECT_EQ(c.display().find(secret), std::string::npos) << c.display();
        EXPECT_EQ(c.stdin_data.find(secret), std::string::npos);
    }
    // ...and it did reach the one place it belongs.
    EXPECT_NE(sys.files[target_dir + "/10.0.0.50,3260,-1/ilvm-san"].find(secret), std::string::npos);
    // Every secret of both starts is gone again: the process is dumpable as before.
    EXPECT_EQ(secret_detail::Undumpable::held(), 0u);
    EXPECT_EQ(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
}

// --- The SecretString itself ----------------------------------------------------------

// What the checking allocator saw when buffers were handed back.
struct Freed {
    static inline size_t buffers = 0;
    static inline std::vector<std::string> not_wiped;   // the contents of buffers freed unwiped
    static void reset() {
        buffers = 0;
        not_wiped.clear();
    }
};

// Checks, before it frees a buffer, that every byte of it is zero.
template <typename T>
struct CheckingAllocator {
    using value_type = T;
    CheckingAllocator() = default;
    template <typename U>
    CheckingAllocator(const CheckingAllocator<U> &) {}
    T *allocate(size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T *p, size_t n) {
        ++Freed::buffers;
        const char *bytes = reinterpret_cast<const char *>(p);
        if (!std::all_of(bytes, bytes + n * sizeof(T), [](char c) { return c == 0; }))
            Freed::not_wiped.emplace_back(bytes, n * sizeof(T));
        std::allocator<T>().deallocate(p, n);
    }
    friend bool operator==(const CheckingAllocator &, const CheckingAllocator &) { return true; }
};
using CheckedSecret = BasicSecretString<CheckingAllocator<char>>;

// The bytes of an object's own storage (not what it points to).
template <typename T>
std::string_view object_bytes(const T &storage) {
    return {reinterpret_cast<const char *>(&storage), sizeof storage};
}

int dumpable() { return ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }

TEST(SecretString, AShortSecretIsWipedBeforeItsBufferIsFreed) {
    // 5 bytes: std::string would have kept them in its small-string buffer.
    Freed::reset();
    {
        CheckedSecret s("sh0rt");
        EXPECT_EQ(s.reveal(), "sh0rt");
    }
    EXPECT_EQ(Freed::buffers, 1u);
    EXPECT_TRUE(Freed::not_wiped.empty()) << Freed::not_wiped.front();
}

TEST(SecretString, TheWholeCapacityIsWipedAlsoWhenItGrowsOrIsReplaced) {
    Freed::reset();
    {
        CheckedSecret s = CheckedSecret::with_capacity(64);
        s.append("first-part-");
        EXPECT_EQ(s.capacity(), 64u);
        s.append(std::string(100, 'x'));   // past the reserve: a new buffer, the old one wiped
        EXPECT_EQ(Freed::buffers, 1u);
        EXPECT_EQ(s.reveal().substr(0, 11), "first-part-");
        CheckedSecret other("replacement");
        s = std::move(other);              // the buffer assigned over is wiped too
        EXPECT_EQ(Freed::buffers, 2u);
        EXPECT_EQ(s.reveal(), "replacement");
    }
    EXPECT_EQ(Freed::buffers, 3u);
    EXPECT_TRUE(Freed::not_wiped.empty()) << Freed::not_wiped.front();
}

TEST(SecretString, AMovedFromSecretHoldsNoBytes) {
    // The moved-from object stays in storage we can read after it is destroyed.
    alignas(SecretString) unsigned char storage[sizeof(SecretString)];
    auto *from = new (storage) SecretString(std::string("Sh0rt-S3cret"));
    SecretString to(std::move(*from));
    EXPECT_EQ(to.reveal(), "Sh0rt-S3cret");
    EXPECT_TRUE(from->empty());
    EXPECT_EQ(object_bytes(storage).find("S3cret"), std::string_view::npos);
    from->~SecretString();
    EXPECT_EQ(object_bytes(storage).find("S3cret"), std::string_view::npos);

    SecretString assigned("0ther-secret");
    assigned = std::move(to);
    EXPECT_EQ(assigned.reveal(), "Sh0rt-S3cret");
    EXPECT_TRUE(to.empty());
    EXPECT_EQ(object_bytes(to).find("S3cret"), std::string_view::npos);
}

TEST(SecretString, TakeWipesTheStringItCameIn) {
    std::string text = "pa55w0rd";
    const char *buffer = text.data();
    const size_t capacity = text.capacity();
    SecretString s = SecretString::take(text);
    EXPECT_EQ(s.reveal(), "pa55w0rd");
    EXPECT_TRUE(text.empty());
    EXPECT_EQ(std::string_view(buffer, capacity).find("55w0rd"), std::string_view::npos);
}

TEST(SecretString, TheProcessIsUndumpableWhileASecretIsHeld) {
    if (dumpable() != 1) GTEST_SKIP() << "the test process does not start dumpable (" << dumpable() << ")";
    {
        SecretString none;
        EXPECT_EQ(dumpable(), 1) << "an empty SecretString holds nothing";
    }
    {
        SecretString outer("outer-secret");
        EXPECT_EQ(dumpable(), 0);
        {
            SecretString inner("inner-secret");
            EXPECT_EQ(dumpable(), 0);
        }
        EXPECT_EQ(dumpable(), 0) << "the inner secret's end must not make the process dumpable while outer lives";
        SecretString moved(std::move(outer));
        EXPECT_EQ(dumpable(), 0);
    }
    EXPECT_EQ(dumpable(), 1) << "the last secret's end restores the state from before the first";
}

TEST(SecretString, TheNodeRecordWithTheSecretIsBuiltWithoutCopies) {
    Freed::reset();
    const std::string record = data_file("iscsi/node_record_default.txt");
    SecretString pw("pw-of-chap");
    auto updated = iscsi::with_chap_settings(record, "vmhost", pw);
    // One buffer, sized up front: appending the lines never outgrew it.
    EXPECT_GE(updated.capacity(), updated.size());
    EXPECT_LE(updated.capacity(), record.size() + 200);
    EXPECT_NE(updated.reveal().find("node.session.auth.password = pw-of-chap\n# END RECORD\n"), std::string_view::npos);
}

}  // namespace
}  // namespace ilvm::test
