#include "xml_query.hpp"

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <memory>

#include "xml/xml_doc.hpp"

namespace ilvm {

Result<XmlQuery> XmlQuery::parse(std::string_view xml) {
    auto doc = parse_untrusted_xml(xml, "backend XML");
    if (!doc.ok()) return internal_error("the backend returned XML that does not parse: " + doc.error().message);
    XmlQuery q;
    q.doc_ = doc->release();
    return q;
}

XmlQuery::XmlQuery(XmlQuery &&o) noexcept : doc_(o.doc_) { o.doc_ = nullptr; }

XmlQuery::~XmlQuery() {
    if (doc_) xmlFreeDoc(static_cast<xmlDocPtr>(doc_));
}

std::string XmlQuery::str(const char *xpath) const {
    std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)> ctx(
        xmlXPathNewContext(static_cast<xmlDocPtr>(doc_)), xmlXPathFreeContext);
    if (!ctx) return {};
    std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)> obj(
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar *>(xpath), ctx.get()), xmlXPathFreeObject);
    if (!obj || obj->type != XPATH_STRING || !obj->stringval) return {};
    return reinterpret_cast<const char *>(obj->stringval);
}

std::vector<std::string> XmlQuery::nodes_xml(const char *xpath) const {
    std::vector<std::string> out;
    std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)> ctx(
        xmlXPathNewContext(static_cast<xmlDocPtr>(doc_)), xmlXPathFreeContext);
    if (!ctx) return out;
    std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)> obj(
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar *>(xpath), ctx.get()), xmlXPathFreeObject);
    if (!obj || obj->type != XPATH_NODESET || !obj->nodesetval) return out;
    for (int i = 0; i < obj->nodesetval->nodeNr; ++i) {
        std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buf(xmlBufferCreate(), xmlBufferFree);
        xmlNodeDump(buf.get(), static_cast<xmlDocPtr>(doc_), obj->nodesetval->nodeTab[i], 0, 0);
        out.emplace_back(reinterpret_cast<const char *>(xmlBufferContent(buf.get())));
    }
    return out;
}

}  // namespace ilvm
