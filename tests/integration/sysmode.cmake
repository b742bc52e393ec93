# `mailkey --system` as an admin runs it (root, sudo): the state directory's
# owner becomes the process's user, the hints name `sudo mailkey --system`,
# and the messages of a Debian install's usual mistakes (config unreadable,
# client_secret_file missing or group-readable, completion's --names, unknown
# subcommands, --help's columns). No servers; runs as root.
mk_script_test(sysmode_cli COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/sysmode/cli.sh LABEL integration TIMEOUT 120)
