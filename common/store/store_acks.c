/*
 * store_acks.c - the acks table (schema 6): read by the service and the CLI
 * through a store, written by `leakwatch ack` on a short connection of its own
 * beside the running service (see store.h, "Known leaks").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ack.h"
#include "alloc.h"
#include "error.h"
#include "luid.h"
#include "store_internal.h"
#include "timefmt.h"

static int64_t col_time(sqlite3_stmt *s, int i) {
  return sqlite3_column_type(s, i) == SQLITE_NULL ? LW_TIME_UNKNOWN : sqlite3_column_int64(s, i);
}

static const char *col_text(sqlite3_stmt *s, int i) {
  const unsigned char *t = sqlite3_column_text(s, i);
  return t != NULL ? (const char *)t : "";
}

/* One row (id, kind, target, reason, created_at, created_by, expires_at) as
 * an entry whose strings point into the statement. */
static void row_ack(sqlite3_stmt *s, struct lw_ack *a) {
  memset(a, 0, sizeof *a);
  a->id = sqlite3_column_int64(s, 0);
  a->kind = lw_ack_kind_from_name(col_text(s, 1));
  a->target = (char *)col_text(s, 2);
  a->reason = (char *)col_text(s, 3);
  a->created_at = col_time(s, 4);
  a->created_by = (char *)col_text(s, 5);
  a->expires_at = col_time(s, 6);
  if (a->kind == LW_ACK_LUID)
    (void)lw_luid_parse(a->target, &a->luid);
}

#define ACK_COLUMNS "id, kind, target, reason, created_at, created_by, expires_at"

static int has_acks_table(sqlite3 *db) {
  sqlite3_stmt *s = NULL;
  int found = 0;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'acks'",
                         -1, &s, NULL) == SQLITE_OK)
    found = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_finalize(s);
  return found;
}

int lw_store_acks_load(struct lw_store *st, struct lw_ack_set *out) {
  sqlite3_stmt *s = NULL;
  int src, rc = 0;
  if (st == NULL || out == NULL)
    return LW_EINVAL;
  if (st->db == NULL)
    return LW_EBUSY;
  if (!has_acks_table(st->db))
    return LW_ENOENT;
  src = sqlite3_prepare_v2(st->db, "SELECT " ACK_COLUMNS " FROM acks ORDER BY id", -1, &s, NULL);
  if (src != SQLITE_OK)
    return lw__store_err(src);
  while (rc == 0 && (src = sqlite3_step(s)) == SQLITE_ROW) {
    struct lw_ack a;
    row_ack(s, &a);
    if (a.kind != 0) /* the CHECK keeps others out; a hand-made row is skipped */
      rc = lw_ack_set_add(out, &a);
  }
  if (rc == 0 && src != SQLITE_DONE)
    rc = lw__store_err(src);
  sqlite3_finalize(s);
  return rc;
}

int lw_store_changed_elsewhere(struct lw_store *st) {
  sqlite3_stmt *s = NULL;
  int src, rc;
  int64_t v;
  if (st == NULL)
    return LW_EINVAL;
  if (st->db == NULL)
    return LW_EBUSY;
  src = sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &s, NULL);
  if (src == SQLITE_OK)
    src = sqlite3_step(s);
  if (src != SQLITE_ROW) {
    sqlite3_finalize(s);
    return lw__store_err(src);
  }
  v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  rc = !st->data_version_seen || v != st->data_version;
  st->data_version = v;
  st->data_version_seen = true;
  return rc;
}

/* ---- Writes (leakwatch ack) --------------------------------------------------- */

static int query_int(sqlite3 *db, const char *sql, int64_t *out) {
  sqlite3_stmt *s = NULL;
  int src = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  if (src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
    *out = sqlite3_column_int64(s, 0);
    src = SQLITE_OK;
  }
  sqlite3_finalize(s);
  return src;
}

/* The OS error of a failed open says "access denied" (not "not found"). */
static int os_access_denied(int e) {
#ifdef _WIN32
  return e == 5; /* ERROR_ACCESS_DENIED */
#else
  return e == EACCES || e == EPERM;
#endif
}

static int access_denied(const char *path, char *err, size_t errlen) {
  lw__store_seterr(err, errlen,
                   "%s: access denied: only administrators and SYSTEM may change the history "
                   "(the data folder's permissions); run leakwatch from an elevated prompt",
                   path);
  return LW_EACCES;
}

/* Opens the existing LeakWatch database at path for writing, schema 6 or
 * later up to this code's; never creates nor migrates it. */
static int open_for_ack(const char *path, int busy_ms, sqlite3 **out, char *err, size_t errlen) {
  sqlite3 *db = NULL;
  int64_t app = 0, uv = 0;
  int src = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
  int rc = 0;

  *out = NULL;
  if (src == SQLITE_CANTOPEN) {
    /* Missing, or there but not ours to open: tell which. */
    int denied = db != NULL && os_access_denied(sqlite3_system_errno(db));
    sqlite3_close(db);
    if (denied)
      return access_denied(path, err, errlen);
    db = NULL;
    src = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_close(db);
    if (src == SQLITE_OK)
      return access_denied(path, err, errlen);
    lw__store_seterr(err, errlen,
                     "%s: no history database there (the LeakWatch service creates it when it "
                     "starts)",
                     path);
    return LW_ENOENT;
  }
  if (src != SQLITE_OK) {
    rc = lw__store_err(src);
    lw__store_seterr(err, errlen, "%s: cannot open: %s", path,
                     db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(src));
    goto fail;
  }
  sqlite3_busy_timeout(db, busy_ms > 0 ? busy_ms : LW_STORE_DEFAULT_BUSY_TIMEOUT_MS);
  src = query_int(db, "PRAGMA application_id", &app);
  if (src == SQLITE_OK)
    src = query_int(db, "PRAGMA user_version", &uv);
  if (src != SQLITE_OK) {
    rc = lw__store_err(src);
    if (rc == LW_EACCES || src == SQLITE_CANTOPEN)
      rc = access_denied(path, err, errlen);
    else
      lw__store_seterr(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
    goto fail;
  }
  if (app != LW_STORE_APPLICATION_ID || uv < 1) {
    lw__store_seterr(err, errlen, "%s is not a LeakWatch history database; it was not changed",
                     path);
    rc = LW_EINVAL;
  } else if (uv > LW_STORE_SCHEMA_VERSION) {
    lw__store_seterr(err, errlen,
                     "%s was written by a newer LeakWatch (schema version %lld; this version "
                     "writes up to %d): use that version's leakwatch; it was not changed",
                     path, (long long)uv, LW_STORE_SCHEMA_VERSION);
    rc = LW_ETOONEW;
  } else if (uv < LW_STORE_SCHEMA_ACKS || !has_acks_table(db)) {
    lw__store_seterr(err, errlen,
                     "%s is schema version %lld, older than the acknowledgements (version %d): "
                     "upgrade the LeakWatch service, or start it once (it brings the database "
                     "up to date when it starts), then try again; it was not changed",
                     path, (long long)uv, LW_STORE_SCHEMA_ACKS);
    rc = LW_EINVAL;
  } else if (sqlite3_db_readonly(db, "main") == 1) {
    rc = access_denied(path, err, errlen);
  }
  if (rc != 0)
    goto fail;
  *out = db;
  return 0;
fail:
  sqlite3_close(db);
  return rc;
}

/* Runs `sql` with its bindings done by bind(ctx) in one IMMEDIATE transaction;
 * *changes gets the rows changed. */
static int write_once(sqlite3 *db, const char *path, const char *sql,
                      void (*bind)(sqlite3_stmt *, const void *), const void *ctx, int64_t *changes,
                      char *err, size_t errlen) {
  sqlite3_stmt *s = NULL;
  int src = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (src == SQLITE_OK)
    src = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  if (src == SQLITE_OK) {
    bind(s, ctx);
    src = sqlite3_step(s);
    if (src == SQLITE_DONE || src == SQLITE_ROW) {
      *changes = sqlite3_changes64(db);
      src = SQLITE_OK;
    }
  }
  sqlite3_finalize(s);
  if (src == SQLITE_OK)
    src = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  if (src != SQLITE_OK) {
    int rc = lw__store_err(src);
    if (rc == LW_EACCES)
      return access_denied(path, err, errlen);
    if (rc == LW_EBUSY)
      lw__store_seterr(err, errlen,
                       "%s: the database stayed locked by another program (%s); try again", path,
                       sqlite3_errmsg(db));
    else
      lw__store_seterr(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
    (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
  }
  return 0;
}

static void bind_add(sqlite3_stmt *s, const void *ctx) {
  const struct lw_ack *a = ctx;
  sqlite3_bind_text(s, 1, lw_ack_kind_name(a->kind), -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, a->target, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 3, a->reason, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 4, a->created_at);
  if (a->created_by != NULL && a->created_by[0] != 0)
    sqlite3_bind_text(s, 5, a->created_by, -1, SQLITE_TRANSIENT);
  if (a->expires_at != LW_TIME_UNKNOWN)
    sqlite3_bind_int64(s, 6, a->expires_at);
}

int lw_store_ack_add(const char *path, const struct lw_ack *a, int busy_ms, int64_t *id, char *err,
                     size_t errlen) {
  sqlite3 *db = NULL;
  int64_t changes = 0;
  int rc;
  if (path == NULL || a == NULL || a->target == NULL || a->reason == NULL || id == NULL ||
      lw_ack_kind_name(a->kind)[0] == '?')
    return LW_EINVAL;
  rc = open_for_ack(path, busy_ms, &db, err, errlen);
  if (rc != 0)
    return rc;
  rc = write_once(db, path,
                  "INSERT INTO acks(kind, target, reason, created_at, created_by, expires_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  bind_add, a, &changes, err, errlen);
  if (rc == 0)
    *id = sqlite3_last_insert_rowid(db);
  sqlite3_close(db);
  return rc;
}

static void bind_id(sqlite3_stmt *s, const void *ctx) {
  sqlite3_bind_int64(s, 1, *(const int64_t *)ctx);
}

int lw_store_ack_remove(const char *path, int64_t id, int busy_ms, struct lw_ack *removed,
                        char *err, size_t errlen) {
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  int64_t changes = 0;
  int rc;
  if (path == NULL)
    return LW_EINVAL;
  rc = open_for_ack(path, busy_ms, &db, err, errlen);
  if (rc != 0)
    return rc;
  if (removed != NULL) {
    memset(removed, 0, sizeof *removed);
    if (sqlite3_prepare_v2(db, "SELECT " ACK_COLUMNS " FROM acks WHERE id = ?1", -1, &s, NULL) ==
            SQLITE_OK &&
        (sqlite3_bind_int64(s, 1, id), sqlite3_step(s)) == SQLITE_ROW) {
      struct lw_ack a;
      row_ack(s, &a);
      *removed = a;
      removed->target = lw_strdup(a.target);
      removed->reason = lw_strdup(a.reason);
      removed->created_by = lw_strdup(a.created_by);
    }
    sqlite3_finalize(s);
  }
  rc = write_once(db, path, "DELETE FROM acks WHERE id = ?1", bind_id, &id, &changes, err, errlen);
  if (rc == 0 && changes == 0) {
    lw__store_seterr(err, errlen, "%s: no acknowledgement with id %lld (see leakwatch ack --list)",
                     path, (long long)id);
    rc = LW_ENOENT;
  }
  sqlite3_close(db);
  return rc;
}
