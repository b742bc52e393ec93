# One test per client recipe: tests/integration/clients/NAME.sh runs the
# configuration docs/clients/NAME.md shows with the real client (lib.sh
# shared). They log in through headless Chromium (label browser). clients_docs
# checks, without servers, that every recipe has its test and every block of
# a recipe is marked for one.
file(GLOB mk_client_scripts CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/integration/clients/*.sh)
foreach(s ${mk_client_scripts})
  get_filename_component(n ${s} NAME_WE)
  if(n STREQUAL "lib" OR n STREQUAL "docs_check")
    continue()
  endif()
  string(REPLACE "-" "_" tn ${n})
  mk_script_test(clients_${tn} COMMAND ${s} LABEL integration TIMEOUT 300)
  set_tests_properties(clients_${tn} PROPERTIES LABELS "integration;browser")
endforeach()
mk_script_test(clients_docs COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/clients/docs_check.sh LABEL unit TIMEOUT 60)
