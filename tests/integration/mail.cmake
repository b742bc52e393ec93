foreach(t send fetch refusal fetch_kill)
  mk_script_test(mail_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/mail/${t}.sh LABEL integration TIMEOUT 300)
endforeach()
