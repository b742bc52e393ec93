mk_script_test(mail_send COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/mail/send.sh LABEL integration TIMEOUT 300)
