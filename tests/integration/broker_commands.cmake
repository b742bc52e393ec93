# The commands around the token (accounts, config check, status, sasl --raw,
# login --no-browser, logout, revoke) and the exact texts and exit codes of
# the common failures. Real provider and headless browser.
mk_script_test(broker_commands COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/commands.sh
  LABEL integration TIMEOUT 300)
set_tests_properties(broker_commands PROPERTIES LABELS "integration;browser")
