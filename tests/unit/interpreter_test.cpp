// SPDX-License-Identifier: MIT
// The interpreter, under both dispatch modes: RFC 9669 corner cases, checked memory, the
// instruction budget, helpers, local calls, and Vm. Every expected value is worked out by hand
// from RFC 9669 in the comment next to it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/interpreter.hpp>
#include <ubpf/vm.hpp>

using namespace ubpf;

namespace {

// The three dispatch modes as types, for TEMPLATE_TEST_CASE.
template <Config C>
struct Mode {
    static constexpr Config config = C;
};
using Threaded = Mode<Config{.dispatch = Dispatch::threaded}>;
using SwitchLoop = Mode<Config{.dispatch = Dispatch::switch_loop}>;
using Compact = Mode<Config{.dispatch = Dispatch::compact}>;

/// The configuration of mode M, changed by `edit`.
template <class M, class Edit>
constexpr Config derive(Edit edit) {
    Config c = M::config;
    edit(c);
    return c;
}

std::string hex(std::uint64_t v) {
    char buf[16];
    const auto end = std::to_chars(buf, buf + sizeof buf, v, 16).ptr;
    return "0x" + std::string(buf, end);
}
std::string failure(ErrorCode code, std::uint32_t pc) {
    return std::string{name(code)} + " at pc " + std::to_string(pc);
}
std::string returns(std::uint64_t r0) {
    return "r0 = " + hex(r0);
}
std::string describe(const Result<Outcome>& r) {
    return r.ok() ? returns(r->r0) : failure(r.error().code, r.error().pc);
}

std::uint64_t read64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
void write64(std::uint8_t* p, std::uint64_t v) {
    std::memcpy(p, &v, sizeof v);
}

/// Host memory with guard bytes on both sides that belong to no region. An access that slips
/// past a region's end touches real memory, so a missing check fails a CHECK, not only ASan.
class Buffer {
public:
    static constexpr std::size_t kGuard = 64;
    static constexpr std::uint8_t kGuardByte = 0x5a;

    explicit Buffer(std::size_t size) : size_(size), bytes_(size + 2 * kGuard, kGuardByte) {
        std::fill(data(), data() + size, std::uint8_t{0});
    }
    std::uint8_t* data() { return bytes_.data() + kGuard; }
    std::uint8_t& operator[](std::size_t i) { return data()[i]; }
    std::size_t size() const { return size_; }
    std::uint64_t address() { return reinterpret_cast<std::uintptr_t>(data()); }
    std::span<std::uint8_t> span() { return {data(), size_}; }
    Region region(Access access) { return Region::of(data(), size_, access); }
    /// Fills the buffer with 1, 2, 3, ...
    void fill_counting() {
        for (std::size_t i = 0; i < size_; ++i) data()[i] = static_cast<std::uint8_t>(i + 1);
    }
    bool guards_intact() const {
        for (std::size_t i = 0; i < kGuard; ++i)
            if (bytes_[i] != kGuardByte || bytes_[kGuard + size_ + i] != kGuardByte) return false;
        return true;
    }
    std::vector<std::uint8_t> contents() { return {data(), data() + size_}; }

private:
    std::size_t size_;
    std::vector<std::uint8_t> bytes_;
};

/// Assembles, verifies and runs programs under configuration C.
template <Config C>
struct Harness {
    Buffer stack{C.stack_size()};
    std::vector<Region> regions;
    std::vector<Helper> helpers;
    HelperPolicy policy = HelperPolicy::all();
    std::array<std::uint64_t, 5> args{};
    std::uint64_t budget = 1'000'000;
    void* user = nullptr;

    Result<Outcome> run(std::string_view source) {
        const host::AssemblyResult code = host::assemble(source);
        INFO(source);
        INFO(code.error);
        REQUIRE(code.ok());
        const auto verified = verify<C>(Program{code.code, policy}, helpers);
        INFO("verifier: " << name(verified.error().code) << " at pc " << verified.error().pc);
        REQUIRE(verified.ok());
        return Interpreter<C>::run(*verified, Execution{stack.span(), regions, args, budget, user});
    }
    /// "r0 = 0x…" or "<error> at pc <n>".
    std::string result(std::string_view source) { return describe(run(source)); }
};

struct Case {
    const char* source;  ///< without the final exit
    std::uint64_t r0;
};

template <Config C>
void check_r0(Harness<C>& h, std::initializer_list<Case> cases) {
    for (const Case& c : cases) {
        INFO(c.source);
        CHECK(h.result(std::string{c.source} + "\nexit") == returns(c.r0));
    }
}

}  // namespace

TEST_CASE("the three modes really use three dispatch loops", "[interpreter]") {
    CHECK(Interpreter<Threaded::config>::kThreaded == (UBPF_HAS_COMPUTED_GOTO != 0));
    CHECK_FALSE(Interpreter<SwitchLoop::config>::kThreaded);
    CHECK_FALSE(Interpreter<SwitchLoop::config>::kCompact);
    CHECK(Interpreter<Compact::config>::kCompact);
    CHECK_FALSE(Interpreter<Compact::config>::kThreaded);
}

TEMPLATE_TEST_CASE("ALU32 writes zero-extend to 64 bits", "[interpreter][alu]", Threaded, SwitchLoop,
                   Compact) {
    Harness<TestType::config> h;
    check_r0(h, {
                    // low half 0xffffffff + 1 wraps to 0, the upper half is cleared, not carried into.
                    {"lddw %r0, 0xffffffffffffffff\nadd32 %r0, 1", 0},
                    // mov32 copies only the low half.
                    {"lddw %r0, 0x1234567800000005\nmov32 %r0, %r0", 5},
                    // imm -1 is 0xffffffff as a 32-bit value, then zero-extended.
                    {"mov32 %r0, -1", 0xffffffff},
                    {"mov32 %r0, 0x80000000", 0x80000000},
                    // A shift by 0 still writes the 32-bit result.
                    {"mov %r0, -1\nrsh32 %r0, 0", 0xffffffff},
                    {"mov %r0, 1\nneg32 %r0", 0xffffffff},
                    {"mov %r0, 0\nsub32 %r0, 1", 0xffffffff},
                    {"lddw %r0, 0xaaaaaaaa00000002\nmul32 %r0, 3", 6},
                    {"lddw %r0, 0xffffffff00000000\nor32 %r0, 0", 0},
                    {"mov %r0, -1\nxor32 %r0, 0", 0xffffffff},
                    // The source's upper half is ignored too: 2 + 3.
                    {"lddw %r1, 0x100000003\nmov %r0, 2\nadd32 %r0, %r1", 5},
                });
}

TEMPLATE_TEST_CASE("ALU64 immediates are sign-extended", "[interpreter][alu]", Threaded, SwitchLoop,
                   Compact) {
    Harness<TestType::config> h;
    check_r0(h, {
                    {"mov %r0, -1", 0xffffffffffffffff},
                    // 0x80000000 is the 32-bit pattern of INT32_MIN: sign-extended to 0xffffffff80000000.
                    {"mov %r0, 0x80000000", 0xffffffff80000000},
                    {"mov %r0, 0\nor %r0, 0x80000000", 0xffffffff80000000},
                    {"mov %r0, 0\nadd %r0, -2", 0xfffffffffffffffe},
                    // 0xffff0000 becomes 0xffffffffffff0000, which keeps the upper half of r0.
                    {"lddw %r0, 0x123456789abcdef0\nand %r0, 0xffff0000", 0x123456789abc0000},
                    {"mov %r0, 5\nsub %r0, -3", 8},
                    // 10 * -1 = -10.
                    {"mov %r0, 10\nmul %r0, -1", 0xfffffffffffffff6},
                    // -1 is all ones: xor complements every bit of 0x100000000.
                    {"lddw %r0, 0x100000000\nxor %r0, -1", 0xfffffffeffffffff},
                });
}

TEMPLATE_TEST_CASE("jump immediates are sign-extended, JMP32 compares low halves", "[interpreter][jmp]",
                   Threaded, SwitchLoop, Compact) {
    Harness<TestType::config> h;
    struct Jump {
        const char* setup;
        const char* jump;  ///< a conditional jump, its target is appended
        bool taken;
    };
    const Jump jumps[] = {
        {"mov %r1, -1", "jeq %r1, -1", true},
        // 0xffffffff as imm is -1, sign-extended to all ones, which is not 0x00000000ffffffff.
        {"lddw %r1, 0xffffffff", "jeq %r1, 0xffffffff", false},
        {"lddw %r1, 0xffffffff", "jeq32 %r1, -1", true},
        {"lddw %r1, 0x12345678ffffffff", "jeq32 %r1, 0xffffffff", true},
        // Unsigned: 5 > 2^64 - 1 is false; 2^64 - 1 > 5 is true.
        {"mov %r1, 5", "jgt %r1, -1", false},
        {"mov %r1, -1", "jgt %r1, 5", true},
        {"mov %r1, -1", "jsgt %r1, -2", true},
        {"mov %r1, -2", "jsge %r1, -1", false},
        // 0x80000000 is INT32_MIN as a 32-bit value but positive as a 64-bit one.
        {"lddw %r1, 0x80000000", "jslt32 %r1, 0", true},
        {"lddw %r1, 0x80000000", "jslt %r1, 0", false},
        {"mov %r1, 0x7fffffff", "jsgt32 %r1, 0x80000000", true},
        {"mov %r1, 0x7fffffff", "jsle %r1, 0x80000000", false},
        // imm 0x80000000 becomes 0xffffffff80000000, which shares bits with r1's upper half...
        {"lddw %r1, 0xffffffff00000000", "jset %r1, 0x80000000", true},
        // ...but r1's low half is 0.
        {"lddw %r1, 0xffffffff00000000", "jset32 %r1, 0x80000000", false},
        {"mov %r1, -1\nmov %r2, 1", "jslt %r1, %r2", true},
        {"mov %r1, -1\nmov %r2, 1", "jlt %r1, %r2", false},
        {"lddw %r1, 0x100000001\nmov %r2, 1", "jeq32 %r1, %r2", true},
        {"lddw %r1, 0x100000001\nmov %r2, 1", "jeq %r1, %r2", false},
        {"lddw %r1, 0x100000001\nmov %r2, 1", "jne %r1, %r2", true},
        {"mov %r1, 3", "jge %r1, 3", true},
        {"mov %r1, 3", "jle %r1, 3", true},
        {"mov %r1, 3", "jlt %r1, 3", false},
        {"mov32 %r1, -1", "jsle32 %r1, -1", true},
        {"mov32 %r1, -1", "jsge %r1, 0", true},
    };
    for (const Jump& j : jumps) {
        INFO(j.setup << " / " << j.jump);
        const std::string source =
            std::string{"mov %r0, 0\n"} + j.setup + "\n" + j.jump + ", yes\nexit\nyes:\nmov %r0, 1\nexit";
        CHECK(h.result(source) == returns(j.taken ? 1 : 0));
    }
    // ja32 takes its offset from imm: +1 from pc 1 skips pc 2; -3 from pc 4 lands on pc 2.
    CHECK(h.result("mov %r0, 1\nja32 +1\nmov %r0, 2\nexit") == returns(1));
    CHECK(h.result("mov %r0, 0\nja +2\nmov %r0, 1\nexit\nja32 -3") == returns(1));
}

TEMPLATE_TEST_CASE("shift amounts are masked to the operand width", "[interpreter][alu]", Threaded,
                   SwitchLoop, Compact) {
    Harness<TestType::config> h;
    check_r0(h, {
                    // 65 & 63 = 1.
                    {"mov %r0, 1\nlsh %r0, 65", 2},
                    {"mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1", 2},
                    // -1 & 63 = 63.
                    {"mov %r0, 1\nmov %r1, -1\nlsh %r0, %r1", 0x8000000000000000},
                    // 33 & 31 = 1.
                    {"mov %r0, 1\nlsh32 %r0, 33", 2},
                    // 68 & 63 = 4: 0x100 >> 4.
                    {"mov %r0, 0x100\nrsh %r0, 68", 0x10},
                    // 36 & 31 = 4: 0xffffffff >> 4.
                    {"mov %r0, -1\nrsh32 %r0, 36", 0x0fffffff},
                    // INT32_MIN >> 4 arithmetically is 0xf8000000, then zero-extended.
                    {"mov32 %r0, 0x80000000\narsh32 %r0, 4", 0xf8000000},
                    {"mov32 %r0, 0x80000000\narsh32 %r0, 36", 0xf8000000},
                    // The sign is bit 31 of the low half, whatever the upper half holds: 0x80000000 >> 1.
                    {"lddw %r0, 0x1234567880000000\narsh32 %r0, 1", 0xc0000000},
                    {"lddw %r0, 0x8000000000000000\narsh %r0, 63", 0xffffffffffffffff},
                    // 64 & 63 = 0: unchanged.
                    {"lddw %r0, 0x8000000000000000\narsh %r0, 64", 0x8000000000000000},
                });
}

TEMPLATE_TEST_CASE("division and modulo by zero", "[interpreter][alu]", Threaded, SwitchLoop, Compact) {
    Harness<TestType::config> h;
    check_r0(h, {
                    // RFC 9669: dst / 0 = 0; dst % 0 = dst (ALU64) or dst's low half zero-extended (ALU).
                    {"mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1", 0},
                    {"mov %r0, 7\ndiv %r0, 0", 0},
                    {"lddw %r0, 0x1234567800000007\nmov %r1, 0\nmod %r0, %r1", 0x1234567800000007},
                    {"lddw %r0, 0x1234567800000007\nmod %r0, 0", 0x1234567800000007},
                    {"lddw %r0, 0x1234567800000007\nmov %r1, 0\nmod32 %r0, %r1", 7},
                    {"lddw %r0, 0x1234567800000007\nmov %r1, 0\ndiv32 %r0, %r1", 0},
                    // A 32-bit divisor of 0x100000000 is 0: its low half.
                    {"lddw %r0, 0x300000007\nlddw %r1, 0x100000000\ndiv32 %r0, %r1", 0},
                    {"lddw %r0, 0x300000007\nlddw %r1, 0x100000000\nmod32 %r0, %r1", 7},
                    // As a 64-bit divisor it is 2^32: 0x300000007 = 3 * 2^32 + 7.
                    {"lddw %r0, 0x300000007\nlddw %r1, 0x100000000\ndiv %r0, %r1", 3},
                    {"lddw %r0, 0x300000007\nlddw %r1, 0x100000000\nmod %r0, %r1", 7},
                    // Signed: same rules; -7 is 0xfffffffffffffff9, its low half 0xfffffff9.
                    {"mov %r0, -7\nmov %r1, 0\nsdiv %r0, %r1", 0},
                    {"mov %r0, -7\nmov %r1, 0\nsmod %r0, %r1", 0xfffffffffffffff9},
                    {"mov %r0, -7\nsdiv32 %r0, 0", 0},
                    {"mov %r0, -7\nsmod32 %r0, 0", 0xfffffff9},
                });
}

TEMPLATE_TEST_CASE("signed division: overflow and signs", "[interpreter][alu]", Threaded, SwitchLoop,
                   Compact) {
    Harness<TestType::config> h;
    check_r0(h, {
                    // INT64_MIN / -1 overflows and wraps to INT64_MIN; INT64_MIN % -1 = 0.
                    {"lddw %r0, 0x8000000000000000\nsdiv %r0, -1", 0x8000000000000000},
                    {"lddw %r0, 0x8000000000000000\nmov %r1, -1\nsdiv %r0, %r1", 0x8000000000000000},
                    {"lddw %r0, 0x8000000000000000\nsmod %r0, -1", 0},
                    // Same in 32 bits, zero-extended; the upper half of dst plays no part.
                    {"mov32 %r0, 0x80000000\nsdiv32 %r0, -1", 0x80000000},
                    {"lddw %r0, 0xffffffff80000000\nsdiv32 %r0, -1", 0x80000000},
                    {"mov32 %r0, 0x80000000\nmov %r1, -1\nsmod32 %r0, %r1", 0},
                    // Truncation toward zero: -13 / 3 = -4, and the remainder takes the dividend's sign:
                    // -13 = 3 * -4 - 1, 13 = -3 * -4 + 1, -13 = -3 * 4 - 1.
                    {"mov %r0, -13\nsdiv %r0, 3", 0xfffffffffffffffc},
                    {"mov %r0, -13\nsmod %r0, 3", 0xffffffffffffffff},
                    {"mov %r0, 13\nsmod %r0, -3", 1},
                    {"mov %r0, -13\nsmod %r0, -3", 0xffffffffffffffff},
                    {"mov32 %r0, -13\nsmod32 %r0, 3", 0xffffffff},
                    // Unsigned on the same bits: 2^64 - 13 = 2^64 - 1 - 12, and 3 divides both 2^64 - 1
                    // (= (2^32 - 1)(2^32 + 1), 3 | 2^32 - 1) and 12.
                    {"mov %r0, -13\nmod %r0, 3", 0},
                    // Unsigned divisor 2^64 - 1 exceeds 10; signed -1 negates.
                    {"mov %r0, 10\ndiv %r0, -1", 0},
                    {"mov %r0, 10\nsdiv %r0, -1", 0xfffffffffffffff6},
                });
}

TEMPLATE_TEST_CASE("movsx sign-extends 8, 16 and 32 bits", "[interpreter][alu]", Threaded, SwitchLoop,
                   Compact) {
    Harness<TestType::config> h;
    check_r0(h, {
                    {"mov %r1, 0x80\nmovsx864 %r0, %r1", 0xffffffffffffff80},
                    {"mov %r1, 0x7f\nmovsx864 %r0, %r1", 0x7f},
                    // Only the low byte counts: 0x12 is positive.
                    {"lddw %r1, 0xffffffffffff0012\nmovsx864 %r0, %r1", 0x12},
                    {"mov %r1, 0x8000\nmovsx1664 %r0, %r1", 0xffffffffffff8000},
                    {"mov32 %r1, 0x80000000\nmovsx3264 %r0, %r1", 0xffffffff80000000},
                    {"lddw %r1, 0xffffffff7fffffff\nmovsx3264 %r0, %r1", 0x7fffffff},
                    // 32-bit forms sign-extend to 32 bits, then zero-extend.
                    {"lddw %r1, 0x1234567800000080\nmovsx832 %r0, %r1", 0xffffff80},
                    {"mov %r1, 0x8001\nmovsx1632 %r0, %r1", 0xffff8001},
                });
}

TEMPLATE_TEST_CASE("byte order: le truncates, be and bswap swap", "[interpreter][alu]", Threaded, SwitchLoop,
                   Compact) {
    Harness<TestType::config> h;
    // On a little-endian host "to little endian" keeps the low 16/32/64 bits; "to big endian"
    // and bswap reverse the bytes of that many low bits: 0x7788 -> 0x8877 and so on.
    check_r0(h, {
                    {"lddw %r0, 0x1122334455667788\nle16 %r0", 0x7788},
                    {"lddw %r0, 0x1122334455667788\nle32 %r0", 0x55667788},
                    {"lddw %r0, 0x1122334455667788\nle64 %r0", 0x1122334455667788},
                    {"lddw %r0, 0x1122334455667788\nbe16 %r0", 0x8877},
                    {"lddw %r0, 0x1122334455667788\nbe32 %r0", 0x88776655},
                    {"lddw %r0, 0x1122334455667788\nbe64 %r0", 0x8877665544332211},
                    {"lddw %r0, 0x1122334455667788\nbswap16 %r0", 0x8877},
                    {"lddw %r0, 0x1122334455667788\nbswap32 %r0", 0x88776655},
                    {"lddw %r0, 0x1122334455667788\nbswap64 %r0", 0x8877665544332211},
                });
}

TEMPLATE_TEST_CASE("lddw loads 64 bits from two slots", "[interpreter][alu]", Threaded, SwitchLoop, Compact) {
    Harness<TestType::config> h;
    check_r0(h, {
                    {"lddw %r0, 0x1122334455667788", 0x1122334455667788},
                    // The low slot's imm is -1 as an int32; it must not sign-extend into the high half.
                    {"lddw %r0, 0x1ffffffff", 0x1ffffffff},
                    {"lddw %r0, 0x8000000000000000", 0x8000000000000000},
                });
}

TEMPLATE_TEST_CASE("sign-extending and unaligned loads", "[interpreter][memory]", Threaded, SwitchLoop,
                   Compact) {
    Harness<TestType::config> h;
    Buffer mem(16);
    const std::uint8_t bytes[16] = {0x80, 0x80, 0xff, 0x7f, 0x01, 0x00, 0x00, 0x80,
                                    0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x00, 0x00};
    std::memcpy(mem.data(), bytes, sizeof bytes);
    h.regions = {mem.region(Access::read_write)};
    h.args[0] = mem.address();
    check_r0(h, {
                    {"ldxsb %r0, [%r1+0]", 0xffffffffffffff80},
                    {"ldxb %r0, [%r1+0]", 0x80},
                    {"ldxsb %r0, [%r1+3]", 0x7f},
                    // Little-endian halves: 80 80 -> 0x8080, ff 7f -> 0x7fff.
                    {"ldxsh %r0, [%r1+0]", 0xffffffffffff8080},
                    {"ldxh %r0, [%r1+0]", 0x8080},
                    {"ldxsh %r0, [%r1+2]", 0x7fff},
                    // 01 00 00 80 -> 0x80000001; ff ff ff 7f -> 0x7fffffff.
                    {"ldxsw %r0, [%r1+4]", 0xffffffff80000001},
                    {"ldxw %r0, [%r1+4]", 0x80000001},
                    {"ldxsw %r0, [%r1+8]", 0x7fffffff},
                    // Bytes 3..10: 7f 01 00 00 80 ff ff ff, least significant first.
                    {"ldxdw %r0, [%r1+3]", 0xffffff800000017f},
                });
    // An unaligned store writes little-endian bytes 5..12.
    CHECK(h.result("lddw %r2, 0x0102030405060708\nstxdw [%r1+5], %r2\nmov %r0, 0\nexit") == returns(0));
    const std::uint8_t stored[8] = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
    CHECK(std::memcmp(mem.data() + 5, stored, 8) == 0);
    CHECK(mem[4] == 0x01);
    CHECK(mem[13] == 0x00);
}

TEMPLATE_TEST_CASE("atomic operations", "[interpreter][atomic]", Threaded, SwitchLoop, Compact) {
    Harness<TestType::config> h;
    Buffer mem(16);
    h.regions = {mem.region(Access::read_write)};
    struct Atomic {
        const char* op;  ///< on [%r1+0] with %r2
        std::uint64_t memory, src, r0;
        std::uint64_t memory_after, src_after, r0_after;
    };
    // The program sets r0 from r3, runs `op`, and stores the source register at [%r1+8].
    const Atomic cases[] = {
        {"lock add [%r1+0], %r2", 0x10, 5, 0, 0x15, 5, 0},
        {"lock or [%r1+0], %r2", 0xf0, 0x0f, 0, 0xff, 0x0f, 0},
        {"lock and [%r1+0], %r2", 0xff, 0x0f, 0, 0x0f, 0x0f, 0},
        {"lock xor [%r1+0], %r2", 0xff, 0x0f, 0, 0xf0, 0x0f, 0},
        // fetch: the source register receives the old value.
        {"lock fetch add [%r1+0], %r2", 0x10, 5, 0, 0x15, 0x10, 0},
        {"lock fetch or [%r1+0], %r2", 0xf0, 0x0f, 0, 0xff, 0xf0, 0},
        {"lock fetch and [%r1+0], %r2", 0xff, 0x0f, 0, 0x0f, 0xff, 0},
        {"lock fetch xor [%r1+0], %r2", 0xff, 0x0f, 0, 0xf0, 0xff, 0},
        {"lock xchg [%r1+0], %r2", 0xaaaa, 0x5555, 0, 0x5555, 0xaaaa, 0},
        // cmpxchg: r0 is compared and receives the old value; memory changes only on a match.
        {"lock cmpxchg [%r1+0], %r2", 0x1234, 0x9999, 0x1234, 0x9999, 0x9999, 0x1234},
        {"lock cmpxchg [%r1+0], %r2", 0x1234, 0x9999, 0x1111, 0x1234, 0x9999, 0x1234},
        // 32 bits: only the low word changes, no carry into the upper one.
        {"lock add32 [%r1+0], %r2", 0x00000001ffffffff, 1, 0, 0x0000000100000000, 1, 0},
        // 0x0000ffff ^ 0xffffffff = 0xffff0000.
        {"lock xor32 [%r1+0], %r2", 0xffffffff0000ffff, 0xffffffffffffffff, 0, 0xffffffffffff0000,
         0xffffffffffffffff, 0},
        // The fetched 32-bit value is zero-extended into the source.
        {"lock fetch add32 [%r1+0], %r2", 0xaaaaaaaa00000010, 0xffffffff00000005, 0, 0xaaaaaaaa00000015, 0x10,
         0},
        {"lock xchg32 [%r1+0], %r2", 0x1111111122222222, 0x3333333344444444, 0, 0x1111111144444444,
         0x22222222, 0},
        // cmpxchg32 compares the low half of r0 (7 = 7) and zero-extends the old value into r0.
        {"lock cmpxchg32 [%r1+0], %r2", 0xffffffff00000007, 0x0000000500000009, 0xabcdef0000000007,
         0xffffffff00000009, 0x0000000500000009, 7},
        {"lock cmpxchg32 [%r1+0], %r2", 0xffffffff00000007, 9, 8, 0xffffffff00000007, 9, 7},
    };
    for (const Atomic& c : cases) {
        INFO(c.op << " on " << hex(c.memory) << " with " << hex(c.src) << ", r0 " << hex(c.r0));
        write64(mem.data(), c.memory);
        write64(mem.data() + 8, 0);
        h.args = {mem.address(), c.src, c.r0, 0, 0};
        const std::string source = std::string{"mov %r0, %r3\n"} + c.op + "\nstxdw [%r1+8], %r2\nexit";
        CHECK(h.result(source) == returns(c.r0_after));
        CHECK(hex(read64(mem.data())) == hex(c.memory_after));
        CHECK(hex(read64(mem.data() + 8)) == hex(c.src_after));
    }
}

TEMPLATE_TEST_CASE("loads and stores at the edges of a region", "[interpreter][memory]", Threaded, SwitchLoop,
                   Compact) {
    Harness<TestType::config> h;
    Buffer mem(16);
    mem.fill_counting();  // bytes 1..16
    h.regions = {mem.region(Access::read_write)};
    h.args[0] = mem.address();
    const auto at_pc1 = [&](const char* line) {
        return h.result(std::string{"mov %r0, 0\n"} + line + "\nexit");
    };
    CHECK(at_pc1("ldxb %r0, [%r1+0]") == returns(1));
    CHECK(at_pc1("ldxb %r0, [%r1+15]") == returns(16));
    CHECK(at_pc1("ldxdw %r0, [%r1+8]") == returns(0x100f0e0d0c0b0a09));  // bytes 9..16
    CHECK(at_pc1("ldxb %r0, [%r1+16]") == failure(ErrorCode::out_of_bounds_load, 1));
    CHECK(at_pc1("ldxdw %r0, [%r1+9]") == failure(ErrorCode::out_of_bounds_load, 1));
    CHECK(at_pc1("ldxw %r0, [%r1+13]") == failure(ErrorCode::out_of_bounds_load, 1));
    CHECK(at_pc1("ldxb %r0, [%r1-1]") == failure(ErrorCode::out_of_bounds_load, 1));
    CHECK(at_pc1("ldxdw %r0, [%r1-4]") == failure(ErrorCode::out_of_bounds_load, 1));

    CHECK(at_pc1("stb [%r1+0], 0xa0") == returns(0));
    CHECK(at_pc1("stb [%r1+15], 0xaf") == returns(0));
    CHECK(at_pc1("stxh [%r1+14], %r1") == returns(0));
    CHECK(at_pc1("stdw [%r1+8], -1") == returns(0));
    CHECK(mem[0] == 0xa0);
    CHECK(read64(mem.data() + 8) == 0xffffffffffffffff);
    CHECK(at_pc1("stb [%r1+16], 1") == failure(ErrorCode::out_of_bounds_store, 1));
    CHECK(at_pc1("stdw [%r1+9], 1") == failure(ErrorCode::out_of_bounds_store, 1));
    CHECK(at_pc1("stxw [%r1+13], %r1") == failure(ErrorCode::out_of_bounds_store, 1));
    CHECK(at_pc1("stb [%r1-1], 1") == failure(ErrorCode::out_of_bounds_store, 1));
    CHECK(at_pc1("lock add [%r1+9], %r1") == failure(ErrorCode::out_of_bounds_store, 1));
    CHECK(mem.guards_intact());
}

TEMPLATE_TEST_CASE("region access rights", "[interpreter][memory]", Threaded, SwitchLoop, Compact) {
    Harness<TestType::config> h;
    Buffer mem(16);
    mem.fill_counting();
    h.args[0] = mem.address();
    const auto at_pc1 = [&](const char* line) {
        return h.result(std::string{"mov %r0, 0\n"} + line + "\nexit");
    };

    SECTION("read-only: loads work, stores are refused") {
        h.regions = {Region::read_only(mem.data(), mem.size())};
        CHECK(at_pc1("ldxb %r0, [%r1+15]") == returns(16));
        CHECK(at_pc1("stb [%r1+0], 0") == failure(ErrorCode::store_to_readonly, 1));
        CHECK(at_pc1("stxdw [%r1+8], %r1") == failure(ErrorCode::store_to_readonly, 1));
        CHECK(at_pc1("lock add [%r1+0], %r1") == failure(ErrorCode::store_to_readonly, 1));
        // Past the end it is not read-only memory, just no memory.
        CHECK(at_pc1("stb [%r1+16], 0") == failure(ErrorCode::out_of_bounds_store, 1));
        std::vector<std::uint8_t> expected(16);
        for (std::size_t i = 0; i < 16; ++i) expected[i] = static_cast<std::uint8_t>(i + 1);
        CHECK(mem.contents() == expected);
    }
    SECTION("write-only: stores work, loads are refused") {
        h.regions = {mem.region(Access::write)};
        CHECK(at_pc1("ldxb %r0, [%r1+0]") == failure(ErrorCode::out_of_bounds_load, 1));
        CHECK(at_pc1("stb [%r1+0], 7") == returns(0));
        CHECK(mem[0] == 7);
        // An atomic reads too, and the memory is not readable.
        CHECK(at_pc1("lock add [%r1+0], %r1") == failure(ErrorCode::out_of_bounds_store, 1));
    }
    SECTION("no access") {
        h.regions = {mem.region(Access::none)};
        CHECK(at_pc1("ldxb %r0, [%r1+0]") == failure(ErrorCode::out_of_bounds_load, 1));
        CHECK(at_pc1("stb [%r1+0], 7") == failure(ErrorCode::out_of_bounds_store, 1));
    }
    CHECK(mem.guards_intact());
}

TEMPLATE_TEST_CASE("addresses that wrap around are refused", "[interpreter][memory]", Threaded, SwitchLoop,
                   Compact) {
    Harness<TestType::config> h;
    Buffer mem(16);
    h.regions = {mem.region(Access::read_write)};
    h.args[0] = mem.address();
    // 8 bytes from 2^64 - 4 would wrap to 4: a check computing addr + len overflows.
    CHECK(h.result("mov %r1, -4\nldxdw %r0, [%r1+0]\nexit") == failure(ErrorCode::out_of_bounds_load, 1));
    CHECK(h.result("mov %r1, -1\nstxdw [%r1+0], %r1\nexit") == failure(ErrorCode::out_of_bounds_store, 1));
    // Base 2^64 - 8 plus offset 16 wraps to address 8.
    CHECK(h.result("mov %r1, -8\nldxb %r0, [%r1+16]\nexit") == failure(ErrorCode::out_of_bounds_load, 1));
    // The region's pointer plus (8 - pointer) wraps to 8.
    CHECK(h.result("mov %r2, 8\nsub %r2, %r1\nadd %r1, %r2\nldxb %r0, [%r1+0]\nexit") ==
          failure(ErrorCode::out_of_bounds_load, 3));
    // Offsets are signed 16 bits: -0x8000 from the region lands far before it.
    CHECK(h.result("ldxb %r0, [%r1-0x8000]\nexit") == failure(ErrorCode::out_of_bounds_load, 0));
}

TEMPLATE_TEST_CASE("the caller's buffers are checked before running", "[interpreter][memory]", Threaded,
                   SwitchLoop, Compact) {
    constexpr Config C = TestType::config;
    Harness<C> h;
    const char* const program = "mov %r0, 1\nexit";
    // [2^64 - 4, 2^64 + 4) wraps.
    h.regions = {Region{static_cast<std::uintptr_t>(-1) - 3, 8, Access::read}};
    CHECK(h.result(program) == failure(ErrorCode::invalid_region, 0));
    // [2^64 - 8, 2^64) ends exactly at the top and an empty region anywhere is fine.
    h.regions = {Region{static_cast<std::uintptr_t>(-1) - 7, 8, Access::read}, Region{123, 0, Access::read}};
    CHECK(h.result(program) == returns(1));

    h.regions = {};
    h.stack = Buffer(C.stack_size() - 1);
    CHECK(h.result(program) == failure(ErrorCode::stack_too_small, 0));
    h.stack = Buffer(C.stack_size());
    CHECK(h.result(program) == returns(1));
}

TEMPLATE_TEST_CASE("the stack lies below r10", "[interpreter][memory]", Threaded, SwitchLoop, Compact) {
    constexpr Config C = TestType::config;
    static_assert(C.stack_size() == 4096);
    Harness<C> h;
    CHECK(h.result("ldxdw %r0, [%r10-512]\nexit") == returns(0));
    CHECK(h.result("stdw [%r10-8], 5\nldxdw %r0, [%r10-8]\nexit") == returns(5));
    CHECK(h.result("stb [%r10-4096], 9\nldxb %r0, [%r10-4096]\nexit") == returns(9));
    CHECK(h.result("stb [%r10-1], 3\nmov %r0, 0\nexit") == returns(0));
    // r10 is the top of the stack buffer: [r10-1] is its last byte, [r10-4096] its first.
    CHECK(h.stack[C.stack_size() - 1] == 3);
    CHECK(h.stack[0] == 9);
    CHECK(h.result("mov %r0, 0\nldxb %r0, [%r10+0]\nexit") == failure(ErrorCode::out_of_bounds_load, 1));
    CHECK(h.result("mov %r0, 0\nldxb %r0, [%r10-4097]\nexit") == failure(ErrorCode::out_of_bounds_load, 1));
    CHECK(h.result("mov %r0, 0\nstb [%r10+0], 1\nexit") == failure(ErrorCode::out_of_bounds_store, 1));
    CHECK(h.result("mov %r0, 0\nstdw [%r10-4], 1\nexit") == failure(ErrorCode::out_of_bounds_store, 1));
    CHECK(h.result("mov %r0, 0\nstb [%r10-4097], 1\nexit") == failure(ErrorCode::out_of_bounds_store, 1));
    CHECK(h.stack.guards_intact());
}

TEMPLATE_TEST_CASE("a stop flag ends a run between slices, at no other cost", "[interpreter][budget]",
                   Threaded, SwitchLoop, Compact) {
    constexpr auto C = TestType::config;
    // r1 = 100000; loop: sub r1, 1; jne r1, 0, loop; exit. 1 + 2 * 100000 + 1 = 200002
    // instructions: more than three slices of 65536.
    const host::AssemblyResult code =
        host::assemble("mov %r1, 100000\nloop:\nsub %r1, 1\njne %r1, 0, loop\nexit");
    REQUIRE(code.ok());
    const auto verified = verify<C>(Program{code.code}, {});
    REQUIRE(verified.ok());
    Buffer stack{C.stack_size()};
    std::atomic<bool> stop{false};
    Execution exec;
    exec.stack = stack.span();
    exec.budget = 10'000'000;
    exec.stop = &stop;
    // Not set: the slices add up to the same count as without a flag.
    const Result<Outcome> full = Interpreter<C>::run(*verified, exec);
    REQUIRE(full.ok());
    CHECK(full->instructions == 200002);
    // The budget still counts across slices: 200001 instructions are one too few.
    exec.budget = 200001;
    CHECK(Interpreter<C>::run(*verified, exec).error() == Error{ErrorCode::budget_exhausted, 3});
    // Set: the run ends when the first slice is spent, 65536 instructions in. Counting from 0,
    // instruction 0 is pc 0, then odd ones are `sub` (pc 1) and even ones `jne` (pc 2): the one
    // that does not run, number 65536, is the jne.
    exec.budget = 10'000'000;
    stop = true;
    CHECK(Interpreter<C>::run(*verified, exec).error() == Error{ErrorCode::stopped, 2});
    // A budget within one slice never looks at the flag: number 1001 (sub) does not run.
    exec.budget = 1001;
    CHECK(Interpreter<C>::run(*verified, exec).error() == Error{ErrorCode::budget_exhausted, 1});
}

TEMPLATE_TEST_CASE("the instruction budget", "[interpreter][budget]", Threaded, SwitchLoop, Compact) {
    Harness<TestType::config> h;
    const auto run = [&](const char* source, std::uint64_t budget) {
        h.budget = budget;
        return h.run(source);
    };
    SECTION("straight line: five instructions") {
        const char* const five = "mov %r0, 1\nadd %r0, 1\nadd %r0, 1\nadd %r0, 1\nexit";
        const Result<Outcome> enough = run(five, 5);
        CHECK(describe(enough) == returns(4));
        CHECK(enough->instructions == 5);
        // The fifth instruction, exit at pc 4, is the one that cannot run.
        CHECK(describe(run(five, 4)) == failure(ErrorCode::budget_exhausted, 4));
        CHECK(describe(run(five, 0)) == failure(ErrorCode::budget_exhausted, 0));
    }
    SECTION("a loop of three rounds") {
        // pc 0, 1, then (2, 3, 4) three times, then 5: 2 + 9 + 1 = 12 instructions.
        const char* const loop = R"(
            mov %r0, 0
            mov %r1, 3
        loop:
            add %r0, 1
            sub %r1, 1
            jne %r1, 0, loop
            exit)";
        const Result<Outcome> enough = run(loop, 12);
        CHECK(describe(enough) == returns(3));
        CHECK(enough->instructions == 12);
        CHECK(describe(run(loop, 11)) == failure(ErrorCode::budget_exhausted, 5));
        // Five instructions run pc 0..4; the sixth is the jump's target, pc 2.
        CHECK(describe(run(loop, 5)) == failure(ErrorCode::budget_exhausted, 2));
    }
    SECTION("endless loops end") {
        CHECK(describe(run("ja -1", 1000)) == failure(ErrorCode::budget_exhausted, 0));
        // pc 0 once, then (1, 2) 500 times: the next one is pc 1.
        CHECK(describe(run("mov %r0, 0\nadd %r0, 1\nja -2", 1001)) ==
              failure(ErrorCode::budget_exhausted, 1));
    }
    SECTION("calls, returns and lddw count once each") {
        // call (pc 0), mov (2), exit (3) back to pc 1, exit (1).
        const char* const call = "call local f\nexit\nf: mov %r0, 3\nexit";
        CHECK(run(call, 4)->instructions == 4);
        CHECK(describe(run(call, 3)) == failure(ErrorCode::budget_exhausted, 1));
        CHECK(run("lddw %r0, 1\nexit", 2)->instructions == 2);
    }
}

namespace {

struct Recorder {
    std::array<std::uint64_t, 5> args{};
    int calls = 0;
};
std::uint64_t record(std::uint64_t a1, std::uint64_t a2, std::uint64_t a3, std::uint64_t a4, std::uint64_t a5,
                     HelperContext& ctx) {
    auto* recorder = static_cast<Recorder*>(ctx.user());
    recorder->args = {a1, a2, a3, a4, a5};
    ++recorder->calls;
    return 0xfeedbeef12345678;
}
/// sum(ptr, len): the sum of len readable bytes.
std::uint64_t sum(std::uint64_t ptr, std::uint64_t len, std::uint64_t, std::uint64_t, std::uint64_t,
                  HelperContext& ctx) {
    const auto* p = static_cast<const std::uint8_t*>(ctx.pointer(ptr, len, Access::read));
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; p != nullptr && i < len; ++i) total += p[i];
    return total;
}
/// fill(ptr, len, byte): sets len writable bytes.
std::uint64_t fill(std::uint64_t ptr, std::uint64_t len, std::uint64_t byte, std::uint64_t, std::uint64_t,
                   HelperContext& ctx) {
    void* p = ctx.pointer(ptr, len, Access::write);
    if (p != nullptr) std::memset(p, static_cast<int>(byte & 0xff), len);
    return 0;
}
std::uint64_t fail_default(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                           HelperContext& ctx) {
    ctx.fail();
    return 0;
}
std::uint64_t fail_with_code(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                             HelperContext& ctx) {
    ctx.fail(ErrorCode::store_to_readonly);
    return 0;
}
/// Reports "no error" as its failure: must still fail the run, as helper_failed.
std::uint64_t fail_with_none(std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                             HelperContext& ctx) {
    ctx.fail(ErrorCode::none);
    return 42;
}
/// Ends the program with r0 = 2 * r1.
std::uint64_t stop_with_double(std::uint64_t a1, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                               HelperContext& ctx) {
    ctx.exit_program();
    return 2 * a1;
}
const std::vector<Helper> kHelpers = {{1, record, "record"},
                                      {2, sum, "sum"},
                                      {3, fill, "fill"},
                                      {4, fail_default, "fail"},
                                      {5, fail_with_code, "fail_with"},
                                      {6, stop_with_double, "stop"},
                                      {7, fail_with_none, "fail_with_none"}};

}  // namespace

TEMPLATE_TEST_CASE("helpers get r1..r5 and the user pointer and set r0", "[interpreter][helpers]", Threaded,
                   SwitchLoop, Compact) {
    Harness<TestType::config> h;
    Recorder recorder;
    h.helpers = kHelpers;
    h.user = &recorder;
    CHECK(h.result("mov %r1, 11\nmov %r2, 22\nmov %r3, 33\nmov %r4, 44\nmov %r5, 55\ncall 1\nexit") ==
          returns(0xfeedbeef12345678));
    CHECK(recorder.args == std::array<std::uint64_t, 5>{11, 22, 33, 44, 55});
    CHECK(recorder.calls == 1);
    // The run's initial arguments are r1..r5; r0 from the helper is used afterwards.
    h.args = {101, 102, 103, 104, 105};
    CHECK(h.result("call 1\nrsh %r0, 32\nexit") == returns(0xfeedbeef));
    CHECK(recorder.args == std::array<std::uint64_t, 5>{101, 102, 103, 104, 105});
    CHECK(recorder.calls == 2);
}

TEMPLATE_TEST_CASE("helper pointers are checked", "[interpreter][helpers]", Threaded, SwitchLoop, Compact) {
    Harness<TestType::config> h;
    h.helpers = kHelpers;
    Buffer mem(8);
    mem.fill_counting();  // 1..8, sum 36
    h.args[0] = mem.address();
    const std::vector<std::uint8_t> original = mem.contents();

    SECTION("read and write inside a region") {
        h.regions = {mem.region(Access::read_write)};
        CHECK(h.result("mov %r2, 8\ncall 2\nexit") == returns(36));
        CHECK(h.result("mov %r2, 8\nmov %r3, 0xee\ncall 3\nmov %r0, 0\nexit") == returns(0));
        CHECK(mem.contents() == std::vector<std::uint8_t>(8, 0xee));
        // The stack is memory too: 01 01 01 01 00 00 00 00 sums to 4.
        CHECK(h.result("stdw [%r10-8], 0x01010101\nmov %r1, %r10\nsub %r1, 8\nmov %r2, 8\ncall 2\nexit") ==
              returns(4));
    }
    SECTION("one byte past the region") {
        h.regions = {mem.region(Access::read_write)};
        CHECK(h.result("mov %r2, 9\ncall 2\nexit") == failure(ErrorCode::helper_bad_pointer, 1));
        CHECK(h.result("mov %r2, 9\nmov %r3, 0xee\ncall 3\nexit") ==
              failure(ErrorCode::helper_bad_pointer, 2));
        CHECK(h.result("sub %r1, 1\nmov %r2, 2\nmov %r3, 0xee\ncall 3\nexit") ==
              failure(ErrorCode::helper_bad_pointer, 3));
        CHECK(mem.contents() == original);
    }
    SECTION("writing through a read-only region") {
        h.regions = {Region::read_only(mem.data(), mem.size())};
        CHECK(h.result("mov %r2, 8\ncall 2\nexit") == returns(36));
        CHECK(h.result("mov %r2, 8\nmov %r3, 0xee\ncall 3\nexit") ==
              failure(ErrorCode::helper_bad_pointer, 2));
        CHECK(mem.contents() == original);
    }
    CHECK(mem.guards_intact());
}

TEMPLATE_TEST_CASE("helpers can fail or end the program", "[interpreter][helpers]", Threaded, SwitchLoop,
                   Compact) {
    Harness<TestType::config> h;
    h.helpers = kHelpers;
    CHECK(h.result("mov %r0, 1\ncall 4\nmov %r0, 2\nexit") == failure(ErrorCode::helper_failed, 1));
    CHECK(h.result("mov %r0, 1\ncall 5\nmov %r0, 2\nexit") == failure(ErrorCode::store_to_readonly, 1));
    CHECK(h.result("mov %r0, 1\ncall 7\nmov %r0, 2\nexit") == failure(ErrorCode::helper_failed, 1));
    // exit_program: r0 is the helper's 2 * 21; the instructions after the call never run.
    const Result<Outcome> stopped = h.run("mov %r1, 21\ncall 6\nmov %r0, 0\nexit");
    CHECK(describe(stopped) == returns(42));
    CHECK(stopped->instructions == 2);
    // From inside a local function it ends the whole program.
    CHECK(h.result("call local f\nmov %r0, 0\nexit\nf: mov %r1, 50\ncall 6\nexit") == returns(100));
}

TEMPLATE_TEST_CASE("callx checks the helper id at run time", "[interpreter][helpers]", Threaded, SwitchLoop,
                   Compact) {
    Harness<TestType::config> h;
    Recorder recorder;
    h.helpers = kHelpers;
    h.user = &recorder;
    const std::array<std::uint32_t, 1> only_sum = {2};
    CHECK(h.result("mov %r2, 1\ncall %r2\nexit") == returns(0xfeedbeef12345678));
    CHECK(h.result("mov %r2, 99\ncall %r2\nexit") == failure(ErrorCode::unknown_helper, 1));
    // The id is the whole register: 0x100000001 is not helper 1.
    CHECK(h.result("lddw %r2, 0x100000001\ncall %r2\nexit") == failure(ErrorCode::unknown_helper, 2));
    h.policy = HelperPolicy::only(std::span<const std::uint32_t>{only_sum});
    CHECK(h.result("mov %r2, 1\ncall %r2\nexit") == failure(ErrorCode::helper_not_allowed, 1));
    CHECK(recorder.calls == 1);
}

TEMPLATE_TEST_CASE("local calls", "[interpreter][calls]", Threaded, SwitchLoop, Compact) {
    constexpr Config C = TestType::config;
    Harness<C> h;
    SECTION("r6 to r9 survive the call, r0 and r1 to r5 pass through") {
        // The callee returns its r1 (100); the caller adds its own r6..r9: 100 + 6 + 7 + 8 + 9.
        CHECK(h.result(R"(
            mov %r6, 6
            mov %r7, 7
            mov %r8, 8
            mov %r9, 9
            mov %r1, 100
            call local f
            add %r0, %r6
            add %r0, %r7
            add %r0, %r8
            add %r0, %r9
            exit
        f:  mov %r0, %r1
            mov %r6, 0
            mov %r7, 0
            mov %r8, 0
            mov %r9, 0
            exit)") == returns(130));
    }
    SECTION("the callee gets a fresh frame") {
        // r6 keeps the caller's r10; the callee's r10 is one frame lower.
        CHECK(h.result("mov %r6, %r10\ncall local f\nexit\nf: mov %r0, %r6\nsub %r0, %r10\nexit") ==
              returns(C.stack_frame_size));
        // Both store at their [r10-8]; the caller finds its own value after the return, and the
        // callee's landed one frame (512 bytes) lower in the host buffer.
        CHECK(h.result(R"(
            stdw [%r10-8], 0x11
            call local f
            ldxdw %r0, [%r10-8]
            exit
        f:  stdw [%r10-8], 0x22
            exit)") == returns(0x11));
        CHECK(read64(h.stack.data() + C.stack_size() - 8) == 0x11);
        CHECK(read64(h.stack.data() + C.stack_size() - C.stack_frame_size - 8) == 0x22);
    }
    SECTION("nesting is limited by max_call_depth") {
        static_assert(C.max_call_depth == 8);
        // main calls f with r1 = k; f counts itself in r0 and calls itself with k - 1 until 0:
        // k + 1 nested calls, k + 2 frames with main's.
        const auto nest = [&](int k) {
            return h.result(R"(
                mov %r0, 0
                mov %r1, )" +
                            std::to_string(k) + R"(
                call local f
                exit
            f:  add %r0, 1
                jeq %r1, 0, +2
                sub %r1, 1
                call local f
                exit)");
        };
        CHECK(nest(6) == returns(7));                                  // 7 nested calls: 8 frames, the limit
        CHECK(nest(7) == failure(ErrorCode::call_depth_exceeded, 7));  // the 8th call, in f
        // Endless recursion into main itself.
        CHECK(h.result("call local -1\nexit") == failure(ErrorCode::call_depth_exceeded, 0));
    }
    SECTION("a different frame size") {
        constexpr Config kSmallFrames = derive<TestType>([](Config& c) { c.stack_frame_size = 256; });
        Harness<kSmallFrames> small;
        CHECK(small.result("mov %r6, %r10\ncall local f\nexit\nf: mov %r0, %r6\nsub %r0, %r10\nexit") ==
              returns(256));
    }
}

TEMPLATE_TEST_CASE("max_call_depth = 2 needs two frames of stack", "[interpreter][calls]", Threaded,
                   SwitchLoop, Compact) {
    constexpr Config C = derive<TestType>([](Config& c) { c.max_call_depth = 2; });
    static_assert(C.stack_size() == 1024);
    Harness<C> h;
    REQUIRE(h.stack.size() == 1024);
    // The callee's r10 is 512 below the top, so [r10-512] is the first byte of the buffer.
    CHECK(h.result("call local f\nexit\nf: stb [%r10-512], 7\nldxb %r0, [%r10-512]\nexit") == returns(7));
    CHECK(h.stack[0] == 7);
    CHECK(h.result("call local f\nexit\nf: ldxb %r0, [%r10-513]\nexit") ==
          failure(ErrorCode::out_of_bounds_load, 2));
    CHECK(h.result("call local f\nexit\nf: call local g\nexit\ng: exit") ==
          failure(ErrorCode::call_depth_exceeded, 2));
    CHECK(h.stack.guards_intact());
    h.stack = Buffer(1023);
    CHECK(h.result("mov %r0, 0\nexit") == failure(ErrorCode::stack_too_small, 0));
}

TEMPLATE_TEST_CASE("Vm keeps the last good program", "[interpreter][vm]", Threaded, SwitchLoop, Compact) {
    constexpr Config C = TestType::config;
    Buffer stack(C.stack_size());
    const Execution exec{stack.span(), {}, {}, 1000, nullptr};
    const auto code = [](std::string_view source) {
        host::AssemblyResult r = host::assemble(source);
        REQUIRE(r.ok());
        return r.code;
    };
    const std::vector<Insn> one = code("mov %r0, 1\nexit");
    const std::vector<Insn> broken = code("mov %r0, 2");  // falls off its end
    const std::vector<Insn> calls_9 = code("call 9\nexit");
    const std::vector<Insn> three = code("mov %r0, 3\nexit");

    Vm<C> vm{kHelpers};
    CHECK_FALSE(vm.loaded());
    CHECK(describe(vm.run(exec)) == failure(ErrorCode::no_program, 0));

    REQUIRE(vm.load(Program{one, {}}).ok());
    CHECK(vm.loaded());
    CHECK(describe(vm.run(exec)) == returns(1));

    const Result<bool> bad = vm.load(Program{broken, {}});
    CHECK(failure(bad.error().code, bad.error().pc) == failure(ErrorCode::falls_off_end, 0));
    const Result<bool> unknown = vm.load(Program{calls_9, HelperPolicy::all()});
    CHECK(failure(unknown.error().code, unknown.error().pc) == failure(ErrorCode::unknown_helper, 0));
    CHECK(vm.loaded());
    CHECK(vm.program().code.data() == one.data());
    CHECK(describe(vm.run(exec)) == returns(1));

    REQUIRE(vm.load(Program{three, {}}).ok());
    CHECK(describe(vm.run(exec)) == returns(3));
}
