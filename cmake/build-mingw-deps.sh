#!/usr/bin/env bash
# Cross-builds SQLite, libyaml and cmocka for x86_64-w64-mingw32 from Debian's
# source packages (Debian ships no mingw builds of them) and installs them as
# static libraries under PREFIX, with pkg-config files so CMake finds them the
# same way as on Linux; also SQLite's own shell, PREFIX/bin/sqlite3.exe (the
# MSI installs it next to leakwatch.exe, issue 15). The result is cached: a
# second run with the same source versions and this same script does nothing
# (a cache without sqlite3.exe, from before it was built here, is rebuilt).
#
# usage: cmake/build-mingw-deps.sh PREFIX
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR

unset CC CFLAGS LDFLAGS CPPFLAGS
prefix=$(realpath -m "${1:?usage: build-mingw-deps.sh PREFIX}")
host=x86_64-w64-mingw32
work="$prefix/.src"
stamp="$prefix/.stamp"
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$work"
cd "$work"

# apt-get source needs a deb-src entry; tests/setup/install-packages.sh adds it.
if ! ls sqlite3_*.orig.tar.?z libyaml_*.orig.tar.?z cmocka_*.orig.tar.?z >/dev/null 2>&1; then
  apt-get source --download-only sqlite3 libyaml cmocka >/dev/null 2>&1 || {
    echo "build-mingw-deps: 'apt-get source' failed: is there a deb-src entry? (run tests/setup/install-packages.sh)" >&2
    exit 1
  }
fi
versions=$(ls sqlite3_*.orig.tar.?z libyaml_*.orig.tar.?z cmocka_*.orig.tar.?z | sort | tr '\n' ' ')
versions="$versions $(sha256sum "$here/build-mingw-deps.sh" | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$versions" ] && [ -f "$prefix/bin/sqlite3.exe" ]; then
  exit 0
fi
echo "build-mingw-deps: building $versions into $prefix" >&2

unpack() { # unpack TARBALL -> prints directory
  local dir="${1%.orig.tar.?z}.src"
  rm -rf "$dir" && mkdir -p "$dir"
  tar -xf "$1" -C "$dir" --strip-components=1
  echo "$work/$dir"
}

mkdir -p "$prefix/lib/pkgconfig" "$prefix/include" "$prefix/bin"
jobs=$(nproc)

# SQLite: its configure cannot cross-build (mksourceid without .exe), so make the
# amalgamation natively and compile that one file with mingw.
src=$(unpack sqlite3_*.orig.tar.?z)
(
  cd "$src"
  mkdir -p native && cd native
  # Native tools only: the caller (CMake) may have exported a cross CC.
  env -u CFLAGS -u LDFLAGS -u CPPFLAGS CC=gcc ../configure --disable-tcl >/dev/null
  make -j"$jobs" sqlite3.c shell.c >/dev/null
  version=$(sed -n 's/^#define SQLITE_VERSION *"\(.*\)"/\1/p' sqlite3.h)
  flags="-O2 -DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_FTS5=0 -DSQLITE_DEFAULT_FOREIGN_KEYS=1 -DSQLITE_OMIT_LOAD_EXTENSION"
  $host-gcc $flags -c sqlite3.c -o sqlite3.o
  rm -f "$prefix/lib/libsqlite3.a"
  $host-ar rcs "$prefix/lib/libsqlite3.a" sqlite3.o
  # The shell, sqlite3.exe: the amalgamation's shell.c with the same sqlite3.c
  # and flags as the library, plus the options SQLite's makefile gives its
  # shell (SHELL_OPT). Third-party code: its own flags, not our warnings.
  # UNICODE + -municode: wmain, so arguments (a database path) are UTF-16
  # as in SQLite's own Windows build. Static: no mingw runtime DLL to ship.
  shell_opt=$(sed -n 's/^SHELL_OPT *+\{0,1\}= *//p' Makefile | tr '\n' ' ')
  # shellcheck disable=SC2086 # word splitting of the flag lists is wanted
  $host-gcc $flags $shell_opt -DUNICODE -D_UNICODE -municode -static -s \
    shell.c sqlite3.c -o "$prefix/bin/sqlite3.exe"
  cp sqlite3.h sqlite3ext.h "$prefix/include/"
  printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\nName: SQLite\nDescription: SQL database engine\nVersion: %s\nLibs: -L${libdir} -lsqlite3\nCflags: -I${includedir}\n' \
    "$prefix" "$version" >"$prefix/lib/pkgconfig/sqlite3.pc"
)

cmake_cross=(-G Ninja -DCMAKE_SYSTEM_NAME=Windows -DCMAKE_C_COMPILER=$host-gcc
  -DCMAKE_RC_COMPILER=$host-windres -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF)

src=$(unpack libyaml_*.orig.tar.?z)
cmake -S "$src" -B "$src/build" "${cmake_cross[@]}" -DBUILD_TESTING=OFF >/dev/null
cmake --build "$src/build" >/dev/null
cmake --install "$src/build" >/dev/null
# libyaml's CMake install has no .pc file; a static libyaml needs YAML_DECLARE_STATIC.
yver=$(ls libyaml_*.orig.tar.?z | sed 's/libyaml_\(.*\)\.orig.*/\1/')
printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\nName: LibYAML\nDescription: Library to parse and emit YAML\nVersion: %s\nLibs: -L${libdir} -lyaml\nCflags: -I${includedir} -DYAML_DECLARE_STATIC\n' \
  "$prefix" "$yver" >"$prefix/lib/pkgconfig/yaml-0.1.pc"

src=$(unpack cmocka_*.orig.tar.?z)
cmake -S "$src" -B "$src/build" "${cmake_cross[@]}" -DWITH_STATIC_LIB=ON \
  -DUNIT_TESTING=OFF -DWITH_EXAMPLES=OFF -DPICKY_DEVELOPER=OFF >/dev/null
cmake --build "$src/build" >/dev/null
cmake --install "$src/build" >/dev/null
# cmocka installs a .pc for its shared library; point it at the static one.
cver=$(ls cmocka_*.orig.tar.?z | sed 's/cmocka_\(.*\)\.orig.*/\1/')
printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\nName: cmocka\nDescription: unit testing library\nVersion: %s\nLibs: -L${libdir} -lcmocka-static\nCflags: -I${includedir} -DCMOCKA_STATIC\n' \
  "$prefix" "$cver" >"$prefix/lib/pkgconfig/cmocka.pc"

echo "$versions" >"$stamp"
