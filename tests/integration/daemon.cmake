# mailkey daemon against the real servers: tests/integration/daemon/*.sh.
foreach(t smoke emfile pipeline reload_waiters parked_idle)
  mk_script_test(daemon_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/daemon/${t}.sh LABEL integration TIMEOUT 300)
endforeach()
