# Turn web/templates/*.html into C strings at build time (nothing is read
# from disk at run time). Invoked with -DOUT=... -DSRC_DIR=...
file(GLOB files ${SRC_DIR}/templates/*.html)
set(out "/* generated from web/templates by web/embed.cmake: do not edit */\n#include \"web/web.h\"\n")
foreach(f ${files})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND out "const unsigned char mk_web_tpl_${name}[] = {${bytes} 0x00};\n")
endforeach()
file(WRITE ${OUT}.tmp "${out}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
