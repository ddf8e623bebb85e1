# Cross-compiles for 64-bit Windows with Debian's mingw-w64 (win32 threads).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(_lw_host x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_lw_host}-gcc)
set(CMAKE_RC_COMPILER ${_lw_host}-windres)
set(CMAKE_MC_COMPILER ${_lw_host}-windmc)
set(CMAKE_FIND_ROOT_PATH /usr/${_lw_host})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# SQLite, libyaml, cmocka: built from Debian sources into the build tree.
set(LW_BUILD_MINGW_DEPS ON CACHE BOOL "" FORCE)
# Only DLLs that ship with Windows: the C runtime support is linked in.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -static-libgcc")
