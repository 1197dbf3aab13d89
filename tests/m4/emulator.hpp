// SPDX-License-Identifier: MIT
// A Cortex-M4 in Unicorn 2.0.1 for tests and benchmarks: loads a linked arm-none-eabi ELF, maps
// only the memory it is given, calls functions with AAPCS arguments, traps calls into host
// functions through an address range, and counts executed instructions exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

struct uc_struct;

namespace ubpf::m4 {

/// An AAPCS argument: 32-bit in one register, 64-bit in an even/odd register pair or on the stack.
struct Arg {
    std::uint64_t value;
    bool wide;
    static Arg u32(std::uint32_t v) { return {v, false}; }
    static Arg u64(std::uint64_t v) { return {v, true}; }
};

/// An access outside the mapped memory, an invalid instruction, or the instruction limit.
struct Fault {
    std::string what;
    std::uint64_t address = 0;  ///< the faulting data address, when there is one
    std::uint32_t pc = 0;
};

struct CallResult {
    std::uint32_t r0 = 0;
    std::uint32_t r1 = 0;
    std::uint64_t instructions = 0;  ///< emulated instructions, host functions excluded
    std::optional<Fault> fault;
    bool interrupted = false;  ///< the interrupt check (set_interrupt) ended the call
    [[nodiscard]] std::uint64_t r0_r1() const { return (std::uint64_t{r1} << 32) | r0; }
};

struct ElfImage {
    std::map<std::string, std::uint32_t> symbols;  ///< value with the Thumb bit as in the ELF
    std::map<std::string, std::uint32_t> sizes;
    std::uint32_t entry = 0;
};

/// Bytes per allocated section (.text, .data, .bss, …) of a linked ELF32.
std::map<std::string, std::uint32_t> elf_section_sizes(const std::string& path);

class Emulator {
public:
    static constexpr std::uint32_t kTrapBase = 0x0f000000;  ///< host functions live here
    static constexpr std::uint32_t kTrapSize = 0x1000;
    static constexpr std::uint32_t kReturnAddress = kTrapBase + kTrapSize - 2;

    Emulator();
    ~Emulator();
    Emulator(const Emulator&) = delete;
    Emulator& operator=(const Emulator&) = delete;

    /// The CPU model Unicorn reports (UC_CPU_ARM_CORTEX_M4 expected).
    [[nodiscard]] int cpu_model() const;

    /// Maps [address, address + size) rounded out to 4 KiB pages. Nothing else is mapped.
    void map(std::uint32_t address, std::uint32_t size, bool writable = true, bool executable = false);
    /// Unmaps what map() mapped for the same arguments.
    void unmap(std::uint32_t address, std::uint32_t size);
    /// Maps host memory at `address`, readable, writable and executable: the emulated CPU and
    /// the host see the same bytes. Both must be 4 KiB aligned and sized; the memory must stay.
    void map_host(std::uint32_t address, std::span<std::uint8_t> memory);
    /// Drops the translations of code in [begin, end): needed after the host itself wrote code
    /// into memory mapped with map_host (the emulator sees only the CPU's own writes).
    void drop_translations(std::uint32_t begin, std::uint32_t end);
    void write(std::uint32_t address, std::span<const std::uint8_t> bytes);
    void write(std::uint32_t address, const void* data, std::size_t size);
    void read(std::uint32_t address, void* data, std::size_t size) const;
    [[nodiscard]] std::vector<std::uint8_t> read(std::uint32_t address, std::size_t size) const;

    /// Maps every PT_LOAD segment of a linked ELF32 (text read-only and executable) and writes
    /// it; returns the symbols. Throws std::runtime_error when the file is not a usable image.
    ElfImage load_elf(const std::string& path);

    /// Native stack for calls: [top - size, top), mapped here.
    void set_stack(std::uint32_t top, std::uint32_t size);
    /// Fills the native stack with a pattern, so that stack_used() can tell how deep a call
    /// went (the deepest byte whose pattern was overwritten).
    void paint_stack();
    [[nodiscard]] std::uint32_t stack_used();

    /// Registers a host function reachable from emulated code at the returned (Thumb) address.
    /// It reads its arguments from the registers and writes r0/r1; control returns to LR.
    std::uint32_t add_host_function(std::function<void(Emulator&)> fn);

    /// A check made every kInterruptSlice emulated instructions of a call; when it returns
    /// true the call ends at once with CallResult::interrupted. Empty: no check.
    static constexpr std::uint64_t kInterruptSlice = 1u << 16;
    void set_interrupt(std::function<bool()> check) { interrupt_ = std::move(check); }

    /// Instructions executed so far in the current call (for host functions that take marks).
    [[nodiscard]] std::uint64_t instructions() const { return count_; }

    /// A PC histogram: while set, every instruction that instructions() counts also adds one to
    /// (*hist)[its address], so the entries sum to the instructions counted meanwhile. nullptr
    /// (the default) turns it off. May be switched from a host function, i.e. mid-call.
    using Histogram = std::map<std::uint32_t, std::uint64_t>;
    void profile(Histogram* hist) { profile_ = hist; }

    [[nodiscard]] std::uint32_t reg(int uc_reg) const;
    void set_reg(int uc_reg, std::uint32_t value);

    /// Calls the Thumb function at `function` with AAPCS arguments and runs until it returns or
    /// `max_instructions` have run.
    CallResult call(std::uint32_t function, std::span<const Arg> args, std::uint64_t max_instructions);

private:
    static void on_code(uc_struct* uc, std::uint64_t address, std::uint32_t size, void* self);
    static bool on_invalid(uc_struct* uc, int type, std::uint64_t address, int size, std::int64_t value,
                           void* self);

    uc_struct* uc_ = nullptr;
    std::uint32_t stack_top_ = 0, stack_size_ = 0;
    std::vector<std::function<void(Emulator&)>> host_functions_;
    std::uint64_t count_ = 0;
    std::uint64_t limit_ = 0;
    std::optional<Fault> fault_;
    std::function<bool()> interrupt_;
    bool interrupted_ = false;
    Histogram* profile_ = nullptr;
};

}  // namespace ubpf::m4
