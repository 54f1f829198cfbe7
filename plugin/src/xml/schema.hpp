// SPDX-License-Identifier: LGPL-2.1-or-later
// RelaxNG validation of pool and volume XML against the schemas embedded in the module
// (xml-schemas/*.rng, compiled in by xml-schemas/embed.py: no file lookups at run time).
#pragma once

#include <string_view>

#include "common/result.hpp"
#include "common/xml_doc.hpp"

namespace ilvm {

enum class SchemaKind { pool, volume };

// Validates `doc` against the schema of `kind`. Errors are invalid_input, one line:
//   "pool XML does not match the schema: line N: <what is wrong>"
//
// Two passes over the same schema. libxml2's RelaxNG messages inside <interleave> are
// often misleading (a bad enumeration value or a duplicate element is reported as
// "Extra element X in interleave", an unknown element as "Expecting an element name, got
// nothing"), so a first pass walks the document against the element/attribute structure
// read from the schema itself and names the actual problem: unknown element or attribute,
// element given twice, required element or attribute missing, value not in the
// enumeration. The second pass is libxml2's full RelaxNG validation, which has the final
// word; its first error is reported with its line.
//
// The compiled schemas are built once per process (std::call_once) and shared.
Status validate_schema(const XmlDoc &doc, SchemaKind kind);

// The embedded schema text.
std::string_view schema_text(SchemaKind kind);

}  // namespace ilvm
