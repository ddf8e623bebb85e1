/*
 * collect_soak.c - runs many collections in one process with the REAL system
 * tables (lw_collector_open(NULL)) and checks that the process's handle count
 * and private bytes do not grow: a collector that leaked one handle, one LSA
 * or WTS buffer or one snapshot per poll would show it here.
 *
 * Run under plain Wine (test collect_soak: Wine's own secur32/wtsapi32 and
 * its real processes) and on the simulated host (test_collect_soak_fakehost.sh:
 * the fake DLLs playing a scenario with logon sessions coming and going all
 * the time, so the LUID cache inserts and evicts at every poll).
 *
 * Measures after poll --warmup (default 100) and after the last poll:
 *   handles  GetProcessHandleCount; Wine's always says 0, so also the entries
 *            of this process in NtQuerySystemInformation(
 *            SystemExtendedHandleInformation), which Wine does fill;
 *   private  GetProcessMemoryInfo's PROCESS_MEMORY_COUNTERS_EX.PrivateUsage
 *            (Wine leaves it unset), and the committed private memory summed
 *            with VirtualQuery over the address space (what PrivateUsage
 *            counts), which works everywhere.
 * Fails (exit 1) when a handle figure grows by more than --handle-slack
 * (default 0) or a private figure by more than --private-slack KiB (default
 * 64: heap segments and the allocator round up; a leak of one small buffer
 * per poll over 900 polls is far more). Prints the figures and the mean time
 * per poll. Exit 2 for bad usage, 3 when a poll fails.
 */
#include <windows.h>
#include <psapi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "snapshot.h"

#define SYSTEM_EXTENDED_HANDLE_INFORMATION 64
#define ST_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)

typedef NTSTATUS(NTAPI *nt_query_fn)(ULONG, PVOID, ULONG, PULONG);

struct handle_entry {
  PVOID object;
  ULONG_PTR pid;
  ULONG_PTR handle;
  ULONG access;
  USHORT backtrace;
  USHORT type;
  ULONG attributes;
  ULONG reserved;
};

struct handle_info {
  ULONG_PTR count;
  ULONG_PTR reserved;
  struct handle_entry h[1];
};

/* A buffer kept for the whole run, so measuring does not allocate. */
static void *handle_buf;
static ULONG handle_buf_size;

/* This process's entries in the system handle table, or -1 if unavailable. */
static long table_handles(void) {
  nt_query_fn q = (nt_query_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                              "NtQuerySystemInformation");
  ULONG_PTR self = GetCurrentProcessId(), i;
  long n = 0;
  if (q == NULL)
    return -1;
  for (;;) {
    ULONG got = 0;
    NTSTATUS st;
    if (handle_buf == NULL) {
      handle_buf_size = handle_buf_size ? handle_buf_size : 1u << 20;
      handle_buf = VirtualAlloc(NULL, handle_buf_size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      if (handle_buf == NULL)
        return -1;
    }
    st = q(SYSTEM_EXTENDED_HANDLE_INFORMATION, handle_buf, handle_buf_size, &got);
    if (st == ST_INFO_LENGTH_MISMATCH) {
      VirtualFree(handle_buf, 0, MEM_RELEASE);
      handle_buf = NULL;
      handle_buf_size = (got > handle_buf_size ? got : handle_buf_size) * 2;
      continue;
    }
    if (st != 0)
      return -1;
    break;
  }
  {
    const struct handle_info *hi = handle_buf;
    for (i = 0; i < hi->count; i++)
      if (hi->h[i].pid == self)
        n++;
  }
  return n;
}

/* Committed private memory, from VirtualQuery. */
static unsigned long long committed_private(void) {
  unsigned long long total = 0;
  MEMORY_BASIC_INFORMATION mbi;
  SYSTEM_INFO si;
  const char *p;
  GetSystemInfo(&si);
  p = si.lpMinimumApplicationAddress;
  while (p < (const char *)si.lpMaximumApplicationAddress &&
         VirtualQuery(p, &mbi, sizeof mbi) == sizeof mbi) {
    if (mbi.State == MEM_COMMIT && mbi.Type == MEM_PRIVATE)
      total += mbi.RegionSize;
    p = (const char *)mbi.BaseAddress + mbi.RegionSize;
  }
  return total;
}

struct figures {
  long api_handles;        /* GetProcessHandleCount, -1 if it says 0 (Wine) */
  long table_handles;      /* -1 if unavailable */
  long long private_usage; /* PrivateUsage, -1 if unset (Wine) */
  unsigned long long committed;
};

static void measure(struct figures *f) {
  DWORD hc = 0;
  PROCESS_MEMORY_COUNTERS_EX pm;
  f->api_handles = GetProcessHandleCount(GetCurrentProcess(), &hc) && hc > 0 ? (long)hc : -1;
  f->table_handles = table_handles();
  memset(&pm, 0, sizeof pm);
  pm.cb = sizeof pm;
  f->private_usage =
      GetProcessMemoryInfo(GetCurrentProcess(), (PROCESS_MEMORY_COUNTERS *)&pm, sizeof pm) &&
              pm.PrivateUsage > 0 && pm.PrivateUsage < ((SIZE_T)1 << 40)
          ? (long long)pm.PrivateUsage
          : -1;
  f->committed = committed_private();
}

static int check(const char *what, long long before, long long after, long long slack,
                 const char *unit) {
  if (before < 0 || after < 0) {
    printf("%-28s unavailable here\n", what);
    return 0;
  }
  printf("%-28s after warm-up %lld %s, at the end %lld %s (%+lld)\n", what, before, unit, after,
         unit, after - before);
  if (after - before > slack) {
    printf("FAIL: %s grew by %lld %s (allowed %lld)\n", what, after - before, unit, slack);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  unsigned long polls = 1000, warmup = 100, i;
  long long handle_slack = 0, private_slack_kib = 64;
  struct lw_collector *c = NULL;
  struct figures before, after;
  LARGE_INTEGER f0, t0, t1;
  size_t last_logons = 0, last_wts = 0, last_procs = 0;
  int bad = 0, a;

  memset(&before, 0, sizeof before);
  for (a = 1; a < argc; a++) {
    if (strcmp(argv[a], "--polls") == 0 && a + 1 < argc)
      polls = strtoul(argv[++a], NULL, 10);
    else if (strcmp(argv[a], "--warmup") == 0 && a + 1 < argc)
      warmup = strtoul(argv[++a], NULL, 10);
    else if (strcmp(argv[a], "--handle-slack") == 0 && a + 1 < argc)
      handle_slack = strtoll(argv[++a], NULL, 10);
    else if (strcmp(argv[a], "--private-slack") == 0 && a + 1 < argc)
      private_slack_kib = strtoll(argv[++a], NULL, 10);
    else {
      fprintf(stderr, "usage: collect_soak [--polls N] [--warmup N] [--handle-slack N] "
                      "[--private-slack KiB]\n");
      return 2;
    }
  }
  if (warmup == 0 || polls <= warmup) {
    fprintf(stderr, "collect_soak: --polls must exceed --warmup (> 0)\n");
    return 2;
  }
  if (lw_collector_open(NULL, &c) != 0) {
    fprintf(stderr, "collect_soak: cannot open the collector\n");
    return 3;
  }
  QueryPerformanceFrequency(&f0);
  QueryPerformanceCounter(&t0);
  for (i = 1; i <= polls; i++) {
    struct lw_snapshot *s = NULL;
    struct lw_collect_report r;
    int rc = lw_collector_poll(c, &s, &r);
    if (rc != 0) {
      int k;
      for (k = 0; k < LW_COLLECT_SOURCES; k++)
        if (r.source[k].code != 0)
          fprintf(stderr, "collect_soak: poll %lu: %s: %s failed with %s (%s)\n", i,
                  lw_collect_source_name((enum lw_collect_source)k), r.source[k].what,
                  r.source[k].os_text, r.source[k].message);
      lw_snapshot_free(s);
      lw_collector_close(c);
      return 3;
    }
    last_logons = s->n_logons;
    last_wts = s->n_wts;
    last_procs = s->n_procs;
    lw_snapshot_free(s);
    if (i == warmup) {
      measure(&before);
      QueryPerformanceCounter(&t0);
    }
  }
  QueryPerformanceCounter(&t1);
  measure(&after);
  lw_collector_close(c);

  printf("collect_soak: %lu polls (figures after poll %lu and after poll %lu); last poll saw %lu "
         "logon sessions, %lu WTS sessions, %lu processes\n",
         polls, warmup, polls, (unsigned long)last_logons, (unsigned long)last_wts,
         (unsigned long)last_procs);
  printf("mean time per poll (polls %lu-%lu): %.3f ms\n", warmup + 1, polls,
         (double)(t1.QuadPart - t0.QuadPart) * 1000.0 / (double)f0.QuadPart /
             (double)(polls - warmup));
  bad |= check("handles (GetProcessHandleCount)", before.api_handles, after.api_handles,
               handle_slack, "");
  bad |= check("handles (system handle table)", before.table_handles, after.table_handles,
               handle_slack, "");
  bad |= check("private bytes (PrivateUsage)", before.private_usage, after.private_usage,
               private_slack_kib * 1024, "B");
  bad |= check("private bytes (VirtualQuery)", (long long)before.committed,
               (long long)after.committed, private_slack_kib * 1024, "B");
  if (before.table_handles < 0 && before.api_handles < 0) {
    printf("FAIL: no way to count handles here\n");
    bad = 1;
  }
  if (handle_buf != NULL)
    VirtualFree(handle_buf, 0, MEM_RELEASE);
  return bad ? 1 : 0;
}
