// SPDX-License-Identifier: MIT
#include "emulator.hpp"

#include <elf.h>
#include <unicorn/unicorn.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace ubpf::m4 {

namespace {

void check(uc_err err, const char* what) {
    if (err != UC_ERR_OK) throw std::runtime_error(std::string{what} + ": " + uc_strerror(err));
}

constexpr std::uint32_t kPage = 0x1000;
constexpr std::uint8_t kPaint = 0xa5;  // paint_stack()

/// A linked 32-bit ARM ELF in memory, with bounds-checked access to its headers.
struct ElfFile {
    std::string path;
    std::vector<std::uint8_t> bytes;
    Elf32_Ehdr header{};

    explicit ElfFile(const std::string& file_path) : path(file_path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw std::runtime_error("cannot open " + path);
        // One read of the whole file: the images are 0.2-1.5 MB and loaded once per run, and a
        // character-by-character copy took most of a Debug+ASan test's time.
        in.seekg(0, std::ios::end);
        const std::streamoff size = in.tellg();
        in.seekg(0, std::ios::beg);
        if (size < 0) throw std::runtime_error("cannot read " + path);
        bytes.resize(static_cast<std::size_t>(size));
        if (!in.read(reinterpret_cast<char*>(bytes.data()), size))
            throw std::runtime_error("cannot read " + path);
        read(0, header);
        if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS32 ||
            header.e_machine != EM_ARM || header.e_type != ET_EXEC)
            throw std::runtime_error(path + ": not a linked 32-bit ARM ELF");
    }
    [[nodiscard]] bool fits(std::uint64_t offset, std::uint64_t size) const {
        return offset <= bytes.size() && size <= bytes.size() - offset;
    }
    template <class T>
    void read(std::uint64_t offset, T& out) const {
        if (!fits(offset, sizeof out)) throw std::runtime_error(path + ": header past the end of the file");
        std::memcpy(&out, bytes.data() + offset, sizeof out);
    }
    [[nodiscard]] Elf32_Phdr segment(unsigned i) const {
        Elf32_Phdr ph;
        read(header.e_phoff + std::uint64_t{i} * header.e_phentsize, ph);
        return ph;
    }
    [[nodiscard]] Elf32_Shdr section(unsigned i) const {
        Elf32_Shdr sh;
        read(header.e_shoff + std::uint64_t{i} * header.e_shentsize, sh);
        return sh;
    }
    /// The zero-terminated string at `offset` of string table section `table`.
    [[nodiscard]] std::string string(const Elf32_Shdr& table, std::uint32_t offset) const {
        if (offset >= table.sh_size || !fits(table.sh_offset, table.sh_size)) return {};
        const char* s = reinterpret_cast<const char*>(bytes.data() + table.sh_offset + offset);
        return {s, strnlen(s, table.sh_size - offset)};
    }
};

}  // namespace

std::map<std::string, std::uint32_t> elf_section_sizes(const std::string& path) {
    const ElfFile elf(path);
    if (elf.header.e_shstrndx >= elf.header.e_shnum) throw std::runtime_error(path + ": no section names");
    const Elf32_Shdr names = elf.section(elf.header.e_shstrndx);
    std::map<std::string, std::uint32_t> sizes;
    for (unsigned i = 0; i < elf.header.e_shnum; ++i) {
        const Elf32_Shdr sh = elf.section(i);
        if (sh.sh_flags & SHF_ALLOC) sizes[elf.string(names, sh.sh_name)] += sh.sh_size;
    }
    return sizes;
}

Emulator::Emulator() {
    // UC_MODE_MCLASS would silently give a Cortex-M33 in Unicorn 2.0.1: open in Thumb mode and
    // select the Cortex-M4 model right away.
    check(uc_open(UC_ARCH_ARM, UC_MODE_THUMB, &uc_), "uc_open");
    check(uc_ctl_set_cpu_model(uc_, UC_CPU_ARM_CORTEX_M4), "uc_ctl_set_cpu_model");
    uc_hook hook;
    check(uc_hook_add(uc_, &hook, UC_HOOK_CODE, reinterpret_cast<void*>(&Emulator::on_code), this, 1, 0),
          "uc_hook_add code");
    check(uc_hook_add(uc_, &hook, UC_HOOK_MEM_INVALID, reinterpret_cast<void*>(&Emulator::on_invalid), this,
                      1, 0),
          "uc_hook_add invalid");
    // Host functions and the return address live in one page of undefined instructions: any
    // address there that is not a registered function faults.
    map(kTrapBase, kTrapSize, false, true);
    const std::vector<std::uint8_t> udf(kTrapSize, 0xde);
    write(kTrapBase, udf);
}

Emulator::~Emulator() {
    if (uc_ != nullptr) uc_close(uc_);
}

int Emulator::cpu_model() const {
    int model = -1;
    check(uc_ctl_get_cpu_model(uc_, &model), "uc_ctl_get_cpu_model");
    return model;
}

void Emulator::map(std::uint32_t address, std::uint32_t size, bool writable, bool executable) {
    const std::uint64_t begin = address & ~std::uint64_t{kPage - 1};
    const std::uint64_t end = (std::uint64_t{address} + size + kPage - 1) & ~std::uint64_t{kPage - 1};
    std::uint32_t perms = UC_PROT_READ;
    if (writable) perms |= UC_PROT_WRITE;
    if (executable) perms |= UC_PROT_EXEC;
    check(uc_mem_map(uc_, begin, end - begin, perms), "uc_mem_map");
}

void Emulator::unmap(std::uint32_t address, std::uint32_t size) {
    const std::uint64_t begin = address & ~std::uint64_t{kPage - 1};
    const std::uint64_t end = (std::uint64_t{address} + size + kPage - 1) & ~std::uint64_t{kPage - 1};
    check(uc_mem_unmap(uc_, begin, end - begin), "uc_mem_unmap");
}

void Emulator::map_host(std::uint32_t address, std::span<std::uint8_t> memory) {
    if (address % kPage != 0 || memory.size() % kPage != 0 ||
        reinterpret_cast<std::uintptr_t>(memory.data()) % kPage != 0)
        throw std::runtime_error("map_host needs 4 KiB aligned and sized memory");
    check(uc_mem_map_ptr(uc_, address, memory.size(), UC_PROT_ALL, memory.data()), "uc_mem_map_ptr");
}

void Emulator::drop_translations(std::uint32_t begin, std::uint32_t end) {
    if (end > begin)
        check(uc_ctl_remove_cache(uc_, std::uint64_t{begin}, std::uint64_t{end}), "uc_ctl_remove_cache");
}

void Emulator::write(std::uint32_t address, std::span<const std::uint8_t> bytes) {
    write(address, bytes.data(), bytes.size());
}

void Emulator::write(std::uint32_t address, const void* data, std::size_t size) {
    if (size != 0) check(uc_mem_write(uc_, address, data, size), "uc_mem_write");
}

void Emulator::read(std::uint32_t address, void* data, std::size_t size) const {
    if (size != 0) check(uc_mem_read(uc_, address, data, size), "uc_mem_read");
}

std::vector<std::uint8_t> Emulator::read(std::uint32_t address, std::size_t size) const {
    std::vector<std::uint8_t> out(size);
    read(address, out.data(), size);
    return out;
}

ElfImage Emulator::load_elf(const std::string& path) {
    const ElfFile elf(path);
    ElfImage image;
    image.entry = elf.header.e_entry;
    for (unsigned i = 0; i < elf.header.e_phnum; ++i) {
        const Elf32_Phdr ph = elf.segment(i);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        if (!elf.fits(ph.p_offset, ph.p_filesz) || ph.p_filesz > ph.p_memsz)
            throw std::runtime_error(path + ": segment past the end of the file");
        map(ph.p_vaddr, ph.p_memsz, (ph.p_flags & PF_W) != 0, (ph.p_flags & PF_X) != 0);
        write(ph.p_vaddr, elf.bytes.data() + ph.p_offset, ph.p_filesz);
    }
    for (unsigned i = 0; i < elf.header.e_shnum; ++i) {
        const Elf32_Shdr sh = elf.section(i);
        if (sh.sh_type != SHT_SYMTAB) continue;
        if (sh.sh_link >= elf.header.e_shnum) throw std::runtime_error(path + ": bad string table link");
        const Elf32_Shdr strings = elf.section(sh.sh_link);
        for (std::uint64_t off = 0; off + sizeof(Elf32_Sym) <= sh.sh_size; off += sizeof(Elf32_Sym)) {
            Elf32_Sym sym;
            elf.read(sh.sh_offset + off, sym);
            const std::string name = elf.string(strings, sym.st_name);
            if (name.empty()) continue;
            image.symbols[name] = sym.st_value;
            image.sizes[name] = sym.st_size;
        }
    }
    return image;
}

void Emulator::set_stack(std::uint32_t top, std::uint32_t size) {
    map(top - size, size);
    stack_top_ = top;
    stack_size_ = size;
}

void Emulator::paint_stack() {
    write(stack_top_ - stack_size_, std::vector<std::uint8_t>(stack_size_, kPaint));
}

std::uint32_t Emulator::stack_used() {
    const std::vector<std::uint8_t> stack = read(stack_top_ - stack_size_, stack_size_);
    std::size_t untouched = 0;
    while (untouched < stack.size() && stack[untouched] == kPaint) ++untouched;
    return static_cast<std::uint32_t>(stack_size_ - untouched);
}

std::uint32_t Emulator::add_host_function(std::function<void(Emulator&)> fn) {
    host_functions_.push_back(std::move(fn));
    const auto address = static_cast<std::uint32_t>(kTrapBase + 2 * (host_functions_.size() - 1));
    if (address >= kReturnAddress) throw std::runtime_error("too many host functions");
    return address | 1;
}

std::uint32_t Emulator::reg(int uc_reg) const {
    std::uint32_t value = 0;
    check(uc_reg_read(uc_, uc_reg, &value), "uc_reg_read");
    return value;
}

void Emulator::set_reg(int uc_reg, std::uint32_t value) {
    check(uc_reg_write(uc_, uc_reg, &value), "uc_reg_write");
}

CallResult Emulator::call(std::uint32_t function, std::span<const Arg> args, std::uint64_t max_instructions) {
    if (stack_top_ == 0) throw std::runtime_error("call() needs set_stack() first");
    // AAPCS: arguments fill r0..r3 in order; a 64-bit one takes an even/odd pair, and once a
    // value does not fit in registers it and all later ones go on the stack, 8-aligned if wide.
    std::uint32_t regs[4] = {};
    std::vector<std::uint8_t> stacked;
    unsigned next = 0;
    bool on_stack = false;
    for (const Arg& a : args) {
        if (a.wide && !on_stack) next = (next + 1) & ~1u;
        if (!on_stack && next + (a.wide ? 2u : 1u) <= 4) {
            regs[next++] = static_cast<std::uint32_t>(a.value);
            if (a.wide) regs[next++] = static_cast<std::uint32_t>(a.value >> 32);
            continue;
        }
        on_stack = true;
        if (a.wide) stacked.resize((stacked.size() + 7) & ~std::size_t{7});
        const std::size_t at = stacked.size();
        stacked.resize(at + (a.wide ? 8 : 4));
        std::memcpy(stacked.data() + at, &a.value, a.wide ? 8 : 4);
    }
    const std::uint32_t sp = (stack_top_ - static_cast<std::uint32_t>(stacked.size())) & ~7u;
    write(sp, stacked.data(), stacked.size());
    const int arg_regs[4] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3};
    for (int i = 0; i < 4; ++i) set_reg(arg_regs[i], regs[i]);
    set_reg(UC_ARM_REG_SP, sp);
    set_reg(UC_ARM_REG_LR, kReturnAddress | 1);

    count_ = 0;
    limit_ = max_instructions;
    fault_.reset();
    interrupted_ = false;
    const uc_err err = uc_emu_start(uc_, function | 1, kReturnAddress, 0, 0);
    CallResult result;
    result.instructions = count_;
    result.fault = fault_;
    result.interrupted = interrupted_;
    if (err != UC_ERR_OK && !result.fault) result.fault = Fault{uc_strerror(err), 0, reg(UC_ARM_REG_PC)};
    if (result.fault && result.fault->pc == 0) result.fault->pc = reg(UC_ARM_REG_PC);
    result.r0 = reg(UC_ARM_REG_R0);
    result.r1 = reg(UC_ARM_REG_R1);
    return result;
}

void Emulator::on_code(uc_struct* uc, std::uint64_t address, std::uint32_t, void* self_ptr) {
    auto& self = *static_cast<Emulator*>(self_ptr);
    if (address >= kTrapBase && address < kReturnAddress) {
        const std::uint64_t index = (address - kTrapBase) / 2;
        if (index < self.host_functions_.size()) {
            self.host_functions_[index](self);
            self.set_reg(UC_ARM_REG_PC, self.reg(UC_ARM_REG_LR));
            return;
        }
    }
    if (self.interrupt_ && self.count_ % kInterruptSlice == 0 && self.interrupt_()) {
        self.interrupted_ = true;
        uc_emu_stop(uc);
        return;
    }
    if (self.count_ == self.limit_) {  // this instruction would be one too many: stop before it
        self.fault_ = Fault{"instruction limit reached", 0, static_cast<std::uint32_t>(address)};
        uc_emu_stop(uc);
        return;
    }
    ++self.count_;
    if (self.profile_ != nullptr) ++(*self.profile_)[static_cast<std::uint32_t>(address)];
}

bool Emulator::on_invalid(uc_struct*, int type, std::uint64_t address, int, std::int64_t, void* self_ptr) {
    auto& self = *static_cast<Emulator*>(self_ptr);
    const char* what = "invalid memory access";
    switch (type) {
        case UC_MEM_READ_UNMAPPED:
            what = "read of unmapped memory";
            break;
        case UC_MEM_WRITE_UNMAPPED:
            what = "write to unmapped memory";
            break;
        case UC_MEM_FETCH_UNMAPPED:
            what = "instruction fetch from unmapped memory";
            break;
        case UC_MEM_WRITE_PROT:
            what = "write to read-only memory";
            break;
        case UC_MEM_FETCH_PROT:
            what = "instruction fetch from non-executable memory";
            break;
        default:
            break;
    }
    self.fault_ = Fault{what, address, self.reg(UC_ARM_REG_PC)};
    return false;
}

}  // namespace ubpf::m4
