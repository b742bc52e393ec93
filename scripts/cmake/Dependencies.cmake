# Every dependency is found here, once. A missing one stops configure with the
# Debian package to install, because "could not find X" alone wastes a person's time.
find_package(PkgConfig REQUIRED)

function(mk_require_pkg var module debpkg)
  pkg_check_modules(${var} IMPORTED_TARGET ${module})
  if(NOT ${var}_FOUND)
    message(FATAL_ERROR "mailkey needs ${module}: install the Debian package '${debpkg}' (or run scripts/install-deps)")
  endif()
endfunction()

mk_require_pkg(CURL libcurl libcurl4-openssl-dev)
mk_require_pkg(JANSSON jansson libjansson-dev)
mk_require_pkg(MHD libmicrohttpd libmicrohttpd-dev)
mk_require_pkg(INIH inih libinih-dev)
# sd_notify for `mailkey daemon` (Type=notify units)
mk_require_pkg(SYSTEMD libsystemd libsystemd-dev)
if(MK_TESTS)
  mk_require_pkg(CMOCKA cmocka libcmocka-dev)
endif()

# Debian 12 ships Mbed TLS 2.28 without a pkg-config or CMake package file.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/version.h)
find_library(MBEDCRYPTO_LIBRARY mbedcrypto)
find_library(MBEDX509_LIBRARY mbedx509)
find_library(MBEDTLS_LIBRARY mbedtls)
if(NOT MBEDTLS_INCLUDE_DIR OR NOT MBEDCRYPTO_LIBRARY OR NOT MBEDX509_LIBRARY OR NOT MBEDTLS_LIBRARY)
  message(FATAL_ERROR "mailkey needs Mbed TLS 2.28: install the Debian package 'libmbedtls-dev' (or run scripts/install-deps)")
endif()
file(STRINGS ${MBEDTLS_INCLUDE_DIR}/mbedtls/version.h _mk_mbed_ver REGEX "define MBEDTLS_VERSION_STRING ")
if(NOT _mk_mbed_ver MATCHES "\"2\\.28\\.")
  message(FATAL_ERROR "mailkey needs Mbed TLS 2.28.x, found: ${_mk_mbed_ver}")
endif()
add_library(mk::mbedcrypto UNKNOWN IMPORTED)
set_target_properties(mk::mbedcrypto PROPERTIES IMPORTED_LOCATION ${MBEDCRYPTO_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${MBEDTLS_INCLUDE_DIR})
add_library(mk::mbedx509 UNKNOWN IMPORTED)
set_target_properties(mk::mbedx509 PROPERTIES IMPORTED_LOCATION ${MBEDX509_LIBRARY}
  INTERFACE_LINK_LIBRARIES mk::mbedcrypto)
add_library(mk::mbedtls UNKNOWN IMPORTED)
set_target_properties(mk::mbedtls PROPERTIES IMPORTED_LOCATION ${MBEDTLS_LIBRARY}
  INTERFACE_LINK_LIBRARIES mk::mbedx509)
