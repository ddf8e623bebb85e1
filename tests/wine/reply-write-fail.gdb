# reply-write-fail.gdb - manual tool (issue 12), with handle_table_stress.exe:
# makes the wineserver's write of the 11th large reply fail, to show what a
# thread sees when Wine's server cannot write its reply. Not a test: it
# injects the failure (EBADF; the same branch as ENOMEM, the one a loaded
# host can really give) with gdb, on x86-64 Debian 12's glibc.
#
#   export WINEPREFIX=/tmp/p WINEDEBUG=-all     # a prefix of your own
#   wineserver -f 2>server.log & spid=$!
#   wine64 cmd /c exit 0                        # services.exe up first
#   gdb -q -p $spid -batch -x tests/wine/reply-write-fail.gdb & sleep 3
#   wine64 handle_table_stress.exe --calls 20 --churn-threads 0 --hold 6000
#   wineserver -k; cat server.log
#
# Seen (Wine 8.0~repack-4): "worker 0 DIED during call 11: exit code 1, 10 ok
# before" and, in server.log, "Protocol error:0114: reply write: Bad file
# descriptor". The process lives on.
#
# write_reply() sends the rest of a reply that did not fit the reply pipe at
# once (over 64 KiB: more than ~3,270 handles in the table, 20 bytes each);
# its write() is the only one of the server's over 4 KiB. Breaking on writev
# with `$rdx == 2 && *(unsigned long *)($rsi + 24) >= 100000` instead fails
# send_reply()'s first write: the thread then hangs in the call for ever and
# nothing is printed (send_reply compares an int -1 with a size_t).
set confirm off
set pagination off
handle SIGPIPE nostop noprint pass
handle SIGUSR1 nostop noprint pass
handle SIGUSR2 nostop noprint pass
handle SIGQUIT nostop noprint pass
handle SIGCHLD nostop noprint pass
break write if $rdx > 4096
ignore 1 10
continue
printf "failing write(fd %d, %lu bytes) with a bad fd\n", $rdi, $rdx
set $rdi = 100000
delete
detach
quit
