/*
 * report_status.c - `leakwatch status` (see report_status.h): the facts read
 * from the history, the verdict, and its text or JSON.
 */
#include "report_status.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json_writer.h"
#include "luid.h"
#include "report_leaks.h"
#include "text_safe.h"
#include "timefmt.h"

/* What the history says. */
struct facts {
  int rc;         /* a read that failed (LW_E*), or 0 */
  bool have_last; /* a poll was recorded */
  struct lw_store_poll_info last;
  bool have_fig; /* a poll with the detector's figures (schema 5) */
  struct lw_store_poll_info fig;
  struct lw_leaks leaks;
  uint32_t *sessions; /* terminal sessions of the open episodes, then the pinned ones */
  size_t n_sessions, cap_sessions;
  uint32_t *live; /* WTS session IDs alive at the last poll with data */
  size_t n_live, cap_live;
  char *ranges; /* the pinned IDs as "2-151, 153" */
  size_t n_pinned;
};

static int push_u32(uint32_t **v, size_t *n, size_t *cap, uint32_t x) {
  if (*n == *cap) {
    size_t c = *cap != 0 ? 2 * *cap : 64;
    uint32_t *p = realloc(*v, c * sizeof *p);
    if (p == NULL)
      return LW_ENOMEM;
    *v = p;
    *cap = c;
  }
  (*v)[(*n)++] = x;
  return 0;
}

static int add_session(void *ctx, const struct lw_store_leak_row *row) {
  struct facts *f = ctx;
  return push_u32(&f->sessions, &f->n_sessions, &f->cap_sessions, row->leak.terminal_session);
}

static int add_live(void *ctx, const struct lw_store_wts_row *row) {
  struct facts *f = ctx;
  return push_u32(&f->live, &f->n_live, &f->cap_live, row->s.id);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Pinned (detect.h, rule 2): referenced by a leaked logon session, and no
 * WTS session has it. f->sessions becomes the sorted pinned IDs. */
static int pinned_ids(struct facts *f) {
  size_t w = 0, len = 1, i;
  /* qsort and bsearch take no NULL array, even an empty one. */
  if (f->n_sessions > 0)
    qsort(f->sessions, f->n_sessions, sizeof *f->sessions, cmp_u32);
  if (f->n_live > 0)
    qsort(f->live, f->n_live, sizeof *f->live, cmp_u32);
  for (i = 0; i < f->n_sessions; i++) {
    uint32_t id = f->sessions[i];
    if (id == 0 || (w > 0 && f->sessions[w - 1] == id) ||
        (f->n_live > 0 && bsearch(&id, f->live, f->n_live, sizeof *f->live, cmp_u32) != NULL))
      continue;
    f->sessions[w++] = id;
  }
  f->n_pinned = w;
  /* Each range takes at most "4294967295-4294967295, ". */
  f->ranges = malloc(len + w * 24);
  if (f->ranges == NULL)
    return LW_ENOMEM;
  f->ranges[0] = '\0';
  len = 0;
  for (i = 0; i < w;) {
    size_t j = i;
    while (j + 1 < w && f->sessions[j + 1] == f->sessions[j] + 1)
      j++;
    len += (size_t)sprintf(f->ranges + len, i > 0 ? ", %u" : "%u", (unsigned)f->sessions[i]);
    if (j > i)
      len += (size_t)sprintf(f->ranges + len, "-%u", (unsigned)f->sessions[j]);
    i = j + 1;
  }
  return 0;
}

static int read_facts(struct lw_store *st, const struct lw_status_query *q, struct facts *f) {
  struct lw_store_poll_info data;
  int rc = lw_store_last_poll(st, false, &f->last);
  f->have_last = rc == 0;
  if (rc == LW_ENOENT)
    rc = 0;
  if (rc == 0) {
    rc = lw_store_last_poll(st, true, &f->fig);
    f->have_fig = rc == 0;
    if (rc == LW_ENOENT)
      rc = 0;
  }
  if (rc == 0)
    rc = lw_leaks_load(st, false, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, &f->leaks);
  if (rc == 0)
    rc = lw_leaks_mark_known(st, q->ignores, q->now, &f->leaks);
  if (rc == 0)
    rc = lw_store_each_leak(st, true, add_session, f);
  if (rc == 0) {
    rc = lw_store_find_poll(st, INT64_MAX, &data);
    if (rc == 0) {
      struct lw_store_filter flt;
      lw_store_filter_init(&flt);
      flt.boot_id = data.boot_id;
      flt.alive_at = data.taken_at;
      rc = lw_store_each_wts(st, &flt, add_live, f);
    } else if (rc == LW_ENOENT) {
      rc = 0;
    }
  }
  if (rc == 0)
    rc = pinned_ids(f);
  return rc;
}

static void free_facts(struct facts *f) {
  lw_leaks_free(&f->leaks);
  free(f->sessions);
  free(f->live);
  free(f->ranges);
}

const char *lw_check_name(enum lw_check c) {
  switch (c) {
  case LW_CHECK_OK:
    return "OK";
  case LW_CHECK_LEAKS:
    return "LEAKS OPEN";
  case LW_CHECK_NOT_POLLING:
    return "NOT POLLING";
  case LW_CHECK_UNKNOWN:
    break;
  }
  return "UNKNOWN";
}

/* Lowercase, for JSON. */
static const char *check_word(enum lw_check c) {
  return c == LW_CHECK_OK            ? "ok"
         : c == LW_CHECK_LEAKS       ? "leaks open"
         : c == LW_CHECK_NOT_POLLING ? "not polling"
                                     : "unknown";
}

int64_t lw_status_stale_ms(int64_t poll_interval_ms) {
  int64_t n = LW_STATUS_STALE_INTERVALS * poll_interval_ms;
  return n > LW_STATUS_STALE_MIN_MS ? n : LW_STATUS_STALE_MIN_MS;
}

/* Open leaks that no acknowledgement or ignore: entry covers. */
static size_t unknown_leaks(const struct facts *f) {
  return f->leaks.n - f->leaks.n_acknowledged - f->leaks.n_ignored;
}

static enum lw_check verdict(const struct lw_status_query *q, const struct facts *f, bool ok,
                             bool *polling) {
  int64_t stale = lw_status_stale_ms(q->poll_interval_ms);
  *polling = ok && f->have_last && q->now - f->last.taken_at <= stale &&
             (!q->service_known || q->service_running);
  if (!ok)
    return LW_CHECK_UNKNOWN;
  if (!*polling)
    return LW_CHECK_NOT_POLLING;
  /* Known leaks (acknowledged or ignored) do not page anyone. */
  return unknown_leaks(f) > 0 ? LW_CHECK_LEAKS : LW_CHECK_OK;
}

/* DOMAIN\user of a row, raw (escape it for the terminal). */
static void who(const struct lw_leak_item *it, char *buf, size_t size) {
  if (it->leak.domain != NULL && it->leak.domain[0] != '\0')
    snprintf(buf, size, "%s\\%s", it->leak.domain, it->leak.user != NULL ? it->leak.user : "");
  else
    snprintf(buf, size, "%s", it->leak.user != NULL ? it->leak.user : "-");
}

/* "pinned IDs:   N: 2-151, 153", cut at a range to fit 120 columns (IDs
 * scattered by many reconnections make a long list; --json has it whole). */
static void print_ranges(FILE *out, const struct facts *f) {
  char head[48];
  size_t room, n = strlen(f->ranges);
  int k = snprintf(head, sizeof head, "pinned IDs:   %zu%s", f->n_pinned, n > 0 ? ": " : "");
  room = 120 - (size_t)k;
  fputs(head, out);
  if (n <= room) {
    fprintf(out, "%s\n", f->ranges);
    return;
  }
  n = room - 5; /* ", ..." */
  while (n > 0 && f->ranges[n] != ',')
    n--;
  fprintf(out, "%.*s, ...\n", (int)n, f->ranges);
}

static void print_text(FILE *out, const struct lw_status_query *q, const struct facts *f,
                       enum lw_check c, const char *error) {
  char t[LW_ISO_TIME_SIZE];
  fprintf(out, "LeakWatch status: %s (exit code %d)\n", lw_check_name(c), (int)c);
  fprintf(out, "service:      %s", q->service_state);
  if (q->service_detail != NULL) {
    fputs(" (", out);
    lw_text_safe_fputs(q->service_detail, out, LW_TEXT_ONE_LINE);
    fputc(')', out);
  }
  fputs("\ndatabase:     ", out);
  lw_text_safe_fputs(q->db != NULL ? q->db : "-", out, LW_TEXT_ONE_LINE);
  fputc('\n', out);
  if (error != NULL) {
    fputs("error:        ", out);
    lw_text_safe_fputs(error, out, LW_TEXT_ONE_LINE);
    fputc('\n', out);
    return;
  }
  if (f->have_last)
    fprintf(out, "last poll:    %s, %lld s ago%s\n", lw_time_format_iso(f->last.taken_at, t),
            (long long)((q->now - f->last.taken_at) / 1000),
            f->last.has_data ? "" : " (its collection failed)");
  else
    fputs("last poll:    none recorded\n", out);
  fprintf(out, "poll every:   %g s (%s); not polling after %g s\n",
          (double)q->poll_interval_ms / 1000.0, q->interval_from,
          (double)lw_status_stale_ms(q->poll_interval_ms) / 1000.0);
  fprintf(out, "open leaks:   %zu (%u leaked logon sessions, DWM/UMFD included)\n", f->leaks.n,
          f->leaks.episodes);
  if (f->leaks.n_acknowledged + f->leaks.n_ignored > 0)
    fprintf(out,
            "known leaks:  %u acknowledged, %u ignored by the configuration (not counted for "
            "the exit code)\n",
            f->leaks.n_acknowledged, f->leaks.n_ignored);
  if (f->leaks.n > 0) {
    const struct lw_leak_item *o = &f->leaks.v[0];
    char luid[LW_LUID_TEXT_SIZE], name[512];
    who(o, name, sizeof name);
    fprintf(out, "oldest leak:  %s ", lw_luid_format(o->leak.luid, luid));
    lw_text_safe_fputs(name, out, LW_TEXT_ONE_LINE);
    fprintf(out, ", session %u, leaked at %s\n", (unsigned)o->leak.terminal_session,
            lw_time_format_iso(o->leak.leaked_at, t));
  }
  print_ranges(out, f);
  if (f->have_fig)
    fprintf(out, "highest ID:   %u, live sessions: %u (poll of %s)\n",
            (unsigned)f->fig.figures.highest_session_id, (unsigned)f->fig.figures.live_sessions,
            lw_time_format_iso(f->fig.taken_at, t));
  else
    fputs("highest ID:   not recorded (no poll with the detector's figures yet)\n", out);
}

static void json_str(struct lw_json *j, const char *key, const char *s) {
  if (s != NULL)
    lw_json_kv_string(j, key, s);
  else
    lw_json_kv_null(j, key);
}

static void json_oldest(struct lw_json *j, const struct facts *f) {
  char t[LW_ISO_TIME_SIZE], luid[LW_LUID_TEXT_SIZE];
  const struct lw_leak_item *o = &f->leaks.v[0];
  lw_json_key(j, "oldest_leak");
  lw_json_begin_object(j);
  lw_json_kv_string(j, "luid", lw_luid_format(o->leak.luid, luid));
  json_str(j, "user", o->leak.user);
  json_str(j, "domain", o->leak.domain);
  lw_json_kv_uint64(j, "terminal_session", o->leak.terminal_session);
  lw_json_kv_string(j, "leaked_at", lw_time_format_iso(o->leak.leaked_at, t));
  lw_json_end_object(j);
}

static int print_json(FILE *out, const struct lw_status_query *q, const struct facts *f,
                      enum lw_check c, bool polling, const char *error) {
  struct lw_json j;
  char t[LW_ISO_TIME_SIZE];
  bool known = error == NULL;
  int rc;
  lw_json_init_file(&j, out, LW_JSON_PRETTY);
  lw_json_begin_object(&j);
  lw_json_kv_string(&j, "status", check_word(c));
  lw_json_kv_int64(&j, "exit_code", (int64_t)c);
  lw_json_kv_string(&j, "service", q->service_state);
  json_str(&j, "service_detail", q->service_detail);
  lw_json_kv_bool(&j, "polling", polling);
  json_str(&j, "last_poll", known && f->have_last ? lw_time_format_iso(f->last.taken_at, t) : NULL);
  if (known && f->have_last)
    lw_json_kv_int64(&j, "last_poll_age_seconds", (q->now - f->last.taken_at) / 1000);
  else
    lw_json_kv_null(&j, "last_poll_age_seconds");
  lw_json_kv_int64(&j, "poll_interval_ms", q->poll_interval_ms);
  lw_json_kv_string(&j, "poll_interval_from", q->interval_from);
  if (known) {
    lw_json_kv_uint64(&j, "open_leaks", f->leaks.n);
    lw_json_kv_uint64(&j, "leaked_logon_sessions", f->leaks.episodes);
  } else {
    lw_json_kv_null(&j, "open_leaks");
    lw_json_kv_null(&j, "leaked_logon_sessions");
  }
  if (known && f->leaks.n > 0)
    json_oldest(&j, f);
  else
    lw_json_kv_null(&j, "oldest_leak");
  if (known) {
    lw_json_kv_uint64(&j, "pinned_ids", f->n_pinned);
    lw_json_kv_string(&j, "pinned_ranges", f->ranges);
  } else {
    lw_json_kv_null(&j, "pinned_ids");
    lw_json_kv_null(&j, "pinned_ranges");
  }
  if (known && f->have_fig) {
    lw_json_kv_uint64(&j, "highest_session_id", f->fig.figures.highest_session_id);
    lw_json_kv_uint64(&j, "live_sessions", f->fig.figures.live_sessions);
    lw_json_kv_string(&j, "figures_at", lw_time_format_iso(f->fig.taken_at, t));
  } else {
    lw_json_kv_null(&j, "highest_session_id");
    lw_json_kv_null(&j, "live_sessions");
    lw_json_kv_null(&j, "figures_at");
  }
  json_str(&j, "database", q->db);
  json_str(&j, "error", error);
  /* Issue 15, at the end: open leaks covered by known leak entries. */
  if (known) {
    lw_json_kv_uint64(&j, "acknowledged_leaks", f->leaks.n_acknowledged);
    lw_json_kv_uint64(&j, "ignored_leaks", f->leaks.n_ignored);
  } else {
    lw_json_kv_null(&j, "acknowledged_leaks");
    lw_json_kv_null(&j, "ignored_leaks");
  }
  lw_json_end_object(&j);
  rc = lw_json_finish(&j);
  lw_json_free(&j);
  fputc('\n', out);
  return rc;
}

enum lw_check lw_status_print(struct lw_store *st, const struct lw_status_query *q, FILE *out) {
  struct facts f;
  char error[512];
  const char *why = NULL;
  bool polling;
  enum lw_check c;
  memset(&f, 0, sizeof f);
  if (st == NULL) {
    why = q->db_error != NULL ? q->db_error : "the database cannot be opened";
  } else {
    f.rc = read_facts(st, q, &f);
    if (f.rc != 0) {
      snprintf(error, sizeof error, "reading the history failed: %s", lw_strerror(f.rc));
      why = error;
    }
  }
  c = verdict(q, &f, why == NULL, &polling);
  if (q->format == LW_REPORT_JSON)
    print_json(out, q, &f, c, polling, why);
  else
    print_text(out, q, &f, c, why);
  free_facts(&f);
  return c;
}
