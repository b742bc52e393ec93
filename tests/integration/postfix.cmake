# A second Postfix relaying with mailkey's Cyrus plugin and the daemon's
# socketmap (tests/servers/relay-up, docs/postfix.md).
mk_script_test(postfix_relay COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/postfix/relay.sh LABEL integration TIMEOUT 600)
