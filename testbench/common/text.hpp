// Text helpers shared by the testbench (stimulus, report, host) and the tools. SystemC-free.
// The checker (testbench/checker/) keeps its own parsers on purpose: it must not share code
// with what it checks.
#pragma once
#include <string>
#include <vector>

namespace dfc::common {

// Blanks removed from both ends / the start / the end; `blanks` lists the characters that count.
std::string trim(const std::string& s, const char* blanks = " \t\r");
std::string ltrim(const std::string& s, const char* blanks = " \t\r");
std::string rtrim(const std::string& s, const char* blanks = " \t\r");

// ASCII lower case (protocol names and keywords; other bytes unchanged).
std::string lower(std::string s);

// The non-empty fields of s between `sep` characters.
std::vector<std::string> split(const std::string& s, char sep);

// Text for HTML/SVG element content: & < > escaped (quotes are left as they are).
std::string html_escape(const std::string& s);

// Text for an XML attribute or element: & < > " escaped; other control characters than
// newline and tab become a space (XML 1.0 cannot carry them).
std::string xml_escape(const std::string& s);

// One POSIX shell word: s in single quotes, each ' written as '\'' so any byte survives.
std::string shell_quote(const std::string& s);

}  // namespace dfc::common
