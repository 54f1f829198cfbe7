// SPDX-License-Identifier: LGPL-2.1-or-later
// The modes of what we create do not depend on the umask (issue 15, item 6): directories
// get the mode asked for, atomically written files too.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/host_system.hpp"

namespace ilvm {
namespace {

mode_t mode_of(const std::string &path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

class FileModes : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/ilvm-modes-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        ::umask(old_umask_);
        std::filesystem::remove_all(dir_);
    }
    void set_umask(mode_t m) { ::umask(m); }

    std::string dir_;
    mode_t old_umask_ = ::umask(022);
};

TEST_F(FileModes, DirectoriesGetTheirModeWhateverTheUmask) {
    HostSystem sys;
    for (mode_t um : {mode_t{0}, mode_t{077}, mode_t{027}}) {
        set_umask(um);
        const std::string top = dir_ + "/u" + std::to_string(um);
        ASSERT_TRUE(sys.make_directories(top + "/a/b", 0755).ok());
        EXPECT_EQ(mode_of(top), 0755u) << "umask " << um;
        EXPECT_EQ(mode_of(top + "/a"), 0755u) << "umask " << um;
        EXPECT_EQ(mode_of(top + "/a/b"), 0755u) << "umask " << um;
    }
}

TEST_F(FileModes, ExistingDirectoriesKeepTheirMode) {
    HostSystem sys;
    ASSERT_EQ(::mkdir((dir_ + "/mine").c_str(), 0700), 0);
    ASSERT_TRUE(sys.make_directories(dir_ + "/mine/new", 0755).ok());
    EXPECT_EQ(mode_of(dir_ + "/mine"), 0700u);
    EXPECT_EQ(mode_of(dir_ + "/mine/new"), 0755u);
}

TEST_F(FileModes, AtomicFilesGetTheirModeWhateverTheUmask) {
    for (mode_t um : {mode_t{0}, mode_t{077}, mode_t{027}}) {
        set_umask(um);
        for (mode_t want : {mode_t{0600}, mode_t{0644}}) {
            const std::string path = dir_ + "/f" + std::to_string(um) + "-" + std::to_string(want);
            ASSERT_TRUE(write_file_atomically(path, "x\n", want).ok());
            EXPECT_EQ(mode_of(path), want) << "umask " << um;
            ASSERT_TRUE(write_file_atomically(path, "y\n", want).ok());   // a replacement, too
            EXPECT_EQ(mode_of(path), want) << "umask " << um;
        }
    }
}

// A state file kept as a log (lease-lost's record): created with its mode whatever the umask,
// each block appended after the others, never written through a symbolic link.
TEST_F(FileModes, AppendedStateFilesGetTheirModeAndKeepEveryBlock) {
    set_umask(0);
    const std::string path = dir_ + "/san.fenced";
    ASSERT_TRUE(append_state_file(path, "a\n\n", 0600).ok());
    ASSERT_TRUE(append_state_file(path, "b\n\n", 0600).ok());
    EXPECT_EQ(mode_of(path), 0600u);
    auto text = read_state_file(path);
    ASSERT_TRUE(text.ok() && text->has_value());
    EXPECT_EQ(**text, "a\n\nb\n\n");
    const std::string link = dir_ + "/link.fenced";
    std::filesystem::create_symlink(path, link);
    EXPECT_FALSE(append_state_file(link, "c\n", 0600).ok());
    EXPECT_EQ(**read_state_file(path), "a\n\nb\n\n");
}

}  // namespace
}  // namespace ilvm
