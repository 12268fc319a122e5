// A small strict XML well-formedness checker for the report tests: balanced
// and properly nested tags, quoted attributes, no duplicate attributes, only
// known entity references, no stray '<' or '&' in text. A <!DOCTYPE ...> and
// <?...?> may appear; comments are skipped. Counts elements by name.
#pragma once

#include <map>
#include <string>

namespace ltsweep::testing {

struct XmlCheck {
  bool ok = false;
  std::string error;                    // first problem, with its byte offset
  std::map<std::string, int> elements;  // element name -> how many
  std::string root;                     // name of the root element
};

XmlCheck CheckXml(const std::string& text);

}  // namespace ltsweep::testing
