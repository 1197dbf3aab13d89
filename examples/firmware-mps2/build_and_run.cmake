# Builds the mps2-an386 firmware example with the Arm bare-metal toolchain, runs it under QEMU
# and fails unless it exits 0 and prints the expected results.
#
#   cmake -DARM_GXX=arm-none-eabi-g++ -DARM_GCC=arm-none-eabi-gcc -DQEMU=qemu-system-arm \
#         -DSOURCE_DIR=<repo> -DWORK_DIR=<build dir> -P examples/firmware-mps2/build_and_run.cmake
#
# ARM_GXX, ARM_GCC and QEMU default to the tools found on PATH.
cmake_minimum_required(VERSION 3.20)

find_program(ARM_GXX arm-none-eabi-g++)
find_program(ARM_GCC arm-none-eabi-gcc)
find_program(QEMU qemu-system-arm)
foreach(var ARM_GXX ARM_GCC QEMU SOURCE_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set (pass -D${var}=...)")
  endif()
endforeach()

set(EXAMPLE_DIR ${CMAKE_CURRENT_LIST_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

set(CPU -mcpu=cortex-m4 -mthumb)
set(COMMON ${CPU} -Os -ffunction-sections -fdata-sections -Wall -Wextra -Werror)
set(CFLAGS -std=c11 ${COMMON})
set(CXXFLAGS -std=c++20 ${COMMON} -fno-exceptions -fno-rtti -I${SOURCE_DIR}/include)
# newlib-nano for size, rdimon for semihosting stdio and exit; our own start-up code replaces
# the C runtime's.
set(LDFLAGS ${CPU} --specs=nano.specs --specs=rdimon.specs -nostartfiles
  -T ${EXAMPLE_DIR}/mps2.ld -Wl,--gc-sections -Wl,-Map=${WORK_DIR}/fw.map)

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  # Linker warnings do not fall under -Werror; treat any diagnostic as a failure.
  if(NOT rc EQUAL 0 OR NOT out STREQUAL "")
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
endfunction()

run_step("compiling startup.c" ${ARM_GCC} ${CFLAGS} -c ${EXAMPLE_DIR}/startup.c -o ${WORK_DIR}/startup.o)
run_step("compiling main.cpp" ${ARM_GXX} ${CXXFLAGS} -c ${EXAMPLE_DIR}/main.cpp -o ${WORK_DIR}/main.o)
run_step("linking fw.elf" ${ARM_GXX} ${LDFLAGS} ${WORK_DIR}/startup.o ${WORK_DIR}/main.o
  -o ${WORK_DIR}/fw.elf)

# QEMU itself cannot hang a test: TIMEOUT kills it if the firmware never exits.
execute_process(
  COMMAND ${QEMU} -M mps2-an386 -cpu cortex-m4 -nographic -monitor none -serial none
    -semihosting-config enable=on,target=native -kernel ${WORK_DIR}/fw.elf
  TIMEOUT 20
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "firmware output:\n${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "firmware exited with '${rc}', expected 0")
endif()

foreach(line
    "bpf log: f16 = 0x0627"
    "fletcher16: 0x0627 in 78 instructions"
    "bad program rejected at run time: load outside the program's readable memory at pc 4"
    "jit: fletcher16: 0x0627 in 78 instructions"
    "jit: bad program rejected at run time: load outside the program's readable memory at pc 4"
    "jit (version_loops): fletcher16: 0x0627 in 78 instructions"
    "jit (version_loops): bad program rejected at run time: load outside the program's readable memory at pc 4"
    "jit (blind_constants): fletcher16: 0x0627 in 78 instructions"
    "jit (blind_constants): bad program rejected at run time: load outside the program's readable memory at pc 4"
    "all checks passed")
  string(FIND "${out}" "${line}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "firmware output lacks the line: ${line}")
  endif()
endforeach()
message(STATUS "ok: firmware-mps2 runs on qemu-system-arm mps2-an386")
