# The shell completions of dist/completions, run by the real shells with the
# build's mailkey on PATH. No servers.
#   completions_drift: every command, subcommand and option of the help
#     texts is offered by bash, zsh and fish, and none that is stale
#   completions_SHELL: commands, options, files, account names from the
#     configuration (MAILKEY_CONFIG, --config on the line), none and silence
#     without one, the shell's own loader
mk_script_test(completions_drift COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/completions/drift.sh LABEL unit TIMEOUT 180)
foreach(sh bash zsh fish)
  mk_script_test(completions_${sh} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/completions/shells.sh ${sh} LABEL unit TIMEOUT 180)
endforeach()
#   completions_names: `mailkey accounts --names`, what they run
mk_script_test(completions_names COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/completions/names.sh LABEL unit TIMEOUT 60)
