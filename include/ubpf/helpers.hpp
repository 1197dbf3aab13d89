// SPDX-License-Identifier: MIT
// Helper functions: the registry a firmware hands to the VM, and the context a helper gets to
// check its pointer arguments and to stop the program.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "error.hpp"
#include "memory.hpp"

namespace ubpf {

class HelperContext;

/// The eBPF helper ABI: five 64-bit arguments (r1..r5) in, r0 out, plus the run's context.
using HelperFn = std::uint64_t (*)(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                   HelperContext&);

/// What a helper does with one of its arguments. Pointer arguments are checked against the
/// program's regions before the helper runs, so a bad pointer stops the program with
/// helper_bad_pointer and the helper never sees it.
enum class ArgKind : std::uint8_t {
    value,   ///< a number: not checked
    read,    ///< a pointer the helper reads `size` bytes from
    write,   ///< a pointer the helper writes `size` bytes to (must be writable)
    string,  ///< a pointer to a zero-terminated string inside one readable region
};

/// One argument's kind and, for read/write, its size: a fixed number of bytes, or the value
/// of another argument (1..5 = r1..r5), as for memcpy's length.
struct ArgSpec {
    ArgKind kind = ArgKind::value;
    std::uint8_t size_from = 0;  ///< 1..5: the size is that argument's value; 0: `bytes`
    std::uint16_t bytes = 0;     ///< fixed size when size_from == 0

    [[nodiscard]] static constexpr ArgSpec reads(std::uint16_t n) noexcept { return {ArgKind::read, 0, n}; }
    [[nodiscard]] static constexpr ArgSpec writes(std::uint16_t n) noexcept { return {ArgKind::write, 0, n}; }
    /// Reads as many bytes as argument `arg` (1..5) says.
    [[nodiscard]] static constexpr ArgSpec reads_size_of(std::uint8_t arg) noexcept {
        return {ArgKind::read, arg, 0};
    }
    /// Writes as many bytes as argument `arg` (1..5) says.
    [[nodiscard]] static constexpr ArgSpec writes_size_of(std::uint8_t arg) noexcept {
        return {ArgKind::write, arg, 0};
    }
    [[nodiscard]] static constexpr ArgSpec c_string() noexcept { return {ArgKind::string, 0, 0}; }
};

/// One registered helper: its id, function, name, and what its pointer arguments access.
struct Helper {
    std::uint32_t id;
    HelperFn fn;
    std::string_view name;
    std::array<ArgSpec, 5> args{};  ///< r1..r5; all `value` by default
};

/// The registered helper with this id, or nullptr.
[[nodiscard]] constexpr const Helper* find_helper(std::span<const Helper> helpers,
                                                  std::uint64_t id) noexcept {
    for (const Helper& h : helpers)
        if (h.id == id) return &h;
    return nullptr;
}

/// Which helpers a program may call: every registered one, or a set of ids below 256 (the
/// seed's allow-lists are one byte per id). A value type: nothing to keep alive.
class HelperPolicy {
public:
    static constexpr std::uint32_t kMaxListedId = 255;

    /// Every registered helper.
    [[nodiscard]] static constexpr HelperPolicy all() noexcept {
        HelperPolicy p;
        p.allow_all_ = true;
        return p;
    }
    /// Only the listed ids; false from `ok()` when an id is above kMaxListedId.
    template <class Id>
    [[nodiscard]] static constexpr HelperPolicy only(std::span<const Id> ids) noexcept {
        HelperPolicy p;
        for (Id id : ids) p.allow(static_cast<std::uint64_t>(id));
        return p;
    }
    [[nodiscard]] static constexpr HelperPolicy only(std::initializer_list<std::uint32_t> ids) noexcept {
        return only(std::span<const std::uint32_t>{ids.begin(), ids.size()});
    }

    /// Adds one id. Ids above kMaxListedId cannot be listed; the policy remembers that.
    constexpr HelperPolicy& allow(std::uint64_t id) noexcept {
        if (id > kMaxListedId) {
            ok_ = false;
        } else {
            bits_[static_cast<std::size_t>(id / 32)] |= 1u << (id % 32);
        }
        return *this;
    }

    /// True when the program may call helper `id`.
    [[nodiscard]] constexpr bool allows(std::uint64_t id) const noexcept {
        if (allow_all_) return true;
        return id <= kMaxListedId && (bits_[static_cast<std::size_t>(id / 32)] >> (id % 32) & 1u) != 0;
    }
    /// True for all(): no list, every registered helper.
    [[nodiscard]] constexpr bool allows_all() const noexcept { return allow_all_; }

    /// The helpers both policies allow.
    [[nodiscard]] constexpr HelperPolicy intersect(const HelperPolicy& other) const noexcept {
        if (allow_all_) return other;
        if (other.allow_all_) return *this;
        HelperPolicy p;
        for (std::size_t i = 0; i < bits_.size(); ++i) p.bits_[i] = bits_[i] & other.bits_[i];
        p.ok_ = ok_ && other.ok_;
        return p;
    }
    /// False when an id that cannot be listed was added.
    [[nodiscard]] constexpr bool ok() const noexcept { return ok_; }

    friend constexpr bool operator==(const HelperPolicy&, const HelperPolicy&) = default;

private:
    std::array<std::uint32_t, 8> bits_{};
    bool allow_all_ = false;
    bool ok_ = true;
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

    /// Execution::user of the run.
    [[nodiscard]] void* user() const noexcept { return user_; }
    /// The regions the program may access, for checks pointer() and string() do not cover.
    [[nodiscard]] const MemoryMap& memory() const noexcept { return memory_; }
    /// What happens once the helper returns: proceed, exit_program or fail.
    [[nodiscard]] Outcome outcome() const noexcept { return outcome_; }
    /// The error fail() set; none while the outcome is not fail.
    [[nodiscard]] ErrorCode error() const noexcept { return error_; }

private:
    const MemoryMap& memory_;
    void* user_;
    Outcome outcome_ = Outcome::proceed;
    ErrorCode error_ = ErrorCode::none;
};

/// True when every pointer argument of `helper` (r1..r5 in `args[0..4]`) lies in memory the program
/// may access as the helper's ArgSpec says. Checked before the helper runs, so a rejected call
/// touches nothing.
[[nodiscard]] inline bool arguments_valid(const Helper& helper, const std::uint64_t* args,
                                          const MemoryMap& memory) noexcept {
    for (std::size_t i = 0; i < helper.args.size(); ++i) {
        const ArgSpec& spec = helper.args[i];
        if (spec.kind == ArgKind::value) continue;
        if (spec.kind == ArgKind::string) {
            std::size_t length = 0;
            if (!memory.string_at(args[i], length)) return false;
            continue;
        }
        const std::uint64_t size = spec.size_from != 0 ? args[spec.size_from - 1u] : spec.bytes;
        if (size == 0) continue;  // nothing is accessed
        if (size > static_cast<std::size_t>(-1)) return false;
        const Access need = spec.kind == ArgKind::write ? Access::write : Access::read;
        if (memory.translate(args[i], static_cast<std::size_t>(size), need) == nullptr) return false;
    }
    return true;
}

}  // namespace ubpf
