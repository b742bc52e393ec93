foreach(t login refresh flows)
  mk_script_test(broker_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/${t}.sh
    LABEL browser TIMEOUT 300)
endforeach()
# The commands around the token (accounts, config check, status, sasl --raw,
# login --no-browser, logout, revoke) and the texts of the common failures.
mk_script_test(broker_commands COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/commands.sh
  LABEL browser TIMEOUT 300)
