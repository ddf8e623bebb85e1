# Finds cmocka and defines the imported target CMocka::CMocka.
# pkg-config first (Debian, mingw deps), then a plain search (vcpkg/MSVC).
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_CMOCKA QUIET cmocka)
endif()
find_path(CMocka_INCLUDE_DIR cmocka.h HINTS ${PC_CMOCKA_INCLUDE_DIRS})
find_library(CMocka_LIBRARY NAMES cmocka-static cmocka HINTS ${PC_CMOCKA_LIBRARY_DIRS})
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CMocka REQUIRED_VARS CMocka_LIBRARY CMocka_INCLUDE_DIR)
if(CMocka_FOUND AND NOT TARGET CMocka::CMocka)
  add_library(CMocka::CMocka UNKNOWN IMPORTED)
  set_target_properties(CMocka::CMocka PROPERTIES
    IMPORTED_LOCATION "${CMocka_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CMocka_INCLUDE_DIR}")
  if(CMocka_LIBRARY MATCHES "cmocka-static")
    set_property(TARGET CMocka::CMocka APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS CMOCKA_STATIC)
  endif()
endif()
mark_as_advanced(CMocka_INCLUDE_DIR CMocka_LIBRARY)
