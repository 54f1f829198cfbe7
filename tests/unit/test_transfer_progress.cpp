// SPDX-License-Identifier: LGPL-2.1-or-later
// --progress (cli/transfer_progress.hpp): dd's progress read back, the line shown, and the
// whole path from a pipe to what stderr says.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <unistd.h>

#include "cli/transfer_progress.hpp"

namespace ilvm::test {
namespace {

TEST(TransferProgress, ReadsTheLastCountDdPrinted) {
    // coreutils 9.1, status=progress: lines separated by \r, the last one by \n.
    EXPECT_EQ(cli::copied_bytes("1048576 bytes (1.0 MB, 1.0 MiB) copied, 1 s, 1.0 MB/s\r"
                                "2097152 bytes (2.1 MB, 2.0 MiB) copied, 2 s, 1.0 MB/s\r"),
              2097152u);
    EXPECT_EQ(cli::copied_bytes("1+0 records in\n1+0 records out\n512 bytes copied, 0.01 s, 51 kB/s\n"), 512u);
    EXPECT_EQ(cli::copied_bytes("dd: error writing '/dev/x': No space left on device\n"), std::nullopt);
    EXPECT_EQ(cli::copied_bytes(" bytes copied"), std::nullopt);
    EXPECT_EQ(cli::copied_bytes("99999999999999999999999 bytes (1 YB) copied, 1 s\r"), std::nullopt);
}

// A pipe hands dd's text over in pieces of any length: a count cut in two is read whole,
// never as its last digits (a 2 GiB copy shown as "152 bytes").
TEST(TransferProgress, ACountSplitAcrossTwoReadsIsReadWhole) {
    cli::DdProgressStream stream;
    EXPECT_EQ(stream.feed("1048576 bytes (1.0 MB, 1.0 MiB) copied, 1 s, 1.0 MB/s\r2097"), 1048576u);
    EXPECT_EQ(stream.feed("152 bytes (2.1 MB, 2.0 MiB) cop"), std::nullopt);
    EXPECT_EQ(stream.feed("ied, 2 s, 1.0 MB/s\r"), 2097152u);
    // dd's summary at the end: records lines, then the count, then a newline.
    EXPECT_EQ(stream.feed("4+0 records in\n4+0 records out\n4194304 bytes (4.2 MB, 4.0 MiB) copied, 3 s, 1.4 MB/s\n"),
              4194304u);
    // Text without separators never grows without bound: a runaway line is dropped.
    EXPECT_EQ(stream.feed(std::string(1 << 20, 'x')), std::nullopt);
    EXPECT_EQ(stream.feed("5 bytes copied\n"), std::nullopt);   // the tail of the dropped line, not a count
    EXPECT_EQ(stream.feed("6 bytes copied\n"), 6u);
}

TEST(TransferProgress, SaysHowFarAndHowFast) {
    EXPECT_EQ(cli::progress_line("vm1", 1ULL << 30, 4ULL << 30, 100.0 * (1 << 20)), "vm1: 25% (1.00 GiB of 4.00 GiB, 100.0 MiB/s)");
    EXPECT_EQ(cli::progress_line("vm1", 5ULL << 30, 4ULL << 30, 0), "vm1: 100% (4.00 GiB of 4.00 GiB, 0.0 MiB/s)");
    EXPECT_EQ(cli::progress_line("vm1", 1ULL << 20, 0, 1 << 20), "vm1: 1.00 MiB (1.0 MiB/s)");
}

// What stderr shows in `style` when a runner writes one piece of dd's progress into the pipe
// of a 4 MiB copy of vm1.
std::string shown_after_one_piece(cli::ProgressStyle style) {
    std::ostringstream err;
    auto p = cli::TransferProgress::start(err, style);
    EXPECT_TRUE(p.ok()) << p.error().message;
    if (!p.ok()) return "";
    (*p)->describe("vm1", 4ULL << 20);
    const std::string piece = "2097152 bytes (2.1 MB, 2.0 MiB) copied, 1 s, 2.1 MB/s\r";
    EXPECT_EQ(::write((*p)->write_fd(), piece.data(), piece.size()), static_cast<ssize_t>(piece.size()));
    (*p)->finish();
    return err.str();
}

// What a runner writes into the pipe comes out on the stream, the last state at the end.
TEST(TransferProgress, APipeOfDdProgressBecomesLinesOnStderr) {
    const std::string log = shown_after_one_piece(cli::ProgressStyle::log);
    EXPECT_EQ(log.rfind("progress: vm1: 50% (2.00 MiB of 4.00 MiB, ", 0), 0u) << log;
    EXPECT_EQ(log.back(), '\n');
    // On a terminal: one line, rewritten.
    const std::string tty = shown_after_one_piece(cli::ProgressStyle::terminal);
    EXPECT_EQ(tty.rfind("\rvm1: 50% (2.00 MiB of 4.00 MiB, ", 0), 0u) << tty;
    EXPECT_EQ(tty.find("progress:"), std::string::npos);
    // With --json: events, one JSON object a line, the last one final.
    const std::string events = shown_after_one_piece(cli::ProgressStyle::json);
    EXPECT_EQ(events.rfind("{\"event\":\"progress\",\"volume\":\"vm1\",\"bytes\":2097152,\"total\":4194304,"
                           "\"percent\":50,\"bytes_per_second\":", 0), 0u) << events;
    EXPECT_NE(events.find(",\"final\":true}\n"), std::string::npos) << events;
    EXPECT_EQ(std::count(events.begin(), events.end(), '\n'), 1);
}

TEST(TransferProgress, AnEventIsOneLineOfJson) {   // with its \n
    EXPECT_EQ(cli::progress_event("vm1", 1ULL << 30, 4ULL << 30, 100.0 * (1 << 20), false),
              "{\"event\":\"progress\",\"volume\":\"vm1\",\"bytes\":1073741824,\"total\":4294967296,\"percent\":25,"
              "\"bytes_per_second\":104857600,\"final\":false}\n");
    // Without a total: null, never 0 % of nothing.
    EXPECT_EQ(cli::progress_event("a\"b", 512, 0, 0, true),
              "{\"event\":\"progress\",\"volume\":\"a\\\"b\",\"bytes\":512,\"total\":null,\"percent\":null,"
              "\"bytes_per_second\":0,\"final\":true}\n");
}

}  // namespace
}  // namespace ilvm::test
