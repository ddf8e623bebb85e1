/*
 * store_query.c - reading history back (see store.h): the poll at a time, the
 * snapshot it saw, and iterators over logon sessions, WTS instances, leak
 * episodes and alerts with simple filters.
 *
 * Queries are assembled from fixed SQL fragments, one per filter that is set,
 * so SQLite can use the indexes; every value is bound, never formatted into
 * the text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_delta.h"
#include "error.h"
#include "luid.h"
#include "store_internal.h"

void lw_store_filter_init(struct lw_store_filter *f) {
  memset(f, 0, sizeof *f);
  f->alive_at = LW_TIME_UNKNOWN;
  f->since = LW_TIME_UNKNOWN;
  f->until = LW_TIME_UNKNOWN;
}

/* Whether a query can run: LW_EINVAL for a NULL store or no place for the
 * result, LW_EBUSY for a deferred store (its database is not open yet), else 0. */
static int readable(const struct lw_store *st, bool have_result) {
  if (st == NULL || !have_result)
    return LW_EINVAL;
  return st->db == NULL ? LW_EBUSY : 0;
}

/* Appends a fragment to a fixed buffer; the fragments are constants, so the
 * buffer is sized for all of them at once. */
static void append(char *buf, size_t size, const char *frag) {
  size_t n = strlen(buf);
  snprintf(buf + n, size - n, "%s", frag);
}

int lw__store_latest_boot(struct lw_store *st, int64_t *boot_id) {
  sqlite3_stmt *s = NULL;
  int src = sqlite3_prepare_v2(st->db, "SELECT MAX(id) FROM boots", -1, &s, NULL);
  *boot_id = 0;
  if (src == SQLITE_OK) {
    src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
      *boot_id = sqlite3_column_int64(s, 0);
      src = SQLITE_OK;
    }
  }
  sqlite3_finalize(s);
  return lw__store_err(src);
}

int lw_store_find_poll(struct lw_store *st, int64_t at, struct lw_store_poll_info *out) {
  sqlite3_stmt *s = NULL;
  int src, rc;
  int ready = readable(st, out != NULL);
  if (ready != 0)
    return ready;
  memset(out, 0, sizeof *out);
  src = sqlite3_prepare_v2(st->db,
                           "SELECT p.id, p.boot_id, b.boot_time, p.t, p.duration_ms, "
                           "p.logon_sessions, p.wts_sessions FROM polls p "
                           "LEFT JOIN boots b ON b.id = p.boot_id "
                           "WHERE p.t <= ?1 AND p.logon_sessions IS NOT NULL "
                           "ORDER BY p.id DESC LIMIT 1",
                           -1, &s, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  sqlite3_bind_int64(s, 1, at);
  src = sqlite3_step(s);
  if (src == SQLITE_ROW) {
    out->id = sqlite3_column_int64(s, 0);
    out->boot_id = sqlite3_column_int64(s, 1);
    out->boot_time = lw__column_time(s, 2);
    out->taken_at = sqlite3_column_int64(s, 3);
    out->duration_ms = (uint32_t)sqlite3_column_int64(s, 4);
    out->logon_sessions = (uint32_t)sqlite3_column_int64(s, 5);
    out->wts_sessions = (uint32_t)sqlite3_column_int64(s, 6);
    rc = 0;
  } else {
    rc = src == SQLITE_DONE ? LW_ENOENT : lw__store_err(src);
  }
  sqlite3_finalize(s);
  return rc;
}

/* Binds the filter's values to ?1..?5 (boot, alive_at, since, until, user);
 * unset ones are not referenced by the text. */
static void bind_filter(sqlite3_stmt *s, const struct lw_store_filter *f) {
  if (f->boot_id != 0)
    sqlite3_bind_int64(s, 1, f->boot_id);
  if (f->alive_at != LW_TIME_UNKNOWN)
    sqlite3_bind_int64(s, 2, f->alive_at);
  if (f->since != LW_TIME_UNKNOWN)
    sqlite3_bind_int64(s, 3, f->since);
  if (f->until != LW_TIME_UNKNOWN)
    sqlite3_bind_int64(s, 4, f->until);
  if (f->user != NULL)
    sqlite3_bind_text(s, 5, f->user, -1, SQLITE_TRANSIENT);
}

/* A session's end: in its row, or a row of the end tables joined as e
 * (schema 8); NULL while alive. */
#define LAST_SEEN "COALESCE(x.last_seen, e.last_seen)"

/* The WHERE fragments common to both kinds of rows (table alias x, its end e).
 * The unary + keeps SQLite from searching x by its (boot_id, first_seen)
 * index: it would then scan the unindexed end table once per row found; from
 * a scan of x it builds an automatic index of the ends once per query. */
static void where_common(char *sql, size_t size, const struct lw_store_filter *f) {
  if (f->boot_id != 0)
    append(sql, size, " AND +x.boot_id = ?1");
  if (f->alive_at != LW_TIME_UNKNOWN)
    append(sql, size,
           " AND +x.first_seen <= ?2 AND (" LAST_SEEN " IS NULL OR " LAST_SEEN " >= ?2)");
  if (f->since != LW_TIME_UNKNOWN)
    append(sql, size, " AND (" LAST_SEEN " IS NULL OR " LAST_SEEN " >= ?3)");
  if (f->until != LW_TIME_UNKNOWN)
    append(sql, size, " AND +x.first_seen <= ?4");
}

int lw_store_each_logon(struct lw_store *st, const struct lw_store_filter *f,
                        int (*fn)(void *ctx, const struct lw_store_logon_row *row), void *ctx) {
  char sql[1024];
  struct lw_store_filter any;
  sqlite3_stmt *s = NULL;
  int src, rc = 0;

  int ready = readable(st, fn != NULL);
  if (ready != 0)
    return ready;
  if (f == NULL) {
    lw_store_filter_init(&any);
    f = &any;
  }
  snprintf(sql, sizeof sql, "%s",
           "SELECT x.boot_id, x.luid, x.data_status, x.logon_type, x.terminal_session, "
           "x.logon_time, x.user, x.domain, x.sid, x.auth_package, x.logon_server, x.dns_domain, "
           "x.upn, x.first_seen, " LAST_SEEN ", x.process_count_max FROM logon_sessions x "
           "LEFT JOIN logon_session_ends e ON e.logon_id = x.id WHERE 1");
  where_common(sql, sizeof sql, f);
  if (f->user != NULL)
    append(sql, sizeof sql,
           " AND (x.user = ?5 COLLATE NOCASE OR "
           "COALESCE(x.domain, '') || '\\' || COALESCE(x.user, '') = ?5 COLLATE NOCASE)");
  append(sql, sizeof sql, " ORDER BY x.boot_id, x.first_seen, x.luid");
  src = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  bind_filter(s, f);
  while ((src = sqlite3_step(s)) == SQLITE_ROW) {
    struct lw_store_logon_row r;
    memset(&r, 0, sizeof r);
    r.boot_id = sqlite3_column_int64(s, 0);
    lw__column_logon(s, 1, &r.s);
    r.first_seen = sqlite3_column_int64(s, 13);
    r.last_seen = lw__column_time(s, 14);
    r.s.process_count = (uint32_t)sqlite3_column_int64(s, 15);
    rc = fn(ctx, &r);
    if (rc != 0)
      break;
  }
  if (rc == 0 && src != SQLITE_DONE)
    rc = lw__store_err(src);
  sqlite3_finalize(s);
  return rc;
}

int lw_store_each_wts(struct lw_store *st, const struct lw_store_filter *f,
                      int (*fn)(void *ctx, const struct lw_store_wts_row *row), void *ctx) {
  char sql[2048];
  struct lw_store_filter any;
  sqlite3_stmt *s = NULL;
  int src, rc = 0;

  int ready = readable(st, fn != NULL);
  if (ready != 0)
    return ready;
  if (f == NULL) {
    lw_store_filter_init(&any);
    f = &any;
  }
  snprintf(sql, sizeof sql, "%s",
           "SELECT x.boot_id, x.session_id, x.first_seen, " LAST_SEEN ", cur.state, who.station, "
           "who.user, who.domain, who.client, who.client_address, who.logon_time, "
           "cur.connect_time, cur.disconnect_time FROM wts_sessions x "
           "LEFT JOIN wts_session_ends e ON e.wts_id = x.id LEFT JOIN wts_transitions cur ON "
           "cur.id = (SELECT t.id FROM wts_transitions t "
           "WHERE t.wts_id = x.id");
  if (f->alive_at != LW_TIME_UNKNOWN) {
    /* As it was at that poll: one transition gives everything. */
    append(sql, sizeof sql,
           " AND t.at <= ?2 ORDER BY t.at DESC, t.id DESC LIMIT 1) "
           "LEFT JOIN wts_transitions who ON who.id = cur.id");
  } else {
    /* Latest state; who it was: the latest transition that had a user. */
    append(sql, sizeof sql,
           " ORDER BY t.at DESC, t.id DESC LIMIT 1) "
           "LEFT JOIN wts_transitions who ON who.id = (SELECT t.id FROM wts_transitions t "
           "WHERE t.wts_id = x.id ORDER BY COALESCE(t.user, '') <> '' DESC, t.at DESC, "
           "t.id DESC LIMIT 1)");
  }
  append(sql, sizeof sql, " WHERE 1");
  where_common(sql, sizeof sql, f);
  if (f->user != NULL)
    append(sql, sizeof sql,
           " AND EXISTS (SELECT 1 FROM wts_transitions u WHERE u.wts_id = x.id AND "
           "(u.user = ?5 COLLATE NOCASE OR "
           "COALESCE(u.domain, '') || '\\' || COALESCE(u.user, '') = ?5 COLLATE NOCASE))");
  append(sql, sizeof sql, " ORDER BY x.boot_id, x.first_seen, x.session_id");
  src = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  bind_filter(s, f);
  while ((src = sqlite3_step(s)) == SQLITE_ROW) {
    struct lw_store_wts_row r;
    memset(&r, 0, sizeof r);
    r.boot_id = sqlite3_column_int64(s, 0);
    r.s.id = (uint32_t)sqlite3_column_int64(s, 1);
    r.first_seen = sqlite3_column_int64(s, 2);
    r.last_seen = lw__column_time(s, 3);
    lw__column_wts(s, 4, &r.s);
    rc = fn(ctx, &r);
    if (rc != 0)
      break;
  }
  if (rc == 0 && src != SQLITE_DONE)
    rc = lw__store_err(src);
  sqlite3_finalize(s);
  return rc;
}

/* ---- Snapshot at a time ----------------------------------------------------- */

static int add_logon(void *ctx, const struct lw_store_logon_row *r) {
  struct lw_snapshot *snap = ctx;
  struct lw_logon_session *l = lw_snapshot_add_logon(snap);
  if (l == NULL)
    return LW_ENOMEM;
  *l = r->s;
  l->process_count = 0;
  l->user = lw_snapshot_strdup(snap, r->s.user);
  l->domain = lw_snapshot_strdup(snap, r->s.domain);
  l->sid = lw_snapshot_strdup(snap, r->s.sid);
  l->auth_package = lw_snapshot_strdup(snap, r->s.auth_package);
  l->logon_server = lw_snapshot_strdup(snap, r->s.logon_server);
  l->dns_domain = lw_snapshot_strdup(snap, r->s.dns_domain);
  l->upn = lw_snapshot_strdup(snap, r->s.upn);
  if ((r->s.user != NULL && l->user == NULL) || (r->s.domain != NULL && l->domain == NULL) ||
      (r->s.sid != NULL && l->sid == NULL) ||
      (r->s.auth_package != NULL && l->auth_package == NULL) ||
      (r->s.logon_server != NULL && l->logon_server == NULL) ||
      (r->s.dns_domain != NULL && l->dns_domain == NULL) || (r->s.upn != NULL && l->upn == NULL))
    return LW_ENOMEM;
  return 0;
}

static int add_wts(void *ctx, const struct lw_store_wts_row *r) {
  struct lw_snapshot *snap = ctx;
  struct lw_wts_session *w = lw_snapshot_add_wts(snap);
  if (w == NULL)
    return LW_ENOMEM;
  *w = r->s;
  w->station = lw_snapshot_strdup(snap, r->s.station);
  w->user = lw_snapshot_strdup(snap, r->s.user);
  w->domain = lw_snapshot_strdup(snap, r->s.domain);
  w->client = lw_snapshot_strdup(snap, r->s.client);
  w->client_address = lw_snapshot_strdup(snap, r->s.client_address);
  if ((r->s.station != NULL && w->station == NULL) || (r->s.user != NULL && w->user == NULL) ||
      (r->s.domain != NULL && w->domain == NULL) || (r->s.client != NULL && w->client == NULL) ||
      (r->s.client_address != NULL && w->client_address == NULL))
    return LW_ENOMEM;
  return 0;
}

int lw_store_snapshot_at(struct lw_store *st, int64_t ms, struct lw_snapshot **out) {
  struct lw_store_poll_info poll;
  struct lw_store_filter f;
  struct lw_snapshot *snap = NULL;
  int rc;

  if (out == NULL)
    return LW_EINVAL;
  *out = NULL;
  if (st == NULL)
    return LW_EINVAL;
  if (st->db == NULL)
    return LW_EBUSY; /* deferred: the database is not open yet */
  /* One read transaction: the poll and its rows from the same state. */
  rc = lw__store_exec(st->db, "BEGIN", NULL, 0);
  if (rc != 0)
    return rc;
  rc = lw_store_find_poll(st, ms, &poll);
  if (rc != 0)
    goto cleanup;
  snap = lw_snapshot_new();
  if (snap == NULL) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  snap->taken_at = poll.taken_at;
  snap->boot_time = poll.boot_time;
  snap->duration_ms = poll.duration_ms;
  lw_store_filter_init(&f);
  f.boot_id = poll.boot_id;
  f.alive_at = poll.taken_at;
  rc = lw_store_each_logon(st, &f, add_logon, snap);
  if (rc == 0)
    rc = lw_store_each_wts(st, &f, add_wts, snap);
  if (rc == 0) {
    lw_snapshot_finish(snap);
    *out = snap;
    snap = NULL;
  }
cleanup:
  (void)lw__store_exec(st->db, "COMMIT", NULL, 0);
  lw_snapshot_free(snap);
  return rc;
}

/* ---- Leak episodes and alerts --------------------------------------------- */

/* Steps a leak_episodes query whose columns are LEAK_COLUMNS' and calls fn
 * for each row; finalizes s. Returns 0, fn's non-zero value or an LW_E* code. */
#define LEAK_COLUMNS                                                                               \
  "SELECT id, boot_id, luid, user, domain, logon_type, terminal_session, logon_time, "             \
  "session_ended_at, leaked_at, released_at, system, with_luid, end_seen, orphan_seen_at "         \
  "FROM leak_episodes "
static int run_leaks(sqlite3_stmt *s, int (*fn)(void *ctx, const struct lw_store_leak_row *row),
                     void *ctx) {
  int src, rc = 0;
  while ((src = sqlite3_step(s)) == SQLITE_ROW) {
    struct lw_store_leak_row r;
    memset(&r, 0, sizeof r);
    r.id = sqlite3_column_int64(s, 0);
    r.boot_id = sqlite3_column_int64(s, 1);
    r.leak.luid = (uint64_t)sqlite3_column_int64(s, 2);
    r.leak.user = lw__column_text(s, 3);
    r.leak.domain = lw__column_text(s, 4);
    r.leak.logon_type = (uint32_t)sqlite3_column_int64(s, 5);
    r.leak.terminal_session = (uint32_t)sqlite3_column_int64(s, 6);
    r.leak.logon_time = lw__column_time(s, 7);
    r.leak.session_ended_at = lw__column_time(s, 8);
    r.leak.leaked_at = sqlite3_column_int64(s, 9);
    r.released_at = lw__column_time(s, 10);
    r.leak.system = sqlite3_column_int(s, 11) != 0;
    r.leak.with_luid = (uint64_t)sqlite3_column_int64(s, 12);
    r.leak.end_seen = sqlite3_column_type(s, 13) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 13);
    r.leak.orphan_seen_at = lw__column_time(s, 14);
    rc = fn(ctx, &r);
    if (rc != 0)
      break;
  }
  if (rc == 0 && src != SQLITE_DONE)
    rc = lw__store_err(src);
  sqlite3_finalize(s);
  return rc;
}

int lw_store_each_leak(struct lw_store *st, bool open_only,
                       int (*fn)(void *ctx, const struct lw_store_leak_row *row), void *ctx) {
  sqlite3_stmt *s = NULL;
  int src;
  int ready = readable(st, fn != NULL);
  if (ready != 0)
    return ready;
  src = sqlite3_prepare_v2(st->db,
                           open_only ? LEAK_COLUMNS "WHERE boot_id = (SELECT MAX(id) FROM boots) "
                                                    "AND released_at IS NULL ORDER BY leaked_at, id"
                                     : LEAK_COLUMNS "ORDER BY leaked_at, id",
                           -1, &s, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  return run_leaks(s, fn, ctx);
}

int lw_store_each_leak_between(struct lw_store *st, int64_t since, int64_t until,
                               int (*fn)(void *ctx, const struct lw_store_leak_row *row),
                               void *ctx) {
  sqlite3_stmt *s = NULL;
  int src;
  int ready = readable(st, fn != NULL);
  if (ready != 0)
    return ready;
  /* An unset bound is bound NULL: the IS NULL makes it open-ended. */
  src = sqlite3_prepare_v2(st->db,
                           LEAK_COLUMNS "WHERE (?2 IS NULL OR leaked_at <= ?2) AND (?1 IS NULL OR "
                                        "released_at IS NULL OR released_at >= ?1) "
                                        "ORDER BY leaked_at, id",
                           -1, &s, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  lw__bind_time(s, 1, since);
  lw__bind_time(s, 2, until);
  return run_leaks(s, fn, ctx);
}

int lw_store_last_poll(struct lw_store *st, bool with_figures, struct lw_store_poll_info *out) {
  sqlite3_stmt *s = NULL;
  int src, rc;
  bool v5;
  int ready = readable(st, out != NULL);
  if (ready != 0)
    return ready;
  memset(out, 0, sizeof *out);
  /* A reader does not migrate: an older database has no figures. */
  src = sqlite3_prepare_v2(st->db,
                           "SELECT 1 FROM pragma_table_info('polls') "
                           "WHERE name = 'highest_session_id'",
                           -1, &s, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  v5 = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_finalize(s);
  if (with_figures && !v5)
    return LW_ENOENT;
  src = sqlite3_prepare_v2(
      st->db,
      !v5 ? "SELECT p.id, p.boot_id, b.boot_time, p.t, p.duration_ms, p.logon_sessions, "
            "p.wts_sessions FROM polls p LEFT JOIN boots b ON b.id = p.boot_id "
            "ORDER BY p.id DESC LIMIT 1"
      : with_figures
          ? "SELECT p.id, p.boot_id, b.boot_time, p.t, p.duration_ms, p.logon_sessions, "
            "p.wts_sessions, p.live_sessions, p.open_leaks, p.open_leaks_system, p.pinned_ids, "
            "p.highest_session_id FROM polls p LEFT JOIN boots b ON b.id = p.boot_id "
            "WHERE p.highest_session_id IS NOT NULL ORDER BY p.id DESC LIMIT 1"
          : "SELECT p.id, p.boot_id, b.boot_time, p.t, p.duration_ms, p.logon_sessions, "
            "p.wts_sessions, p.live_sessions, p.open_leaks, p.open_leaks_system, p.pinned_ids, "
            "p.highest_session_id FROM polls p LEFT JOIN boots b ON b.id = p.boot_id "
            "ORDER BY p.id DESC LIMIT 1",
      -1, &s, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  src = sqlite3_step(s);
  if (src == SQLITE_ROW) {
    out->id = sqlite3_column_int64(s, 0);
    out->boot_id = sqlite3_column_int64(s, 1);
    out->boot_time = lw__column_time(s, 2);
    out->taken_at = sqlite3_column_int64(s, 3);
    out->duration_ms = (uint32_t)sqlite3_column_int64(s, 4);
    out->has_data = sqlite3_column_type(s, 5) != SQLITE_NULL;
    out->logon_sessions = (uint32_t)sqlite3_column_int64(s, 5);
    out->wts_sessions = (uint32_t)sqlite3_column_int64(s, 6);
    out->has_figures = v5 && sqlite3_column_type(s, 11) != SQLITE_NULL;
    if (out->has_figures) {
      out->figures.live_sessions = (uint32_t)sqlite3_column_int64(s, 7);
      out->figures.open_leaks = (uint32_t)sqlite3_column_int64(s, 8);
      out->figures.open_leaks_system = (uint32_t)sqlite3_column_int64(s, 9);
      out->figures.pinned_ids = (uint32_t)sqlite3_column_int64(s, 10);
      out->figures.highest_session_id = (uint32_t)sqlite3_column_int64(s, 11);
    }
    rc = 0;
  } else {
    rc = src == SQLITE_DONE ? LW_ENOENT : lw__store_err(src);
  }
  sqlite3_finalize(s);
  return rc;
}

/* Prepares `select` (ending in a WHERE clause) narrowed to `col` in [since,
 * until] (LW_TIME_UNKNOWN: open-ended) and ordered by `order`, with the bounds
 * bound. Returns 0 and *out, or an LW_E* code. */
static int prepare_between(struct lw_store *st, const char *select, const char *col,
                           const char *order, int64_t since, int64_t until, sqlite3_stmt **out) {
  char sql[512];
  snprintf(sql, sizeof sql, "%s", select);
  if (since != LW_TIME_UNKNOWN) {
    append(sql, sizeof sql, " AND ");
    append(sql, sizeof sql, col);
    append(sql, sizeof sql, " >= ?1");
  }
  if (until != LW_TIME_UNKNOWN) {
    append(sql, sizeof sql, " AND ");
    append(sql, sizeof sql, col);
    append(sql, sizeof sql, " <= ?2");
  }
  append(sql, sizeof sql, " ORDER BY ");
  append(sql, sizeof sql, order);
  int src = sqlite3_prepare_v2(st->db, sql, -1, out, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  if (since != LW_TIME_UNKNOWN)
    sqlite3_bind_int64(*out, 1, since);
  if (until != LW_TIME_UNKNOWN)
    sqlite3_bind_int64(*out, 2, until);
  return 0;
}

int lw_store_each_alert(struct lw_store *st, int64_t since, int64_t until,
                        int (*fn)(void *ctx, const struct lw_store_alert_row *row), void *ctx) {
  sqlite3_stmt *s = NULL;
  int src, rc = 0;
  int ready = readable(st, fn != NULL);
  if (ready != 0)
    return ready;
  rc = prepare_between(st,
                       "SELECT id, boot_id, raised_at, event_id, message, fields, suppressed, "
                       "luid, user, domain, terminal_session, logged FROM alerts WHERE 1",
                       "raised_at", "raised_at, id", since, until, &s);
  if (rc != 0)
    return rc;
  while ((src = sqlite3_step(s)) == SQLITE_ROW) {
    struct lw_store_alert_row r;
    memset(&r, 0, sizeof r);
    r.id = sqlite3_column_int64(s, 0);
    r.boot_id = sqlite3_column_int64(s, 1);
    r.alert.raised_at = sqlite3_column_int64(s, 2);
    r.alert.event_id = (uint32_t)sqlite3_column_int64(s, 3);
    r.alert.message = lw__column_text(s, 4);
    r.alert.fields_json = lw__column_text(s, 5);
    r.alert.suppressed = sqlite3_column_int(s, 6) != 0;
    if (lw__column_text(s, 7) == NULL || lw_luid_parse(lw__column_text(s, 7), &r.alert.luid) != 0)
      r.alert.luid = 0;
    r.alert.user = lw__column_text(s, 8);
    r.alert.domain = lw__column_text(s, 9);
    r.alert.terminal_session =
        sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 10);
    r.alert.logged = sqlite3_column_int(s, 11) != 0;
    rc = fn(ctx, &r);
    if (rc != 0)
      break;
  }
  if (rc == 0 && src != SQLITE_DONE)
    rc = lw__store_err(src);
  sqlite3_finalize(s);
  return rc;
}

/* Steps a holders query (HOLDER_COLUMNS) and calls fn for each row;
 * finalizes s. Returns 0, fn's non-zero value or an LW_E* code. */
#define HOLDER_COLUMNS                                                                             \
  "SELECT h.id, h.boot_id, h.luid, h.scanned_at, h.pid, h.image, h.services, h.tokens, "           \
  "h.exited_process, h.held_by_pid FROM holders h "
static int run_holders(sqlite3_stmt *s, int (*fn)(void *ctx, const struct lw_store_holder_row *row),
                       void *ctx) {
  int src, rc = 0;
  while ((src = sqlite3_step(s)) == SQLITE_ROW) {
    struct lw_store_holder_row r;
    memset(&r, 0, sizeof r);
    r.id = sqlite3_column_int64(s, 0);
    r.boot_id = sqlite3_column_int64(s, 1);
    r.holder.luid = (uint64_t)sqlite3_column_int64(s, 2);
    r.holder.scanned_at = sqlite3_column_int64(s, 3);
    r.holder.pid = (uint32_t)sqlite3_column_int64(s, 4);
    r.holder.image = lw__column_text(s, 5);
    r.holder.services = lw__column_text(s, 6);
    r.holder.tokens = (uint32_t)sqlite3_column_int64(s, 7);
    r.holder.exited_process = sqlite3_column_int(s, 8) != 0;
    r.holder.held_by_pid = (uint32_t)sqlite3_column_int64(s, 9);
    rc = fn(ctx, &r);
    if (rc != 0)
      break;
  }
  if (rc == 0 && src != SQLITE_DONE)
    rc = lw__store_err(src);
  sqlite3_finalize(s);
  return rc;
}

int lw_store_each_holder(struct lw_store *st, int64_t since, int64_t until,
                         int (*fn)(void *ctx, const struct lw_store_holder_row *row), void *ctx) {
  sqlite3_stmt *s = NULL;
  int rc;
  int ready = readable(st, fn != NULL);
  if (ready != 0)
    return ready;
  /* Grouped per session and process, so a caller sees each (boot, LUID, PID)'s
   * scans together and its latest last. */
  rc = prepare_between(st, HOLDER_COLUMNS "WHERE 1", "h.scanned_at",
                       "h.boot_id, h.luid, h.pid, h.scanned_at, h.id", since, until, &s);
  if (rc != 0)
    return rc;
  return run_holders(s, fn, ctx);
}

int lw_store_each_latest_holder(struct lw_store *st, int64_t boot_id,
                                int (*fn)(void *ctx, const struct lw_store_holder_row *row),
                                void *ctx) {
  sqlite3_stmt *s = NULL;
  int src;
  int ready = readable(st, fn != NULL);
  if (ready != 0)
    return ready;
  /* A window, not a join with the latest scan per (boot, LUID): holders has
   * no index, and the join ran a nested loop (0.18 s for 26,000 rows of 90
   * days, bench_report; 0.014 s this way). PARTITION BY keeps a NULL boot_id
   * as one group, as the join's IS did. */
  src = sqlite3_prepare_v2(st->db,
                           "SELECT h.id, h.boot_id, h.luid, h.scanned_at, h.pid, h.image, "
                           "h.services, h.tokens, h.exited_process, h.held_by_pid FROM "
                           "(SELECT *, MAX(scanned_at) OVER (PARTITION BY boot_id, luid) AS latest "
                           "FROM holders WHERE ?1 IS NULL OR boot_id = ?1) h "
                           "WHERE h.scanned_at = h.latest ORDER BY h.boot_id, h.luid, h.pid, h.id",
                           -1, &s, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  if (boot_id != 0)
    sqlite3_bind_int64(s, 1, boot_id);
  return run_holders(s, fn, ctx);
}

/* Applies the deltas written after the base, in order, to *blob. */
static int apply_detector_deltas(struct lw_store *st, void **blob, size_t *len, int64_t *saved_at) {
  sqlite3_stmt *s = NULL;
  int src, rc = 0;
  src = sqlite3_prepare_v2(st->db, "SELECT saved_at, delta FROM detector_state_delta ORDER BY seq",
                           -1, &s, NULL);
  /* A reader of a schema 5 database (not migrated): no deltas. */
  if (src == SQLITE_ERROR && st->opts.read_only)
    return 0;
  if (src != SQLITE_OK)
    return lw__store_err(src);
  while (rc == 0 && (src = sqlite3_step(s)) == SQLITE_ROW) {
    unsigned char *next = NULL;
    size_t n = 0;
    const void *d = sqlite3_column_blob(s, 1);
    rc = d == NULL
             ? LW_ECORRUPT
             : lw_blob_delta_apply(*blob, *len, d, (size_t)sqlite3_column_bytes(s, 1), &next, &n);
    if (rc == LW_ETOONEW || rc == LW_EINVAL)
      rc = LW_ECORRUPT;
    if (rc == 0) {
      free(*blob);
      *blob = next;
      *len = n;
      *saved_at = sqlite3_column_int64(s, 0);
    }
  }
  if (rc == 0 && src != SQLITE_DONE)
    rc = lw__store_err(src);
  sqlite3_finalize(s);
  return rc;
}

int lw_store_get_detector_state(struct lw_store *st, void **blob, size_t *len, int64_t *saved_at) {
  sqlite3_stmt *s = NULL;
  void *copy = NULL;
  size_t n = 0;
  int64_t at = 0;
  int src, rc;
  if (st == NULL || blob == NULL || len == NULL)
    return LW_EINVAL;
  if (st->db == NULL)
    return LW_EBUSY; /* deferred: the database is not open yet */
  src = sqlite3_prepare_v2(st->db, "SELECT saved_at, state FROM detector_state WHERE id = 1", -1,
                           &s, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  src = sqlite3_step(s);
  if (src == SQLITE_ROW) {
    const void *b = sqlite3_column_blob(s, 1);
    n = (size_t)sqlite3_column_bytes(s, 1);
    copy = malloc(n != 0 ? n : 1);
    if (copy == NULL) {
      rc = LW_ENOMEM;
    } else {
      if (n != 0)
        memcpy(copy, b, n);
      at = sqlite3_column_int64(s, 0);
      rc = 0;
    }
  } else {
    rc = src == SQLITE_DONE ? LW_ENOENT : lw__store_err(src);
  }
  sqlite3_finalize(s);
  if (rc == 0)
    rc = apply_detector_deltas(st, &copy, &n, &at);
  if (rc != 0) {
    free(copy);
    return rc;
  }
  *blob = copy;
  *len = n;
  if (saved_at != NULL)
    *saved_at = at;
  return 0;
}
