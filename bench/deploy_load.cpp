// SPDX-License-Identifier: MIT
// Load on a running device (ubpf-device or real hardware) over CoAP: N sequential short-execution
// requests, then C concurrent clients for a bounded time. Every response must be 2.04 with
// exactly `{"result": EXPECTED}`; a wrong or missing response makes the exit code 1. Prints
// requests per second, and with --markdown writes them into docs/benchmarks.md (section
// deploy-load). The figures are a benchmark, not a test: only correctness decides the exit code.
// With --jit the requests run the slot as JIT code: the first one compiles it, the others reuse it.
//
//   ubpf_deploy_load --device coap://HOST:PORT --slot S --expect N [--jit]
//                    [--requests 500] [--clients 4] [--seconds 3] [--markdown FILE] [--program NAME]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <ubpf/seed_helpers.hpp>
#include <ubpf/service/requests.hpp>

#include "coap.hpp"
#include "markdown.hpp"

namespace {

using namespace ubpf;
using Clock = std::chrono::steady_clock;

struct Options {
    coap::Endpoint device;
    unsigned slot = 0;
    long long expect = 0;
    unsigned requests = 500;
    unsigned clients = 4;
    double seconds = 3.0;
    bool jit = false;
    std::string markdown, program = "the deployed program";
};

/// What a phase saw: every request is ok, wrong (another code or payload) or lost (no answer).
struct Tally {
    std::uint64_t ok = 0, wrong = 0, lost = 0;
    std::vector<double> latencies_ms;
    std::string first_problem;
    void add(const Tally& t) {
        ok += t.ok;
        wrong += t.wrong;
        lost += t.lost;
        latencies_ms.insert(latencies_ms.end(), t.latencies_ms.begin(), t.latencies_ms.end());
        if (first_problem.empty()) first_problem = t.first_problem;
    }
    [[nodiscard]] std::uint64_t total() const { return ok + wrong + lost; }
};

class Client {
public:
    /// `compile`: with --jit, compile the slot's JIT code before running it.
    explicit Client(const Options& o, bool compile = false) : options_(o) {
        service::ExecuteRequest request;
        request.config.slot = static_cast<std::uint8_t>(o.slot);
        request.config.format = Format::extended;
        request.config.jit = o.jit;
        request.config.jit_compile = o.jit && compile;
        for (const Helper& h : seed::kHelpers) (void)request.helpers.push(static_cast<std::uint8_t>(h.id));
        std::array<char, service::kMaxExecuteLength> buffer{};
        const std::size_t n = service::encode_execute(request, buffer);
        payload_.assign(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
        expected_ = "{\"result\": " + std::to_string(o.expect) + "}";
    }

    /// One request, checked; its latency is recorded.
    void once(Tally& t) const {
        const auto start = Clock::now();
        const coap::Response r =
            coap::request(options_.device, coap::Method::post, "short-execution", payload_, 5000);
        t.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (!r.error.empty()) {
            ++t.lost;
            if (t.first_problem.empty()) t.first_problem = "no response: " + r.error;
        } else if (r.code != 204 || r.text() != expected_) {
            ++t.wrong;
            if (t.first_problem.empty()) t.first_problem = coap::code_text(r.code) + " " + r.text();
        } else {
            ++t.ok;
        }
    }

private:
    const Options& options_;
    std::vector<std::uint8_t> payload_;
    std::string expected_;
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

std::string fixed(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

struct Phase {
    std::string name;
    Tally tally;
    double seconds = 0;
    [[nodiscard]] double rate() const {
        return seconds > 0 ? static_cast<double>(tally.total()) / seconds : 0;
    }
    [[nodiscard]] std::string line() const {
        return name + ": " + std::to_string(tally.total()) + " requests, " + std::to_string(tally.ok) +
               " ok, " + std::to_string(tally.wrong) + " wrong, " + std::to_string(tally.lost) + " lost in " +
               fixed(seconds, 2) + " s: " + fixed(rate(), 0) + " requests/s (latency median " +
               fixed(percentile(tally.latencies_ms, 0.5), 2) + " ms, p99 " +
               fixed(percentile(tally.latencies_ms, 0.99), 2) + " ms)";
    }
};

Phase sequential(const Options& o) {
    const Client client(o);
    Phase p{"sequential", {}, 0};
    const auto start = Clock::now();
    for (unsigned i = 0; i < o.requests; ++i) client.once(p.tally);
    p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return p;
}

Phase concurrent(const Options& o) {
    const Client client(o);
    Phase p{std::to_string(o.clients) + " concurrent clients", {}, 0};
    std::mutex mutex;
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    const auto deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
    for (unsigned c = 0; c < o.clients; ++c) {
        threads.emplace_back([&] {
            Tally mine;
            while (Clock::now() < deadline) client.once(mine);
            const std::lock_guard<std::mutex> lock(mutex);
            p.tally.add(mine);
        });
    }
    for (std::thread& t : threads) t.join();
    p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return p;
}

std::string markdown(const Options& o, const Phase& seq, const Phase& conc) {
    std::ostringstream s;
    s << "## Device simulator under load (CoAP over loopback)\n\n"
      << "`ubpf_deploy_load` against `ubpf-device` (" << UBPF_BUILD_DESCRIPTION << " build) on 127.0.0.1: "
      << "`POST /short-execution` running " << o.program
      << (o.jit ? " as JIT code on the emulated Cortex-M4" : " with the interpreter")
      << ", every response checked "
      << "(2.04, `{\"result\": " << o.expect << "}`). Each request opens its own libcoap context and "
      << "session, as `ubpf exec` does. The device answers on one thread (libcoap's loop), so concurrent "
      << "clients queue, and on this machine (" << std::thread::hardware_concurrency()
      << " cores) they compete with the device for the CPU. Regenerate with `tests/deploy/load_test.sh` "
      << "(see its header).\n\n"
      << "| phase | requests | ok | wrong | lost | seconds | requests/s | median ms | p99 ms |\n"
      << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const Phase* p : {&seq, &conc})
        s << "| " << p->name << " | " << p->tally.total() << " | " << p->tally.ok << " | " << p->tally.wrong
          << " | " << p->tally.lost << " | " << fixed(p->seconds, 2) << " | " << fixed(p->rate(), 0) << " | "
          << fixed(percentile(p->tally.latencies_ms, 0.5), 2) << " | "
          << fixed(percentile(p->tally.latencies_ms, 0.99), 2) << " |\n";
    s << "\n";
    return s.str();
}

unsigned long long number(const std::string& text, const std::string& what) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 0);
    if (text.empty() || *end != '\0') throw std::runtime_error(what + ": bad number '" + text + "'");
    return v;
}

Options parse(int argc, char** argv) {
    Options o;
    bool have_device = false, have_expect = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--device") {
            const std::string uri = value();
            const auto e = coap::parse_uri(uri);
            if (!e) throw std::runtime_error("--device needs coap://HOST:PORT, not '" + uri + "'");
            o.device = *e;
            have_device = true;
        } else if (a == "--slot") {
            o.slot = static_cast<unsigned>(number(value(), a));
        } else if (a == "--expect") {
            const std::string v = value();
            char* end = nullptr;
            o.expect = std::strtoll(v.c_str(), &end, 0);
            if (v.empty() || *end != '\0') throw std::runtime_error("--expect: bad number '" + v + "'");
            have_expect = true;
        } else if (a == "--requests") {
            o.requests = static_cast<unsigned>(number(value(), a));
        } else if (a == "--clients") {
            o.clients = static_cast<unsigned>(number(value(), a));
        } else if (a == "--seconds") {
            o.seconds = std::strtod(value().c_str(), nullptr);
        } else if (a == "--jit") {
            o.jit = true;
        } else if (a == "--markdown") {
            o.markdown = value();
        } else if (a == "--program") {
            o.program = value();
        } else {
            throw std::runtime_error(
                "unknown option '" + a +
                "'\nusage: ubpf_deploy_load --device coap://HOST:PORT --slot S --expect N [--jit] "
                "[--requests 500] [--clients 4] [--seconds 3] [--markdown FILE] "
                "[--program NAME]");
        }
    }
    if (!have_device || !have_expect) throw std::runtime_error("--device and --expect are required");
    if (o.clients == 0 || o.seconds <= 0)
        throw std::runtime_error("--clients and --seconds must be positive");
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Options o = parse(argc, argv);
        if (o.jit) {  // the slot's JIT code, compiled by this request for the ones after it
            Tally first;
            Client(o, true).once(first);
            if (first.ok != 1) {
                std::cerr << "error: the request that compiles the JIT code failed: " << first.first_problem
                          << "\n";
                return 1;
            }
        }
        const Phase seq = sequential(o);
        std::cout << seq.line() << std::endl;
        const Phase conc = concurrent(o);
        std::cout << conc.line() << std::endl;
        bool ok = true;
        for (const Phase* p : {&seq, &conc}) {
            if (p->tally.wrong + p->tally.lost != 0) {
                std::cerr << "error: " << p->name << ": " << p->tally.wrong << " wrong and " << p->tally.lost
                          << " lost responses; first: " << p->tally.first_problem << "\n";
                ok = false;
            }
        }
        if (seq.tally.total() != o.requests) {
            std::cerr << "error: sent " << seq.tally.total() << " sequential requests, not " << o.requests
                      << "\n";
            ok = false;
        }
        if (conc.tally.ok == 0) {
            std::cerr << "error: no concurrent request succeeded\n";
            ok = false;
        }
        if (ok && !o.markdown.empty()) {
            if (!bench::write_section(o.markdown, "deploy-load", markdown(o, seq, conc))) {
                std::cerr << "error: cannot write " << o.markdown << "\n";
                return 1;
            }
            std::cout << "wrote the deploy-load section of " << o.markdown << "\n";
        }
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "ubpf_deploy_load: " << e.what() << "\n";
        return 1;
    }
}
