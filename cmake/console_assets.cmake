# console_assets.cmake — embeds a directory of static files (the approver
# console, console/) into a target as a generated C table
#   const srv_asset srv_assets[] = {{"index.html", bytes, len, "\"etag\""}, ...};
# (see lib/server/console.h), so `warrant serve` is self-contained.
#
# The table is written at build time by cmake/embed_files.cmake: editing a
# file rebuilds it (the files are DEPENDS of the custom command), and adding
# or removing one re-runs CMake (CONFIGURE_DEPENDS glob).
set(WARRANT_EMBED_PATTERNS *.html *.css *.js *.mjs *.svg *.png *.ico *.json *.txt)

function(warrant_embed_dir target dir out)
  set(_globs "")
  foreach(p ${WARRANT_EMBED_PATTERNS})
    list(APPEND _globs ${dir}/${p})
  endforeach()
  file(GLOB_RECURSE _files CONFIGURE_DEPENDS ${_globs})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DDIR=${dir} -DOUT=${out} -P ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${_files} ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake ${CMAKE_SOURCE_DIR}/cmake/console_assets.cmake
    COMMENT "Embedding ${dir} into ${out}"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
