foreach(t e2e config)
  mk_script_test(gwcore_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/gwcore/${t}.sh LABEL integration TIMEOUT 300)
endforeach()
