// Reading fields out of the canonical XML the backend module returns (pool name, VG,
// volume capacity...). Parsed with network access and entity loading off.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ilvm {

class XmlQuery {
public:
    static Result<XmlQuery> parse(std::string_view xml);
    XmlQuery(XmlQuery &&o) noexcept;
    XmlQuery(const XmlQuery &) = delete;
    ~XmlQuery();

    // String value of an XPath expression ("" when absent), e.g. "string(/pool/name)".
    std::string str(const char *xpath) const;
    // Each matching node serialised back to XML (for <volumes>/<volume> lists).
    std::vector<std::string> nodes_xml(const char *xpath) const;

private:
    XmlQuery() = default;
    void *doc_ = nullptr;   // xmlDocPtr, kept opaque so callers need no libxml2 headers
};

}  // namespace ilvm
