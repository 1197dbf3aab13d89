// SPDX-License-Identifier: MIT
// The header firmware includes: every stage of the core, and Vm, which ties the verifier and
// the interpreter to one helper table.
#pragma once

#include <span>

#include "config.hpp"
#include "error.hpp"
#include "helpers.hpp"
#include "interpreter.hpp"
#include "isa.hpp"
#include "memory.hpp"
#include "verifier.hpp"

namespace ubpf {

/// A verified program ready to run, bound to the helper table it was verified against.
template <Config C = Config{}>
class Vm {
public:
    explicit constexpr Vm(std::span<const Helper> helpers = {}) noexcept : helpers_(helpers) {}

    /// Verifies and keeps `program`. On error the previously loaded program stays loaded.
    [[nodiscard]] Result<bool> load(const Program& program) noexcept {
        Result<VerifiedProgram<C>> verified = verify<C>(program, helpers_);
        if (!verified) return verified.error();
        program_ = *verified;
        loaded_ = true;
        return true;
    }

    /// Runs the loaded program.
    [[nodiscard]] Result<Outcome> run(const Execution& exec) const noexcept {
        if (!loaded_) return Error{ErrorCode::no_program, 0};
        return Interpreter<C>::run(program_, exec);
    }

    /// True once a load() has succeeded.
    [[nodiscard]] bool loaded() const noexcept { return loaded_; }
    /// The loaded program (empty before the first successful load()), e.g. for the JIT.
    [[nodiscard]] const VerifiedProgram<C>& program() const noexcept { return program_; }

private:
    std::span<const Helper> helpers_;
    VerifiedProgram<C> program_{};
    bool loaded_ = false;
};

}  // namespace ubpf
