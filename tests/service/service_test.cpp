// SPDX-License-Identifier: MIT
// The device service: every wire format decoded from hand-made payloads (expected values worked
// out from seed-reference.md §1.7-§1.8, not from the encoders), each malformed payload with its
// error, and the slot rules, stores, workers, stop and helper access modes on a host platform
// with real threads.
#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <ubpf/host/assembler.hpp>
#include <ubpf/host/packer.hpp>
#include <ubpf/service/service.hpp>

namespace {

using namespace ubpf::service;
using ubpf::ErrorCode;
using ubpf::Format;

std::string_view sv(std::span<char> out, std::size_t n) {
    return {out.data(), n};
}

// --- wire formats ------------------------------------------------------------------------------

TEST_CASE("configuration word: each field at the bits the seed gives it") {
    // bit 0 target, 1-4 slot, 5-6 layout, 7-8 verification time, 9 list source, 10 jit, 11 compile
    auto c = VmConfig::decode(0x0001);
    REQUIRE(c);
    CHECK(c->target == VmTarget::femto_container);
    CHECK(c->slot == 0);
    c = VmConfig::decode(0x001e);  // slot 15
    REQUIRE(c);
    CHECK(c->slot == 15);
    CHECK(c->target == VmTarget::rbpf);
    c = VmConfig::decode(0x0060);
    CHECK(c->format == Format::elf);
    c = VmConfig::decode(0x0040);
    CHECK(c->format == Format::extended);
    c = VmConfig::decode(0x0180);
    CHECK(c->check == HelperCheck::runtime);
    c = VmConfig::decode(0x0080);
    CHECK(c->check == HelperCheck::load_time);
    c = VmConfig::decode(0x0200);
    CHECK(c->source == HelperSource::binary_metadata);
    c = VmConfig::decode(0x0400);
    CHECK((c->jit && !c->jit_compile));
    c = VmConfig::decode(0x0800);
    CHECK((!c->jit && c->jit_compile));
    CHECK(VmConfig::decode(0x1000).error() == Errc::config_reserved_bits);
    CHECK(VmConfig::decode(0x8000).error() == Errc::config_reserved_bits);
}

TEST_CASE("execute request: %04x word then %02x per helper") {
    // slot 1 (bit 1), extended (2 << 5), jit + compile: 0x0002 | 0x0040 | 0x0c00 = 0x0c42
    const auto r = decode_execute(std::string_view{"0c42011013"});
    REQUIRE(r);
    CHECK(r->config.slot == 1);
    CHECK(r->config.format == Format::extended);
    CHECK(r->config.jit);
    CHECK(r->config.jit_compile);
    REQUIRE(r->helpers.count == 3);
    CHECK(r->helpers.ids[0] == 0x01);
    CHECK(r->helpers.ids[1] == 0x10);
    CHECK(r->helpers.ids[2] == 0x13);
    CHECK(r->helpers.policy().allows(0x10));
    CHECK_FALSE(r->helpers.policy().allows(0x11));

    const auto upper = decode_execute(std::string_view{"0C42"});
    REQUIRE(upper);
    CHECK(upper->config.encode() == 0x0c42);

    char buf[16];
    CHECK(sv(buf, encode_execute(*r, buf)) == "0c42011013");
    ExecuteRequest plain;
    CHECK(sv(buf, encode_execute(plain, buf)) == "0000");
    char tiny[3];
    CHECK(encode_execute(plain, tiny) == 0);
}

TEST_CASE("execute request: each malformed payload has its error") {
    CHECK(decode_execute(std::string_view{""}).error() == Errc::empty_payload);
    CHECK(decode_execute(std::string_view{"0c4"}).error() == Errc::config_too_short);
    CHECK(decode_execute(std::string_view{"0g42"}).error() == Errc::bad_hex_digit);
    CHECK(decode_execute(std::string_view{"f000"}).error() == Errc::config_reserved_bits);
    CHECK(decode_execute(std::string_view{"00000"}).error() == Errc::odd_helper_list);
    CHECK(decode_execute(std::string_view{"00000z"}).error() == Errc::bad_hex_digit);
    CHECK(decode_execute(std::string_view{"0000 1"}).error() == Errc::bad_hex_digit);
    CHECK(decode_execute("0000" + std::string(2 * 65, '1')).error() == Errc::payload_too_long);
    CHECK(decode_execute("0000" + std::string(2 * 64, '1')).ok());
}

TEST_CASE("pull request: the seed's 6 fields and its URL") {
    // From seed-reference §3: "fe80...|suit_manifest0.signed|6|2|0102|0"; config "2" = slot 1.
    const std::string payload = "fe801234567890abcdef|suit_manifest0.signed|6|2|0102|0";
    const auto r = decode_pull(std::string_view{payload});
    REQUIRE(r);
    CHECK(r->address == "fe801234567890abcdef");
    CHECK(r->manifest == "suit_manifest0.signed");
    CHECK(r->netif == 6);
    CHECK(r->config.slot == 1);
    CHECK(r->config.format == Format::text);
    REQUIRE(r->helpers.count == 2);
    CHECK(r->helpers.ids[0] == 1);
    CHECK(r->helpers.ids[1] == 2);
    CHECK_FALSE(r->erase);

    char url[128];
    const auto n = manifest_url(*r, url);
    REQUIRE(n);
    CHECK(sv(url, *n) == "coap://[fe80::1234:5678:90ab:cdef%6]/suit_manifest0.signed");
    CHECK(url[*n] == '\0');

    char buf[128];
    CHECK(sv(buf, encode_pull(*r, buf)) == payload);

    // The word in lowercase hex without padding: extended (0x40) + load time (0x80) = "c0".
    PullRequest p = *r;
    p.config = VmConfig{};
    p.config.format = Format::extended;
    p.config.check = HelperCheck::load_time;
    p.erase = true;
    p.helpers = {};
    CHECK(sv(buf, encode_pull(p, buf)) == "fe801234567890abcdef|suit_manifest0.signed|6|c0||1");

    char addr[40];
    CHECK(sv(addr, seed_address("fe80::1234:5678:90ab:cdef", addr)) == "fe801234567890abcdef");
}

TEST_CASE("pull request: extensions for other addresses and whole URLs") {
    auto r = decode_pull(std::string_view{"::1|m.signed|0|0||1"});
    REQUIRE(r);
    char url[64];
    auto n = manifest_url(*r, url);
    REQUIRE(n);
    CHECK(sv(url, *n) == "coap://[::1]/m.signed");
    CHECK(r->erase);

    r = decode_pull(std::string_view{"|coap://[::1]:5684/suit_manifest3.signed|0|6||0"});
    REQUIRE(r);
    n = manifest_url(*r, url);
    REQUIRE(n);
    CHECK(sv(url, *n) == "coap://[::1]:5684/suit_manifest3.signed");
    CHECK(r->config.slot == 3);
}

TEST_CASE("pull request: each malformed payload has its error") {
    CHECK(decode_pull(std::string_view{""}).error() == Errc::empty_payload);
    CHECK(decode_pull(std::string_view{"fe801234|m|6|2|01"}).error() == Errc::pull_field_count);
    CHECK(decode_pull(std::string_view{"fe801234|m|6|2|01|0|"}).error() == Errc::pull_field_count);
    CHECK(decode_pull(std::string_view{"fe80123|m|6|2|01|0"}).error() == Errc::pull_bad_address);
    CHECK(decode_pull(std::string_view{"fe80|m|6|2|01|0"}).error() == Errc::pull_bad_address);
    CHECK(decode_pull(std::string_view{"fe80123x|m|6|2|01|0"}).error() == Errc::pull_bad_address);
    CHECK(decode_pull(std::string_view{"|m|6|2|01|0"}).error() == Errc::pull_bad_address);
    CHECK(decode_pull(std::string_view{"fe801234||6|2|01|0"}).error() == Errc::pull_bad_manifest);
    CHECK(decode_pull(std::string_view{"fe801234|a b|6|2|01|0"}).error() == Errc::pull_bad_manifest);
    CHECK(decode_pull(std::string_view{"fe801234|m|x|2|01|0"}).error() == Errc::pull_bad_netif);
    CHECK(decode_pull(std::string_view{"fe801234|m||2|01|0"}).error() == Errc::pull_bad_netif);
    CHECK(decode_pull(std::string_view{"fe801234|m|70000|2|01|0"}).error() == Errc::pull_bad_netif);
    CHECK(decode_pull(std::string_view{"fe801234|m|6||01|0"}).error() == Errc::config_too_short);
    CHECK(decode_pull(std::string_view{"fe801234|m|6|00002|01|0"}).error() == Errc::config_too_long);
    CHECK(decode_pull(std::string_view{"fe801234|m|6|2q|01|0"}).error() == Errc::bad_hex_digit);
    CHECK(decode_pull(std::string_view{"fe801234|m|6|1000|01|0"}).error() == Errc::config_reserved_bits);
    CHECK(decode_pull(std::string_view{"fe801234|m|6|2|010|0"}).error() == Errc::odd_helper_list);
    CHECK(decode_pull(std::string_view{"fe801234|m|6|2|01|2"}).error() == Errc::pull_bad_erase);
    CHECK(decode_pull(std::string_view{"fe801234|m|6|2|01|"}).error() == Errc::pull_bad_erase);
    CHECK(decode_pull(std::string(600, '1')).error() == Errc::payload_too_long);

    // A URL longer than the buffer is refused, not overflowed (the seed's char[70]).
    const std::string long_pull = "fe801234|" + std::string(80, 'm') + "|6|2||0";
    const auto r = decode_pull(std::string_view{long_pull});
    REQUIRE(r);
    char url[70];
    CHECK(manifest_url(*r, url).error() == Errc::url_too_long);
}

TEST_CASE("stop request and the JSON responses") {
    CHECK(*decode_stop(std::string_view{"3"}) == 3);
    CHECK(*decode_stop(std::string_view{"15"}) == 15);
    CHECK(decode_stop(std::string_view{""}).error() == Errc::empty_payload);
    CHECK(decode_stop(std::string_view{"-1"}).error() == Errc::bad_slot_number);
    CHECK(decode_stop(std::string_view{"256"}).error() == Errc::bad_slot_number);
    CHECK(decode_stop(std::string_view{"1 "}).error() == Errc::bad_slot_number);

    char buf[128];
    CHECK(sv(buf, encode_result(-5, buf)) == R"({"result": -5})");
    CHECK(sv(buf, encode_result(INT64_MIN, buf)) == R"({"result": -9223372036854775808})");
    CHECK(*decode_result(R"({"result": 42})") == 42);
    CHECK(*decode_result(R"( { "result" :-7 } )") == -7);
    CHECK(decode_result(R"({"result": })").error() == Errc::bad_json);
    CHECK(decode_result(R"({"result": 1} x)").error() == Errc::bad_json);
    CHECK(decode_result(R"({"result": 99999999999999999999})").error() == Errc::bad_json);

    const Timings t{100, 2, 3, 95, 512, 7};
    CHECK(sv(buf, encode_timings(t, buf)) ==
          R"({"total": 100, "load": 2, "verif": 3, "exec": 95,"prog": 512, "result": 7})");
    CHECK(*decode_timings(R"({"total": 100, "load": 2, "verif": 3, "exec": 95,"prog": 512, "result": 7})") ==
          t);
    CHECK(decode_timings(R"({"total": 100, "load": 2})").error() == Errc::bad_json);

    const bool busy[] = {true, false, false, false};
    CHECK(sv(buf, encode_running(busy, buf)) == "[true, false, false, false]");

    Status s;
    s.worker_count = 2;
    s.workers = {-1, 1};
    s.slot_count = 3;
    s.slots = {SlotState::free, SlotState::running, SlotState::occupied};
    s.pull = PullState::failed;
    s.pull_error = Errc::verify_failed;
    const std::string_view json =
        R"({"workers": [-1, 1], "slots": "FRO", "pull": "failed", "error": "verify_failed"})";
    CHECK(sv(buf, encode_status(s, buf)) == json);
    CHECK(*decode_status(json) == s);
    CHECK(decode_status(R"({"workers": [], "slots": "", "pull": "idle"})").ok());
    CHECK(decode_status(R"({"workers": [], "slots": "X", "pull": "idle"})").error() == Errc::bad_json);
    CHECK(decode_status(R"({"workers": [], "slots": "", "pull": "busy"})").error() == Errc::bad_json);
}

// --- the service on a host platform ------------------------------------------------------------

constexpr Config kCfg{.slots = 3,
                      .slot_size = 1024,
                      .jit_size = 1024,
                      .workers = 2,
                      .local_store = 4,
                      .global_store = 4,
                      .short_budget = 100'000,
                      .long_budget = 50'000'000};

class HostPlatform final : public Platform<kCfg.vm> {
public:
    ~HostPlatform() {
        for (auto& t : threads)
            if (t.joinable()) t.join();
    }
    void lock() noexcept override { mutex.lock(); }
    void unlock() noexcept override { mutex.unlock(); }
    bool start_worker(std::size_t worker) noexcept override {
        if (!workers_start) return false;
        threads.emplace_back([this, worker] { service->run_worker(worker); });
        return true;
    }
    bool start_fetch(const char* url, std::size_t slot) noexcept override {
        fetches.emplace_back(url, slot);
        return true;
    }
    std::span<const std::uint8_t> fetched_image(std::size_t slot) noexcept override { return storage[slot]; }
    void code_written(std::span<const std::uint8_t> code) noexcept override {
        synced_bytes += code.size();
        last_code.assign(code.begin(), code.end());
    }
    std::uint32_t blinding_seed() noexcept override { return next_seed++; }
    ubpf::Result<ubpf::Outcome> run_jit(const ubpf::VerifiedProgram<kCfg.vm>& program,
                                        std::span<const std::uint8_t> code, ubpf::jit::Compiled,
                                        const ubpf::Execution& exec,
                                        const std::atomic<bool>&) noexcept override {
        // The host cannot run Thumb code natively; the interpreter stands in (same semantics).
        ++jit_runs;
        if (code.empty()) return ubpf::Error{ErrorCode::no_program, 0};
        return ubpf::Interpreter<kCfg.vm>::run(program, exec);
    }
    [[nodiscard]] bool has_jit() const noexcept override { return true; }

    std::mutex mutex;
    std::vector<std::thread> threads;
    std::vector<std::pair<std::string, std::size_t>> fetches;
    std::map<std::size_t, std::vector<std::uint8_t>> storage;
    Service<kCfg>* service = nullptr;
    bool workers_start = true;
    int jit_runs = 0;
    std::size_t synced_bytes = 0;
    std::vector<std::uint8_t> last_code;
    std::uint32_t next_seed = 100;
};

/// A service of configuration Cfg on a HostPlatform (whose workers run only for kCfg's).
template <Config Cfg>
struct BasicFixture {
    HostPlatform platform;
    std::unique_ptr<Memory<Cfg>> memory = std::make_unique<Memory<Cfg>>();
    Service<Cfg> service{platform, *memory};
    char out[256] = {};
    BasicFixture() {
        if constexpr (std::is_same_v<Service<Cfg>, Service<kCfg>>) platform.service = &service;
    }

    Response exec(std::uint16_t word, std::vector<std::uint8_t> helpers = {},
                  Model model = Model::short_lived) {
        ExecuteRequest r;
        r.config = *VmConfig::decode(word);
        for (auto id : helpers) r.helpers.push(id);
        return service.handle_execute(r, model, nullptr, out);
    }
    std::string_view text(const Response& r) const { return {out, r.length}; }
};
using Fixture = BasicFixture<kCfg>;

std::vector<std::uint8_t> assemble(const char* source) {
    const auto a = ubpf::host::assemble(source);
    REQUIRE(a.ok());
    std::vector<std::uint8_t> bytes(a.code.size() * 8);
    std::memcpy(bytes.data(), a.code.data(), bytes.size());
    return bytes;
}

VmConfig text_config(std::uint8_t slot) {
    VmConfig c;
    c.slot = slot;
    return c;
}

std::vector<std::uint8_t> packed(const char* name, Format format) {
    const std::filesystem::path path =
        std::filesystem::path(UBPF_PROGRAM_OBJECTS_DIR) / "v3" / (std::string(name) + ".o");
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    const std::vector<std::uint8_t> object{std::istreambuf_iterator<char>(in), {}};
    ubpf::host::PackOptions options;
    options.format = format;
    return ubpf::host::pack(object, options);
}

bool wait_for(const std::function<bool()>& done) {
    for (int i = 0; i < 500; ++i) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

TEST_CASE("service: a loaded program runs and answers {\"result\": n}") {
    Fixture f;
    CHECK(f.exec(0x0000).failure.code == Errc::slot_empty);
    REQUIRE(f.service.install(0, assemble("mov %r0, -3\nexit"), text_config(0), {}, false).code ==
            Errc::none);
    const Response r = f.exec(0x0000);
    CHECK(r.code == coap::kChanged);
    CHECK(r.format == coap::kFormatJson);
    CHECK(f.text(r) == R"({"result": -3})");
    CHECK(f.service.slot_state(0) == SlotState::occupied);
    CHECK(f.exec(0x0002 * 7).failure.code == Errc::slot_out_of_range);  // slot 7 of 3
}

TEST_CASE("service: overwrite protection, erase flag, failed loads keep the old program") {
    Fixture f;
    REQUIRE(f.service.install(1, assemble("mov %r0, 1\nexit"), text_config(1), {}, false).code == Errc::none);
    CHECK(f.service.install(1, assemble("mov %r0, 2\nexit"), text_config(1), {}, false).code ==
          Errc::slot_occupied);
    CHECK(f.text(f.exec(0x0002)) == R"({"result": 1})");

    // Bad input of every kind, each with the erase flag: the slot keeps program 1.
    const Failure not_multiple =
        f.service.install(1, std::vector<std::uint8_t>(12, 0), text_config(1), {}, true);
    CHECK(not_multiple.code == Errc::load_failed);
    const Failure bad = f.service.install(1, assemble("ja +5\nexit"), text_config(1), {}, true);
    CHECK(bad.code == Errc::verify_failed);
    CHECK(bad.cause.code == ErrorCode::jump_out_of_bounds);
    CHECK(f.service.install(1, std::vector<std::uint8_t>(2048, 0), text_config(1), {}, true).code ==
          Errc::image_too_large);
    VmConfig fc = text_config(1);
    fc.format = Format::femto_containers;
    CHECK(f.service.install(1, assemble("mov %r0, 9\nexit"), fc, {}, true).code == Errc::load_failed);
    CHECK(f.text(f.exec(0x0002)) == R"({"result": 1})");

    REQUIRE(f.service.install(1, assemble("mov %r0, 2\nexit"), text_config(1), {}, true).code == Errc::none);
    CHECK(f.text(f.exec(0x0002)) == R"({"result": 2})");
    // The other slots were never touched.
    CHECK(f.service.slot_state(0) == SlotState::free);
    CHECK(f.service.slot_state(2) == SlotState::free);
}

TEST_CASE("service: program faults are error responses and the slot still runs") {
    Fixture f;
    REQUIRE(
        f.service.install(0, assemble("mov %r1, 0\nldxw %r0, [%r1]\nexit"), text_config(0), {}, false).code ==
        Errc::none);
    const Response r = f.exec(0x0000);
    CHECK(r.code == coap::kInternalError);
    CHECK(r.failure.code == Errc::program_failed);
    CHECK(r.failure.cause.code == ErrorCode::out_of_bounds_load);
    CHECK(f.text(r) == "program failed: load outside the program's readable memory (pc 1)");
    CHECK(f.service.slot_state(0) == SlotState::occupied);

    REQUIRE(f.service.install(2, assemble("loop:\nja loop\nexit"), text_config(2), {}, false).code ==
            Errc::none);
    const Response loop = f.exec(0x0004);
    CHECK(loop.failure.cause.code == ErrorCode::budget_exhausted);
    CHECK(f.service.last_run(2).failure.code == Errc::program_failed);
    CHECK(f.service.slot_state(2) == SlotState::occupied);
}

TEST_CASE("service: local stores per slot, one global store of fixed capacity") {
    Fixture f;
    // store_local(5, 70 + slot), store_global(slot, 7); return fetch_local(5)
    const auto program = [](int slot) {
        const std::string s = "mov %r1, 5\nmov %r2, " + std::to_string(70 + slot) +
                              "\ncall 0x10\n"
                              "mov %r1, " +
                              std::to_string(slot) +
                              "\nmov %r2, 7\ncall 0x11\nmov %r6, %r0\n"
                              "mov %r1, 5\nmov %r2, %r10\nsub %r2, 8\ncall 0x12\nldxw %r0, [%r10-8]\n"
                              "lsh %r6, 32\nor %r0, %r6\nexit";
        return assemble(s.c_str());
    };
    const std::vector<std::uint8_t> ids{0x10, 0x11, 0x12};
    for (std::uint8_t slot = 0; slot < 3; ++slot)
        REQUIRE(f.service.install(slot, program(slot), text_config(slot), {}, false).code == Errc::none);
    CHECK(f.text(f.exec(0x0000, ids)) == R"({"result": 70})");
    CHECK(f.text(f.exec(0x0002, ids)) == R"({"result": 71})");
    CHECK(f.service.local_store(0).fetch(5) == 70u);
    CHECK(f.service.local_store(1).fetch(5) == 71u);
    CHECK(f.service.global_store().size() == 2);
    // Fill the global store (capacity 4): store_global returns -1 once full, in the high word.
    f.service.global_store().store(100, 1);
    f.service.global_store().store(101, 1);
    CHECK(f.text(f.exec(0x0004, ids)) == R"({"result": -4294967224})");  // -1 << 32 | 72

    // A reload clears the slot's local store, as the seed does.
    REQUIRE(f.service.install(0, assemble("mov %r0, 0\nexit"), text_config(0), {}, true).code == Errc::none);
    CHECK_FALSE(f.service.local_store(0).fetch(5).has_value());
    CHECK(f.service.global_store().fetch(0) == 7u);
}

TEST_CASE("service: helper access from the request, the image, and at load time") {
    Fixture f;
    // jit_helper_call.c calls store_global (0x11) and fetch_global (0x13) and returns 1000.
    const std::vector<std::uint8_t> image = packed("jit_helper_call", Format::extended);
    VmConfig ext;
    ext.slot = 0;
    ext.format = Format::extended;
    REQUIRE(f.service.install(0, image, ext, {}, false).code == Errc::none);

    const std::uint16_t word = 0x0040;  // slot 0, extended, list from the request
    Response r = f.exec(word, {});
    CHECK(r.failure.code == Errc::verify_failed);
    CHECK(r.failure.cause.code == ErrorCode::helper_not_allowed);
    CHECK(f.exec(word, {0x11}).failure.cause.code == ErrorCode::helper_not_allowed);
    CHECK(f.text(f.exec(word, {0x11, 0x13})) == R"({"result": 1000})");
    // From the image's own list (bit 9): the request's list does not matter.
    CHECK(f.text(f.exec(word | 0x0200, {})) == R"({"result": 1000})");

    // A bare-text image has no list to take.
    REQUIRE(f.service.install(1, assemble("mov %r0, 0\nexit"), text_config(1), {}, false).code == Errc::none);
    CHECK(f.exec(0x0002 | 0x0200).failure.code == Errc::no_helper_list);

    // Load time (bits 7-8 = 1): a program calling a helper outside the list is not loaded and
    // the slot keeps what it had.
    VmConfig load_time = ext;
    load_time.check = HelperCheck::load_time;
    HelperList only_store;
    only_store.push(0x11);
    CHECK(f.service.install(0, image, load_time, only_store, true).cause.code ==
          ErrorCode::helper_not_allowed);
    only_store.push(0x13);
    CHECK(f.service.install(0, image, load_time, only_store, true).code == Errc::none);
    load_time.source = HelperSource::binary_metadata;
    CHECK(f.service.install(0, image, load_time, {}, true).code == Errc::none);
    VmConfig text_load = text_config(1);
    text_load.check = HelperCheck::load_time;
    text_load.source = HelperSource::binary_metadata;
    CHECK(f.service.install(1, assemble("mov %r0, 0\nexit"), text_load, {}, true).code ==
          Errc::no_helper_list);
}

TEST_CASE("service: JIT code is compiled once per slot and reused") {
    Fixture f;
    REQUIRE(f.service.install(0, assemble("mov %r0, 5\nadd %r0, 6\nexit"), text_config(0), {}, false).code ==
            Errc::none);
    CHECK(f.exec(0x0400).failure.code == Errc::jit_not_compiled);  // reuse before any compile
    CHECK(f.text(f.exec(0x0c00)) == R"({"result": 11})");
    CHECK(f.platform.synced_bytes > 0);
    const std::size_t synced = f.platform.synced_bytes;
    CHECK(f.text(f.exec(0x0400)) == R"({"result": 11})");
    CHECK(f.platform.synced_bytes == synced);  // nothing compiled again
    CHECK(f.platform.jit_runs == 2);
    // A new program drops the old code.
    REQUIRE(f.service.install(0, assemble("mov %r0, 1\nexit"), text_config(0), {}, true).code == Errc::none);
    CHECK(f.exec(0x0400).failure.code == Errc::jit_not_compiled);
}

TEST_CASE("service: the configuration's JIT options reach the compiler") {
    // A loop whose loads step through the stack: with version_loops its code gets a second copy.
    // (r10 - r9: from a constant, r10 - 64 would be known to be below 2^32, and its upper half,
    // never read, could not be the range check's.)
    constexpr Config kVersioned = [] {
        Config c = kCfg;
        c.jit_options.version_loops = true;
        return c;
    }();
    const char* source =
        "mov %r0, 0\nmov %r9, 64\nmov %r7, %r10\nsub %r7, %r9\nmov %r8, 16\nl:\nldxb %r4, [%r7+0]\nadd %r0, "
        "%r4\n"
        "add %r7, 1\nadd %r8, -1\njne %r8, 0, l\nexit";
    const auto assembled = ubpf::host::assemble(source);
    REQUIRE(assembled.ok());
    const auto verified = ubpf::verify<kCfg.vm>({assembled.code}, {});
    REQUIRE(verified);
    alignas(8) std::array<std::uint8_t, kCfg.jit_size> buffer{};
    const auto plain = ubpf::jit::Compiler<kCfg.vm>::compile(*verified, buffer);
    const auto versioned =
        ubpf::jit::Compiler<kCfg.vm>::compile(*verified, buffer, {}, {.version_loops = true});
    REQUIRE(plain);
    REQUIRE(versioned);
    REQUIRE(versioned->size > plain->size);

    BasicFixture<kVersioned> v;
    REQUIRE(v.service.install(0, assemble(source), text_config(0), {}, false).code == Errc::none);
    CHECK(v.exec(0x0c00).failure.code == Errc::none);   // slot 0, JIT, compile
    CHECK(v.platform.synced_bytes == versioned->size);  // the code written is the versioned one
    // The default configuration compiles without the option.
    Fixture f;
    REQUIRE(f.service.install(0, assemble(source), text_config(0), {}, false).code == Errc::none);
    CHECK(f.exec(0x0c00).failure.code == Errc::none);
    CHECK(f.platform.synced_bytes == plain->size);
}

TEST_CASE("service: constants are blinded with a new seed from the platform for each compilation") {
    constexpr Config kBlinded = [] {
        Config c = kCfg;
        c.jit_options.blind_constants = true;
        return c;
    }();
    const char* source = "mov32 %r0, 0x12345678\nadd %r0, 0x7000\nexit";
    const auto assembled = ubpf::host::assemble(source);
    REQUIRE(assembled.ok());
    const auto verified = ubpf::verify<kCfg.vm>({assembled.code}, {});
    REQUIRE(verified);
    // The code the compiler gives for a seed, to compare the service's with.
    const auto code_for = [&](std::uint32_t seed) {
        alignas(8) std::array<std::uint8_t, kCfg.jit_size> buffer{};
        const auto c = ubpf::jit::Compiler<kCfg.vm>::compile(
            *verified, buffer, {}, {.blind_constants = true, .blinding_seed = seed});
        REQUIRE(c);
        return std::vector<std::uint8_t>(buffer.begin(), buffer.begin() + c->size);
    };

    BasicFixture<kBlinded> b;
    REQUIRE(b.service.install(0, assemble(source), text_config(0), {}, false).code == Errc::none);
    REQUIRE(b.exec(0x0c00).failure.code == Errc::none);  // slot 0, JIT, compile
    CHECK(b.platform.last_code == code_for(100));
    REQUIRE(b.exec(0x0c00).failure.code == Errc::none);
    CHECK(b.platform.last_code == code_for(101));
    CHECK(code_for(100) != code_for(101));
    // The default configuration asks for no seed.
    Fixture f;
    REQUIRE(f.service.install(0, assemble(source), text_config(0), {}, false).code == Errc::none);
    CHECK(f.exec(0x0c00).failure.code == Errc::none);
    CHECK(f.platform.next_seed == 100);
}

TEST_CASE("service: long-running programs on workers; running slots are protected; stop") {
    Fixture f;
    // Loops forever calling store_local: stops at the helper call after the stop request.
    REQUIRE(f.service
                .install(1,
                         assemble("mov %r6, 0\nloop:\nadd %r6, 1\nmov %r1, 1\nmov %r2, %r6\n"
                                  "call 0x10\nja loop\nexit"),
                         text_config(1), {}, false)
                .code == Errc::none);
    REQUIRE(f.service.install(0, assemble("mov %r0, 7\nexit"), text_config(0), {}, false).code == Errc::none);

    Response r = f.exec(0x0002, {0x10}, Model::long_running);
    CHECK(r.code == coap::kChanged);
    CHECK(f.text(r) == "VM Execution request sent successfully!");
    REQUIRE(wait_for([&] { return f.service.local_store(1).fetch(1).value_or(0) > 10; }));

    Status s = f.service.status();
    CHECK(s.slots[1] == SlotState::running);
    CHECK(s.workers[0] == 1);
    CHECK(s.workers[1] == -1);
    r = f.service.handle_running(f.out);
    CHECK(f.text(r) == "[true, false]");

    // A running slot is neither loaded over (even with erase) nor run a second time.
    CHECK(f.service.install(1, assemble("mov %r0, 0\nexit"), text_config(1), {}, true).code ==
          Errc::slot_running);
    CHECK(f.exec(0x0002, {0x10}).failure.code == Errc::slot_running);
    CHECK(f.exec(0x0002, {0x10}, Model::long_running).failure.code == Errc::slot_running);
    // Other slots keep serving meanwhile.
    CHECK(f.text(f.exec(0x0000)) == R"({"result": 7})");

    CHECK(f.service.handle_stop(0, f.out).failure.code == Errc::not_running);
    CHECK(f.service.handle_stop(9, f.out).failure.code == Errc::slot_out_of_range);
    r = f.service.handle_stop(1, f.out);
    CHECK(r.code == coap::kChanged);
    REQUIRE(wait_for([&] { return f.service.slot_state(1) == SlotState::occupied; }));
    CHECK(f.service.last_run(1).failure.code == Errc::stopped);
    s = f.service.status();
    CHECK(s.workers[0] == -1);
    // After the stop, the slot can be replaced and run again.
    REQUIRE(f.service.install(1, assemble("mov %r0, 8\nexit"), text_config(1), {}, true).code == Errc::none);
    CHECK(f.text(f.exec(0x0002)) == R"({"result": 8})");
}

TEST_CASE("service: a long-running loop that calls no helper stops too") {
    Fixture f;
    // No helper call to look at the stop flag: the interpreter's own check must end it.
    REQUIRE(
        f.service
            .install(1, assemble("mov %r6, 0\nloop:\nadd %r6, 1\nja loop\nexit"), text_config(1), {}, false)
            .code == Errc::none);
    CHECK(f.exec(0x0002, {}, Model::long_running).code == coap::kChanged);
    REQUIRE(wait_for([&] { return f.service.slot_state(1) == SlotState::running; }));
    CHECK(f.service.handle_stop(1, f.out).code == coap::kChanged);
    REQUIRE(wait_for([&] { return f.service.slot_state(1) == SlotState::occupied; }));
    CHECK(f.service.last_run(1).failure.code == Errc::stopped);
    CHECK(f.service.last_run(1).failure.cause.code == ErrorCode::stopped);
}

TEST_CASE("service: no free worker, and a worker that cannot start") {
    Fixture f;
    const auto spin = assemble("loop:\nmov %r1, 1\nmov %r2, 1\ncall 0x10\nja loop\nexit");
    for (std::uint8_t slot = 0; slot < 3; ++slot)
        REQUIRE(f.service.install(slot, spin, text_config(slot), {}, false).code == Errc::none);
    CHECK(f.exec(0x0000, {0x10}, Model::long_running).code == coap::kChanged);
    CHECK(f.exec(0x0002, {0x10}, Model::long_running).code == coap::kChanged);
    const Response busy = f.exec(0x0004, {0x10}, Model::long_running);
    CHECK(busy.failure.code == Errc::no_free_worker);
    CHECK(busy.code == coap::kServiceUnavailable);
    CHECK(f.service.slot_state(2) == SlotState::occupied);
    f.service.handle_stop(0, f.out);
    f.service.handle_stop(1, f.out);
    REQUIRE(
        wait_for([&] { return f.service.status().workers[0] == -1 && f.service.status().workers[1] == -1; }));

    f.platform.workers_start = false;
    CHECK(f.exec(0x0004, {0x10}, Model::long_running).failure.code == Errc::worker_start_failed);
    CHECK(f.service.slot_state(2) == SlotState::occupied);
}

TEST_CASE("service: SUIT pull is started once, retransmissions are answered, results recorded") {
    Fixture f;
    const auto pull = decode_pull(std::string_view{"fe801234567890abcdef|suit_manifest2.signed|6|4||0"});
    REQUIRE(pull);
    Response r = f.service.handle_pull(*pull, f.out);
    CHECK(r.code == coap::kChanged);
    CHECK(f.text(r) == "SUIT pull request accepted for manifest: suit_manifest2.signed");
    REQUIRE(f.platform.fetches.size() == 1);
    CHECK(f.platform.fetches[0].first == "coap://[fe80::1234:5678:90ab:cdef%6]/suit_manifest2.signed");
    CHECK(f.platform.fetches[0].second == 2);
    CHECK(f.service.status().pull == PullState::pending);

    // A CoAP retransmission of the same request: same answer, no second fetch.
    CHECK(f.service.handle_pull(*pull, f.out).code == coap::kChanged);
    CHECK(f.platform.fetches.size() == 1);
    // A different pull while one is pending is refused.
    const auto other = decode_pull(std::string_view{"fe801234567890abcdef|suit_manifest0.signed|6|0||0"});
    CHECK(f.service.handle_pull(*other, f.out).failure.code == Errc::pull_busy);
    CHECK(f.service.install(0, assemble("mov %r0, 0\nexit"), text_config(0), {}, false).code ==
          Errc::pull_busy);

    f.platform.storage[2] = assemble("mov %r0, 22\nexit");
    CHECK(f.service.pull_done(0).code == Errc::none);
    CHECK(f.service.status().pull == PullState::loaded);
    CHECK(f.text(f.exec(0x0004)) == R"({"result": 22})");
    CHECK(f.service.pull_done(0).code == Errc::no_pull_pending);

    // Occupied slot without erase: refused before anything is fetched.
    CHECK(f.service.handle_pull(*pull, f.out).failure.code == Errc::slot_occupied);
    CHECK(f.platform.fetches.size() == 1);

    // A failed fetch (bad signature, replayed sequence number...) keeps the program.
    const auto erase = decode_pull(std::string_view{"fe801234567890abcdef|suit_manifest2.signed|6|4||1"});
    CHECK(f.service.handle_pull(*erase, f.out).code == coap::kChanged);
    CHECK(f.service.pull_done(-5).code == Errc::fetch_failed);
    Status s = f.service.status();
    CHECK(s.pull == PullState::failed);
    CHECK(s.pull_error == Errc::fetch_failed);
    CHECK(f.text(f.exec(0x0004)) == R"({"result": 22})");

    // A fetched image that does not verify keeps the program too.
    CHECK(f.service.handle_pull(*erase, f.out).code == coap::kChanged);
    f.platform.storage[2] = assemble("ja +3\nexit");
    CHECK(f.service.pull_done(0).code == Errc::verify_failed);
    CHECK(f.text(f.exec(0x0004)) == R"({"result": 22})");
    const Response st = f.service.handle_status(f.out);
    CHECK(st.format == coap::kFormatJson);
    CHECK(f.text(st) ==
          R"({"workers": [-1, -1], "slots": "FFO", "pull": "failed", "error": "verify_failed"})");
}

TEST_CASE("service: the benchmark endpoint answers the seed's timings JSON") {
    Fixture f;
    REQUIRE(f.service.install(0, assemble("mov %r0, 3\nexit"), text_config(0), {}, false).code == Errc::none);
    ExecuteRequest req;
    const Response r = f.service.handle_benchmark(req, f.out);
    REQUIRE(r.code == coap::kChanged);
    const auto t = decode_timings(f.text(r));
    REQUIRE(t);
    CHECK(t->result == 3);
    CHECK(t->prog == 16);  // two instructions
}

// A CoAP packet for the with_coap_pkt model: the program writes the response itself.
class FakePacket final : public ubpf::seed::CoapPacket {
public:
    std::span<std::uint8_t> buffer() noexcept override { return buf; }
    ubpf::seed::CoapLayout layout() noexcept override {
        return {4, 8, static_cast<std::uint16_t>(buf.size() - 8), 0};
    }
    std::optional<std::int32_t> resp_init(std::uint32_t c) noexcept override {
        code = c;
        return 0;
    }
    std::optional<std::int32_t> opt_finish(std::uint16_t) noexcept override { return 8; }
    std::array<std::uint8_t, 64> buf{};
    std::uint32_t code = 0;
};

TEST_CASE("service: a program answers the CoAP request itself") {
    Fixture f;
    // gcoap_resp_init(ctx, 69); coap_opt_finish(ctx, 1) -> 8; return 8 + 2 after writing "hi".
    REQUIRE(f.service
                .install(0,
                         assemble("mov %r6, %r1\nmov %r2, 69\ncall 0x40\nmov %r1, %r6\nmov %r2, 1\n"
                                  "call 0x41\nmov %r7, %r0\nldxdw %r3, [%r6+8]\nstb [%r3+8], 104\n"
                                  "stb [%r3+9], 105\nmov %r0, %r7\nadd %r0, 2\nexit"),
                         text_config(0), {}, false)
                .code == Errc::none);
    FakePacket packet;
    ubpf::seed::CoapExchange exchange(packet);
    ExecuteRequest req;
    req.helpers.push(0x40);
    req.helpers.push(0x41);
    const Response r = f.service.handle_execute(req, Model::with_coap_packet, &exchange, f.out);
    CHECK(r.program_pdu);
    CHECK(r.length == 10);
    CHECK(packet.code == 69);
    CHECK(packet.buf[8] == 'h');
    CHECK(packet.buf[9] == 'i');

    // A PDU length beyond the buffer is refused.
    REQUIRE(f.service.install(1, assemble("mov %r0, 65\nexit"), text_config(1), {}, false).code ==
            Errc::none);
    req.config.slot = 1;
    CHECK(f.service.handle_execute(req, Model::with_coap_packet, &exchange, f.out).failure.code ==
          Errc::bad_pdu_length);
}

}  // namespace
