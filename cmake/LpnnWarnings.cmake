# Warnings for lpnn's own targets only (dependencies' headers are SYSTEM includes).
#
# Sanitizers and fuzzing instrumentation, by contrast, are directory-wide: this file is included from
# the top-level CMakeLists.txt before any add_subdirectory, so add_compile_options/add_link_options
# reach every target of the project (the library, the tools, lpnn_test_main, every unit/MPI/train test
# and helper library, whether or not it calls lpnn_target_defaults). ASan must instrument and link all
# of them alike: a test executable that links the instrumented static library lpnn without
# -fsanitize=address fails to link, and an uninstrumented caller hides its own bugs.
#
#   LPNN_SANITIZE=ON   -fsanitize=address,undefined (gcc or clang). UBSan findings abort the process
#                      (-fno-sanitize-recover=undefined), so a test with undefined behaviour fails even if
#                      nobody reads its output. cmake/sanitize-and-fuzz.sh runs the suites this way.
#   LPNN_FUZZ=ON       with clang: ASan/UBSan as above (implied) and -fsanitize=fuzzer-no-link (libFuzzer's
#                      coverage instrumentation) for all of lpnn's code, so the fuzz targets in tests/fuzz
#                      are guided by the library's branches, not only their own. The targets link
#                      libFuzzer (-fsanitize=fuzzer) themselves.
if(LPNN_FUZZ AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(WARNING "LPNN_FUZZ=ON needs clang (libFuzzer); ${CMAKE_CXX_COMPILER_ID} builds no fuzz targets. "
                  "Configure with -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
endif()
if(LPNN_SANITIZE OR (LPNN_FUZZ AND CMAKE_CXX_COMPILER_ID MATCHES "Clang"))
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(LPNN_FUZZ AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  # Coverage instrumentation only; every executable still has its own main (the sanitizer runtime
  # provides the coverage callbacks), the fuzz targets link libFuzzer with -fsanitize=fuzzer.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

function(lpnn_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter)
  # GCC 12 reports -Wrestrict falsely inside libstdc++ for "literal" + std::string at -O2 (GCC bug
  # 105329, fixed in GCC 13): a warning about the standard library, not about lpnn's code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()
