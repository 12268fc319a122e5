#include "tests/report/xml_check.h"

#include <cctype>
#include <set>
#include <vector>

namespace ltsweep::testing {

namespace {

bool NameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' || c == '.';
}

// Checks the entity reference starting at text[i] == '&'; returns its length or 0.
size_t EntityLength(const std::string& text, size_t i) {
  const size_t semi = text.find(';', i);
  if (semi == std::string::npos || semi - i > 10) return 0;
  const std::string name = text.substr(i + 1, semi - i - 1);
  static const std::set<std::string> kKnown = {"amp", "lt", "gt", "quot", "apos"};
  if (kKnown.count(name) > 0) return semi - i + 1;
  if (name.size() >= 2 && name[0] == '#') {
    const bool hex = name[1] == 'x';
    for (size_t k = hex ? 2 : 1; k < name.size(); ++k) {
      if (!(hex ? std::isxdigit(static_cast<unsigned char>(name[k])) : std::isdigit(static_cast<unsigned char>(name[k]))))
        return 0;
    }
    return semi - i + 1;
  }
  return 0;
}

}  // namespace

XmlCheck CheckXml(const std::string& text) {
  XmlCheck out;
  std::vector<std::string> stack;
  size_t i = 0;
  auto fail = [&](const std::string& why) {
    out.ok = false;
    out.error = why + " at byte " + std::to_string(i);
    return out;
  };
  bool seen_root = false;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '&') {
      const size_t n = EntityLength(text, i);
      if (n == 0) return fail("bad entity reference");
      i += n;
      continue;
    }
    if (c == '>') return fail("stray '>' in text");
    if (c != '<') {
      if (stack.empty() && !std::isspace(static_cast<unsigned char>(c))) return fail("text outside the root element");
      ++i;
      continue;
    }
    if (text.compare(i, 4, "<!--") == 0) {
      const size_t end = text.find("-->", i + 4);
      if (end == std::string::npos) return fail("unterminated comment");
      i = end + 3;
      continue;
    }
    if (text.compare(i, 9, "<!DOCTYPE") == 0 || text.compare(i, 2, "<?") == 0) {
      if (seen_root) return fail("declaration after the root element");
      const size_t end = text.find('>', i);
      if (end == std::string::npos) return fail("unterminated declaration");
      i = end + 1;
      continue;
    }
    // A tag.
    const bool closing = i + 1 < text.size() && text[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    const size_t name_start = j;
    while (j < text.size() && NameChar(text[j])) ++j;
    const std::string name = text.substr(name_start, j - name_start);
    if (name.empty()) return fail("'<' not starting a tag");
    if (closing) {
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j >= text.size() || text[j] != '>') return fail("bad closing tag </" + name);
      if (stack.empty() || stack.back() != name) {
        return fail("closing </" + name + "> does not match <" + (stack.empty() ? std::string("(none)") : stack.back()) +
                    ">");
      }
      stack.pop_back();
      i = j + 1;
      continue;
    }
    // Attributes.
    std::set<std::string> attrs;
    bool self_closing = false;
    while (true) {
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j >= text.size()) return fail("unterminated tag <" + name);
      if (text[j] == '>') break;
      if (text.compare(j, 2, "/>") == 0) {
        self_closing = true;
        ++j;
        break;
      }
      const size_t a = j;
      while (j < text.size() && NameChar(text[j])) ++j;
      const std::string attr = text.substr(a, j - a);
      if (attr.empty()) return fail("bad attribute in <" + name);
      if (!attrs.insert(attr).second) return fail("duplicate attribute " + attr + " in <" + name);
      if (j >= text.size() || text[j] != '=') return fail("attribute " + attr + " without a value in <" + name);
      ++j;
      if (j >= text.size() || (text[j] != '"' && text[j] != '\'')) return fail("unquoted attribute " + attr);
      const char q = text[j];
      const size_t end = text.find(q, j + 1);
      if (end == std::string::npos) return fail("unterminated attribute " + attr);
      for (size_t k = j + 1; k < end; ++k) {
        if (text[k] == '<') return fail("'<' inside attribute " + attr);
        if (text[k] == '&') {
          if (EntityLength(text, k) == 0) {
            i = k;
            return fail("bad entity reference in attribute " + attr);
          }
        }
      }
      j = end + 1;
    }
    if (stack.empty()) {
      if (seen_root) return fail("second root element <" + name + ">");
      seen_root = true;
      out.root = name;
    }
    ++out.elements[name];
    if (!self_closing) stack.push_back(name);
    i = j + 1;
    // Raw text elements hold CSS: skip to their end tag.
    if (!self_closing && (name == "style" || name == "script")) {
      const size_t end = text.find("</" + name, i);
      if (end == std::string::npos) return fail("unterminated <" + name + ">");
      i = end;
    }
  }
  if (!stack.empty()) {
    i = text.size();
    return fail("unclosed <" + stack.back() + ">");
  }
  if (!seen_root) return fail("no root element");
  out.ok = true;
  return out;
}

}  // namespace ltsweep::testing
