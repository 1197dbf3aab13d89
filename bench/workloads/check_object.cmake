# SPDX-License-Identifier: MIT
# Checks that an eBPF object is a self-contained raw-.text program:
#   cmake -DREADELF=<llvm-readelf> -DOBJECT=<NAME.bpf.o> -DNAME=<NAME> -P check_object.cmake
# - no relocations at all (no .rel.text / .rela.text: no globals, string literals or calls),
# - no data sections with content (.data, .rodata*, .bss),
# - the entry function NAME is a FUNC at offset 0 of .text, and it is the only function.
foreach(var READELF OBJECT NAME)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_object.cmake: -D${var}=... is missing")
  endif()
endforeach()

execute_process(COMMAND ${READELF} -r ${OBJECT} OUTPUT_VARIABLE relocs RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${READELF} -r ${OBJECT} failed")
endif()
if(relocs MATCHES "Relocation section")
  message(FATAL_ERROR "${NAME}: the eBPF object has relocations (globals, literals or calls?):\n${relocs}")
endif()

execute_process(COMMAND ${READELF} -S -W ${OBJECT} OUTPUT_VARIABLE sections RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${READELF} -S ${OBJECT} failed")
endif()
string(REPLACE "\n" ";" lines "${sections}")
foreach(line IN LISTS lines)
  # "  [ n] .rodata.str1.1  PROGBITS  address offset size ..."
  if(line MATCHES "\\] (\\.data[^ ]*|\\.rodata[^ ]*|\\.bss[^ ]*) +[A-Z_]+ +[0-9a-f]+ +[0-9a-f]+ +([0-9a-f]+)")
    if(NOT CMAKE_MATCH_2 MATCHES "^0+$")
      message(FATAL_ERROR "${NAME}: the eBPF object has data in ${CMAKE_MATCH_1}")
    endif()
  endif()
endforeach()

execute_process(COMMAND ${READELF} -s -W ${OBJECT} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${READELF} -s ${OBJECT} failed")
endif()
if(NOT symbols MATCHES ": 0+ +[0-9]+ FUNC +GLOBAL +DEFAULT +[0-9]+ ${NAME}\n")
  message(FATAL_ERROR "${NAME}: ${NAME} is not a global function at offset 0 of .text:\n${symbols}")
endif()
string(REGEX MATCHALL " FUNC " funcs "${symbols}")
list(LENGTH funcs nfuncs)
if(NOT nfuncs EQUAL 1)
  message(FATAL_ERROR "${NAME}: ${nfuncs} functions in the object; helpers must be always_inline:\n${symbols}")
endif()
