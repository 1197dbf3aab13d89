// SPDX-License-Identifier: MIT
// JIT code checks accesses to a program image's own regions (its .data and .rodata) inline,
// against the tables jit::run fills for the regions in Compiled::data_regions, instead of
// sending each one to the runtime's full check. C programs compiled by clang (tests/programs)
// run on the emulated Cortex-M4 as the host interpreter runs them, and a budget running out
// anywhere leaves .data as the interpreter leaves it: stores past the cut-off are refused. Every
// run also has a caller's region (16 bytes at r1, which the programs leave alone), so that the
// caller's first region, checked inline as ever, is not one of the program's.
#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <ubpf/loader.hpp>
#include <ubpf/seed_helpers.hpp>
#include <ubpf/vm.hpp>

#include "jit_image.hpp"

namespace {

std::vector<std::uint8_t> program_object(const std::string& name) {
    std::ifstream in(std::string{UBPF_PROGRAM_OBJECTS_DIR} + "/v3/" + name + ".o", std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), {}};
}

/// A run of an ELF image and the bytes of its writable regions afterwards (offsets in the image
/// buffer, which every loader relocates in place).
struct ImageRun {
    bool ok = false;
    std::uint64_t r0 = 0, instructions = 0;
    ubpf::Error error{};
    std::vector<std::uint8_t> data;
};

/// The offsets and sizes of the image's writable regions, from a host loading of it.
std::vector<std::pair<std::size_t, std::size_t>> writable_regions(std::vector<std::uint8_t> copy) {
    const auto image = ubpf::load_image(copy, ubpf::Format::elf);
    REQUIRE(image.ok());
    std::vector<std::pair<std::size_t, std::size_t>> out;
    for (const ubpf::Region& r : image->memory())
        if (ubpf::grants(r.access, ubpf::Access::write))
            out.emplace_back(r.start - reinterpret_cast<std::uintptr_t>(copy.data()), r.size);
    return out;
}

std::vector<std::uint8_t> data_of(const std::vector<std::uint8_t>& buffer,
                                  const std::vector<std::uint8_t>& object) {
    std::vector<std::uint8_t> out;
    for (const auto& [at, size] : writable_regions(object)) {
        REQUIRE(at + size <= buffer.size());
        out.insert(out.end(), buffer.begin() + static_cast<std::ptrdiff_t>(at),
                   buffer.begin() + static_cast<std::ptrdiff_t>(at + size));
    }
    return out;
}

/// The caller's memory of every run: 16 bytes the programs never touch.
const std::vector<std::uint8_t> kCallerMemory(16, 0x5a);

ImageRun on_host(const std::vector<std::uint8_t>& object, std::uint64_t budget) {
    std::vector<std::uint8_t> copy = object;
    const auto image = ubpf::load_image(copy, ubpf::Format::elf);
    REQUIRE(image.ok());
    const auto verified = ubpf::verify(image->program(ubpf::HelperPolicy::all()), ubpf::seed::kHelpers);
    REQUIRE(verified.ok());
    std::vector<std::uint8_t> stack(ubpf::Config{}.stack_size());
    ubpf::seed::Environment env;
    std::vector<std::uint8_t> caller = kCallerMemory;
    const ubpf::Region regions[] = {ubpf::Region::of(caller.data(), caller.size(), ubpf::Access::read_write)};
    ubpf::Execution exec;
    exec.stack = stack;
    exec.regions = regions;
    exec.args = {reinterpret_cast<std::uintptr_t>(caller.data()), caller.size()};
    exec.user = &env;
    exec.budget = budget;
    const auto outcome = ubpf::Interpreter<>::run(*verified, exec);
    ImageRun run;
    run.ok = outcome.ok();
    if (outcome) {
        run.r0 = outcome->r0;
        run.instructions = outcome->instructions;
    } else {
        run.error = outcome.error();
    }
    run.data = data_of(copy, object);
    return run;
}

ubpf::m4::JitImageRun on_m4(ubpf::m4::JitSession& session, const std::vector<std::uint8_t>& object,
                            std::uint64_t budget, ubpf::seed::Environment& env) {
    std::vector<std::uint8_t> loaded = object;  // (request.code views it)
    const auto image = ubpf::load_image(loaded, ubpf::Format::elf);
    REQUIRE(image.ok());
    ubpf::host::RunRequest request;
    request.code = image->code;  // the M4 loads the raw bytes itself
    request.image = object;
    request.format = ubpf::Format::elf;
    request.helpers = ubpf::seed::kHelpers;
    request.user = &env;
    request.budget = budget;
    request.mem = kCallerMemory;  // (r1, r2: the caller's region)
    ubpf::m4::JitImageRun run = session.run(request);
    REQUIRE_FALSE(run.fault.has_value());
    REQUIRE(run.mismatch.empty());  // the JIT compiled on the M4 wrote what the host JIT writes
    return run;
}

}  // namespace

TEST_CASE("program data regions: loads and stores in .data and .rodata are checked inline",
          "[jit][data-regions]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    // Table-driven CRC-32 (two .rodata loads a byte) and a histogram counted into .data (a
    // .rodata load, a .data load and store a byte); results by Python in their sources.
    struct Case {
        const char* name;
        std::uint32_t r0;
    };
    for (const Case c : {Case{"crc32_table", 0x26e27b42u}, Case{"data_histogram", 0x5a7715a6u}}) {
        INFO(c.name);
        const std::vector<std::uint8_t> object = program_object(c.name);
        const ImageRun want = on_host(object, 1'000'000);
        REQUIRE(want.ok);
        CHECK(static_cast<std::uint32_t>(want.r0) == c.r0);
        ubpf::seed::Environment env;
        const ubpf::m4::JitImageRun got = on_m4(session, object, 1'000'000, env);
        REQUIRE(got.report.ok);
        CHECK(got.report.r0 == want.r0);
        CHECK(got.report.instructions == want.instructions);
        CHECK(data_of(got.image_after, object) == want.data);
        // A checked access costs a few M4 instructions inline, about a hundred through the
        // runtime's full check; these loops make one to three a pass of 7 to 10 eBPF
        // instructions, so inline checks keep the whole run under 6 M4 instructions per eBPF
        // instruction (3.0 and 4.3 now; 9.7 and 20.4 with each access in the runtime).
        CHECK(got.run_instructions < 6 * want.instructions);
    }
}

TEST_CASE("program data regions: a budget running out anywhere leaves .data as the interpreter does",
          "[jit][data-regions][budget]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    const std::vector<std::uint8_t> object = program_object("data_histogram");
    const std::uint64_t instructions = on_host(object, 1'000'000).instructions;
    const std::vector<std::uint8_t> initial = on_host(object, 0).data;
    for (std::uint64_t budget = 0; budget <= instructions; ++budget) {
        INFO("budget " << budget);
        const ImageRun want = on_host(object, budget);
        CHECK(want.ok == (budget == instructions));
        ubpf::seed::Environment env;
        const ubpf::m4::JitImageRun got = on_m4(session, object, budget, env);
        CHECK(got.report.ok == want.ok);
        CHECK(got.report.error == want.error);
        CHECK(data_of(got.image_after, object) == want.data);
    }
    // The counts change as the run goes (by hand: the first pass adds 1 to one count).
    CHECK(on_host(object, instructions).data != initial);
}

TEST_CASE("program data regions: a versioned loop over .rodata checks its range against the program's region",
          "[jit][data-regions][versioned]") {
    ubpf::m4::JitSession session(UBPF_M4_IMAGE_DIR "/m4_jit.elf");
    // A weighted sum over a 128-entry .rodata table through `table + i` (the index form with an
    // lddw base); result by Python in its source. With the caller's region first, the range
    // check must use the program's region to find the loop's loads inside it.
    const std::vector<std::uint8_t> object = program_object("rodata_sum");
    const ImageRun want = on_host(object, 1'000'000);
    REQUIRE(want.ok);
    CHECK(static_cast<std::uint32_t>(want.r0) == 260955312u);
    ubpf::seed::Environment env;
    const ubpf::m4::JitImageRun plain = on_m4(session, object, 1'000'000, env);
    session.set_options({.version_loops = true});
    const ubpf::m4::JitImageRun versioned = on_m4(session, object, 1'000'000, env);
    for (const ubpf::m4::JitImageRun* run : {&plain, &versioned}) {
        REQUIRE(run->report.ok);
        CHECK(run->report.r0 == want.r0);
        CHECK(run->report.instructions == want.instructions);
    }
    // The copy without checks ran: 1481 M4 instructions fewer over the 128 passes, as measured.
    // Checked against the caller's region, the range check would fail and the loop would run
    // with its checks, a little slower than without versioning.
    CHECK(versioned.run_instructions + 1000 < plain.run_instructions);
}
