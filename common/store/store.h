/*
 * store.h - the history database: compact, change-based snapshot history in SQLite.
 *
 * Every poll is one row; a logon session or WTS session instance is one row,
 * written when first seen and updated once when it ends (WTS state and other
 * changes are appended to a table of transitions). Any past snapshot can be
 * rebuilt from those rows (lw_store_snapshot_at, and the views documented in
 * README). Every row belongs to a boot: LUIDs and session IDs restart with one.
 *
 * The store keeps in memory what it last wrote (the live logon sessions and WTS
 * instances, with their row IDs) and diffs each new snapshot against what it has
 * observed, so a poll where nothing changed writes exactly one row. Each poll is
 * one transaction. When a transaction fails (the database is locked beyond the
 * busy timeout, the disk is full, an I/O error) it is rolled back, the poll and
 * every change it saw stay queued in memory, and the next successful poll writes
 * them with the times they were observed: nothing collected is dropped silently.
 * When the data cannot be written the store still tries to record the poll row
 * itself with its error (not for a lock, which would only wait again).
 *
 * Alerts and leak episodes (issue 5) are queued with lw_store_add_alert,
 * lw_store_open_leak and lw_store_release_leak before lw_store_record_poll and
 * written in that poll's transaction, so the database never holds a poll without
 * the detector's verdict on it, nor the reverse.
 *
 * A busy database need not stop a writer: with defer_when_busy, lw_store_open
 * of an existing database that another connection keeps locked past the busy
 * timeout (say a GUI in locking_mode=EXCLUSIVE) returns a *deferred* store. It
 * takes polls and the detector's output like an open one, keeps them in memory
 * (copies of the snapshots, bounded: see lw_store_options) and tries to open
 * the database again at every lw_store_record_poll; once that succeeds, the
 * queued polls are applied in order and written with the times they were
 * observed, as if the database had been open all along. Queries on a deferred
 * store return LW_EBUSY.
 *
 * Opening checks the file: a file that is not SQLite or fails PRAGMA
 * quick_check is moved aside to `PATH.corrupt-YYYYMMDDTHHMMSSZ` (its -wal and
 * -shm too) and a new database is created; a database written by a newer
 * LeakWatch (PRAGMA user_version above LW_STORE_SCHEMA_VERSION) is refused with
 * LW_ETOONEW and never modified. Older schemas are migrated in one transaction.
 *
 * Times are int64 ms since the Unix epoch, UTC, in this API and in the tables;
 * the views show ISO 8601 UTC text. Strings are UTF-8. A store is not
 * thread-safe: one thread at a time.
 */
#ifndef LW_STORE_H
#define LW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* PRAGMA user_version of the schema this code writes (history: store_schema.c). */
#define LW_STORE_SCHEMA_VERSION 8
/* The first schema with the acks table (issue 15). */
#define LW_STORE_SCHEMA_ACKS 6
/* PRAGMA application_id of a LeakWatch database ("LWh1"). */
#define LW_STORE_APPLICATION_ID 0x4c576831

#define LW_STORE_DEFAULT_BUSY_TIMEOUT_MS 5000
#define LW_STORE_DEFAULT_BOOT_TOLERANCE_MS 5000
#define LW_STORE_DEFAULT_MAX_PENDING_POLLS 10080 /* a week at one poll a minute */
#define LW_STORE_DEFAULT_DETECTOR_STATE_EVERY 60
/* Within the SCM's stop wait hint (15 s) even after a poll that waited the
 * busy timeout. */
#define LW_STORE_DEFAULT_CLOSE_TIMEOUT_MS 6000
/* A deferred store keeps at most max_pending_polls snapshot copies and at most
 * this many bytes of them (consecutive identical ones are shared); beyond
 * that the oldest are dropped, and counted. */
#define LW_STORE_DEFERRED_MAX_BYTES (64u * 1024u * 1024u)
/* WAL pages at which lw_store_checkpoint, called between polls, copies them
 * back into the database. */
#define LW_STORE_CHECKPOINT_PAGES 1000
/* WAL pages at which a poll's commit copies them back itself: the bound on the
 * WAL when nobody calls lw_store_checkpoint (SQLite's own default is 1000);
 * the benchmark's baseline uses the same. */
#define LW_STORE_WAL_AUTOCHECKPOINT 4000

/* Room for the moved-aside path (UTF-8, NUL included). */
#define LW_STORE_PATH_MAX 1024

struct lw_store;

/* Zero-initialise, then set what differs from the defaults. */
struct lw_store_options {
  bool read_only;                /* queries only (the CLI): no creation, no migration */
  int busy_timeout_ms;           /* wait for another writer this long; 0 = default */
  int64_t boot_tolerance_ms;     /* boot times this close are the same boot; 0 = default */
  uint32_t max_pending_polls;    /* polls kept in memory while the database fails; 0 = default */
  uint32_t detector_state_every; /* see lw_store_set_detector_state; 0 = default */
  /* A writer: an existing database locked past the busy timeout at open gives
   * a deferred store (see above) instead of LW_EBUSY. */
  bool defer_when_busy;
  /* lw_store_close waits this long in all for a lock before giving up the
   * queued polls; 0 = default (LW_STORE_DEFAULT_CLOSE_TIMEOUT_MS). */
  int close_timeout_ms;
};

/* What lw_store_open found and did. */
struct lw_store_open_info {
  bool created;                           /* a new, empty database was made */
  int schema_found;                       /* user_version before opening (0 for a new file) */
  char moved_aside_to[LW_STORE_PATH_MAX]; /* "" unless a bad file was moved aside */
  char moved_reason[256]; /* why: "not a SQLite database", quick_check's first line */
  bool deferred;          /* defer_when_busy and the database was locked: err says why */
};

/*
 * Opens (creating if needed) the history database at `path` (UTF-8). Only a
 * LeakWatch database or no file at all is used: an empty file, a file that is
 * not SQLite or another application's database is refused (LW_EINVAL) and left
 * as it is; a damaged LeakWatch database is moved aside. The -wal and -shm
 * files stay after close, so that readers who cannot write the folder can
 * open it read-only. WAL mode, foreign keys on, synchronous=NORMAL (a
 * process killed at any moment loses at most the transaction in flight).
 * On success returns 0 and *out (close with lw_store_close); the in-memory state
 * is rebuilt from the database, so a restart neither re-inserts nor closes
 * sessions that are still alive. On failure returns a negative LW_E* code, sets
 * *out to NULL and writes a sentence into err (NUL-terminated, errlen bytes):
 *   LW_ETOONEW  the schema is newer than this code (file untouched);
 *   LW_EINVAL   a file that is not a LeakWatch database (untouched);
 *   LW_ENOENT   read_only and the file does not exist or holds no history;
 *   LW_EACCES, LW_EIO, LW_EBUSY, LW_ECORRUPT, LW_ENOSPC, LW_ENOMEM, LW_EDB.
 * With opts->defer_when_busy, LW_EBUSY does not fail: 0 is returned with a
 * deferred store, info->deferred set and the lock's message in err.
 * `info` (may be NULL) is filled on success and on failure: a file moved aside
 * before a later failure is still reported there. opts may be NULL (defaults).
 */
int lw_store_open(const char *path, const struct lw_store_options *opts, struct lw_store **out,
                  struct lw_store_open_info *info, char *err, size_t errlen);

/* True while the store is deferred (its database not opened yet). */
bool lw_store_is_deferred(const struct lw_store *st);

/*
 * Makes a last attempt to write queued polls (opening a deferred store's
 * database first), waiting up to close_timeout_ms in all for a lock, then
 * closes the database and frees the store. Returns 0, or the error of that
 * last attempt when queued polls could not be written (they are lost;
 * `lost_polls`, if not NULL, gets their number). NULL is fine.
 */
int lw_store_close(struct lw_store *st, uint32_t *lost_polls);

/* The outcome of one lw_store_record_poll / lw_store_record_failed_poll. */
struct lw_store_poll_result {
  int rc;                 /* the return value */
  bool poll_recorded;     /* this poll's row is in the database (maybe without its data) */
  bool new_boot;          /* this poll began a new boot */
  int64_t boot_id;        /* the boot's row ID, 0 while not written */
  uint64_t rows_written;  /* rows inserted/updated (sqlite3_total_changes delta) */
  uint32_t polls_written; /* poll rows written, queued ones included */
  uint32_t polls_pending; /* polls whose rows or data are still queued in memory */
  uint32_t polls_dropped; /* polls dropped from a full queue so far (counted, not silent) */
  uint32_t logons_started, logons_ended; /* observed by this poll */
  uint32_t wts_started, wts_ended, wts_changed;
  /* The detector state this poll wrote (issue 17): its bytes, a delta or
   * (detector_state_whole) the whole state; 0 when it wrote none. */
  size_t detector_state_bytes;
  bool detector_state_whole;
  char message[256]; /* SQLite's message when rc != 0, else "" */
};

/*
 * Records one poll: diffs `snap` (finished: lw_snapshot_finish) against the
 * state last observed, then writes, in ONE transaction, every queued poll and
 * change (of earlier failed polls too) and this one, with the alerts and leak
 * episodes queued since the last call. A new snap->boot_time (beyond the boot
 * tolerance) starts a new boot: every logon session and WTS instance still alive
 * in the old boot is closed with last_seen = the old boot's last poll, and its
 * open leak episodes are released at that time.
 * A deferred store first tries to open its database (res->polls_written then
 * counts the polls queued while it was deferred); when it is still locked the
 * poll is queued and LW_EBUSY returned.
 * Returns 0 when everything is written. On failure returns LW_EBUSY (locked past
 * the busy timeout), LW_ENOSPC, LW_EIO, LW_ECORRUPT or LW_EDB: the transaction is
 * rolled back, the poll stays queued and will be written by a later call (the
 * store may have written the bare poll row with its error; see poll_recorded).
 * LW_ENOMEM: the poll could not even be queued (it is lost; reported).
 * LW_EINVAL: read-only store or snap->taken_at unknown. `res` may be NULL.
 */
int lw_store_record_poll(struct lw_store *st, const struct lw_snapshot *snap,
                         struct lw_store_poll_result *res);

/*
 * Records a poll whose collection failed: a poll row with NULL counts and
 * `error` (UTF-8, copied), written like lw_store_record_poll (queued on failure).
 * Live sessions are left as they are. boot_time may be LW_TIME_UNKNOWN (the
 * current boot); a known, different one starts a new boot. Returns as
 * lw_store_record_poll.
 */
int lw_store_record_failed_poll(struct lw_store *st, int64_t taken_at, int64_t boot_time,
                                uint32_t duration_ms, const char *error,
                                struct lw_store_poll_result *res);

/* ---- The detector's output (issue 5) ----------------------------------------
 * Queued in memory (strings copied) and written by the next lw_store_record_poll
 * (or _failed_poll), in its transaction, under that poll's boot. Each returns 0,
 * LW_EINVAL (read-only store, NULL argument) or LW_ENOMEM (nothing queued). */

struct lw_store_alert {
  int64_t raised_at;       /* ms */
  uint32_t event_id;       /* 2001..2009, see README */
  const char *message;     /* the rendered text, as Event Viewer shows it */
  const char *fields_json; /* a JSON object with every insertion string, or NULL */
  bool suppressed;         /* held back by the rate limit (not sent to the Event Log) */
  /* The fields operators filter on (schema 4), columns of their own: */
  uint64_t luid;             /* 0: none */
  const char *user, *domain; /* NULL: none */
  int64_t terminal_session;  /* -1: none */
  bool logged;               /* it reached the Event Log (ReportEventW succeeded) */
};
int lw_store_add_alert(struct lw_store *st, const struct lw_store_alert *alert);

struct lw_store_leak {
  uint64_t luid;
  const char *user, *domain; /* may be NULL */
  uint32_t logon_type;
  uint32_t terminal_session;
  int64_t logon_time;       /* LW_TIME_UNKNOWN when unknown */
  int64_t session_ended_at; /* when its terminal session ended; LW_TIME_UNKNOWN if unknown */
  int64_t leaked_at;        /* when it was declared leaked */
  /* Schema 4: */
  bool system;            /* a DWM-n / UMFD-n logon session */
  uint64_t with_luid;     /* a system one folded into that user's leak; 0: none */
  int end_seen;           /* 1: LeakWatch saw the session end; 0: before it watched; -1 unknown */
  int64_t orphan_seen_at; /* when LeakWatch first saw its terminal session gone */
};
/* Opens a leak episode (a row of v_leaks with released_at NULL). */
int lw_store_open_leak(struct lw_store *st, const struct lw_store_leak *leak);
/* Releases the open episode of `luid` in the poll's boot (no open episode: no-op). */
int lw_store_release_leak(struct lw_store *st, uint64_t luid, int64_t released_at);

/*
 * The detector's state blob (detect.h: lw_detect_state_save), copied and kept
 * to replace the stored one. It is stored as a base (table detector_state, one
 * row) and the byte deltas (blob_delta.h) written since (detector_state_delta,
 * schema 7, issue 17): a write is the delta from what this store last wrote,
 * or a new base, which deletes the deltas, at the store's first write, when
 * the deltas would add up to more than the base or number 64, or when the
 * delta is no smaller than the state. It is written in
 * the next transaction that writes anything besides bare poll rows (a session
 * change, an alert, an episode), or that is the detector_state_every-th
 * (default 60) since the last time it was written, and at lw_store_close; a
 * poll where nothing changed keeps writing one row. Between such polls the
 * detector's state changes only in its clock fields, so what a crash can lose
 * is bounded and a clean stop loses nothing. Returns 0, LW_EINVAL, LW_ENOMEM.
 */
int lw_store_set_detector_state(struct lw_store *st, const void *blob, size_t len);

/* Reads the stored detector state (the base with its deltas applied): 0 with
 * *blob (malloc'd; free() it), *len and *saved_at (the poll it reflects; may
 * be NULL), LW_ENOENT when there is none, LW_ECORRUPT when a delta does not
 * apply, or an LW_E* code. */
int lw_store_get_detector_state(struct lw_store *st, void **blob, size_t *len, int64_t *saved_at);

/* The detector's figures after a poll (schema 5), columns of that poll's row
 * so that "the gap over time" is one query over v_polls instead of a
 * correlated subquery per poll. */
struct lw_store_poll_figures {
  uint32_t live_sessions;      /* WTS sessions that are not listeners */
  uint32_t open_leaks;         /* logon sessions with an open leak episode */
  uint32_t open_leaks_system;  /* of those, DWM-n / UMFD-n */
  uint32_t pinned_ids;         /* terminal session IDs pinned by leaks */
  uint32_t highest_session_id; /* highest WTS session ID in use (not a listener) */
};
/* Queued for the next lw_store_record_poll only (a poll without them, or a
 * failed collection, leaves the columns NULL). Returns 0 or LW_EINVAL. */
int lw_store_set_poll_figures(struct lw_store *st, const struct lw_store_poll_figures *f);

/* ---- Token holders (issue 7) ---------------------------------------------
 * What a holder scan found for a leaked logon session: one row of v_holders.
 * Queued like the detector's output and written with the next poll. */
struct lw_store_holder {
  uint64_t luid;      /* the leaked logon session */
  int64_t scanned_at; /* ms */
  uint32_t pid;
  const char *image;    /* image path, or NULL */
  const char *services; /* services it hosts ("A, B"), or NULL */
  uint32_t tokens;      /* token handles it holds of that session */
  bool exited_process;  /* an exited process kept alive by a handle */
  uint32_t held_by_pid; /* exited_process: who holds it open, else 0 */
};
/* Returns 0, LW_EINVAL (read-only store, NULL argument) or LW_ENOMEM. */
int lw_store_add_holder(struct lw_store *st, const struct lw_store_holder *holder);

/* ---- Retention ------------------------------------------------------------ */

struct lw_store_prune_result {
  uint64_t rows_deleted; /* a WTS instance's transitions go with it, uncounted */
  uint32_t batches;      /* transactions used */
  int64_t pages_freed;   /* pages given back by the incremental vacuum */
};

/*
 * Deletes what ended before `older_than_ms` (a time, ms since epoch): ended logon
 * sessions and WTS instances (with their transitions), polls, alerts, released
 * leak episodes, holder findings, and boots nothing refers to any more. Live sessions, open
 * episodes and the current boot are never deleted. Works in transactions of at
 * most max_rows_per_batch rows (<= 0: 500), so readers and the next poll never
 * wait long, then runs PRAGMA incremental_vacuum and a passive checkpoint so the
 * file shrinks. Returns 0 or an LW_E* code (rows deleted so far stay deleted;
 * `res` may be NULL).
 */
int lw_store_prune(struct lw_store *st, int64_t older_than_ms, int max_rows_per_batch,
                   struct lw_store_prune_result *res);

/* ---- Between polls ----------------------------------------------------------- */

/*
 * Copies the WAL back into the database (a passive checkpoint: it never waits
 * for a reader) once it holds LW_STORE_CHECKPOINT_PAGES pages or more, else
 * does nothing. Meant for the time between polls, so a poll's commit never
 * pays for one (it does only past LW_STORE_WAL_AUTOCHECKPOINT pages, when this
 * is not called). *pages (may be NULL): the pages copied back, 0 when none.
 * Returns 0, LW_EBUSY while the store is deferred, LW_EINVAL for a read-only
 * store, or an LW_E* code.
 */
int lw_store_checkpoint(struct lw_store *st, int *pages);

/* ---- Queries -------------------------------------------------------------- */

struct lw_store_poll_info {
  int64_t id, boot_id;
  int64_t boot_time;
  int64_t taken_at;
  uint32_t duration_ms;
  uint32_t logon_sessions, wts_sessions;
  bool has_data;    /* not a failed collection (lw_store_last_poll) */
  bool has_figures; /* the poll's detector figures (schema 5) are known */
  struct lw_store_poll_figures figures;
};

/* The latest poll recorded (a failed collection included: has_data false),
 * or with with_figures the latest one whose detector figures are known (never
 * in a database older than schema 5). Returns 0, LW_ENOENT when there is none,
 * or an LW_E* code. */
int lw_store_last_poll(struct lw_store *st, bool with_figures, struct lw_store_poll_info *out);

/* Finds the latest poll with data (not a failed collection) taken at or before
 * `at` ("latest" in the order polls were recorded, which is time order unless
 * the clock went back). Returns 0, LW_ENOENT when there is none, or an LW_E*
 * code. */
int lw_store_find_poll(struct lw_store *st, int64_t at, struct lw_store_poll_info *out);

/*
 * Rebuilds the snapshot of the latest poll with data taken at or before `ms`:
 * exactly the logon sessions and WTS sessions (with the state they had then)
 * alive at that poll. taken_at, boot_time and duration_ms are the poll's;
 * process_count is 0 (only its maximum is kept: lw_store_each_logon); there are
 * no processes. Returns 0 and a new snapshot (free with lw_snapshot_free),
 * LW_ENOENT when there is no such poll, or an LW_E* code (*out NULL).
 */
int lw_store_snapshot_at(struct lw_store *st, int64_t ms, struct lw_snapshot **out);

/* Row filters; LW_TIME_UNKNOWN / 0 / NULL mean "any". */
struct lw_store_filter {
  int64_t boot_id;  /* one boot */
  int64_t alive_at; /* alive at this exact poll time (use lw_store_find_poll) */
  int64_t since;    /* alive at some time at or after */
  int64_t until;    /* first seen at or before */
  const char *user; /* `user` or `DOMAIN\user`, ASCII case-insensitive */
};
/* Sets every field to "any". */
void lw_store_filter_init(struct lw_store_filter *f);

struct lw_store_logon_row {
  int64_t boot_id;
  struct lw_logon_session s;     /* process_count = process_count_max */
  int64_t first_seen, last_seen; /* last_seen LW_TIME_UNKNOWN while alive */
};
struct lw_store_wts_row {
  int64_t boot_id;
  struct lw_wts_session s; /* at alive_at when set, else the latest state */
  int64_t first_seen, last_seen;
};
/* Calls fn for each matching row, ordered by boot, first_seen, LUID / session
 * ID. Row strings are valid only during the call. fn returns 0 to go on or a
 * non-zero value to stop, which is then returned. Returns 0 or an LW_E* code. */
int lw_store_each_logon(struct lw_store *st, const struct lw_store_filter *f,
                        int (*fn)(void *ctx, const struct lw_store_logon_row *row), void *ctx);
int lw_store_each_wts(struct lw_store *st, const struct lw_store_filter *f,
                      int (*fn)(void *ctx, const struct lw_store_wts_row *row), void *ctx);

struct lw_store_leak_row {
  int64_t id, boot_id;
  struct lw_store_leak leak;
  int64_t released_at; /* LW_TIME_UNKNOWN while pinned */
};
/* Leak episodes in order of leaked_at; open_only: those of the latest boot with
 * released_at NULL (what a restarted detector resumes). Strings valid during fn. */
int lw_store_each_leak(struct lw_store *st, bool open_only,
                       int (*fn)(void *ctx, const struct lw_store_leak_row *row), void *ctx);

/* Leak episodes that were open at some time in [since, until] (leaked at or
 * before until, released at or after since or not at all; LW_TIME_UNKNOWN =
 * open-ended), in order of leaked_at. As lw_store_each_leak otherwise. */
int lw_store_each_leak_between(struct lw_store *st, int64_t since, int64_t until,
                               int (*fn)(void *ctx, const struct lw_store_leak_row *row),
                               void *ctx);

struct lw_store_alert_row {
  int64_t id, boot_id;
  struct lw_store_alert alert;
};
/* Alerts raised in [since, until] (LW_TIME_UNKNOWN = open-ended), oldest first. */
int lw_store_each_alert(struct lw_store *st, int64_t since, int64_t until,
                        int (*fn)(void *ctx, const struct lw_store_alert_row *row), void *ctx);

struct lw_store_holder_row {
  int64_t id, boot_id;
  struct lw_store_holder holder; /* held_by_pid 0 unless exited_process */
};
/* Holder findings scanned in [since, until] (LW_TIME_UNKNOWN = open-ended),
 * ordered by boot, LUID, PID, then scanned_at: the rows of one (boot, LUID, PID)
 * come together, its latest scan last. Strings (image, services; may be NULL)
 * are valid only during fn. fn returns 0 to go on or a non-zero value to stop,
 * which is then returned. Returns 0 or an LW_E* code (LW_EINVAL: NULL st/fn). */
int lw_store_each_holder(struct lw_store *st, int64_t since, int64_t until,
                         int (*fn)(void *ctx, const struct lw_store_holder_row *row), void *ctx);

/* The holders the latest scan of each leaked logon session found (the rows of
 * its greatest scanned_at), of boot boot_id (0: every boot), ordered by boot,
 * LUID and PID. As lw_store_each_holder otherwise. */
int lw_store_each_latest_holder(struct lw_store *st, int64_t boot_id,
                                int (*fn)(void *ctx, const struct lw_store_holder_row *row),
                                void *ctx);

/* ---- Summaries of a time range (the HTML report, issue 15) -----------------
 * store_summary.c. Bounds are ms, LW_TIME_UNKNOWN = open-ended; fn returns 0
 * to go on or a non-zero value to stop, which is then returned; strings are
 * valid only during fn. Each returns 0 or an LW_E* code (LW_EINVAL: NULL
 * st/fn, LW_EBUSY: a deferred store). */

/* Every poll taken in [since, until], in the order they were recorded, as
 * lw_store_last_poll reads one (has_data false for a failed collection,
 * has_figures false before schema 5 or without the detector's figures). */
int lw_store_each_poll(struct lw_store *st, int64_t since, int64_t until,
                       int (*fn)(void *ctx, const struct lw_store_poll_info *poll), void *ctx);

/* The alerts of one event ID raised in a range. */
struct lw_store_alert_count {
  uint32_t event_id;
  uint64_t alerts;     /* rows of v_alerts */
  uint64_t suppressed; /* of those, held back by the rate limit */
  int64_t first, last; /* raised_at of the first and last */
};
/* One call per event ID with alerts raised in [since, until], by event ID. */
int lw_store_each_alert_count(struct lw_store *st, int64_t since, int64_t until,
                              int (*fn)(void *ctx, const struct lw_store_alert_count *c),
                              void *ctx);

/* What the holder scans of a range found of one image. */
struct lw_store_holder_image {
  const char *image;    /* path; NULL: scans that could not name it */
  uint64_t logons;      /* leaked logon sessions it held (distinct boot, LUID) */
  uint64_t processes;   /* its processes found holding one (distinct boot, PID) */
  uint64_t tokens_max;  /* the most token handles one process held of one session */
  int64_t last_scanned; /* its latest finding */
};
/* One call per image found by scans in [since, until], the image that held
 * the most leaked logon sessions first (then by path). */
int lw_store_each_holder_image(struct lw_store *st, int64_t since, int64_t until,
                               int (*fn)(void *ctx, const struct lw_store_holder_image *img),
                               void *ctx);

/* ---- Known leaks (issue 15, schema 6) --------------------------------------
 * The acks table: `leakwatch ack` writes it beside the running service, the
 * service reads it when it changed (ack.h says what an entry covers). */

struct lw_ack;
struct lw_ack_set;

/*
 * Reads every acknowledgement (expired ones included) into *out (which must
 * be initialised; entries are appended in id order). Returns 0; LW_ENOENT for
 * a database older than schema 6 (no acks table: a read-only CLI on an old
 * history); LW_EBUSY while deferred; another LW_E* code.
 */
int lw_store_acks_load(struct lw_store *st, struct lw_ack_set *out);

/*
 * Whether another connection committed since the last call (PRAGMA
 * data_version; the first call says 1): cheap enough for every poll, so the
 * service re-reads the acks only when something changed. Returns 1, 0, or an
 * LW_E* code (LW_EBUSY while deferred).
 */
int lw_store_changed_elsewhere(struct lw_store *st);

/*
 * `leakwatch ack`'s writes, on a connection of their own to the database at
 * `path` (UTF-8): it is never created or migrated (the service does that), the
 * write is one short IMMEDIATE transaction waiting at most busy_ms for the
 * service's, and then closed. a->kind, target, reason, created_at, created_by
 * and expires_at are written; lw_store_ack_add sets *id to the new row's id.
 * lw_store_ack_remove deletes row `id` and, when `removed` is not NULL,
 * fills it (strings malloc'd: free target, reason and created_by).
 * Return 0, or with a sentence in err:
 *   LW_ENOENT  no database at path (the service creates it), or no such id;
 *   LW_EINVAL  not a LeakWatch database, or one older than schema 6 (the
 *              service must be upgraded or started first: it migrates it);
 *   LW_ETOONEW a newer LeakWatch's database;
 *   LW_EACCES  the data folder's ACL lets only administrators and SYSTEM write;
 *   LW_EBUSY   the service's transaction outlasted busy_ms; other LW_E* codes.
 */
int lw_store_ack_add(const char *path, const struct lw_ack *a, int busy_ms, int64_t *id, char *err,
                     size_t errlen);
int lw_store_ack_remove(const char *path, int64_t id, int busy_ms, struct lw_ack *removed,
                        char *err, size_t errlen);

#endif /* LW_STORE_H */
