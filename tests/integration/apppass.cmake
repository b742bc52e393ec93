# `mailkey app-password` (gateway/apppass.c): every exit code of every
# subcommand, file modes, the password kept off stderr, --json; and the kill
# test (signals at every file-system call of add, revoke and a login's
# touch). No servers. mk-apppass-tool drives the library as the gateway does.
if(TARGET mailkey_gateway)
  add_executable(mk-apppass-tool ${CMAKE_SOURCE_DIR}/tests/integration/apppass/tool.c)
  target_link_libraries(mk-apppass-tool PRIVATE mailkey_gateway)
  mk_script_test(apppass_cli COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/apppass/cli.sh
    LABEL integration TIMEOUT 300)
  mk_script_test(apppass_kill COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/apppass/kill.sh
    LABEL integration TIMEOUT 600)
endif()
