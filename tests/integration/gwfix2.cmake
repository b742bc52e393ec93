# gwfix2: the review's polish items (client texts, goodbyes, names, CLI).
mk_script_test(gwfix2_polish COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/gwfix2/polish.sh LABEL integration TIMEOUT 300)
