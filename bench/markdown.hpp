// SPDX-License-Identifier: MIT
// docs/benchmarks.md is written by several tools, each owning one section between markers.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

namespace ubpf::bench {

/// Replaces the text between `<!-- name:begin -->` and `<!-- name:end -->` in the file at
/// `path` with `body`, or appends the section when it is not there yet.
inline bool write_section(const std::string& path, const std::string& name, const std::string& body) {
    std::string doc;
    if (std::ifstream in(path); in) doc.assign(std::istreambuf_iterator<char>(in), {});
    const std::string begin = "<!-- " + name + ":begin -->\n", end = "<!-- " + name + ":end -->\n";
    const std::size_t b = doc.find(begin), e = doc.find(end);
    const std::string section = begin + body + end;
    if (b != std::string::npos && e != std::string::npos && e > b)
        doc.replace(b, e + end.size() - b, section);
    else
        doc += (doc.empty() ? "# Benchmarks\n\n" : "\n") + section;
    std::ofstream out(path);
    out << doc;
    return static_cast<bool>(out);
}

}  // namespace ubpf::bench
