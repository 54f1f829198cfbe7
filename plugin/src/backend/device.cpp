// SPDX-License-Identifier: LGPL-2.1-or-later
#include "backend/device.hpp"

#include <sstream>

#include "common/continue_after.hpp"
#include "common/log.hpp"
#include "common/numbers.hpp"
#include "common/strings.hpp"

namespace ilvm::device {

Command udev_settle() { return Command{"udevadm", "settle", "--timeout=30"}; }

Command probe(const std::string &device) { return Command{"blkid", "-p", "-o", "export", device}; }

Command wipe_signatures(const std::string &device) { return Command{"wipefs", "--all", device}; }

Command zero_mib(const std::string &device, uint64_t offset_mib) {
    return Command{"dd", "if=/dev/zero", "of=" + device, "bs=1M", "count=1", "seek=" + std::to_string(offset_mib),
                   "oflag=direct", "conv=notrunc,fsync", "status=none"};
}

Command discard_zeroout(const std::string &device) {
    Command c{"blkdiscard", "--zeroout", device};
    c.timeout = std::chrono::hours(6);
    return c;
}

Command zero_whole(const std::string &device, uint64_t bytes) {
    Command c{"dd", "if=/dev/zero", "of=" + device, "bs=1M", "count=" + std::to_string(bytes / kMiB),
              "oflag=direct", "conv=notrunc,fsync", "status=none"};
    c.timeout = std::chrono::hours(12);
    return c;
}

Command discard_zeroout_range(const std::string &device, uint64_t offset, uint64_t length) {
    Command c{"blkdiscard", "--zeroout", "--offset", std::to_string(offset), "--length", std::to_string(length), device};
    c.timeout = std::chrono::hours(6);
    return c;
}

Command zero_range_dd(const std::string &device, uint64_t offset, uint64_t length) {
    Command c{"dd", "if=/dev/zero", "of=" + device, "bs=1M", "seek=" + std::to_string(offset / kMiB),
              "count=" + std::to_string(length / kMiB), "oflag=direct", "conv=notrunc,fsync", "status=none"};
    c.timeout = std::chrono::hours(12);
    return c;
}

Command punch_hole(const std::string &device, uint64_t offset, uint64_t length) {
    Command c{"fallocate", "--punch-hole", "--keep-size", "--offset", std::to_string(offset), "--length",
              std::to_string(length), device};
    c.timeout = std::chrono::hours(1);
    return c;
}

Command discard_max(const std::string &device) {
    Command c{"lsblk", "--bytes", "--nodeps", "--noheadings", "--output", "DISC-MAX", device};
    c.timeout = std::chrono::seconds(30);
    return c;
}

bool deallocated(System &sys, const std::string &device, uint64_t offset, uint64_t length) {
    constexpr uint64_t kBlock = 4096;   // whole logical blocks of any disk (4Kn included)
    if (length == 0 || offset % kBlock || length % kBlock) return false;
    auto limit = sys.run(discard_max(device));
    const auto most = limit.ok() && limit->succeeded() ? parse_digits(trim(limit->out)) : std::nullopt;
    if (!most || *most == 0) {
        spdlog::info("{} does not discard ({}); the copy writes its zeros", device,
                     !limit.ok() ? limit.error().message
                     : !limit->succeeded() ? limit->first_error_line()
                                           : "lsblk DISC-MAX " + std::string(trim(limit->out)));
        return false;
    }
    auto out = sys.run(punch_hole(device, offset, length));
    if (!out.ok()) {
        spdlog::info("cannot punch {}: {}; the copy writes its zeros", device, out.error().message);
        return false;
    }
    if (!out->succeeded()) {
        spdlog::info("{} cannot give back storage ({}); the copy writes its zeros", device, out->first_error_line());
        return false;
    }
    return true;
}

Status wait_for(System &sys, const std::string &path, std::chrono::milliseconds timeout) {
    auto deadline = sys.now() + timeout;
    bool settled = false;
    while (true) {
        if (sys.path_exists(path)) return {};
        if (!settled) {
            // One settle usually suffices; afterwards poll the link cheaply.
            continue_after(run_status(sys, udev_settle(), "udevadm settle"),
                           "settling only speeds the wait; the device node is polled until the deadline");
            settled = true;
            continue;
        }
        if (sys.now() >= deadline) break;
        sys.sleep_for(std::chrono::milliseconds(250));
    }
    return not_found("device " + path + " did not appear within " + std::to_string(timeout.count() / 1000) + " s",
                     "check the LUN number and that the target exports it to this initiator (iscsiadm --mode session -P 3)");
}

Result<std::vector<std::string>> signatures(System &sys, const std::string &device) {
    ILVM_ASSIGN_OR_RETURN(auto out, sys.run(probe(device)));
    if (out.exit_code == 2) return std::vector<std::string>{};
    if (!out.succeeded()) return system_error("cannot probe " + device + ": " + out.first_error_line());
    std::vector<std::string> found;
    std::istringstream in(out.out);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("TYPE=", 0) == 0 || line.rfind("PTTYPE=", 0) == 0) found.push_back(line);
    return found;
}

Status clear_edges(System &sys, const std::string &device, uint64_t bytes) {
    ILVM_TRY(run_checked(sys, zero_mib(device, 0), "cannot clear the start of " + device));
    uint64_t mibs = bytes / kMiB;
    if (mibs > 1) ILVM_TRY(run_checked(sys, zero_mib(device, mibs - 1), "cannot clear the end of " + device));
    return {};
}

Status zero_range(System &sys, const std::string &device, uint64_t offset, uint64_t length) {
    if (length == 0) return {};
    ILVM_ASSIGN_OR_RETURN(auto out, sys.run(discard_zeroout_range(device, offset, length)));
    if (out.succeeded()) return {};
    spdlog::info("blkdiscard --zeroout not supported on {} ({}); writing zeros", device, out.first_error_line());
    ILVM_TRY(run_checked(sys, zero_range_dd(device, offset, length), "cannot zero " + device));
    return {};
}

Status zero_fill(System &sys, const std::string &device, uint64_t bytes) {
    ILVM_ASSIGN_OR_RETURN(auto out, sys.run(discard_zeroout(device)));
    if (out.succeeded()) return {};
    spdlog::info("blkdiscard --zeroout not supported on {} ({}); writing zeros", device, out.first_error_line());
    ILVM_TRY(run_checked(sys, zero_whole(device, bytes), "cannot zero " + device));
    return {};
}

}  // namespace ilvm::device
