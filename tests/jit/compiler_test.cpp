// SPDX-License-Identifier: MIT
// The JIT compiler's contract with its buffer (host side, no code runs): every buffer too small
// gives jit_buffer_too_small and nothing is written outside it; an odd start address gives
// jit_buffer_misaligned; the smallest buffer that works gives the same bytes as a large one;
// the offsets span maps every instruction into the code. Also the budget runtime (host-side) and
// the memory that jit::run accepts.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/jit/compiler.hpp>
#include <ubpf/jit/run.hpp>
#include <ubpf/verifier.hpp>

namespace {

using Compiler = ubpf::jit::Compiler<>;

ubpf::VerifiedProgram<ubpf::Config{}> program(const char* text) {
    const auto assembled = ubpf::host::assemble(text);
    REQUIRE(assembled.error.empty());
    static std::vector<ubpf::Insn> code;
    code = assembled.code;
    const auto verified = ubpf::verify<ubpf::Config{}>({code}, {});
    REQUIRE(verified.ok());
    return *verified;
}

// A loop, a checked load and store, a 64-bit division and a local call: every kind of slow path.
constexpr const char* kProgram =
    "mov %r0, 0\nmov %r2, 10\nloop:\nldxb %r3, [%r1+0]\nadd %r0, %r3\nstxb [%r1+1], %r3\n"
    "div %r0, %r2\nsub %r2, 1\njne %r2, 0, loop\ncall local f\nexit\nf:\nmov %r0, 7\nexit\n";

// The budget stub of a 5-instruction block starting at pc 10.
ubpf::jit::StubData block_of_five_at_ten() {
    ubpf::jit::StubData site{};
    site.pc = 10;
    site.info = ubpf::jit::StubData::make_info(ubpf::jit::SiteKind::budget, 5, 0);
    return site;
}

}  // namespace

// Straight code with many exits, which Options::poison_dead_upper_halves makes long (found by
// fuzzing: a buffer that ran out made a branch over an island unencodable, and the compiler
// reported jit_encoding_failed instead of jit_buffer_too_small).
constexpr const char* kExits =
    "mov %r0, 0\njne %r6, 6, +5\njne %r9, 7, +1\njne %r8, 8, +3\njne %r9, 0xc2000009, +2\nmov %r0, 1\n"
    "exit\nmov %r0, -1\nexit\nmov %r0, 0\nadd %r0, %r1\nadd %r0, %r2\nadd %r0, %r3\nadd %r0, %r4\n"
    "add %r8, %r5\nmov %r6, 0\nmov %r0, 1\nexit\nmov %r0, -1\nexit\nmov %r0, 0\nadd %r0, %r1\n"
    "add %r0, %r2\nadd %r0, %r3\nadd %r0, %r4\nadd %r8, %r5\nmov %r6, 0\nmov %r7, 0x2000000\n"
    "mov %r8, 0\nmov %r9, 0\nexit\n";

TEST_CASE("JIT buffers: too small is an error and nothing outside the buffer is written", "[jit]") {
    const char* const programs[] = {kProgram, kExits};
    const ubpf::jit::Options option_sets[] = {{},
                                              {.version_loops = true},
                                              {.blind_constants = true, .blinding_seed = 9},
                                              {.poison_dead_upper_halves = true}};
    for (const char* text : programs) {
        for (const ubpf::jit::Options& options : option_sets) {
            INFO(text << "\noptions: poison " << options.poison_dead_upper_halves << ", versioned "
                      << options.version_loops << ", blinded " << options.blind_constants);
            const auto verified = program(text);
            std::vector<std::uint8_t> big(1 << 16);
            const auto full = Compiler::compile(verified, big, {}, options);
            REQUIRE(full.ok());
            const std::vector<std::uint8_t> expected(big.begin(), big.begin() + full->size);
            // The smallest buffer that works: the code plus the compiler's scratch, found by search.
            std::size_t need = full->size;
            constexpr std::uint8_t kGuard = 0xa5;
            for (std::size_t size = 0;; size += 2) {
                // alignas(4) start, a guard area after the buffer.
                std::vector<std::uint32_t> storage((size + 64) / 4 + 1, 0xa5a5a5a5u);
                auto* bytes = reinterpret_cast<std::uint8_t*>(storage.data());
                const auto r = Compiler::compile(verified, {bytes, size}, {}, options);
                for (std::size_t i = size; i < size + 60; ++i) REQUIRE(bytes[i] == kGuard);
                if (r.ok()) {
                    need = size;
                    CHECK(std::vector<std::uint8_t>(bytes, bytes + r->size) == expected);
                    CHECK(r->entry == full->entry);
                    break;
                }
                INFO("buffer of " << size << " bytes");
                REQUIRE(r.error().code == ubpf::ErrorCode::jit_buffer_too_small);
                REQUIRE(size < big.size());
            }
            // The scratch the compiler documents is what it needs, give or take alignment and
            // the slow paths not yet placed (at most a handful here).
            const std::size_t scratch = Compiler::kScratchPerInstruction * verified.code.size();
            CHECK(need >= full->size);
            CHECK(need <= full->size + scratch + 12 * 16 + 8);
        }
    }
}

TEST_CASE("JIT buffers: an odd start address is refused", "[jit]") {
    const auto verified = program("mov %r0, 1\nexit\n");
    std::vector<std::uint8_t> big(4096 + 1);
    const auto r = Compiler::compile(verified, {big.data() + 1, 4096});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ubpf::ErrorCode::jit_buffer_misaligned);
}

TEST_CASE("JIT offsets: every instruction maps into the code, in order", "[jit]") {
    const auto verified = program(kProgram);
    std::vector<std::uint8_t> code(1 << 16);
    std::vector<std::uint32_t> offsets(verified.code.size(), 0xffffffffu);
    const auto r = Compiler::compile(verified, code, offsets);
    REQUIRE(r.ok());
    for (std::size_t i = 0; i < offsets.size(); ++i) {
        CHECK(offsets[i] < r->size);
        if (i > 0) CHECK(offsets[i] >= offsets[i - 1]);
    }
    CHECK(r->entry < offsets[0]);  // the entry routine comes before the program
    CHECK(r->slow < r->entry);     // and the shared routines before it
}

// The budget counter in r6 is signed (a charge that makes it negative goes to the slow path);
// runtime::budget hands out budgets above 2^31 - 1 from the reserve. Host-side: the runtime
// function is plain C++, called here with the registers the slow routine would pass.
TEST_CASE("JIT runtime: the budget counter is refilled from the reserve", "[jit][budget]") {
    using namespace ubpf::jit;
    Context c{};
    std::uint32_t saved[14] = {};
    const StubData site = block_of_five_at_ten();
    // Counter 2, a block of 5: 2 - 5 = -3 after the SUBS; the reserve holds 100 more.
    saved[kBudgetRegister] = static_cast<std::uint32_t>(-3);
    c.reserve = 100;
    REQUIRE(runtime::budget(&c, site, saved));
    CHECK(saved[kBudgetRegister] == 97);  // 2 + 100 - 5
    CHECK(c.reserve == 0);
    CHECK(c.pending == 0);
    // The largest budget: the counter takes 2^31 - 1 at most, the rest stays in the reserve.
    saved[kBudgetRegister] = static_cast<std::uint32_t>(-3);
    c.reserve = 0x7fffffff;
    REQUIRE(runtime::budget(&c, site, saved));
    CHECK(saved[kBudgetRegister] == 0x7fffffffu - 5);
    CHECK(c.reserve == 2);
    // Without a reserve the block is cut after its 2nd instruction: pc 12 cannot run.
    saved[kBudgetRegister] = static_cast<std::uint32_t>(-3);
    c.reserve = 0;
    REQUIRE(runtime::budget(&c, site, saved));
    CHECK(c.pending == 13);
    CHECK(saved[kBudgetRegister] == static_cast<std::uint32_t>(-3));
    // The next charge finds the counter negative: the run stops at the cut-off.
    saved[kBudgetRegister] = static_cast<std::uint32_t>(-3 - 5);
    CHECK_FALSE(runtime::budget(&c, site, saved));
    CHECK(c.error == error_word(ubpf::ErrorCode::budget_exhausted, 12));
}

TEST_CASE("JIT runtime: with a stop flag the counter is refilled in slices", "[jit][budget]") {
    using namespace ubpf::jit;
    std::atomic<bool> stop{false};
    Context c{};
    c.stop = &stop;
    std::uint32_t saved[14] = {};
    const StubData site = block_of_five_at_ten();
    // Counter 2, a block of 5, a reserve of 100000: the counter takes 65536 at most.
    saved[kBudgetRegister] = static_cast<std::uint32_t>(-3);
    c.reserve = 100000;
    REQUIRE(runtime::budget(&c, site, saved));
    CHECK(saved[kBudgetRegister] == 65536u - 5);
    CHECK(c.reserve == 100002u - 65536);
    // The flag set: the next refill stops the run before the block (at its first pc).
    stop = true;
    saved[kBudgetRegister] = static_cast<std::uint32_t>(-3);
    CHECK_FALSE(runtime::budget(&c, site, saved));
    CHECK(c.error == error_word(ubpf::ErrorCode::stopped, 10));
    // Without a reserve there is no refill, so the flag is not read: the block is cut after its
    // 2nd instruction as without a flag.
    c.reserve = 0;
    saved[kBudgetRegister] = static_cast<std::uint32_t>(-3);
    REQUIRE(runtime::budget(&c, site, saved));
    CHECK(c.pending == 13);
}

TEST_CASE("jit::run's memory: every region ends at or below 0xffff0000", "[jit][regions]") {
    using ubpf::Access;
    using ubpf::Region;
    const Region stack{0x20000000u, 512, Access::read_write};
    const auto fits = [&](Region r, bool as_program_region = false) {
        const Region one[] = {r};
        return ubpf::jit::below_ceiling(as_program_region ? ubpf::MemoryMap{stack, {}, one}
                                                          : ubpf::MemoryMap{stack, one});
    };
    CHECK(fits({0xfffefff0u, 16, Access::read}));  // its last byte is 0xfffeffff
    CHECK_FALSE(fits({0xfffefff0u, 17, Access::read}));
    CHECK_FALSE(fits({0xfffefff1u, 16, Access::read}, true));
    CHECK_FALSE(fits({0xffff0000u, 1, Access::read}));
    CHECK_FALSE(fits({0xfffffff0u, 16, Access::read}));
    CHECK(fits({0xfffffff0u, 0, Access::read}));  // an empty region reaches nothing
    CHECK_FALSE(ubpf::jit::below_ceiling(ubpf::MemoryMap{{0xffff0000u, 512, Access::read_write}, {}}));
}

namespace {

// r2-r9 fill the registers in the loop, so r1 stays in the context (lower half at r7 + 8, upper
// at r7 + 12); `tail` follows the loop. Returns how often the code loads r1's lower half: by
// LDR (16-bit: 0x68b8 | Rt) or LDRD (0xe9d7, then Rt Rt2 and offset 8 / 4 = 2).
unsigned r1_lower_half_loads(const std::string& tail) {
    const std::string text =
        "mov32 %r2, 1\nmov32 %r3, 2\nmov32 %r4, 3\nmov32 %r5, 4\nmov32 %r6, 5\nmov32 %r7, 6\nmov32 %r8, 7\n"
        "mov32 %r9, 8\nl:\nadd32 %r2, %r3\nadd32 %r3, %r4\nadd32 %r4, %r5\nadd32 %r5, %r6\nadd32 %r6, %r7\n"
        "add32 %r7, %r8\nadd32 %r8, %r9\nadd32 %r9, 1\njlt32 %r9, 20, l\n" +
        tail;
    const auto verified = program(text.c_str());
    std::vector<std::uint8_t> buffer(4096);
    const auto compiled = Compiler::compile(verified, buffer);
    REQUIRE(compiled.ok());
    unsigned n = 0;
    for (std::size_t k = 0; k + 3 < compiled->size; k += 2) {
        const unsigned hw = buffer[k] | buffer[k + 1] << 8;
        if ((hw & 0xfff8) == 0x68b8) ++n;             // LDR Rt, [r7, #8]
        if (hw == 0xe9d7 && buffer[k + 2] == 2) ++n;  // LDRD Rt, Rt2, [r7, #8]
    }
    return n;
}

}  // namespace

// A 64-bit right shift by 32 or more reads r1's upper half only; a shift by 31 reads both.
TEST_CASE("a 64-bit right shift by 32 or more loads no lower half", "[jit]") {
    CHECK(r1_lower_half_loads("rsh %r1, 40\nmov %r0, %r1\nexit\n") == 0);
    CHECK(r1_lower_half_loads("arsh %r1, 32\nmov %r0, %r1\nexit\n") == 0);
    CHECK(r1_lower_half_loads("rsh %r1, 31\nmov %r0, %r1\nexit\n") == 1);
}

// r1's lower half, loaded into a scratch register for `sub32 %r2, %r1`, is still there for the
// `add32 %r2, %r1` after an arithmetic shift of r2: the instructions between write r2's register
// alone, so it is loaded once. After a multiply (not a data-processing instruction: no such
// bookkeeping) it is loaded again.
TEST_CASE("a context word loaded before data-processing instructions is not loaded again", "[jit]") {
    CHECK(r1_lower_half_loads("sub32 %r2, %r1\narsh32 %r2, 2\nadd32 %r2, %r1\nmov %r0, %r2\nexit\n") == 1);
    CHECK(r1_lower_half_loads("sub32 %r2, %r1\nmul32 %r2, %r3\nadd32 %r2, %r1\nmov %r0, %r2\nexit\n") == 2);
}
