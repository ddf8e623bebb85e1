/*
 * store_internal.h - what the store's files share (not a public header).
 *
 * The store is split by concern, each file calling only the ones listed
 * before it (no circle; tests/lint/layering.sh): store_sql.c (the shared SQLite
 * helpers), store_stmts.c (the statement table), store_schema.c (DDL and
 * migrations), store_model.c (the in-memory state and the diff of a snapshot
 * against it), store_load.c (that state rebuilt from the database),
 * store_query.c (reads: snapshots at a time, row iterators), store_prune.c
 * (retention), store_open.c (opening, file checks, moving a bad file aside),
 * store_defer.c (the polls a deferred store keeps until its database can be
 * opened), store_write.c (the per-poll transaction and its failure handling),
 * store.c (open and close) and store_acks.c (the acknowledgements of issue 15,
 * also written on a connection of their own).
 *
 * The model: `boots` lists every boot this process knows (the current one
 * first); `live` and `wlive` are the logon sessions and WTS instances alive at
 * the last poll with data, sorted by LUID / session ID (`live` as compact keys,
 * see struct lw__live); `ldirty` and `wdirty`
 * are the entities with something not yet written; `polls` is the queue of poll
 * records not yet (completely) written, each carrying the detector output that
 * arrived before it. An entity whose end is observed leaves `live` and is then
 * owned by its dirty list until its end is written, when it is freed.
 * Row IDs assigned inside a transaction go to `tx_id` and become `row_id` only
 * when it commits, so a rollback only has to clear them.
 */
#ifndef LW_STORE_INTERNAL_H
#define LW_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct lw__boot {
  struct lw__boot *next; /* older boots */
  int64_t row_id, tx_id;
  int64_t boot_time;          /* LW_TIME_UNKNOWN when no collector gave one */
  int64_t first_poll;         /* taken_at of its first poll */
  int64_t last_data_t;        /* taken_at of its last poll with data, or LW_TIME_UNKNOWN */
  struct lw__boot *prev_boot; /* the boot it replaced (its leaks are released at write) */
  int64_t prev_last_data_t;   /* when the replaced boot was last seen */
};

struct lw__logon {
  int64_t row_id, tx_id;
  struct lw__boot *boot;
  uint64_t luid;
  uint32_t data_status, logon_type, terminal_session;
  int64_t logon_time;
  char *strs; /* one block holding the strings below */
  const char *user, *domain, *sid, *auth_package, *logon_server, *dns_domain, *upn;
  int64_t first_seen, last_seen; /* last_seen LW_TIME_UNKNOWN while alive */
  uint32_t pcmax, pcmax_written;
  bool data_dirty; /* data arrived after the row was written */
  bool in_dirty;
};

/* One version of a WTS instance: what it looked like from `at` on. Strings live
 * in the same allocation, after the struct. */
struct lw__wts_version {
  int64_t at;
  uint32_t state;
  const char *station, *user, *domain, *client, *client_address;
  int64_t logon_time, connect_time, disconnect_time;
};

struct lw__wts {
  int64_t row_id, tx_id;
  struct lw__boot *boot;
  uint32_t session_id;
  int64_t first_seen, last_seen;
  struct lw__wts_version **v; /* v[n_v - 1] is the current one */
  size_t n_v, cap_v, n_v_written;
  bool in_dirty;
};

/* Detector output queued for a poll (strings in the same allocation). */
enum lw__extra_kind { LW__EXTRA_ALERT, LW__EXTRA_LEAK, LW__EXTRA_RELEASE, LW__EXTRA_HOLDER };
struct lw__extra {
  struct lw__extra *next;
  enum lw__extra_kind kind;
  struct lw_store_alert alert;
  struct lw_store_leak leak;
  struct lw_store_holder holder;
  uint64_t release_luid;
  int64_t released_at;
};

struct lw__poll {
  struct lw__poll *next;
  struct lw__boot *boot;
  int64_t taken_at;
  uint32_t duration_ms;
  bool has_data;
  uint32_t n_logons, n_wts;
  char *error;       /* collection error (malloc'd), or NULL */
  char *store_error; /* why it was not written at its own poll, or NULL */
  int64_t row_id;    /* written by the fallback (row only, data still queued) */
  int64_t tx_id;
  uint32_t dropped_before; /* polls dropped from the queue just before this one */
  struct lw__extra *extras, *extras_tail;
  bool has_figures; /* the detector's figures of this poll (schema 5) */
  struct lw_store_poll_figures figures;
};

/* One live logon session in the sorted live list: the fields the per-poll
 * diff compares, kept contiguous so that an unchanged session costs a compare
 * of this entry and never a visit to its entity. */
struct lw__live {
  uint64_t luid;
  uint32_t pcmax;   /* == l->pcmax */
  uint32_t no_data; /* l->data_status != 0 */
  struct lw__logon *l;
};

/* One live WTS instance in the sorted live list: its ID and current version
 * beside the instance, so that the per-poll diff of an unchanged session reads
 * this entry and the version (one allocation with its strings), not the
 * instance and its version array as well. */
struct lw__wlive {
  uint32_t session_id;
  struct lw__wts_version *cur; /* == w->v[w->n_v - 1] */
  struct lw__wts *w;
};

struct lw__model {
  struct lw__boot *boots; /* current first */
  struct lw__live *live;
  size_t n_live, cap_live;
  struct lw__wlive *wlive;
  size_t n_wlive, cap_wlive;
  struct lw__logon **ldirty;
  size_t n_ldirty, cap_ldirty;
  struct lw__wts **wdirty;
  size_t n_wdirty, cap_wdirty;
  struct lw__poll *polls, *polls_tail;
  size_t n_polls;
  uint32_t dropped; /* dropped, not yet reported in a written row */
  uint32_t dropped_total;
  struct lw__extra *next_extras, *next_extras_tail; /* for the next poll */
  bool next_has_figures;                            /* lw_store_set_poll_figures's, */
  struct lw_store_poll_figures next_figures;        /* for the next poll */
  int64_t last_poll_t;                              /* taken_at of the latest poll applied */
  void *det_blob;                                   /* the detector state to write, or NULL */
  size_t det_len;
  bool det_dirty;     /* det_blob is newer than the stored one */
  uint32_t det_polls; /* poll rows written since the blob was last written */
  /* The detector state as stored (base + deltas, issue 17), NULL until this
   * store has written it (then the next write is a whole base). */
  void *det_stored;
  size_t det_stored_len;
  size_t det_base_len;    /* the base's size */
  size_t det_chain_bytes; /* deltas written since the base */
  uint32_t det_chain_n;
  /* What the transaction in flight wrote, made current by its commit. */
  bool det_tx_base;
  size_t det_tx_bytes;
};

/* The deltas after a base at most add up to its size (and are at most this
 * many): the amortised write stays about twice a delta, and a load applies a
 * bounded chain. */
#define LW__DETECTOR_DELTAS_MAX 64

/* Prepared statements, made once and reused. */
enum lw__stmt_id {
  LW__ST_INSERT_BOOT,
  LW__ST_INSERT_POLL,
  LW__ST_INSERT_LOGON,
  LW__ST_UPDATE_LOGON,
  LW__ST_UPDATE_LOGON_DATA,
  LW__ST_END_LOGON,
  LW__ST_INSERT_WTS,
  LW__ST_INSERT_WTS_VERSION,
  LW__ST_END_WTS,
  LW__ST_INSERT_ALERT,
  LW__ST_INSERT_LEAK,
  LW__ST_RELEASE_LEAK,
  LW__ST_RELEASE_BOOT_LEAKS,
  LW__ST_SAVE_DETECTOR,
  LW__ST_SAVE_DETECTOR_DELTA,
  LW__ST_CLEAR_DETECTOR_DELTAS,
  LW__ST_INSERT_HOLDER,
  LW__ST_BEGIN,
  LW__ST_COMMIT,
  LW__ST_COUNT
};

/* A poll taken while the store is deferred (store_defer.c): a copy of its
 * snapshot (logon sessions and WTS sessions; shared by consecutive polls that
 * saw the same), and the detector output queued before it. */
struct lw__dsnap {
  unsigned refs;
  size_t bytes;
  struct lw_snapshot *snap;
};
struct lw__deferred {
  struct lw__deferred *next;
  int64_t taken_at, boot_time;
  uint32_t duration_ms;
  struct lw__dsnap *ds; /* NULL: a failed collection */
  char *error;          /* its error, or NULL */
  uint32_t dropped_before;
  struct lw__extra *extras, *extras_tail;
  bool has_figures;
  struct lw_store_poll_figures figures;
};

struct lw_store {
  sqlite3 *db;          /* NULL while deferred */
  int64_t data_version; /* PRAGMA data_version at the last lw_store_changed_elsewhere */
  bool data_version_seen;
  char *path;
  struct lw_store_options opts;
  sqlite3_stmt *stmts[LW__ST_COUNT];
  struct lw__model m;
  bool deferred;
  struct lw__deferred *dq, *dq_tail; /* polls taken while deferred, oldest first */
  size_t n_dq, dq_bytes;
  char defer_error[256]; /* why it is deferred (SQLite's message), for the poll rows */
  int wal_pages;         /* pages in the WAL after the last commit (the WAL hook's) */
};

/* ---- store_sql.c (calls no other store file) ---- */
/* Maps a SQLite result code to an LW_E* code (0 for OK/ROW/DONE). */
int lw__store_err(int sqlite_rc);
/* Runs SQL without results (no user data: constants only). Returns an LW_E*
 * code, with SQLite's message in err when err is not NULL. */
int lw__store_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* Binds a time: LW_TIME_UNKNOWN binds NULL. */
int lw__bind_time(sqlite3_stmt *s, int col, int64_t ms);
/* Binds a string: NULL binds NULL. */
int lw__bind_text(sqlite3_stmt *s, int col, const char *text);
/* Reads a time column: NULL gives LW_TIME_UNKNOWN. */
int64_t lw__column_time(sqlite3_stmt *s, int col);
/* Reads a text column (NULL stays NULL; valid until the next step). */
const char *lw__column_text(sqlite3_stmt *s, int col);
/* Reads a logon session's stored fields from 12 columns starting at `col`, in
 * logon_sessions' order: luid, data_status, logon_type, terminal_session,
 * logon_time, user, domain, sid, auth_package, logon_server, dns_domain, upn.
 * Strings point into the statement. */
void lw__column_logon(sqlite3_stmt *s, int col, struct lw_logon_session *out);
/* Reads a WTS transition's fields from 9 columns starting at `col`: state,
 * station, user, domain, client, client_address, logon_time, connect_time,
 * disconnect_time. */
void lw__column_wts(sqlite3_stmt *s, int col, struct lw_wts_session *out);
/* Writes into err (errlen bytes) printf-style; NULL err is fine. */
void lw__store_seterr(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- store_stmts.c ---- */
/* The text of a statement (prepared on demand). */
const char *lw__store_stmt_sql(enum lw__stmt_id id);
/* Returns the cached prepared statement `id`, reset and unbound, or NULL (the
 * SQLite error is then in sqlite3_errmsg). */
sqlite3_stmt *lw__store_stmt(struct lw_store *st, enum lw__stmt_id id);

/* ---- store_schema.c ---- */
/* Brings a writable database from `from` (its user_version, 0 = empty) to
 * LW_STORE_SCHEMA_VERSION in one transaction. Returns an LW_E* code. */
int lw__store_migrate(sqlite3 *db, int from, char *err, size_t errlen);

/* ---- store_model.c ---- */
void lw__model_init(struct lw__model *m);
void lw__model_free(struct lw__model *m);
/* Applies a poll to the model: resolves its boot, diffs the snapshot (NULL for a
 * failed collection) and appends a poll record carrying the queued extras.
 * Either applies completely and returns 0, or returns LW_ENOMEM and changes
 * nothing. Counts go to res (not NULL). */
int lw__model_apply(struct lw__model *m, const struct lw_store_options *opts, int64_t taken_at,
                    int64_t boot_time, uint32_t duration_ms, const struct lw_snapshot *snap,
                    const char *error, struct lw_store_poll_result *res);
/* Queues a detector output for the next poll. Returns 0 or LW_ENOMEM. */
int lw__model_add_extra(struct lw__model *m, const struct lw__extra *proto);
void lw__logon_free(struct lw__logon *l);
void lw__wts_free(struct lw__wts *w);
/* Drops every version but the current one of a WTS instance (after a commit). */
void lw__wts_compact(struct lw__wts *w);
/* Appends to a growing pointer array (doubles). Returns 0 or LW_ENOMEM. */
int lw__ptr_push(void ***arr, size_t *n, size_t *cap, void *p);
/* Makes room for `extra` more pointers. Returns 0 or LW_ENOMEM. */
int lw__ptr_reserve(void ***arr, size_t n, size_t *cap, size_t extra);
/* A new WTS version from a snapshot entry (or a loaded row), strings copied. */
struct lw__wts_version *lw__wts_version_new(int64_t at, const struct lw_wts_session *w);
/* A new logon entity with strings copied from `s`. */
struct lw__logon *lw__logon_new(const struct lw_logon_session *s);
/* A new WTS instance with its first version (strings copied). */
struct lw__wts *lw__wts_new(uint32_t session_id, int64_t at, const struct lw_wts_session *s);

/* ---- store_load.c ---- */
/* Loads the current boot, its live sessions and instances from the database. */
int lw__model_load(struct lw_store *st);

/* ---- store_open.c (for store.c and store_defer.c) ---- */
/* Checks and opens the database file for st (st->db NULL), waiting busy_ms for
 * locks, and loads the model. On failure st->db is closed again (NULL) and the
 * model may hold part of a load (the caller resets it). */
int lw__store_open_db(struct lw_store *st, int busy_ms, struct lw_store_open_info *info, char *err,
                      size_t errlen);
/* Finalizes st's statements and closes its connection (st->db NULL after). */
void lw__store_close_db(struct lw_store *st);
/* Returns malloc'd a + b, or NULL. */
char *lw__store_concat(const char *a, const char *b);

/* ---- store_write.c ---- */
/* Writes everything queued in one transaction (fallback: the bare poll rows).
 * final: the last flush before closing (the detector state is written if
 * newer). Returns 0 or an LW_E* code; fills res. */
int lw__store_flush(struct lw_store *st, bool final, struct lw_store_poll_result *res);

/* ---- store_defer.c ---- */
/* Queues a poll on a deferred store (a copy of snap, or a failed collection
 * with `error`) with the extras queued since the last one; drops the oldest
 * beyond the bounds. Returns 0 or LW_ENOMEM (nothing queued). */
int lw__defer_poll(struct lw_store *st, int64_t taken_at, int64_t boot_time, uint32_t duration_ms,
                   const struct lw_snapshot *snap, const char *error);
/* Tries to open a deferred store's database (waiting busy_ms for locks); on
 * success applies the queued polls to the loaded model in order, so that the
 * next flush writes them. Returns 0 or an LW_E* code with SQLite's message in
 * res->message; the store then stays deferred with everything kept. */
int lw__defer_resume(struct lw_store *st, int busy_ms, struct lw_store_poll_result *res);
/* Keeps why the database could not be opened ("PATH: ...: database is
 * locked"), for the rows of the polls queued meanwhile. */
void lw__defer_note(struct lw_store *st, const char *err);
/* Frees the queue (at close). */
void lw__defer_free(struct lw_store *st);

/* ---- store_query.c ---- */
/* Finds the row ID of the latest boot, 0 when there is none. */
int lw__store_latest_boot(struct lw_store *st, int64_t *boot_id);

#endif /* LW_STORE_INTERNAL_H */
