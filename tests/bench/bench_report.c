/*
 * bench_report.c - `leakwatch report --html` on a long history (issue 15):
 * 90 days of polls at a 60 s interval (129,600 polls) of a host with up to
 * 5,000 logon sessions and 500 WTS sessions, three boots, ~540 user leaks
 * (each with its DWM and UMFD), holder scans every 6 hours while a leak is
 * open, and the alerts they raised. Prints the time to build the page, its
 * size, and the ratio to the floor: reading the same polls with one bare
 * SELECT. Nothing is asserted (README's Benchmarks has the figures).
 *
 * The history is written straight into a database the store created (its
 * schema, its settings) with prepared INSERTs in one transaction: writing
 * 129,600 polls of 5,000 sessions through the store would take minutes and
 * measure the store, not the report. The report reads polls, leak_episodes,
 * holders and alerts only, so logon_sessions is left empty.
 *
 * usage: bench_report [--dir DIR] [--days N] [--keep]
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "out_buffer.h"
#include "report_html.h"
#include "report_series.h"
#include "store.h"
#include "timefmt.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */
#define MIN_MS INT64_C(60000)
#define RUNS 5

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t rnd(uint32_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng % n);
}

static void check(int rc, sqlite3 *db, const char *what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fprintf(stderr, "bench_report: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
  }
}

static void step(sqlite3_stmt *s, sqlite3 *db, const char *what) {
  check(sqlite3_step(s), db, what);
  sqlite3_reset(s);
}

struct open_leak {
  int64_t luid, leaked_at, release_at;
  uint32_t session;
};

static const char *const images[] = {
    "C:\\Program Files\\Contoso Agent\\agent.exe",
    "C:\\Program Files\\Fabrikam\\Backup\\fbsvc.exe",
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Program Files (x86)\\Printer Vendor\\spoolhelper.exe",
    "C:\\Program Files\\AV Suite\\avscan.exe",
    "C:\\Tools\\TokenGrabber.exe",
    "C:\\Program Files\\Monitoring\\collector.exe",
    "C:\\Windows\\System32\\lsass.exe",
};

/* Writes the history; returns the polls written. */
static uint32_t generate(const char *path, int days) {
  struct lw_store *st = NULL;
  char err[512];
  sqlite3 *db;
  sqlite3_stmt *poll, *boot, *ep, *rel, *hold, *alert;
  struct open_leak *open = calloc(4096, sizeof *open);
  size_t n_open = 0;
  int64_t luid = 0x100000;
  uint32_t polls = (uint32_t)days * 1440, next_session = 2;
  int64_t boot_id = 0;

  remove(path);
  if (open == NULL || lw_store_open(path, NULL, &st, NULL, err, sizeof err) != 0) {
    fprintf(stderr, "bench_report: cannot create %s: %s\n", path, err);
    exit(1);
  }
  lw_store_close(st, NULL);
  check(sqlite3_open(path, &db), db, "open");
  check(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), db, "begin");
  check(sqlite3_prepare_v2(db, "INSERT INTO boots(id, boot_time, first_poll) VALUES (?1, ?2, ?3)",
                           -1, &boot, NULL),
        db, "boots");
  check(
      sqlite3_prepare_v2(db,
                         "INSERT INTO polls(boot_id, t, duration_ms, logon_sessions, "
                         "wts_sessions, live_sessions, open_leaks, open_leaks_system, "
                         "pinned_ids, highest_session_id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                         -1, &poll, NULL),
      db, "polls");
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO leak_episodes(boot_id, luid, user, domain, logon_type, "
                           "terminal_session, logon_time, session_ended_at, leaked_at, system, "
                           "with_luid, end_seen, orphan_seen_at) "
                           "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,1,?8)",
                           -1, &ep, NULL),
        db, "leak_episodes");
  check(sqlite3_prepare_v2(db,
                           "UPDATE leak_episodes SET released_at = ?1 WHERE boot_id = ?2 AND "
                           "(luid = ?3 OR with_luid = ?3) AND released_at IS NULL",
                           -1, &rel, NULL),
        db, "release");
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO holders(boot_id, luid, scanned_at, pid, image, services, "
                           "tokens, exited_process) VALUES (?1,?2,?3,?4,?5,NULL,?6,0)",
                           -1, &hold, NULL),
        db, "holders");
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO alerts(boot_id, raised_at, event_id, message, suppressed, "
                           "logged) VALUES (?1,?2,?3,'(bench)',?4,?5)",
                           -1, &alert, NULL),
        db, "alerts");
  for (uint32_t m = 0; m < polls; m++) {
    int64_t t = T0 + (int64_t)m * MIN_MS;
    uint32_t day_min = m % 1440, week_day = (m / 1440) % 7;
    /* A new boot every 30 days: every open leak is released. */
    if (m % (30 * 1440) == 0) {
      for (size_t i = 0; i < n_open; i++) {
        sqlite3_bind_int64(rel, 1, t - MIN_MS);
        sqlite3_bind_int64(rel, 2, boot_id);
        sqlite3_bind_int64(rel, 3, open[i].luid);
        step(rel, db, "release");
      }
      n_open = 0;
      next_session = 2;
      boot_id++;
      sqlite3_bind_int64(boot, 1, boot_id);
      sqlite3_bind_int64(boot, 2, t - 300000);
      sqlite3_bind_int64(boot, 3, t);
      step(boot, db, "boot");
    }
    /* Office hours on weekdays: 500 live sessions; nights and weekends 150. */
    uint32_t live =
        week_day < 5 && day_min >= 8 * 60 && day_min < 18 * 60 ? 480 + rnd(40) : 140 + rnd(20);
    /* A user leak about every four hours; a fifth are released within a day. */
    if (rnd(240) == 0 && n_open < 4096) {
      struct open_leak *l = &open[n_open++];
      char user[32];
      l->luid = luid;
      l->leaked_at = t;
      l->session = next_session++;
      l->release_at = rnd(5) == 0 ? t + (int64_t)(60 + rnd(1380)) * MIN_MS : INT64_MAX;
      luid += 3;
      snprintf(user, sizeof user, "user%04u", (unsigned)rnd(5000));
      for (int k = 0; k < 3; k++) {
        static const char *const sys_user[] = {NULL, "DWM-", "UMFD-"};
        static const char *const sys_domain[] = {"CONTOSO", "Window Manager", "Font Driver Host"};
        char name[32];
        if (k > 0)
          snprintf(name, sizeof name, "%s%u", sys_user[k], (unsigned)l->session);
        sqlite3_bind_int64(ep, 1, boot_id);
        sqlite3_bind_int64(ep, 2, l->luid + k);
        sqlite3_bind_text(ep, 3, k == 0 ? user : name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ep, 4, sys_domain[k], -1, SQLITE_STATIC);
        sqlite3_bind_int(ep, 5, k == 0 ? 10 : 2);
        sqlite3_bind_int(ep, 6, (int)l->session);
        sqlite3_bind_int64(ep, 7, t - 8 * 3600000);
        sqlite3_bind_int64(ep, 8, t - 5 * MIN_MS);
        sqlite3_bind_int64(ep, 9, t);
        sqlite3_bind_int(ep, 10, k > 0);
        if (k > 0)
          sqlite3_bind_int64(ep, 11, l->luid);
        else
          sqlite3_bind_null(ep, 11);
        step(ep, db, "episode");
      }
      sqlite3_bind_int64(alert, 1, boot_id);
      sqlite3_bind_int64(alert, 2, t);
      sqlite3_bind_int(alert, 3, 2001);
      sqlite3_bind_int(alert, 4, 0);
      sqlite3_bind_int(alert, 5, 1);
      step(alert, db, "alert");
      sqlite3_bind_int(alert, 3, 2003);
      step(alert, db, "alert");
    }
    /* Releases, holder scans every 6 hours. */
    for (size_t i = 0; i < n_open;) {
      struct open_leak *l = &open[i];
      if (l->release_at <= t) {
        sqlite3_bind_int64(rel, 1, t);
        sqlite3_bind_int64(rel, 2, boot_id);
        sqlite3_bind_int64(rel, 3, l->luid);
        step(rel, db, "release");
        sqlite3_bind_int64(alert, 1, boot_id);
        sqlite3_bind_int64(alert, 2, t);
        sqlite3_bind_int(alert, 3, 2002);
        sqlite3_bind_int(alert, 4, 0);
        sqlite3_bind_int(alert, 5, 1);
        step(alert, db, "alert");
        open[i] = open[--n_open];
        continue;
      }
      if ((t - l->leaked_at) % (360 * MIN_MS) == MIN_MS) {
        uint32_t img = (uint32_t)(l->luid / 3) % 8;
        sqlite3_bind_int64(hold, 1, boot_id);
        sqlite3_bind_int64(hold, 2, l->luid);
        sqlite3_bind_int64(hold, 3, t);
        sqlite3_bind_int(hold, 4, (int)(1000 + img * 4));
        sqlite3_bind_text(hold, 5, images[img], -1, SQLITE_STATIC);
        sqlite3_bind_int(hold, 6, 1 + (int)(l->luid % 4));
        step(hold, db, "holder");
        if (t - l->leaked_at == MIN_MS) {
          sqlite3_bind_int64(alert, 1, boot_id);
          sqlite3_bind_int64(alert, 2, t);
          sqlite3_bind_int(alert, 3, 2007);
          sqlite3_bind_int(alert, 4, rnd(4) == 0);
          sqlite3_bind_int(alert, 5, 1);
          step(alert, db, "alert");
        }
      }
      i++;
    }
    uint32_t highest = live + 1, pinned = (uint32_t)n_open;
    for (size_t i = 0; i < n_open; i++)
      if (open[i].session + live / 4 > highest)
        highest = open[i].session + live / 4;
    sqlite3_bind_int64(poll, 1, boot_id);
    sqlite3_bind_int64(poll, 2, t);
    sqlite3_bind_int(poll, 3, 40 + (int)rnd(30));
    sqlite3_bind_int(poll, 4, (int)(live * 10 + 3 * (uint32_t)n_open));
    sqlite3_bind_int(poll, 5, (int)live + 2);
    sqlite3_bind_int(poll, 6, (int)live);
    sqlite3_bind_int(poll, 7, 3 * (int)n_open);
    sqlite3_bind_int(poll, 8, 2 * (int)n_open);
    sqlite3_bind_int(poll, 9, (int)pinned);
    sqlite3_bind_int(poll, 10, (int)highest);
    step(poll, db, "poll");
  }
  check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");
  sqlite3_finalize(boot);
  sqlite3_finalize(poll);
  sqlite3_finalize(ep);
  sqlite3_finalize(rel);
  sqlite3_finalize(hold);
  sqlite3_finalize(alert);
  sqlite3_close(db);
  free(open);
  return polls;
}

static int64_t count(const char *path, const char *sql) {
  sqlite3 *db;
  sqlite3_stmt *s;
  int64_t n = -1;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
    if (sqlite3_step(s) == SQLITE_ROW)
      n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return n;
}

/* The floor: the report's poll columns read with one bare SELECT. */
static double floor_ms(const char *path) {
  sqlite3 *db;
  sqlite3_stmt *s;
  double t = now_ms();
  uint64_t sum = 0;
  check(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), db, "open");
  check(sqlite3_prepare_v2(db,
                           "SELECT t, logon_sessions, live_sessions, open_leaks, pinned_ids, "
                           "highest_session_id FROM polls ORDER BY id",
                           -1, &s, NULL),
        db, "floor");
  while (sqlite3_step(s) == SQLITE_ROW)
    sum += (uint64_t)sqlite3_column_int64(s, 0) + (uint64_t)sqlite3_column_int64(s, 5);
  sqlite3_finalize(s);
  sqlite3_close(db);
  if (sum == 0)
    fprintf(stderr, "(no polls)\n");
  return now_ms() - t;
}

/* The report as the command builds it: open read-only, build, write. */
/* part[]: the open (with its quick_check), the polls read into buckets
 * alone, and the file's write, measured beside it. */
static double report_ms(const char *path, const char *html, size_t *size, size_t *buckets,
                        double part[3]) {
  struct lw_store_options opts;
  struct lw_store *st = NULL;
  struct lw_html_query q;
  struct lw_out o;
  char err[512];
  double t = now_ms();
  memset(&opts, 0, sizeof opts);
  opts.read_only = true;
  if (lw_store_open(path, &opts, &st, NULL, err, sizeof err) != 0) {
    fprintf(stderr, "bench_report: %s\n", err);
    exit(1);
  }
  memset(&q, 0, sizeof q);
  q.since = q.until = LW_TIME_UNKNOWN;
  q.db = path;
  q.now = T0;
  q.version = "bench";
  lw_out_init(&o, NULL);
  if (lw_report_html(st, &q, &o, err, sizeof err) != 0) {
    fprintf(stderr, "bench_report: %s\n", err);
    exit(1);
  }
  lw_store_close(st, NULL);
  double built = now_ms();
  const char *page = lw_out_buffer(&o, size);
  FILE *f = fopen(html, "wb");
  if (f == NULL || fwrite(page, 1, *size, f) != *size || fclose(f) != 0) {
    fprintf(stderr, "bench_report: cannot write %s\n", html);
    exit(1);
  }
  lw_out_free(&o);
  part[2] = now_ms() - built;
  t = now_ms() - t;
  {
    struct lw_series s;
    double t0 = now_ms(), t1 = t0;
    memset(&opts, 0, sizeof opts);
    opts.read_only = true;
    if (lw_store_open(path, &opts, &st, NULL, err, sizeof err) == 0) {
      t1 = now_ms();
      if (lw_series_load(st, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, LW_HTML_MAX_BUCKETS, &s) == 0) {
        *buckets = s.n;
        lw_series_free(&s);
      }
    }
    part[0] = t1 - t0;
    part[1] = now_ms() - t1;
    lw_store_close(st, NULL);
  }
  return t;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  const char *dir = "/tmp";
  int days = 90, keep = 0;
  char db[1024], html[1024];
  double gen, fl[RUNS], rep[RUNS], part[RUNS][3];
  size_t size = 0, buckets = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
      dir = argv[++i];
    else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc)
      days = atoi(argv[++i]);
    else if (strcmp(argv[i], "--keep") == 0)
      keep = 1;
    else {
      fprintf(stderr, "usage: bench_report [--dir DIR] [--days N] [--keep]\n");
      return 2;
    }
  }
  if (days < 1 || days > 3650) {
    fprintf(stderr, "bench_report: --days %d: want 1-3650\n", days);
    return 2;
  }
  snprintf(db, sizeof db, "%s/bench_report.db", dir);
  snprintf(html, sizeof html, "%s/bench_report.html", dir);
  gen = now_ms();
  uint32_t polls = generate(db, days);
  gen = now_ms() - gen;
  printf("history: %d days, %u polls (60 s), %lld leak episodes (%lld open), %lld holder rows, "
         "%lld alerts; written in %.0f ms\n",
         days, polls, (long long)count(db, "SELECT COUNT(*) FROM leak_episodes"),
         (long long)count(db, "SELECT COUNT(*) FROM leak_episodes WHERE released_at IS NULL"),
         (long long)count(db, "SELECT COUNT(*) FROM holders"),
         (long long)count(db, "SELECT COUNT(*) FROM alerts"), gen);
  for (int r = 0; r < RUNS; r++) {
    fl[r] = floor_ms(db);
    rep[r] = report_ms(db, html, &size, &buckets, part[r]);
  }
  qsort(fl, RUNS, sizeof *fl, cmp_double);
  qsort(rep, RUNS, sizeof *rep, cmp_double);
  printf("floor (one SELECT of the polls): median %.1f ms, best %.1f ms\n", fl[RUNS / 2], fl[0]);
  printf("report --html: median %.1f ms, best %.1f ms (%.1fx the floor, medians)\n", rep[RUNS / 2],
         rep[0], rep[RUNS / 2] / fl[RUNS / 2]);
  printf("  of which (run 1): opening the history %.1f ms, the polls read into buckets %.1f ms, "
         "writing the file %.1f ms\n",
         part[0][0], part[0][1], part[0][2]);
  printf("page: %zu bytes (%.2f MB, %.1f bytes per poll), %zu buckets per chart: %s\n", size,
         (double)size / 1048576.0, (double)size / (double)polls, buckets, html);
  if (!keep) {
    remove(db);
    remove(html);
  }
  return 0;
}
