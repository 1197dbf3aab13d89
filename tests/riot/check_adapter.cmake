# Compiles include/ubpf/riot/adapter.hpp for Cortex-M4 against tests/riot/include, the
# declarations-only stand-ins for exactly the RIOT 2024.04 functions and types it uses.
set(FLAGS -std=c++20 -mcpu=cortex-m4 -mthumb -Os -fno-exceptions -fno-rtti
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Werror
  -I${SOURCE_DIR}/include -isystem ${SOURCE_DIR}/tests/riot/include)
file(MAKE_DIRECTORY ${WORK_DIR})
file(WRITE ${WORK_DIR}/adapter.cpp [=[
#include <ubpf/riot/adapter.hpp>
#include <ubpf/riot/adapter.hpp>
namespace {
constexpr ubpf::service::Config kCfg{
    .slots = 2, .slot_size = 1024, .jit_size = 2048, .jit_options = {.blind_constants = true}, .workers = 2};
ubpf::service::Memory<kCfg> memory;
ubpf::riot::Adapter<kCfg> adapter;
ubpf::service::Service<kCfg> service{adapter, memory};
}  // namespace
extern "C" void suit_worker_done_cb(int res) { adapter.suit_done(res); }
void firmware_start() { adapter.start(service); }
]=])
execute_process(COMMAND ${ARM_GXX} ${FLAGS} -c ${WORK_DIR}/adapter.cpp -o ${WORK_DIR}/adapter.o
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ubpf/riot/adapter.hpp does not compile for Cortex-M4 against the RIOT stand-ins:\n${out}")
endif()
message(STATUS "ok: ubpf/riot/adapter.hpp compiles for Cortex-M4 (RIOT 2024.04 API)")
