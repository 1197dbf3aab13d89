// SPDX-License-Identifier: MIT
// Compile-time configuration shared by every stage, and the few macros that remove features.
#pragma once

#include <cstddef>
#include <cstdint>

// UBPF_NO_ERROR_MESSAGES: error codes keep working, their texts are compiled out.
// UBPF_NO_COMPUTED_GOTO: the interpreter uses its portable switch loop only.
#if (defined(__GNUC__) || defined(__clang__)) && !defined(UBPF_NO_COMPUTED_GOTO)
#define UBPF_HAS_COMPUTED_GOTO 1
#else
#define UBPF_HAS_COMPUTED_GOTO 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define UBPF_LIKELY(x) __builtin_expect(!!(x), 1)
#define UBPF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define UBPF_LIKELY(x) (x)
#define UBPF_UNLIKELY(x) (x)
#endif

// Forced inlining of a function that is large but on a hot path, unless optimising for size
// (-Os defines __OPTIMIZE_SIZE__): there each such function stays one shared copy.
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define UBPF_HOT_INLINE [[gnu::always_inline]]
#else
#define UBPF_HOT_INLINE
#endif

namespace ubpf {

/// How the interpreter finds the handler of the next instruction.
enum class Dispatch : std::uint8_t {
    threaded,     ///< computed goto, one indirect jump per instruction (GCC, Clang)
    switch_loop,  ///< portable `for (;;) switch`
    compact,      ///< generic handlers decoded from the opcode table: smallest code, slower
};

/// Limits and choices of one VM configuration. Passed as a template argument, so two
/// configurations are two types and nothing is decided at run time.
struct Config {
    std::size_t max_instructions = 4096;  ///< largest program the verifier accepts
    std::size_t max_functions = 16;       ///< main plus local functions (call src=1 targets)
    std::size_t max_call_depth = 8;       ///< frames alive at once, main included
    std::size_t stack_frame_size = 512;   ///< bytes of stack per frame (r10 points at its top)
    /// Threaded where the compiler has computed goto. Size-optimised firmware should ask for
    /// Dispatch::compact; the default does not follow -Os, so that every translation unit of a
    /// firmware sees the same Config whatever its optimisation flags.
    Dispatch dispatch = UBPF_HAS_COMPUTED_GOTO ? Dispatch::threaded : Dispatch::switch_loop;
    /// The JIT can version loops (jit::Options::version_loops, chosen per compilation); false
    /// leaves that code out of the JIT (about 6 KB of -Os ROM: docs/benchmarks.md).
    bool jit_loop_versioning = true;

    /// Bytes of stack a run needs: one frame per possible call depth.
    [[nodiscard]] constexpr std::size_t stack_size() const noexcept {
        return max_call_depth * stack_frame_size;
    }
};

}  // namespace ubpf
