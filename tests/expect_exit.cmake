# Runs `rvisor run [ARGS] --kernel KERNEL` and passes when its exit status is EXPECTED and, if
# EXPECTED_OUTPUT is given, its output contains that text.
# cmake -DRVISOR=... -DKERNEL=... -DEXPECTED=N [-DARGS=...] [-DEXPECTED_OUTPUT=...] -P expect_exit.cmake
execute_process(COMMAND ${RVISOR} run ${ARGS} --kernel ${KERNEL}
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output TIMEOUT 60)
message("${output}")
if(NOT status EQUAL EXPECTED)
  message(FATAL_ERROR "rvisor exited with '${status}', expected ${EXPECTED}")
endif()
if(DEFINED EXPECTED_OUTPUT AND NOT output MATCHES "${EXPECTED_OUTPUT}")
  message(FATAL_ERROR "rvisor's output lacks '${EXPECTED_OUTPUT}'")
endif()
