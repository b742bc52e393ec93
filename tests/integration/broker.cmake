foreach(t login refresh flows)
  mk_script_test(broker_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/${t}.sh
    LABEL browser TIMEOUT 300)
endforeach()
mk_script_test(broker_security COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/security.sh
  LABEL browser TIMEOUT 300)
