/*
 * store_load.c - rebuilding the store's in-memory state from the database at
 * open (lw__model_load, see store_internal.h): the current boot, and the logon
 * sessions and WTS instances still alive at its last poll: those with no end,
 * neither in their row nor in the end tables (schema 8). NOT IN: SQLite reads
 * the end table once into a temporary index (a join would scan it per row).
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store_internal.h"

/* ---- Loading the state at open --------------------------------------------- */

static int cmp_u64(uint64_t a, uint64_t b) {
  return (a > b) - (a < b);
}

static int cmp_live(const void *a, const void *b) {
  return cmp_u64(((const struct lw__live *)a)->luid, ((const struct lw__live *)b)->luid);
}

static int cmp_wlive(const void *a, const void *b) {
  return cmp_u64(((const struct lw__wlive *)a)->session_id,
                 ((const struct lw__wlive *)b)->session_id);
}

/* Room for one more element of `size` bytes in the array *arr of n, capacity
 * *cap (the live lists). Returns 0 or LW_ENOMEM. */
static int grow_one(void **arr, size_t n, size_t *cap, size_t size) {
  size_t c = *cap != 0 ? *cap * 2 : 64;
  void *p;
  if (n < *cap)
    return 0;
  if (c > SIZE_MAX / size)
    return LW_ENOMEM;
  p = realloc(*arr, c * size);
  if (p == NULL)
    return LW_ENOMEM;
  *arr = p;
  *cap = c;
  return 0;
}

/* Loads the logon sessions of boot b still alive at its last poll into the
 * live list. Returns 0 or LW_ENOMEM; the SQLite result goes to *src_out
 * (SQLITE_OK when all were read). */
static int load_live_logons(struct lw_store *st, struct lw__boot *b, int *src_out) {
  struct lw__model *m = &st->m;
  sqlite3_stmt *s = NULL;
  int src, rc = 0;

  src = sqlite3_prepare_v2(st->db,
                           "SELECT l.id, l.luid, l.data_status, l.logon_type, "
                           "l.terminal_session, l.logon_time, l.user, l.domain, l.sid, "
                           "l.auth_package, l.logon_server, l.dns_domain, l.upn, l.first_seen, "
                           "l.process_count_max FROM logon_sessions l "
                           "WHERE l.boot_id = ?1 AND l.last_seen IS NULL AND l.id NOT IN "
                           "(SELECT e.logon_id FROM logon_session_ends e)",
                           -1, &s, NULL);
  if (src != SQLITE_OK)
    goto done;
  sqlite3_bind_int64(s, 1, b->row_id);
  while ((src = sqlite3_step(s)) == SQLITE_ROW) {
    struct lw_logon_session ls;
    struct lw__logon *l;
    memset(&ls, 0, sizeof ls);
    lw__column_logon(s, 1, &ls);
    ls.process_count = (uint32_t)sqlite3_column_int64(s, 14);
    l = lw__logon_new(&ls);
    if (l == NULL || grow_one((void **)&m->live, m->n_live, &m->cap_live, sizeof *m->live) != 0) {
      lw__logon_free(l);
      rc = LW_ENOMEM;
      goto done;
    }
    m->live[m->n_live].luid = l->luid;
    m->live[m->n_live].pcmax = l->pcmax;
    m->live[m->n_live].no_data = l->data_status != 0;
    m->live[m->n_live++].l = l;
    l->row_id = sqlite3_column_int64(s, 0);
    l->boot = b;
    l->first_seen = sqlite3_column_int64(s, 13);
    l->pcmax_written = l->pcmax;
  }
  if (src != SQLITE_DONE)
    goto done;
  src = SQLITE_OK;
  if (m->n_live > 1)
    qsort(m->live, m->n_live, sizeof *m->live, cmp_live);

done:
  sqlite3_finalize(s);
  *src_out = src;
  return rc;
}

/* Loads the WTS instances of boot b still alive at its last poll, each with its
 * latest version. As load_live_logons. */
static int load_live_wts(struct lw_store *st, struct lw__boot *b, int *src_out) {
  struct lw__model *m = &st->m;
  sqlite3_stmt *s = NULL;
  int src, rc = 0;

  src = sqlite3_prepare_v2(
      st->db,
      "SELECT w.id, w.session_id, w.first_seen, t.at, t.state, t.station, t.user, t.domain, "
      "t.client, t.client_address, t.logon_time, t.connect_time, t.disconnect_time "
      "FROM wts_sessions w LEFT JOIN wts_transitions t ON t.id = (SELECT x.id FROM "
      "wts_transitions x WHERE x.wts_id = w.id ORDER BY x.at DESC, x.id DESC LIMIT 1) "
      "WHERE w.boot_id = ?1 AND w.last_seen IS NULL AND w.id NOT IN "
      "(SELECT e.wts_id FROM wts_session_ends e)",
      -1, &s, NULL);
  if (src != SQLITE_OK)
    goto done;
  sqlite3_bind_int64(s, 1, b->row_id);
  while ((src = sqlite3_step(s)) == SQLITE_ROW) {
    struct lw_wts_session ws;
    struct lw__wts *w;
    memset(&ws, 0, sizeof ws);
    ws.id = (uint32_t)sqlite3_column_int64(s, 1);
    lw__column_wts(s, 4, &ws);
    w = lw__wts_new(ws.id, sqlite3_column_int64(s, 2), &ws);
    if (w == NULL ||
        grow_one((void **)&m->wlive, m->n_wlive, &m->cap_wlive, sizeof *m->wlive) != 0) {
      lw__wts_free(w);
      rc = LW_ENOMEM;
      goto done;
    }
    m->wlive[m->n_wlive].session_id = w->session_id;
    m->wlive[m->n_wlive].cur = w->v[0];
    m->wlive[m->n_wlive++].w = w;
    w->row_id = sqlite3_column_int64(s, 0);
    w->boot = b;
    w->v[0]->at = lw__column_time(s, 3);
    w->n_v_written = 1;
  }
  if (src != SQLITE_DONE)
    goto done;
  src = SQLITE_OK;
  if (m->n_wlive > 1)
    qsort(m->wlive, m->n_wlive, sizeof *m->wlive, cmp_wlive);

done:
  sqlite3_finalize(s);
  *src_out = src;
  return rc;
}

int lw__model_load(struct lw_store *st) {
  struct lw__model *m = &st->m;
  sqlite3_stmt *s = NULL;
  struct lw__boot *b = NULL;
  int src, rc = 0;

  src = sqlite3_prepare_v2(st->db,
                           "SELECT b.id, b.boot_time, b.first_poll, (SELECT p.t FROM polls p "
                           "WHERE p.boot_id = b.id AND p.logon_sessions IS NOT NULL "
                           "ORDER BY p.id DESC LIMIT 1) "
                           "FROM boots b ORDER BY b.id DESC LIMIT 1",
                           -1, &s, NULL);
  if (src != SQLITE_OK)
    goto done;
  src = sqlite3_step(s);
  if (src == SQLITE_DONE) {
    src = SQLITE_OK; /* a new database */
    goto done;
  }
  if (src != SQLITE_ROW)
    goto done;
  b = calloc(1, sizeof *b);
  if (b == NULL) {
    rc = LW_ENOMEM;
    goto done;
  }
  b->row_id = sqlite3_column_int64(s, 0);
  b->boot_time = lw__column_time(s, 1);
  b->first_poll = sqlite3_column_int64(s, 2);
  b->last_data_t = lw__column_time(s, 3);
  b->prev_last_data_t = LW_TIME_UNKNOWN;
  m->boots = b;
  m->last_poll_t = b->last_data_t;
  sqlite3_finalize(s);
  s = NULL;

  rc = load_live_logons(st, b, &src);
  if (rc == 0 && src == SQLITE_OK)
    rc = load_live_wts(st, b, &src);

done:
  sqlite3_finalize(s);
  if (rc == 0)
    rc = lw__store_err(src);
  return rc;
}
