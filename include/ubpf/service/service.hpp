// SPDX-License-Identifier: MIT
// The device service: program slots, loading, execution and status behind the seed's CoAP
// endpoints, with no transport, no heap and no exceptions. A transport (the RIOT adapter, the
// host simulator) decodes a payload with requests.hpp, calls one handle_* function and sends
// the Response it gets back.
//
//   constexpr ubpf::service::Config kCfg{.slots = 2, .slot_size = 4096, .workers = 4};
//   static ubpf::service::Memory<kCfg> memory;        // banks, JIT code, eBPF stacks (.bss)
//   MyPlatform platform;                               // : ubpf::service::Platform<kCfg.vm>
//   static ubpf::service::Service<kCfg> service{platform, memory};
//
//   POST /suit/pull        service.handle_pull(decode_pull(payload), out)  -> platform.start_fetch
//                          ... the fetch ends:  service.pull_done(suit_result)   (any thread)
//   POST /short-execution  service.handle_execute(req, Model::short_lived, nullptr, out)
//   POST /with_coap_pkt    service.handle_execute(req, Model::with_coap_packet, &exchange, out)
//   POST /long-running     service.handle_execute(req, Model::long_running, nullptr, out)
//                          -> platform.start_worker(w); that thread calls service.run_worker(w)
//   POST /benchmark/short-execution  service.handle_benchmark(req, out)
//   POST /stop             service.handle_stop(slot, out)
//   GET  /status           service.handle_status(out)     GET /running_vm  handle_running(out)
//   service.install(slot, image, config, helpers, erase)  loads bytes directly (no SUIT)
//
// Guarantees:
//   - A slot is Free, Occupied or Running. A running slot is never loaded over, executed again
//     or erased; an occupied one is replaced only with the erase flag.
//   - Loading goes into a spare bank; only a program the loader and verifier accept replaces
//     the slot's program (the banks swap). Any failure leaves the previous program runnable.
//   - Program errors are values: a fault, a budget overrun or a stop gives an error response.
//   - A stop sets a flag that every helper call checks and the interpreter looks at every
//     kStopSlice instructions, so even a loop without helper calls ends; the platform's JIT
//     hook may check it too.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "../config.hpp"
#include "../error.hpp"
#include "../helpers.hpp"
#include "../image.hpp"
#include "../interpreter.hpp"
#include "../jit/compiler.hpp"
#include "../loader.hpp"
#include "../seed_helpers.hpp"
#include "../verifier.hpp"
#include "requests.hpp"

namespace ubpf::service {

/// Sizes and limits of one service, fixed at compile time.
struct Config {
    std::size_t slots = 2;          ///< program slots (the seed's SUIT_STORAGE_SLOTS)
    std::size_t slot_size = 4096;   ///< bytes of image per slot (SUIT_STORAGE_SLOT_SIZE)
    std::size_t jit_size = 4096;    ///< bytes of JIT code per slot; 0: no JIT
    jit::Options jit_options{};     ///< how the JIT compiles (version_loops: faster loops, more code)
    std::size_t workers = 4;        ///< threads for long-running programs
    std::size_t local_store = 16;   ///< keys per slot's local store
    std::size_t global_store = 16;  ///< keys in the global store (RIOT's CONFIG_BPF_STORE_NUM_VALUES)
    std::size_t max_helpers = 32;   ///< entries of the platform's helper table
    std::size_t url_size = 128;     ///< manifest URL buffer, NUL included
    std::uint64_t short_budget = 1'000'000;  ///< instructions of a request-serving run
    std::uint64_t long_budget = UINT64_MAX;  ///< of a long-running one (capped by the engine)
    ubpf::Config vm{};
};

/// What the service needs from the board or the host. Calls come from the request thread, the
/// fetch's thread (pull_done) and worker threads; lock()/unlock() make the service's state
/// changes atomic across them (a mutex; never held while a program runs).
template <ubpf::Config VC>
class Platform {
public:
    virtual void lock() noexcept = 0;
    virtual void unlock() noexcept = 0;
    /// Microseconds, for the benchmark endpoint.
    virtual std::uint32_t now_us() noexcept { return 0; }
    /// Starts worker thread `worker` (which then calls Service::run_worker(worker)); false when
    /// it cannot. Called with the lock not held.
    virtual bool start_worker(std::size_t worker) noexcept = 0;
    /// Starts fetching the SUIT manifest at `url` (NUL-terminated) whose payload goes to storage
    /// slot `slot`; Service::pull_done(result) must follow exactly once when this returns true.
    virtual bool start_fetch(const char* url, std::size_t slot) noexcept {
        (void)url;
        (void)slot;
        return false;
    }
    /// The payload the last fetch stored for `slot` (SUIT RAM storage ".ram.<slot>").
    virtual std::span<const std::uint8_t> fetched_image(std::size_t slot) noexcept {
        (void)slot;
        return {};
    }
    /// JIT code was written to `code`: clean the data cache, invalidate the instruction cache.
    virtual void code_written(std::span<const std::uint8_t> code) noexcept { (void)code; }
    /// A fresh random value (the board's RNG) for each compilation when Config::jit_options
    /// blinds constants (jit::Options::blinding_seed). The default, 0, gives every compilation
    /// the same keys: a board that blinds constants overrides it.
    virtual std::uint32_t blinding_seed() noexcept { return 0; }
    /// Runs JIT code (on the device: ubpf::jit::run; on the host: the emulated M4). `stop` is
    /// the run's stop flag, also in exec.stop (which JIT code reads every kStopSlice
    /// instructions); a platform may poll it for a faster stop. Default: no JIT.
    virtual Result<Outcome> run_jit(const VerifiedProgram<VC>& program, std::span<const std::uint8_t> code,
                                    jit::Compiled compiled, const Execution& exec,
                                    const std::atomic<bool>& stop) noexcept {
        (void)program, (void)code, (void)compiled, (void)exec, (void)stop;
        return Error{ErrorCode::no_program, 0};
    }
    [[nodiscard]] virtual bool has_jit() const noexcept { return false; }
    /// The helpers programs may call (at most Config::max_helpers) and their peripherals.
    virtual std::span<const Helper> helpers() noexcept { return seed::kHelpers; }
    virtual seed::Platform peripherals() noexcept { return {}; }

protected:
    ~Platform() = default;
};

/// The caller-provided memory of a service: put it in .bss (or a section that is executable,
/// for the JIT code). One image bank more than slots: a load always goes to the spare one.
template <Config Cfg>
struct Memory {
    alignas(8) std::array<std::array<std::uint8_t, Cfg.slot_size>, Cfg.slots + 1> banks;
    alignas(8) std::array<std::array<std::uint8_t, Cfg.jit_size>, Cfg.jit_size != 0 ? Cfg.slots : 0> jit;
    /// An eBPF stack per worker, plus one for the request thread.
    alignas(8) std::array<std::array<std::uint8_t, Cfg.vm.stack_size()>, Cfg.workers + 1> stacks;
};

/// What a handler hands back to the transport. The text (JSON or a message) is in the buffer
/// the caller passed, `length` bytes. With `program_pdu`, the program built the whole CoAP
/// response in the packet buffer itself and `length` is its PDU length.
struct Response {
    std::uint8_t code = coap::kChanged;
    std::uint16_t format = coap::kFormatText;
    std::size_t length = 0;
    bool program_pdu = false;
    Failure failure{};  ///< why, when code is an error
};

/// The last run of a slot.
struct LastRun {
    bool valid = false;
    Failure failure{};
    std::uint64_t r0 = 0;
    std::uint64_t instructions = 0;
};

template <Config Cfg>
class Service {
    static_assert(Cfg.slots >= 1 && Cfg.slots <= 16, "the configuration word has 4 bits of slot");
    static_assert(Cfg.workers <= kMaxStatusEntries && Cfg.slots <= kMaxStatusEntries);
    static_assert(Cfg.slot_size % 8 == 0 && Cfg.url_size >= 16);
    static constexpr ubpf::Config VC = Cfg.vm;

public:
    using PlatformType = Platform<VC>;

    Service(PlatformType& platform, Memory<Cfg>& memory) noexcept : platform_(platform), memory_(memory) {
        const std::span<const Helper> table = platform.helpers();
        inner_count_ = table.size() < Cfg.max_helpers ? table.size() : Cfg.max_helpers;
        fill_guards(table, std::make_index_sequence<Cfg.max_helpers>{});
        for (std::size_t i = 0; i < Cfg.slots; ++i) slots_[i].bank = i;
        spare_ = Cfg.slots;
        for (Worker& w : workers_) w.stop.store(false);
    }
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    // --- loading ------------------------------------------------------------------------------

    /// POST /suit/pull: checks the request and starts the fetch. The same request again while it
    /// is pending (a CoAP retransmission) is answered the same way without a second fetch.
    Response handle_pull(const PullRequest& r, std::span<char> out) noexcept {
        const std::size_t slot = r.config.slot;
        if (slot >= Cfg.slots) return error(Errc::slot_out_of_range, {}, out);
        std::array<char, Cfg.url_size> url{};
        const Expected<std::size_t> n = manifest_url(r, url);
        if (!n) return error(n.failure(), out);
        {
            Lock l(platform_);
            if (pull_state_ == PullState::pending) {
                if (same_pull(r, url, *n)) return accepted(r, out);
                return error(Errc::pull_busy, {}, out);
            }
            const Errc why = replaceable(slot, r.erase);
            if (why != Errc::none) return error(why, {}, out);
            pull_state_ = PullState::pending;
            pull_ = PendingPull{r.config, r.helpers, r.erase, url, *n};
        }
        if (!platform_.start_fetch(pull_.url.data(), slot)) {
            Lock l(platform_);
            pull_state_ = PullState::failed;
            pull_failure_ = {Errc::pull_busy, {}};
            return error(Errc::pull_busy, {}, out);
        }
        return accepted(r, out);
    }

    /// The fetch started by handle_pull ended with `result` (0: the manifest was verified and
    /// the image stored). Loads the image into the slot or records why not.
    Failure pull_done(int result) noexcept {
        PendingPull p;
        {
            Lock l(platform_);
            if (pull_state_ != PullState::pending) return {Errc::no_pull_pending, {}};
            p = pull_;
        }
        Failure f{};
        if (result != 0) {
            f = {Errc::fetch_failed, {}};
        } else {
            f = install(p.config.slot, platform_.fetched_image(p.config.slot), p.config, p.helpers, p.erase,
                        true);
        }
        Lock l(platform_);
        pull_state_ = f.code == Errc::none ? PullState::loaded : PullState::failed;
        pull_failure_ = f;
        return f;
    }

    /// Loads `image` into `slot` as `config.format`: copied to the spare bank, relocated,
    /// verified (against the request's or the image's helper list when config.check is
    /// load_time), then swapped in. On any failure the slot keeps its previous program.
    Failure install(std::size_t slot, std::span<const std::uint8_t> image, const VmConfig& config,
                    const HelperList& helpers, bool erase, bool pulled = false) noexcept {
        if (slot >= Cfg.slots) return {Errc::slot_out_of_range, {}};
        if (image.size() > Cfg.slot_size) return {Errc::image_too_large, {}};
        std::size_t bank;
        {
            Lock l(platform_);
            if (!pulled && pull_state_ == PullState::pending) return {Errc::pull_busy, {}};
            const Errc why = replaceable(slot, erase);
            if (why != Errc::none) return {why, {}};
            if (loading_) return {Errc::busy, {}};
            loading_ = true;  // the spare bank is ours until the swap
            bank = spare_;
        }
        const Failure f = prepare_bank(bank, image, config, helpers);
        Lock l(platform_);
        loading_ = false;
        if (f.code != Errc::none) return f;
        const Errc why = replaceable(slot, erase);  // it may have started running meanwhile
        if (why != Errc::none) return {why, {}};
        Slot& s = slots_[slot];
        spare_ = s.bank;
        s.bank = bank;
        s.image = staged_;
        s.size = image.size();
        s.state = SlotState::occupied;
        s.jit_ready = false;
        s.local.clear();  // as the seed: a new program starts with an empty local store
        s.last = {};
        return {};
    }

    // --- running ------------------------------------------------------------------------------

    /// The three execution endpoints. `packet` is the request being answered (with_coap_packet).
    Response handle_execute(const ExecuteRequest& r, Model model, seed::CoapExchange* packet,
                            std::span<char> out) noexcept {
        return execute(r, model, packet, out, nullptr);
    }

    /// POST /benchmark/short-execution: a short-lived run answered with the seed's timings JSON.
    Response handle_benchmark(const ExecuteRequest& r, std::span<char> out) noexcept {
        Timings t;
        return execute(r, Model::short_lived, nullptr, out, &t);
    }

    /// The body of worker thread `worker`, started through Platform::start_worker.
    void run_worker(std::size_t worker) noexcept {
        if (worker >= Cfg.workers) return;
        Worker& w = workers_[worker];
        Slot& s = slots_[w.slot];
        bool stopped = false;
        const Result<Outcome> r = run(s, w.program, w.config, Model::long_running, nullptr,
                                      memory_.stacks[worker], w.stop, Cfg.long_budget, stopped);
        finish(s, r, stopped);
        Lock l(platform_);
        w.busy = false;
        w.stop.store(false);
    }

    /// POST /stop (new): asks the long-running program of `slot` to stop. It stops at its next
    /// helper call or within kStopSlice instructions (Execution::stop, interpreter and JIT
    /// code alike); status shows when it has.
    Response handle_stop(std::size_t slot, std::span<char> out) noexcept {
        if (slot >= Cfg.slots) return error(Errc::slot_out_of_range, {}, out);
        Lock l(platform_);
        for (Worker& w : workers_) {
            if (w.busy && w.slot == slot) {
                w.stop.store(true);
                return text(coap::kChanged, "stop requested", out);
            }
        }
        return error(Errc::not_running, {}, out);
    }

    // --- status -------------------------------------------------------------------------------

    [[nodiscard]] Status status() noexcept {
        Lock l(platform_);
        Status st;
        st.worker_count = Cfg.workers;
        for (std::size_t i = 0; i < Cfg.workers; ++i)
            st.workers[i] = workers_[i].busy ? static_cast<std::int8_t>(workers_[i].slot) : std::int8_t{-1};
        st.slot_count = Cfg.slots;
        for (std::size_t i = 0; i < Cfg.slots; ++i) st.slots[i] = slots_[i].state;
        st.pull = pull_state_;
        st.pull_error = pull_failure_.code;
        return st;
    }
    [[nodiscard]] Failure last_pull() noexcept {
        Lock l(platform_);
        return pull_failure_;
    }
    [[nodiscard]] LastRun last_run(std::size_t slot) noexcept {
        if (slot >= Cfg.slots) return {};
        Lock l(platform_);
        return slots_[slot].last;
    }
    [[nodiscard]] SlotState slot_state(std::size_t slot) noexcept {
        if (slot >= Cfg.slots) return SlotState::free;
        Lock l(platform_);
        return slots_[slot].state;
    }

    Response handle_status(std::span<char> out) noexcept {
        const std::size_t n = encode_status(status(), out);
        if (n == 0) return error(Errc::buffer_too_small, {}, out);
        return Response{coap::kContent, coap::kFormatJson, n, false, {}};
    }
    Response handle_running(std::span<char> out) noexcept {
        std::array<bool, Cfg.workers> busy{};
        {
            Lock l(platform_);
            for (std::size_t i = 0; i < Cfg.workers; ++i) busy[i] = workers_[i].busy;
        }
        const std::size_t n = encode_running(busy, out);
        if (n == 0) return error(Errc::buffer_too_small, {}, out);
        return Response{coap::kContent, coap::kFormatText, n, false, {}};
    }

    /// The global store every program shares, and a slot's own.
    [[nodiscard]] seed::KeyValueStore& global_store() noexcept { return global_; }
    [[nodiscard]] seed::KeyValueStore& local_store(std::size_t slot) noexcept { return slots_[slot].local; }

private:
    struct Slot {
        SlotState state = SlotState::free;
        std::size_t bank = 0;
        Image image{};
        std::size_t size = 0;
        bool jit_ready = false;
        jit::Compiled compiled{};
        seed::Store<Cfg.local_store> local;
        LastRun last{};
    };
    struct Worker {
        bool busy = false;
        std::size_t slot = 0;
        VmConfig config{};
        VerifiedProgram<VC> program{};
        std::atomic<bool> stop{false};
    };
    struct PendingPull {
        VmConfig config{};
        HelperList helpers{};
        bool erase = false;
        std::array<char, Cfg.url_size> url{};
        std::size_t url_length = 0;
    };
    /// What a helper call sees as Execution::user: the seed's environment plus the run's stop
    /// flag and the real helper table. The seed helpers see only the Environment base.
    struct RunContext : seed::Environment {
        const std::atomic<bool>* stop = nullptr;
        bool stopped = false;
        std::span<const Helper> inner;
        PlatformType* service_platform = nullptr;
    };
    class Lock {
    public:
        explicit Lock(PlatformType& p) noexcept : p_(p) { p_.lock(); }
        ~Lock() { p_.unlock(); }
        Lock(const Lock&) = delete;
        Lock& operator=(const Lock&) = delete;

    private:
        PlatformType& p_;
    };

    /// Every helper call goes through here: a requested stop ends the program before the helper
    /// runs, and the shared global store is only touched under the lock.
    template <std::size_t I>
    static std::uint64_t guard(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d,
                               std::uint64_t e, HelperContext& ctx) noexcept {
        auto* run = static_cast<RunContext*>(static_cast<seed::Environment*>(ctx.user()));
        if (run->stop->load(std::memory_order_relaxed)) {
            run->stopped = true;
            ctx.fail(ErrorCode::stopped);
            return 0;
        }
        const Helper& h = run->inner[I];
        const bool shared =
            h.id == seed::id(seed::HelperId::store_global) || h.id == seed::id(seed::HelperId::fetch_global);
        if (!shared) return h.fn(a, b, c, d, e, ctx);
        Lock l(*run->service_platform);
        return h.fn(a, b, c, d, e, ctx);
    }
    template <std::size_t... I>
    void fill_guards(std::span<const Helper> table, std::index_sequence<I...>) noexcept {
        ((I < inner_count_
              ? (void)(guarded_[I] = Helper{table[I].id, &guard<I>, table[I].name, table[I].args})
              : (void)0),
         ...);
        inner_ = table.first(inner_count_);
    }
    [[nodiscard]] std::span<const Helper> guarded() const noexcept { return {guarded_.data(), inner_count_}; }

    /// Whether `slot` may be loaded over (called with the lock held).
    [[nodiscard]] Errc replaceable(std::size_t slot, bool erase) const noexcept {
        const SlotState st = slots_[slot].state;
        if (st == SlotState::running) return Errc::slot_running;
        if (st == SlotState::occupied && !erase) return Errc::slot_occupied;
        return Errc::none;
    }

    [[nodiscard]] bool same_pull(const PullRequest& r, const std::array<char, Cfg.url_size>& url,
                                 std::size_t n) const noexcept {
        return r.config == pull_.config && r.helpers == pull_.helpers && r.erase == pull_.erase &&
               n == pull_.url_length &&
               std::string_view{url.data(), n} == std::string_view{pull_.url.data(), n};
    }

    /// Loads and verifies into `bank`; the result goes to staged_ (only the loader touches it).
    Failure prepare_bank(std::size_t bank, std::span<const std::uint8_t> image, const VmConfig& config,
                         const HelperList& helpers) noexcept {
        std::array<std::uint8_t, Cfg.slot_size>& b = memory_.banks[bank];
        for (std::size_t i = 0; i < image.size(); ++i) b[i] = image[i];
        const Result<Image> loaded =
            load_image(std::span<std::uint8_t>{b.data(), image.size()}, config.format);
        if (!loaded) return {Errc::load_failed, loaded.error()};
        staged_ = *loaded;
        HelperPolicy policy = HelperPolicy::all();
        if (config.check == HelperCheck::load_time) {
            if (config.source == HelperSource::binary_metadata && !staged_.has_helper_list)
                return {Errc::no_helper_list, {}};
            if (config.source == HelperSource::request) policy = helpers.policy();
        }
        // Structure is checked now so that a broken program never replaces a working one.
        const Result<VerifiedProgram<VC>> v = verify<VC>(staged_.program(policy), guarded());
        if (!v) return {Errc::verify_failed, v.error()};
        return {};
    }

    Response execute(const ExecuteRequest& r, Model model, seed::CoapExchange* packet, std::span<char> out,
                     Timings* timings) noexcept {
        const std::size_t slot = r.config.slot;
        if (slot >= Cfg.slots) return error(Errc::slot_out_of_range, {}, out);
        if (r.config.jit && (Cfg.jit_size == 0 || !platform_.has_jit()))
            return error(Errc::jit_unavailable, {}, out);
        std::size_t worker = Cfg.workers;
        {
            Lock l(platform_);
            Slot& s = slots_[slot];
            if (s.state == SlotState::free) return error(Errc::slot_empty, {}, out);
            if (s.state == SlotState::running) return error(Errc::slot_running, {}, out);
            if (model == Model::long_running) {
                for (std::size_t i = 0; i < Cfg.workers; ++i)
                    if (!workers_[i].busy) {
                        worker = i;
                        break;
                    }
                if (worker == Cfg.workers) return error(Errc::no_free_worker, {}, out);
                workers_[worker].busy = true;
                workers_[worker].slot = slot;
                workers_[worker].stop.store(false);
            } else {
                if (foreground_busy_) return error(Errc::busy, {}, out);
                foreground_busy_ = true;
            }
            s.state = SlotState::running;  // from here on the slot is ours alone
        }
        Slot& s = slots_[slot];
        const std::uint32_t t0 = platform_.now_us();
        VerifiedProgram<VC> program{};
        std::uint32_t t_verified = t0;
        std::uint32_t t_compiled = t0;
        Failure f = prepare_run(s, r, program, t_verified, t_compiled);
        if (f.code != Errc::none) {
            Lock l(platform_);
            s.state = SlotState::occupied;
            if (model == Model::long_running) {
                workers_[worker].busy = false;
            } else {
                foreground_busy_ = false;
            }
            return error(f, out);
        }
        if (model == Model::long_running) {
            Worker& w = workers_[worker];
            w.program = program;
            w.config = r.config;
            if (!platform_.start_worker(worker)) {
                Lock l(platform_);
                s.state = SlotState::occupied;
                w.busy = false;
                return error(Errc::worker_start_failed, {}, out);
            }
            return text(coap::kChanged, "VM Execution request sent successfully!", out);
        }
        bool stopped = false;  // request-thread runs end by their (short) budget, not by /stop
        const Result<Outcome> result = run(s, program, r.config, model, packet, memory_.stacks[Cfg.workers],
                                           no_stop_, Cfg.short_budget, stopped);
        const std::uint32_t t_done = platform_.now_us();
        f = finish(s, result, false);
        {
            Lock l(platform_);
            foreground_busy_ = false;
        }
        if (f.code != Errc::none) return error(f, out);
        if (model == Model::with_coap_packet) {
            const std::uint64_t pdu = result->r0;
            if (packet == nullptr || pdu == 0 || pdu > packet->packet().buffer().size())
                return error(Errc::bad_pdu_length, {}, out);
            return Response{coap::kChanged, coap::kFormatText, static_cast<std::size_t>(pdu), true, {}};
        }
        std::size_t n;
        if (timings != nullptr) {
            timings->load = static_cast<std::int64_t>(t_compiled - t_verified);
            timings->verif = static_cast<std::int64_t>(t_verified - t0);
            timings->exec = static_cast<std::int64_t>(t_done - t_compiled);
            timings->total = static_cast<std::int64_t>(t_done - t0);
            timings->prog = static_cast<std::int64_t>(s.size);
            timings->result = static_cast<std::int64_t>(result->r0);
            n = encode_timings(*timings, out);
        } else {
            n = encode_result(static_cast<std::int64_t>(result->r0), out);
        }
        if (n == 0) return error(Errc::buffer_too_small, {}, out);
        return Response{coap::kChanged, coap::kFormatJson, n, false, {}};
    }

    /// Verifies the slot's program for this request and compiles it when asked (slot is ours).
    Failure prepare_run(Slot& s, const ExecuteRequest& r, VerifiedProgram<VC>& program,
                        std::uint32_t& t_verified, std::uint32_t& t_compiled) noexcept {
        HelperPolicy policy = r.helpers.policy();
        if (r.config.source == HelperSource::binary_metadata) {
            if (!s.image.has_helper_list) return {Errc::no_helper_list, {}};
            policy = HelperPolicy::all();  // Image::program narrows it to the image's list
        }
        const Result<VerifiedProgram<VC>> v = verify<VC>(s.image.program(policy), guarded());
        t_verified = platform_.now_us();
        t_compiled = t_verified;
        if (!v) return {Errc::verify_failed, v.error()};
        program = *v;
        if (!r.config.jit) return {};
        if constexpr (Cfg.jit_size != 0) {
            const std::size_t index = static_cast<std::size_t>(&s - slots_.data());
            std::span<std::uint8_t> code{memory_.jit[index]};
            if (r.config.jit_compile) {
                s.jit_ready = false;
                jit::Options options = Cfg.jit_options;
                if (options.blind_constants) options.blinding_seed = platform_.blinding_seed();
                const Result<jit::Compiled> c = jit::Compiler<VC>::compile(program, code, {}, options);
                if (!c) return {Errc::jit_failed, c.error()};
                s.compiled = *c;
                s.jit_ready = true;
                platform_.code_written(code.first(c->size));
                t_compiled = platform_.now_us();
            } else if (!s.jit_ready) {
                return {Errc::jit_not_compiled, {}};
            }
        }
        return {};
    }

    /// One run on `stack`; `stopped` tells whether a stop request ended it.
    Result<Outcome> run(Slot& s, const VerifiedProgram<VC>& program, const VmConfig& config, Model model,
                        seed::CoapExchange* packet, std::span<std::uint8_t> stack,
                        const std::atomic<bool>& stop, std::uint64_t budget, bool& stopped) noexcept {
        RunContext ctx;
        ctx.platform = platform_.peripherals();
        ctx.local = &s.local;
        ctx.global = &global_;
        ctx.coap = model == Model::with_coap_packet ? packet : nullptr;
        ctx.stop = &stop;
        ctx.inner = inner_;
        ctx.service_platform = &platform_;
        std::array<Region, 3> coap_regions{};
        Execution exec;
        exec.stack = stack;
        exec.budget = budget;
        exec.user = static_cast<seed::Environment*>(&ctx);
        exec.stop = &stop;  // ends even a loop that calls no helper (within kStopSlice instructions)
        if (ctx.coap != nullptr) {
            // r1 is the seed's bpf_coap_ctx_t; the views and the packet buffer are mapped.
            coap_regions = ctx.coap->regions();
            exec.regions = coap_regions;
            exec.args[0] = ctx.coap->context_address();
        }
        Result<Outcome> r = Error{ErrorCode::no_program, 0};
        if (config.jit) {
            if constexpr (Cfg.jit_size != 0) {
                const std::size_t index = static_cast<std::size_t>(&s - slots_.data());
                r = platform_.run_jit(
                    program, std::span<const std::uint8_t>{memory_.jit[index]}.first(s.compiled.size),
                    s.compiled, exec, stop);
            }
        } else {
            r = Interpreter<VC>::run(program, exec);
        }
        stopped = ctx.stopped || (!r && stop.load());
        return r;
    }

    /// Records a run's outcome and frees the slot.
    Failure finish(Slot& s, const Result<Outcome>& r, bool stop_requested) noexcept {
        Failure f{};
        if (!r) f = {stop_requested ? Errc::stopped : Errc::program_failed, r.error()};
        Lock l(platform_);
        s.last.valid = true;
        s.last.failure = f;
        s.last.r0 = r ? r->r0 : 0;
        s.last.instructions = r ? r->instructions : 0;
        s.state = SlotState::occupied;
        return f;
    }

    Response accepted(const PullRequest& r, std::span<char> out) noexcept {
        detail::Writer w(out);
        w.put("SUIT pull request accepted for manifest: ").put(r.manifest);
        std::size_t n = w.done();
        if (n == 0) n = detail::Writer(out).put("SUIT pull request accepted").done();
        return Response{coap::kChanged, coap::kFormatText, n, false, {}};
    }
    static Response text(std::uint8_t code, std::string_view message_text, std::span<char> out) noexcept {
        return Response{code, coap::kFormatText, detail::Writer(out).put(message_text).done(), false, {}};
    }
    /// An error response: the error's text, and the core error's text and pc when there is one.
    static Response error(Failure f, std::span<char> out) noexcept {
        std::size_t n = describe(f, out);
        if (n == 0) n = detail::Writer(out).put(message(f.code)).done();  // the short form, if that fits
        return Response{coap_code(f.code), coap::kFormatText, n, false, f};
    }
    static Response error(Errc code, Error cause, std::span<char> out) noexcept {
        return error({code, cause}, out);
    }

    PlatformType& platform_;
    Memory<Cfg>& memory_;
    std::array<Helper, Cfg.max_helpers> guarded_{};
    std::span<const Helper> inner_;
    std::size_t inner_count_ = 0;
    std::array<Slot, Cfg.slots> slots_{};
    std::array<Worker, Cfg.workers> workers_{};
    std::size_t spare_ = 0;
    Image staged_{};
    bool loading_ = false;
    bool foreground_busy_ = false;
    std::atomic<bool> no_stop_{false};
    seed::Store<Cfg.global_store> global_;
    PullState pull_state_ = PullState::idle;
    PendingPull pull_{};
    Failure pull_failure_{};
};

}  // namespace ubpf::service
