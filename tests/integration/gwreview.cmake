# An outside review of the gateway (issue 10): each test asserts the
# behaviour docs/config.md and docs/mailkey.1 promise, against the real
# servers, configured as a new user would.
foreach(t login_timeout sighup_accounts cert_ip_clients tls_files shared_user revoke_during_login imap_literal_desync trace_out_of_step)
  mk_script_test(gwreview_${t} COMMAND ${CMAKE_SOURCE_DIR}/tests/integration/gwreview/${t}.sh LABEL integration TIMEOUT 300)
endforeach()
