# The gateway's generated TLS material (gateway/tls.c) under kill -9 and
# concurrent first use: tests/integration/gwtls/kill.sh with mk-gwtls-ensure.
mk_script_test(gwtls_kill COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/gwtls/kill.sh
  LABEL integration TIMEOUT 300)
