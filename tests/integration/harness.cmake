mk_script_test(harness_smoke COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/smoke.sh LABEL integration TIMEOUT 300)
