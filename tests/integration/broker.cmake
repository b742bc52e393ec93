foreach(t login refresh flows)
  mk_script_test(broker_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/${t}.sh
    LABEL browser TIMEOUT 300)
endforeach()
