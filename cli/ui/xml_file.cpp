// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/ui/xml_file.hpp"

#include <fstream>

namespace ilvm::cli {

Result<std::string> read_xml_file(const std::string &path) {
    if (path.empty()) return invalid_input("no XML file given");
    std::ifstream in(path, std::ios::binary);
    if (!in) return not_found("cannot read file '" + path + "'");
    constexpr size_t limit = 2 * 1024 * 1024;
    std::string buf(limit + 1, '\0');
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.resize(static_cast<size_t>(in.gcount()));
    if (buf.size() > limit) return invalid_input("file '" + path + "' is too large for an XML definition");
    return buf;
}

}  // namespace ilvm::cli
