/*
 * collector.c - one poll of the host (see collector.h): the collector's life
 * cycle, the boot time and the order of the sources in a poll (the per-source
 * error report is collect_error.c's).
 */
#include <windows.h>
#include <ntsecapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "error.h"
#include "timefmt.h"
#include "winutf.h"

#define SYSTEM_TIME_OF_DAY_INFORMATION 3

struct lw_collector {
  struct lw_lsa_api lsa;
  struct lw_wts_api wts;
  struct lw_process_api proc;
  struct lw__lsa_cache *cache;
  struct lw__proc_buffer procbuf;
  int64_t boot_time;
};

/* SYSTEM_TIMEOFDAY_INFORMATION (not in the SDK headers). */
struct time_of_day {
  LARGE_INTEGER boot_time;
  LARGE_INTEGER current_time;
  LARGE_INTEGER time_zone_bias;
  ULONG time_zone_id;
  ULONG reserved;
  ULONGLONG boot_time_bias;
  ULONGLONG sleep_time_bias;
};

static int64_t now_ms(void) {
  FILETIME ft;
  GetSystemTimeAsFileTime(&ft);
  return lw_time_from_filetime((int64_t)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime));
}

/* The boot time in whole seconds (ms since epoch): the kernel's, else derived
 * from the tick count. Read once per collector, so it cannot jitter. */
static int64_t read_boot_time(const struct lw_process_api *api) {
  struct time_of_day tod;
  ULONG got = 0;
  int64_t t = LW_TIME_UNKNOWN;
  memset(&tod, 0, sizeof tod);
  if (api->query_system_information(SYSTEM_TIME_OF_DAY_INFORMATION, &tod, (ULONG)sizeof tod,
                                    &got) == 0 &&
      got >= sizeof tod.boot_time)
    t = lw_time_from_filetime((int64_t)tod.boot_time.QuadPart);
  if (t == LW_TIME_UNKNOWN) {
    /* rounded to the nearest second: the two clocks are read apart */
    t = now_ms() - (int64_t)GetTickCount64();
    t += 500;
  }
  return t - ((t % 1000) + 1000) % 1000;
}

int lw_collector_open(const struct lw_collector_apis *apis, struct lw_collector **out) {
  struct lw_collector *c;
  if (out == NULL)
    return LW_EINVAL;
  *out = NULL;
  c = calloc(1, sizeof *c);
  if (c == NULL)
    return LW_ENOMEM;
  c->lsa = *(apis != NULL && apis->lsa != NULL ? apis->lsa : lw_lsa_api_system());
  c->wts = *(apis != NULL && apis->wts != NULL ? apis->wts : lw_wts_api_system());
  c->proc = *(apis != NULL && apis->proc != NULL ? apis->proc : lw_process_api_system());
  if (lw__lsa_cache_new(&c->cache) != 0) {
    free(c);
    return LW_ENOMEM;
  }
  c->boot_time = read_boot_time(&c->proc);
  *out = c;
  return 0;
}

void lw_collector_close(struct lw_collector *c) {
  if (c == NULL)
    return;
  lw__lsa_cache_free(c->cache);
  free(c->procbuf.data);
  free(c);
}

int64_t lw_collector_boot_time(const struct lw_collector *c) {
  return c->boot_time;
}

const char *lw_collect_source_name(enum lw_collect_source source) {
  switch (source) {
  case LW_COLLECT_LSA:
    return "LSA logon sessions";
  case LW_COLLECT_WTS:
    return "WTS sessions";
  case LW_COLLECT_PROCESSES:
    return "processes";
  default:
    return "?";
  }
}

int lw_collector_poll(struct lw_collector *c, struct lw_snapshot **out,
                      struct lw_collect_report *report) {
  struct lw_snapshot *s;
  int rc[LW_COLLECT_SOURCES];
  ULONGLONG t0;
  int i, first = 0;

  if (out != NULL)
    *out = NULL;
  if (report == NULL)
    return LW_EINVAL;
  memset(report, 0, sizeof *report);
  if (c == NULL || out == NULL)
    return LW_EINVAL;
  s = lw_snapshot_new();
  if (s == NULL) {
    for (i = 0; i < LW_COLLECT_SOURCES; i++)
      lw__collect_fail(&report->source[i], LW_ENOMEM, "the snapshot", 0, false, "out of memory");
    report->failed = LW_COLLECT_SOURCES;
    return LW_ENOMEM;
  }
  t0 = GetTickCount64();
  s->taken_at = now_ms();
  s->boot_time = c->boot_time;

  /* LSA first: its enumeration is the poll (and moves the simulated host a
   * step); WTS and processes then describe the same moment as closely as
   * the OS allows. */
  rc[LW_COLLECT_LSA] = lw__collect_lsa(c->cache, &c->lsa, s, &report->source[LW_COLLECT_LSA]);
  rc[LW_COLLECT_WTS] = lw__collect_wts(&c->wts, s, &report->source[LW_COLLECT_WTS]);
  rc[LW_COLLECT_PROCESSES] =
      lw__collect_processes(&c->procbuf, &c->proc, s, &report->source[LW_COLLECT_PROCESSES]);
  lw_snapshot_finish(s);
  s->duration_ms = (uint32_t)(GetTickCount64() - t0);

  for (i = 0; i < LW_COLLECT_SOURCES; i++) {
    if (rc[i] != 0) {
      report->failed++;
      if (first == 0)
        first = rc[i];
    }
  }
  *out = s;
  return first;
}
