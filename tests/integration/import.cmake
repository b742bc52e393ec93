# `mailkey import` of each peer's token file against the real provider and
# Dovecot (tests/integration/broker/import.sh); no browser needed.
mk_script_test(broker_import COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/broker/import.sh
  LABEL integration TIMEOUT 300)
