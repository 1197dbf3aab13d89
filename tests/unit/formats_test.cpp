// SPDX-License-Identifier: MIT
// The seed's header layouts (formats/seed_headers.hpp) and format detection (loader.hpp):
// images built byte by byte here, following seed-reference.md §2, not by the packer.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

#include <ubpf/loader.hpp>
#include <ubpf/vm.hpp>

namespace Catch {
template <>
struct StringMaker<ubpf::Error> {
    static std::string convert(const ubpf::Error& e) {
        return std::string{ubpf::name(e.code)} + " at " + std::to_string(e.pc);
    }
};
}  // namespace Catch

namespace {

using namespace ubpf;

/// An image under construction, kept 8-aligned like a slot buffer.
struct Bytes {
    std::vector<std::uint64_t> storage;
    std::size_t size = 0;

    std::uint8_t* data() { return reinterpret_cast<std::uint8_t*>(storage.data()); }
    std::span<std::uint8_t> span() { return {data(), size}; }
    void put(const void* p, std::size_t n) {
        if (n == 0) return;
        storage.resize((size + n + 7) / 8);
        std::memcpy(data() + size, p, n);
        size += n;
    }
    void u32(std::uint32_t v) { put(&v, 4); }
    void u16(std::uint16_t v) { put(&v, 2); }
    void insn(Insn i) { put(&i, sizeof i); }
    void bytes(std::initializer_list<std::uint8_t> b) {
        for (std::uint8_t x : b) put(&x, 1);
    }
    std::vector<std::uint8_t> copy() const {
        const auto* p = reinterpret_cast<const std::uint8_t*>(storage.data());
        return {p, p + size};
    }
};

constexpr std::uint8_t kLddw = 0x18, kMov64Imm = 0xb7, kExit = 0x95, kCall = 0x85, kLdxw = 0x61, kStxw = 0x63,
                       kAdd64Imm = 0x07;

struct Sections {
    std::vector<std::uint8_t> data, rodata;
    std::vector<Insn> text;
    std::vector<std::array<std::uint16_t, 3>> functions;  // name offset, flags, text offset
    std::vector<std::array<std::uint32_t, 2>> calls;      // extended: instruction, target (bytes)
    std::vector<std::uint8_t> helpers;                    // extended
    std::uint32_t magic = 123;
};

Bytes build(const Sections& s, bool extended) {
    Bytes b;
    b.u32(s.magic);
    b.u32(0);
    b.u32(0);
    b.u32(static_cast<std::uint32_t>(s.data.size()));
    b.u32(static_cast<std::uint32_t>(s.rodata.size()));
    b.u32(static_cast<std::uint32_t>(s.text.size() * 8));
    b.u32(static_cast<std::uint32_t>(s.functions.size()));
    if (extended) b.u32(static_cast<std::uint32_t>(s.calls.size()));
    b.put(s.data.data(), s.data.size());
    b.put(s.rodata.data(), s.rodata.size());
    for (const Insn& i : s.text) b.insn(i);
    for (const auto& f : s.functions)
        for (std::uint16_t v : f) b.u16(v);
    if (extended) {
        for (const auto& c : s.calls) {
            b.u32(c[0]);
            b.u32(c[1]);
        }
        b.put(s.helpers.data(), s.helpers.size());
    }
    return b;
}

/// Loads, verifies (every registered test helper allowed unless the image says otherwise) and
/// runs with no caller regions; the error of whichever stage failed.
Result<Outcome> run_image(std::span<std::uint8_t> bytes, Format format) {
    const Result<Image> image = load_image(bytes, format);
    if (!image) return image.error();
    static constexpr auto noop = [](std::uint64_t a, std::uint64_t, std::uint64_t, std::uint64_t,
                                    std::uint64_t, HelperContext&) -> std::uint64_t { return a + 1; };
    static constexpr Helper kHelpers[] = {{1, noop, "inc"}, {2, noop, "inc2"}};
    const auto verified = verify(image->program(HelperPolicy::all()), kHelpers);
    if (!verified) return verified.error();
    std::vector<std::uint8_t> stack(Config{}.stack_size());
    Execution exec;
    exec.stack = stack;
    return Interpreter<>::run(*verified, exec);
}

/// r0 = *(u32 *)(.data + 4) + *(u32 *)(.rodata + 8), through lddwd and lddwr.
Sections data_and_rodata() {
    Sections s;
    s.data = {0, 0, 0, 0, 40, 0, 0, 0};                           // .data: 40 at offset 4
    s.rodata = {0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};  // .rodata: 2 at offset 8
    s.text = {Insn::make(formats::kLddwData, 1, 0, 0, 4),
              Insn::make(0, 0, 0, 0, 0),
              Insn::make(formats::kLddwRodata, 2, 0, 0, 8),
              Insn::make(0, 0, 0, 0, 0),
              Insn::make(kLdxw, 0, 1, 0, 0),
              Insn::make(kLdxw, 3, 2, 0, 0),
              Insn::make(0x0f, 0, 3, 0, 0),  // add r0, r3
              Insn::make(kExit, 0, 0, 0, 0)};
    return s;
}

}  // namespace

TEST_CASE("lddwd loads from .data and lddwr from .rodata (seed bug: the mapping was swapped)", "[formats]") {
    // seed-reference §10.2: the seed's tools gave .rodata strings LDDWD and .data objects
    // LDDWR. Here the opcode decides the section: 0xb8 = .data, 0xd8 = .rodata, as in RIOT's
    // Femto-Containers; distinct values in each section make a swap visible.
    for (bool extended : {false, true}) {
        Bytes b = build(data_and_rodata(), extended);
        const auto r = run_image(b.span(), extended ? Format::extended : Format::femto_containers);
        REQUIRE(r.ok());
        CHECK(r->r0 == 42);
    }
}

TEST_CASE("data is writable and rodata is not", "[formats]") {
    Sections s = data_and_rodata();
    s.text = {Insn::make(formats::kLddwData, 1, 0, 0, 0),
              Insn::make(0, 0, 0, 0, 0),
              Insn::make(kMov64Imm, 2, 0, 0, 7),
              Insn::make(kStxw, 1, 2, 0, 0),
              Insn::make(kLdxw, 0, 1, 0, 0),
              Insn::make(kExit, 0, 0, 0, 0)};
    Bytes b = build(s, false);
    const auto r = run_image(b.span(), Format::femto_containers);
    REQUIRE(r.ok());
    CHECK(r->r0 == 7);
    CHECK(b.data()[28] == 7);  // the store landed in the image's .data

    s.text[0] = Insn::make(formats::kLddwRodata, 1, 0, 0, 0);
    Bytes ro = build(s, false);
    CHECK(run_image(ro.span(), Format::femto_containers).error() == Error{ErrorCode::store_to_readonly, 3});
}

TEST_CASE("relocated calls are byte offsets into .text (seed bug: bytes and indexes mixed)", "[formats]") {
    // seed-reference §2.3/§10.1: the seed compared instruction_offset/8 with a byte pointer.
    // main: call f (relocated; clang leaves `call -1` with src=1), r0 += 1, exit;
    // f at byte 24: r0 = 41, exit. The entry must land at byte 24, i.e. instruction 3.
    Sections s;
    s.text = {Insn::make(kCall, 0, 1, 0, -1), Insn::make(kAdd64Imm, 0, 0, 0, 1),
              Insn::make(kExit, 0, 0, 0, 0), Insn::make(kMov64Imm, 0, 0, 0, 41),
              Insn::make(kExit, 0, 0, 0, 0)};
    s.calls = {{0, 24}};
    Bytes b = build(s, true);
    const auto r = run_image(b.span(), Format::extended);
    REQUIRE(r.ok());
    CHECK(r->r0 == 42);

    // The same with the call written as a helper call (src=0), as the seed's tools also did.
    s.text[0] = Insn::make(kCall, 0, 0, 0, 1);
    Bytes helper_form = build(s, true);
    const auto r2 = run_image(helper_form.span(), Format::extended);
    REQUIRE(r2.ok());
    CHECK(r2->r0 == 42);
}

TEST_CASE("the extended header's helper list limits the program", "[formats]") {
    Sections s;
    s.text = {Insn::make(kCall, 0, 0, 0, 2), Insn::make(kExit, 0, 0, 0, 0)};
    s.helpers = {1};
    Bytes only_1 = build(s, true);
    CHECK(run_image(only_1.span(), Format::extended).error() == Error{ErrorCode::helper_not_allowed, 0});
    s.helpers = {1, 2};
    Bytes both = build(s, true);
    CHECK(run_image(both.span(), Format::extended).ok());
    // An empty list allows nothing (the seed's printf_no_required_helpers_panics).
    s.helpers = {};
    Bytes none = build(s, true);
    CHECK(run_image(none.span(), Format::extended).error() == Error{ErrorCode::helper_not_allowed, 0});
    // The request narrows further; it cannot widen the image's list.
    s.helpers = {2};
    Bytes two = build(s, true);
    auto image = load_image(two.span(), Format::extended);
    REQUIRE(image.ok());
    CHECK(image->program(HelperPolicy::only({1})).helpers.allows(2) == false);
    CHECK(image->program(HelperPolicy::all()).helpers.allows(2));
    CHECK(image->program(HelperPolicy::all()).helpers.allows(1) == false);
}

TEST_CASE("main named in the function table is the entry point", "[formats]") {
    // f at 0 (r0 = 5, exit), main at byte 16: call f, r0 *= 3... kept simple: main returns 9.
    Sections s;
    s.rodata = {'f', 'm', 'a', 'i', 'n', 0, 0, 0};  // seed style: names without terminators
    s.text = {Insn::make(kMov64Imm, 0, 0, 0, 5), Insn::make(kExit, 0, 0, 0, 0),
              Insn::make(kMov64Imm, 0, 0, 0, 9), Insn::make(kExit, 0, 0, 0, 0)};
    s.functions = {{0, 0, 0}, {1, 0, 16}};
    Bytes b = build(s, false);
    const auto r = run_image(b.span(), Format::femto_containers);
    REQUIRE(r.ok());
    CHECK(r->r0 == 9);
    // "mainx" is not main.
    s.rodata = {'m', 'a', 'i', 'n', 'x', 0, 0, 0};
    s.functions = {{0, 0, 16}};
    Bytes not_main = build(s, false);
    CHECK(run_image(not_main.span(), Format::femto_containers)->r0 == 5);
}

TEST_CASE("malformed header images are rejected with a specific error and left unchanged", "[formats]") {
    const Sections good = data_and_rodata();
    struct Case {
        const char* what;
        Bytes bytes;
        Format format;
        Error expected;
    };
    std::vector<Case> cases;
    const auto add = [&](const char* what, Bytes b, Format f, Error e) { cases.push_back({what, b, f, e}); };

    Bytes short_header;
    short_header.bytes({123, 0, 0, 0, 0, 0});
    add("header cut short", short_header, Format::femto_containers, {ErrorCode::image_truncated, 6});
    Sections bad_magic = good;
    bad_magic.magic = 0x12345678;
    add("unknown magic", build(bad_magic, false), Format::femto_containers, {ErrorCode::image_bad_magic, 0});
    Bytes flags = build(good, false);
    flags.data()[8] = 1;  // Femto-Containers' compressed text
    add("compressed text", flags, Format::femto_containers, {ErrorCode::image_unsupported_flags, 8});
    Bytes odd_text = build(good, false);
    odd_text.data()[20] = 63;  // text_len not a multiple of 8
    add("text length", odd_text, Format::femto_containers, {ErrorCode::image_section_misaligned, 20});
    Bytes past_end = build(good, false);
    past_end.data()[12] = 0xf0;  // data_len runs past the end
    add("data past the end", past_end, Format::femto_containers,
        {ErrorCode::image_truncated, static_cast<std::uint32_t>(past_end.size)});
    Bytes huge = build(good, false);
    std::memset(huge.data() + 12, 0xff, 8);  // lengths whose sum wraps 32 bits
    const std::uint32_t huge_text = 0xfffffff8;
    std::memcpy(huge.data() + 20, &huge_text, 4);
    add("wrapping lengths", huge, Format::femto_containers,
        {ErrorCode::image_truncated, static_cast<std::uint32_t>(huge.size)});
    Bytes trailing = build(good, false);
    trailing.bytes({0, 0});
    add("bytes after the symbol table", trailing, Format::femto_containers,
        {ErrorCode::image_size_mismatch, 28 + 8 + 16 + 64});
    Sections empty = good;
    empty.text.clear();
    add("no text", build(empty, false), Format::femto_containers, {ErrorCode::program_empty, 52});
    Sections far = good;
    far.text[2].imm = 17;  // lddwr past the 16 bytes of .rodata
    add("section load past its section", build(far, false), Format::femto_containers,
        {ErrorCode::image_bad_section_load, 52 + 16});
    Sections cut = good;
    cut.text = {Insn::make(formats::kLddwData, 1, 0, 0, 0)};
    add("section load without its second slot", build(cut, false), Format::femto_containers,
        {ErrorCode::image_bad_section_load, 52});
    Sections call_target = good;
    call_target.calls = {{0, 4}};  // target not on an instruction boundary
    add("relocated call into the middle of an instruction", build(call_target, true), Format::extended,
        {ErrorCode::image_bad_call_relocation, 32 + 24 + 64});
    Sections not_a_call = good;
    not_a_call.calls = {{32, 0}};  // instruction 4 is ldxw
    add("relocated call on a non-call", build(not_a_call, true), Format::extended,
        {ErrorCode::image_bad_call_relocation, 32 + 24 + 64});
    Sections bad_main = good;
    bad_main.rodata = {'m', 'a', 'i', 'n', 0, 0, 0, 0};
    bad_main.functions = {{0, 0, 4}};
    add("main inside an instruction", build(bad_main, false), Format::femto_containers,
        {ErrorCode::image_bad_entry_symbol, 28 + 8 + 8 + 64});

    for (Case& c : cases) {
        INFO(c.what);
        const std::vector<std::uint8_t> before = c.bytes.copy();
        const Result<Image> image = load_image(c.bytes.span(), c.format);
        CHECK(image.error() == c.expected);
        CHECK(c.bytes.copy() == before);
    }
}

TEST_CASE("loading twice resolves once", "[formats]") {
    Bytes b = build(data_and_rodata(), true);
    REQUIRE(load_image(b.span(), Format::extended).ok());
    const std::vector<std::uint8_t> after_first = b.copy();
    const auto r = run_image(b.span(), Format::extended);
    REQUIRE(r.ok());
    CHECK(r->r0 == 42);
    CHECK(b.copy() == after_first);
}

TEST_CASE("bare text is the whole buffer", "[formats]") {
    Bytes b;
    b.insn(Insn::make(kMov64Imm, 0, 0, 0, 3));
    b.insn(Insn::make(kExit, 0, 0, 0, 0));
    const auto r = run_image(b.span(), Format::text);
    REQUIRE(r.ok());
    CHECK(r->r0 == 3);
    Bytes odd;
    odd.bytes({0xb7, 0, 0});
    CHECK(load_image(odd.span(), Format::text).error().code == ErrorCode::program_size_not_multiple);
}

TEST_CASE("formats are recognised from their bytes", "[formats]") {
    Bytes fc = build(data_and_rodata(), false);
    Bytes ext = build(data_and_rodata(), true);
    Sections rbpf = data_and_rodata();
    rbpf.magic = formats::kRbpfMagic;
    Bytes riot = build(rbpf, false);
    Bytes text;
    text.insn(Insn::make(kExit, 0, 0, 0, 0));
    Bytes elf;
    elf.bytes({0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
    Bytes junk;
    junk.bytes({1, 2, 3});
    CHECK(*detect_format(fc.span()) == Format::femto_containers);
    CHECK(*detect_format(riot.span()) == Format::femto_containers);
    CHECK(*detect_format(ext.span()) == Format::extended);
    CHECK(*detect_format(text.span()) == Format::text);
    CHECK(*detect_format(elf.span()) == Format::elf);
    CHECK(detect_format(junk.span()).error().code == ErrorCode::image_unknown_format);
}
