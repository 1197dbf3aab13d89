// SPDX-License-Identifier: MIT
// The seed's helpers (ubpf/seed_helpers.hpp), called by eBPF programs through the real verifier
// and interpreter, on a simulated board: a recording output, a clock that advances when a
// program sleeps, pins, a SAUL registry, a display, a keypad and a small CoAP message builder.
// Expected text comes from the host's snprintf or is worked out by hand next to the check.
#include <catch2/catch.hpp>

#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/interpreter.hpp>
#include <ubpf/seed_helpers.hpp>
#include <ubpf/verifier.hpp>

using namespace ubpf;
using namespace ubpf::seed;

namespace {

using u64 = std::uint64_t;

std::string failure(ErrorCode code, std::uint32_t pc) {
    return std::string{name(code)} + " at pc " + std::to_string(pc);
}
std::string returns(u64 r0) {
    return "r0 = " + std::to_string(r0);
}
std::string describe(const Result<Outcome>& r) {
    return r.ok() ? returns(r->r0) : failure(r.error().code, r.error().pc);
}

std::string hex(u64 v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}
/// "lddw %rN, <value>" and a newline.
std::string lddw(int reg, u64 value) {
    return "lddw %r" + std::to_string(reg) + ", " + hex(value) + "\n";
}
std::string call(HelperId h) {
    return "call " + std::to_string(id(h)) + "\n";
}

/// Host memory with guard bytes around it that belong to no region.
class Memory {
public:
    static constexpr std::size_t kGuard = 32;

    explicit Memory(std::size_t size, std::uint8_t fill = 0) : size_(size), bytes_(size + 2 * kGuard, 0xa5) {
        std::memset(data(), fill, size);
    }
    explicit Memory(std::string_view text) : Memory(text.size()) {
        std::memcpy(data(), text.data(), text.size());
    }
    Memory(const char* bytes, std::size_t n) : Memory(std::string_view{bytes, n}) {}
    std::uint8_t* data() { return bytes_.data() + kGuard; }
    u64 address(std::size_t offset = 0) { return reinterpret_cast<std::uintptr_t>(data() + offset); }
    Region region(Access access) { return Region::of(data(), size_, access); }
    std::string text() { return {reinterpret_cast<const char*>(data()), size_}; }
    bool guards_intact() const {
        for (std::size_t i = 0; i < kGuard; ++i)
            if (bytes_[i] != 0xa5 || bytes_[kGuard + size_ + i] != 0xa5) return false;
        return true;
    }

private:
    std::size_t size_;
    std::vector<std::uint8_t> bytes_;
};

// --- The simulated board ---------------------------------------------------------------------

struct RecordingOutput final : Output {
    std::string text;
    int writes = 0;
    void write(const char* s, std::size_t n) noexcept override {
        text.append(s, n);
        ++writes;
    }
};

/// Time moves only when a program sleeps, or when the test sets it.
struct FakeClock final : Clock {
    std::uint32_t ms = 0;
    std::uint32_t us = 0;
    std::optional<std::uint32_t> now_ms() noexcept override { return ms; }
    std::optional<std::uint32_t> now_us() noexcept override { return us; }
    bool periodic_wakeup(std::uint32_t& last, std::uint32_t period) noexcept override {
        const std::uint32_t target = last + period;
        if (static_cast<std::int32_t>(target - us) > 0) us = target;  // sleep until then
        last = target;
        return true;
    }
};

/// Ports 0..3 exist; a pin's level stays as last written.
struct FakeGpio final : Gpio {
    enum class Mode { unset, input, output };
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> level;
    std::map<std::pair<std::uint32_t, std::uint32_t>, Mode> mode;
    std::optional<std::uint32_t> read_input(std::uint32_t port, std::uint32_t pin) noexcept override {
        mode[{port, pin}] = Mode::input;
        return level[{port, pin}];
    }
    std::optional<std::uint32_t> read_raw(std::uint32_t port, std::uint32_t pin) noexcept override {
        return level[{port, pin}];
    }
    std::optional<bool> write(std::uint32_t port, std::uint32_t pin, std::uint32_t value) noexcept override {
        if (port > 3) return false;
        mode[{port, pin}] = Mode::output;
        level[{port, pin}] = value != 0 ? 1 : 0;
        return true;
    }
};

/// A registry of devices; handle = position + 1.
struct FakeSaul final : Saul {
    struct Device {
        std::uint8_t type;
        Phydat value;
    };
    std::vector<Device> devices;
    static constexpr std::int32_t kENODEV = -19;

    std::optional<std::uint32_t> find_nth(std::int32_t pos) noexcept override {
        if (pos < 0 || static_cast<std::size_t>(pos) >= devices.size()) return kNoDevice;
        return static_cast<std::uint32_t>(pos) + 1;
    }
    std::optional<std::uint32_t> find_type(std::uint8_t type) noexcept override {
        for (std::size_t i = 0; i < devices.size(); ++i)
            if (devices[i].type == type) return static_cast<std::uint32_t>(i) + 1;
        return kNoDevice;
    }
    std::optional<std::int32_t> read(std::uint32_t device, Phydat& out) noexcept override {
        if (device == 0 || device > devices.size()) return kENODEV;
        out = devices[device - 1].value;
        return 1;
    }
    std::optional<std::int32_t> write(std::uint32_t device, const Phydat& value) noexcept override {
        if (device == 0 || device > devices.size()) return kENODEV;
        devices[device - 1].value = value;
        return 1;
    }
};

struct FakeDisplay final : Display {
    int inits = 0;
    int clears = 0;
    std::string text;
    int row = -1;
    int column = -1;
    bool init() noexcept override {
        ++inits;
        return true;
    }
    bool clear() noexcept override {
        ++clears;
        text.clear();
        return true;
    }
    bool print(const char* s, std::size_t n) noexcept override {
        text.append(s, n);
        return true;
    }
    bool set_cursor(std::uint8_t r, std::uint8_t c) noexcept override {
        row = r;
        column = c;
        return true;
    }
};

struct FakeKeypad final : Keypad {
    std::uint32_t level = 1023;
    std::uint32_t last_line = 99;
    std::optional<std::uint32_t> sample(std::uint32_t line) noexcept override {
        last_line = line;
        return level;
    }
};

/// Builds CoAP responses like gcoap: a 4-byte header (version 1, ACK, no token, code,
/// message id 0x1234), options, then 0xff and the payload.
struct SimCoapPacket final : CoapPacket {
    std::array<std::uint8_t, 64> bytes{};
    std::size_t end = 0;
    CoapLayout at{};
    std::span<std::uint8_t> buffer() noexcept override { return bytes; }
    CoapLayout layout() noexcept override { return at; }
    std::optional<std::int32_t> resp_init(std::uint32_t code) noexcept override {
        bytes[0] = 0x60;  // ver 1 << 6 | ACK (2) << 4 | tkl 0
        bytes[1] = static_cast<std::uint8_t>(code);
        bytes[2] = 0x12;
        bytes[3] = 0x34;
        end = 4;
        at = {4, 4, 0, 0};
        return 0;
    }
    std::optional<std::int32_t> add_format(std::uint16_t format) noexcept override {
        // Content-Format is option 12: delta 12 in the high nibble, the value's length low.
        const std::size_t n = format == 0 ? 0 : (format < 256 ? 1 : 2);
        bytes[end++] = static_cast<std::uint8_t>(0xc0 | n);
        if (n == 2) bytes[end++] = static_cast<std::uint8_t>(format >> 8);
        if (n >= 1) bytes[end++] = static_cast<std::uint8_t>(format & 0xff);
        at.options_len = static_cast<std::uint16_t>(at.options_len + 1 + n);
        return static_cast<std::int32_t>(1 + n);
    }
    std::optional<std::int32_t> opt_finish(std::uint16_t flags) noexcept override {
        if (flags & kCoapOptFinishPayload) bytes[end++] = 0xff;
        at.payload_offset = end;
        at.payload_len = static_cast<std::uint16_t>(bytes.size() - end);
        return static_cast<std::int32_t>(end);
    }
};

/// The board, the stores and the environment that ties them together, plus a harness that
/// assembles, verifies and runs a program with kHelpers.
struct Rig {
    RecordingOutput output;
    FakeClock clock;
    FakeGpio gpio;
    FakeSaul saul;
    FakeDisplay display;
    FakeKeypad keypad;
    Store<4> local;
    Store<3> global;
    Environment env;
    void* user = &env;

    std::vector<std::uint8_t> stack = std::vector<std::uint8_t>(Config{}.stack_size());
    std::vector<Region> regions;
    HelperPolicy policy = HelperPolicy::all();
    std::array<u64, 5> args{};

    Rig() {
        env.platform = {&output, &clock, &gpio, &saul, &display, &keypad};
        env.local = &local;
        env.global = &global;
    }
    u64 stack_top() { return reinterpret_cast<std::uintptr_t>(stack.data() + stack.size()); }

    Result<Outcome> run(const std::string& source) {
        const host::AssemblyResult code = host::assemble(source);
        INFO(source);
        INFO(code.error);
        REQUIRE(code.ok());
        const auto verified = verify(Program{code.code, policy}, std::span<const Helper>{kHelpers});
        INFO("verifier: " << name(verified.error().code) << " at pc " << verified.error().pc);
        REQUIRE(verified.ok());
        return Interpreter<>::run(*verified, Execution{stack, regions, args, 1'000'000, user});
    }
    std::string result(const std::string& source) { return describe(run(source)); }
};

/// stb instructions that put `s` and its terminator at r10 - offset.
std::string stack_string(std::string_view s, int offset) {
    std::string out;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        const int c = i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
        out += "stb [%r10-" + std::to_string(offset - static_cast<int>(i)) + "], " + std::to_string(c) + "\n";
    }
    return out;
}

/// A program calling printf with the format at `format` and up to four arguments.
std::string printf_program(u64 format, std::initializer_list<u64> values) {
    std::string p = lddw(1, format);
    int reg = 2;
    for (u64 v : values) p += lddw(reg++, v);
    return p + call(HelperId::printf) + "exit";
}

std::string snprintf_string(const char* format, auto... values) {
    char buf[512];
    const int n = std::snprintf(buf, sizeof buf, format, values...);
    REQUIRE(n >= 0);
    REQUIRE(static_cast<std::size_t>(n) < sizeof buf);
    return {buf, static_cast<std::size_t>(n)};
}

}  // namespace

TEST_CASE("helper ids and names are the seed's", "[seed_helpers]") {
    // seed-reference.md §3, typed in from the table there.
    const std::vector<std::pair<std::uint32_t, std::string_view>> seed = {
        {0x01, "bpf_printf"},
        {0x02, "bpf_memcpy"},
        {0x03, "bpf_print_debug"},
        {0x10, "bpf_store_local"},
        {0x11, "bpf_store_global"},
        {0x12, "bpf_fetch_local"},
        {0x13, "bpf_fetch_global"},
        {0x20, "bpf_now_ms"},
        {0x30, "bpf_saul_reg_find_nth"},
        {0x31, "bpf_saul_reg_find_type"},
        {0x32, "bpf_saul_reg_read"},
        {0x33, "bpf_saul_reg_write"},
        {0x34, "bpf_saul_read_temp"},
        {0x40, "bpf_gcoap_resp_init"},
        {0x41, "bpf_coap_opt_finish"},
        {0x42, "bpf_coap_add_format"},
        {0x43, "bpf_coap_get_pdu"},
        {0x50, "bpf_fmt_s16_dfp"},
        {0x51, "bpf_fmt_u32_dec"},
        {0x52, "bpf_strlen"},
        {0x60, "bpf_ztimer_now"},
        {0x61, "bpf_ztimer_periodic_wakeup"},
        {0x70, "bpf_gpio_read_input"},
        {0x71, "bpf_gpio_read_raw"},
        {0x72, "bpf_gpio_write"},
        {0x80, "bpf_hd44780_init"},
        {0x81, "bpf_hd44780_clear"},
        {0x82, "bpf_hd44780_print"},
        {0x83, "bpf_hd44780_set_cursor"},
        {0x84, "bpf_keypad_get_input"},
    };
    REQUIRE(kHelpers.size() == seed.size());
    for (std::size_t i = 0; i < seed.size(); ++i) {
        INFO(seed[i].second);
        CHECK(kHelpers[i].id == seed[i].first);
        CHECK(kHelpers[i].name == seed[i].second);
        CHECK(kHelpers[i].fn != nullptr);
        CHECK(find_helper(kHelpers, seed[i].first) == &kHelpers[i]);
    }
    CHECK(id(HelperId::printf) == 0x01);
    CHECK(id(HelperId::strlen) == 0x52);
    CHECK(id(HelperId::ztimer_periodic_wakeup) == 0x61);
    CHECK(id(HelperId::keypad_get_input) == 0x84);
    // Every seed id can be listed in an allow-list (one byte per id).
    for (const Helper& h : kHelpers) CHECK(h.id <= HelperPolicy::kMaxListedId);
}

TEST_CASE("pointer arguments are declared so the interpreter checks them first", "[seed_helpers]") {
    const auto spec = [](HelperId h, std::size_t arg) { return find_helper(kHelpers, id(h))->args[arg]; };
    const auto is = [](ArgSpec s, ArgKind kind, std::uint8_t size_from, std::uint16_t bytes) {
        return s.kind == kind && s.size_from == size_from && s.bytes == bytes;
    };
    CHECK(is(spec(HelperId::memcpy, 0), ArgKind::write, 3, 0));
    CHECK(is(spec(HelperId::memcpy, 1), ArgKind::read, 3, 0));
    CHECK(is(spec(HelperId::printf, 0), ArgKind::string, 0, 0));
    CHECK(is(spec(HelperId::strlen, 0), ArgKind::string, 0, 0));
    CHECK(is(spec(HelperId::fetch_local, 1), ArgKind::write, 0, 4));
    CHECK(is(spec(HelperId::fetch_global, 1), ArgKind::write, 0, 4));
    CHECK(is(spec(HelperId::ztimer_periodic_wakeup, 0), ArgKind::write, 0, 4));
    CHECK(is(spec(HelperId::saul_reg_read, 1), ArgKind::write, 0, 8));
    CHECK(is(spec(HelperId::saul_reg_write, 1), ArgKind::read, 0, 8));
    CHECK(is(spec(HelperId::saul_read_temp, 1), ArgKind::write, 0, 4));
    CHECK(is(spec(HelperId::hd44780_print, 1), ArgKind::string, 0, 0));
    for (HelperId h : {HelperId::gcoap_resp_init, HelperId::coap_opt_finish, HelperId::coap_add_format,
                       HelperId::coap_get_pdu})
        CHECK(is(spec(h, 0), ArgKind::read, 0, 24));
    // fmt_* outputs have a length only the helper knows: checked inside, not declared.
    CHECK(spec(HelperId::fmt_s16_dfp, 0).kind == ArgKind::value);
    CHECK(spec(HelperId::fmt_u32_dec, 0).kind == ArgKind::value);
}

TEST_CASE("printf formats like C's printf with 32-bit arguments", "[seed_helpers][printf]") {
    Rig rig;
    struct Case {
        std::string format;
        std::vector<u64> args;
        std::string expected;
    };
    Memory strings("ab\0hello\0", 9);
    const u64 ab = strings.address(0);
    const u64 hello = strings.address(3);
    const std::string long_text(150, 'x');
    Memory long_string(long_text.size() + 1);
    std::memcpy(long_string.data(), long_text.c_str(), long_text.size() + 1);
    const std::vector<Case> cases = {
        {"plain text, no conversions\n", {}, "plain text, no conversions\n"},
        // -5 is 64-bit in r2; 0x100000007 truncates to 7 (the seed passes u32 to C's printf).
        {"a=%d b=%i c=%u d=%x|",
         {static_cast<u64>(-5), 0x1'0000'0007, 0xffff'ffff, 0xdead'beef},
         snprintf_string("a=%d b=%i c=%u d=%x|", -5, 7, 4294967295u, 0xdeadbeefu)},
        {"%X %c%c%%", {0xabc, 'h', 0x169}, snprintf_string("%X %c%c%%", 0xabcu, 'h', 'i')},
        {"[%5d][%-5d][%05d][%08x]",
         {42, 42, static_cast<u64>(-42), 0xbeef},
         snprintf_string("[%5d][%-5d][%05d][%08x]", 42, 42, -42, 0xbeefu)},
        {"[%3c][%-4s][%6s]", {'x', ab, hello}, snprintf_string("[%3c][%-4s][%6s]", 'x', "ab", "hello")},
        {"%d %u", {0x8000'0000, 0x1'0000'0000}, snprintf_string("%d %u", INT32_MIN, 0u)},
        // ll takes all 64 bits; l is 32 bits, as long is on Cortex-M.
        {"%lld %llx %lu %lld",
         {static_cast<u64>(-1234567890123LL), 0x0123'4567'89ab'cdef, 0x1'0000'0003, 0x8000'0000'0000'0000},
         snprintf_string("%lld %llx %u %lld", -1234567890123LL, 0x0123456789abcdefULL, 3u,
                         static_cast<long long>(INT64_MIN))},
        // Longer than the helper's 64-byte buffer: written in pieces, nothing lost.
        {"<%s>", {long_string.address()}, "<" + long_text + ">"},
    };
    for (const Case& c : cases) {
        INFO(c.format);
        Memory format(c.format.size() + 1);
        std::memcpy(format.data(), c.format.c_str(), c.format.size() + 1);
        rig.regions = {format.region(Access::read), strings.region(Access::read),
                       long_string.region(Access::read)};
        rig.output.text.clear();
        std::string program = lddw(1, format.address());
        for (std::size_t i = 0; i < c.args.size(); ++i) program += lddw(static_cast<int>(i + 2), c.args[i]);
        CHECK(rig.result(program + call(HelperId::printf) + "exit") == returns(0));
        CHECK(rig.output.text == c.expected);
    }
    CHECK(rig.output.writes > static_cast<int>(cases.size()));  // the long one took several writes
}

TEST_CASE("printf with a format string on the stack", "[seed_helpers][printf]") {
    // As the seed's printf_only_text.c: the format is a char[] on the stack.
    Rig rig;
    const std::string program = stack_string("v=%u\n", 16) + "mov %r1, %r10\nsub %r1, 16\nmov %r2, 100\n" +
                                call(HelperId::printf) + "mov %r0, 100\nexit";
    CHECK(rig.result(program) == returns(100));
    CHECK(rig.output.text == "v=100\n");
}

TEST_CASE("printf rejects bad calls before printing anything", "[seed_helpers][printf]") {
    Rig rig;
    Memory outside("secret\0", 7);  // readable host memory, but no region of the program
    Memory ok("ok\0", 3);
    const auto run_format = [&](const std::string& format, std::initializer_list<u64> values) {
        Memory f(format.size() + 1);
        std::memcpy(f.data(), format.c_str(), format.size() + 1);
        rig.regions = {f.region(Access::read), ok.region(Access::read)};
        rig.output.text.clear();
        return rig.result(printf_program(f.address(), values));
    };
    const std::uint32_t call_pc = 2;  // lddw takes two slots
    SECTION("%s outside the regions") {
        CHECK(run_format("%s", {outside.address()}) == failure(ErrorCode::helper_bad_pointer, call_pc + 2));
        // The first conversion is fine, but nothing is printed before the second is checked.
        CHECK(run_format("%s and %s", {ok.address(), outside.address()}) ==
              failure(ErrorCode::helper_bad_pointer, call_pc + 4));
        CHECK(run_format("%s", {0}) == failure(ErrorCode::helper_bad_pointer, call_pc + 2));
    }
    SECTION("unsupported conversions fail clearly") {
        CHECK(run_format("x=%f", {1}) == failure(ErrorCode::helper_failed, call_pc + 2));
        CHECK(run_format("%5.2d", {1}) == failure(ErrorCode::helper_failed, call_pc + 2));
        CHECK(run_format("%p", {1}) == failure(ErrorCode::helper_failed, call_pc + 2));
        CHECK(run_format("%100d", {1}) == failure(ErrorCode::helper_failed, call_pc + 2));
        CHECK(run_format("100%", {}) == failure(ErrorCode::helper_failed, call_pc));
        CHECK(run_format("%d %d %d %d %d", {1, 2, 3, 4}) == failure(ErrorCode::helper_failed, call_pc + 8));
    }
    SECTION("the format string itself must be a string in the program's memory") {
        Memory unterminated("abc", 3);
        rig.regions = {unterminated.region(Access::read)};
        CHECK(rig.result(printf_program(unterminated.address(), {})) ==
              failure(ErrorCode::helper_bad_pointer, call_pc));
        CHECK(rig.result(printf_program(outside.address(), {})) ==
              failure(ErrorCode::helper_bad_pointer, call_pc));
    }
    CHECK(rig.output.text.empty());
    CHECK(rig.output.writes == 0);
}

TEST_CASE("print_debug prints a line", "[seed_helpers][printf]") {
    Rig rig;
    // The C signature takes uint32_t: the upper half of r1 is not part of the value.
    CHECK(rig.result(lddw(1, 0x7'0000'1234) + call(HelperId::print_debug) + "exit") == returns(0));
    CHECK(rig.output.text == "[DEBUG]: 4660\n");  // 0x1234 = 4660
}

TEST_CASE("memcpy copies between checked ranges and returns dest", "[seed_helpers][memcpy]") {
    Rig rig;
    Memory source("hello world", 11);
    Memory target(16, '.');
    Memory rodata("read only!", 10);
    rig.regions = {source.region(Access::read), target.region(Access::read_write),
                   rodata.region(Access::read)};
    const auto copy = [&](u64 dst, u64 src, u64 n) {
        return rig.result(lddw(1, dst) + lddw(2, src) + lddw(3, n) + call(HelperId::memcpy) + "exit");
    };
    CHECK(copy(target.address(2), source.address(6), 5) == returns(target.address(2)));
    CHECK(target.text() == "..world.........");
    SECTION("into read-only memory: rejected, destination unchanged") {
        CHECK(copy(rodata.address(), source.address(), 5) == failure(ErrorCode::helper_bad_pointer, 6));
        CHECK(rodata.text() == "read only!");
    }
    SECTION("a source or destination range running past its region") {
        CHECK(copy(target.address(), source.address(6), 6) == failure(ErrorCode::helper_bad_pointer, 6));
        CHECK(copy(target.address(12), source.address(), 5) == failure(ErrorCode::helper_bad_pointer, 6));
        CHECK(target.text() == "..world.........");
    }
    SECTION("overlapping ranges copy as memmove does") {
        // "..world........." with the 5 bytes at offset 2 copied to offset 4: "..wo" + "world" + 7 dots.
        CHECK(copy(target.address(4), target.address(2), 5) == returns(target.address(4)));
        CHECK(target.text() == "..woworld.......");
    }
    SECTION("zero bytes touch nothing") {
        CHECK(copy(0, 0, 0) == returns(0));
    }
    CHECK(source.guards_intact());
    CHECK(target.guards_intact());
}

TEST_CASE("strlen of strings in the program's memory", "[seed_helpers][strlen]") {
    Rig rig;
    // The seed's bpf_strlen.c: a stack char[]; "This is a test string" has 21 characters.
    CHECK(rig.result(stack_string("This is a test string", 32) + "mov %r1, %r10\nsub %r1, 32\n" +
                     call(HelperId::strlen) + "exit") == returns(21));
    Memory empty("\0", 1);
    Memory unterminated("no end", 6);
    rig.regions = {empty.region(Access::read), unterminated.region(Access::read)};
    CHECK(rig.result(lddw(1, empty.address()) + call(HelperId::strlen) + "exit") == returns(0));
    CHECK(rig.result(lddw(1, unterminated.address()) + call(HelperId::strlen) + "exit") ==
          failure(ErrorCode::helper_bad_pointer, 2));
    CHECK(rig.result(lddw(1, unterminated.address(3)) + call(HelperId::strlen) + "exit") ==
          failure(ErrorCode::helper_bad_pointer, 2));
}

TEST_CASE("local and global stores keep the seed's semantics", "[seed_helpers][store]") {
    Rig rig;
    // fetch(key) into [r10-4], returning what was fetched; r6 keeps the helper's result.
    const auto fetch = [](HelperId h, int key) {
        return "mov %r1, " + std::to_string(key) + "\nmov %r2, %r10\nsub %r2, 4\nstw [%r10-4], 777\n" +
               call(h) + "mov %r6, %r0\nldxw %r0, [%r10-4]\n";
    };
    SECTION("store_local returns the value; fetch_local of a missing key gives 0") {
        CHECK(rig.result("mov %r1, 1\nmov %r2, 1234\n" + call(HelperId::store_local) + "exit") ==
              returns(1234));
        CHECK(rig.result(fetch(HelperId::fetch_local, 1) + "exit") == returns(1234));
        CHECK(rig.result(fetch(HelperId::fetch_local, 2) + "exit") == returns(0));
        CHECK(rig.result(fetch(HelperId::fetch_local, 2) + "mov %r0, %r6\nexit") == returns(0));
        CHECK(rig.local.size() == 1);  // fetching did not create key 2
        // A negative int comes back sign-extended, as the C `int` result.
        CHECK(rig.result("mov %r1, 3\nmov %r2, -5\n" + call(HelperId::store_local) + "exit") ==
              returns(static_cast<u64>(-5)));
    }
    SECTION("the seed's bpf_store.c: fetch key 1, store 1234, fetch again") {
        CHECK(rig.result(fetch(HelperId::fetch_global, 1) + "mov %r1, 1\nmov %r2, 1234\n" +
                         call(HelperId::store_global) + fetch(HelperId::fetch_global, 1) + "exit") ==
              returns(1234));
    }
    SECTION("fetch_global of a missing key creates it with 0") {
        CHECK(rig.result(fetch(HelperId::fetch_global, 7) + "exit") == returns(0));
        CHECK(rig.global.fetch(7) == std::optional<std::uint32_t>{0});
    }
    SECTION("store_global returns 0, or -1 when full; a full store cannot create keys on fetch") {
        for (int key = 0; key < 3; ++key)
            CHECK(rig.result("mov %r1, " + std::to_string(key) + "\nmov %r2, 5\n" +
                             call(HelperId::store_global) + "exit") == returns(0));
        CHECK(rig.result("mov %r1, 9\nmov %r2, 5\n" + call(HelperId::store_global) + "exit") ==
              returns(static_cast<u64>(-1)));
        // Updating a key that exists still works when full.
        CHECK(rig.result("mov %r1, 2\nmov %r2, 6\n" + call(HelperId::store_global) + "exit") == returns(0));
        CHECK(rig.global.fetch(2) == std::optional<std::uint32_t>{6});
        CHECK(rig.result(fetch(HelperId::fetch_global, 9) + "mov %r0, %r6\nexit") ==
              returns(static_cast<u64>(-1)));
        CHECK(rig.result(fetch(HelperId::fetch_global, 9) + "exit") == returns(0));
    }
    SECTION("a full local store fails the program rather than drop the value") {
        for (int key = 0; key < 4; ++key)
            CHECK(rig.result("mov %r1, " + std::to_string(key) + "\nmov %r2, 5\n" +
                             call(HelperId::store_local) + "exit") == returns(5));
        CHECK(rig.result("mov %r1, 4\nmov %r2, 5\n" + call(HelperId::store_local) + "exit") ==
              failure(ErrorCode::helper_failed, 2));
    }
    SECTION("two programs: own local stores, one global store") {
        Store<4> other_local;
        CHECK(rig.result("mov %r1, 1\nmov %r2, 11\n" + call(HelperId::store_local) +
                         "mov %r1, 1\nmov %r2, 22\n" + call(HelperId::store_global) + "exit") == returns(0));
        rig.env.local = &other_local;  // the firmware switches to the next program's slot
        CHECK(rig.result(fetch(HelperId::fetch_local, 1) + "exit") == returns(0));
        CHECK(rig.result(fetch(HelperId::fetch_global, 1) + "exit") == returns(22));
    }
    SECTION("a value pointer outside writable memory: rejected, nothing created") {
        Memory rodata(4);
        rig.regions = {rodata.region(Access::read)};
        CHECK(rig.result("mov %r1, 8\n" + lddw(2, rodata.address()) + call(HelperId::fetch_global) +
                         "exit") == failure(ErrorCode::helper_bad_pointer, 3));
        CHECK(rig.global.size() == 0);
    }
    SECTION("no store configured: helper_failed") {
        rig.env.local = nullptr;
        rig.env.global = nullptr;
        CHECK(rig.result("mov %r1, 1\nmov %r2, 1\n" + call(HelperId::store_local) + "exit") ==
              failure(ErrorCode::helper_failed, 2));
        CHECK(rig.result(fetch(HelperId::fetch_global, 1) + "exit") == failure(ErrorCode::helper_failed, 4));
    }
}

namespace {

/// RIOT's fmt_s16_dfp result for val * 10^scale, computed with snprintf: a negative scale
/// splits |val| into integer and fraction parts, a positive one appends zeros.
std::string expected_dfp(int val, int scale) {
    if (scale >= 0) return snprintf_string("%d", val) + std::string(static_cast<std::size_t>(scale), '0');
    int ten = 1;
    for (int i = 0; i < -scale; ++i) ten *= 10;
    const int magnitude = val < 0 ? -val : val;
    return snprintf_string("%s%d.%0*d", val < 0 ? "-" : "", magnitude / ten, -scale, magnitude % ten);
}

}  // namespace

TEST_CASE("fmt_s16_dfp and fmt_u32_dec follow RIOT's fmt", "[seed_helpers][fmt]") {
    Rig rig;
    Memory out(16, '#');
    rig.regions = {out.region(Access::read_write)};
    // The seed's tests: (-125, -1) -> "-12.5", 5; 12345 -> "12345", 5.
    CHECK(rig.result(lddw(1, out.address()) + "mov %r2, -125\nmov %r3, -1\n" + call(HelperId::fmt_s16_dfp) +
                     "exit") == returns(5));
    CHECK(out.text().substr(0, 6) == "-12.5#");
    CHECK(rig.result(lddw(1, out.address()) + "mov %r2, 12345\n" + call(HelperId::fmt_u32_dec) + "exit") ==
          returns(5));
    CHECK(out.text().substr(0, 6) == "12345#");

    const std::vector<std::pair<int, int>> dfp = {
        {-125, -1},  {2345, -2},   {5, -2},   {-5, -3}, {-3548, 2}, {7, 0},     {-7, 0},
        {32767, -7}, {-32768, -1}, {100, -2}, {1, 3},   {-1, -1},   {12345, -5}};
    for (const auto& [val, scale] : dfp) {
        const std::string expected = expected_dfp(val, scale);
        INFO(val << " * 10^" << scale << " -> " << expected);
        std::memset(out.data(), '#', 16);
        CHECK(rig.result(lddw(1, out.address()) + "mov %r2, " + std::to_string(val) + "\nmov %r3, " +
                         std::to_string(scale) + "\n" + call(HelperId::fmt_s16_dfp) + "exit") ==
              returns(expected.size()));
        CHECK(out.text() == expected + std::string(16 - expected.size(), '#'));
    }
    // RIOT prints zero as a plain "0" followed by the point and zeros: 0 * 10^-1 = "0.0".
    std::memset(out.data(), '#', 16);
    CHECK(rig.result(lddw(1, out.address()) + "mov %r2, 0\nmov %r3, -1\n" + call(HelperId::fmt_s16_dfp) +
                     "exit") == returns(3));
    CHECK(out.text().substr(0, 4) == "0.0#");
    // Only the low 16 bits are the int16_t: 0x10005 is 5.
    CHECK(rig.result(lddw(1, out.address()) + "mov %r2, 0x10005\nmov %r3, 0\n" + call(HelperId::fmt_s16_dfp) +
                     "exit") == returns(1));

    for (std::uint32_t v : {0u, 9u, 10u, 99999u, 1000000u, 4294967295u}) {
        const std::string expected = snprintf_string("%u", v);
        INFO(expected);
        std::memset(out.data(), '#', 16);
        CHECK(rig.result(lddw(1, out.address()) + lddw(2, v) + call(HelperId::fmt_u32_dec) + "exit") ==
              returns(expected.size()));
        CHECK(out.text() == expected + std::string(16 - expected.size(), '#'));
    }
    CHECK(out.guards_intact());
}

TEST_CASE("fmt_* with a NULL or too small output", "[seed_helpers][fmt]") {
    Rig rig;
    Memory small(4, '#');
    rig.regions = {small.region(Access::read_write)};
    SECTION("NULL computes the length only, as in RIOT") {
        CHECK(rig.result("mov %r1, 0\nmov %r2, -125\nmov %r3, -1\n" + call(HelperId::fmt_s16_dfp) + "exit") ==
              returns(5));
        CHECK(rig.result("mov %r1, 0\nmov %r2, 12345\n" + call(HelperId::fmt_u32_dec) + "exit") ==
              returns(5));
    }
    SECTION("too small: the program fails and nothing is written") {
        CHECK(rig.result(lddw(1, small.address()) + "mov %r2, -125\nmov %r3, -1\n" +
                         call(HelperId::fmt_s16_dfp) + "exit") == failure(ErrorCode::helper_bad_pointer, 4));
        CHECK(rig.result(lddw(1, small.address()) + "mov %r2, 12345\n" + call(HelperId::fmt_u32_dec) +
                         "exit") == failure(ErrorCode::helper_bad_pointer, 3));
        // Four bytes would fit 4 characters, but not at offset 1.
        CHECK(rig.result(lddw(1, small.address(1)) + "mov %r2, 1234\n" + call(HelperId::fmt_u32_dec) +
                         "exit") == failure(ErrorCode::helper_bad_pointer, 3));
        CHECK(small.text() == "####");
    }
    SECTION("read-only output: rejected") {
        rig.regions = {small.region(Access::read)};
        CHECK(rig.result(lddw(1, small.address()) + "mov %r2, 12\n" + call(HelperId::fmt_u32_dec) + "exit") ==
              failure(ErrorCode::helper_bad_pointer, 3));
        CHECK(small.text() == "####");
    }
    SECTION("exactly big enough") {
        CHECK(rig.result(lddw(1, small.address()) + "mov %r2, 1234\n" + call(HelperId::fmt_u32_dec) +
                         "exit") == returns(4));
        CHECK(small.text() == "1234");
    }
    CHECK(small.guards_intact());
}

TEST_CASE("clock helpers", "[seed_helpers][clock]") {
    Rig rig;
    rig.clock.ms = 4321;
    rig.clock.us = 1'000'000;
    CHECK(rig.result(call(HelperId::now_ms) + "exit") == returns(4321));
    CHECK(rig.result(call(HelperId::ztimer_now) + "exit") == returns(1'000'000));
    // last = now; wake up twice with a 250 us period: the clock ends at now + 500, last too.
    const std::string periodic = call(HelperId::ztimer_now) +
                                 "stxw [%r10-4], %r0\n"
                                 "mov %r1, %r10\nsub %r1, 4\nmov %r2, 250\n" +
                                 call(HelperId::ztimer_periodic_wakeup) +
                                 "mov %r1, %r10\nsub %r1, 4\nmov %r2, 250\n" +
                                 call(HelperId::ztimer_periodic_wakeup) + "ldxw %r0, [%r10-4]\nexit";
    CHECK(rig.result(periodic) == returns(1'000'500));
    CHECK(rig.clock.us == 1'000'500);
    SECTION("last_wakeup must be writable") {
        Memory rodata(4);
        rig.regions = {rodata.region(Access::read)};
        CHECK(rig.result(lddw(1, rodata.address()) + "mov %r2, 1\n" + call(HelperId::ztimer_periodic_wakeup) +
                         "exit") == failure(ErrorCode::helper_bad_pointer, 3));
        CHECK(rig.clock.us == 1'000'500);
    }
}

TEST_CASE("GPIO helpers", "[seed_helpers][gpio]") {
    Rig rig;
    rig.gpio.level[{1, 5}] = 1;
    CHECK(rig.result("mov %r1, 1\nmov %r2, 5\n" + call(HelperId::gpio_read_input) + "exit") == returns(1));
    CHECK(rig.gpio.mode[{1, 5}] == FakeGpio::Mode::input);
    CHECK(rig.result("mov %r1, 2\nmov %r2, 3\nmov %r3, 1\n" + call(HelperId::gpio_write) + "exit") ==
          returns(1));
    CHECK(rig.gpio.mode[{2, 3}] == FakeGpio::Mode::output);
    CHECK(rig.result("mov %r1, 2\nmov %r2, 3\n" + call(HelperId::gpio_read_raw) + "exit") == returns(1));
    // A pin that cannot be configured: the seed's 0.
    CHECK(rig.result("mov %r1, 9\nmov %r2, 0\nmov %r3, 1\n" + call(HelperId::gpio_write) + "exit") ==
          returns(0));
}

TEST_CASE("SAUL helpers hand out handles, never host pointers", "[seed_helpers][saul]") {
    Rig rig;
    Phydat temp;
    temp.val[0] = -123;
    temp.val[1] = 456;
    temp.val[2] = 7;
    temp.unit = 2;
    temp.scale = -1;
    rig.saul.devices = {{0x44, {}}, {130, temp}};  // a switch, then SENSE_TEMP
    CHECK(rig.result("mov %r1, 1\n" + call(HelperId::saul_reg_find_nth) + "exit") == returns(2));
    CHECK(rig.result("mov %r1, 5\n" + call(HelperId::saul_reg_find_nth) + "exit") == returns(0));
    CHECK(rig.result("mov %r1, 130\n" + call(HelperId::saul_reg_find_type) + "exit") == returns(2));
    CHECK(rig.result("mov %r1, 131\n" + call(HelperId::saul_reg_find_type) + "exit") == returns(0));
    // read into a phydat on the stack: -123 = ff85, 456 = 01c8, 7 = 0007, unit 02, scale ff,
    // little-endian: 0xff02_0007_01c8_ff85.
    const std::string read = "mov %r1, 130\n" + call(HelperId::saul_reg_find_type) +
                             "mov %r1, %r0\nmov %r2, %r10\nsub %r2, 8\n" + call(HelperId::saul_reg_read);
    CHECK(rig.result(read + "exit") == returns(1));
    CHECK(rig.result(read + "ldxdw %r0, [%r10-8]\nexit") == returns(0xff02'0007'01c8'ff85));
    // read_temp: val[0] sign-extended to 32 bits, 0xffffff85.
    CHECK(rig.result("mov %r1, 2\nmov %r2, %r10\nsub %r2, 4\n" + call(HelperId::saul_read_temp) +
                     "ldxw %r0, [%r10-4]\nexit") == returns(0xffff'ff85));
    // write: 8 bytes from the stack to device 1 (val[0] = 1, the rest 0).
    CHECK(rig.result("stdw [%r10-8], 1\nmov %r1, 1\nmov %r2, %r10\nsub %r2, 8\n" +
                     call(HelperId::saul_reg_write) + "exit") == returns(1));
    CHECK(rig.saul.devices[0].value.val[0] == 1);
    // A made-up handle is an unknown device to the registry: -ENODEV, nothing written.
    CHECK(rig.result(
              "stdw [%r10-8], 0\nmov %r1, 77\nmov %r2, %r10\nsub %r2, 8\n" + call(HelperId::saul_reg_read) +
              "mov %r6, %r0\nldxdw %r0, [%r10-8]\nadd %r0, %r6\nexit") == returns(static_cast<u64>(-19)));
    SECTION("the phydat must be writable for read, readable for write") {
        Memory rodata(8, 0x11);
        rig.regions = {rodata.region(Access::read)};
        CHECK(rig.result("mov %r1, 2\n" + lddw(2, rodata.address()) + call(HelperId::saul_reg_read) +
                         "exit") == failure(ErrorCode::helper_bad_pointer, 3));
        CHECK(rig.result("mov %r1, 2\n" + lddw(2, rodata.address(4)) + call(HelperId::saul_reg_write) +
                         "exit") == failure(ErrorCode::helper_bad_pointer, 3));
        CHECK(rodata.text() == std::string(8, '\x11'));
        CHECK(rig.saul.devices[1].value.val[0] == -123);
    }
}

TEST_CASE("HD44780 helpers, with row and column the right way round", "[seed_helpers][display]") {
    Rig rig;
    Memory text("hi there\0", 9);
    rig.regions = {text.region(Access::read)};
    CHECK(rig.result(call(HelperId::hd44780_init) + "exit") == returns(kDisplayHandle));
    CHECK(rig.display.inits == 1);
    // The seed's set_cursor(dev, row, col) reached RIOT as (col <- row, row <- col): row 1,
    // column 5 put the cursor at row 5, column 1. Here row stays row.
    CHECK(rig.result(call(HelperId::hd44780_init) + "mov %r6, %r0\nmov %r1, %r6\nmov %r2, 1\nmov %r3, 5\n" +
                     call(HelperId::hd44780_set_cursor) + "mov %r1, %r6\n" + lddw(2, text.address()) +
                     call(HelperId::hd44780_print) + "exit") == returns(0));
    CHECK(rig.display.row == 1);
    CHECK(rig.display.column == 5);
    CHECK(rig.display.text == "hi there");
    CHECK(rig.result("mov %r1, 1\n" + call(HelperId::hd44780_clear) + "exit") == returns(0));
    CHECK(rig.display.text.empty());
    // A handle init did not give: the program fails.
    CHECK(rig.result("mov %r1, 2\n" + call(HelperId::hd44780_clear) + "exit") ==
          failure(ErrorCode::helper_failed, 1));
    Memory unterminated("abc", 3);
    rig.regions = {unterminated.region(Access::read)};
    CHECK(rig.result("mov %r1, 1\n" + lddw(2, unterminated.address()) + call(HelperId::hd44780_print) +
                     "exit") == failure(ErrorCode::helper_bad_pointer, 3));
}

TEST_CASE("keypad maps ADC samples with the seed's thresholds", "[seed_helpers][keypad]") {
    Rig rig;
    // <200 right (0), <500 up (1), <700 down (2), <900 left (3), else none (4).
    const std::vector<std::pair<std::uint32_t, u64>> cases = {
        {0, 0}, {199, 0}, {200, 1}, {499, 1}, {500, 2}, {699, 2}, {700, 3}, {899, 3}, {900, 4}, {4095, 4}};
    for (const auto& [sample, key] : cases) {
        INFO(sample);
        rig.keypad.level = sample;
        CHECK(rig.result("mov %r1, 3\n" + call(HelperId::keypad_get_input) + "exit") == returns(key));
        CHECK(rig.keypad.last_line == 3);
    }
}

TEST_CASE("CoAP helpers build a response in the adapter's buffer", "[seed_helpers][coap]") {
    Rig rig;
    SimCoapPacket packet;
    CoapExchange exchange{packet};
    rig.env.coap = &exchange;
    const std::array<Region, 3> coap_regions = exchange.regions();
    rig.regions.assign(coap_regions.begin(), coap_regions.end());
    rig.args[0] = exchange.context_address();
    // The seed's gcoap_response_format.c, in assembly: format -12.3 on the stack, 2.05 Content,
    // format 0 (text), finish with a payload marker, copy the text to pdu + header length,
    // return header length + text length.
    const std::string program =
        "mov %r6, %r1\n"
        "mov %r1, %r10\nsub %r1, 16\nmov %r2, -123\nmov %r3, -1\n" +
        call(HelperId::fmt_s16_dfp) +
        "mov %r7, %r0\n"
        "mov %r1, %r6\nmov %r2, 69\n" +
        call(HelperId::gcoap_resp_init) + "mov %r1, %r6\nmov %r2, 0\n" + call(HelperId::coap_add_format) +
        "mov %r1, %r6\nmov %r2, 1\n" + call(HelperId::coap_opt_finish) +
        "mov %r8, %r0\n"
        "ldxdw %r2, [%r6+0]\nldxh %r3, [%r2+12]\njlt %r3, %r7, fail\n"
        "mov %r1, %r6\n" +
        call(HelperId::coap_get_pdu) +
        "add %r0, %r8\nmov %r1, %r0\nmov %r2, %r10\nsub %r2, 16\nmov %r3, %r7\n" + call(HelperId::memcpy) +
        "mov %r0, %r8\nadd %r0, %r7\nexit\n"
        "fail: mov %r0, -1\nexit";
    // Header 60 45 12 34 (ACK, code 2.05 = 2 << 5 | 5 = 69 = 0x45, id 0x1234), Content-Format
    // 0 as c0, payload marker ff, then "-12.3": 6 + 5 = 11 bytes.
    CHECK(rig.result(program) == returns(11));
    const std::array<std::uint8_t, 11> expected = {0x60, 0x45, 0x12, 0x34, 0xc0, 0xff,
                                                   '-',  '1',  '2',  '.',  '3'};
    CHECK(std::equal(expected.begin(), expected.end(), packet.bytes.begin()));

    SECTION("the views the program reads") {
        const u64 base = reinterpret_cast<std::uintptr_t>(packet.bytes.data());
        // bpf_coap_ctx_t: pkt, buf, buf_len in 8-byte slots.
        CHECK(rig.result("ldxdw %r0, [%r1+8]\nexit") == returns(base));
        CHECK(rig.result("ldxdw %r0, [%r1+16]\nexit") == returns(64));
        // bpf_coap_pkt_t after opt_finish: payload_p = low 32 bits of base + 6, 58 bytes left,
        // options_len 1.
        CHECK(rig.result("ldxdw %r2, [%r1+0]\nldxw %r0, [%r2+4]\nexit") == returns((base + 6) & 0xffff'ffff));
        CHECK(rig.result("ldxdw %r2, [%r1+0]\nldxh %r0, [%r2+12]\nexit") == returns(58));
        CHECK(rig.result("ldxdw %r2, [%r1+0]\nldxh %r0, [%r2+14]\nexit") == returns(1));
        // The views are read-only to the program.
        CHECK(rig.result("stdw [%r1+16], 1000\nmov %r0, 0\nexit") ==
              failure(ErrorCode::store_to_readonly, 0));
    }
    SECTION("a context that is not the one handed over is rejected") {
        // A copy of the context on the stack points at the same packet, but is not it.
        CHECK(rig.result(
                  "ldxdw %r2, [%r1+0]\nstxdw [%r10-24], %r2\nldxdw %r2, [%r1+8]\nstxdw [%r10-16], %r2\n"
                  "ldxdw %r2, [%r1+16]\nstxdw [%r10-8], %r2\nmov %r1, %r10\nsub %r1, 24\nmov %r2, 69\n" +
                  call(HelperId::gcoap_resp_init) + "exit") == failure(ErrorCode::helper_bad_pointer, 9));
        // Pointing at no memory at all is caught before the helper runs.
        CHECK(rig.result("mov %r1, 16\nmov %r2, 69\n" + call(HelperId::gcoap_resp_init) + "exit") ==
              failure(ErrorCode::helper_bad_pointer, 2));
    }
    SECTION("writing past the packet buffer is rejected") {
        CHECK(rig.result("mov %r6, %r1\n" + call(HelperId::coap_get_pdu) +
                         "add %r0, 60\nmov %r1, %r0\nmov %r2, %r10\nsub %r2, 8\nmov %r3, 8\n" +
                         call(HelperId::memcpy) + "exit") == failure(ErrorCode::helper_bad_pointer, 7));
    }
    SECTION("no request being answered: helper_failed") {
        rig.env.coap = nullptr;
        CHECK(rig.result("mov %r2, 69\n" + call(HelperId::gcoap_resp_init) + "exit") ==
              failure(ErrorCode::helper_failed, 1));
    }
}

TEST_CASE("helpers outside the program's allow-list", "[seed_helpers][policy]") {
    Rig rig;
    rig.policy = HelperPolicy::only({id(HelperId::strlen), id(HelperId::fmt_u32_dec)});
    const host::AssemblyResult code = host::assemble("mov %r1, 0\n" + call(HelperId::printf) + "exit");
    REQUIRE(code.ok());
    const auto verified = verify(Program{code.code, rig.policy}, std::span<const Helper>{kHelpers});
    CHECK(failure(verified.error().code, verified.error().pc) == failure(ErrorCode::helper_not_allowed, 1));
    // callx decides at run time: still refused, and nothing is printed.
    Memory format("x\0", 2);
    rig.regions = {format.region(Access::read)};
    CHECK(rig.result(lddw(1, format.address()) + "mov %r3, 1\ncall %r3\nexit") ==
          failure(ErrorCode::helper_not_allowed, 3));
    CHECK(rig.result(lddw(1, format.address()) + "mov %r3, 0x52\ncall %r3\nexit") == returns(1));
    CHECK(rig.output.text.empty());
}

TEST_CASE("hardware helpers without a platform fail the program", "[seed_helpers][platform]") {
    Rig rig;
    rig.env.platform = {};
    // r1 and r2 point at zeroed stack bytes: a valid empty string and room for any output.
    const std::string setup = "mov %r1, %r10\nsub %r1, 32\nmov %r2, %r1\nmov %r3, 0\n";
    for (HelperId h : {HelperId::printf,
                       HelperId::print_debug,
                       HelperId::now_ms,
                       HelperId::ztimer_now,
                       HelperId::ztimer_periodic_wakeup,
                       HelperId::saul_reg_find_nth,
                       HelperId::saul_reg_find_type,
                       HelperId::saul_reg_read,
                       HelperId::saul_reg_write,
                       HelperId::saul_read_temp,
                       HelperId::gcoap_resp_init,
                       HelperId::coap_opt_finish,
                       HelperId::coap_add_format,
                       HelperId::coap_get_pdu,
                       HelperId::gpio_read_input,
                       HelperId::gpio_read_raw,
                       HelperId::gpio_write,
                       HelperId::hd44780_init,
                       HelperId::hd44780_clear,
                       HelperId::hd44780_print,
                       HelperId::hd44780_set_cursor,
                       HelperId::keypad_get_input}) {
        INFO(find_helper(kHelpers, id(h))->name);
        CHECK(rig.result(setup + call(h) + "exit") == failure(ErrorCode::helper_failed, 4));
    }
    // The portable ones need no platform.
    CHECK(rig.result(setup + call(HelperId::strlen) + "exit") == returns(0));
    CHECK(rig.result(setup + "mov %r2, 77\n" + call(HelperId::fmt_u32_dec) + "exit") == returns(2));
    // No environment at all (Execution::user left empty): helper_failed, not a crash.
    rig.user = nullptr;
    CHECK(rig.result(setup + call(HelperId::store_global) + "exit") == failure(ErrorCode::helper_failed, 4));
}

TEST_CASE("platform functions an adapter leaves alone report not available", "[seed_helpers][platform]") {
    // A board with a millisecond timer only, and pins it can read but not reconfigure.
    struct MsOnly final : Clock {
        std::optional<std::uint32_t> now_ms() noexcept override { return 5; }
    } ms_only;
    struct RawPins final : Gpio {
        std::optional<std::uint32_t> read_raw(std::uint32_t, std::uint32_t) noexcept override { return 1; }
    } raw_pins;
    struct Nothing final : Saul, Display, Keypad, CoapPacket {
    } nothing;
    Rig rig;
    rig.env.platform.clock = &ms_only;
    rig.env.platform.gpio = &raw_pins;
    rig.env.platform.saul = &nothing;
    rig.env.platform.display = &nothing;
    rig.env.platform.keypad = &nothing;
    CoapExchange exchange{nothing};
    rig.env.coap = &exchange;
    const std::array<Region, 3> coap_regions = exchange.regions();
    rig.regions.assign(coap_regions.begin(), coap_regions.end());
    CHECK(rig.result(call(HelperId::now_ms) + "exit") == returns(5));
    CHECK(rig.result(call(HelperId::ztimer_now) + "exit") == failure(ErrorCode::helper_failed, 0));
    CHECK(rig.result("mov %r1, %r10\nsub %r1, 4\n" + call(HelperId::ztimer_periodic_wakeup) + "exit") ==
          failure(ErrorCode::helper_failed, 2));
    CHECK(rig.result(call(HelperId::gpio_read_raw) + "exit") == returns(1));
    CHECK(rig.result(call(HelperId::gpio_read_input) + "exit") == failure(ErrorCode::helper_failed, 0));
    CHECK(rig.result(call(HelperId::gpio_write) + "exit") == failure(ErrorCode::helper_failed, 0));
    CHECK(rig.result(call(HelperId::saul_reg_find_nth) + "exit") == failure(ErrorCode::helper_failed, 0));
    CHECK(rig.result(call(HelperId::hd44780_init) + "exit") == failure(ErrorCode::helper_failed, 0));
    CHECK(rig.result(call(HelperId::keypad_get_input) + "exit") == failure(ErrorCode::helper_failed, 0));
    CHECK(rig.result(lddw(1, exchange.context_address()) + call(HelperId::gcoap_resp_init) + "exit") ==
          failure(ErrorCode::helper_failed, 2));
}
