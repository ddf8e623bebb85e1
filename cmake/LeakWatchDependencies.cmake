# Finds SQLite, libyaml and cmocka the same way on every target. For the mingw
# cross build they are first built from Debian's source packages into the build
# tree (cmake/build-mingw-deps.sh, cached), then found there.
if(LW_BUILD_MINGW_DEPS)
  set(LW_DEPS_PREFIX "${CMAKE_BINARY_DIR}/deps")
  execute_process(
    COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/build-mingw-deps.sh" "${LW_DEPS_PREFIX}"
    RESULT_VARIABLE _lw_deps_rc)
  if(NOT _lw_deps_rc EQUAL 0)
    message(FATAL_ERROR "cmake/build-mingw-deps.sh failed (exit ${_lw_deps_rc})")
  endif()
  list(PREPEND CMAKE_FIND_ROOT_PATH "${LW_DEPS_PREFIX}")
  list(PREPEND CMAKE_PREFIX_PATH "${LW_DEPS_PREFIX}")
  set(ENV{PKG_CONFIG_LIBDIR} "${LW_DEPS_PREFIX}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
endif()

find_package(SQLite3 REQUIRED)
find_package(Yaml REQUIRED)
if(LW_BUILD_TESTS)
  find_package(CMocka REQUIRED)
endif()
