/*
 * store_open.c - opening the history database's file (lw__store_open_db, for
 * store.c and store_defer.c): the checks made before trusting an existing
 * file, moving a bad one aside, the connection settings and migrations.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "store_internal.h"
#include "timefmt.h"

#ifdef _WIN32
#include <wchar.h>
#include "utf16.h"
#endif

/* ---- Files (UTF-8 paths; _wfopen/_wrename on Windows) ---------------------- */

#ifdef _WIN32
static wchar_t *widen(const char *s) {
  size_t n = 0;
  wchar_t *w;
  lw_utf8_to_utf16(s, strlen(s), NULL, 0, &n);
  w = malloc((n + 1) * sizeof *w);
  if (w != NULL && lw_utf8_to_utf16(s, strlen(s), (uint16_t *)w, n + 1, NULL) != 0) {
    free(w);
    w = NULL;
  }
  return w;
}

static FILE *file_open_read(const char *path) {
  wchar_t *w = widen(path);
  FILE *f = w != NULL ? _wfopen(w, L"rb") : NULL;
  free(w);
  return f;
}

static int file_rename(const char *from, const char *to) {
  wchar_t *wf = widen(from), *wt = widen(to);
  int rc = (wf != NULL && wt != NULL) ? _wrename(wf, wt) : -1;
  free(wf);
  free(wt);
  return rc;
}

static int file_remove(const char *path) {
  wchar_t *w = widen(path);
  int rc = w != NULL ? _wremove(w) : -1;
  free(w);
  return rc;
}
#else
static FILE *file_open_read(const char *path) {
  return fopen(path, "rb");
}

static int file_rename(const char *from, const char *to) {
  return rename(from, to);
}

static int file_remove(const char *path) {
  return remove(path);
}
#endif

enum file_state { FILE_MISSING, FILE_EMPTY, FILE_PRESENT };

/* The database header: the first 100 bytes of the file (sqlite.org/fileformat). */
#define HEADER_SIZE 100

/* What is at `path`: nothing, an empty file, or a file whose first bytes are
 * copied to head (*head_len of them). Returns 0 or LW_EACCES / LW_EIO. */
static int file_probe(const char *path, enum file_state *state, unsigned char head[HEADER_SIZE],
                      size_t *head_len) {
  FILE *f;
  errno = 0;
  f = file_open_read(path);
  if (f == NULL) {
    if (errno == ENOENT) {
      *state = FILE_MISSING;
      return 0;
    }
    return errno == EACCES ? LW_EACCES : LW_EIO;
  }
  *head_len = fread(head, 1, HEADER_SIZE, f);
  fclose(f);
  *state = *head_len == 0 ? FILE_EMPTY : FILE_PRESENT;
  return 0;
}

static int file_exists(const char *path) {
  FILE *f = file_open_read(path);
  if (f == NULL)
    return 0;
  fclose(f);
  return 1;
}

char *lw__store_concat(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  char *s = malloc(na + nb + 1);
  if (s != NULL) {
    memcpy(s, a, na);
    memcpy(s + na, b, nb + 1);
  }
  return s;
}

/* Removes a -wal/-shm left beside a database that does not exist (or is empty):
 * SQLite would otherwise try to replay a log that belongs to nothing. */
static void remove_orphan_logs(const char *path) {
  static const char *const suffixes[] = {"-wal", "-shm"};
  size_t i;
  for (i = 0; i < 2; i++) {
    char *p = lw__store_concat(path, suffixes[i]);
    if (p != NULL && file_exists(p))
      (void)file_remove(p);
    free(p);
  }
}

/* Moves path (and its -wal, -shm) to path.corrupt-YYYYMMDDTHHMMSSZ[-N]. Returns
 * 0 with the new name in info, or an LW_E* code with err set. */
static int move_aside(const char *path, struct lw_store_open_info *info, char *err, size_t errlen) {
  static const char *const suffixes[] = {"-wal", "-shm"};
  char iso[LW_ISO_TIME_SIZE], stamp[32], target[LW_STORE_PATH_MAX];
  size_t i, j = 0;
  int n, attempt;
  const char *p;

  lw_time_format_iso((int64_t)time(NULL) * 1000, iso);
  /* 2026-11-21T09:00:00Z -> 20261121T090000Z: no ':' (not allowed on Windows). */
  for (p = iso; *p != '\0' && j + 1 < sizeof stamp; p++)
    if (*p != '-' && *p != ':')
      stamp[j++] = *p;
  stamp[j] = '\0';

  for (attempt = 0;; attempt++) {
    if (attempt == 0)
      n = snprintf(target, sizeof target, "%s.corrupt-%s", path, stamp);
    else
      n = snprintf(target, sizeof target, "%s.corrupt-%s-%d", path, stamp, attempt);
    if (n < 0 || (size_t)n + 5 > sizeof target) {
      lw__store_seterr(err, errlen, "%s: path too long to move the damaged file aside", path);
      return LW_ERANGE;
    }
    if (!file_exists(target))
      break;
    if (attempt > 100) {
      lw__store_seterr(err, errlen, "%s: cannot find a free name to move it aside", path);
      return LW_EEXIST;
    }
  }
  if (file_rename(path, target) != 0) {
    lw__store_seterr(err, errlen, "%s is damaged and cannot be moved aside to %s: %s", path, target,
                     strerror(errno));
    return LW_EIO;
  }
  if (info != NULL)
    snprintf(info->moved_aside_to, sizeof info->moved_aside_to, "%s", target);
  for (i = 0; i < 2; i++) {
    char *from = lw__store_concat(path, suffixes[i]);
    char *to = lw__store_concat(target, suffixes[i]);
    if (from != NULL && to != NULL && file_exists(from))
      (void)file_rename(from, to); /* best effort: the main file is what matters */
    free(from);
    free(to);
  }
  return 0;
}

/* ---- Checks ---------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* A database this code may open, by its application_id and user_version:
 * LW_EINVAL for another application's or a negative version (no LeakWatch
 * writes it), LW_ETOONEW for a newer one; err says which. */
static int check_identity(const char *path, int64_t app, int64_t uv, char *err, size_t errlen) {
  if (app != 0 && app != LW_STORE_APPLICATION_ID) {
    lw__store_seterr(err, errlen,
                     "%s is a SQLite database of another application (application_id %lld), "
                     "not LeakWatch history; it was not changed",
                     path, (long long)app);
    return LW_EINVAL;
  }
  if (uv < 0) {
    lw__store_seterr(err, errlen,
                     "%s has the schema version %lld, which no LeakWatch writes: not LeakWatch "
                     "history; it was not changed",
                     path, (long long)uv);
    return LW_EINVAL;
  }
  if (uv > LW_STORE_SCHEMA_VERSION) {
    lw__store_seterr(err, errlen,
                     "%s was written by a newer LeakWatch (schema version %lld; this version "
                     "reads up to %d). Upgrade LeakWatch or set `database` to another file; "
                     "the file was not changed",
                     path, (long long)uv, LW_STORE_SCHEMA_VERSION);
    return LW_ETOONEW;
  }
  return 0;
}

/* Refuses from the header bytes alone, before SQLite opens the file (which
 * could create a -shm beside it): another application's database, or one a
 * newer LeakWatch wrote. A WAL not yet copied back can only hold a newer
 * header, which inspect() then sees. Returns 0 or LW_EINVAL / LW_ETOONEW. */
static int check_header(const char *path, const unsigned char *head, size_t len, char *err,
                        size_t errlen) {
  uint32_t app;
  int32_t uv;
  if (len < HEADER_SIZE)
    return 0;                    /* too short to judge here: inspect() finds it damaged */
  uv = (int32_t)be32(head + 60); /* PRAGMA user_version is signed */
  app = be32(head + 68);
  return check_identity(path, app, uv, err, errlen);
}

/* Runs a one-value query; the value (text) goes to out. Returns an SQLite code. */
static int query_text(sqlite3 *db, const char *sql, char *out, size_t outlen) {
  sqlite3_stmt *s = NULL;
  int src = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  if (src == SQLITE_OK) {
    src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
      const unsigned char *t = sqlite3_column_text(s, 0);
      snprintf(out, outlen, "%s", t != NULL ? (const char *)t : "");
      src = SQLITE_OK;
    } else if (src == SQLITE_DONE) {
      snprintf(out, outlen, "%s", "");
      src = SQLITE_OK;
    }
  }
  sqlite3_finalize(s);
  return src;
}

static int query_int(sqlite3 *db, const char *sql, int64_t *out) {
  char buf[32];
  int src = query_text(db, sql, buf, sizeof buf);
  if (src == SQLITE_OK)
    *out = strtoll(buf, NULL, 10);
  return src;
}

/* Looks at an existing SQLite file through a read-only connection (so nothing,
 * not even a WAL checkpoint at close, can change it): whose it is, its schema
 * version, and PRAGMA quick_check. Returns 0 with *version, or LW_ECORRUPT
 * (reason set: the caller may move it aside), LW_ETOONEW / LW_EINVAL (refuse,
 * untouched), or another LW_E* code. */
static int inspect(const char *path, int busy_ms, int *version, char *reason, size_t reasonlen,
                   char *err, size_t errlen) {
  sqlite3 *db = NULL;
  int64_t app_id = 0, uv = 0, tables = 0;
  char check[256] = "";
  int src, rc = 0;

  src = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
  if (src == SQLITE_OK) {
    sqlite3_busy_timeout(db, busy_ms);
    src = query_int(db, "PRAGMA application_id", &app_id);
  }
  if (src == SQLITE_OK)
    src = query_int(db, "PRAGMA user_version", &uv);
  if (src == SQLITE_OK)
    src = query_int(db, "SELECT count(*) FROM sqlite_schema", &tables);
  if (src != SQLITE_OK) {
    rc = lw__store_err(src);
    if (rc == LW_ECORRUPT)
      snprintf(reason, reasonlen, "%s", db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(src));
    else
      lw__store_seterr(err, errlen, "%s: %s", path,
                       db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(src));
    goto cleanup;
  }
  rc = check_identity(path, app_id, uv, err, errlen);
  if (rc != 0)
    goto cleanup;
  if (uv == 0 && tables != 0) {
    lw__store_seterr(err, errlen,
                     "%s is a SQLite database without LeakWatch history (user_version 0, %lld "
                     "schema objects); it was not changed",
                     path, (long long)tables);
    rc = LW_EINVAL;
    goto cleanup;
  }
  src = query_text(db, "PRAGMA quick_check(1)", check, sizeof check);
  if (src != SQLITE_OK) {
    rc = lw__store_err(src);
    if (rc == LW_ECORRUPT)
      snprintf(reason, reasonlen, "quick_check: %s", sqlite3_errmsg(db));
    else
      lw__store_seterr(err, errlen, "%s: quick_check: %s", path, sqlite3_errmsg(db));
    goto cleanup;
  }
  if (strcmp(check, "ok") != 0) {
    snprintf(reason, reasonlen, "quick_check: %s", check);
    rc = LW_ECORRUPT;
    goto cleanup;
  }
  *version = (int)uv;
cleanup:
  sqlite3_close(db);
  return rc;
}

/* ---- Open -------------------------------------------------------------------- */

void lw__store_close_db(struct lw_store *st) {
  size_t i;
  for (i = 0; i < LW__ST_COUNT; i++) {
    sqlite3_finalize(st->stmts[i]);
    st->stmts[i] = NULL;
  }
  sqlite3_close(st->db);
  st->db = NULL;
}

/* After each commit: `pages` are in the WAL. A poll writes a dozen pages,
 * mostly the same hot ones (the ends of the tables and indexes, the header),
 * so they are copied back in batches; past LW_STORE_WAL_AUTOCHECKPOINT (no
 * lw_store_checkpoint between polls) the commit does it, as SQLite would. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages) {
  struct lw_store *st = arg;
  st->wal_pages = pages;
  if (pages >= LW_STORE_WAL_AUTOCHECKPOINT &&
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK)
    st->wal_pages = 0;
  return SQLITE_OK;
}

/* Settings for every connection; then, for a writer, WAL and the schema. */
static int configure(struct lw_store *st, int busy_ms, bool is_new, int version, char *err,
                     size_t errlen) {
  sqlite3 *db = st->db;
  int rc = 0;

  sqlite3_busy_timeout(db, busy_ms);
  sqlite3_extended_result_codes(db, 1);
  rc = lw__store_exec(db, "PRAGMA foreign_keys = ON", err, errlen);
  if (rc != 0 || st->opts.read_only)
    return rc;
  /* Before the first table exists, or it cannot be changed without a VACUUM. */
  if (is_new)
    rc = lw__store_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", err, errlen);
  if (rc == 0) {
    char mode[16] = "";
    int src = query_text(db, "PRAGMA journal_mode = WAL", mode, sizeof mode);
    if (src != SQLITE_OK) {
      lw__store_seterr(err, errlen, "%s: cannot switch to WAL: %s", st->path, sqlite3_errmsg(db));
      rc = lw__store_err(src);
    } else if (strcmp(mode, "wal") != 0) {
      lw__store_seterr(err, errlen, "%s: the file system does not allow WAL mode (got %s)",
                       st->path, mode);
      rc = LW_EIO;
    }
  }
  /* NORMAL in WAL mode: a killed process loses nothing committed; a power cut
   * may lose the last polls but never the database's consistency. */
  if (rc == 0)
    rc = lw__store_exec(db, "PRAGMA synchronous = NORMAL", err, errlen);
  /* The WAL is copied back between polls (lw_store_checkpoint), not by the
   * commit of the poll that crosses SQLite's threshold: the hook only counts,
   * and checkpoints itself past the backstop. After a checkpoint, the WAL file
   * is kept no bigger than the backstop (a big prune or a long reader can make
   * it grow past it). */
  if (rc == 0) {
    char sql[64];
    sqlite3_wal_hook(db, wal_hook, st);
    snprintf(sql, sizeof sql, "PRAGMA journal_size_limit = %d",
             LW_STORE_WAL_AUTOCHECKPOINT * 4096 + 1048576);
    rc = lw__store_exec(db, sql, err, errlen);
  }
  /* The -wal and -shm files stay after the last close: a reader who may read
   * the folder but not write it (the `readers` group) cannot make them, and
   * SQLite opens a WAL database read-only only when they exist. */
  if (rc == 0) {
    int persist = 1;
    rc = lw__store_err(sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist));
  }
  if (rc == 0) {
    char merr[256] = "";
    rc = lw__store_migrate(db, version, merr, sizeof merr);
    if (rc != 0)
      lw__store_seterr(err, errlen, "%s: cannot create or upgrade the schema from version %d: %s",
                       st->path, version, merr);
  }
  return rc;
}

int lw__store_open_db(struct lw_store *st, int busy_ms, struct lw_store_open_info *info, char *err,
                      size_t errlen) {
  const char *path = st->path;
  enum file_state fs = FILE_MISSING;
  unsigned char head[HEADER_SIZE];
  size_t head_len = 0;
  int version = 0, rc, src, flags;
  bool is_new = false;
  char reason[256] = "";

  rc = file_probe(path, &fs, head, &head_len);
  if (rc != 0) {
    lw__store_seterr(err, errlen, "%s: cannot read it: %s", path, strerror(errno));
    return rc;
  }
  /* Only a file that is a LeakWatch database, or none, is used: `database`
   * naming any other file (a typo pointing at the configuration, a system
   * file) must not make the service, running as LocalSystem, rename it and
   * write in its place. A damaged LeakWatch database is still moved aside. */
  if (fs == FILE_EMPTY && !st->opts.read_only) {
    lw__store_seterr(err, errlen,
                     "%s is an empty file, not a LeakWatch history database; it was not changed. "
                     "Delete it, or set `database` to another file",
                     path);
    return LW_EINVAL;
  }
  if (fs == FILE_PRESENT) {
    if (head_len < 16 || memcmp(head, "SQLite format 3", 16) != 0) {
      lw__store_seterr(err, errlen,
                       "%s is not a SQLite database, so not LeakWatch history; it was not "
                       "changed. Set `database` to another file, or move this one away",
                       path);
      return LW_EINVAL;
    } else {
      rc = check_header(path, head, head_len, err, errlen);
      if (rc == 0)
        rc = inspect(path, busy_ms, &version, reason, sizeof reason, err, errlen);
    }
    if (rc == LW_ECORRUPT) {
      snprintf(info->moved_reason, sizeof info->moved_reason, "%s", reason);
      if (st->opts.read_only) {
        lw__store_seterr(err, errlen, "%s is damaged: %s", path, reason);
        return rc;
      }
      rc = move_aside(path, info, err, errlen);
      if (rc != 0)
        return rc;
      fs = FILE_MISSING;
      version = 0;
    } else if (rc != 0) {
      return rc;
    }
  }
  if (fs != FILE_PRESENT) {
    if (st->opts.read_only) {
      lw__store_seterr(err, errlen, "%s: no history database there", path);
      return LW_ENOENT;
    }
    remove_orphan_logs(path);
    is_new = true;
  }
  info->schema_found = version;
  info->created = is_new;
  if (st->opts.read_only && version < 1) {
    lw__store_seterr(err, errlen, "%s holds no LeakWatch history yet", path);
    return LW_ENOENT;
  }

  flags = st->opts.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  src = sqlite3_open_v2(path, &st->db, flags, NULL);
  if (src != SQLITE_OK) {
    rc = lw__store_err(src);
    lw__store_seterr(err, errlen, "%s: cannot open: %s", path,
                     st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(src));
    goto fail;
  }
  rc = configure(st, busy_ms, is_new, version, err, errlen);
  if (rc != 0)
    goto fail;
  if (!st->opts.read_only) {
    rc = lw__model_load(st);
    if (rc != 0) {
      lw__store_seterr(err, errlen, "%s: cannot read the live sessions: %s", path,
                       sqlite3_errmsg(st->db));
      goto fail;
    }
  }
  sqlite3_busy_timeout(st->db, st->opts.busy_timeout_ms);
  return 0;

fail:
  lw__store_close_db(st);
  return rc;
}
