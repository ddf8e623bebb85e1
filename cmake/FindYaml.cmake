# Finds libyaml (yaml-0.1) and defines the imported target Yaml::Yaml.
# pkg-config first (Debian, mingw deps), then a plain search (vcpkg/MSVC).
# A static libyaml on Windows must be used with YAML_DECLARE_STATIC, or yaml.h
# declares its functions dllimport.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_YAML QUIET yaml-0.1)
endif()
find_path(Yaml_INCLUDE_DIR yaml.h HINTS ${PC_YAML_INCLUDE_DIRS})
find_library(Yaml_LIBRARY NAMES yaml libyaml yamld HINTS ${PC_YAML_LIBRARY_DIRS})
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Yaml REQUIRED_VARS Yaml_LIBRARY Yaml_INCLUDE_DIR)
if(Yaml_FOUND AND NOT TARGET Yaml::Yaml)
  add_library(Yaml::Yaml UNKNOWN IMPORTED)
  set_target_properties(Yaml::Yaml PROPERTIES
    IMPORTED_LOCATION "${Yaml_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Yaml_INCLUDE_DIR}")
  if(WIN32 AND Yaml_LIBRARY MATCHES "\\.a$|yaml\\.lib$")
    set_property(TARGET Yaml::Yaml APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS YAML_DECLARE_STATIC)
  endif()
endif()
mark_as_advanced(Yaml_INCLUDE_DIR Yaml_LIBRARY)
