// SPDX-License-Identifier: MIT
#include "toolchain.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <vector>

extern char** environ;

namespace ubpf::tools {
namespace {

/// The first of `names` found on PATH.
std::optional<std::string> find_tool(std::initializer_list<const char*> names) {
    const char* path = std::getenv("PATH");
    for (const char* name : names) {
        std::stringstream dirs(path != nullptr ? path : "/usr/bin");
        std::string dir;
        while (std::getline(dirs, dir, ':')) {
            const std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
            if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        }
    }
    return std::nullopt;
}

/// Runs argv[0] with the arguments; its output goes to ours. The exit status, or -1.
int run(const std::vector<std::string>& argv) {
    std::vector<char*> raw;
    for (const std::string& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
    raw.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawn(&pid, raw[0], nullptr, nullptr, raw.data(), environ) != 0) return -1;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string compile_to_bpf(const std::string& source, const std::string& object, const std::string& cpu) {
    // clang 14 rejects -mcpu=v4; Debian 12 has clang-19 for it.
    const auto compiler =
        cpu == "v4" ? find_tool({"clang-19"}) : find_tool({"clang", "clang-19", "clang-14"});
    if (!compiler)
        return cpu == "v4" ? "clang-19 not found: --cpu v4 needs it (apt install clang-19)"
                           : "clang not found: install clang (its BPF target compiles the programs)";
    const int status = run({*compiler, "-O2", "-target", "bpf", "-mcpu=" + cpu, "-ffreestanding", "-Wall",
                            "-I" UBPF_SDK_DIR, "-c", source, "-o", object});
    if (status != 0)
        return "compiling " + source + " failed (" + *compiler + " exit status " + std::to_string(status) +
               ")";
    return {};
}

std::string strip_object(const std::string& object, const std::string& out) {
    const auto strip = find_tool({"llvm-strip", "llvm-strip-19", "llvm-strip-14"});
    if (!strip) return "llvm-strip not found: install llvm";
    const int status = run({*strip, "--strip-debug", "--remove-section=.BTF", "--remove-section=.BTF.ext",
                            "--remove-section=.llvm_addrsig", object, "-o", out});
    if (status != 0)
        return "stripping " + object + " failed (" + *strip + " exit status " + std::to_string(status) + ")";
    return {};
}

}  // namespace ubpf::tools
