# Runs `rvisor run --kernel ELF` and passes when its exit status is EXPECTED.
# cmake -DRVISOR=... -DELF=... -DEXPECTED=N -P expect_exit.cmake
execute_process(COMMAND ${RVISOR} run --kernel ${ELF} RESULT_VARIABLE status TIMEOUT 60)
if(NOT status EQUAL EXPECTED)
  message(FATAL_ERROR "rvisor exited with '${status}', expected ${EXPECTED}")
endif()
