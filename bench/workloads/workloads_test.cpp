// SPDX-License-Identifier: MIT
// Every benchmark workload, at every input size, on the VM (NAME.bin, built from NAME.c by
// clang -target bpf) against the same C compiled natively into this test. The expected values
// come only from the native code; the native code itself is anchored to published check values.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <ubpf/host/environment.hpp>

#include "inputs.hpp"

extern "C" {
std::uint64_t fletcher16(std::uint8_t* data, std::uint64_t len);
std::uint64_t fletcher32(std::uint8_t* data, std::uint64_t len);
std::uint64_t crc32(std::uint8_t* data, std::uint64_t len);
std::uint64_t bubble_sort(std::uint8_t* data, std::uint64_t len);
std::uint64_t moving_average(std::uint8_t* data, std::uint64_t len);
std::uint64_t sieve(std::uint8_t* data, std::uint64_t len);
std::uint64_t mix64(std::uint8_t* data, std::uint64_t len);
}

namespace {

using NativeFn = std::uint64_t (*)(std::uint8_t*, std::uint64_t);

/// NAME.bin: raw little-endian eBPF instructions.
std::vector<ubpf::Insn> load_bin(std::string_view name) {
    const std::string path = std::string{UBPF_WORKLOADS_BIN_DIR} + "/" + std::string{name} + ".bin";
    std::ifstream in(path, std::ios::binary);
    INFO("reading " << path);
    REQUIRE(in.good());
    const std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(in), {}};
    REQUIRE(!bytes.empty());
    REQUIRE(bytes.size() % 8 == 0);
    std::vector<ubpf::Insn> code(bytes.size() / 8);
    for (std::size_t i = 0; i < code.size(); ++i) {
        const unsigned char* b = &bytes[8 * i];
        const auto off = static_cast<std::uint16_t>(b[2] | (b[3] << 8));
        const std::uint32_t imm = static_cast<std::uint32_t>(b[4]) | (static_cast<std::uint32_t>(b[5]) << 8) |
                                  (static_cast<std::uint32_t>(b[6]) << 16) |
                                  (static_cast<std::uint32_t>(b[7]) << 24);
        code[i].opcode = b[0];
        code[i].regs = b[1];
        code[i].off = static_cast<std::int16_t>(off);
        code[i].imm = static_cast<std::int32_t>(imm);
    }
    return code;
}

void check_workload(std::string_view name, NativeFn native) {
    const ubpf::bench::WorkloadInfo* info = ubpf::bench::find_workload(name);
    REQUIRE(info != nullptr);
    const std::vector<ubpf::Insn> code = load_bin(name);
    for (const std::size_t size : info->sizes) {
        DYNAMIC_SECTION(name << " over " << size << " bytes") {
            const std::vector<std::uint8_t> input = ubpf::bench::make_input(name, size);
            REQUIRE(input.size() == size);

            std::vector<std::uint8_t> native_mem = input;
            const std::uint64_t expected = native(native_mem.data(), native_mem.size());

            ubpf::host::RunRequest request;
            request.code = code;
            request.mem = input;
            request.budget = 50'000'000;
            const ubpf::host::RunReport report = ubpf::host::run_on_host(request);
            INFO(ubpf::host::error_text(report.error)
                 << ": " << ubpf::host::error_instruction(report.error, code));
            REQUIRE(report.ok);
            CHECK(report.r0 == expected);
            CHECK(report.mem_after == native_mem);
            CHECK(report.instructions > 0);
            CHECK(report.instructions < request.budget);
        }
    }
}

/// The native function over a string's bytes (copied: the workloads take a writable buffer).
std::uint64_t native_on(NativeFn fn, std::string_view text) {
    std::vector<std::uint8_t> bytes(text.begin(), text.end());
    return fn(bytes.data(), bytes.size());
}

}  // namespace

TEST_CASE("native workloads match published check values", "[workloads][anchor]") {
    CHECK(native_on(crc32, "123456789") == 0xCBF43926u);
    CHECK(native_on(crc32, "") == 0u);
    CHECK(native_on(fletcher16, "abcdefgh") == 0x0627u);
    CHECK(native_on(fletcher16, "abcde") == 0xC8F0u);
    CHECK(native_on(fletcher32, "abcde") == 0xF04FC729u);
    CHECK(native_on(fletcher32, "abcdef") == 0x56502D2Au);
    CHECK(native_on(fletcher32, "abcdefgh") == 0xEBE19591u);

    std::vector<std::uint8_t> numbers(1000);
    CHECK(sieve(numbers.data(), numbers.size()) == 168u);  // primes below 1000

    std::vector<std::uint8_t> words(64 * 4);
    for (std::size_t i = 0; i < 64; ++i) {
        const auto v = static_cast<std::uint32_t>(64 - i);  // 64, 63, ..., 1
        std::memcpy(&words[4 * i], &v, sizeof v);
    }
    std::uint64_t weighted = 0;
    for (std::uint64_t i = 1; i <= 64; ++i) weighted += i * i;  // sorted: a[i] = i + 1
    CHECK(bubble_sort(words.data(), words.size()) == weighted);
    for (std::size_t i = 0; i < 64; ++i) {
        std::uint32_t v = 0;
        std::memcpy(&v, &words[4 * i], sizeof v);
        CHECK(v == i + 1);
    }
}

TEST_CASE("the VM agrees with the anchors too", "[workloads][anchor]") {
    const auto vm = [](std::string_view name, std::string_view text) {
        const std::vector<ubpf::Insn> code = load_bin(name);
        ubpf::host::RunRequest request;
        request.code = code;
        request.mem.assign(text.begin(), text.end());
        request.budget = 50'000'000;
        const ubpf::host::RunReport report = ubpf::host::run_on_host(request);
        INFO(name << ": " << ubpf::host::error_text(report.error));
        REQUIRE(report.ok);
        return report.r0;
    };
    CHECK(vm("crc32", "123456789") == 0xCBF43926u);
    CHECK(vm("fletcher16", "abcdefgh") == 0x0627u);
    CHECK(vm("fletcher32", "abcdefgh") == 0xEBE19591u);
}

TEST_CASE("fletcher16 on the VM matches native", "[workloads]") {
    check_workload("fletcher16", fletcher16);
}
TEST_CASE("fletcher32 on the VM matches native", "[workloads]") {
    check_workload("fletcher32", fletcher32);
}
TEST_CASE("crc32 on the VM matches native", "[workloads]") {
    check_workload("crc32", crc32);
}
TEST_CASE("bubble_sort on the VM matches native", "[workloads]") {
    check_workload("bubble_sort", bubble_sort);
}
TEST_CASE("moving_average on the VM matches native", "[workloads]") {
    check_workload("moving_average", moving_average);
}
TEST_CASE("sieve on the VM matches native", "[workloads]") {
    check_workload("sieve", sieve);
}
TEST_CASE("mix64 on the VM matches native", "[workloads]") {
    check_workload("mix64", mix64);
}

TEST_CASE("every workload has a test and inputs are deterministic", "[workloads]") {
    CHECK(ubpf::bench::kWorkloads.size() == 7);
    for (const auto& w : ubpf::bench::kWorkloads) {
        CHECK(!w.sizes.empty());
        for (const std::size_t size : w.sizes) {
            CHECK(ubpf::bench::make_input(w.name, size) == ubpf::bench::make_input(w.name, size));
        }
    }
    CHECK(ubpf::bench::make_input("crc32", 80) != ubpf::bench::make_input("fletcher16", 80));
}
