/*
 * handle_table_stress.c - a manual tool (not a test): calls
 * NtQuerySystemInformation(SystemExtendedHandleInformation) in a loop on
 * worker threads, with the holder scan's buffer pattern (service/os/holder_scan.c,
 * read_table: 1 MiB first, kept between calls, grown on
 * STATUS_INFO_LENGTH_MISMATCH), while other threads and a child process churn
 * handles. It watches the workers from outside: a worker that ends without
 * having finished its calls was ended by Wine (GetExitCodeThread says how).
 * Written for issue 12: the holder scan's thread was seen to vanish under
 * Wine (what this tool showed: README, Wine section). With
 * tests/wine/reply-write-fail.gdb it shows what a failed reply write does.
 *
 *   handle_table_stress [--workers W] [--seconds S] [--calls N]
 *                       [--churn-threads T] [--churn-handles H] [--child]
 *                       [--initial BYTES] [--hold H] [--real-scan]
 *   handle_table_stress --churn-only S H    (what --child starts)
 *
 *   --workers W        scanning threads (default 1)
 *   --seconds S        stop scanning after S seconds (default 60)
 *   --calls N          or after N calls per worker (default: no limit)
 *   --churn-threads T  threads opening up to H events and closing them (default 2)
 *   --churn-handles H  (default 5000; above ~26,000 the 1 MiB buffer must grow)
 *   --hold H           events this process keeps open all along (default 0)
 *   --child            also churn handles in a child process (this exe)
 *   --initial BYTES    first buffer size (default 1 MiB, as read_table)
 *   --real-scan        workers run whole holder scans (lw_holder_scan_run, every
 *                      logon session: duplicates every Token handle) instead
 *                      of the bare call; "calls" then counts scans
 *
 * Run it with the wineserver's stderr kept, one prefix to itself:
 *   export WINEPREFIX=/tmp/p WINEDEBUG=-all
 *   wineserver -f 2>server.log &     # -f: stays in the foreground, stderr kept
 *   wine64 handle_table_stress.exe --seconds 120 --child
 *   wineserver -k; grep -i 'protocol error' server.log
 * and, for load, `for i in 1 2; do timeout 120 sh -c 'while :; do :; done' & done`.
 *
 * Prints one line per worker ("worker 0 finished: 1234 calls ..." or
 * "worker 0 DIED during call 11: exit code 1 ..."), then
 * "result workers=W calls=N deaths=D". Exit status: 0 no worker died,
 * 3 a worker died, 4 a worker hung, 1 setup failed, 2 usage.
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "holder_scan.h"

#define SYSTEM_EXTENDED_HANDLE_INFORMATION 64u
#define ST_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)
#define MAX_WORKERS 16
#define MAX_CHURN 16
#define TABLE_MAX_BYTES (1024u * 1024u * 1024u)

typedef NTSTATUS(NTAPI *qsi_fn)(ULONG, PVOID, ULONG, PULONG);

struct worker {
  HANDLE thread;
  volatile LONG finished; /* set by the worker itself as its last act */
  volatile LONG calls;    /* calls made, including the one in flight */
  volatile LONG ok;       /* calls that returned STATUS_SUCCESS */
  volatile LONG grown;    /* STATUS_INFO_LENGTH_MISMATCH answers */
  volatile LONG other;    /* any other status */
  volatile LONG last_status;
  volatile LONG bytes;      /* buffer size of the call in flight */
  volatile LONG last_count; /* handles in the last full answer */
};

static qsi_fn qsi;
static struct worker workers[MAX_WORKERS];
static volatile LONG stop_churn;
static ULONGLONG deadline;
static long max_calls = -1;
static ULONG initial_bytes = 1u << 20;
static unsigned long churn_handles = 5000;
static int real_scan;

/* The product's scan, whole, on one scanner kept between scans. */
static void real_scans(struct worker *w) {
  struct lw_holder_scanner *s = NULL;
  if (lw_holder_scanner_open(NULL, &s) != 0)
    return;
  while (GetTickCount64() < deadline && (max_calls < 0 || w->calls < max_calls)) {
    struct lw_holders_result *r = NULL;
    int rc;
    InterlockedIncrement(&w->calls);
    rc = lw_holder_scan_run(s, NULL, 0, 0, &r);
    InterlockedExchange(&w->last_status, rc);
    if (rc == 0) {
      InterlockedExchange(&w->last_count, (LONG)r->cost.handles_seen);
      InterlockedIncrement(&w->ok);
    } else {
      fprintf(stderr, "scan failed: %s\n", lw_holder_scan_error(s));
      InterlockedIncrement(&w->other);
    }
    lw_holders_result_free(r);
  }
  lw_holder_scanner_close(s);
}

/* read_table's loop, buffer kept between calls as the scanner keeps it. */
static DWORD WINAPI scan_worker(LPVOID param) {
  struct worker *w = param;
  ULONG size = initial_bytes;
  void *table = NULL;
  if (real_scan) {
    real_scans(w);
    goto out;
  }
  while (GetTickCount64() < deadline && (max_calls < 0 || w->calls < max_calls)) {
    int attempt;
    for (attempt = 0; attempt < 12; attempt++) {
      ULONG got = 0;
      NTSTATUS st;
      if (table == NULL && (table = malloc(size)) == NULL) {
        fprintf(stderr, "malloc(%lu) failed\n", (unsigned long)size);
        goto out;
      }
      InterlockedExchange(&w->bytes, (LONG)size);
      InterlockedIncrement(&w->calls);
      st = qsi(SYSTEM_EXTENDED_HANDLE_INFORMATION, table, size, &got);
      InterlockedExchange(&w->last_status, (LONG)st);
      if (st == 0) {
        ULONG_PTR count;
        memcpy(&count, table, sizeof count);
        InterlockedExchange(&w->last_count, (LONG)count);
        InterlockedIncrement(&w->ok);
        break;
      }
      if (st != ST_INFO_LENGTH_MISMATCH) {
        InterlockedIncrement(&w->other);
        break;
      }
      InterlockedIncrement(&w->grown);
      {
        ULONG want = got > size ? got : size;
        if (want > TABLE_MAX_BYTES / 2)
          goto out;
        size = got > size ? want + want / 4u : want * 2u;
        free(table);
        table = NULL;
      }
    }
  }
out:
  free(table);
  InterlockedExchange(&w->finished, 1);
  return 0;
}

/* Opens up to churn_handles events, closes them all, again, until told. */
static DWORD WINAPI churn_worker(LPVOID param) {
  HANDLE *h = malloc(churn_handles * sizeof *h);
  unsigned long seed = (unsigned long)(ULONG_PTR)param * 2654435761u + GetTickCount();
  (void)param;
  if (h == NULL)
    return 1;
  while (!stop_churn) {
    unsigned long n, i;
    seed = seed * 1103515245u + 12345u;
    n = 1 + (seed >> 8) % churn_handles;
    for (i = 0; i < n; i++)
      if ((h[i] = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
        break;
    n = i;
    for (i = 0; i < n; i++)
      CloseHandle(h[i]);
  }
  free(h);
  return 0;
}

static int churn_only(unsigned long seconds) {
  HANDLE t[2];
  int i;
  for (i = 0; i < 2; i++)
    t[i] = CreateThread(NULL, 0, churn_worker, (LPVOID)(ULONG_PTR)(i + 100), 0, NULL);
  Sleep(seconds * 1000u);
  stop_churn = 1;
  WaitForMultipleObjects(2, t, TRUE, INFINITE);
  return 0;
}

static HANDLE start_child(unsigned long seconds) {
  WCHAR exe[MAX_PATH], cmd[MAX_PATH + 64];
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  if (GetModuleFileNameW(NULL, exe, MAX_PATH) == 0)
    return NULL;
  _snwprintf(cmd, sizeof cmd / sizeof *cmd, L"\"%ls\" --churn-only %lu %lu", exe, seconds,
             churn_handles);
  cmd[sizeof cmd / sizeof *cmd - 1] = 0;
  if (!CreateProcessW(exe, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
    fprintf(stderr, "starting the churn child failed: %lu\n", GetLastError());
    return NULL;
  }
  CloseHandle(pi.hThread);
  return pi.hProcess;
}

static int usage(void) {
  fputs("usage: handle_table_stress [--workers W] [--seconds S] [--calls N] [--churn-threads T]\n"
        "                           [--churn-handles H] [--hold H] [--child] [--initial BYTES]\n"
        "                           [--real-scan]\n",
        stderr);
  return 2;
}

int main(int argc, char **argv) {
  unsigned long n_workers = 1, seconds = 60, churn_threads = 2, hold = 0, i;
  int child = 0, deaths = 0, hung = 0;
  long total = 0;
  HANDLE churn[MAX_CHURN], child_process = NULL, *held = NULL;
  if (argc == 4 && strcmp(argv[1], "--churn-only") == 0) {
    churn_handles = strtoul(argv[3], NULL, 10);
    return churn_only(strtoul(argv[2], NULL, 10));
  }
  for (int a = 1; a < argc; a++) {
    const char *v = a + 1 < argc ? argv[a + 1] : NULL;
    if (strcmp(argv[a], "--child") == 0) {
      child = 1;
      continue;
    }
    if (strcmp(argv[a], "--real-scan") == 0) {
      real_scan = 1;
      continue;
    }
    if (v == NULL)
      return usage();
    if (strcmp(argv[a], "--workers") == 0)
      n_workers = strtoul(v, NULL, 10);
    else if (strcmp(argv[a], "--seconds") == 0)
      seconds = strtoul(v, NULL, 10);
    else if (strcmp(argv[a], "--calls") == 0)
      max_calls = strtol(v, NULL, 10);
    else if (strcmp(argv[a], "--churn-threads") == 0)
      churn_threads = strtoul(v, NULL, 10);
    else if (strcmp(argv[a], "--churn-handles") == 0)
      churn_handles = strtoul(v, NULL, 10);
    else if (strcmp(argv[a], "--hold") == 0)
      hold = strtoul(v, NULL, 10);
    else if (strcmp(argv[a], "--initial") == 0)
      initial_bytes = strtoul(v, NULL, 10);
    else
      return usage();
    a++;
  }
  if (n_workers < 1 || n_workers > MAX_WORKERS || churn_threads > MAX_CHURN || churn_handles < 1 ||
      initial_bytes < 16)
    return usage();
  qsi = (qsi_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                               "NtQuerySystemInformation");
  if (qsi == NULL) {
    fputs("no NtQuerySystemInformation\n", stderr);
    return 1;
  }
  if (hold > 0) {
    held = malloc(hold * sizeof *held);
    for (i = 0; held != NULL && i < hold; i++)
      held[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
  }
  if (child && (child_process = start_child(seconds + 5)) == NULL)
    return 1;
  for (i = 0; i < churn_threads; i++)
    churn[i] = CreateThread(NULL, 0, churn_worker, (LPVOID)(ULONG_PTR)i, 0, NULL);
  deadline = GetTickCount64() + seconds * 1000ull;
  for (i = 0; i < n_workers; i++) {
    workers[i].thread = CreateThread(NULL, 0, scan_worker, &workers[i], 0, NULL);
    if (workers[i].thread == NULL) {
      fprintf(stderr, "CreateThread failed: %lu\n", GetLastError());
      return 1;
    }
  }
  for (i = 0; i < n_workers; i++) {
    struct worker *w = &workers[i];
    DWORD code = 0;
    /* A worker stuck in the call (rather than ended) shows as hung. */
    if (WaitForSingleObject(w->thread, (seconds + 120) * 1000u) != WAIT_OBJECT_0) {
      printf("worker %lu HUNG during call %ld (buffer %ld bytes)\n", i, w->calls, w->bytes);
      hung++;
      continue;
    }
    GetExitCodeThread(w->thread, &code);
    total += w->calls;
    if (w->finished)
      printf("worker %lu finished: %ld calls, %ld ok, %ld grown, %ld other, last count %ld, "
             "buffer %ld bytes\n",
             i, w->calls, w->ok, w->grown, w->other, w->last_count, w->bytes);
    else {
      printf("worker %lu DIED during call %ld: exit code %lu, %ld ok before, last status 0x%08lX, "
             "buffer %ld bytes, last count %ld\n",
             i, w->calls, code, w->ok, (unsigned long)w->last_status, w->bytes, w->last_count);
      deaths++;
    }
    fflush(stdout);
  }
  stop_churn = 1;
  if (churn_threads > 0)
    WaitForMultipleObjects((DWORD)churn_threads, churn, TRUE, 30000);
  if (child_process != NULL) {
    if (WaitForSingleObject(child_process, 30000) != WAIT_OBJECT_0)
      TerminateProcess(child_process, 1);
    CloseHandle(child_process);
  }
  for (i = 0; held != NULL && i < hold; i++)
    CloseHandle(held[i]);
  free(held);
  printf("result workers=%lu calls=%ld deaths=%d hung=%d\n", n_workers, total, deaths, hung);
  return hung ? 4 : deaths ? 3 : 0;
}
