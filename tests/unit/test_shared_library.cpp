// SPDX-License-Identifier: LGPL-2.1-or-later
// A library loaded when first needed (common/shared_library.hpp): what a missing library or
// a missing function says, and a function resolved with its declared type.
#include <gtest/gtest.h>

#include <cstring>

#include "common/shared_library.hpp"

namespace ilvm::test {
namespace {

TEST(SharedLibrary, AMissingLibraryNamesItselfAndThePackage) {
    auto lib = SharedLibrary::load("libilvm-test-no-such.so.0", "install the test package");
    ASSERT_FALSE(lib.ok());
    EXPECT_EQ(lib.error().code, ErrorCode::system);
    EXPECT_EQ(lib.error().message.rfind("cannot load libilvm-test-no-such.so.0: ", 0), 0u) << lib.error().message;
    EXPECT_EQ(lib.error().hint, "install the test package");
}

TEST(SharedLibrary, AFunctionItLacksSaysItIsTooOld) {
    auto lib = SharedLibrary::load("libc.so.6", "");
    ASSERT_TRUE(lib.ok()) << lib.error().message;
    auto missing = lib->symbol("ilvm_test_no_such_function");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message, "libc.so.6 has no ilvm_test_no_such_function: it is older than this program needs");
}

TEST(SharedLibrary, AFunctionIsCalledWithItsDeclaredType) {
    auto lib = SharedLibrary::load("libc.so.6", "");
    ASSERT_TRUE(lib.ok()) << lib.error().message;
    decltype(&std::strlen) fn = nullptr;
    ASSERT_TRUE(lib->resolve("strlen", fn).ok());
    ASSERT_NE(fn, nullptr);
    EXPECT_EQ(fn("four"), 4u);
}

}  // namespace
}  // namespace ilvm::test
