// SPDX-License-Identifier: MIT
// Helper functions: the registry a firmware hands to the VM, and the context a helper gets to
// check its pointer arguments and to stop the program.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "error.hpp"
#include "memory.hpp"

namespace ubpf {

class HelperContext;

/// The eBPF helper ABI: five 64-bit arguments (r1..r5) in, r0 out, plus the run's context.
using HelperFn = std::uint64_t (*)(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                   HelperContext&);

struct Helper {
    std::uint32_t id;
    HelperFn fn;
    std::string_view name;
};

/// The registered helper with this id, or nullptr.
[[nodiscard]] constexpr const Helper* find_helper(std::span<const Helper> helpers,
                                                  std::uint64_t id) noexcept {
    for (const Helper& h : helpers)
        if (h.id == id) return &h;
    return nullptr;
}

/// Which helpers a program may call: either every registered one, or those listed.
struct HelperPolicy {
    std::span<const std::uint32_t> allowed{};
    bool allow_all = false;

    [[nodiscard]] constexpr bool allows(std::uint64_t id) const noexcept {
        if (allow_all) return true;
        for (std::uint32_t a : allowed)
            if (a == id) return true;
        return false;
    }
};

/// Handed to every helper call. Validates pointers against the program's regions and lets a
/// helper end the program, either with an error or with a normal exit.
class HelperContext {
public:
    enum class Outcome : std::uint8_t { proceed, exit_program, fail };

    HelperContext(const MemoryMap& memory, void* user) noexcept : memory_(memory), user_(user) {}

    /// Host pointer to `len` bytes at `addr` if the program may access them with `need`,
    /// else nullptr and the program fails with helper_bad_pointer.
    /// A zero length gives nullptr without failing: there is nothing to access.
    [[nodiscard]] void* pointer(std::uint64_t addr, std::uint64_t len, Access need) noexcept {
        if (len == 0) return nullptr;
        // A 64-bit length from the program must not be truncated on a 32-bit target.
        void* p = len <= static_cast<std::size_t>(-1)
                      ? memory_.translate(addr, static_cast<std::size_t>(len), need)
                      : nullptr;
        if (p == nullptr) fail(ErrorCode::helper_bad_pointer);
        return p;
    }
    /// Host pointer to a zero-terminated string at `addr` inside one readable region, else
    /// nullptr and the program fails with helper_bad_pointer.
    [[nodiscard]] const char* string(std::uint64_t addr, std::size_t& length) noexcept {
        if (!memory_.string_at(addr, length)) {
            fail(ErrorCode::helper_bad_pointer);
            return nullptr;
        }
        return static_cast<const char*>(memory_.translate(addr, 1, Access::read));
    }

    /// Ends the program with this error once the helper returns.
    void fail(ErrorCode code = ErrorCode::helper_failed) noexcept {
        if (outcome_ != Outcome::fail) error_ = code == ErrorCode::none ? ErrorCode::helper_failed : code;
        outcome_ = Outcome::fail;
    }
    /// Ends the program normally once the helper returns; r0 is the helper's return value.
    void exit_program() noexcept {
        if (outcome_ == Outcome::proceed) outcome_ = Outcome::exit_program;
    }

    [[nodiscard]] void* user() const noexcept { return user_; }
    [[nodiscard]] const MemoryMap& memory() const noexcept { return memory_; }
    [[nodiscard]] Outcome outcome() const noexcept { return outcome_; }
    [[nodiscard]] ErrorCode error() const noexcept { return error_; }

private:
    const MemoryMap& memory_;
    void* user_;
    Outcome outcome_ = Outcome::proceed;
    ErrorCode error_ = ErrorCode::none;
};

}  // namespace ubpf
