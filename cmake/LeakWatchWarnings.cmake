# lw_strict_warnings(TARGET [NO_CONVERSION]): warnings as errors for our own code.
# -Wconversion pays off in code that moves between 16-, 32- and 64-bit Windows
# integers; tests opt out with NO_CONVERSION (cmocka's macros trip it).
function(lw_strict_warnings target)
  cmake_parse_arguments(ARG "NO_CONVERSION" "" "" ${ARGN})
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 /WX /utf-8)
    target_compile_definitions(${target} PRIVATE _CRT_SECURE_NO_WARNINGS)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow
      -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wundef)
    if(NOT ARG_NO_CONVERSION)
      target_compile_options(${target} PRIVATE -Wconversion -Wno-sign-conversion)
    endif()
  endif()
  if(LW_SANITIZE AND NOT MSVC)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
      -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(LW_FUZZ)
    # Coverage feedback for libFuzzer in every target, not only the fuzz drivers.
    # clang's -Wformat=2 also flags printf-style wrappers that gcc accepts (their
    # callers' formats are checked): gcc stays the reference for warnings.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link -Wno-format-nonliteral)
  endif()
endfunction()
