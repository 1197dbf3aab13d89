// SPDX-License-Identifier: MIT
// `ubpf-device`: a simulated µBPF device on the host. A real CoAP server (libcoap3) runs the same
// service code a firmware runs (include/ubpf/service/), verifies SUIT manifests the way RIOT does
// (include/ubpf/suit/, Ed25519 and SHA-256 from libsodium), fetches images over CoAP, and gives
// programs simulated peripherals. Every request and its outcome is logged. JIT requests run as
// JIT code on an emulated Cortex-M4 (tests/m4/code_runner.hpp), with this device's helpers.
//
//   ubpf-device --listen HOST:PORT --key KEY.pub --state DIR [--board NAME] [--peripherals FILE]
//
// The state directory keeps the highest installed sequence number across restarts. The
// peripherals file sets the simulated sensors and pins, one per line:
//   saul <type> <value> <scale>      e.g. "saul 130 215 -1": a temperature sensor at 21.5 °C
//   gpio <port> <pin> <level>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <ubpf/host/suit_sodium.hpp>
#include <ubpf/service/service.hpp>
#include <ubpf/suit/manifest.hpp>

#include "coap.hpp"
#include "code_runner.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ubpf;

// A hardened device: JIT code with its constants blinded, a new seed for each compilation.
constexpr service::Config kConfig{.slots = 4,
                                  .slot_size = 16384,
                                  .jit_size = 16384,
                                  .jit_options = {.blind_constants = true},
                                  .workers = 4};

std::atomic<bool> g_stop{false};

std::string now_text() {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char buf[32];
    std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
    return buf;
}

std::mutex g_log_mutex;
void log(const std::string& line) {
    const std::lock_guard<std::mutex> lock(g_log_mutex);
    std::cout << "[" << now_text() << "] " << line << std::endl;
}

// --- Simulated peripherals ---------------------------------------------------------------------

struct Sensor {
    std::uint8_t type = 0;
    std::int16_t value = 0;
    std::int8_t scale = 0;
    std::uint32_t reads = 0;
};

class Peripherals final : public seed::Output, public seed::Clock, public seed::Saul, public seed::Gpio {
public:
    void write(const char* text, std::size_t length) noexcept override {
        std::string s(text, length);
        while (!s.empty() && s.back() == '\n') s.pop_back();
        log("program output: " + s);
    }
    std::optional<std::uint32_t> now_ms() noexcept override {
        return static_cast<std::uint32_t>(micros() / 1000);
    }
    std::optional<std::uint32_t> now_us() noexcept override { return static_cast<std::uint32_t>(micros()); }
    bool periodic_wakeup(std::uint32_t& last, std::uint32_t period) noexcept override {
        const std::uint32_t target = last + period;
        const auto wait = static_cast<std::int32_t>(target - static_cast<std::uint32_t>(micros()));
        if (wait > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait));
        last = target;
        return true;
    }
    std::optional<std::uint32_t> find_nth(std::int32_t position) noexcept override {
        if (position < 0 || static_cast<std::size_t>(position) >= sensors_.size()) return kNoDevice;
        return static_cast<std::uint32_t>(position + 1);
    }
    std::optional<std::uint32_t> find_type(std::uint8_t type) noexcept override {
        for (std::size_t i = 0; i < sensors_.size(); ++i)
            if (sensors_[i].type == type) return static_cast<std::uint32_t>(i + 1);
        return kNoDevice;
    }
    std::optional<std::int32_t> read(std::uint32_t device, seed::Phydat& out) noexcept override {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (device == 0 || device > sensors_.size()) return -19;  // -ENODEV
        Sensor& s = sensors_[device - 1];
        // A slow, deterministic wobble around the configured value, as a real sensor would drift.
        static constexpr std::int16_t kWobble[] = {0, 1, 2, 1, 0, -1, -2, -1};
        out = seed::Phydat{};
        out.val[0] = static_cast<std::int16_t>(s.value + kWobble[s.reads++ % 8]);
        out.scale = s.scale;
        return 1;
    }
    std::optional<std::int32_t> write(std::uint32_t device, const seed::Phydat& value) noexcept override {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (device == 0 || device > sensors_.size()) return -19;
        sensors_[device - 1].value = value.val[0];
        return 1;
    }
    std::optional<std::uint32_t> read_input(std::uint32_t port, std::uint32_t pin) noexcept override {
        return read_raw(port, pin);
    }
    std::optional<std::uint32_t> read_raw(std::uint32_t port, std::uint32_t pin) noexcept override {
        const std::lock_guard<std::mutex> lock(mutex_);
        return pins_[{port, pin}];
    }
    std::optional<bool> write(std::uint32_t port, std::uint32_t pin, std::uint32_t value) noexcept override {
        const std::lock_guard<std::mutex> lock(mutex_);
        pins_[{port, pin}] = value != 0 ? 1 : 0;
        log("gpio " + std::to_string(port) + "." + std::to_string(pin) + " = " + std::to_string(value != 0));
        return true;
    }

    void add_sensor(Sensor s) { sensors_.push_back(s); }
    void set_pin(std::uint32_t port, std::uint32_t pin, std::uint32_t level) { pins_[{port, pin}] = level; }

private:
    static std::uint64_t micros() {
        static const auto start = std::chrono::steady_clock::now();
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
                .count());
    }
    std::mutex mutex_;
    std::vector<Sensor> sensors_;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> pins_;
};

void read_peripherals(const std::string& path, Peripherals& p) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read peripherals file '" + path + "'");
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        std::istringstream words(line);
        std::string kind;
        if (!(words >> kind) || kind[0] == '#') continue;
        long a = 0, b = 0, c = 0;
        if (!(words >> a >> b >> c))
            throw std::runtime_error(path + ":" + std::to_string(number) + ": expected 3 numbers");
        if (kind == "saul")
            p.add_sensor(
                {static_cast<std::uint8_t>(a), static_cast<std::int16_t>(b), static_cast<std::int8_t>(c), 0});
        else if (kind == "gpio")
            p.set_pin(static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(b),
                      static_cast<std::uint32_t>(c));
        else
            throw std::runtime_error(path + ":" + std::to_string(number) + ": unknown peripheral '" + kind +
                                     "'");
    }
}

// --- The response packet a program builds (gcoap's job on RIOT) --------------------------------

/// A CoAP response built in a 256-byte buffer as gcoap lays it out: 4-byte header, the request's
/// token, options, 0xff, payload. Only what the seed's helpers need.
class ResponsePacket final : public seed::CoapPacket {
public:
    std::span<std::uint8_t> buffer() noexcept override { return buffer_; }
    seed::CoapLayout layout() noexcept override {
        return {4, payload_offset_, static_cast<std::uint16_t>(buffer_.size() - payload_offset_),
                static_cast<std::uint16_t>(options_end_ - 4)};
    }
    std::optional<std::int32_t> resp_init(std::uint32_t code) noexcept override {
        buffer_.fill(0);
        buffer_[0] = 0x60;  // version 1, ACK, no token
        buffer_[1] = static_cast<std::uint8_t>(code);
        code_ = static_cast<std::uint8_t>(code);
        options_end_ = payload_offset_ = 4;
        return 0;
    }
    std::optional<std::int32_t> add_format(std::uint16_t format) noexcept override {
        if (code_ == 0) return -22;  // -EINVAL: no resp_init yet
        format_ = format;
        // Content-Format is option 12: delta 12, length 0/1/2.
        const std::size_t length = format == 0 ? 0 : format < 256 ? 1 : 2;
        buffer_[options_end_++] = static_cast<std::uint8_t>(12 << 4 | length);
        if (length == 2) buffer_[options_end_++] = static_cast<std::uint8_t>(format >> 8);
        if (length >= 1) buffer_[options_end_++] = static_cast<std::uint8_t>(format);
        payload_offset_ = options_end_;
        return static_cast<std::int32_t>(1 + length);
    }
    std::optional<std::int32_t> opt_finish(std::uint16_t flags) noexcept override {
        if (code_ == 0) return -22;
        if ((flags & seed::kCoapOptFinishPayload) != 0) buffer_[options_end_] = 0xff;
        payload_offset_ = options_end_ + ((flags & seed::kCoapOptFinishPayload) != 0 ? 1 : 0);
        return static_cast<std::int32_t>(payload_offset_);
    }

    /// The reply for libcoap from what the program built, `length` bytes of PDU.
    coap::Reply reply(std::size_t length) const {
        coap::Reply r;
        r.code = (code_ >> 5) * 100 + (code_ & 0x1f);
        if (length > payload_offset_ && length <= buffer_.size())
            r.payload.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(payload_offset_),
                             buffer_.begin() + static_cast<std::ptrdiff_t>(length));
        r.content_format = format_;
        return r;
    }

private:
    std::array<std::uint8_t, 256> buffer_{};
    std::uint8_t code_ = 0;
    int format_ = -1;
    std::size_t options_end_ = 4, payload_offset_ = 4;
};

// --- What programs can address ------------------------------------------------------------------

/// Every byte a program can reach: the service's image banks, JIT code and eBPF stacks, and the
/// CoAP response being built. It lives in memory the emulated Cortex-M4 maps at the same
/// addresses, so JIT code, the regions and helper pointers mean the same there as here.
struct Addressable {
    service::Memory<kConfig> service;
    // The server answers one request at a time: one response packet is enough.
    std::optional<ResponsePacket> packet;
    std::optional<seed::CoapExchange> exchange;
};

// --- The platform: threads, the SUIT fetch, peripherals, JIT execution --------------------------

class Device final : public service::Platform<kConfig.vm> {
public:
    Device(const suit::PublicKey& key, const std::string& board, const fs::path& state)
        : key_(key), board_(board), state_(state) {
        std::ifstream in(state_ / "sequence");
        if (in) in >> highest_sequence_;
        try {
            shared_.emplace(sizeof(Addressable));
            addressable_ = new (shared_->bytes().data()) Addressable{};
            runner_.emplace(*shared_, UBPF_M4_IMAGE_DIR "/m4_jit.elf");
        } catch (const std::exception& e) {
            // Still a device, one that answers JIT requests with 5.01.
            log(std::string("no JIT: ") + e.what());
            if (addressable_ == nullptr) {
                fallback_ = std::make_unique<Addressable>();
                addressable_ = fallback_.get();
            }
        }
    }
    ~Device() {
        if (addressable_ != fallback_.get()) addressable_->~Addressable();
    }
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;
    Addressable& addressable() { return *addressable_; }
    void attach(service::Service<kConfig>* s) { service_ = s; }
    Peripherals& peripherals_impl() { return peripherals_; }
    std::uint32_t highest_sequence() {
        const std::lock_guard<std::mutex> lock(fetch_mutex_);
        return highest_sequence_;
    }
    std::string last_fetch_error() {
        const std::lock_guard<std::mutex> lock(fetch_mutex_);
        return last_fetch_error_;
    }

    /// JIT code the service compiled runs on the emulated Cortex-M4, its helper calls come back
    /// here (tests/m4/code_runner.hpp); a stop request ends a run between helper calls too.
    Result<Outcome> run_jit(const VerifiedProgram<kConfig.vm>& program, std::span<const std::uint8_t> code,
                            jit::Compiled compiled, const Execution& exec,
                            const std::atomic<bool>& stop) noexcept override {
        try {
            m4::CodeRunInfo info;
            const Result<Outcome> r = runner_->run(program, code, compiled, exec, stop, info);
            const auto slot = static_cast<std::size_t>(code.data() - addressable_->service.jit[0].data()) /
                              kConfig.jit_size;
            if (!info.failure.empty())
                log("slot " + std::to_string(slot) + " could not run as JIT code: " + info.failure);
            else
                log("slot " + std::to_string(slot) +
                    " ran as JIT code on the emulated Cortex-M4: " + std::to_string(info.m4_instructions) +
                    " M4 instructions" + (info.interrupted ? ", stopped on request" : ""));
            return r;
        } catch (...) {
            return Error{ErrorCode::no_program, 0};
        }
    }
    [[nodiscard]] bool has_jit() const noexcept override { return runner_.has_value(); }

    void lock() noexcept override { mutex_.lock(); }
    void unlock() noexcept override { mutex_.unlock(); }
    std::uint32_t now_us() noexcept override { return *peripherals_.now_us(); }
    std::uint32_t blinding_seed() noexcept override {
        try {
            return std::random_device{}();  // (one per call: compilations may run on several threads)
        } catch (...) {
            return static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
        }
    }
    bool start_worker(std::size_t worker) noexcept override {
        try {
            // Detached: a worker ends on its own; the process exits without waiting for it.
            std::thread([this, worker] {
                const std::int8_t slot = service_->status().workers[worker];
                service_->run_worker(worker);
                if (slot < 0) return;
                // A long run's outcome has no request to answer: the log is where it shows.
                const service::LastRun last = service_->last_run(static_cast<std::size_t>(slot));
                char text[256];
                const std::size_t n = service::describe(last.failure, text);
                log("worker " + std::to_string(worker) + " (slot " + std::to_string(slot) + ") ended: " +
                    (last.failure.code == service::Errc::none
                         ? "result " + std::to_string(static_cast<std::int64_t>(last.r0))
                         : std::string(text, n)));
            }).detach();
            return true;
        } catch (...) {
            return false;
        }
    }
    bool start_fetch(const char* url, std::size_t slot) noexcept override {
        try {
            std::thread([this, u = std::string(url), slot] {
                const std::string why = fetch(u, slot);
                {
                    const std::lock_guard<std::mutex> lock(fetch_mutex_);
                    last_fetch_error_ = why;
                }
                log(why.empty() ? "suit: slot " + std::to_string(slot) + " updated" : "suit: " + why);
                const service::Failure f = service_->pull_done(why.empty() ? 0 : -1);
                if (f.code != service::Errc::none)
                    log("load into slot " + std::to_string(slot) +
                        " failed: " + std::string(service::message(f.code)) +
                        (f.cause.code != ErrorCode::none ? " (" + std::string(f.cause.message()) + " at " +
                                                               std::to_string(f.cause.pc) + ")"
                                                         : ""));
            }).detach();
            return true;
        } catch (...) {
            return false;
        }
    }
    std::span<const std::uint8_t> fetched_image(std::size_t slot) noexcept override {
        return slot < fetched_.size() ? std::span<const std::uint8_t>{fetched_[slot]}
                                      : std::span<const std::uint8_t>{};
    }
    seed::Platform peripherals() noexcept override {
        return {
            .output = &peripherals_, .clock = &peripherals_, .gpio = &peripherals_, .saul = &peripherals_};
    }

private:
    /// Fetches and verifies the manifest, then the image, as RIOT's SUIT worker does; "" when
    /// the image is stored for `slot`, else why not.
    std::string fetch(const std::string& url, std::size_t slot) {
        std::string path;
        const auto where = coap::parse_uri(url, &path);
        if (!where) return "manifest URL '" + url + "' is not coap://HOST:PORT/PATH";
        log("suit: fetching manifest " + url);
        const coap::Response manifest = coap::request(*where, coap::Method::get, path);
        if (!manifest.error.empty()) return "manifest fetch failed: " + manifest.error;
        if (!manifest.ok()) return "manifest fetch failed: " + coap::code_text(manifest.code);

        host::suit::SodiumCrypto crypto;
        const std::array<suit::PublicKey, 1> keys = {key_};
        suit::Trust trust;
        trust.keys = keys;
        trust.vendor_id = suit::vendor_id();
        trust.class_id = suit::class_id(trust.vendor_id, board_);
        trust.highest_sequence = highest_sequence();
        const suit::Limits limits{.slots = kConfig.slots, .slot_size = kConfig.slot_size};
        const auto info = suit::verify_manifest(manifest.payload, trust, crypto, limits);
        if (!info) return "manifest rejected: " + std::string(suit::message(info.error()));
        if (info->slot != slot)
            return "manifest is for .ram." + std::to_string(info->slot) + ", the request for slot " +
                   std::to_string(slot);

        std::string image_path;
        const auto image_where = coap::parse_uri(std::string(info->uri), &image_path);
        if (!image_where) return "image URI '" + std::string(info->uri) + "' is not coap://HOST:PORT/PATH";
        log("suit: manifest ok (sequence " + std::to_string(info->sequence_number) + "), fetching " +
            std::string(info->uri));
        const coap::Response image = coap::request(*image_where, coap::Method::get, image_path);
        if (!image.error.empty()) return "image fetch failed: " + image.error;
        if (!image.ok()) return "image fetch failed: " + coap::code_text(image.code);
        if (const suit::Error e = suit::check_image(*info, image.payload, crypto); e != suit::Error::none)
            return "image rejected: " + std::string(suit::message(e));

        fetched_[slot] = image.payload;
        const std::lock_guard<std::mutex> lock(fetch_mutex_);
        highest_sequence_ = info->sequence_number;
        std::ofstream out(state_ / "sequence", std::ios::trunc);
        out << highest_sequence_ << "\n";
        if (!out) return "cannot persist the sequence number in " + state_.string();
        return {};
    }

    suit::PublicKey key_;
    std::string board_;
    fs::path state_;
    service::Service<kConfig>* service_ = nullptr;
    Peripherals peripherals_;
    std::mutex mutex_, fetch_mutex_;
    std::array<std::vector<std::uint8_t>, kConfig.slots> fetched_;
    std::uint32_t highest_sequence_ = 0;
    std::string last_fetch_error_;
    std::optional<m4::SharedMemory> shared_;
    Addressable* addressable_ = nullptr;
    std::unique_ptr<Addressable> fallback_;  ///< without shared memory (and so without JIT)
    std::optional<m4::CodeRunner> runner_;
};

coap::Reply to_reply(const service::Response& r, const std::array<char, 1024>& out) {
    coap::Reply reply;
    reply.code = (r.code >> 5) * 100 + (r.code & 0x1f);
    reply.payload.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.length));
    reply.content_format = r.format;
    return reply;
}

std::string describe(const coap::Reply& r) {
    return coap::code_text(r.code) + " " + std::string(r.payload.begin(), r.payload.end());
}

constexpr const char* kUsage =
    "usage: ubpf-device --listen HOST:PORT --key KEY.pub --state DIR [--board NAME] [--peripherals FILE]\n";

/// A mistake in the command line: exit status 2, and the usage.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

int run(int argc, char** argv) {
    std::string listen = "127.0.0.1:5683", key_path, state = ".", board = "native", peripherals_path;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw UsageError(a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            return 0;
        }
        if (a == "--listen")
            listen = value();
        else if (a == "--key")
            key_path = value();
        else if (a == "--state")
            state = value();
        else if (a == "--board")
            board = value();
        else if (a == "--peripherals")
            peripherals_path = value();
        else
            throw UsageError("unknown option '" + a + "'");
    }
    if (key_path.empty())
        throw UsageError("--key KEY.pub is required: the key manifests must be signed with");
    const auto endpoint = coap::parse_host_port(listen);
    if (!endpoint) throw UsageError("--listen needs HOST:PORT, not '" + listen + "'");
    fs::create_directories(state);

    Device device(host::suit::load_public_key(key_path), board, state);
    if (!peripherals_path.empty()) {
        read_peripherals(peripherals_path, device.peripherals_impl());
    } else {
        device.peripherals_impl().add_sensor({130, 215, -1, 0});  // SENSE_TEMP, 21.5 °C
    }
    const auto service_owner =
        std::make_unique<service::Service<kConfig>>(device, device.addressable().service);
    service::Service<kConfig>& svc = *service_owner;
    device.attach(&svc);

    coap::Server server(*endpoint);
    const auto with_execute = [&](service::Model model, const char* name) {
        return [&svc, &device, model, name](const std::vector<std::uint8_t>& body, const std::string&) {
            std::array<char, 1024> out{};
            const auto request = service::decode_execute(body);
            coap::Reply reply;
            if (!request) {
                const service::Failure f = request.failure();
                reply =
                    coap::Reply::text(service::coap_code(f.code) / 32 * 100 + service::coap_code(f.code) % 32,
                                      std::string(service::message(f.code)));
            } else if (model == service::Model::with_coap_packet) {
                Addressable& memory = device.addressable();
                memory.exchange.reset();
                memory.packet.emplace();
                memory.exchange.emplace(*memory.packet);
                const service::Response r = svc.handle_execute(*request, model, &*memory.exchange, out);
                reply = r.program_pdu ? memory.packet->reply(r.length) : to_reply(r, out);
            } else {
                reply = to_reply(svc.handle_execute(*request, model, nullptr, out), out);
            }
            log(std::string("POST /") + name + " " + std::string(body.begin(), body.end()) + " -> " +
                describe(reply));
            return reply;
        };
    };
    server.handle("short-execution", coap::Method::post,
                  with_execute(service::Model::short_lived, "short-execution"));
    server.handle("with_coap_pkt", coap::Method::post,
                  with_execute(service::Model::with_coap_packet, "with_coap_pkt"));
    server.handle("long-running", coap::Method::post,
                  with_execute(service::Model::long_running, "long-running"));
    server.handle(
        "suit/pull", coap::Method::post, [&svc](const std::vector<std::uint8_t>& body, const std::string&) {
            std::array<char, 1024> out{};
            const auto request = service::decode_pull(body);
            coap::Reply reply;
            if (!request) {
                const std::uint8_t code = service::coap_code(request.failure().code);
                reply = coap::Reply::text(code / 32 * 100 + code % 32,
                                          std::string(service::message(request.error())));
            } else {
                reply = to_reply(svc.handle_pull(*request, out), out);
            }
            log("POST /suit/pull " + std::string(body.begin(), body.end()) + " -> " + describe(reply));
            return reply;
        });
    server.handle(
        "stop", coap::Method::post, [&svc](const std::vector<std::uint8_t>& body, const std::string&) {
            std::array<char, 1024> out{};
            const auto slot = service::decode_stop(body);
            coap::Reply reply = slot ? to_reply(svc.handle_stop(*slot, out), out)
                                     : coap::Reply::text(400, std::string(service::message(slot.error())));
            log("POST /stop " + std::string(body.begin(), body.end()) + " -> " + describe(reply));
            return reply;
        });
    server.handle("status", coap::Method::get, [&svc](const std::vector<std::uint8_t>&, const std::string&) {
        std::array<char, 1024> out{};
        return to_reply(svc.handle_status(out), out);
    });
    server.handle("running_vm", coap::Method::get,
                  [&svc](const std::vector<std::uint8_t>&, const std::string&) {
                      std::array<char, 1024> out{};
                      return to_reply(svc.handle_running(out), out);
                  });
    // Simulator extensions for the host tools: the last fetch's error and the sequence number.
    server.handle("suit/last", coap::Method::get,
                  [&device](const std::vector<std::uint8_t>&, const std::string&) {
                      return coap::Reply::text(205, device.last_fetch_error());
                  });
    server.handle("suit/sequence", coap::Method::get,
                  [&device](const std::vector<std::uint8_t>&, const std::string&) {
                      return coap::Reply::text(205, std::to_string(device.highest_sequence()));
                  });

    std::signal(SIGINT, [](int) { g_stop = true; });
    std::signal(SIGTERM, [](int) { g_stop = true; });
    log("ubpf-device listening on " + listen + " (board " + board + ", " + std::to_string(kConfig.slots) +
        " slots of " + std::to_string(kConfig.slot_size) + " B, sequence " +
        std::to_string(device.highest_sequence()) + ")");
    server.run(g_stop);
    log("stopping");
    std::_Exit(0);  // workers may still run long programs; the process ends here
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const UsageError& e) {
        std::cerr << "ubpf-device: " << e.what() << "\n" << kUsage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "ubpf-device: " << e.what() << "\n";
        return 1;
    }
}
