// SPDX-License-Identifier: MIT
// The RIOT adapter: wires ubpf::service::Service to gcoap, the SUIT worker and RAM storage,
// ztimer, mutexes and worker threads. Only glue lives here; every decision is in the service.
// Written against RIOT 2024.04 (the seed's base); where later releases differ it says so.
//
// Firmware (modules gcoap, suit_transport_coap, suit_storage_ram, ztimer_usec, ztimer_msec,
// random):
//   constexpr ubpf::service::Config kCfg{...};
//   static ubpf::service::Memory<kCfg> memory;
//   static ubpf::riot::Adapter<kCfg> adapter;
//   static ubpf::service::Service<kCfg> service{adapter, memory};
//   extern "C" void suit_worker_done_cb(int res) { adapter.suit_done(res); }  // overrides the weak one
//   int main(void) { adapter.start(service); ... }
//
// Hazards of the seed this avoids (riot-suit-coap.md §3):
//   - no SUIT download inside a gcoap handler: /suit/pull only triggers the SUIT worker and
//     answers; the worker's done callback loads the image. A retransmitted pull is recognised
//     by the service and triggers nothing.
//   - the active storage location is only changed from the done callback, i.e. in the SUIT
//     worker after its download ended, never while one runs.
//   - the manifest URL is built by the service into a buffer of known size; too long is an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "../jit/run.hpp"
#include "../service/service.hpp"

extern "C" {
#include "msg.h"
#include "mutex.h"
#include "net/gcoap.h"
#include "random.h"
#include "suit/storage.h"
#include "suit/transport/worker.h"
#include "thread.h"
#include "ztimer.h"
}

namespace ubpf::riot {

namespace svc = ubpf::service;

/// ztimer for the seed's clock helpers.
class Clock final : public seed::Clock {
public:
    std::optional<std::uint32_t> now_ms() noexcept override { return ztimer_now(ZTIMER_MSEC); }
    std::optional<std::uint32_t> now_us() noexcept override { return ztimer_now(ZTIMER_USEC); }
    bool periodic_wakeup(std::uint32_t& last, std::uint32_t period_us) noexcept override {
        ztimer_periodic_wakeup(ZTIMER_USEC, &last, period_us);
        return true;
    }
};

/// A gcoap response as the seed's CoAP helpers see it. Touches only payload/payload_len and
/// accessor functions (coap_pkt_t.hdr becomes a union in 2026.01).
class Packet final : public seed::CoapPacket {
public:
    Packet(coap_pkt_t* pdu, std::uint8_t* buf, std::size_t len) noexcept : pdu_(pdu), buf_(buf), len_(len) {}
    std::span<std::uint8_t> buffer() noexcept override { return {buf_, len_}; }
    seed::CoapLayout layout() noexcept override {
        seed::CoapLayout at;
        at.token_offset = 4;  // after the fixed CoAP-over-UDP header
        at.payload_offset = static_cast<std::size_t>(pdu_->payload - buf_);
        at.payload_len = pdu_->payload_len;
        at.options_len = pdu_->options_len;
        return at;
    }
    std::optional<std::int32_t> resp_init(std::uint32_t code) noexcept override {
        return gcoap_resp_init(pdu_, buf_, len_, code);
    }
    std::optional<std::int32_t> add_format(std::uint16_t format) noexcept override {
        return static_cast<std::int32_t>(coap_opt_add_format(pdu_, format));
    }
    std::optional<std::int32_t> opt_finish(std::uint16_t flags) noexcept override {
        return static_cast<std::int32_t>(coap_opt_finish(pdu_, flags));
    }

private:
    coap_pkt_t* pdu_;
    std::uint8_t* buf_;
    std::size_t len_;
};

/// The Platform of a RIOT board. WorkerStack: bytes of native stack per worker thread (the
/// seed's 4096); WorkerPriority: below gcoap's (THREAD_PRIORITY_MAIN - 1), so that a busy
/// long-running program never starves the request path.
template <svc::Config Cfg, std::size_t WorkerStack = 4096,
          std::uint8_t WorkerPriority = THREAD_PRIORITY_MAIN + 1>
class Adapter final : public svc::Platform<Cfg.vm> {
public:
    using ServiceType = svc::Service<Cfg>;

    /// Peripherals other than the clock (SAUL, GPIO, display, output) come from the firmware.
    explicit Adapter(seed::Platform peripherals = {}) noexcept : peripherals_(peripherals) {
        peripherals_.clock = &clock_;
    }

    /// Starts the worker threads (all at once, as the seed: they wait for work) and registers
    /// the gcoap resources. Call once, from main.
    void start(ServiceType& service) noexcept {
        service_ = &service;
        for (std::size_t w = 0; w < Cfg.workers; ++w) {
            workers_[w] = {this, w};
            pids_[w] =
                thread_create(stacks_[w], static_cast<int>(WorkerStack), WorkerPriority,
                              THREAD_CREATE_WOUT_YIELD, &Adapter::worker_main, &workers_[w], "ubpf worker");
        }
        for (std::size_t i = 0; i < kEndpoints; ++i) contexts_[i] = {this, static_cast<Endpoint>(i)};
        // Sorted by path in ASCII order, as gcoap expects.
        resources_[0] = {"/benchmark/short-execution", COAP_POST, &Adapter::handle, &contexts_[0]};
        resources_[1] = {"/long-running", COAP_POST, &Adapter::handle, &contexts_[1]};
        resources_[2] = {"/running_vm", COAP_GET, &Adapter::handle, &contexts_[2]};
        resources_[3] = {"/short-execution", COAP_POST, &Adapter::handle, &contexts_[3]};
        resources_[4] = {"/status", COAP_GET, &Adapter::handle, &contexts_[4]};
        resources_[5] = {"/stop", COAP_POST, &Adapter::handle, &contexts_[5]};
        resources_[6] = {"/suit/pull", COAP_POST, &Adapter::handle, &contexts_[6]};
        resources_[7] = {"/with_coap_pkt", COAP_POST, &Adapter::handle, &contexts_[7]};
        listener_ = {resources_, kEndpoints, GCOAP_SOCKET_TYPE_UNDEF, nullptr, nullptr, nullptr};
        gcoap_register_listener(&listener_);
    }

    /// From the firmware's suit_worker_done_cb, in the SUIT worker thread once its download
    /// and verification ended (before the worker releases its mutex).
    void suit_done(int res) noexcept {
        if (service_ != nullptr) (void)service_->pull_done(res);
    }

    // --- Platform ------------------------------------------------------------------------------
    void lock() noexcept override { mutex_lock(&mutex_); }
    void unlock() noexcept override { mutex_unlock(&mutex_); }
    std::uint32_t now_us() noexcept override { return ztimer_now(ZTIMER_USEC); }
    std::uint32_t blinding_seed() noexcept override { return random_uint32(); }

    bool start_worker(std::size_t worker) noexcept override {
        if (worker >= Cfg.workers || pids_[worker] <= KERNEL_PID_UNDEF) return false;
        msg_t m{};
        m.type = kRunMessage;
        // The worker's queue takes the message even while it is still leaving its last run.
        return msg_try_send(&m, pids_[worker]) == 1;
    }

    bool start_fetch(const char* url, std::size_t slot) noexcept override {
        (void)slot;  // the manifest names its storage location (".ram.<slot>")
        // 2024.04: returns nothing and waits while a previous SUIT worker still holds its mutex
        // (only the moment between its done callback and its exit: the service allows one pull
        // at a time). From 2025.07 it returns bool and never waits: return its result.
        suit_worker_trigger(url, std::strlen(url));
        return true;
    }

    std::span<const std::uint8_t> fetched_image(std::size_t slot) noexcept override {
        // Called from suit_done, so no download is running and changing the active location
        // is safe (riot-suit-coap.md §2.3).
        char id[] = ".ram.0\0";
        if (slot >= 10) {
            id[5] = static_cast<char>('0' + slot / 10);
            id[6] = static_cast<char>('0' + slot % 10);
        } else {
            id[5] = static_cast<char>('0' + slot);
        }
        suit_storage_t* storage = suit_storage_find_by_id(id);
        if (storage == nullptr || suit_storage_set_active_location(storage, id) != 0) return {};
        const std::uint8_t* mem = nullptr;
        std::size_t len = 0;
        if (suit_storage_read_ptr(storage, &mem, &len) != 0 || mem == nullptr) return {};
        return {mem, len};
    }

    void code_written(std::span<const std::uint8_t> code) noexcept override {
        (void)code;
        // Cortex-M4 has no data or instruction cache on the RAM path: completing the writes and
        // flushing the pipeline is enough. A Cortex-M7 with caches must clean the D-cache and
        // invalidate the I-cache over `code` here (CMSIS SCB_CleanDCache_by_Addr,
        // SCB_InvalidateICache).
#if defined(__arm__)
        __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    }

    Result<Outcome> run_jit(const VerifiedProgram<Cfg.vm>& program, std::span<const std::uint8_t> code,
                            jit::Compiled compiled, const Execution& exec,
                            const std::atomic<bool>& stop) noexcept override {
        (void)stop;  // exec.stop is the same flag: JIT code reads it every kStopSlice instructions
#if defined(__arm__) && defined(__thumb2__)
        return jit::run<Cfg.vm>(program, code.data(), compiled, exec);
#else
        (void)program, (void)code, (void)compiled, (void)exec;
        return Error{ErrorCode::no_program, 0};
#endif
    }
    [[nodiscard]] bool has_jit() const noexcept override {
#if defined(__arm__) && defined(__thumb2__)
        return true;
#else
        return false;
#endif
    }
    seed::Platform peripherals() noexcept override {
        return peripherals_;
    }

private:
    enum class Endpoint : std::uint8_t {
        benchmark,
        long_running,
        running_vm,
        short_exec,
        status,
        stop,
        pull,
        coap_pkt
    };
    static constexpr std::size_t kEndpoints = 8;
    static constexpr std::uint16_t kRunMessage = 0x7562;  // "ub"
    struct EndpointContext {
        Adapter* self = nullptr;
        Endpoint endpoint{};
    };
    struct WorkerContext {
        Adapter* self = nullptr;
        std::size_t index = 0;
    };

    static void* worker_main(void* arg) {
        auto* ctx = static_cast<WorkerContext*>(arg);
        msg_t queue[2];  // power of two, as msg_init_queue requires
        msg_init_queue(queue, 2);
        for (;;) {
            msg_t m;
            msg_receive(&m);
            if (m.type == kRunMessage) ctx->self->service_->run_worker(ctx->index);
        }
        return nullptr;
    }

    /// Every endpoint: decode with the service's decoders, call the service, answer.
    static ssize_t handle(coap_pkt_t* pdu, std::uint8_t* buf, std::size_t len, coap_request_ctx_t* request) {
        auto* ctx = static_cast<EndpointContext*>(coap_request_ctx_get_context(request));
        Adapter& self = *ctx->self;
        ServiceType& service = *self.service_;
        const std::span<const std::uint8_t> payload{pdu->payload, pdu->payload_len};
        const std::span<char> out{self.text_};
        svc::Response r;
        switch (ctx->endpoint) {
            case Endpoint::running_vm:
                r = service.handle_running(out);
                break;
            case Endpoint::status:
                r = service.handle_status(out);
                break;
            case Endpoint::stop: {
                const auto slot = svc::decode_stop(payload);
                r = slot ? service.handle_stop(*slot, out) : failed(slot.failure(), out);
                break;
            }
            case Endpoint::pull: {
                const auto pull = svc::decode_pull(payload);
                r = pull ? service.handle_pull(*pull, out) : failed(pull.failure(), out);
                break;
            }
            default: {
                const auto exec = svc::decode_execute(payload);
                if (!exec) {
                    r = failed(exec.failure(), out);
                } else if (ctx->endpoint == Endpoint::benchmark) {
                    r = service.handle_benchmark(*exec, out);
                } else if (ctx->endpoint == Endpoint::coap_pkt) {
                    Packet packet(pdu, buf, len);
                    seed::CoapExchange exchange(packet);
                    r = service.handle_execute(*exec, svc::Model::with_coap_packet, &exchange, out);
                    if (r.program_pdu) return static_cast<ssize_t>(r.length);
                } else {
                    const auto model = ctx->endpoint == Endpoint::long_running ? svc::Model::long_running
                                                                               : svc::Model::short_lived;
                    r = service.handle_execute(*exec, model, nullptr, out);
                }
            }
        }
        return reply(pdu, buf, len, r, out);
    }

    static svc::Response failed(svc::Failure f, std::span<char> out) noexcept {
        const std::string_view text = svc::message(f.code);
        const std::size_t n = text.size() < out.size() ? text.size() : out.size();
        std::memcpy(out.data(), text.data(), n);
        return svc::Response{svc::coap_code(f.code), svc::coap::kFormatText, n, false, f};
    }

    /// The gcoap server example's pattern: init, format, finish, payload.
    static ssize_t reply(coap_pkt_t* pdu, std::uint8_t* buf, std::size_t len, const svc::Response& r,
                         std::span<const char> text) {
        if (gcoap_resp_init(pdu, buf, len, r.code) != 0) return -1;  // gcoap then sends 5.00
        coap_opt_add_format(pdu, r.format);
        const ssize_t header =
            coap_opt_finish(pdu, r.length != 0 ? COAP_OPT_FINISH_PAYLOAD : COAP_OPT_FINISH_NONE);
        if (header < 0) return -1;
        const std::size_t room = pdu->payload_len;
        const std::size_t n = r.length < room ? r.length : room;  // a long message is cut, not overflowed
        std::memcpy(pdu->payload, text.data(), n);
        return header + static_cast<ssize_t>(n);
    }

    ServiceType* service_ = nullptr;
    seed::Platform peripherals_{};
    Clock clock_{};
    mutex_t mutex_ = MUTEX_INIT;
    char text_[128] = {};  // one response at a time: gcoap runs every handler on its thread
    char stacks_[Cfg.workers][WorkerStack] = {};
    kernel_pid_t pids_[Cfg.workers] = {};
    WorkerContext workers_[Cfg.workers] = {};
    EndpointContext contexts_[kEndpoints] = {};
    coap_resource_t resources_[kEndpoints] = {};
    gcoap_listener_t listener_{};
};

}  // namespace ubpf::riot
