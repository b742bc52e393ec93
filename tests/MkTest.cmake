# mk_unit_test(NAME SOURCES... LIBS ...): one cmocka executable, label "unit".
function(mk_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 120)
endfunction()

# mk_script_test(NAME COMMAND... LABEL l [TIMEOUT s]): a test that runs a script
# with the build and source dirs in its environment.
function(mk_script_test name)
  cmake_parse_arguments(T "" "LABEL;TIMEOUT" "COMMAND" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  add_test(NAME ${name} COMMAND ${T_COMMAND})
  set_tests_properties(${name} PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "MK_BUILD_DIR=${CMAKE_BINARY_DIR};MK_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()
