# Sourced by scripts that run Windows programs under Wine. Two known
# failures of Wine 8's server (README "Under Wine"), seen where they happen:
#
# - Its idle shutdown races a program that starts as it begins, and ends that
#   program with exit code 1 and not a word (server/process.c: shutdown stage
#   2 terminates every process with 1). A prefix shared by many short runs
#   gets a server of its own that stays up (lw_server_keep), with its stderr
#   kept, so there is no idle shutdown to race and anything it says is seen.
# - It crashes (SIGSEGV, "wineserver crashed" on its stderr) when a handle
#   table read, the holder scan's NtQuerySystemInformation, meets a process
#   whose handle table is still empty: one that is starting. enum_handles in
#   server/handle.c walks `unsigned i <= table->last` with last = -1 until it
#   leaves the heap. Every process of the prefix then dies or hangs. Scripts
#   avoid starting Wine programs in a prefix while a service in it scans, and
#   lw_run_watching lets a caller see the crash at once and run again.

# lw_server_keep PREFIX LOG: a server for PREFIX that lives 60 s past its last
# program, its stderr appended to LOG; a server already running is kept.
lw_server_keep() {
  WINEPREFIX=$1 detached_log "$2" "$WINESERVER" -p60 || true # 2: one runs already
}

# lw_server_crashes LOG: how many crashes the server's stderr LOG records.
lw_server_crashes() {
  local n
  n=$(grep -c 'wineserver crashed' "$1" 2>/dev/null || true)
  echo "${n:-0}"
}

# lw_run_watching LOG CMD...: runs CMD and returns its status, or 250 when
# the server whose stderr is LOG crashed meanwhile. CMD is then killed at
# once: a program whose server died may wait for ever on a reply.
lw_run_watching() {
  local log=$1 before pid rc=0
  shift
  before=$(lw_server_crashes "$log")
  "$@" <&0 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(lw_server_crashes "$log")" != "$before" ]; then
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      return 250
    fi
    sleep 0.1
  done
  wait "$pid" || rc=$?
  [ "$(lw_server_crashes "$log")" = "$before" ] || return 250
  return "$rc"
}

# lw_crash_said LOG: what the server said of its crash, for the reader.
lw_crash_said() {
  grep -m 1 'wineserver crashed' "$1" 2>/dev/null || true
  echo "(Wine 8's get_system_handles meets a starting process: a Wine bug, README \"Under Wine\")"
}
