// SPDX-License-Identifier: MIT
// Host speed of the interpreter: nanoseconds per executed eBPF instruction, Fletcher-16 over
// 2560 bytes (examples/fletcher16.data with a larger input), in both dispatch modes.
//   ubpf_host_bench [--write docs/benchmarks.md] [Google Benchmark options]
// With --write, the results replace the "host interpreter" section of that Markdown file.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <ubpf/host/data_file.hpp>
#include <ubpf/vm.hpp>

#include "markdown.hpp"

namespace {

constexpr std::size_t kInputSize = 2560;

struct Workload {
    std::vector<ubpf::Insn> code;
    std::vector<std::uint8_t> input;
};

const Workload& fletcher16() {
    static const Workload w = [] {
        std::ifstream in(UBPF_SOURCE_DIR "/examples/fletcher16.data");
        const auto file = ubpf::host::parse_data_file(std::string{std::istreambuf_iterator<char>(in), {}});
        std::string message;
        Workload out{file.program(message), std::vector<std::uint8_t>(kInputSize)};
        if (!message.empty() || out.code.empty()) {
            std::fprintf(stderr, "cannot load examples/fletcher16.data: %s\n", message.c_str());
            std::exit(1);
        }
        for (std::size_t i = 0; i < kInputSize; ++i) out.input[i] = static_cast<std::uint8_t>(i * 7 + 3);
        return out;
    }();
    return w;
}

/// The same checksum in C, to check the VM's answer.
std::uint64_t fletcher16_native(const std::vector<std::uint8_t>& data) {
    std::uint64_t sum1 = 0, sum2 = 0;
    for (std::uint8_t b : data) {
        sum1 = (sum1 + b) % 255;
        sum2 = (sum2 + sum1) % 255;
    }
    return (sum2 << 8) | sum1;
}

template <ubpf::Config C>
void BM_fletcher16(benchmark::State& state) {
    const Workload& w = fletcher16();
    const auto verified = ubpf::verify<C>({w.code}, {});
    if (!verified) {
        state.SkipWithError("verification failed");
        return;
    }
    std::vector<std::uint8_t> stack(C.stack_size());
    const ubpf::Region regions[] = {ubpf::Region::read_only(w.input.data(), w.input.size())};
    ubpf::Execution exec;
    exec.stack = stack;
    exec.regions = regions;
    exec.args = {reinterpret_cast<std::uintptr_t>(w.input.data()), w.input.size()};
    exec.budget = 10'000'000;
    std::uint64_t executed = 0;
    for (auto _ : state) {
        const auto result = ubpf::Interpreter<C>::run(*verified, exec);
        if (!result || result->r0 != fletcher16_native(w.input)) {
            state.SkipWithError("wrong result");
            return;
        }
        executed += result->instructions;
        benchmark::DoNotOptimize(result->r0);
    }
    state.counters["ns_per_insn"] = benchmark::Counter(
        static_cast<double>(executed), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.counters["insns_per_run"] = static_cast<double>(executed) / static_cast<double>(state.iterations());
}

constexpr ubpf::Config kThreaded{};
constexpr ubpf::Config kSwitch{.dispatch = ubpf::Dispatch::switch_loop};
BENCHMARK_TEMPLATE(BM_fletcher16, kThreaded)->Name("fletcher16_2560/threaded");
BENCHMARK_TEMPLATE(BM_fletcher16, kSwitch)->Name("fletcher16_2560/switch");

/// Prints as usual and keeps the runs for the Markdown table.
class Recorder : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& r : runs) kept.push_back(r);
        ConsoleReporter::ReportRuns(runs);
    }
    std::vector<Run> kept;
};

}  // namespace

int main(int argc, char** argv) {
    std::string write_path;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--write") == 0 && i + 1 < argc)
            write_path = argv[++i];
        else
            args.push_back(argv[i]);
    }
    int count = static_cast<int>(args.size());
    benchmark::Initialize(&count, args.data());
    Recorder recorder;
    benchmark::RunSpecifiedBenchmarks(&recorder);
    benchmark::Shutdown();
    if (write_path.empty()) return 0;

    std::ostringstream body;
    body << "## Host interpreter speed\n\n"
         << "Fletcher-16 over " << kInputSize
         << " bytes (`examples/fletcher16.data`), interpreted on the build\n"
         << "host (x86-64, g++ -O2); wall time from Google Benchmark, so it varies from machine to machine.\n"
         << "Regenerate with `scripts/bench.sh`.\n\n"
         << "| dispatch | eBPF instructions per run | ns per run | ns per eBPF instruction |\n"
         << "|---|---:|---:|---:|\n";
    for (const auto& r : recorder.kept) {
        char row[256];
        std::snprintf(row, sizeof row, "| %s | %.0f | %.0f | %.2f |\n", r.benchmark_name().c_str(),
                      r.counters.at("insns_per_run").value, r.GetAdjustedRealTime(),
                      r.counters.at("ns_per_insn").value * 1e9);
        body << row;
    }
    body << "\n";
    if (!ubpf::bench::write_section(write_path, "host-bench", body.str())) {
        std::fprintf(stderr, "cannot write %s\n", write_path.c_str());
        return 1;
    }
    std::printf("wrote %s\n", write_path.c_str());
    return 0;
}
