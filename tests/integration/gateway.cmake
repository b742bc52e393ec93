# The gateway through real clients against the real Dovecot and Postfix
# (tests/integration/gateway/*.sh, lib.sh shared). gateway_kill and
# gateway_load are the heaviest (kill -9 loop; 200 sessions, 100 wrong
# passwords); all are label "integration", the heavy ones also "heavy".
foreach(t curl clients mua bytes faults docs)
  mk_script_test(gateway_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/gateway/${t}.sh LABEL integration TIMEOUT 300)
endforeach()
foreach(t load kill)
  mk_script_test(gateway_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/gateway/${t}.sh LABEL integration TIMEOUT 400)
  set_tests_properties(gateway_${t} PROPERTIES LABELS "integration;heavy")
endforeach()
