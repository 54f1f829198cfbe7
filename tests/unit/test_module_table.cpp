// SPDX-License-Identifier: LGPL-2.1-or-later
// What a host reads of the backend module's ops table (host/core/backend_client.hpp,
// backend.h's compatibility rule): a table of this build, one that ends at rejoin_pool (a
// module from before issue 18: every verb but snapshots and linked clones), one shorter
// still or of another ABI version (refused at load). Fields past a table's `size` are never
// read, whatever the memory there says.
#include <gtest/gtest.h>

#include <cstddef>

#include "host/core/backend_client.hpp"

namespace ilvm::test {
namespace {

ilvm_backend_ops table_of_size(size_t size) {
    ilvm_backend_ops ops{};
    ops.abi_version = ILVM_BACKEND_ABI_VERSION;
    ops.size = static_cast<uint32_t>(size);
    ops.module_version = "0.9";
    // What a longer table would say: a short one's `size` must hide it.
    ops.build_vol_from_flags = ILVM_BUILD_FROM_LINKED;
    ops.snapshot_actions = ~0u;
    ops.snapshot_vol = [](ilvm_backend *, const char *, const char *, unsigned, const char *, const char *, unsigned,
                          ilvm_reply *) { return 0; };
    return ops;
}

constexpr size_t kBeforeIssue18 = offsetof(ilvm_backend_ops, rejoin_pool) + sizeof(ilvm_backend_ops::rejoin_pool);

TEST(ModuleTable, ThisBuildsTableHasEverything) {
    const auto ops = table_of_size(sizeof(ilvm_backend_ops));
    EXPECT_TRUE(host::check_module_table(ops, "/m.so").ok());
    EXPECT_EQ(host::linked_clone_flags(ops), ILVM_BUILD_FROM_LINKED);
    EXPECT_TRUE(host::require_snapshots(ops).ok());
    EXPECT_TRUE(host::require_live_snapshots(ops).ok());
}

TEST(ModuleTable, AModuleFromBeforeRunningSnapshotsTakesOnlyOfflineOnes) {
    // Its table ends at build_vol_from_flags: snapshot_actions is beyond its size.
    const auto ops = table_of_size(offsetof(ilvm_backend_ops, snapshot_actions));
    EXPECT_TRUE(host::require_snapshots(ops).ok());
    auto s = host::require_live_snapshots(ops);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::system);
    EXPECT_EQ(s.error().message, "the installed iscsi-lvm module (0.9) cannot snapshot a running domain's volume: it is "
                                 "older than this program");
    EXPECT_NE(s.error().hint.find("take the snapshot offline"), std::string::npos) << s.error().hint;
}

TEST(ModuleTable, AModuleFromBeforeSnapshotsServesEveryOtherVerb) {
    const auto ops = table_of_size(kBeforeIssue18);
    EXPECT_TRUE(host::check_module_table(ops, "/m.so").ok());
    EXPECT_EQ(host::linked_clone_flags(ops), 0u);
    auto s = host::require_snapshots(ops);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::system);
    EXPECT_EQ(s.error().message, "the installed iscsi-lvm module (0.9) has no snapshots: it is older than this program");
}

TEST(ModuleTable, AShorterTableOrAnotherVersionIsRefusedAtLoad) {
    auto short_table = host::check_module_table(table_of_size(kBeforeIssue18 - sizeof(void *)), "/m.so");
    ASSERT_FALSE(short_table.ok());
    EXPECT_EQ(short_table.error().code, ErrorCode::internal);
    EXPECT_NE(short_table.error().message.find("backend module /m.so has ABI version 1 with a table of"),
              std::string::npos)
        << short_table.error().message;
    EXPECT_NE(short_table.error().message.find("; reinstall matching versions"), std::string::npos);
    auto other = table_of_size(sizeof(ilvm_backend_ops));
    other.abi_version = ILVM_BACKEND_ABI_VERSION + 1;
    EXPECT_FALSE(host::check_module_table(other, "/m.so").ok());
}

}  // namespace
}  // namespace ilvm::test
