/*
 * store_summary.c - a time range summed up for the HTML report (see store.h):
 * the polls with their figures, alerts counted per event ID, and the holder
 * images. Grouping is SQLite's (one statement each), so a 90-day history is
 * read in one pass without copying its rows.
 */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "store_internal.h"

/* LW_EINVAL for a NULL store or callback, LW_EBUSY while deferred, else 0. */
static int ready(const struct lw_store *st, const void *fn) {
  if (st == NULL || fn == NULL)
    return LW_EINVAL;
  return st->db == NULL ? LW_EBUSY : 0;
}

/* Prepares sql, whose ?1 and ?2 are the range (NULL: open-ended). */
static int prepare_range(struct lw_store *st, const char *sql, int64_t since, int64_t until,
                         sqlite3_stmt **s) {
  int src = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  lw__bind_time(*s, 1, since);
  lw__bind_time(*s, 2, until);
  return 0;
}

/* Whether polls has the detector's figures (schema 5): a reader does not
 * migrate, so an older database is read as it is. */
static int has_figures(struct lw_store *st, bool *yes) {
  sqlite3_stmt *s = NULL;
  int src = sqlite3_prepare_v2(
      st->db, "SELECT 1 FROM pragma_table_info('polls') WHERE name = 'highest_session_id'", -1, &s,
      NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  src = sqlite3_step(s);
  *yes = src == SQLITE_ROW;
  sqlite3_finalize(s);
  return src == SQLITE_ROW || src == SQLITE_DONE ? 0 : lw__store_err(src);
}

#define POLL_SELECT                                                                                \
  "SELECT p.id, p.boot_id, b.boot_time, p.t, p.duration_ms, p.logon_sessions, p.wts_sessions, "
#define POLL_RANGE                                                                                 \
  " FROM polls p LEFT JOIN boots b ON b.id = p.boot_id "                                           \
  "WHERE (?1 IS NULL OR p.t >= ?1) AND (?2 IS NULL OR p.t <= ?2) ORDER BY p.id"

int lw_store_each_poll(struct lw_store *st, int64_t since, int64_t until,
                       int (*fn)(void *ctx, const struct lw_store_poll_info *poll), void *ctx) {
  sqlite3_stmt *s = NULL;
  bool v5 = false;
  int src, rc = ready(st, (const void *)fn);
  if (rc == 0)
    rc = has_figures(st, &v5);
  if (rc == 0)
    rc = prepare_range(st,
                       v5 ? POLL_SELECT "p.live_sessions, p.open_leaks, p.open_leaks_system, "
                                        "p.pinned_ids, p.highest_session_id" POLL_RANGE
                          : POLL_SELECT "NULL, NULL, NULL, NULL, NULL" POLL_RANGE,
                       since, until, &s);
  if (rc != 0)
    return rc;
  while ((src = sqlite3_step(s)) == SQLITE_ROW) {
    struct lw_store_poll_info p;
    memset(&p, 0, sizeof p);
    p.id = sqlite3_column_int64(s, 0);
    p.boot_id = sqlite3_column_int64(s, 1);
    p.boot_time = lw__column_time(s, 2);
    p.taken_at = sqlite3_column_int64(s, 3);
    p.duration_ms = (uint32_t)sqlite3_column_int64(s, 4);
    p.has_data = sqlite3_column_type(s, 5) != SQLITE_NULL;
    p.logon_sessions = (uint32_t)sqlite3_column_int64(s, 5);
    p.wts_sessions = (uint32_t)sqlite3_column_int64(s, 6);
    p.has_figures = sqlite3_column_type(s, 11) != SQLITE_NULL;
    if (p.has_figures) {
      p.figures.live_sessions = (uint32_t)sqlite3_column_int64(s, 7);
      p.figures.open_leaks = (uint32_t)sqlite3_column_int64(s, 8);
      p.figures.open_leaks_system = (uint32_t)sqlite3_column_int64(s, 9);
      p.figures.pinned_ids = (uint32_t)sqlite3_column_int64(s, 10);
      p.figures.highest_session_id = (uint32_t)sqlite3_column_int64(s, 11);
    }
    rc = fn(ctx, &p);
    if (rc != 0)
      break;
  }
  if (rc == 0 && src != SQLITE_DONE)
    rc = lw__store_err(src);
  sqlite3_finalize(s);
  return rc;
}

int lw_store_each_alert_count(struct lw_store *st, int64_t since, int64_t until,
                              int (*fn)(void *ctx, const struct lw_store_alert_count *c),
                              void *ctx) {
  sqlite3_stmt *s = NULL;
  int src, rc = ready(st, (const void *)fn);
  if (rc == 0)
    rc = prepare_range(st,
                       "SELECT event_id, COUNT(*), SUM(suppressed != 0), MIN(raised_at), "
                       "MAX(raised_at) FROM alerts "
                       "WHERE (?1 IS NULL OR raised_at >= ?1) AND (?2 IS NULL OR raised_at <= ?2) "
                       "GROUP BY event_id ORDER BY event_id",
                       since, until, &s);
  if (rc != 0)
    return rc;
  while ((src = sqlite3_step(s)) == SQLITE_ROW) {
    struct lw_store_alert_count c;
    c.event_id = (uint32_t)sqlite3_column_int64(s, 0);
    c.alerts = (uint64_t)sqlite3_column_int64(s, 1);
    c.suppressed = (uint64_t)sqlite3_column_int64(s, 2);
    c.first = sqlite3_column_int64(s, 3);
    c.last = sqlite3_column_int64(s, 4);
    rc = fn(ctx, &c);
    if (rc != 0)
      break;
  }
  if (rc == 0 && src != SQLITE_DONE)
    rc = lw__store_err(src);
  sqlite3_finalize(s);
  return rc;
}

int lw_store_each_holder_image(struct lw_store *st, int64_t since, int64_t until,
                               int (*fn)(void *ctx, const struct lw_store_holder_image *img),
                               void *ctx) {
  sqlite3_stmt *s = NULL;
  int src, rc = ready(st, (const void *)fn);
  /* COUNT(DISTINCT) takes one value: a (boot, LUID) or (boot, PID) pair is
   * counted as the text 'boot:value' (a LUID fills 64 bits, so no integer
   * could hold both). */
  if (rc == 0)
    rc =
        prepare_range(st,
                      "SELECT image, COUNT(DISTINCT boot_id || ':' || luid), "
                      "COUNT(DISTINCT boot_id || ':' || pid), MAX(tokens), MAX(scanned_at) "
                      "FROM holders "
                      "WHERE (?1 IS NULL OR scanned_at >= ?1) AND (?2 IS NULL OR scanned_at <= ?2) "
                      "GROUP BY image ORDER BY 2 DESC, image",
                      since, until, &s);
  if (rc != 0)
    return rc;
  while ((src = sqlite3_step(s)) == SQLITE_ROW) {
    struct lw_store_holder_image h;
    h.image = lw__column_text(s, 0);
    h.logons = (uint64_t)sqlite3_column_int64(s, 1);
    h.processes = (uint64_t)sqlite3_column_int64(s, 2);
    h.tokens_max = (uint64_t)sqlite3_column_int64(s, 3);
    h.last_scanned = sqlite3_column_int64(s, 4);
    rc = fn(ctx, &h);
    if (rc != 0)
      break;
  }
  if (rc == 0 && src != SQLITE_DONE)
    rc = lw__store_err(src);
  sqlite3_finalize(s);
  return rc;
}
