/*
 * store_prune.c - retention (see store.h): deleting what ended before the
 * retention horizon in small transactions, then giving the pages back with an
 * incremental vacuum so the file shrinks.
 *
 * Only rows whose end is written are candidates (last_seen in the row or in
 * the end tables of schema 8, released_at,
 * raised_at, t below the horizon), so live sessions, open episodes and anything
 * the in-memory state still refers to are never touched; boots go last, and
 * only when nothing refers to them and they are older than every boot the
 * store is using.
 *
 * Also the checkpoint between polls (lw_store_checkpoint), the other periodic
 * work kept off the poll's write path.
 */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "store_internal.h"

/* One DELETE per kind of row, each taking at most ?2 rows older than ?1, in an
 * order that keeps every intermediate state consistent (each batch is its own
 * transaction, and the service may stop between two): polls first, so no poll
 * is left whose sessions are gone (a session that ended before ?1 was only
 * seen by polls before ?1); a WTS instance goes with its transitions in one
 * statement (ON DELETE CASCADE); boots last. */
static const char *const prune_sql[] = {
    "DELETE FROM polls WHERE id IN (SELECT id FROM polls WHERE t < ?1 LIMIT ?2)",
    "DELETE FROM logon_sessions WHERE id IN (SELECT id FROM logon_sessions "
    "WHERE last_seen < ?1 LIMIT ?2)",
    /* Sessions whose end is a row of the end tables (schema 8); their end
     * rows go in the same transaction (prune_then). */
    "DELETE FROM logon_sessions WHERE id IN (SELECT e.logon_id FROM logon_session_ends e "
    "JOIN logon_sessions l ON l.id = e.logon_id WHERE e.last_seen < ?1 LIMIT ?2)",
    "DELETE FROM wts_sessions WHERE id IN (SELECT id FROM wts_sessions WHERE last_seen < ?1 "
    "LIMIT ?2)",
    "DELETE FROM wts_sessions WHERE id IN (SELECT e.wts_id FROM wts_session_ends e "
    "JOIN wts_sessions w ON w.id = e.wts_id WHERE e.last_seen < ?1 LIMIT ?2)",
    "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE raised_at < ?1 LIMIT ?2)",
    "DELETE FROM leak_episodes WHERE id IN (SELECT id FROM leak_episodes "
    "WHERE released_at < ?1 LIMIT ?2)",
    "DELETE FROM holders WHERE id IN (SELECT id FROM holders WHERE scanned_at < ?1 LIMIT ?2)",
    /* ?1 here is the oldest boot still in use, not a time. */
    "DELETE FROM boots WHERE id IN (SELECT b.id FROM boots b WHERE b.id < ?1 "
    "AND NOT EXISTS (SELECT 1 FROM polls x WHERE x.boot_id = b.id) "
    "AND NOT EXISTS (SELECT 1 FROM logon_sessions x WHERE x.boot_id = b.id) "
    "AND NOT EXISTS (SELECT 1 FROM wts_sessions x WHERE x.boot_id = b.id) "
    "AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.boot_id = b.id) "
    "AND NOT EXISTS (SELECT 1 FROM leak_episodes x WHERE x.boot_id = b.id) "
    "AND NOT EXISTS (SELECT 1 FROM holders x WHERE x.boot_id = b.id) LIMIT ?2)",
};
/* What runs after a batch of prune_sql[k] in its transaction, or NULL: the end
 * rows whose sessions that batch deleted (at most ?2 of them: the batch's
 * count). Never the other way round, which would make an ended session look
 * alive; and in the same transaction, so the next batch's scan of the end
 * table (which has no index) does not read them again. */
static const char *const prune_then[] = {
    NULL,
    NULL,
    "DELETE FROM logon_session_ends WHERE id IN (SELECT e.id FROM logon_session_ends e "
    "WHERE e.last_seen < ?1 AND NOT EXISTS (SELECT 1 FROM logon_sessions l "
    "WHERE l.id = e.logon_id) LIMIT ?2)",
    NULL,
    "DELETE FROM wts_session_ends WHERE id IN (SELECT e.id FROM wts_session_ends e "
    "WHERE e.last_seen < ?1 AND NOT EXISTS (SELECT 1 FROM wts_sessions w "
    "WHERE w.id = e.wts_id) LIMIT ?2)",
    NULL,
    NULL,
    NULL,
    NULL,
};
#define N_PRUNE (sizeof prune_sql / sizeof prune_sql[0])
_Static_assert(sizeof prune_then / sizeof prune_then[0] == N_PRUNE, "one prune_then per DELETE");

/* Pages the incremental vacuum returns per transaction. */
#define VACUUM_STEP 1024

static int64_t query_int(sqlite3 *db, const char *sql, int *src) {
  sqlite3_stmt *s = NULL;
  int64_t v = 0;
  *src = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  if (*src == SQLITE_OK) {
    *src = sqlite3_step(s);
    if (*src == SQLITE_ROW) {
      v = sqlite3_column_int64(s, 0);
      *src = SQLITE_OK;
    }
  }
  sqlite3_finalize(s);
  return v;
}

static void keep_min(int64_t *keep, const struct lw__boot *b) {
  if (b != NULL && b->row_id != 0 && b->row_id < *keep)
    *keep = b->row_id;
}

/* Oldest boot row the store refers to: the latest in the database, the
 * current one, and any older one that something still queued belongs to (a
 * poll or a session of a boot that ended while the database was failing). */
static int64_t keep_boots_from(struct lw_store *st) {
  const struct lw__model *m = &st->m;
  const struct lw__poll *p;
  int64_t keep = 0;
  size_t i;
  (void)lw__store_latest_boot(st, &keep);
  keep_min(&keep, m->boots);
  for (p = m->polls; p != NULL; p = p->next)
    keep_min(&keep, p->boot);
  for (i = 0; i < m->n_ldirty; i++)
    keep_min(&keep, m->ldirty[i]->boot);
  for (i = 0; i < m->n_wdirty; i++)
    keep_min(&keep, m->wdirty[i]->boot);
  return keep;
}

int lw_store_prune(struct lw_store *st, int64_t older_than_ms, int max_rows_per_batch,
                   struct lw_store_prune_result *res) {
  struct lw_store_prune_result local;
  sqlite3_stmt *s = NULL, *then = NULL;
  size_t k;
  int src = SQLITE_OK, rc = 0;
  int64_t av;

  if (res == NULL)
    res = &local;
  memset(res, 0, sizeof *res);
  if (st == NULL || st->opts.read_only)
    return LW_EINVAL;
  if (st->db == NULL)
    return LW_EBUSY; /* deferred: the database is not open yet */
  if (max_rows_per_batch <= 0)
    max_rows_per_batch = 500;

  for (k = 0; k < N_PRUNE && rc == 0; k++) {
    src = sqlite3_prepare_v2(st->db, prune_sql[k], -1, &s, NULL);
    if (src == SQLITE_OK && prune_then[k] != NULL)
      src = sqlite3_prepare_v2(st->db, prune_then[k], -1, &then, NULL);
    if (src != SQLITE_OK) {
      rc = lw__store_err(src);
      sqlite3_finalize(s);
      sqlite3_finalize(then);
      break;
    }
    for (;;) {
      int n, m = 0;
      src = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
      if (src != SQLITE_OK)
        break;
      sqlite3_reset(s);
      sqlite3_bind_int64(s, 1, k + 1 == N_PRUNE ? keep_boots_from(st) : older_than_ms);
      sqlite3_bind_int(s, 2, max_rows_per_batch);
      src = sqlite3_step(s);
      n = sqlite3_changes(st->db);
      if (src == SQLITE_DONE && then != NULL && n > 0) {
        sqlite3_reset(then);
        sqlite3_bind_int64(then, 1, older_than_ms);
        sqlite3_bind_int(then, 2, n);
        src = sqlite3_step(then);
        m = sqlite3_changes(st->db);
      }
      if (src == SQLITE_DONE)
        src = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
      if (src != SQLITE_OK) {
        if (!sqlite3_get_autocommit(st->db))
          (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        break;
      }
      res->batches++;
      res->rows_deleted += (uint64_t)n + (uint64_t)m;
      if (n < max_rows_per_batch)
        break;
    }
    if (src != SQLITE_OK)
      rc = lw__store_err(src);
    sqlite3_finalize(s);
    sqlite3_finalize(then);
    s = NULL;
    then = NULL;
  }
  if (rc != 0)
    return rc;

  /* Give the free pages back (only a database made with auto_vacuum =
   * INCREMENTAL can), a step at a time; stop if a step frees nothing. */
  av = query_int(st->db, "PRAGMA auto_vacuum", &src);
  if (src == SQLITE_OK && av == 2) {
    int64_t free_pages = query_int(st->db, "PRAGMA freelist_count", &src);
    while (src == SQLITE_OK && free_pages > 0) {
      char sql[64];
      int64_t before = free_pages;
      snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%d)", VACUUM_STEP);
      src = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
      if (src != SQLITE_OK)
        break;
      free_pages = query_int(st->db, "PRAGMA freelist_count", &src);
      if (src != SQLITE_OK || free_pages >= before)
        break;
      res->pages_freed += before - free_pages;
    }
    if (src != SQLITE_OK)
      rc = lw__store_err(src);
  }
  /* The file is truncated when the WAL is copied back; passive: never wait
   * for a reader. */
  if (rc == 0)
    (void)sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  return rc;
}

int lw_store_checkpoint(struct lw_store *st, int *pages) {
  int log = 0, done = 0, src;
  if (pages != NULL)
    *pages = 0;
  if (st == NULL || st->opts.read_only)
    return LW_EINVAL;
  if (st->db == NULL)
    return LW_EBUSY; /* deferred: nothing written since */
  if (st->wal_pages < LW_STORE_CHECKPOINT_PAGES)
    return 0;
  /* Passive: a reader holding old pages keeps them in the WAL, and the next
   * call copies the rest; the WAL restarts only once all were copied. */
  src = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  if (pages != NULL)
    *pages = done;
  if (done >= log)
    st->wal_pages = 0;
  return 0;
}
