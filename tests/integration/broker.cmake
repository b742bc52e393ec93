# The broker tests drive a headless browser against the real provider: they
# are integration tests (run by `-L integration`) that need the browser.
foreach(t login refresh flows kill)
  mk_script_test(broker_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/${t}.sh
    LABEL integration TIMEOUT 300)
  set_tests_properties(broker_${t} PROPERTIES LABELS "integration;browser")
endforeach()
# Crash points of the store's first write (key creation) and of the
# migration of the old single-file store: no servers needed.
mk_script_test(broker_store_kill COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/store_kill.sh
  LABEL integration TIMEOUT 300)
# A read-only store: no refresh is sent, so the grant is kept (chattr +i).
mk_script_test(broker_store_ro COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/store_ro.sh
  LABEL integration TIMEOUT 300)
mk_script_test(broker_security COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/security.sh
  LABEL integration TIMEOUT 300)
set_tests_properties(broker_security PROPERTIES LABELS "integration;browser")
