#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generates tests/jit/thumb2_vectors.txt: golden encodings of every encoder in
include/ubpf/jit/thumb2.hpp, computed by LLVM's assembler for Cortex-M4.

Each case pairs an encoder call (name and integer arguments, read by thumb2_test.cpp) with the
assembly text that means the same instruction; llvm-mc supplies the bytes. Register classes
(low, high, ip, lr) and the edges of every immediate range are covered.

  /usr/bin/python3 tests/jit/gen_thumb2_vectors.py > tests/jit/thumb2_vectors.txt
"""
import re
import subprocess
import sys

LLVM_MC = ["llvm-mc", "-triple=thumbv7em-none-eabi", "-mcpu=cortex-m4", "-show-encoding"]

REGS = [0, 1, 7, 8, 12, 14]  # low, high, ip, lr
COND = ["eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le"]
DP = {"and": 0, "bic": 1, "orr": 2, "orn": 3, "eor": 4, "add": 8, "adc": 10, "sbc": 11, "sub": 13, "rsb": 14}
SHIFT = ["lsl", "lsr", "asr", "ror"]
MEM = ["strb", "strh", "str", "ldrb", "ldrh", "ldr", "ldrsb", "ldrsh"]
EXT = {"sxth": 0, "uxth": 1, "sxtb": 4, "uxtb": 5}
MOD_IMMS = [0, 1, 0x7f, 0xff, 0x100, 0x3fc, 0x00ab00ab, 0xab00ab00, 0xabababab, 0xffffffff,
            0x80000000, 0xff000000, 0x12000000, 0x000001fe, 0x3f800000, 0x00000ff0]


def r(n):
    return {12: "r12", 13: "sp", 14: "lr", 15: "pc"}.get(n, "r%d" % n)


def cases():
    for name, op in DP.items():
        for s in (0, 1):
            for rd, rn in ((0, 1), (8, 12), (14, 7)):
                for v in MOD_IMMS:
                    wide = "" if name in ("adc", "sbc") else ".w"  # llvm-mc has no .w spelling for these
                    yield ("dp_imm %d %d %d %d %d" % (op, s, rd, rn, v),
                           "%s%s%s %s, %s, #%d" % (name, "s" if s else "", wide, r(rd), r(rn), v))
            for rd, rn, rm in ((0, 1, 2), (8, 9, 12), (14, 3, 11)):
                yield "dp_reg %d %d %d %d %d 0 0" % (op, s, rd, rn, rm), "%s%s.w %s, %s, %s" % (name, "s" if s else "", r(rd), r(rn), r(rm))
                for sh, amounts in ((0, (1, 31)), (1, (1, 31, 32)), (2, (1, 32)), (3, (1, 31))):
                    for a in amounts:
                        yield ("dp_reg %d %d %d %d %d %d %d" % (op, s, rd, rn, rm, sh, a),
                               "%s%s.w %s, %s, %s, %s #%d" % (name, "s" if s else "", r(rd), r(rn), r(rm), SHIFT[sh], a))
    for rd, rn in ((0, 1), (9, 12), (14, 0)):
        for v in (0, 1, 255, 256, 2048, 4095):
            yield "addw %d %d %d" % (rd, rn, v), "addw %s, %s, #%d" % (r(rd), r(rn), v)
            yield "subw %d %d %d" % (rd, rn, v), "subw %s, %s, #%d" % (r(rd), r(rn), v)
    for v in (0, 4, 256, 508):
        yield "add_sp %d" % v, "add sp, #%d" % v
        yield "sub_sp %d" % v, "sub sp, #%d" % v
    for c in range(14):
        for off in (-256, -2, 0, 2, 254):
            yield "b_cond_t1 %d %d" % (c, off), "b%s #%d" % (COND[c], off)
        for off in (-1048576, -4096, -2, 0, 2, 0x40000, 1048574):
            yield "b_cond_t3 %d %d" % (c, off), "b%s.w #%d" % (COND[c], off)
    for off in (-2048, -2, 0, 2, 2046):
        yield "b_t2 %d" % off, "b #%d" % off
    for off in (-16777216, -1048578, -2, 0, 2, 4096, 1048576, 16777214):
        yield "b_t4 %d" % off, "b.w #%d" % off
        yield "bl %d" % off, "bl #%d" % off
    for rm in (0, 7, 8, 12, 14):
        yield "blx %d" % rm, "blx %s" % r(rm)
        yield "bx %d" % rm, "bx %s" % r(rm)
    for rn in (0, 3, 7):
        for off in (0, 2, 64, 126):
            yield "cbz %d %d 0" % (rn, off), "cbz %s, #%d" % (r(rn), off)
            yield "cbz %d %d 1" % (rn, off), "cbnz %s, #%d" % (r(rn), off)
    for rn in (0, 8, 14):
        for v in MOD_IMMS:
            yield "cmp_imm %d %d" % (rn, v), "cmp.w %s, #%d" % (r(rn), v)
            yield "cmn_imm %d %d" % (rn, v), "cmn.w %s, #%d" % (r(rn), v)
            yield "tst_imm %d %d" % (rn, v), "tst.w %s, #%d" % (r(rn), v)
        for rm in (1, 9, 12):
            yield "cmp_reg %d %d" % (rn, rm), "cmp.w %s, %s" % (r(rn), r(rm))
            yield "tst_reg %d %d" % (rn, rm), "tst.w %s, %s" % (r(rn), r(rm))
    for c in range(14):
        for n in (1, 2, 3, 4):
            body = "\n".join("nop%s" % COND[c] for _ in range(n))
            yield "it_then %d %d" % (c, n), "i%s %s\n%s" % ("t" * n, COND[c], body)
    for k, m in enumerate(MEM):
        for rt, rn in ((0, 1), (8, 12), (14, 13), (3, 10)):
            if m in ("ldrsb", "ldrsh", "ldrb", "ldrh") and rt == 14 and rn == 13:
                continue  # keep to plain registers for the sub-word loads
            for off in (0, 1, 2, 255, 256, 4095, -1, -4, -255):
                yield "mem_imm %d %d %d %d" % (k, rt, rn, off), "%s%s %s, [%s, #%d]" % (m, ".w" if off >= 0 else "", r(rt), r(rn), off)
        for rt, rn, rm in ((1, 3, 2), (7, 0, 6), (8, 3, 2), (1, 9, 2), (1, 3, 12), (14, 10, 11)):
            yield "mem_reg %d %d %d %d" % (k, rt, rn, rm), "%s %s, [%s, %s]" % (m, r(rt), r(rn), r(rm))
    for load in (0, 1):
        for rt, rn in ((0, 7), (5, 1), (7, 0)):
            for off in (0, 4, 124):
                yield "mem_word %d %d %d %d" % (load, rt, rn, off), "%s %s, [%s, #%d]" % ("ldr" if load else "str", r(rt), r(rn), off)
        for rt in (0, 7):
            for off in (0, 4, 1020):
                yield "mem_sp %d %d %d" % (load, rt, off), "%s %s, [sp, #%d]" % ("ldr" if load else "str", r(rt), off)
        for rt, rt2, rn in ((0, 1, 2), (8, 9, 13), (12, 14, 10)):
            for off in (-1020, -4, 0, 4, 1020):
                yield ("mem_dual %d %d %d %d %d" % (load, rt, rt2, rn, off),
                       "%s %s, %s, [%s, #%d]" % ("ldrd" if load else "strd", r(rt), r(rt2), r(rn), off))
    for t in range(4):
        for rd, rn, rm in ((0, 1, 2), (8, 12, 14), (3, 3, 9)):
            yield "shift_reg %d %d %d %d" % (t, rd, rn, rm), "%s.w %s, %s, %s" % (SHIFT[t], r(rd), r(rn), r(rm))
    for t, amounts in ((0, (1, 16, 31)), (1, (1, 16, 31, 32)), (2, (1, 31, 32))):
        for rd, rm in ((0, 1), (9, 12), (14, 4)):
            for n in amounts:
                yield "shift_imm %d %d %d %d" % (t, rd, rm, n), "%s.w %s, %s, #%d" % (SHIFT[t], r(rd), r(rm), n)
    for rd, rn, rm, ra in ((0, 1, 2, 3), (8, 12, 14, 9), (4, 4, 4, 4)):
        yield "mla %d %d %d %d" % (rd, rn, rm, ra), "mla %s, %s, %s, %s" % (r(rd), r(rn), r(rm), r(ra))
        yield "mls %d %d %d %d" % (rd, rn, rm, ra), "mls %s, %s, %s, %s" % (r(rd), r(rn), r(rm), r(ra))
        yield "mul %d %d %d" % (rd, rn, rm), "mul %s, %s, %s" % (r(rd), r(rn), r(rm))
        yield "udiv %d %d %d" % (rd, rn, rm), "udiv %s, %s, %s" % (r(rd), r(rn), r(rm))
        yield "sdiv %d %d %d" % (rd, rn, rm), "sdiv %s, %s, %s" % (r(rd), r(rn), r(rm))
        if rd != ra:
            yield "umull %d %d %d %d" % (rd, ra, rn, rm), "umull %s, %s, %s, %s" % (r(rd), r(ra), r(rn), r(rm))
            yield "smull %d %d %d %d" % (rd, ra, rn, rm), "smull %s, %s, %s, %s" % (r(rd), r(ra), r(rn), r(rm))
    for rd in (0, 8, 12, 14):
        for v in MOD_IMMS:
            yield "mov_imm %d %d" % (rd, v), "mov.w %s, #%d" % (r(rd), v)
            yield "mvn_imm %d %d" % (rd, v), "mvn %s, #%d" % (r(rd), v)
        for v in (0, 1, 255, 256, 0x1234, 0x8000, 0xffff):
            yield "movw %d %d" % (rd, v), "movw %s, #%d" % (r(rd), v)
            yield "movt %d %d" % (rd, v), "movt %s, #%d" % (r(rd), v)
    for rd in (0, 7, 8, 10, 13, 14):
        for rm in (0, 7, 8, 11, 13, 14):
            if rd == 13 and rm == 13:
                continue
            yield "mov_reg %d %d" % (rd, rm), "mov %s, %s" % (r(rd), r(rm))
    yield "nop", "nop"
    for regs in ([0], [7], [0, 1, 2, 3, 4, 5, 6, 7], [4, 14], [8], [3, 4, 5, 6, 7, 8, 9, 10, 11, 14], [0, 12, 14]):
        mask = sum(1 << x for x in regs)
        yield "push %d" % mask, "push {%s}" % ", ".join(r(x) for x in regs)
        pmask = sum(1 << (15 if x == 14 else x) for x in regs)
        yield "pop %d" % pmask, "pop {%s}" % ", ".join(r(15 if x == 14 else x) for x in regs)
    for rd, rm in ((0, 1), (8, 12), (14, 3)):
        yield "rev %d %d" % (rd, rm), "rev.w %s, %s" % (r(rd), r(rm))
        yield "rev16 %d %d" % (rd, rm), "rev16.w %s, %s" % (r(rd), r(rm))
        for name, k in EXT.items():
            yield "extend %d %d %d" % (k, rd, rm), "%s.w %s, %s" % (name, r(rd), r(rm))


def narrow_cases():
    """narrow(<encoder call>, may_set_flags): llvm-mc's 16-bit encoding where one is equivalent,
    else the 32-bit instruction unchanged (written with .w, or a mnemonic without 16-bit form)."""
    def n(flags, call, asm):
        return "narrow %d %s" % (flags, call), asm

    # Loads/stores with an immediate offset: T1 (low registers, imm5 scaled), T2 [SP, #imm8*4].
    for k, m, scale in ((0, "strb", 1), (1, "strh", 2), (2, "str", 4), (3, "ldrb", 1), (4, "ldrh", 2), (5, "ldr", 4)):
        for rt, rn in ((0, 1), (7, 7), (3, 0)):
            for off in (0, scale, 31 * scale):
                yield n(0, "mem_imm %d %d %d %d" % (k, rt, rn, off), "%s %s, [%s, #%d]" % (m, r(rt), r(rn), off))
        yield n(1, "mem_imm %d 0 1 %d" % (k, 32 * scale), "%s.w r0, [r1, #%d]" % (m, 32 * scale))
        if scale > 1:
            yield n(1, "mem_imm %d 0 1 %d" % (k, scale // 2), "%s.w r0, [r1, #%d]" % (m, scale // 2))
        yield n(1, "mem_imm %d 8 1 0" % k, "%s.w r8, [r1]" % m)
        yield n(1, "mem_imm %d 0 8 0" % k, "%s.w r0, [r8]" % m)
        yield n(1, "mem_imm %d 0 1 -4" % k, "%s r0, [r1, #-4]" % m)
        if m in ("ldr", "str"):
            for rt in (0, 7):
                for off in (0, 4, 1020):
                    yield n(0, "mem_imm %d %d 13 %d" % (k, rt, off), "%s %s, [sp, #%d]" % (m, r(rt), off))
            for rt, off in ((0, 1024), (0, 2), (8, 4)):
                yield n(1, "mem_imm %d %d 13 %d" % (k, rt, off), "%s.w %s, [sp, #%d]" % (m, r(rt), off))
        else:
            yield n(1, "mem_imm %d 0 13 4" % k, "%s.w r0, [sp, #4]" % m)
    for k, m in ((6, "ldrsb"), (7, "ldrsh")):
        yield n(1, "mem_imm %d 0 1 0" % k, "%s.w r0, [r1]" % m)
        yield n(1, "mem_imm %d 0 1 2" % k, "%s.w r0, [r1, #2]" % m)
    # Already 16-bit: unchanged.
    yield n(1, "mem_reg 5 1 2 3", "ldr r1, [r2, r3]")
    yield n(1, "mov_reg 8 1", "mov r8, r1")

    # MOV{S}.W Rd, #imm -> MOVS Rd, #imm8.
    for rd, v in ((0, 0), (7, 255), (3, 128)):
        yield n(1, "mov_imm %d %d" % (rd, v), "movs %s, #%d" % (r(rd), v))
        yield n(0, "mov_imm %d %d" % (rd, v), "mov.w %s, #%d" % (r(rd), v))
        yield n(0, "dp_imm 2 1 %d 15 %d" % (rd, v), "movs %s, #%d" % (r(rd), v))
    yield n(1, "mov_imm 0 256", "mov.w r0, #256")
    yield n(0, "dp_imm 2 1 0 15 1020", "movs.w r0, #1020")
    yield n(1, "mov_imm 8 1", "mov.w r8, #1")
    yield n(1, "mvn_imm 0 1", "mvn r0, #1")
    # ADD/SUB{S} immediate: T1 imm3 (3 registers), T2 imm8 (Rdn).
    for op, name in ((8, "add"), (13, "sub")):
        for s, flags in ((1, 0), (1, 1), (0, 1)):
            for rd, rn, v in ((0, 1, 0), (2, 7, 7), (5, 5, 3), (5, 5, 0)):
                yield n(flags, "dp_imm %d %d %d %d %d" % (op, s, rd, rn, v), "%ss %s, %s, #%d" % (name, r(rd), r(rn), v))
            for rd, v in ((1, 8), (7, 255)):
                yield n(flags, "dp_imm %d %d %d %d %d" % (op, s, rd, rd, v), "%ss %s, #%d" % (name, r(rd), v))
        for rd, rn, v in ((0, 1, 7), (1, 1, 8)):
            yield n(0, "dp_imm %d 0 %d %d %d" % (op, rd, rn, v), "%s.w %s, %s, #%d" % (name, r(rd), r(rn), v))
        for rd, rn, v in ((0, 1, 8), (1, 1, 256), (8, 8, 1), (0, 8, 1), (8, 0, 1)):
            yield n(1, "dp_imm %d 1 %d %d %d" % (op, rd, rn, v), "%ss.w %s, %s, #%d" % (name, r(rd), r(rn), v))
        # addw/subw (no flags): the same 16-bit forms only when flags are dead.
        w = "%sw" % name
        yield n(1, "%s 0 1 7" % w, "%ss r0, r1, #7" % name)
        yield n(1, "%s 1 1 255" % w, "%ss r1, #255" % name)
        yield n(0, "%s 0 1 7" % w, "%s r0, r1, #7" % w)
        yield n(1, "%s 1 1 256" % w, "%s r1, r1, #256" % w)
        yield n(1, "%s 0 1 8" % w, "%s r0, r1, #8" % w)
        # SP forms, no flags.
        yield n(0, "dp_imm %d 0 13 13 508" % op, "%s sp, #508" % name)
        yield n(0, "%s 13 13 4" % w, "%s sp, #4" % name)
        yield n(0, "dp_imm %d 0 13 13 512" % op, "%s.w sp, sp, #512" % name)
        yield n(0, "%s 13 13 2" % w, "%s sp, sp, #2" % w)
        yield n(1, "dp_imm %d 1 13 13 8" % op, "%ss.w sp, sp, #8" % name)
    for rd, v in ((0, 0), (7, 1020), (3, 4)):
        yield n(0, "dp_imm 8 0 %d 13 %d" % (rd, v), "add %s, sp, #%d" % (r(rd), v))
    yield n(0, "addw 0 13 1020", "add r0, sp, #1020")
    yield n(0, "dp_imm 8 0 0 13 1024", "add.w r0, sp, #1024")
    yield n(0, "addw 0 13 6", "addw r0, sp, #6")
    yield n(0, "dp_imm 8 0 8 13 4", "add.w r8, sp, #4")
    yield n(1, "dp_imm 8 1 0 13 4", "adds.w r0, sp, #4")
    yield n(1, "dp_imm 13 0 0 13 4", "sub.w r0, sp, #4")
    # CMP Rn, #imm8; CMN/TST immediates have no 16-bit form.
    for rn, v in ((0, 0), (7, 255), (3, 17)):
        yield n(0, "cmp_imm %d %d" % (rn, v), "cmp %s, #%d" % (r(rn), v))
    yield n(1, "cmp_imm 0 256", "cmp.w r0, #256")
    yield n(1, "cmp_imm 8 1", "cmp.w r8, #1")
    yield n(1, "cmn_imm 0 1", "cmn.w r0, #1")
    yield n(1, "tst_imm 0 1", "tst.w r0, #1")
    # RSB{S} Rd, Rn, #0 -> RSBS Rd, Rn, #0.
    yield n(0, "dp_imm 14 1 0 1 0", "rsbs r0, r1, #0")
    yield n(1, "dp_imm 14 0 7 7 0", "rsbs r7, r7, #0")
    yield n(0, "dp_imm 14 0 0 1 0", "rsb.w r0, r1, #0")
    yield n(1, "dp_imm 14 0 0 1 1", "rsb.w r0, r1, #1")
    yield n(1, "dp_imm 14 1 8 1 0", "rsbs.w r8, r1, #0")
    yield n(1, "dp_imm 0 1 1 1 255", "ands.w r1, r1, #255")
    yield n(1, "dp_imm 2 1 1 1 1", "orrs.w r1, r1, #1")

    # ADD register: T2 (Rdn, Rm; no flags, high registers) or T1 ADDS (3 low registers).
    yield n(0, "dp_reg 8 1 0 1 2 0 0", "adds r0, r1, r2")
    yield n(0, "dp_reg 8 1 1 1 2 0 0", "adds r1, r1, r2")
    yield n(1, "dp_reg 8 0 0 1 7 0 0", "adds r0, r1, r7")
    yield n(0, "dp_reg 8 0 0 1 2 0 0", "add.w r0, r1, r2")
    for rd, rn, rm, asm in ((1, 1, 2, "add r1, r2"), (1, 2, 1, "add r1, r2"), (8, 8, 12, "add r8, r12"),
                            (12, 8, 12, "add r12, r8"), (14, 0, 14, "add lr, r0"), (0, 0, 14, "add r0, lr"),
                            (3, 3, 3, "add r3, r3"), (9, 9, 9, "add r9, r9")):
        for flags in (0, 1):
            yield n(flags, "dp_reg 8 0 %d %d %d 0 0" % (rd, rn, rm), asm)
    yield n(1, "dp_reg 8 0 8 9 10 0 0", "add.w r8, r9, r10")
    yield n(1, "dp_reg 8 1 8 8 1 0 0", "adds.w r8, r8, r1")
    yield n(1, "dp_reg 8 0 13 13 1 0 0", "add.w sp, sp, r1")
    yield n(1, "dp_reg 8 0 1 1 2 0 1", "add.w r1, r1, r2, lsl #1")
    yield n(1, "dp_reg 8 1 0 1 2 1 32", "adds.w r0, r1, r2, lsr #32")
    # SUB register: T1 SUBS.
    yield n(0, "dp_reg 13 1 0 1 2 0 0", "subs r0, r1, r2")
    yield n(1, "dp_reg 13 0 7 7 7 0 0", "subs r7, r7, r7")
    yield n(0, "dp_reg 13 0 0 1 2 0 0", "sub.w r0, r1, r2")
    yield n(1, "dp_reg 13 1 0 1 8 0 0", "subs.w r0, r1, r8")
    yield n(1, "dp_reg 13 0 1 1 8 0 0", "sub.w r1, r1, r8")
    yield n(1, "dp_reg 14 1 1 1 2 0 0", "rsbs.w r1, r1, r2")
    yield n(1, "dp_reg 3 1 1 1 2 0 0", "orns r1, r1, r2")
    # Two-operand forms.
    for name, op, commutative in (("and", 0, 1), ("orr", 2, 1), ("eor", 4, 1), ("adc", 10, 1), ("bic", 1, 0), ("sbc", 11, 0)):
        yield n(0, "dp_reg %d 1 1 1 2 0 0" % op, "%ss r1, r2" % name)
        yield n(1, "dp_reg %d 0 7 7 0 0 0" % op, "%ss r7, r0" % name)
        yield n(1, "dp_reg %d 1 5 5 5 0 0" % op, "%ss r5, r5" % name)
        yield n(0, "dp_reg %d 0 1 1 2 0 0" % op, "%s.w r1, r1, r2" % name)
        if commutative:
            yield n(0, "dp_reg %d 1 1 2 1 0 0" % op, "%ss r1, r2" % name)
        else:
            yield n(1, "dp_reg %d 1 1 2 1 0 0" % op, "%ss.w r1, r2, r1" % name)
        yield n(1, "dp_reg %d 1 0 1 2 0 0" % op, "%ss.w r0, r1, r2" % name)
        yield n(1, "dp_reg %d 1 8 8 1 0 0" % op, "%ss.w r8, r8, r1" % name)
        yield n(1, "dp_reg %d 1 1 1 8 0 0" % op, "%ss.w r1, r1, r8" % name)
        yield n(1, "dp_reg %d 1 1 1 2 2 1" % op, "%ss.w r1, r1, r2, asr #1" % name)
    # MOV/MVN register (ORR/ORN with Rn = PC).
    for rd, rm in ((0, 1), (8, 1), (1, 8), (13, 1), (14, 12), (7, 13)):
        yield n(0, "dp_reg 2 0 %d 15 %d 0 0" % (rd, rm), "mov %s, %s" % (r(rd), r(rm)))
    yield n(0, "dp_reg 2 1 0 15 7 0 0", "movs r0, r7")
    yield n(1, "dp_reg 2 1 8 15 1 0 0", "movs.w r8, r1")
    yield n(0, "dp_reg 3 1 0 15 7 0 0", "mvns r0, r7")
    yield n(1, "dp_reg 3 0 0 15 7 0 0", "mvns r0, r7")
    yield n(0, "dp_reg 3 0 0 15 7 0 0", "mvn.w r0, r7")
    yield n(1, "dp_reg 3 1 8 15 1 0 0", "mvns.w r8, r1")
    # CMP (T1 low, T2 with a high register), CMN, TST; TEQ has no 16-bit form.
    for rn, rm, asm in ((0, 1, "cmp r0, r1"), (7, 7, "cmp r7, r7"), (8, 1, "cmp r8, r1"), (1, 8, "cmp r1, r8"),
                        (12, 14, "cmp r12, lr"), (13, 1, "cmp sp, r1"), (13, 14, "cmp sp, lr")):
        yield n(0, "cmp_reg %d %d" % (rn, rm), asm)
    yield n(1, "dp_reg 13 1 15 0 1 0 2", "cmp.w r0, r1, lsl #2")
    yield n(0, "dp_reg 8 1 15 0 7 0 0", "cmn r0, r7")
    yield n(1, "dp_reg 8 1 15 8 1 0 0", "cmn.w r8, r1")
    yield n(0, "tst_reg 0 7", "tst r0, r7")
    yield n(1, "tst_reg 8 1", "tst.w r8, r1")
    yield n(1, "tst_reg 1 8", "tst.w r1, r8")
    yield n(1, "dp_reg 4 1 15 0 1 0 0", "teq.w r0, r1")

    # Shifts by an immediate: LSLS/LSRS/ASRS Rd, Rm, #imm5 (32 encodes as 0).
    for t, name, amounts in ((0, "lsl", (1, 31)), (1, "lsr", (1, 31, 32)), (2, "asr", (1, 32))):
        for a in amounts:
            yield n(1, "shift_imm %d 0 7 %d" % (t, a), "%ss r0, r7, #%d" % (name, a))
            yield n(0, "dp_reg 2 1 3 15 3 %d %d" % (t, a), "%ss r3, r3, #%d" % (name, a))
        yield n(0, "shift_imm %d 0 1 1" % t, "%s.w r0, r1, #1" % name)
        yield n(1, "shift_imm %d 8 1 1" % t, "%s.w r8, r1, #1" % name)
        yield n(1, "shift_imm %d 1 8 1" % t, "%s.w r1, r8, #1" % name)
    yield n(1, "dp_reg 2 1 0 15 1 3 4", "rors.w r0, r1, #4")
    # Shifts by a register: Rdn, Rm.
    for t, name in enumerate(SHIFT):
        yield n(1, "shift_reg %d 0 0 1" % t, "%ss r0, r1" % name)
        yield n(1, "shift_reg %d 7 7 7" % t, "%ss r7, r7" % name)
        yield n(0, "shift_reg %d 0 0 1" % t, "%s.w r0, r0, r1" % name)
        yield n(1, "shift_reg %d 0 1 2" % t, "%s.w r0, r1, r2" % name)
        yield n(1, "shift_reg %d 8 8 1" % t, "%s.w r8, r8, r1" % name)
        yield n(1, "shift_reg %d 1 1 8" % t, "%s.w r1, r1, r8" % name)
    # MUL -> MULS Rdm, Rn, Rdm (sets N, Z: only with dead flags).
    yield n(1, "mul 0 1 0", "muls r0, r1, r0")
    yield n(1, "mul 0 0 1", "muls r0, r1, r0")
    yield n(1, "mul 7 7 7", "muls r7, r7, r7")
    yield n(0, "mul 0 1 0", "mul r0, r1, r0")
    yield n(1, "mul 0 1 2", "mul r0, r1, r2")
    yield n(1, "mul 8 1 8", "mul r8, r1, r8")
    yield n(1, "mul 1 8 1", "mul r1, r8, r1")
    # Extends and byte reversal, low registers, no flags.
    for name, k in EXT.items():
        yield n(0, "extend %d 0 7" % k, "%s r0, r7" % name)
        yield n(0, "extend %d 8 1" % k, "%s.w r8, r1" % name)
        yield n(0, "extend %d 1 8" % k, "%s.w r1, r8" % name)
    for name in ("rev", "rev16"):
        yield n(0, "%s 0 7" % name, "%s r0, r7" % name)
        yield n(0, "%s 8 1" % name, "%s.w r8, r1" % name)
        yield n(0, "%s 1 8" % name, "%s.w r1, r8" % name)
    # Instructions without a 16-bit form.
    yield n(1, "movw 0 255", "movw r0, #255")
    yield n(1, "udiv 0 0 1", "udiv r0, r0, r1")
    yield n(1, "mla 0 0 1 2", "mla r0, r0, r1, r2")
    yield n(1, "mem_dual 1 0 1 2 0", "ldrd r0, r1, [r2]")
    yield n(1, "b_t4 0", "b.w #0")
    yield n(1, "push 256", "push.w {r8}")


def main():
    all_cases = list(cases()) + list(narrow_cases())
    # One llvm-mc run: cases are separated by a marker instruction that never appears in them.
    text = "".join("%s\nudf #255\n" % asm for _, asm in all_cases)
    out = subprocess.run(LLVM_MC, input=text, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr[:3000])
    groups, current = [], []
    for line in out.stdout.splitlines():
        m = re.match(r"\s*(\S.*?)\s+@ encoding: \[(.*)\]", line)
        if not m:
            continue
        asm, enc = m.group(1), m.group(2)
        if asm.startswith("udf") and enc == "0xff,0xde":
            groups.append(current)
            current = []
            continue
        if "A" in enc:
            sys.exit("unresolved fixup in: " + asm)
        current.append((asm, " ".join("%02x" % int(b, 16) for b in enc.split(","))))
    if len(groups) != len(all_cases):
        sys.exit("expected %d groups, got %d" % (len(all_cases), len(groups)))
    print("# Generated by tests/jit/gen_thumb2_vectors.py with %s." % " ".join(LLVM_MC))
    print("# encoder call | llvm-mc text | bytes")
    for (call, _), group in zip(all_cases, groups):
        asm, enc = group[0]
        print("%s | %s | %s" % (call, re.sub(r"\s+", " ", asm), enc))


if __name__ == "__main__":
    main()
