// SPDX-License-Identifier: MIT
// Errors are values: a code, the instruction index it applies to, and a short static text.
#pragma once

#include <cstdint>
#include <string_view>

#include "config.hpp"

namespace ubpf {

// clang-format off
#define UBPF_ERRORS(X)                                                                              \
    X(none,                      "no error")                                                        \
    /* program shape */                                                                             \
    X(program_empty,             "program is empty")                                                \
    X(program_size_not_multiple, "program size is not a multiple of 8 bytes")                       \
    X(program_misaligned,        "program buffer is not aligned for Insn (4 bytes)")                            \
    X(program_too_large,         "program is larger than the configured maximum")                   \
    /* one instruction */                                                                           \
    X(unknown_opcode,            "unknown opcode")                                                  \
    X(neg_with_source,           "neg takes no source register")                                    \
    X(invalid_offset,            "offset selects no instruction of this opcode")                    \
    X(invalid_byteswap_width,    "byte swap width is not 16, 32 or 64")                             \
    X(invalid_atomic_operation,  "unknown atomic operation")                                        \
    X(unsupported_call,          "call type (src field) is not supported")                          \
    X(unsupported_lddw,          "lddw type (src field) is not supported")                          \
    X(nonzero_dst,               "unused dst field is not zero")                                    \
    X(nonzero_src,               "unused src field is not zero")                                    \
    X(nonzero_offset,            "unused offset field is not zero")                                 \
    X(nonzero_imm,               "unused immediate field is not zero")                              \
    X(invalid_dst_register,      "dst register number out of range")                                \
    X(invalid_src_register,      "src register number out of range")                                \
    X(write_to_r10,              "r10 is read-only")                                                \
    X(lddw_incomplete,           "lddw is missing its second slot")                                 \
    X(lddw_bad_second_slot,      "second slot of lddw has a non-zero opcode, register or offset")   \
    /* control flow */                                                                              \
    X(jump_out_of_bounds,        "jump target is outside the program")                              \
    X(jump_into_lddw,            "jump target is the second slot of lddw")                          \
    X(jump_out_of_function,      "jump target is outside the current function")                     \
    X(call_out_of_bounds,        "local call target is outside the program")                        \
    X(call_into_lddw,            "local call target is the second slot of lddw")                    \
    X(too_many_functions,        "more local functions than the configured maximum")                \
    X(entry_out_of_bounds,       "entry point is outside the program or inside an lddw")            \
    X(falls_off_end,             "execution can run past the end of the function")                  \
    X(unknown_helper,            "helper id is not registered")                                     \
    X(helper_not_allowed,        "helper id is not in the program's allow-list")                    \
    /* running */                                                                                   \
    X(stack_too_small,           "stack is smaller than frame size times call depth")               \
    X(invalid_region,            "memory region wraps around the address space")                    \
    X(out_of_bounds_load,        "load outside the program's readable memory")                      \
    X(out_of_bounds_store,       "store outside the program's memory")                              \
    X(store_to_readonly,         "store into read-only memory")                                     \
    X(budget_exhausted,          "instruction budget exhausted")                                    \
    X(call_depth_exceeded,       "local call depth limit exceeded")                                 \
    X(helper_bad_pointer,        "helper argument points outside the program's memory")             \
    X(helper_failed,             "helper reported an error")                                        \
    X(no_program,                "no program is loaded")                                            \
    /* the JIT */                                                                                   \
    X(jit_buffer_too_small,      "JIT code buffer is too small for the program")                    \
    X(jit_encoding_failed,       "JIT could not encode an instruction (internal error)")            \
    /* loading an image (pc is the byte offset in the image of the offending field) */            \
    X(image_unknown_format,      "image format not recognised")                                     \
    X(image_truncated,           "image is shorter than its header says")                           \
    X(image_bad_magic,           "image header has an unknown magic number")                        \
    X(image_unsupported_flags,   "image header flags ask for an unsupported feature")               \
    X(image_size_mismatch,       "image size does not match the sizes in its header")               \
    X(image_section_misaligned,  "section length is not a multiple of its unit")                    \
    X(image_too_many_regions,    "more data/rodata sections than an image can map")                 \
    X(image_bad_section_load,    "data/rodata load (lddwd/lddwr) is malformed or out of range")     \
    X(image_bad_call_relocation, "relocated call entry does not point at a call to a function")     \
    X(image_bad_entry_symbol,    "the main function symbol points outside .text")                   \
    X(elf_not_bpf,               "not a 64-bit little-endian eBPF relocatable ELF object")          \
    X(elf_bad_header,            "ELF header fields are inconsistent")                              \
    X(elf_section_out_of_bounds, "ELF section lies outside the file")                               \
    X(elf_sections_overlap,      "ELF sections overlap")                                            \
    X(elf_no_text,               "ELF object has no .text section")                                 \
    X(elf_unsupported_section,   "ELF section kind is not supported (e.g. .bss, several code sections)") \
    X(elf_bad_section_index,     "ELF section index out of range")                                  \
    X(elf_bad_symbol_index,      "ELF symbol index out of range")                                   \
    X(elf_undefined_symbol,      "ELF relocation refers to an undefined (external) symbol")         \
    X(elf_unknown_relocation,    "ELF relocation type is not supported")                            \
    X(elf_relocation_out_of_bounds, "ELF relocation offset lies outside its section")               \
    X(elf_relocation_not_lddw,   "64-bit relocation does not target an lddw instruction")           \
    X(elf_relocation_not_call,   "call relocation does not target a call instruction")              \
    X(elf_bad_call_target,       "relocated call does not land on an instruction of .text") \
    /* stopping */                                                                                \
    X(stopped,                   "program was stopped on request")                                  \
    X(jit_buffer_misaligned,     "JIT code buffer is not 2-byte aligned")                           \
    /* verifying (added last, so that the numbers above stay) */                                  \
    X(helper_list_invalid,       "helper allow-list names an id above 255")                         \
    X(jit_region_too_high,       "JIT code needs every memory region below address 0xffff0000")
// clang-format on

enum class ErrorCode : std::uint8_t {
#define UBPF_ERROR_ENUM(name, text) name,
    UBPF_ERRORS(UBPF_ERROR_ENUM)
#undef UBPF_ERROR_ENUM
};

/// The short static text of an error code (empty when UBPF_NO_ERROR_MESSAGES is defined).
[[nodiscard]] constexpr std::string_view message(ErrorCode code) noexcept {
#if defined(UBPF_NO_ERROR_MESSAGES)
    (void)code;
    return {};
#else
    switch (code) {
#define UBPF_ERROR_TEXT(name, text) \
    case ErrorCode::name:           \
        return text;
        UBPF_ERRORS(UBPF_ERROR_TEXT)
#undef UBPF_ERROR_TEXT
    }
    return "unknown error";
#endif
}

/// The identifier of an error code, e.g. "jump_out_of_bounds".
[[nodiscard]] constexpr std::string_view name(ErrorCode code) noexcept {
    switch (code) {
#define UBPF_ERROR_NAME(name, text) \
    case ErrorCode::name:           \
        return #name;
        UBPF_ERRORS(UBPF_ERROR_NAME)
#undef UBPF_ERROR_NAME
    }
    return "unknown";
}

/// What went wrong and at which instruction index.
struct Error {
    ErrorCode code = ErrorCode::none;
    std::uint32_t pc = 0;

    [[nodiscard]] constexpr std::string_view message() const noexcept { return ubpf::message(code); }
    friend constexpr bool operator==(const Error&, const Error&) = default;
};

/// A value or an error. T must be default-constructible and cheap to copy.
template <class T>
class [[nodiscard]] Result {
public:
    constexpr Result(const T& value) noexcept : value_(value) {}  // NOLINT: implicit by design
    constexpr Result(Error error) noexcept : error_(error) {}     // NOLINT: implicit by design

    [[nodiscard]] constexpr bool ok() const noexcept { return error_.code == ErrorCode::none; }
    constexpr explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] constexpr const T& value() const noexcept { return value_; }
    [[nodiscard]] constexpr T& value() noexcept { return value_; }
    constexpr const T& operator*() const noexcept { return value_; }
    constexpr const T* operator->() const noexcept { return &value_; }
    [[nodiscard]] constexpr Error error() const noexcept { return error_; }

private:
    T value_{};
    Error error_{};
};

}  // namespace ubpf
