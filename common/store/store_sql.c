/*
 * store_sql.c - the small SQLite helpers every store file shares (see
 * store_internal.h): error codes and messages, running constant SQL, binding
 * and reading times, texts and the stored session columns. The bottom of the
 * store: it calls no other store file.
 */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"
#include "store_internal.h"

/* ---- Shared helpers -------------------------------------------------------- */

void lw__store_seterr(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lw_vseterr(err, errlen, fmt, ap);
  va_end(ap);
}

int lw__store_err(int sqlite_rc) {
  switch (sqlite_rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_ROW:
  case SQLITE_DONE:
    return 0;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return LW_EBUSY;
  case SQLITE_FULL:
    return LW_ENOSPC;
  case SQLITE_NOMEM:
    return LW_ENOMEM;
  case SQLITE_IOERR:
    return sqlite_rc == SQLITE_IOERR_NOMEM ? LW_ENOMEM : LW_EIO;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return LW_ECORRUPT;
  case SQLITE_PERM:
  case SQLITE_READONLY:
  case SQLITE_AUTH:
    return LW_EACCES;
  case SQLITE_CANTOPEN:
    return LW_EIO;
  default:
    return LW_EDB;
  }
}

int lw__store_exec(sqlite3 *db, const char *sql, char *err, size_t errlen) {
  char *msg = NULL;
  int src = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if (src != SQLITE_OK)
    lw__store_seterr(err, errlen, "%s", msg != NULL ? msg : sqlite3_errstr(src));
  sqlite3_free(msg);
  return lw__store_err(src);
}

int lw__bind_time(sqlite3_stmt *s, int col, int64_t ms) {
  return ms == LW_TIME_UNKNOWN ? sqlite3_bind_null(s, col) : sqlite3_bind_int64(s, col, ms);
}

int lw__bind_text(sqlite3_stmt *s, int col, const char *text) {
  return text == NULL ? sqlite3_bind_null(s, col)
                      : sqlite3_bind_text(s, col, text, -1, SQLITE_TRANSIENT);
}

int64_t lw__column_time(sqlite3_stmt *s, int col) {
  return sqlite3_column_type(s, col) == SQLITE_NULL ? LW_TIME_UNKNOWN
                                                    : sqlite3_column_int64(s, col);
}

const char *lw__column_text(sqlite3_stmt *s, int col) {
  return (const char *)sqlite3_column_text(s, col);
}

void lw__column_logon(sqlite3_stmt *s, int col, struct lw_logon_session *out) {
  out->luid = (uint64_t)sqlite3_column_int64(s, col);
  out->data_status = (uint32_t)sqlite3_column_int64(s, col + 1);
  out->logon_type = (uint32_t)sqlite3_column_int64(s, col + 2);
  out->terminal_session = (uint32_t)sqlite3_column_int64(s, col + 3);
  out->logon_time = lw__column_time(s, col + 4);
  out->user = lw__column_text(s, col + 5);
  out->domain = lw__column_text(s, col + 6);
  out->sid = lw__column_text(s, col + 7);
  out->auth_package = lw__column_text(s, col + 8);
  out->logon_server = lw__column_text(s, col + 9);
  out->dns_domain = lw__column_text(s, col + 10);
  out->upn = lw__column_text(s, col + 11);
}

void lw__column_wts(sqlite3_stmt *s, int col, struct lw_wts_session *out) {
  out->state = (uint32_t)sqlite3_column_int64(s, col);
  out->station = lw__column_text(s, col + 1);
  out->user = lw__column_text(s, col + 2);
  out->domain = lw__column_text(s, col + 3);
  out->client = lw__column_text(s, col + 4);
  out->client_address = lw__column_text(s, col + 5);
  out->logon_time = lw__column_time(s, col + 6);
  out->connect_time = lw__column_time(s, col + 7);
  out->disconnect_time = lw__column_time(s, col + 8);
}
