# The flag list of STYLE.md, checked against gcc 12 and clang 14.
add_compile_options(
  -Wall -Wextra -Wshadow -Wformat=2 -Wvla -Wimplicit-fallthrough
  -Wstrict-prototypes -Wmissing-prototypes -Wcast-qual -Wwrite-strings
  -Wconversion -Wno-sign-conversion)
if(MK_WERROR)
  set(CMAKE_COMPILE_WARNING_AS_ERROR ON)
endif()
