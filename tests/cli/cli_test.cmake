# Runs the ubpf CLI the way a user does and checks its output and exit codes.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
function(expect name expected_rc expected_out)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
    INPUT_FILE ${stdin_file})
  if(NOT rc EQUAL expected_rc)
    message(FATAL_ERROR "${name}: exit ${rc}, expected ${expected_rc}\nstdout: ${out}\nstderr: ${err}")
  endif()
  string(FIND "${out}${err}" "${expected_out}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${name}: output lacks '${expected_out}'\nstdout: ${out}\nstderr: ${err}")
  endif()
  message(STATUS "ok: ${name}")
endfunction()
set(stdin_file /dev/null)

# Fletcher-16("abcdefgh") = 0x0627 = 1575, 88 instructions counted by hand
# (3 set-up, 8 iterations of 10, the final compare, 4 to combine and exit).
expect("run .data" 0 "result: 1575 (0x627)\ninstructions: 88\n" ${UBPF} run ${SOURCE_DIR}/examples/fletcher16.data)

# asm to a binary, then run it with --mem and disassemble it.
file(WRITE ${WORK_DIR}/in.bin "abcdefgh")
expect("asm -o" 0 "" ${UBPF} asm ${SOURCE_DIR}/examples/fletcher16.data -o ${WORK_DIR}/f.bin)
expect("run raw --mem" 0 "result: 1575 (0x627)" ${UBPF} run ${WORK_DIR}/f.bin --mem ${WORK_DIR}/in.bin)
expect("disasm" 0 "ldxb %r7, [%r6+0]\nadd %r3, %r7\nmod %r3, 255\n" ${UBPF} disasm ${WORK_DIR}/f.bin)

# Assembly text directly; the error names the pc and the instruction.
file(WRITE ${WORK_DIR}/oob.s "mov %r1, 0\nldxw %r0, [%r1+16]\nexit\n")
expect("runtime error" 1 "error: load outside the program's readable memory at pc 1: ldxw %r0, [%r1+16]"
  ${UBPF} run ${WORK_DIR}/oob.s)
file(WRITE ${WORK_DIR}/bad.s "mov %r0, 1\n")
expect("verifier error" 1 "error: execution can run past the end of the function at pc 0: mov %r0, 1"
  ${UBPF} run ${WORK_DIR}/bad.s)
expect("missing file" 1 "error: cannot read" ${UBPF} run ${WORK_DIR}/nope.s)
string(ASCII 1 2 3 4 5 6 7 odd)
file(WRITE ${WORK_DIR}/odd.bin "${odd}")
expect("odd byte code" 1 "is not a multiple of 8" ${UBPF} run ${WORK_DIR}/odd.bin)
expect("unknown command" 2 "unknown command" ${UBPF} frobnicate)
expect("bad budget" 2 "--budget needs a non-negative whole number, not '1x'"
  ${UBPF} run ${SOURCE_DIR}/examples/fletcher16.data --budget 1x)
expect("negative budget" 2 "not '-1'" ${UBPF} run ${SOURCE_DIR}/examples/fletcher16.data --budget -1)
expect("unknown engine" 2 "unknown engine" ${UBPF} run ${SOURCE_DIR}/examples/fletcher16.data --engine warp)
expect("unknown JIT engine" 2 "unknown engine 'm4-jit-fast'"
  ${UBPF} run ${SOURCE_DIR}/examples/fletcher16.data --engine m4-jit-fast)
# The JIT engine gives the same result and says what compiling cost on the M4.
expect("run --engine m4-jit" 0 "result: 1575 (0x627)\ninstructions: 88\nm4-instructions: "
  ${UBPF} run ${SOURCE_DIR}/examples/fletcher16.data --engine m4-jit)
expect("m4-jit compile cost" 0 "m4-compile-instructions: " ${UBPF} run ${SOURCE_DIR}/examples/fletcher16.data --engine m4-jit)
# A counted loop over mem ("abcdefgh", summed: 97 + ... + 104 = 804), versioned: the range check
# before it, then its copy, whose load has no check (one LDRB through the pointer's register).
# 2 instructions, 6 a pass but 5 in the last, the exit: 50.
file(WRITE ${WORK_DIR}/sum.s "mov %r0, 0\nmov %r8, 8\nl:\nldxb %r4, [%r1+0]\nadd %r0, %r4\nadd %r1, 1\n"
  "add %r8, -1\njeq %r8, 0, +1\nja l\nexit\n")
expect("run --engine m4-jit-versioned" 0 "result: 804 (0x324)\ninstructions: 50\n"
  ${UBPF} run ${WORK_DIR}/sum.s --mem ${WORK_DIR}/in.bin --engine m4-jit-versioned)
expect("jit --version-loops" 0 "ldrb.w r8, [r5]\n" ${UBPF} jit ${WORK_DIR}/sum.s --version-loops)
expect("jit --no-loop-registers" 0 "; 9 eBPF instructions" ${UBPF} jit ${WORK_DIR}/sum.s --no-loop-registers)
expect("jit, an unknown option" 2 "unexpected argument '--fast'" ${UBPF} jit ${WORK_DIR}/sum.s --fast)
# Seed 7: the first key is xorshift32 of 7 ^ 0x9e3779b9, 0x5110a6fe (computed in Python), so the
# constant is loaded as 0x12345678 ^ 0x5110a6fe = 0x4324f086 and XORed back with the key.
file(WRITE ${WORK_DIR}/k.s "mov32 %r0, 0x12345678\nexit\n")
expect("jit --blind" 0 "movw r5, #0xf086\n    000034:  c4 f2 24 35   movt r5, #0x4324\n    000038:  4a f2 fe 61   movw r1, #0xa6fe"
  ${UBPF} jit ${WORK_DIR}/k.s --blind 7)
expect("jit --blind, a seed too large" 2 "--blind needs a SEED below 2^32" ${UBPF} jit ${WORK_DIR}/k.s --blind 4294967296)

# Help exits 0 with the command's usage, wherever --help or -h stands; usage errors exit 2.
expect("--help" 0 "ubpf stop --device coap://HOST:PORT --slot S" ${UBPF} --help)
expect("no arguments" 2 "usage:" ${UBPF})
expect("run --help" 0 "ubpf run PROGRAM [--format F]" ${UBPF} run --help)
expect("run --help lists every engine" 0 "host, m4-interp, m4-interp-Os, m4-jit, m4-jit-poison, m4-jit-versioned, m4-jit-blinded" ${UBPF} run --help)
expect("plugin --help lists every engine" 0 "m4-jit, m4-jit-poison, m4-jit-versioned, m4-jit-blinded" ${UBPF} plugin --help)
expect("verify -h" 0 "ubpf verify PROGRAM [--format F] [--helpers ID,...]" ${UBPF} verify -h)
expect("help after arguments" 0 "ubpf disasm PROGRAM" ${UBPF} disasm ${SOURCE_DIR}/examples/fletcher16.data -h)
expect("sign --help" 0 "[--vendor DOMAIN]" ${UBPF} sign --help)
expect("deploy --help" 0 "[--helpers ID,...] [--jit] [--serve-host HOST]" ${UBPF} deploy --help)
expect("exec --help" 0 "[--format F] [--helpers ID,...]" ${UBPF} exec --help)
expect("status without --device" 2 "status needs --device" ${UBPF} status)
expect("stop without --device" 2 "stop needs --device" ${UBPF} stop --slot 1)
expect("exec bad --model" 2 "--model is short, coap or long" ${UBPF} exec --device coap://127.0.0.1:9 --model x)
expect("deploy bad --slot" 2 "--slot: bad value '16'" ${UBPF} deploy x.c --device coap://127.0.0.1:9 --slot 16)
expect("sign without options" 2 "are required" ${UBPF} sign)
if(UBPF_DEVICE)
  expect("ubpf-device --help" 0 "usage: ubpf-device --listen HOST:PORT" ${UBPF_DEVICE} --help)
  expect("ubpf-device unknown option" 2 "unknown option '--frob'" ${UBPF_DEVICE} --frob)
  expect("ubpf-device without --key" 2 "--key KEY.pub is required" ${UBPF_DEVICE} --listen 127.0.0.1:9)
endif()

# The bpf_conformance plugin protocol: hex program on stdin, memory hex as argument.
# mov %r0, %r2 ; exit  with 8 bytes of memory gives r0 = 8, printed in hex.
file(WRITE ${WORK_DIR}/prog.hex "bf  20  00  00  00  00  00  00  95  00  00  00  00  00  00  00  \n")
set(stdin_file ${WORK_DIR}/prog.hex)
expect("plugin result" 0 "8\n" ${UBPF} plugin "00  00  00  01  00  00  00  02  ")
# lddw %r0, 0x8000000000000000 ; exit: all 64 bits are printed.
file(WRITE ${WORK_DIR}/big.hex "18 00 00 00 00 00 00 00 00 00 00 00 00 00 00 80 95 00 00 00 00 00 00 00\n")
set(stdin_file ${WORK_DIR}/big.hex)
expect("plugin 64-bit result" 0 "8000000000000000\n" ${UBPF} plugin)
file(WRITE ${WORK_DIR}/fall.hex "b7 00 00 00 01 00 00 00\n")
set(stdin_file ${WORK_DIR}/fall.hex)
expect("plugin error" 1 "execution can run past the end of the function at pc 0\n" ${UBPF} plugin)
file(WRITE ${WORK_DIR}/junk.hex "zz\n")
set(stdin_file ${WORK_DIR}/junk.hex)
expect("plugin malformed" 1 "malformed hex input" ${UBPF} plugin)
set(stdin_file /dev/null)

# The packer: C -> object -> each format -> run; printf output comes before the result line.
set(P ${SOURCE_DIR}/tests/programs)
expect("build" 0 "" ${UBPF} build ${P}/printf.c -o ${WORK_DIR}/printf.o)
foreach(format fc extended elf)
  expect("pack ${format}" 0 "" ${UBPF} pack ${WORK_DIR}/printf.o --format ${format} -o ${WORK_DIR}/printf.${format})
  expect("run ${format}" 0 "four 1 2 3 4\nfrom rodata: 42 ff -7\nplain line\nchar x, string abc, 100%\nresult: 0 (0x0)"
    ${UBPF} run ${WORK_DIR}/printf.${format})
endforeach()
expect("the object runs as is" 0 "result: 0 (0x0)" ${UBPF} run ${WORK_DIR}/printf.o)
expect("verify an image" 0 "format extended" ${UBPF} verify ${WORK_DIR}/printf.extended)
expect("disasm shows section loads" 0 "lddw %r1, .rodata+" ${UBPF} disasm ${WORK_DIR}/printf.fc)
expect("text cannot carry rodata" 1 "the text format cannot carry .rodata (used by lddw (pc 0"
  ${UBPF} pack ${WORK_DIR}/printf.o --format text -o ${WORK_DIR}/printf.text)
expect("helper list in the header" 1 "helper id is not in the program's allow-list at pc 6: call 1"
  ${UBPF} pack ${WORK_DIR}/printf.o --format extended --helpers 0x52 -o ${WORK_DIR}/no-printf.ext)
expect("run --helpers" 1 "helper id is not in the program's allow-list at pc 6: call 1"
  ${UBPF} run ${WORK_DIR}/printf.elf --helpers 2,0x52)
expect("--helpers only for extended" 2 "--helpers applies to --format extended only"
  ${UBPF} pack ${WORK_DIR}/printf.o --format fc --helpers 1 -o ${WORK_DIR}/x)
expect("build v4" 0 "" ${UBPF} build ${P}/data_relocations.c --cpu v4 -o ${WORK_DIR}/data.o)
expect("pointer in .data needs elf" 1 "section '.data' stores a pointer, which needs load-time relocation"
  ${UBPF} pack ${WORK_DIR}/data.o --format fc -o ${WORK_DIR}/data.fc)
expect("pointer in .data as elf" 0 "result: 123 (0x7b)" ${UBPF} run ${WORK_DIR}/data.o)
expect("bad cpu" 2 "--cpu must be v1, v2, v3 or v4" ${UBPF} build ${P}/printf.c --cpu v9 -o ${WORK_DIR}/x.o)
expect("compile error passed through" 1 "compiling" ${UBPF} build ${WORK_DIR}/oob.s -o ${WORK_DIR}/x.o)
expect("unknown format" 2 "unknown format 'zip'" ${UBPF} run ${WORK_DIR}/printf.fc --format zip)
file(WRITE ${WORK_DIR}/short.fc "{\n")
expect("truncated image" 1 "" ${UBPF} run ${WORK_DIR}/short.fc --format fc)
expect("truncated image says so" 1 "image is shorter than its header says at byte 2"
  ${UBPF} run ${WORK_DIR}/short.fc --format fc)
