# The command line as other programs call it: mailkey as sendmail, and the
# token/sasl commands' edge cases against the real provider.
mk_script_test(mail_sendmail COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/mail/sendmail.sh LABEL integration TIMEOUT 300)
mk_script_test(broker_token_sasl COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/token_sasl.sh LABEL integration TIMEOUT 300)
mk_script_test(cli_help_options COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/help_options.sh LABEL integration TIMEOUT 60)
