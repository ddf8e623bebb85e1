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

# SQLite's own shell for Windows (issue 15), which the MSI installs next to
# leakwatch.exe: LW_SQLITE3_SHELL, empty when there is none. mingw: built with
# the library by build-mingw-deps.sh; msvc: vcpkg's sqlite3[tool] (vcpkg.json).
set(LW_SQLITE3_SHELL "")
if(LW_BUILD_MINGW_DEPS)
  if(NOT EXISTS "${LW_DEPS_PREFIX}/bin/sqlite3.exe")
    message(FATAL_ERROR "cmake/build-mingw-deps.sh left no ${LW_DEPS_PREFIX}/bin/sqlite3.exe")
  endif()
  set(LW_SQLITE3_SHELL "${LW_DEPS_PREFIX}/bin/sqlite3.exe")
elseif(WIN32)
  find_program(LW_SQLITE3_SHELL_EXE sqlite3
    HINTS "${VCPKG_INSTALLED_DIR}/${VCPKG_TARGET_TRIPLET}/tools/sqlite3" NO_DEFAULT_PATH)
  if(LW_SQLITE3_SHELL_EXE)
    set(LW_SQLITE3_SHELL "${LW_SQLITE3_SHELL_EXE}")
  else()
    message(STATUS "no sqlite3.exe (vcpkg's sqlite3[tool]) under "
                   "${VCPKG_INSTALLED_DIR}/${VCPKG_TARGET_TRIPLET}/tools/sqlite3: "
                   "the MSI is built without the SQLite shell")
  endif()
endif()
find_package(Yaml REQUIRED)
if(LW_BUILD_TESTS)
  find_package(CMocka REQUIRED)
endif()
