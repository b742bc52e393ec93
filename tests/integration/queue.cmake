# The outgoing queue (mailkey send --queue, mailkey queue run) against the
# real Postfix: tests/integration/queue/*.sh.
foreach(t queue kill)
  mk_script_test(queue_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/queue/${t}.sh LABEL integration TIMEOUT 300)
endforeach()
