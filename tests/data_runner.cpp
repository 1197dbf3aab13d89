// SPDX-License-Identifier: MIT
// Runs every .data file of the given directories and checks its result or error.
//   ubpf_data_runner --data-dir DIR [--data-dir DIR …] [--engine ENGINE] [Catch2 options]
// ENGINE is host (default), m4-interp or m4-interp-Os (tests/m4/engines.hpp).
// Each file is a section of one test case; the run ends with "N passed, N failed, N skipped".
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <ubpf/host/data_file.hpp>
#include <ubpf/host/environment.hpp>

#include "engines.hpp"

namespace {

std::vector<std::string> g_dirs;
std::string g_engine = "host";
int g_passed = 0, g_failed = 0, g_skipped = 0;

std::vector<std::filesystem::path> data_files() {
    std::vector<std::filesystem::path> files;
    for (const std::string& dir : g_dirs)
        for (const auto& entry : std::filesystem::directory_iterator(dir))
            if (entry.path().extension() == ".data") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TEST_CASE("data files give their expected result or error", "[data]") {
    const auto files = data_files();
    REQUIRE(!files.empty());
    for (const auto& path : files) {
        DYNAMIC_SECTION(path.filename().string()) {
            std::ifstream in(path, std::ios::binary);
            const std::string text{std::istreambuf_iterator<char>(in), {}};
            const ubpf::host::DataFile file = ubpf::host::parse_data_file(text);
            INFO("file: " << path.string());
            REQUIRE(file.parse_error.empty());
            std::string message;
            const std::vector<ubpf::Insn> code = file.program(message);
            REQUIRE(message.empty());
            ubpf::host::RunRequest request;
            request.code = code;
            request.mem = file.mem;
            request.rodata = file.rodata;
            request.allowed_helpers = file.helpers;
            if (file.budget) request.budget = *file.budget;
            const auto run = ubpf::m4::run_engine(g_engine, request);
            REQUIRE(run.has_value());
            INFO("engine: " << g_engine);
            REQUIRE(run->failure.empty());
            const ubpf::host::RunReport& report = run->report;
            const std::string got = report.ok ? "result " + std::to_string(report.r0)
                                              : "error " + ubpf::host::error_text(report.error);
            const std::string want =
                file.error ? "error " + *file.error : "result " + std::to_string(*file.result);
            INFO("got: " << got);
            (got == want ? g_passed : g_failed)++;
            CHECK(got == want);
        }
    }
}

int main(int argc, char** argv) {
    Catch::Session session;
    std::vector<std::string> dirs;
    using Catch::clara::Opt;
    session.cli(session.cli() | Opt(dirs, "dir")["--data-dir"]("directory of .data files") |
                Opt(g_engine, "engine")["--engine"]("host, m4-interp or m4-interp-Os"));
    if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
    for (const std::string& d : dirs) {
        if (std::filesystem::is_directory(d))
            g_dirs.push_back(d);
        else {
            std::printf("skipped: directory %s does not exist\n", d.c_str());
            ++g_skipped;
        }
    }
    const int rc = session.run();
    std::printf("data files (%s): %d passed, %d failed, %d skipped\n", g_engine.c_str(), g_passed, g_failed,
                g_skipped);
    return rc;
}
