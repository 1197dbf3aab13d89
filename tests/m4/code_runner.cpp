// SPDX-License-Identifier: MIT
#include "code_runner.hpp"

#include <sys/mman.h>
#include <unicorn/unicorn.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "emulator.hpp"
#include "image/jit_layout.hpp"

namespace ubpf::m4 {

namespace {

constexpr std::size_t kPage = 0x1000;

// The Cortex-M4's external RAM range (0x60000000-0x9fffffff, executable, unlike the peripheral
// range below it), clear of everything the images map, and below ASan's shadow on x86-64.
constexpr std::uintptr_t kSharedCandidates[] = {0x60000000, 0x68000000, 0x70000000, 0x78000000};

// Where the block and its arrays go in the emulator's own memory.
constexpr std::uint32_t kRegionsAt = kBlockBase + 0x400;
constexpr std::uint32_t kExecRegionsAt = kRegionsAt + kMaxCodeRegions * sizeof(CodeRegion);
constexpr std::uint32_t kHelpersAt = kExecRegionsAt + kMaxCodeRegions * sizeof(CodeRegion);
constexpr std::uint32_t kBlockArea = 0x1000;
static_assert(sizeof(CodeBlock) <= kRegionsAt - kBlockBase);
static_assert(kHelpersAt + kMaxCodeHelpers * sizeof(CodeHelper) <= kBlockBase + kBlockArea);

std::uint32_t address(const void* p) {
    return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(p));
}

void put_regions(Emulator& emu, std::uint32_t at, std::span<const Region> regions) {
    for (std::size_t i = 0; i < regions.size(); ++i) {
        const CodeRegion r{static_cast<std::uint32_t>(regions[i].start),
                           static_cast<std::uint32_t>(regions[i].size),
                           static_cast<std::uint32_t>(regions[i].access)};
        emu.write(static_cast<std::uint32_t>(at + i * sizeof r), &r, sizeof r);
    }
}

}  // namespace

SharedMemory::SharedMemory(std::size_t size) : size_((size + kPage - 1) / kPage * kPage) {
    for (const std::uintptr_t at : kSharedCandidates) {
        void* p = mmap(reinterpret_cast<void*>(at), size_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED) continue;
        if (reinterpret_cast<std::uintptr_t>(p) == at) {
            base_ = static_cast<std::uint8_t*>(p);
            return;
        }
        munmap(p, size_);  // an old kernel took the address as a hint only
    }
    throw std::runtime_error("no free host memory below 4 GiB for the emulated Cortex-M4 to share");
}

SharedMemory::~SharedMemory() {
    munmap(base_, size_);
}

bool SharedMemory::holds(std::uintptr_t start, std::size_t size) const {
    if (size == 0) return true;  // nothing there is ever accessed
    const auto base = reinterpret_cast<std::uintptr_t>(base_);
    return start >= base && start - base <= size_ && size <= size_ - (start - base);
}

/// One emulator with the JIT image loaded and the shared memory mapped; one run at a time.
struct CodeRunner::Session {
    Emulator emu;
    std::uint32_t entry = 0, helper_trap = 0, mark = 0;
    std::uint64_t at_mark = 0;
    const CodeRequest* current = nullptr;
    unsigned runs = 0;  ///< runs started on this emulator

    Session(const SharedMemory& shared, const std::string& image) {
        entry = emu.load_elf(image).symbols.at("ubpf_m4_jit_run_code");
        emu.set_stack(kStackTop, kStackSize);
        emu.map(kBlockBase, kBlockArea);
        emu.map_host(address(shared.bytes().data()), shared.bytes());
        mark = emu.add_host_function([this](Emulator& e) { at_mark = e.instructions(); });
        // void call(HelperCall*): the host's helper, on the memory both sides share, with a
        // HelperContext over the run's host memory map; its outcome goes back to the image.
        helper_trap = emu.add_host_function([this](Emulator& e) {
            const std::uint32_t at = e.reg(UC_ARM_REG_R0);
            HelperCall call{};
            e.read(at, &call, sizeof call);
            const CodeRequest& r = *current;
            if (call.index >= r.helpers.size()) {
                call.outcome = static_cast<std::uint32_t>(HelperContext::Outcome::fail);
                call.error = static_cast<std::uint32_t>(ErrorCode::unknown_helper);
            } else {
                HelperContext ctx{*r.memory, r.exec->user};
                call.r0 = r.helpers[call.index].fn(call.args[0], call.args[1], call.args[2], call.args[3],
                                                   call.args[4], ctx);
                call.outcome = static_cast<std::uint32_t>(ctx.outcome());
                call.error = static_cast<std::uint32_t>(ctx.error());
            }
            e.write(at, &call, sizeof call);
        });
    }

    Result<Outcome> run(const SharedMemory& shared, const CodeRequest& r, CodeRunInfo& info) {
        ++runs;
        const Execution& exec = *r.exec;
        // Every address the code may use must mean the same on the M4: refuse anything else.
        bool inside =
            shared.holds(reinterpret_cast<std::uintptr_t>(r.code.data()), r.code.size()) &&
            shared.holds(reinterpret_cast<std::uintptr_t>(r.program.data()), r.program.size_bytes()) &&
            shared.holds(reinterpret_cast<std::uintptr_t>(exec.stack.data()), exec.stack.size());
        for (const Region& g : exec.regions) inside = inside && shared.holds(g.start, g.size);
        for (const Region& g : r.program_regions) inside = inside && shared.holds(g.start, g.size);
        if (!inside) return Error{ErrorCode::invalid_region, 0};
        if (r.helpers.size() > kMaxCodeHelpers || r.program_regions.size() > kMaxCodeRegions ||
            exec.regions.size() > kMaxCodeRegions || r.compiled.size() > kCodeOpaqueBytes ||
            r.policy.size() > kCodeOpaqueBytes) {
            info.failure = "the run needs more helpers, regions or block room than the JIT image has";
            return Error{ErrorCode::no_program, 0};
        }

        CodeBlock b{};
        b.compiled_size = static_cast<std::uint32_t>(r.compiled.size());
        b.policy_size = static_cast<std::uint32_t>(r.policy.size());
        b.max_instructions = static_cast<std::uint32_t>(r.config.max_instructions);
        b.max_functions = static_cast<std::uint32_t>(r.config.max_functions);
        b.max_call_depth = static_cast<std::uint32_t>(r.config.max_call_depth);
        b.stack_frame_size = static_cast<std::uint32_t>(r.config.stack_frame_size);
        b.code_addr = address(r.code.data());
        b.program_addr = address(r.program.data());
        b.program_count = static_cast<std::uint32_t>(r.program.size());
        b.entry = r.entry;
        b.regions_addr = kRegionsAt;
        b.region_count = static_cast<std::uint32_t>(r.program_regions.size());
        b.exec_regions_addr = kExecRegionsAt;
        b.exec_region_count = static_cast<std::uint32_t>(exec.regions.size());
        b.helpers_addr = kHelpersAt;
        b.helper_count = static_cast<std::uint32_t>(r.helpers.size());
        b.helper_trap = helper_trap;
        b.mark = mark;
        b.stack_addr = address(exec.stack.data());
        b.stack_len = static_cast<std::uint32_t>(exec.stack.size());
        for (std::size_t i = 0; i < exec.args.size(); ++i) b.args[i] = exec.args[i];
        b.budget = exec.budget;
        std::memcpy(b.policy, r.policy.data(), r.policy.size());
        std::memcpy(b.compiled, r.compiled.data(), r.compiled.size());
        emu.write(kBlockBase, &b, sizeof b);
        put_regions(emu, kRegionsAt, r.program_regions);
        put_regions(emu, kExecRegionsAt, exec.regions);
        for (std::size_t i = 0; i < r.helpers.size(); ++i) {
            CodeHelper h{};
            h.id = r.helpers[i].id;
            for (std::size_t a = 0; a < 5; ++a) {
                h.kind[a] = static_cast<std::uint8_t>(r.helpers[i].args[a].kind);
                h.size_from[a] = r.helpers[i].args[a].size_from;
                h.bytes[a] = r.helpers[i].args[a].bytes;
            }
            emu.write(static_cast<std::uint32_t>(kHelpersAt + i * sizeof h), &h, sizeof h);
        }
        // The host wrote this code (the service's JIT): what the emulator translated from an
        // earlier program in the same buffer must go, as a device invalidates its I-cache.
        emu.drop_translations(b.code_addr, static_cast<std::uint32_t>(b.code_addr + r.code.size()));

        current = &r;
        at_mark = 0;
        emu.set_interrupt(
            [stop = r.stop] { return stop != nullptr && stop->load(std::memory_order_relaxed); });
        // A bounded budget bounds the M4 instructions too; an unbounded run ends only by stop.
        const std::uint64_t limit = exec.budget < 100'000'000 ? 20'000'000 + 1000 * exec.budget : UINT64_MAX;
        const Arg args[] = {Arg::u32(kBlockBase)};
        const CallResult call = emu.call(entry, args, limit);
        emu.set_interrupt({});
        current = nullptr;
        info.m4_instructions = call.instructions - at_mark;
        if (call.interrupted) {
            info.interrupted = true;
            return Error{ErrorCode::stopped, 0};  // between helper calls: no eBPF pc is known here
        }
        if (call.fault) {
            char where[64];
            std::snprintf(where, sizeof where, " (address 0x%" PRIx64 ", pc 0x%08" PRIx32 ")",
                          call.fault->address, call.fault->pc);
            info.failure = "emulated Cortex-M4: " + call.fault->what + where;
            return Error{ErrorCode::no_program, 0};
        }
        emu.read(kBlockBase, &b, sizeof b);
        if (b.error_code == kCodeAbiMismatch) {
            info.failure = "the JIT image was built with other types or another configuration than the host";
            return Error{ErrorCode::no_program, 0};
        }
        if (b.ok == 0) return Error{static_cast<ErrorCode>(b.error_code), b.error_pc};
        return Outcome{b.r0, b.instructions};
    }
};

CodeRunner::CodeRunner(const SharedMemory& shared, std::string image, unsigned runs_per_emulator)
    : shared_(shared), image_(std::move(image)), runs_per_emulator_(runs_per_emulator) {}

CodeRunner::~CodeRunner() = default;

std::unique_ptr<CodeRunner::Session> CodeRunner::take() {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (!idle_.empty()) {
            std::unique_ptr<Session> s = std::move(idle_.back());
            idle_.pop_back();
            return s;
        }
    }
    ++started_;
    return std::make_unique<Session>(shared_, image_);
}

void CodeRunner::give_back(std::unique_ptr<Session> session) {
    if (session->runs >= runs_per_emulator_) return;  // closed here, outside the lock
    const std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(session));
}

Result<Outcome> CodeRunner::run(const CodeRequest& request, CodeRunInfo& info) {
    info = {};
    try {
        // Runs on other threads (long-running programs) go on at the same time: each has an
        // emulator of its own, kept for the next run.
        std::unique_ptr<Session> session = take();
        Result<Outcome> r = session->run(shared_, request, info);
        give_back(std::move(session));
        return r;
    } catch (const std::exception& e) {  // a session that threw is dropped
        info.failure = e.what();
        return Error{ErrorCode::no_program, 0};
    }
}

}  // namespace ubpf::m4
