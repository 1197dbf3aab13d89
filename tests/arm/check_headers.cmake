# Compiles every public core header on its own, and the embedding example, with the Cortex-M4
# firmware flags the design fixes. Host-only headers (include/ubpf/host/) are left out.
set(FLAGS -std=c++20 -mcpu=cortex-m4 -mthumb -Os -fno-exceptions -fno-rtti
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Werror -I${SOURCE_DIR}/include)
file(MAKE_DIRECTORY ${WORK_DIR})
file(GLOB_RECURSE headers RELATIVE ${SOURCE_DIR}/include ${SOURCE_DIR}/include/ubpf/*.hpp)
# riot/ needs RIOT's headers: tests/riot/check_adapter.cmake compiles it against stand-ins.
list(FILTER headers EXCLUDE REGEX "^ubpf/(host|riot)/")
list(LENGTH headers count)
if(count LESS 7)
  message(FATAL_ERROR "expected the core headers under include/ubpf, found ${count}")
endif()
foreach(header ${headers})
  string(MAKE_C_IDENTIFIER ${header} name)
  file(WRITE ${WORK_DIR}/${name}.cpp "#include <${header}>\n#include <${header}>\n")
  execute_process(COMMAND ${ARM_GXX} ${FLAGS} -c ${WORK_DIR}/${name}.cpp -o ${WORK_DIR}/${name}.o
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${header} does not compile for Cortex-M4:\n${out}")
  endif()
  message(STATUS "ok: ${header}")
endforeach()
# The embedding example: compiled and linked as a bare-metal image (newlib nano, no syscalls used).
execute_process(COMMAND ${ARM_GXX} ${FLAGS} --specs=nano.specs --specs=nosys.specs
  ${SOURCE_DIR}/examples/embed/main.cpp -o ${WORK_DIR}/embed.elf
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "examples/embed/main.cpp does not build for Cortex-M4:\n${out}")
endif()
message(STATUS "ok: examples/embed/main.cpp links for Cortex-M4")
