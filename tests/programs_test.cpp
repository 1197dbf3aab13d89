// SPDX-License-Identifier: MIT
// End to end for the C programs in tests/programs: each was compiled by clang (-mcpu=v3, and
// v4 with clang-19 when present) at build time; here each object is packed in every format,
// loaded as the device would (relocated in place), verified and run with the seed's helpers.
// Each case also runs on the emulated Cortex-M4, interpreter and JIT, the JIT also with loops
// versioned (tests/m4/engines.hpp):
// the M4 loads the same image bytes at its own addresses, and its result, instruction count and
// printf output must equal the host interpreter's.
// The header of each source says what to expect:
//   // TEST_RESULT: N      r0, compared in its low 32 bits (C's int return)
//   // TEST_ERROR: text    or the run fails: "<ErrorCode message> at pc <pc>", the same on every engine
//   // TEST_OUTPUT: line   printf output, one line each, in order
//   // NOT_IN: fmt ...     formats that cannot express the program: packing must refuse it
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <ubpf/host/packer.hpp>
#include <ubpf/loader.hpp>
#include <ubpf/seed_helpers.hpp>
#include <ubpf/vm.hpp>

#include "engines.hpp"

namespace {

namespace fs = std::filesystem;
using ubpf::Format;

struct Expectation {
    std::uint64_t result = 0;
    std::string error;  ///< TEST_ERROR: the run fails so
    std::vector<std::string> output;
    std::vector<std::string> not_in;
};

Expectation read_expectation(const fs::path& source) {
    Expectation e;
    std::ifstream in(source);
    std::string line;
    bool have_result = false;
    while (std::getline(in, line) && line.rfind("//", 0) == 0) {
        const auto value = [&](const std::string& key) -> std::optional<std::string> {
            const std::string prefix = "// " + key + ": ";
            if (line.rfind(prefix, 0) != 0) return std::nullopt;
            return line.substr(prefix.size());
        };
        if (auto v = value("TEST_RESULT")) {
            e.result = std::stoull(*v);
            have_result = true;
        } else if (auto x = value("TEST_ERROR")) {
            e.error = *x;
            have_result = true;
        } else if (auto o = value("TEST_OUTPUT")) {
            e.output.push_back(*o);
        } else if (auto n = value("NOT_IN")) {
            std::stringstream formats(*n);
            std::string f;
            while (formats >> f) e.not_in.push_back(f);
        }
    }
    REQUIRE(have_result);
    return e;
}

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), {}};
}

struct RecordingOutput final : ubpf::seed::Output {
    std::string text;
    void write(const char* s, std::size_t n) noexcept override { text.append(s, n); }
};

/// Packs, loads, verifies and runs; returns "" when everything matched, else what did not.
/// The emulated engines every case also runs on, one emulator each for the whole test.
struct M4Engines {
    ubpf::m4::EngineSession interp{"m4-interp"};
    ubpf::m4::EngineSession jit{"m4-jit"};
    ubpf::m4::EngineSession versioned{
        "m4-jit-versioned"};  // clang's loops, as Options::version_loops compiles them
};

std::string run_case(const std::vector<std::uint8_t>& object, Format format, const Expectation& expected,
                     M4Engines& m4) {
    std::vector<std::uint8_t> image;
    if (format == Format::elf) {
        image = object;
    } else {
        try {
            image = ubpf::host::pack(object, {format, std::nullopt});
        } catch (const ubpf::host::PackError& e) {
            return std::string{"pack failed: "} + e.what();
        }
    }
    const std::vector<std::uint8_t> packed = image;  // the M4 engines load the bytes as sent
    const auto loaded = ubpf::load_image(image, format);
    if (!loaded)
        return "load failed: " + std::string{loaded.error().message()} + " at byte " +
               std::to_string(loaded.error().pc);
    const ubpf::Image& img = *loaded;
    const auto verified = ubpf::verify(img.program(ubpf::HelperPolicy::all()), ubpf::seed::kHelpers);
    if (!verified)
        return "verify failed: " + std::string{verified.error().message()} + " at pc " +
               std::to_string(verified.error().pc);

    RecordingOutput output;
    ubpf::seed::Store<16> local, global;
    ubpf::seed::Environment env;
    env.platform.output = &output;
    env.local = &local;
    env.global = &global;
    std::vector<std::uint8_t> stack(ubpf::Config{}.stack_size());
    ubpf::Execution exec;
    exec.stack = stack;
    exec.user = &env;
    const auto outcome = ubpf::Interpreter<>::run(*verified, exec);
    const auto describe = [](ubpf::Error e) {
        return std::string{e.message()} + " at pc " + std::to_string(e.pc);
    };
    // What the emulated engines run: the image's bytes as sent, with the seed's helpers.
    const auto m4_request = [&](ubpf::seed::Environment& user) {
        ubpf::host::RunRequest request;
        request.code = img.code;
        request.image = packed;
        request.format = format;
        request.helpers = ubpf::seed::kHelpers;
        request.user = &user;
        request.budget = exec.budget;
        return request;
    };
    if (!expected.error.empty()) {
        // The error, on the host and on every emulated engine.
        if (outcome) return "ran to the end, expected " + expected.error;
        if (describe(outcome.error()) != expected.error) return "run failed: " + describe(outcome.error());
        std::string problems;
        for (ubpf::m4::EngineSession* session : {&m4.interp, &m4.jit, &m4.versioned}) {
            const ubpf::m4::EngineRun run = session->run(m4_request(env));
            if (!run.failure.empty())
                problems += "engine failed: " + run.failure + "; ";
            else if (run.report.ok)
                problems += "an engine ran to the end; ";
            else if (describe(run.report.error) != expected.error)
                problems += describe(run.report.error) + "; ";
        }
        return problems;
    }
    if (!outcome) return "run failed: " + describe(outcome.error());
    std::string problems;
    if ((outcome->r0 & 0xffffffffu) != (expected.result & 0xffffffffu))
        problems += "result " + std::to_string(outcome->r0 & 0xffffffffu) + ", expected " +
                    std::to_string(expected.result) + "; ";
    std::string want;
    for (const std::string& line : expected.output) want += line + "\n";
    if (output.text != want) problems += "output '" + output.text + "', expected '" + want + "'";

    for (const auto& [engine, session] :
         {std::pair<const char*, ubpf::m4::EngineSession*>{"m4-interp", &m4.interp},
          {"m4-jit", &m4.jit},
          {"m4-jit-versioned", &m4.versioned}}) {
        RecordingOutput m4_output;
        ubpf::seed::Store<16> m4_local, m4_global;
        ubpf::seed::Environment m4_env;
        m4_env.platform.output = &m4_output;
        m4_env.local = &m4_local;
        m4_env.global = &m4_global;
        const ubpf::m4::EngineRun m4_run = session->run(m4_request(m4_env));
        const auto* run = &m4_run;
        const std::string on = std::string{" on "} + engine + "; ";
        if (!run->failure.empty()) {
            problems += "engine failed" + on + run->failure;
            continue;
        }
        if (!run->report.ok) {
            problems += "run failed: " + std::string{run->report.error.message()} + " at pc " +
                        std::to_string(run->report.error.pc) + on;
            continue;
        }
        if (run->report.r0 != outcome->r0) problems += "r0 " + std::to_string(run->report.r0) + on;
        if (run->report.instructions != outcome->instructions)
            problems += "instructions " + std::to_string(run->report.instructions) + on;
        if (m4_output.text != output.text) problems += "output '" + m4_output.text + "'" + on;
    }
    return problems;
}

void check_objects(const fs::path& object_dir) {
    std::vector<fs::path> sources;
    for (const auto& entry : fs::directory_iterator(UBPF_PROGRAMS_DIR))
        if (entry.path().extension() == ".c") sources.push_back(entry.path());
    std::sort(sources.begin(), sources.end());
    REQUIRE(sources.size() >= 50);
    int cases = 0;
    M4Engines m4;
    for (const fs::path& source : sources) {
        const Expectation expected = read_expectation(source);
        const auto object = read_bytes(object_dir / (source.stem().string() + ".o"));
        for (Format format : {Format::text, Format::femto_containers, Format::extended, Format::elf}) {
            const std::string name = ubpf::format_name(format);
            const bool refused =
                std::find(expected.not_in.begin(), expected.not_in.end(), name) != expected.not_in.end();
            INFO(source.filename().string() << " as " << name);
            const std::string problems = run_case(object, format, expected, m4);
            if (refused) {
                // The layout cannot carry the program: packing must say so, not pack it wrongly.
                CHECK(problems.substr(0, 13) == "pack failed: ");
            } else {
                CHECK(problems == "");
            }
            ++cases;
        }
    }
    CHECK(cases == static_cast<int>(sources.size()) * 4);
}

}  // namespace

TEST_CASE("C programs compiled for cpu v3 run in every format that can carry them", "[programs]") {
    check_objects(fs::path(UBPF_PROGRAM_OBJECTS_DIR) / "v3");
}

TEST_CASE("C programs compiled for cpu v4 (clang-19) run in every format", "[programs]") {
    const fs::path dir = fs::path(UBPF_PROGRAM_OBJECTS_DIR) / "v4";
    if (!fs::exists(dir / "printf.o")) {
        WARN("clang-19 was not found at configure time: the v4 objects were not built");
        return;
    }
    check_objects(dir);
}
