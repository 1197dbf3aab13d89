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


def main():
    all_cases = list(cases())
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
