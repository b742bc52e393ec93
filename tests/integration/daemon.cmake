# `mailkey daemon` against the real servers: tests/integration/daemon/*.sh
# (smoke.sh is the daemon's own quick check; emfile, pipeline, reload_waiters
# and parked_idle are the review's regression tests).
# mk-daemon-load (tests/bench/daemon_load.c) is the storm test's client and
# scripts/bench-daemon's load generator and floor server.
find_package(Threads REQUIRED)
add_executable(mk-daemon-load ${CMAKE_SOURCE_DIR}/tests/bench/daemon_load.c)
target_link_libraries(mk-daemon-load PRIVATE Threads::Threads)
foreach(t smoke refresh caller_kill peer stop_cont kill9 notify exit_codes signals storm
    emfile pipeline reload_waiters parked_idle sockdir stores one_per_store)
  mk_script_test(daemon_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/daemon/${t}.sh
    LABEL integration TIMEOUT 300)
endforeach()
