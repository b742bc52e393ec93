# The distribution files: systemd units, sysusers.d and tmpfiles.d checked
# by systemd's own tools, and where `cmake --install` puts them and the
# Cyrus SASL plugin. No servers.
mk_script_test(dist_systemd_units COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/dist/units.sh LABEL unit TIMEOUT 120)
mk_script_test(dist_install_layout COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/dist/install.sh LABEL unit TIMEOUT 600)
