# Test helpers shared by tests/*/CMakeLists.txt.
#
# Labels: `unit` (cmocka, one exe per module; run natively and, in the mingw
# build, under Wine), `wine` (needs the Windows build under Wine), `e2e`.
# In the mingw build every test needs the `wine` fixture: one prefix per build
# tree, made once, with a persistent wineserver for the run, ended afterwards.

if(CMAKE_CROSSCOMPILING AND WIN32)
  set(LW_WINE ON)
  set(LW_WINEPREFIX "${CMAKE_BINARY_DIR}/wineprefix")
  set(CMAKE_CROSSCOMPILING_EMULATOR
      "${PROJECT_SOURCE_DIR}/tests/wine/wine-exec.sh;${LW_WINEPREFIX}")
  # Paths handed to a Windows test exe: Wine maps Z: to /.
  set(LW_TEST_SOURCE_DIR "Z:${PROJECT_SOURCE_DIR}/tests")
  set(LW_TEST_BINARY_DIR "Z:${CMAKE_BINARY_DIR}/tests")
else()
  set(LW_WINE OFF)
  set(LW_TEST_SOURCE_DIR "${PROJECT_SOURCE_DIR}/tests")
  set(LW_TEST_BINARY_DIR "${CMAKE_BINARY_DIR}/tests")
endif()

# lw_test_properties(TEST LABELS...): labels, the Wine fixture where needed, and
# exit 77 = skipped (a missing tool off CI; on CI the scripts fail instead).
function(lw_test_properties test)
  set_tests_properties(${test} PROPERTIES LABELS "${ARGN}" SKIP_RETURN_CODE 77)
  if(LW_WINE)
    set_tests_properties(${test} PROPERTIES FIXTURES_REQUIRED wine)
  endif()
endfunction()

# lw_add_unit_test(NAME SOURCES... [LIBS libs...] [ARGS args...]): a cmocka exe
# linked with lw_common, registered as a `unit` test.
function(lw_add_unit_test name)
  cmake_parse_arguments(ARG "" "" "LIBS;ARGS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS}
    ${PROJECT_SOURCE_DIR}/tests/unit/unbuffered_stdio.c)
  target_link_libraries(${name} PRIVATE lw_common CMocka::CMocka ${ARG_LIBS})
  lw_strict_warnings(${name} NO_CONVERSION)
  add_test(NAME ${name} COMMAND ${name} ${ARG_ARGS})
  if(LW_WINE)
    lw_test_properties(${name} unit wine)
  else()
    lw_test_properties(${name} unit)
  endif()
endfunction()

# lw_add_script_test(NAME LABEL SCRIPT ARGS...): a bash test script.
function(lw_add_script_test name label script)
  add_test(NAME ${name} COMMAND bash ${script} ${ARGN})
  lw_test_properties(${name} ${label})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT
    "LW_SOURCE_DIR=${PROJECT_SOURCE_DIR};LW_BUILD_DIR=${CMAKE_BINARY_DIR};LW_WINEPREFIX=${LW_WINEPREFIX}")
endfunction()

if(LW_WINE)
  add_test(NAME wine_prefix_setup
    COMMAND bash ${PROJECT_SOURCE_DIR}/tests/wine/prefix.sh setup ${LW_WINEPREFIX})
  set_tests_properties(wine_prefix_setup PROPERTIES FIXTURES_SETUP wine LABELS "wine")
  add_test(NAME wine_prefix_teardown
    COMMAND bash ${PROJECT_SOURCE_DIR}/tests/wine/prefix.sh teardown ${LW_WINEPREFIX})
  set_tests_properties(wine_prefix_teardown PROPERTIES FIXTURES_CLEANUP wine LABELS "wine")
endif()
