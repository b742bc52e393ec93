mk_script_test(harness_smoke COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/smoke.sh LABEL integration TIMEOUT 300)
mk_script_test(harness_browser_selftest COMMAND ${CMAKE_SOURCE_DIR}/tests/browser/selftest.sh LABEL browser TIMEOUT 300)
