// SPDX-License-Identifier: MIT
// Reader for the `.data` test format of the bpf_conformance suite, plus this project's extra
// sections. Sections start with a line containing `-- name`; `#` starts a comment.
//   asm      assembly source              raw      instructions (0x… 64-bit words) or bytes
//   mem      hex bytes: r1 = pointer to a writable copy, r2 = its length
//   result   expected r0 (0x-hex or decimal; last line wins)
//   error    expected error line, "<message> at pc <N>"
// Project extensions (the public runner skips files that use them):
//   rodata   hex bytes mapped read-only: r3 = pointer, r4 = length
//   helpers  allowed helper ids (default: every registered helper)
//   budget   instruction budget (default 1000000)
//   description  free text
// Sections "c" and "no register offset" are ignored, as the public runner does.
#pragma once

#include <bit>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "../isa.hpp"
#include "assembler.hpp"

namespace ubpf::host {

struct DataFile {
    std::string asm_source;
    bool has_asm = false;
    std::vector<Insn> raw;
    bool has_raw = false;
    std::vector<std::uint8_t> mem;
    std::vector<std::uint8_t> rodata;
    std::optional<std::uint64_t> result;
    std::optional<std::string> error;
    std::optional<std::vector<std::uint32_t>> helpers;
    std::optional<std::uint64_t> budget;
    std::string parse_error;  ///< empty when the file is well formed

    /// The program: raw instructions when present (they win, as in the public runner), else
    /// the assembled source. Sets `message` on an assembly error.
    [[nodiscard]] std::vector<Insn> program(std::string& message) const {
        if (has_raw) return raw;
        AssemblyResult assembled = assemble(asm_source);
        message = assembled.error;
        return assembled.code;
    }
};

namespace detail {

inline std::vector<std::string_view> tokens(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        const std::size_t start = i;
        while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

inline std::optional<std::uint64_t> parse_u64(std::string_view s, int base) {
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s.remove_prefix(2);
        base = 16;
    }
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

/// The last non-empty line of a section.
inline std::string_view last_line(const std::string& body) {
    std::string_view last;
    std::size_t pos = 0;
    while (pos <= body.size()) {
        std::size_t eol = body.find('\n', pos);
        if (eol == std::string::npos) eol = body.size();
        const std::string_view line = trim(std::string_view{body}.substr(pos, eol - pos));
        if (!line.empty()) last = line;
        pos = eol + 1;
    }
    return last;
}

}  // namespace detail

inline DataFile parse_data_file(std::string_view text) {
    using detail::trim;
    DataFile file;
    std::string section;
    std::string body;
    const auto fail = [&](const std::string& what) {
        if (file.parse_error.empty()) file.parse_error = "section '" + section + "': " + what;
    };
    const auto bytes = [&](const std::string& b, std::vector<std::uint8_t>& out) {
        for (std::string_view t : detail::tokens(b)) {
            const auto v = detail::parse_u64(t, 16);
            if (!v || *v > 0xff) return fail("bad byte '" + std::string{t} + "'");
            out.push_back(static_cast<std::uint8_t>(*v));
        }
    };
    const auto finish = [&] {
        if (section.empty() || section == "c" || section == "no register offset" ||
            section == "description") {
        } else if (section == "asm") {
            file.asm_source += body;
            file.has_asm = true;
        } else if (section == "raw") {
            file.has_raw = true;
            const auto toks = detail::tokens(body);
            // 0x-prefixed tokens are 64-bit instruction words (the public suite's form), bare
            // ones are bytes (its negative/ files).
            bool words = false;
            for (std::string_view t : toks)
                words = words || (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X'));
            if (words) {
                for (std::string_view t : toks) {
                    const auto v = detail::parse_u64(t, 10);
                    if (!v) return fail("bad instruction '" + std::string{t} + "'");
                    file.raw.push_back(std::bit_cast<Insn>(*v));
                }
            } else {
                std::vector<std::uint8_t> b;
                bytes(body, b);
                if (b.size() % 8 != 0) return fail("byte count is not a multiple of 8");
                file.raw.resize(b.size() / 8);
                std::memcpy(static_cast<void*>(file.raw.data()), b.data(), b.size());
            }
        } else if (section == "mem") {
            bytes(body, file.mem);
        } else if (section == "rodata") {
            bytes(body, file.rodata);
        } else if (section == "result") {
            const std::string_view line = detail::last_line(body);
            const auto v = detail::parse_u64(line, 10);
            if (!v) return fail("bad result '" + std::string{line} + "'");
            file.result = *v;
        } else if (section == "error") {
            file.error = std::string{detail::last_line(body)};
        } else if (section == "budget") {
            const auto v = detail::parse_u64(detail::last_line(body), 10);
            if (!v) return fail("bad budget");
            file.budget = *v;
        } else if (section == "helpers") {
            file.helpers.emplace();
            for (std::string_view t : detail::tokens(body)) {
                const auto v = detail::parse_u64(t, 10);
                if (!v || *v > 0xffffffffu) return fail("bad helper id '" + std::string{t} + "'");
                file.helpers->push_back(static_cast<std::uint32_t>(*v));
            }
        } else {
            fail("unknown section");
        }
    };

    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        std::string_view line = text.substr(pos, eol - pos);
        pos = eol + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::string_view code = line.substr(0, line.find('#'));
        if (const std::size_t dashes = code.find("--");
            dashes != std::string_view::npos && trim(code.substr(0, dashes)).empty()) {
            finish();
            section = std::string{trim(code.substr(dashes + 2))};
            body.clear();
            continue;
        }
        // Keep comments out of data sections but leave asm lines whole for line numbers.
        body += section == "asm" ? std::string{line} : std::string{code};
        body += '\n';
    }
    finish();
    if (file.parse_error.empty() && !file.has_asm && !file.has_raw)
        file.parse_error = "no asm or raw section";
    if (file.parse_error.empty() && !file.result && !file.error)
        file.parse_error = "no result or error section";
    return file;
}

}  // namespace ubpf::host
