// SPDX-License-Identifier: LGPL-2.1-or-later
#include "host/core/block_devices.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/numbers.hpp"
#include "common/strings.hpp"

namespace ilvm::host {
namespace {

std::string sys_dir(DevNum d) { return "/sys/dev/block/" + std::to_string(d.major) + ":" + std::to_string(d.minor); }

std::string read_line(const std::string &path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return std::string(trim(line));
}

class HostBlockDevices final : public BlockDevices {
public:
    Result<PathLookup> lookup(const std::string &path) const override {
        struct stat st{};
        if (::stat(path.c_str(), &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) return PathLookup{};
            return system_error("cannot look at " + path + ": " + std::strerror(errno));
        }
        if (S_ISBLK(st.st_mode))
            return PathLookup{PathLookup::Kind::block_device, {::major(st.st_rdev), ::minor(st.st_rdev)}};
        if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
            return PathLookup{PathLookup::Kind::on_device, {::major(st.st_dev), ::minor(st.st_dev)}};
        return PathLookup{PathLookup::Kind::other, {}};
    }
    std::string dm_name(DevNum d) const override { return read_line(sys_dir(d) + "/dm/name"); }
    std::string dm_uuid(DevNum d) const override { return read_line(sys_dir(d) + "/dm/uuid"); }
    std::vector<DevNum> slaves(DevNum d) const override {
        std::vector<DevNum> out;
        std::error_code ec;
        for (const auto &e : std::filesystem::directory_iterator(sys_dir(d) + "/slaves", ec)) {
            const std::string dev = read_line(e.path().string() + "/dev");   // "253:3"
            const auto colon = dev.find(':');
            if (colon == std::string::npos) continue;
            auto ma = parse_digits(std::string_view(dev).substr(0, colon)), mi = parse_digits(std::string_view(dev).substr(colon + 1));
            if (ma && mi) out.push_back({static_cast<unsigned>(*ma), static_cast<unsigned>(*mi)});
        }
        return out;
    }
};

}  // namespace

const BlockDevices &host_block_devices() {
    static const HostBlockDevices devices;
    return devices;
}

}  // namespace ilvm::host
