/*
 * bench_store.c - the history store against the obvious alternative (issue 4,
 * item 8). Not a test: a native program that prints figures.
 *
 * A synthetic RDS host (tests/unit/store_testlib.h) of N logon sessions and
 * N/10 WTS sessions churns by c per poll (that share of the logon sessions and
 * of the WTS sessions replaced; half of the WTS churn is a state change of the
 * same session instead). For each (N, c) the same P snapshots, one simulated
 * minute apart, go to:
 *   ours      lw_store_record_poll: diff against the known state, write the
 *             changes in one transaction (exactly what the service does);
 *   baseline  every poll stores the full snapshot, every logon session and WTS
 *             session a row, in one transaction (prepared statements, no
 *             secondary index: the cheapest way to keep full snapshots).
 * Both use the same SQLite settings (WAL, synchronous=NORMAL, the store's
 * wal_autocheckpoint) and files in the same folder. Timed per poll: the store call only (the
 * snapshot is built before the clock starts). The first poll (the initial load of every live
 * session) is not counted in either. Reported per configuration: mean and p99
 * time per poll, rows written per poll (sqlite3_total_changes), and database
 * bytes per simulated day at one poll a minute (growth of the pages in use
 * over the polls, times 1440 / P), then the ratios baseline / ours.
 *
 * usage: bench_store [--polls P] [--dir DIR] [--sizes 1000,5000,20000]
 *                    [--churn 0,0.001,0.01] [--detector-bytes B] [--ours-only]
 * P defaults to 1440 (one simulated day). The baseline at 20,000 sessions
 * needs about 3 GB of disk in DIR while it runs. Exit status 0 when the
 * targets are met, 1 when not. BENCH_P50=1 also prints the medians.
 * --detector-bytes B also hands the store a detector state of B bytes per
 * logon session every poll (detect.h's blob is ~7), written by the store
 * whenever the poll changed something. One byte of it changes per poll, so
 * since issue 17 the store writes a delta of a few bytes (after a whole base
 * at the first poll); bench_detect measures the real state's deltas.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_floor.h"
#include "error.h"
#include "store.h"
#include "store_testlib.h"

#define MIN_MS INT64_C(60000)
/* Ours and the floor copy the WAL back between polls, as the service does
 * (lw_store_checkpoint), off the clock but reported beside it. */
#define BETWEEN_POLLS 1

struct figures {
  double mean_ms, p50_ms, p99_ms, rows_per_poll, bytes_per_day;
  double between_mean_ms, between_max_ms; /* work between polls, off the clock */
  uint64_t max_rows;
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void summarize(double *ms, int n, struct figures *f) {
  double sum = 0;
  int i, k;
  for (i = 0; i < n; i++)
    sum += ms[i];
  f->mean_ms = sum / n;
  qsort(ms, (size_t)n, sizeof *ms, cmp_double);
  k = (int)((double)n * 0.99 + 0.999999) - 1; /* nearest-rank p99 */
  if (k < 0)
    k = 0;
  if (k >= n)
    k = n - 1;
  f->p99_ms = ms[k];
  f->p50_ms = ms[n / 2];
}

static void die(const char *what, const char *why) {
  fprintf(stderr, "bench_store: %s: %s\n", what, why);
  exit(1);
}

static int64_t pragma_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = NULL;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  if (v < 0)
    die(sql, sqlite3_errmsg(db));
  return v;
}

/* The database's size as the file will have it once the WAL is copied back:
 * pages in use (free pages excluded: they are reused) times the page size. */
static int64_t db_bytes(sqlite3 *db) {
  return (pragma_int(db, "PRAGMA page_count") - pragma_int(db, "PRAGMA freelist_count")) *
         pragma_int(db, "PRAGMA page_size");
}

static void between_figures(const double *ms, int n, struct figures *f) {
  int i;
  double sum = 0;
  f->between_max_ms = 0;
  for (i = 0; i < n; i++) {
    sum += ms[i];
    if (ms[i] > f->between_max_ms)
      f->between_max_ms = ms[i];
  }
  f->between_mean_ms = sum / n;
}

/* ---- Ours ------------------------------------------------------------------- */

static void run_ours(const char *path, size_t n, double churn, int polls, int det_bytes,
                     struct figures *f) {
  struct lw_store *st = NULL;
  struct lw_store_poll_result res;
  struct tl_host h;
  char err[512];
  double *ms = calloc((size_t)polls, sizeof *ms);
  double *between = calloc((size_t)polls, sizeof *between);
  char *blob = NULL;
  size_t blob_len = n * (size_t)det_bytes;
  uint64_t rows = 0;
  int64_t start_bytes, end_bytes;
  sqlite3 *peek = NULL;
  int k;

  tl_remove_db(path);
  if (ms == NULL || between == NULL || tl_host_init(&h, n, n / 10, 12345) != 0)
    die("ours", "out of memory");
  if (lw_store_open(path, NULL, &st, NULL, err, sizeof err) != 0)
    die("open", err);
  if (blob_len != 0) {
    blob = malloc(blob_len);
    if (blob == NULL)
      die("ours", "out of memory");
    memset(blob, 0x5a, blob_len);
  }
  if (sqlite3_open(path, &peek) != SQLITE_OK)
    die("open", path);
  f->max_rows = 0;
  for (k = 0; k <= polls; k++) {
    struct lw_snapshot *s;
    double t0;
    if (k > 0)
      tl_host_churn(&h, churn, MIN_MS, 0);
    s = tl_host_snapshot(&h);
    if (s == NULL)
      die("snapshot", "out of memory");
    if (blob != NULL) {
      blob[k % blob_len] ^= 1; /* a state that moves, like the real one */
      t0 = now_ms();
      if (lw_store_set_detector_state(st, blob, blob_len) != 0)
        die("detector state", "failed");
    } else {
      t0 = now_ms();
    }
    if (lw_store_record_poll(st, s, &res) != 0)
      die("record", res.message);
    if (k > 0) {
      ms[k - 1] = now_ms() - t0;
      rows += res.rows_written;
      if (res.rows_written > f->max_rows)
        f->max_rows = res.rows_written;
      t0 = now_ms();
      if (lw_store_checkpoint(st, NULL) != 0)
        die("checkpoint", "failed");
      between[k - 1] = now_ms() - t0;
    }
    lw_snapshot_free(s);
    if (k == 0)
      start_bytes = db_bytes(peek);
  }
  end_bytes = db_bytes(peek);
  between_figures(between, polls, f);
  summarize(ms, polls, f);
  f->rows_per_poll = (double)rows / polls;
  f->bytes_per_day = (double)(end_bytes - start_bytes) / polls * 1440.0;
  sqlite3_close(peek);
  if (lw_store_close(st, NULL) != 0)
    die("close", "failed");
  tl_remove_db(path);
  tl_host_free(&h);
  free(blob);
  free(ms);
  free(between);
}

/* ---- Baseline: the full snapshot every poll ------------------------------- */

static const char *const baseline_ddl =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
    "CREATE TABLE polls(id INTEGER PRIMARY KEY, t INTEGER NOT NULL, boot_time INTEGER, "
    "duration_ms INTEGER, logon_sessions INTEGER, wts_sessions INTEGER);"
    "CREATE TABLE logon_sessions(poll_id INTEGER NOT NULL, luid INTEGER NOT NULL, "
    "data_status INTEGER, logon_type INTEGER, terminal_session INTEGER, logon_time INTEGER, "
    "user TEXT, domain TEXT, sid TEXT, auth_package TEXT, logon_server TEXT, dns_domain TEXT, "
    "upn TEXT, process_count INTEGER);"
    "CREATE TABLE wts_sessions(poll_id INTEGER NOT NULL, session_id INTEGER NOT NULL, "
    "state INTEGER, station TEXT, user TEXT, domain TEXT, client TEXT, client_address TEXT, "
    "logon_time INTEGER, connect_time INTEGER, disconnect_time INTEGER);";

static void bind_text(sqlite3_stmt *s, int i, const char *t) {
  if (t != NULL)
    sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(s, i);
}

static void bind_time(sqlite3_stmt *s, int i, int64_t t) {
  if (t != LW_TIME_UNKNOWN)
    sqlite3_bind_int64(s, i, t);
  else
    sqlite3_bind_null(s, i);
}

static void step(sqlite3 *db, sqlite3_stmt *s) {
  if (sqlite3_step(s) != SQLITE_DONE)
    die("baseline", sqlite3_errmsg(db));
  sqlite3_reset(s);
}

static void baseline_poll(sqlite3 *db, sqlite3_stmt *ip, sqlite3_stmt *il, sqlite3_stmt *iw,
                          const struct lw_snapshot *s) {
  int64_t poll_id;
  size_t i;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    die("baseline", sqlite3_errmsg(db));
  sqlite3_bind_int64(ip, 1, s->taken_at);
  bind_time(ip, 2, s->boot_time);
  sqlite3_bind_int64(ip, 3, s->duration_ms);
  sqlite3_bind_int64(ip, 4, (int64_t)s->n_logons);
  sqlite3_bind_int64(ip, 5, (int64_t)s->n_wts);
  step(db, ip);
  poll_id = sqlite3_last_insert_rowid(db);
  for (i = 0; i < s->n_logons; i++) {
    const struct lw_logon_session *l = &s->logons[i];
    sqlite3_bind_int64(il, 1, poll_id);
    sqlite3_bind_int64(il, 2, (int64_t)l->luid);
    sqlite3_bind_int64(il, 3, l->data_status);
    sqlite3_bind_int64(il, 4, l->logon_type);
    sqlite3_bind_int64(il, 5, l->terminal_session);
    bind_time(il, 6, l->logon_time);
    bind_text(il, 7, l->user);
    bind_text(il, 8, l->domain);
    bind_text(il, 9, l->sid);
    bind_text(il, 10, l->auth_package);
    bind_text(il, 11, l->logon_server);
    bind_text(il, 12, l->dns_domain);
    bind_text(il, 13, l->upn);
    sqlite3_bind_int64(il, 14, l->process_count);
    step(db, il);
  }
  for (i = 0; i < s->n_wts; i++) {
    const struct lw_wts_session *w = &s->wts[i];
    sqlite3_bind_int64(iw, 1, poll_id);
    sqlite3_bind_int64(iw, 2, w->id);
    sqlite3_bind_int64(iw, 3, w->state);
    bind_text(iw, 4, w->station);
    bind_text(iw, 5, w->user);
    bind_text(iw, 6, w->domain);
    bind_text(iw, 7, w->client);
    bind_text(iw, 8, w->client_address);
    bind_time(iw, 9, w->logon_time);
    bind_time(iw, 10, w->connect_time);
    bind_time(iw, 11, w->disconnect_time);
    step(db, iw);
  }
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    die("baseline", sqlite3_errmsg(db));
}

static void run_baseline(const char *path, size_t n, double churn, int polls, struct figures *f) {
  sqlite3 *db = NULL;
  sqlite3_stmt *ip = NULL, *il = NULL, *iw = NULL;
  struct tl_host h;
  double *ms = calloc((size_t)polls, sizeof *ms);
  uint64_t rows = 0;
  int64_t start_bytes = 0, end_bytes;
  int k;

  tl_remove_db(path);
  if (ms == NULL || tl_host_init(&h, n, n / 10, 12345) != 0)
    die("baseline", "out of memory");
  if (sqlite3_open(path, &db) != SQLITE_OK ||
      sqlite3_exec(db, baseline_ddl, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db,
                         "INSERT INTO polls(t, boot_time, duration_ms, logon_sessions, "
                         "wts_sessions) VALUES (?1, ?2, ?3, ?4, ?5)",
                         -1, &ip, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db,
                         "INSERT INTO logon_sessions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                         "?9, ?10, ?11, ?12, ?13, ?14)",
                         -1, &il, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db,
                         "INSERT INTO wts_sessions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                         "?10, ?11)",
                         -1, &iw, NULL) != SQLITE_OK)
    die("baseline", sqlite3_errmsg(db));
  /* The store's settings: WAL, synchronous=NORMAL (baseline_ddl) and this. */
  if (sqlite3_wal_autocheckpoint(db, LW_STORE_WAL_AUTOCHECKPOINT) != SQLITE_OK)
    die("baseline", sqlite3_errmsg(db));
  f->max_rows = 0;
  for (k = 0; k <= polls; k++) {
    struct lw_snapshot *s;
    sqlite3_int64 before;
    double t0;
    if (k > 0)
      tl_host_churn(&h, churn, MIN_MS, 0);
    s = tl_host_snapshot(&h);
    if (s == NULL)
      die("snapshot", "out of memory");
    before = sqlite3_total_changes64(db);
    t0 = now_ms();
    baseline_poll(db, ip, il, iw, s);
    if (k > 0) {
      uint64_t r = (uint64_t)(sqlite3_total_changes64(db) - before);
      ms[k - 1] = now_ms() - t0;
      rows += r;
      if (r > f->max_rows)
        f->max_rows = r;
    }
    lw_snapshot_free(s);
    if (k == 0)
      start_bytes = db_bytes(db);
  }
  end_bytes = db_bytes(db);
  summarize(ms, polls, f);
  f->rows_per_poll = (double)rows / polls;
  f->bytes_per_day = (double)(end_bytes - start_bytes) / polls * 1440.0;
  sqlite3_finalize(ip);
  sqlite3_finalize(il);
  sqlite3_finalize(iw);
  sqlite3_close(db);
  tl_remove_db(path);
  tl_host_free(&h);
  free(ms);
}

/* ---- Floor: only the changed rows, bare (bench_floor.c) ------------------- */

static void run_floor(const char *path, size_t n, double churn, int polls, struct figures *f) {
  struct floor_figures ff;
  ff.ms = calloc((size_t)polls, sizeof *ff.ms);
  ff.between_ms = calloc((size_t)polls, sizeof *ff.between_ms);
  if (ff.ms == NULL || ff.between_ms == NULL)
    die("floor", "out of memory");
  floor_run(path, n, churn, polls, BETWEEN_POLLS, &ff);
  between_figures(ff.between_ms, polls, f);
  summarize(ff.ms, polls, f);
  f->rows_per_poll = (double)ff.rows / polls;
  f->bytes_per_day = (double)(ff.end_bytes - ff.start_bytes) / polls * 1440.0;
  free(ff.ms);
  free(ff.between_ms);
}

/* ---- Main ------------------------------------------------------------------- */

static int parse_list(const char *text, double *out, int max) {
  int n = 0;
  const char *p = text;
  while (*p != '\0' && n < max) {
    char *end;
    out[n++] = strtod(p, &end);
    if (end == p)
      return -1;
    p = *end == ',' ? end + 1 : end;
  }
  return n;
}

static void print_machine(void) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  int cpus = 0;
  char model[200] = "?";
  if (f != NULL) {
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
      if (strncmp(line, "model name", 10) == 0) {
        char *c = strchr(line, ':');
        if (c != NULL && cpus == 0) {
          snprintf(model, sizeof model, "%s", c + 2);
          model[strcspn(model, "\n")] = '\0';
        }
        cpus++;
      }
    }
    fclose(f);
  }
  printf("machine: %s, %d CPUs; SQLite %s\n", model, cpus, sqlite3_libversion());
}

static void mb(double bytes, char *buf, size_t size) {
  snprintf(buf, size, "%.2f", bytes / (1024.0 * 1024.0));
}

int main(int argc, char **argv) {
  double sizes[8] = {1000, 5000, 20000}, churns[8] = {0, 0.001, 0.01};
  int n_sizes = 3, n_churns = 3, polls = 1440, det_bytes = 0, i, j;
  const char *dir = ".";
  char path_ours[1100], path_base[1100], path_floor[1100];
  int target_rows = 1, target_size = -1, target_time = -1, ours_only = 0;

  for (i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--polls") == 0 && v != NULL) {
      polls = atoi(v);
      i++;
    } else if (strcmp(argv[i], "--dir") == 0 && v != NULL) {
      dir = v;
      i++;
    } else if (strcmp(argv[i], "--sizes") == 0 && v != NULL) {
      n_sizes = parse_list(v, sizes, 8);
      i++;
    } else if (strcmp(argv[i], "--churn") == 0 && v != NULL) {
      n_churns = parse_list(v, churns, 8);
      i++;
    } else if (strcmp(argv[i], "--ours-only") == 0) {
      ours_only = 1; /* for profiling the store */
    } else if (strcmp(argv[i], "--detector-bytes") == 0 && v != NULL) {
      det_bytes = atoi(v);
      i++;
    } else {
      fprintf(stderr, "usage: bench_store [--polls P] [--dir DIR] [--sizes N,N,...] "
                      "[--churn C,C,...] [--detector-bytes B] [--ours-only]\n");
      return 2;
    }
  }
  if (polls < 10 || n_sizes <= 0 || n_churns <= 0 || det_bytes < 0) {
    fprintf(stderr, "bench_store: bad arguments\n");
    return 2;
  }
  tl_set_dir(dir);
  snprintf(path_ours, sizeof path_ours, "%s", tl_path("bench-ours.db"));
  snprintf(path_base, sizeof path_base, "%s", tl_path("bench-baseline.db"));
  snprintf(path_floor, sizeof path_floor, "%s", tl_path("bench-floor.db"));

  print_machine();
  printf("%d polls per configuration (one simulated minute apart), WTS sessions = N/10%s\n", polls,
         det_bytes ? "" : "; no detector state");
  if (det_bytes)
    printf("detector state: %d bytes per logon session, handed to the store every poll\n",
           det_bytes);
  printf("\n%6s %6s | %-40s | %-26s | %-33s | %s\n", "", "", "ours (diff + store)",
         "floor (bare writes)", "baseline (full snapshot)", "ratios of the means");
  printf("%6s %6s | %8s %8s %5s %7s %8s | %8s %8s %7s | %8s %8s %8s | %6s %6s %6s\n", "N", "churn",
         "mean ms", "p99 ms", "p/m", "rows", "MB/day", "mean ms", "p99 ms", "rows", "mean ms",
         "p99 ms", "MB/day", "o/fl", "o/base", "size");
  for (i = 0; i < n_sizes; i++) {
    for (j = 0; j < n_churns; j++) {
      struct figures o, b, fl;
      size_t n = (size_t)sizes[i];
      char om[32], bm[32];
      double tr, sr;
      run_ours(path_ours, n, churns[j], polls, det_bytes, &o);
      run_floor(path_floor, n, churns[j], polls, &fl);
      if (ours_only)
        b = o;
      else
        run_baseline(path_base, n, churns[j], polls, &b);
      mb(o.bytes_per_day, om, sizeof om);
      mb(b.bytes_per_day, bm, sizeof bm);
      tr = b.mean_ms / o.mean_ms;
      sr = o.bytes_per_day > 0 ? b.bytes_per_day / o.bytes_per_day : 0;
      printf("%6zu %5.1f%% | %8.3f %8.3f %5.1f %7.1f %8s | %8.3f %8.3f %7.1f | %8.3f %8.3f %8s | "
             "%5.2fx %6.4f %5.0fx\n",
             n, churns[j] * 100, o.mean_ms, o.p99_ms, o.p99_ms / o.mean_ms, o.rows_per_poll, om,
             fl.mean_ms, fl.p99_ms, fl.rows_per_poll, b.mean_ms, b.p99_ms, bm,
             o.mean_ms / fl.mean_ms, o.mean_ms / b.mean_ms, sr);
      printf("%13s   between polls: ours %.3f ms mean (max %.2f), floor %.3f ms mean (max %.2f); "
             "floor p99/mean %.1f; baseline %.0fx slower\n",
             "", o.between_mean_ms, o.between_max_ms, fl.between_mean_ms, fl.between_max_ms,
             fl.p99_ms / fl.mean_ms, tr);
      if (getenv("BENCH_P50") != NULL)
        printf("               p50 ms: ours %.3f, floor %.3f, baseline %.3f\n", o.p50_ms, fl.p50_ms,
               b.p50_ms);
      fflush(stdout);
      if (churns[j] == 0 && o.max_rows != 1)
        target_rows = 0;
      if (!ours_only && n == 5000 && churns[j] > 0.00099 && churns[j] < 0.00101) {
        target_size = sr >= 100;
        target_time = tr >= 20;
      }
    }
  }
  printf("\ntargets:\n");
  printf("  a poll with no change writes 1 row:                %s\n",
         target_rows ? "met" : "NOT MET");
  if (target_size >= 0) {
    printf("  5,000 sessions, 0.1%% churn: DB grows >= 100x slower: %s\n",
           target_size ? "met" : "NOT MET");
    printf("  5,000 sessions, 0.1%% churn: poll <= 1/20 the time:   %s\n",
           target_time ? "met" : "NOT MET");
  }
  return target_rows && target_size != 0 && target_time != 0 ? 0 : 1;
}
