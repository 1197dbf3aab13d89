// SPDX-License-Identifier: MIT
// The ELF loader (formats/elf.hpp) on objects that clang compiles at build time from
// tests/elf/*.c, with every clang the build found. Loaded programs run through the verifier and
// the interpreter; expected results are worked out by hand in the comments (the C sources say
// what they compute). Malformed objects are made by mutating valid ones; the fields to mutate
// are located by the small ELF walker below, written independently of the loader.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <ubpf/formats/elf.hpp>
#include <ubpf/host/test_helpers.hpp>
#include <ubpf/interpreter.hpp>
#include <ubpf/verifier.hpp>

using namespace ubpf;

namespace {

// --- Objects ---------------------------------------------------------------------------------

std::vector<std::string> compilers() {
    std::vector<std::string> out;
    std::stringstream list{UBPF_ELF_COMPILERS};
    for (std::string c; std::getline(list, c, ',');)
        if (!c.empty()) out.push_back(c);
    return out;
}

/// An object file in an 8-byte aligned buffer, as a device would hold it in a slot.
class Object {
public:
    Object() = default;
    explicit Object(const std::vector<std::uint8_t>& bytes)
        : size_(bytes.size()), words_((bytes.size() + 7) / 8) {
        std::memcpy(words_.data(), bytes.data(), bytes.size());
    }
    std::uint8_t* data() { return reinterpret_cast<std::uint8_t*>(words_.data()); }
    std::span<std::uint8_t> span() { return {data(), size_}; }
    std::vector<std::uint8_t> bytes() { return {data(), data() + size_}; }
    std::size_t size() const { return size_; }
    std::uintptr_t address() { return reinterpret_cast<std::uintptr_t>(data()); }

    // Little-endian field access at a file offset.
    template <class T>
    T get(std::size_t offset) {
        REQUIRE(offset + sizeof(T) <= size_);
        T v;
        std::memcpy(&v, data() + offset, sizeof v);
        return v;
    }
    template <class T>
    void set(std::size_t offset, T v) {
        REQUIRE(offset + sizeof(T) <= size_);
        std::memcpy(data() + offset, &v, sizeof v);
    }

private:
    std::size_t size_ = 0;
    std::vector<std::uint64_t> words_;
};

Object read_object(const std::string& compiler, const std::string& name) {
    const std::string path = std::string{UBPF_ELF_OBJECT_DIR} + "/" + compiler + "/" + name + ".o";
    std::ifstream in{path, std::ios::binary};
    INFO(path);
    REQUIRE(in.good());
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>{in}, {}};
    REQUIRE(bytes.size() > 64);
    return Object{bytes};
}

// --- An independent ELF64 walker, for locating fields (gABI offsets) -------------------------

std::size_t shoff(Object& o) {
    return static_cast<std::size_t>(o.get<std::uint64_t>(0x28));
}
std::size_t shnum(Object& o) {
    return o.get<std::uint16_t>(0x3c);
}
std::size_t header(Object& o, std::size_t index) {
    return shoff(o) + 64 * index;
}
std::uint32_t type_of(Object& o, std::size_t i) {
    return o.get<std::uint32_t>(header(o, i) + 4);
}
std::uint64_t flags_of(Object& o, std::size_t i) {
    return o.get<std::uint64_t>(header(o, i) + 8);
}
std::size_t offset_of(Object& o, std::size_t i) {
    return static_cast<std::size_t>(o.get<std::uint64_t>(header(o, i) + 24));
}
std::size_t size_of(Object& o, std::size_t i) {
    return static_cast<std::size_t>(o.get<std::uint64_t>(header(o, i) + 32));
}
std::uint32_t link_of(Object& o, std::size_t i) {
    return o.get<std::uint32_t>(header(o, i) + 40);
}
std::uint32_t info_of(Object& o, std::size_t i) {
    return o.get<std::uint32_t>(header(o, i) + 44);
}

std::string name_at(Object& o, std::size_t table, std::size_t offset) {
    return std::string{reinterpret_cast<const char*>(o.data() + offset_of(o, table) + offset)};
}
std::string section_name(Object& o, std::size_t i) {
    return name_at(o, o.get<std::uint16_t>(0x3e), o.get<std::uint32_t>(header(o, i)));
}
/// Index of the section named `name`; 0 when absent.
std::size_t section(Object& o, std::string_view name) {
    for (std::size_t i = 1; i < shnum(o); ++i)
        if (section_name(o, i) == name) return i;
    return 0;
}
std::size_t symtab(Object& o) {
    for (std::size_t i = 1; i < shnum(o); ++i)
        if (type_of(o, i) == 2) return i;
    FAIL("no symbol table");
    return 0;
}
std::size_t symbol_entry(Object& o, std::size_t index) {
    return offset_of(o, symtab(o)) + 24 * index;
}
/// Index of the symbol named `name`.
std::size_t symbol(Object& o, std::string_view name) {
    const std::size_t table = symtab(o);
    for (std::size_t i = 1; i < size_of(o, table) / 24; ++i)
        if (name_at(o, link_of(o, table), o.get<std::uint32_t>(symbol_entry(o, i))) == name) return i;
    FAIL("no symbol " << name);
    return 0;
}
std::uint64_t symbol_value(Object& o, std::size_t index) {
    return o.get<std::uint64_t>(symbol_entry(o, index) + 8);
}
std::uint16_t symbol_section(Object& o, std::size_t index) {
    return o.get<std::uint16_t>(symbol_entry(o, index) + 6);
}
/// File offset of entry k of the REL section named `rel`.
std::size_t rel_entry(Object& o, std::string_view rel, std::size_t k) {
    const std::size_t i = section(o, rel);
    REQUIRE(i != 0);
    REQUIRE(16 * (k + 1) <= size_of(o, i));
    return offset_of(o, i) + 16 * k;
}
std::uint64_t rel_offset(Object& o, std::size_t entry) {
    return o.get<std::uint64_t>(entry);
}
std::uint32_t rel_symbol(Object& o, std::size_t entry) {
    return o.get<std::uint32_t>(entry + 12);
}
void set_rel(Object& o, std::size_t entry, std::uint32_t symbol, std::uint32_t type) {
    o.set<std::uint64_t>(entry + 8, std::uint64_t{symbol} << 32 | type);
}
/// File offset of the first relocation entry of `rel` whose target instruction has `opcode`.
std::size_t rel_entry_on(Object& o, std::string_view rel, std::uint8_t opcode) {
    const std::size_t i = section(o, rel);
    const std::size_t target = info_of(o, i);
    for (std::size_t k = 0; k < size_of(o, i) / 16; ++k) {
        const std::size_t e = offset_of(o, i) + 16 * k;
        if (o.get<std::uint8_t>(offset_of(o, target) + static_cast<std::size_t>(rel_offset(o, e))) == opcode)
            return e;
    }
    FAIL("no relocation on opcode " << int{opcode});
    return 0;
}

/// Swaps section headers a and b and renumbers every reference to them.
void swap_sections(Object& o, std::size_t a, std::size_t b) {
    const auto renumber = [&](std::size_t i) { return i == a ? b : i == b ? a : i; };
    std::vector<std::uint8_t> tmp(64);
    std::memcpy(tmp.data(), o.data() + header(o, a), 64);
    std::memmove(o.data() + header(o, a), o.data() + header(o, b), 64);
    std::memcpy(o.data() + header(o, b), tmp.data(), 64);
    for (std::size_t i = 1; i < shnum(o); ++i) {
        const std::uint32_t t = type_of(o, i);
        if (t == 9 || t == 2)
            o.set<std::uint32_t>(header(o, i) + 40, static_cast<std::uint32_t>(renumber(link_of(o, i))));
        if (t == 9)
            o.set<std::uint32_t>(header(o, i) + 44, static_cast<std::uint32_t>(renumber(info_of(o, i))));
    }
    const std::size_t table = symtab(o);
    for (std::size_t s = 1; s < size_of(o, table) / 24; ++s) {
        const std::uint16_t shndx = symbol_section(o, s);
        if (shndx != 0 && shndx < 0xff00)
            o.set<std::uint16_t>(symbol_entry(o, s) + 6, static_cast<std::uint16_t>(renumber(shndx)));
    }
    o.set<std::uint16_t>(0x3e, static_cast<std::uint16_t>(renumber(o.get<std::uint16_t>(0x3e))));
}

// --- Running ---------------------------------------------------------------------------------

std::string describe(const Error& e) {
    return std::string{name(e.code)} + " at " + std::to_string(e.pc);
}

/// Verifies and runs a loaded image with the test helpers; "r0 = N" or "<error> at <pc>".
std::string run(const Image& image, std::uint64_t r1 = 0) {
    const auto verified = verify(image.program(HelperPolicy::all()), host::test_helpers::kAll);
    if (!verified) return "verify: " + describe(verified.error());
    std::vector<std::uint8_t> stack(Config{}.stack_size());
    Execution exec;
    exec.stack = stack;
    exec.args = {r1};
    exec.budget = 100'000;
    const auto outcome = Interpreter<>::run(*verified, exec);
    return outcome ? "r0 = " + std::to_string(outcome->r0) : describe(outcome.error());
}
std::string r0(std::uint64_t v) {
    return "r0 = " + std::to_string(v);
}

Image load_ok(Object& o) {
    const Result<Image> image = load_elf(o.span());
    INFO(describe(image.error()));
    REQUIRE(image.ok());
    return *image;
}

/// The region that starts at file offset `offset` of `o`, or nullptr.
const Region* region_at(const Image& image, Object& o, std::size_t offset) {
    for (const Region& r : image.memory())
        if (r.start == o.address() + offset) return &r;
    return nullptr;
}

/// Loads a mutated object, expects `code` at `pc` and the buffer unchanged.
void expect_rejected(Object& o, ErrorCode code, std::uint32_t pc) {
    const std::vector<std::uint8_t> before = o.bytes();
    const Result<Image> image = load_elf(o.span());
    REQUIRE_FALSE(image.ok());
    CHECK(describe(image.error()) == describe(Error{code, pc}));
    CHECK(o.bytes() == before);
}

#define FOR_EACH_COMPILER(compiler)                                              \
    const auto all_compilers = compilers();                                      \
    if (all_compilers.empty()) {                                                 \
        WARN("no clang found at configure time: ELF objects were not compiled"); \
        return;                                                                  \
    }                                                                            \
    const std::string compiler = GENERATE_COPY(from_range(all_compilers));       \
    INFO("compiled by " << compiler)

}  // namespace

TEST_CASE("elf: lddw into .data reads and writes the global, with the full 64-bit address", "[elf]") {
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "data");
    const std::size_t data = section(o, ".data");
    const std::size_t lddw_at = offset_of(o, section(o, ".text")) +
                                static_cast<std::size_t>(rel_offset(o, rel_entry(o, ".rel.text", 0)));
    const Image image = load_ok(o);
    CHECK(image.format == Format::elf);
    CHECK(reinterpret_cast<std::uintptr_t>(image.code.data()) ==
          o.address() + offset_of(o, section(o, ".text")));
    REQUIRE(image.region_count == 1);
    const Region* r = region_at(image, o, offset_of(o, data));
    REQUIRE(r != nullptr);
    CHECK(r->size == size_of(o, data));
    CHECK(r->access == Access::read_write);
    // Seed bug (§2.4): the value was truncated to 32 bits. Both halves of the lddw immediate
    // hold the address of `counter` (offset 0 of .data).
    const std::uint64_t address = o.address() + offset_of(o, data) + symbol_value(o, symbol(o, "counter"));
    CHECK(o.get<std::uint32_t>(lddw_at + 4) == static_cast<std::uint32_t>(address));
    CHECK(o.get<std::uint32_t>(lddw_at + 12) == static_cast<std::uint32_t>(address >> 32));
    // counter starts at 40: entry(2) = 42, then 44; the global lives in the image.
    CHECK(run(image, 2) == r0(42));
    CHECK(run(image, 2) == r0(44));
    CHECK(o.get<std::int32_t>(offset_of(o, data)) == 44);
}

TEST_CASE("elf: several rodata sections, merged strings, constants and a helper on a string", "[elf]") {
    // Seed bugs (§10.2, §2.4): relocations against section symbols (.rodata.str1.1,
    // .rodata.cst*) were not patched, and sections were found by name substring, so only the
    // first rodata section was mapped. Here every one is its own read-only region.
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "rodata");
    const Image image = load_ok(o);
    std::size_t rodata_sections = 0;
    for (std::size_t i = 1; i < shnum(o); ++i) {
        if ((flags_of(o, i) & 2) == 0 || (flags_of(o, i) & 4) != 0 || size_of(o, i) == 0) continue;
        ++rodata_sections;
        INFO(section_name(o, i));
        CHECK(section_name(o, i).rfind(".rodata", 0) == 0);
        const Region* r = region_at(image, o, offset_of(o, i));
        REQUIRE(r != nullptr);
        CHECK(r->access == Access::read);
        CHECK(r->size == size_of(o, i));
    }
    CHECK(section(o, ".rodata.str1.1") != 0);
    CHECK(section(o, ".rodata.weights") != 0);
    CHECK(rodata_sections >= 3);
    CHECK(image.region_count == rodata_sections);
    // entry(i) = primes[i] * weights[i & 3] + "abc"[i & 1] + "hello, world"[i & 3] + 1e6 * 12
    CHECK(run(image, 0) == r0(2 * 1000 + 'a' + 'h' + 12'000'000));  // 12002201
    CHECK(run(image, 3) == r0(7 * 1 + 'b' + 'l' + 12'000'000));     // 12000213
    CHECK(run(image, 5) == r0(13 * 100 + 'b' + 'e' + 12'000'000));  // 12001499
}

TEST_CASE("elf: a pointer stored in .data (the seed's data_relocations, 123)", "[elf]") {
    // Seed bug (§2.4): the data relocation wrote 8 bytes from a 4-byte value. The stored word
    // must be the full address of `c`.
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "data_relocations");
    const std::size_t c = symbol(o, "c");
    const std::size_t ptr = symbol(o, "ptr");
    const std::uint64_t address_of_c = o.address() + offset_of(o, symbol_section(o, c)) + symbol_value(o, c);
    const std::size_t ptr_at =
        offset_of(o, symbol_section(o, ptr)) + static_cast<std::size_t>(symbol_value(o, ptr));
    const Image image = load_ok(o);
    CHECK(o.get<std::uint64_t>(ptr_at) == address_of_c);
    CHECK(run(image) == r0(123));
}

TEST_CASE("elf: pointers in .data with addends against the .rodata section symbol", "[elf]") {
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "pointers");
    // The data words hold the addends 4 (&table[1]) and 12 (&table[3]) before loading.
    const std::size_t data = offset_of(o, section(o, ".data"));
    CHECK(o.get<std::uint64_t>(data) == 4);
    CHECK(o.get<std::uint64_t>(data + 8) == 12);
    const std::size_t rel = rel_entry(o, ".rel.data", 0);
    CHECK(symbol_section(o, rel_symbol(o, rel)) == section(o, ".rodata"));
    const Image image = load_ok(o);
    const std::uint64_t rodata = o.address() + offset_of(o, section(o, ".rodata"));
    CHECK(o.get<std::uint64_t>(data) == rodata + 4);
    CHECK(o.get<std::uint64_t>(data + 8) == rodata + 12);
    CHECK(run(image) == r0(20 * 1000 + 40));
}

TEST_CASE("elf: local calls to static and global functions", "[elf]") {
    // Seed bugs (§10.1, §2.4): the call target mixed byte and instruction units, and the
    // relocation overwrote the call's imm. The relocated call must be a standard pc-relative
    // call (src = 1) whose imm counts instructions from the slot after the call.
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "calls");
    const std::size_t entry = rel_entry_on(o, ".rel.text", 0x85);
    const std::size_t call_slot = static_cast<std::size_t>(rel_offset(o, entry)) / 8;
    const std::size_t target_slot = static_cast<std::size_t>(symbol_value(o, symbol(o, "add_ten"))) / 8;
    const std::size_t call_at = offset_of(o, section(o, ".text")) + call_slot * 8;
    CHECK(o.get<std::int32_t>(call_at + 4) == -1);  // clang's `call -1`: the addend of a function symbol
    const Image image = load_ok(o);
    CHECK(o.get<std::uint8_t>(call_at + 1) == 0x10);  // src = 1, dst = 0
    CHECK(o.get<std::int32_t>(call_at + 4) ==
          static_cast<std::int32_t>(target_slot) - static_cast<std::int32_t>(call_slot + 1));
    // entry(x) = 2x + 3 (x + 10)
    CHECK(run(image, 5) == r0(10 + 45));
    CHECK(run(image, 100) == r0(200 + 330));
}

TEST_CASE("elf: a call relocation against the .text section symbol uses the addend in imm", "[elf]") {
    // What clang emits for a static function called from another section: R_BPF_64_32 against
    // the STT_SECTION symbol of .text, with imm = target slot - 1. Made here from calls.o by
    // turning the (unused) file symbol into the .text section symbol. Seed bugs: section
    // symbols were ignored (§10.2) and the call imm overwritten instead of used (§2.4).
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "calls");
    const std::size_t entry = rel_entry_on(o, ".rel.text", 0x85);
    const std::size_t call_slot = static_cast<std::size_t>(rel_offset(o, entry)) / 8;
    const std::size_t target_slot = static_cast<std::size_t>(symbol_value(o, symbol(o, "add_ten"))) / 8;
    const std::size_t file_symbol = symbol_entry(o, 1);
    REQUIRE((o.get<std::uint8_t>(file_symbol + 4) & 0xf) == 4);  // STT_FILE, referenced by nothing
    o.set<std::uint8_t>(file_symbol + 4, 3);                     // STT_SECTION, STB_LOCAL
    o.set<std::uint16_t>(file_symbol + 6, static_cast<std::uint16_t>(section(o, ".text")));
    o.set<std::uint64_t>(file_symbol + 8, 0);
    set_rel(o, entry, 1, 10);
    const std::size_t call_at = offset_of(o, section(o, ".text")) + call_slot * 8;
    o.set<std::int32_t>(call_at + 4, static_cast<std::int32_t>(target_slot) - 1);
    const Image image = load_ok(o);
    CHECK(o.get<std::int32_t>(call_at + 4) ==
          static_cast<std::int32_t>(target_slot) - static_cast<std::int32_t>(call_slot + 1));
    CHECK(run(image, 5) == r0(55));
}

TEST_CASE("elf: REL sections are matched by sh_info, not by their position", "[elf]") {
    // Seed bug (§2.4): the target of a REL section was taken to be the section header right
    // before it. Swapping .rel.text with the header after it breaks that guess.
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "data_relocations");
    const std::size_t rel = section(o, ".rel.text");
    REQUIRE(rel + 1 < shnum(o));
    swap_sections(o, rel, rel + 1);
    REQUIRE(section(o, ".rel.text") == rel + 1);
    REQUIRE(section_name(o, rel) != ".text");
    const Image image = load_ok(o);
    CHECK(run(image) == r0(123));
}

TEST_CASE("elf: .rodata is read-only and .data read-write", "[elf]") {
    // Seed bug (§10.2): the tools mapped .data and .rodata symbols to the wrong base.
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "rodata_write");
    const Image image = load_ok(o);
    CHECK(region_at(image, o, offset_of(o, section(o, ".rodata")))->access == Access::read);
    CHECK(region_at(image, o, offset_of(o, section(o, ".data")))->access == Access::read_write);
    CHECK(run(image, 0) == r0(8));  // variable = 7 + 1
    const std::string store = run(image, 1);
    CHECK(store.rfind("store_to_readonly", 0) == 0);
    CHECK(o.get<std::int32_t>(offset_of(o, section(o, ".rodata"))) == 5);
}

TEST_CASE("elf: unstripped objects (DWARF, BTF) and stripped ones load alike", "[elf]") {
    // The seed's verifier took section header 1 as .text, true only after strip. Relocations of
    // debug and BTF sections are not for the program and stay untouched.
    if (!UBPF_ELF_HAVE_STRIP) {
        WARN("llvm-strip not found: no stripped variants");
        return;
    }
    FOR_EACH_COMPILER(compiler);
    for (const auto& [name, x, expected] : {std::tuple{"calls", 5, 55}, std::tuple{"pointers", 0, 20040}}) {
        for (const char* variant : {"-g", "-stripped"}) {
            Object o = read_object(compiler, std::string{name} + variant);
            INFO(name << variant);
            std::size_t debug_rel = 0;
            for (std::size_t i = 1; i < shnum(o); ++i)
                if (type_of(o, i) == 9 && (flags_of(o, info_of(o, i)) & 2) == 0) debug_rel = i;
            const std::vector<std::uint8_t> before = o.bytes();
            const Image image = load_ok(o);
            CHECK(run(image, static_cast<std::uint64_t>(x)) == r0(static_cast<std::uint64_t>(expected)));
            if (std::string_view{variant} == "-g") {
                CHECK(section(o, ".BTF") != 0);
                REQUIRE(debug_rel != 0);
                const std::size_t target = info_of(o, debug_rel);
                CHECK(type_of(o, debug_rel) == 9);  // not applied, so not marked
                CHECK(std::equal(
                    before.begin() + static_cast<std::ptrdiff_t>(offset_of(o, target)),
                    before.begin() + static_cast<std::ptrdiff_t>(offset_of(o, target) + size_of(o, target)),
                    o.data() + offset_of(o, target)));
            } else {
                CHECK(section(o, ".BTF") == 0);
                CHECK(debug_rel == 0);
            }
        }
    }
}

TEST_CASE("elf: loading twice relocates once and gives the same image", "[elf]") {
    FOR_EACH_COMPILER(compiler);
    for (const auto& [name, x, expected] :
         {std::tuple{"data_relocations", 0, 123}, std::tuple{"calls", 5, 55},
          std::tuple{"pointers", 0, 20040}, std::tuple{"rodata", 3, 12000213}}) {
        INFO(name);
        Object o = read_object(compiler, name);
        const Image first = load_ok(o);
        const std::vector<std::uint8_t> after_first = o.bytes();
        // Applied REL sections are marked SHT_NULL.
        CHECK(section(o, ".rel.text") != 0);
        CHECK(type_of(o, section(o, ".rel.text")) == 0);
        const Image second = load_ok(o);
        CHECK(o.bytes() == after_first);
        CHECK(second.code.data() == first.code.data());
        CHECK(second.code.size() == first.code.size());
        REQUIRE(second.region_count == first.region_count);
        for (std::size_t i = 0; i < first.region_count; ++i) {
            CHECK(second.regions[i].start == first.regions[i].start);
            CHECK(second.regions[i].size == first.regions[i].size);
            CHECK(second.regions[i].access == first.regions[i].access);
        }
        CHECK(run(second, static_cast<std::uint64_t>(x)) == r0(static_cast<std::uint64_t>(expected)));
    }
}

TEST_CASE("elf: the reader's accessors", "[elf]") {
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "pointers");
    const auto obj = elf::parse(std::span<const std::uint8_t>{o.data(), o.size()});
    REQUIRE(obj.ok());
    CHECK(obj->section_count() == shnum(o));
    const auto text = obj->find_section(".text");
    REQUIRE(text.ok());
    CHECK(text->index == section(o, ".text"));
    CHECK(text->offset == offset_of(o, section(o, ".text")));
    CHECK(text->executable());
    CHECK(obj->contents(*text)->data() == o.data() + offset_of(o, section(o, ".text")));
    CHECK(obj->find_section(".nothing").error().code == ErrorCode::elf_bad_section_index);
    CHECK(obj->find_section(".rodat").error().code == ErrorCode::elf_bad_section_index);  // exact names only
    CHECK(obj->section(shnum(o)).error().code == ErrorCode::elf_bad_section_index);

    const auto table = obj->section(symtab(o));
    REQUIRE(table.ok());
    CHECK(obj->symbol_count(*table) == size_of(o, symtab(o)) / 24);
    const auto sym = obj->symbol(*table, symbol(o, "pointers"));
    REQUIRE(sym.ok());
    CHECK(*obj->symbol_name(*table, *sym) == "pointers");
    CHECK(sym->shndx == section(o, ".data"));
    CHECK(obj->symbol(*table, obj->symbol_count(*table)).error().code == ErrorCode::elf_bad_symbol_index);

    const auto rel = obj->find_section(".rel.data");
    REQUIRE(rel.ok());
    CHECK(obj->relocation_count(*rel) == 2);
    const auto second = obj->relocation(*rel, 1);
    REQUIRE(second.ok());
    CHECK(second->offset == 8);
    CHECK(second->type == elf::kRBpf64Abs64);
    CHECK(second->symbol == rel_symbol(o, rel_entry(o, ".rel.data", 1)));
    CHECK(obj->relocation(*rel, 2).error().code == ErrorCode::elf_bad_header);
    // A header that claims more bytes than the file has is refused by the accessors too.
    elf::SectionHeader forged = *rel;
    forged.size = 1u << 20;
    CHECK(obj->relocation_count(forged) == 0);
    CHECK(obj->contents(forged).error().code == ErrorCode::elf_section_out_of_bounds);
}

TEST_CASE("elf: malformed objects are rejected with a specific error and left unchanged", "[elf]") {
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "data_relocations");
    const std::size_t text = section(o, ".text");
    const std::size_t data = section(o, ".data");
    const std::size_t rodata = section(o, ".rodata");
    const std::size_t rel_text = section(o, ".rel.text");
    const std::size_t rel_data = section(o, ".rel.data");
    const auto at = [](std::size_t offset) { return static_cast<std::uint32_t>(offset); };

    SECTION("not ELF") {
        o.set<std::uint8_t>(1, 'X');
        expect_rejected(o, ErrorCode::elf_not_bpf, 0);
    }
    SECTION("ELFCLASS32") {
        o.set<std::uint8_t>(4, 1);
        expect_rejected(o, ErrorCode::elf_not_bpf, 4);
    }
    SECTION("big-endian") {
        o.set<std::uint8_t>(5, 2);
        expect_rejected(o, ErrorCode::elf_not_bpf, 5);
    }
    SECTION("not ET_REL") {
        o.set<std::uint16_t>(16, 2);
        expect_rejected(o, ErrorCode::elf_not_bpf, 16);
    }
    SECTION("not EM_BPF") {
        o.set<std::uint16_t>(18, 62);  // x86-64
        expect_rejected(o, ErrorCode::elf_not_bpf, 18);
    }
    SECTION("truncated header") {
        const std::vector<std::uint8_t> head(o.data(), o.data() + 40);
        Object cut{head};
        expect_rejected(cut, ErrorCode::image_truncated, 40);
    }
    SECTION("e_shentsize wrong") {
        o.set<std::uint16_t>(0x3a, 40);
        expect_rejected(o, ErrorCode::elf_bad_header, 0x3a);
    }
    SECTION("section table past the end") {
        o.set<std::uint64_t>(0x28, o.size() - 64);
        expect_rejected(o, ErrorCode::elf_section_out_of_bounds, 0x28);
    }
    SECTION("section table cut off by a short file") {
        const std::vector<std::uint8_t> all = o.bytes();
        Object cut{std::vector<std::uint8_t>(all.begin(), all.end() - 1)};
        if (shoff(o) + 64 * shnum(o) == o.size())
            expect_rejected(cut, ErrorCode::elf_section_out_of_bounds, 0x28);
    }
    SECTION("section outside the file") {
        o.set<std::uint64_t>(header(o, data) + 32, o.size());
        expect_rejected(o, ErrorCode::elf_section_out_of_bounds, at(header(o, data)));
    }
    SECTION("section offset + size wraps around") {
        o.set<std::uint64_t>(header(o, data) + 32, ~std::uint64_t{0} - 4);
        expect_rejected(o, ErrorCode::elf_section_out_of_bounds, at(header(o, data)));
    }
    SECTION("overlapping sections") {
        o.set<std::uint64_t>(header(o, rodata) + 24, offset_of(o, text) + 8);
        expect_rejected(o, ErrorCode::elf_sections_overlap, at(header(o, rodata)));
    }
    SECTION("a data section over the section table") {
        o.set<std::uint64_t>(header(o, data) + 24, shoff(o));
        expect_rejected(o, ErrorCode::elf_sections_overlap, at(header(o, data)));
    }
    SECTION("section-name table index out of range") {
        o.set<std::uint16_t>(0x3e, static_cast<std::uint16_t>(shnum(o)));
        expect_rejected(o, ErrorCode::elf_bad_section_index, 0x3e);
    }
    SECTION("section name outside the name table") {
        o.set<std::uint32_t>(header(o, data),
                             static_cast<std::uint32_t>(size_of(o, o.get<std::uint16_t>(0x3e))));
        expect_rejected(o, ErrorCode::elf_bad_header, at(header(o, data)));
    }
    SECTION("symbol index out of range") {
        const std::size_t e = rel_entry(o, ".rel.text", 0);
        set_rel(o, e, static_cast<std::uint32_t>(size_of(o, symtab(o)) / 24), 1);
        expect_rejected(o, ErrorCode::elf_bad_symbol_index, at(e));
    }
    SECTION("symbol's section index out of range") {
        const std::size_t e = rel_entry(o, ".rel.text", 0);
        const std::size_t s = symbol_entry(o, rel_symbol(o, e));
        o.set<std::uint16_t>(s + 6, static_cast<std::uint16_t>(shnum(o)));
        expect_rejected(o, ErrorCode::elf_bad_section_index, at(s));
    }
    SECTION("REL target section index out of range") {
        o.set<std::uint32_t>(header(o, rel_text) + 44, static_cast<std::uint32_t>(shnum(o) + 3));
        expect_rejected(o, ErrorCode::elf_bad_section_index, at(header(o, rel_text)));
    }
    SECTION("REL symbol table link is not a symbol table") {
        o.set<std::uint32_t>(header(o, rel_text) + 40, static_cast<std::uint32_t>(text));
        expect_rejected(o, ErrorCode::elf_bad_section_index, at(header(o, rel_text)));
    }
    SECTION("relocation offset outside its section") {
        const std::size_t e = rel_entry(o, ".rel.text", 0);
        o.set<std::uint64_t>(e, size_of(o, text) - 8);  // the lddw would need 16 bytes
        expect_rejected(o, ErrorCode::elf_relocation_out_of_bounds, at(e));
    }
    SECTION("data relocation past the end of .data") {
        const std::size_t e = rel_entry(o, ".rel.data", 0);
        o.set<std::uint64_t>(e, size_of(o, data) - 4);
        expect_rejected(o, ErrorCode::elf_relocation_out_of_bounds, at(e));
    }
    SECTION("relocation offset not on an instruction") {
        const std::size_t e = rel_entry(o, ".rel.text", 0);
        o.set<std::uint64_t>(e, rel_offset(o, e) + 4);
        expect_rejected(o, ErrorCode::elf_relocation_out_of_bounds, at(e));
    }
    SECTION("lddw relocation on another instruction") {
        const std::size_t e = rel_entry(o, ".rel.text", 0);
        o.set<std::uint64_t>(e, rel_offset(o, e) + 16);  // the load after the lddw
        expect_rejected(o, ErrorCode::elf_relocation_not_lddw, at(e));
    }
    SECTION("lddw relocation in data") {
        const std::size_t e = rel_entry(o, ".rel.data", 0);
        set_rel(o, e, rel_symbol(o, e), 1);
        expect_rejected(o, ErrorCode::elf_relocation_not_lddw, at(e));
    }
    SECTION("address past the end of the symbol's section") {
        const std::size_t e = rel_entry(o, ".rel.text", 0);
        const std::size_t lddw = offset_of(o, text) + static_cast<std::size_t>(rel_offset(o, e));
        o.set<std::uint32_t>(lddw + 4, static_cast<std::uint32_t>(size_of(o, data) + 1));
        expect_rejected(o, ErrorCode::elf_relocation_out_of_bounds, at(e));
    }
    SECTION("unknown relocation type") {
        const std::size_t e = rel_entry(o, ".rel.text", 0);
        set_rel(o, e, rel_symbol(o, e), 7);
        expect_rejected(o, ErrorCode::elf_unknown_relocation, at(e));
    }
    SECTION("data relocation type in code") {
        const std::size_t e = rel_entry(o, ".rel.text", 0);
        set_rel(o, e, rel_symbol(o, e), 2);
        expect_rejected(o, ErrorCode::elf_unknown_relocation, at(e));
    }
    SECTION("RELA for a loaded section") {
        o.set<std::uint32_t>(header(o, rel_data) + 4, 4);
        expect_rejected(o, ErrorCode::elf_unknown_relocation, at(header(o, rel_data)));
    }
    SECTION("relocation against the null symbol") {
        const std::size_t e = rel_entry(o, ".rel.text", 0);
        set_rel(o, e, 0, 1);
        expect_rejected(o, ErrorCode::elf_undefined_symbol, at(e));
    }
    SECTION("no executable section") {
        o.set<std::uint64_t>(header(o, text) + 8, 2);  // SHF_ALLOC only: now just data
        expect_rejected(o, ErrorCode::elf_no_text, 0);
    }
    SECTION("code size not a multiple of 8") {
        o.set<std::uint64_t>(header(o, text) + 32, size_of(o, text) - 4);
        expect_rejected(o, ErrorCode::program_size_not_multiple, at(header(o, text)));
    }
    SECTION("a failure after valid relocations leaves the earlier ones unapplied") {
        // .rel.text is fine, .rel.data (checked later) is not: nothing may be patched.
        const std::size_t e = rel_entry(o, ".rel.data", 0);
        set_rel(o, e, rel_symbol(o, e), 99);
        REQUIRE(rel_text < rel_data);
        expect_rejected(o, ErrorCode::elf_unknown_relocation, at(e));
    }
}

TEST_CASE("elf: call relocations that cannot be resolved", "[elf]") {
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "calls");
    const std::size_t text = section(o, ".text");
    const std::size_t e = rel_entry_on(o, ".rel.text", 0x85);
    const std::size_t call_at = offset_of(o, text) + static_cast<std::size_t>(rel_offset(o, e));
    const auto at = [](std::size_t offset) { return static_cast<std::uint32_t>(offset); };

    SECTION("target outside .text") {
        o.set<std::int32_t>(call_at + 4, static_cast<std::int32_t>(size_of(o, text) / 8));
        expect_rejected(o, ErrorCode::elf_bad_call_target, at(e));
    }
    SECTION("target before .text") {
        o.set<std::int32_t>(call_at + 4, -1000);
        expect_rejected(o, ErrorCode::elf_bad_call_target, at(e));
    }
    SECTION("target in the second slot of an lddw") {
        // Put an lddw (0x18, opcode 0 in slot 2) at the called function's first two slots.
        const std::size_t fn =
            offset_of(o, text) + static_cast<std::size_t>(symbol_value(o, symbol(o, "add_ten")));
        o.set<std::uint64_t>(fn, 0x18);
        o.set<std::uint64_t>(fn + 8, 0);
        o.set<std::int32_t>(call_at + 4, 0);  // symbol slot + 0 + 1: the second slot
        expect_rejected(o, ErrorCode::elf_bad_call_target, at(e));
    }
    SECTION("call relocation on a non-call") {
        o.set<std::uint64_t>(e, rel_offset(o, e) - 8);
        expect_rejected(o, ErrorCode::elf_relocation_not_call, at(e));
    }
    SECTION("call relocation against a data symbol's section") {
        const std::size_t s = symbol_entry(o, rel_symbol(o, e));
        o.set<std::uint16_t>(s + 6, static_cast<std::uint16_t>(section(o, ".symtab")));
        expect_rejected(o, ErrorCode::elf_bad_call_target, at(e));
    }
    SECTION("call relocation against an undefined symbol") {
        const std::size_t s = symbol_entry(o, rel_symbol(o, e));
        o.set<std::uint16_t>(s + 6, 0);
        expect_rejected(o, ErrorCode::elf_undefined_symbol, at(e));
    }
}

TEST_CASE("elf: objects clang makes that an Image cannot describe", "[elf]") {
    FOR_EACH_COMPILER(compiler);
    SECTION(".bss: zero-initialised globals have no bytes to map") {
        Object o = read_object(compiler, "bss");
        expect_rejected(o, ErrorCode::elf_unsupported_section,
                        static_cast<std::uint32_t>(header(o, section(o, ".bss"))));
    }
    SECTION("code in two executable sections") {
        Object o = read_object(compiler, "two_code_sections");
        const std::size_t second = std::max(section(o, ".text"), section(o, "prog"));
        expect_rejected(o, ErrorCode::elf_unsupported_section, static_cast<std::uint32_t>(header(o, second)));
    }
    SECTION("nine rodata sections") {
        Object o = read_object(compiler, "many_rodata");
        expect_rejected(o, ErrorCode::image_too_many_regions,
                        static_cast<std::uint32_t>(header(o, section(o, ".rodata.t9"))));
    }
    SECTION("a reference to an undefined variable") {
        Object o = read_object(compiler, "extern");
        expect_rejected(o, ErrorCode::elf_undefined_symbol,
                        static_cast<std::uint32_t>(rel_entry(o, ".rel.text", 0)));
    }
}

TEST_CASE("elf: the program starts at main when the object has one", "[elf]") {
    FOR_EACH_COMPILER(compiler);
    Object o = read_object(compiler, "main_entry");
    const std::size_t main = symbol(o, "main");
    REQUIRE(symbol_value(o, main) != 0);  // not the first function, so the entry matters
    SECTION("entry at main") {
        const Image image = load_ok(o);
        CHECK(image.entry == symbol_value(o, main) / 8);
        CHECK(run(image, 5) == r0(12));  // main(5) = 2 (5 + 1); other(5) would be 600
    }
    SECTION("main outside the code") {
        o.set<std::uint64_t>(symbol_entry(o, main) + 8, size_of(o, section(o, ".text")));
        expect_rejected(o, ErrorCode::image_bad_entry_symbol,
                        static_cast<std::uint32_t>(symbol_entry(o, main)));
    }
    SECTION("main not on an instruction") {
        o.set<std::uint64_t>(symbol_entry(o, main) + 8, symbol_value(o, main) + 4);
        expect_rejected(o, ErrorCode::image_bad_entry_symbol,
                        static_cast<std::uint32_t>(symbol_entry(o, main)));
    }
}
