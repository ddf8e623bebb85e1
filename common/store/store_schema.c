/*
 * store_schema.c - the history database's schema: tables, indexes, views, and
 * the migrations that bring any older LeakWatch database up to date.
 *
 * Each schema version is a list of statements that turns version N-1 into N;
 * a new database runs them all from 1, so the migration path is exercised on
 * every fresh install and never rots. A released version's statements are
 * history and never change: a change is a new version.
 *
 *   1  boots, polls, logon_sessions, wts_sessions, wts_transitions, the name
 *      tables and the operator views v_polls, v_logon_sessions, v_wts_sessions,
 *      v_wts_transitions, v_boots (issue 4).
 *   2  alerts, leak_episodes and detector_state, with v_alerts and v_leaks
 *      (issue 5).
 *   3  holders, with v_holders (issue 7).
 *   4  the fields operators filter on as columns of alerts (luid, user, domain,
 *      terminal_session, logged) and of leak_episodes (system, with_luid,
 *      end_seen, orphan_seen_at), filled in for older rows from what they
 *      kept; v_alerts and v_leaks gain them at the end (issue 13).
 *   5  the detector's figures of each poll as columns of polls (live_sessions,
 *      open_leaks, open_leaks_system, pinned_ids, highest_session_id; NULL for
 *      older rows and failed polls); v_polls gains them at the end (issue 15).
 *   6  acks, the known leaks acknowledged with `leakwatch ack`, with v_acks
 *      (issue 15). One self-contained entry: nothing else depends on it.
 *   7  detector_state_delta: the detector's state is written as the changes
 *      since the last write, detector_state holding the base (issue 17).
 *   8  logon_session_ends and wts_session_ends: a session that ends after its
 *      row was written gets a row appended there instead of an UPDATE of its
 *      own row (issue 17); v_logon_sessions and v_wts_sessions read the end
 *      from either, with the same columns and answers as before.
 *
 * Indexes are few on purpose: each one is pages written per poll. Sessions are
 * found by (boot_id, first_seen); polls are written in time order, so their
 * row IDs are their order (queries for a time scan back from the newest);
 * retention scans for old rows in row-ID order, where they are (see
 * store_prune.c).
 *
 * Times are stored as integer ms since the epoch (UTC); the views show them as
 * ISO 8601 text (`2026-11-21T09:00:00Z`, floor to the second like
 * lw_time_format_iso) so `sqlite3` users can compare them as strings.
 */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "store_internal.h"

/* ms -> ISO text, rounding toward negative infinity; NULL stays NULL. */
#define ISO(col)                                                                                   \
  "strftime('%Y-%m-%dT%H:%M:%SZ', ((" col ") - ((((" col ") % 1000) + 1000) % 1000)) / 1000, "     \
  "'unixepoch')"
/* uint64 LUID stored as int64 -> 'HHHHHHHH:LLLLLLLL'. */
#define LUID(col) "printf('%08x:%08x', ((" col ") >> 32) & 4294967295, (" col ") & 4294967295)"

static const char *const schema_v1[] = {
    "CREATE TABLE boots(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  boot_time INTEGER,          -- ms since epoch, UTC; NULL if unknown\n"
    "  first_poll INTEGER NOT NULL -- time of its first poll\n"
    ")",

    "CREATE TABLE polls(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  boot_id INTEGER REFERENCES boots(id),\n"
    "  t INTEGER NOT NULL,           -- when it was taken, ms since epoch\n"
    "  duration_ms INTEGER NOT NULL, -- how long collection took\n"
    "  logon_sessions INTEGER,       -- NULL: collection failed (see error)\n"
    "  wts_sessions INTEGER,\n"
    "  error TEXT                    -- NULL when all went well\n"
    ")",

    "CREATE TABLE logon_sessions(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  boot_id INTEGER NOT NULL REFERENCES boots(id),\n"
    "  luid INTEGER NOT NULL,        -- (HighPart << 32) | LowPart\n"
    "  data_status INTEGER NOT NULL, -- NTSTATUS of LsaGetLogonSessionData, 0 = ok\n"
    "  logon_type INTEGER,\n"
    "  terminal_session INTEGER,\n"
    "  logon_time INTEGER,\n"
    "  user TEXT, domain TEXT, sid TEXT, auth_package TEXT,\n"
    "  logon_server TEXT, dns_domain TEXT, upn TEXT,\n"
    "  first_seen INTEGER NOT NULL,  -- first poll that saw it\n"
    "  last_seen INTEGER,            -- last poll that saw it; NULL while alive\n"
    "  process_count_max INTEGER NOT NULL\n"
    ")",
    "CREATE INDEX logon_sessions_boot_seen ON logon_sessions(boot_id, first_seen)",

    "CREATE TABLE wts_sessions(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  boot_id INTEGER NOT NULL REFERENCES boots(id),\n"
    "  session_id INTEGER NOT NULL,\n"
    "  first_seen INTEGER NOT NULL,\n"
    "  last_seen INTEGER             -- NULL while alive\n"
    ")",
    "CREATE INDEX wts_sessions_boot_seen ON wts_sessions(boot_id, first_seen)",

    /* One row per state (or other attribute) a WTS instance took: the row with
     * the greatest `at` not after a time is what it looked like then. */
    "CREATE TABLE wts_transitions(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  wts_id INTEGER NOT NULL REFERENCES wts_sessions(id) ON DELETE CASCADE,\n"
    "  at INTEGER NOT NULL,          -- the poll that saw it first\n"
    "  state INTEGER NOT NULL,       -- WTS_CONNECTSTATE_CLASS\n"
    "  station TEXT, user TEXT, domain TEXT, client TEXT, client_address TEXT,\n"
    "  logon_time INTEGER, connect_time INTEGER, disconnect_time INTEGER\n"
    ")",
    "CREATE INDEX wts_transitions_wts_at ON wts_transitions(wts_id, at)",

    "CREATE TABLE logon_type_names(type INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "INSERT INTO logon_type_names VALUES (0,'Undefined'),(2,'Interactive'),(3,'Network'),"
    "(4,'Batch'),(5,'Service'),(6,'Proxy'),(7,'Unlock'),(8,'NetworkCleartext'),"
    "(9,'NewCredentials'),(10,'RemoteInteractive'),(11,'CachedInteractive'),"
    "(12,'CachedRemoteInteractive'),(13,'CachedUnlock')",
    "CREATE TABLE wts_state_names(state INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "INSERT INTO wts_state_names VALUES (0,'Active'),(1,'Connected'),(2,'ConnectQuery'),"
    "(3,'Shadow'),(4,'Disconnected'),(5,'Idle'),(6,'Listen'),(7,'Reset'),(8,'Down'),(9,'Init')",

    "CREATE VIEW v_polls AS\n"
    "SELECT " ISO("p.t") " AS polled_at, p.boot_id, p.logon_sessions, p.wts_sessions,\n"
                         "  p.duration_ms, p.error\n"
                         "FROM polls p ORDER BY p.id",

    "CREATE VIEW v_logon_sessions AS\n"
    "SELECT l.boot_id, " LUID(
        "l.luid") " AS luid, l.user, l.domain, l.sid,\n"
                  "  COALESCE(n.name, CAST(l.logon_type AS TEXT)) AS logon_type, l.auth_package,\n"
                  "  l.terminal_session, " ISO(
                      "l.logon_time") " AS logon_time,\n"
                                      "  " ISO("l.first_seen") " AS first_seen, " ISO(
                                          "l.last_seen") " AS last_seen,\n"
                                                         "  l.process_count_max\n"
                                                         "FROM logon_sessions l LEFT JOIN "
                                                         "logon_type_names n ON n.type = "
                                                         "l.logon_type",

    /* Who it was: the latest transition with a user name (a session being
     * logged off may already have lost it); state: the latest transition. */
    "CREATE VIEW v_wts_sessions AS\n"
    "SELECT w.boot_id, w.session_id, who.station, who.user, who.domain, who.client,\n"
    "  " ISO("w.first_seen") " AS first_seen, " ISO(
        "w.last_seen") " AS last_seen,\n"
                       "  COALESCE(sn.name, CAST(cur.state AS TEXT)) AS state\n"
                       "FROM wts_sessions w\n"
                       "LEFT JOIN wts_transitions cur ON cur.id = (SELECT t.id FROM "
                       "wts_transitions t\n"
                       "  WHERE t.wts_id = w.id ORDER BY t.at DESC, t.id DESC LIMIT 1)\n"
                       "LEFT JOIN wts_transitions who ON who.id = (SELECT t.id FROM "
                       "wts_transitions t\n"
                       "  WHERE t.wts_id = w.id ORDER BY COALESCE(t.user, '') <> '' DESC, t.at "
                       "DESC, t.id DESC\n"
                       "  LIMIT 1)\n"
                       "LEFT JOIN wts_state_names sn ON sn.state = cur.state",

    "CREATE VIEW v_wts_transitions AS\n"
    "SELECT w.boot_id, w.session_id, " ISO(
        "t.at") " AS at,\n"
                "  COALESCE(sn.name, CAST(t.state AS TEXT)) AS state, t.station, t.user, "
                "t.domain,\n"
                "  t.client\n"
                "FROM wts_transitions t JOIN wts_sessions w ON w.id = t.wts_id\n"
                "LEFT JOIN wts_state_names sn ON sn.state = t.state\n"
                "ORDER BY t.at, t.id",

    "CREATE VIEW v_boots AS\n"
    "SELECT b.id AS boot_id, " ISO(
        "b.boot_time") " AS boot_time,\n"
                       "  " ISO("b.first_poll") " AS first_poll,\n"
                                                "  " ISO("(SELECT MAX(p.t) FROM polls p WHERE "
                                                         "p.boot_id = b.id)") " AS last_poll\n"
                                                                              "FROM boots b",
    NULL,
};

static const char *const schema_v2[] = {
    "CREATE TABLE alerts(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  boot_id INTEGER REFERENCES boots(id),\n"
    "  raised_at INTEGER NOT NULL,\n"
    "  event_id INTEGER NOT NULL,       -- the Event Log event ID (README)\n"
    "  message TEXT NOT NULL,           -- rendered as Event Viewer shows it\n"
    "  fields TEXT,                     -- JSON object: every insertion string\n"
    "  suppressed INTEGER NOT NULL DEFAULT 0 -- 1: held back by alerts.max_per_hour\n"
    ")",
    "CREATE INDEX alerts_raised_at ON alerts(raised_at)",

    "CREATE TABLE leak_episodes(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  boot_id INTEGER NOT NULL REFERENCES boots(id),\n"
    "  luid INTEGER NOT NULL,\n"
    "  user TEXT, domain TEXT, logon_type INTEGER, terminal_session INTEGER,\n"
    "  logon_time INTEGER,\n"
    "  session_ended_at INTEGER,        -- when its terminal session ended\n"
    "  leaked_at INTEGER NOT NULL,\n"
    "  released_at INTEGER              -- NULL while pinned\n"
    ")",
    "CREATE INDEX leak_episodes_boot_luid ON leak_episodes(boot_id, luid)",
    "CREATE INDEX leak_episodes_released ON leak_episodes(released_at)",

    /* lw_detect_state_save's blob, so a restarted detector resumes (one row). */
    "CREATE TABLE detector_state(\n"
    "  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "  saved_at INTEGER NOT NULL,       -- the poll it reflects\n"
    "  state BLOB NOT NULL\n"
    ")",

    "CREATE VIEW v_alerts AS\n"
    "SELECT " ISO("a.raised_at") " AS raised_at, a.event_id, a.message\n"
                                 "FROM alerts a ORDER BY a.raised_at, a.id",

    "CREATE VIEW v_leaks AS\n"
    "SELECT e.boot_id, " LUID(
        "e.luid") " AS luid, e.user, e.domain,\n"
                  "  COALESCE(n.name, CAST(e.logon_type AS TEXT)) AS logon_type, "
                  "e.terminal_session,\n"
                  "  " ISO("e.logon_time") " AS logon_time, " ISO(
                      "e.session_ended_at") " AS session_ended_at,\n"
                                            "  " ISO("e.leaked_at") " AS leaked_at, " ISO(
                                                "e.released_at") " AS released_at\n"
                                                                 "FROM leak_episodes e LEFT JOIN "
                                                                 "logon_type_names n ON n.type = "
                                                                 "e.logon_type\n"
                                                                 "ORDER BY e.leaked_at, e.id",
    NULL,
};

static const char *const schema_v3[] = {
    "CREATE TABLE holders(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  boot_id INTEGER REFERENCES boots(id),\n"
    "  luid INTEGER NOT NULL,           -- the leaked logon session\n"
    "  scanned_at INTEGER NOT NULL,\n"
    "  pid INTEGER NOT NULL,\n"
    "  image TEXT,\n"
    "  services TEXT,                   -- services it hosts, 'A, B'\n"
    "  tokens INTEGER NOT NULL,         -- token handles it holds of that session\n"
    "  exited_process INTEGER NOT NULL, -- 1: exited, kept alive by held_by_pid\n"
    "  held_by_pid INTEGER\n"
    ")",

    "CREATE VIEW v_holders AS\n"
    "SELECT h.boot_id, " LUID("h.luid") " AS luid, " ISO(
        "h.scanned_at") " AS scanned_at,\n"
                        "  h.pid, h.image, h.services, h.tokens, h.exited_process\n"
                        "FROM holders h ORDER BY h.scanned_at, h.id",
    NULL,
};

/* SQL laid out as SQL (clang-format would split it at the macros). */
/* clang-format off */
static const char *const schema_v4[] = {
    "ALTER TABLE alerts ADD COLUMN luid TEXT", /* HHHHHHHH:LLLLLLLL, as v_alerts shows it */
    "ALTER TABLE alerts ADD COLUMN user TEXT",
    "ALTER TABLE alerts ADD COLUMN domain TEXT",
    "ALTER TABLE alerts ADD COLUMN terminal_session INTEGER",
    "ALTER TABLE alerts ADD COLUMN logged INTEGER", /* 1: it reached the Event Log */
    /* Older rows kept these facts in their fields JSON only. */
    "UPDATE alerts SET luid = json_extract(fields, '$.luid'), "
    "user = json_extract(fields, '$.user'), domain = json_extract(fields, '$.domain'), "
    "terminal_session = json_extract(fields, '$.terminal_session'), logged = 1 - suppressed "
    "WHERE logged IS NULL AND json_valid(fields)",
    "UPDATE alerts SET logged = 1 - suppressed WHERE logged IS NULL",
    "CREATE INDEX alerts_luid ON alerts(luid)",

    "ALTER TABLE leak_episodes ADD COLUMN system INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE leak_episodes ADD COLUMN with_luid INTEGER", /* a system one's user */
    "ALTER TABLE leak_episodes ADD COLUMN end_seen INTEGER",  /* NULL: not known */
    "ALTER TABLE leak_episodes ADD COLUMN orphan_seen_at INTEGER",
    "UPDATE leak_episodes SET orphan_seen_at = session_ended_at, system = "
    "((domain = 'Window Manager' AND user LIKE 'DWM-%') OR "
    "(domain = 'Font Driver Host' AND user LIKE 'UMFD-%')) WHERE orphan_seen_at IS NULL",

    "DROP VIEW IF EXISTS v_alerts",
    "CREATE VIEW v_alerts AS\n"
    "SELECT " ISO("a.raised_at") " AS raised_at, a.event_id, a.message,\n"
    "  a.luid, a.user, a.domain, a.terminal_session, a.logged, a.suppressed AS held_back,\n"
    "  a.fields\n"
    "FROM alerts a ORDER BY a.raised_at, a.id",

    "DROP VIEW IF EXISTS v_leaks",
    "CREATE VIEW v_leaks AS\n"
    "SELECT e.boot_id, " LUID("e.luid") " AS luid, e.user, e.domain,\n"
    "  COALESCE(n.name, CAST(e.logon_type AS TEXT)) AS logon_type, e.terminal_session,\n"
    "  " ISO("e.logon_time") " AS logon_time,\n"
    "  " ISO("e.session_ended_at") " AS session_ended_at,\n"
    "  " ISO("e.leaked_at") " AS leaked_at, " ISO("e.released_at") " AS released_at,\n"
    "  CASE WHEN e.system THEN 'system' ELSE 'user' END AS kind,\n"
    "  CASE WHEN e.with_luid IS NULL THEN NULL ELSE " LUID("e.with_luid") " END AS with_luid,\n"
    "  CASE e.end_seen WHEN 1 THEN 'seen' WHEN 0 THEN 'before LeakWatch' ELSE 'unknown' END\n"
    "    AS session_end,\n"
    "  " ISO("e.orphan_seen_at") " AS first_seen_ended_at\n"
    "FROM leak_episodes e LEFT JOIN logon_type_names n ON n.type = e.logon_type\n"
    "ORDER BY e.leaked_at, e.id",
    NULL,
};

static const char *const schema_v5[] = {
    "ALTER TABLE polls ADD COLUMN live_sessions INTEGER", /* WTS sessions but listeners */
    "ALTER TABLE polls ADD COLUMN open_leaks INTEGER",
    "ALTER TABLE polls ADD COLUMN open_leaks_system INTEGER", /* of those, DWM-n / UMFD-n */
    "ALTER TABLE polls ADD COLUMN pinned_ids INTEGER",
    "ALTER TABLE polls ADD COLUMN highest_session_id INTEGER",
    "DROP VIEW IF EXISTS v_polls",
    "CREATE VIEW v_polls AS\n"
    "SELECT " ISO("p.t") " AS polled_at, p.boot_id, p.logon_sessions, p.wts_sessions,\n"
    "  p.duration_ms, p.error,\n"
    "  p.live_sessions, p.open_leaks, p.open_leaks_system, p.pinned_ids, p.highest_session_id\n"
    "FROM polls p ORDER BY p.id",
    NULL,
};

/* Written by `leakwatch ack` (store_acks.c), read by the service each time it
 * changes. Removing one deletes its row; one that expired stays (v_acks says
 * so) until removed. */
static const char *const schema_v6[] = {
    "CREATE TABLE acks(\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: the service tells\n"
    "                                   -- a removed one from a new one by it\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('luid', 'user', 'image')),\n"
    "  target TEXT NOT NULL,            -- HHHHHHHH:LLLLLLLL, DOMAIN\\user or agent.exe\n"
    "  reason TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL,     -- ms since epoch\n"
    "  created_by TEXT,                 -- who ran leakwatch ack (DOMAIN\\user)\n"
    "  expires_at INTEGER               -- NULL: until removed\n"
    ")",
    "CREATE VIEW v_acks AS\n"
    "SELECT a.id, a.kind, a.target, a.reason, " ISO("a.created_at") " AS created_at,\n"
    "  a.created_by, " ISO("a.expires_at") " AS expires_at,\n"
    "  CASE WHEN a.expires_at IS NOT NULL AND\n"
    "    a.expires_at <= CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)\n"
    "    THEN 'expired' ELSE 'active' END AS state\n"
    "FROM acks a ORDER BY a.id",
    NULL,
};
/* clang-format on */

/* The detector's state as a base (detector_state) and the deltas written
 * since (blob_delta.h), applied in seq order; a new base deletes them. */
static const char *const schema_v7[] = {
    "CREATE TABLE detector_state_delta(\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  saved_at INTEGER NOT NULL,       -- the poll it reflects\n"
    "  delta BLOB NOT NULL              -- turns the state before it into this one\n"
    ")",
    NULL,
};

/* The end of a session whose row was already written (issue 17): appended in
 * the order sessions end, so a poll's ends share the table's last page, where
 * an UPDATE of each ended row wrote a page of its own (ended sessions are
 * scattered over the table). The row's own last_seen is set only when the end
 * was known as the row was written (and in databases before version 8, whose
 * rows keep theirs): the end is COALESCE(row.last_seen, ends.last_seen), and a
 * session has at most one of the two. No index, on purpose (an index on the
 * session's ID would be a page per end again): readers join through an
 * automatic index SQLite builds per query, or scan; no foreign key either (it
 * would need that index). Retention deletes a session, then its end row. */
static const char *const schema_v8[] = {
    "CREATE TABLE logon_session_ends(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  logon_id INTEGER NOT NULL,       -- logon_sessions.id\n"
    "  last_seen INTEGER NOT NULL       -- last poll that saw it\n"
    ")",
    "CREATE TABLE wts_session_ends(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  wts_id INTEGER NOT NULL,         -- wts_sessions.id\n"
    "  last_seen INTEGER NOT NULL\n"
    ")",
    /* clang-format off */
    "DROP VIEW IF EXISTS v_logon_sessions",
    "CREATE VIEW v_logon_sessions AS\n"
    "SELECT l.boot_id, " LUID("l.luid") " AS luid, l.user, l.domain, l.sid,\n"
    "  COALESCE(n.name, CAST(l.logon_type AS TEXT)) AS logon_type, l.auth_package,\n"
    "  l.terminal_session, " ISO("l.logon_time") " AS logon_time,\n"
    "  " ISO("l.first_seen") " AS first_seen, " ISO("COALESCE(l.last_seen, e.last_seen)") " AS last_seen,\n"
    "  l.process_count_max\n"
    "FROM logon_sessions l LEFT JOIN logon_session_ends e ON e.logon_id = l.id\n"
    "LEFT JOIN logon_type_names n ON n.type = l.logon_type",

    "DROP VIEW IF EXISTS v_wts_sessions",
    "CREATE VIEW v_wts_sessions AS\n"
    "SELECT w.boot_id, w.session_id, who.station, who.user, who.domain, who.client,\n"
    "  " ISO("w.first_seen") " AS first_seen, " ISO("COALESCE(w.last_seen, e.last_seen)") " AS last_seen,\n"
    "  COALESCE(sn.name, CAST(cur.state AS TEXT)) AS state\n"
    "FROM wts_sessions w\n"
    "LEFT JOIN wts_session_ends e ON e.wts_id = w.id\n"
    "LEFT JOIN wts_transitions cur ON cur.id = (SELECT t.id FROM wts_transitions t\n"
    "  WHERE t.wts_id = w.id ORDER BY t.at DESC, t.id DESC LIMIT 1)\n"
    "LEFT JOIN wts_transitions who ON who.id = (SELECT t.id FROM wts_transitions t\n"
    "  WHERE t.wts_id = w.id ORDER BY COALESCE(t.user, '') <> '' DESC, t.at DESC, t.id DESC\n"
    "  LIMIT 1)\n"
    "LEFT JOIN wts_state_names sn ON sn.state = cur.state",
    /* clang-format on */
    NULL,
};

/* Nothing turns into version 0. */
static const char *const schema_v0[] = {NULL};

/* migrations[k] turns version k-1 into version k. */
static const char *const *const migrations[] = {schema_v0, schema_v1, schema_v2,
                                                schema_v3, schema_v4, schema_v5,
                                                schema_v6, schema_v7, schema_v8};

_Static_assert(sizeof migrations / sizeof migrations[0] == LW_STORE_SCHEMA_VERSION + 1,
               "one migration per schema version");

static int user_version(sqlite3 *db, int *out, char *err, size_t errlen) {
  sqlite3_stmt *s = NULL;
  int src = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
  if (src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
    *out = sqlite3_column_int(s, 0);
    src = SQLITE_OK;
  }
  if (src != SQLITE_OK)
    lw__store_seterr(err, errlen, "%s", sqlite3_errmsg(db));
  sqlite3_finalize(s);
  return lw__store_err(src);
}

/* For "TABLE ADD COLUMN NAME ...": 1 if TABLE has a column NAME already. */
static int column_exists(sqlite3 *db, const char *rest) {
  char table[64], column[64];
  sqlite3_stmt *s = NULL;
  int found = 0;
  if (sscanf(rest, "%63s ADD COLUMN %63s", table, column) != 2)
    return 0;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &s, NULL) !=
      SQLITE_OK)
    return 0;
  sqlite3_bind_text(s, 1, table, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, column, -1, SQLITE_TRANSIENT);
  found = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_finalize(s);
  return found;
}

/* Runs one migration statement so that running it again changes nothing:
 * CREATE ... gets IF NOT EXISTS and INSERT becomes INSERT OR IGNORE. A
 * database whose user_version was lowered under existing tables (by hand, or
 * a tool) then migrates instead of failing with "table already exists". The
 * statements above stay as released; SQLite stores a CREATE's text from the
 * object's name on, so the schema text is the same either way. */
static int exec_idempotent(sqlite3 *db, const char *sql, char *err, size_t errlen) {
  static const struct {
    const char *from, *to;
  } forms[] = {{"CREATE TABLE ", "CREATE TABLE IF NOT EXISTS "},
               {"CREATE INDEX ", "CREATE INDEX IF NOT EXISTS "},
               {"CREATE VIEW ", "CREATE VIEW IF NOT EXISTS "},
               {"INSERT INTO ", "INSERT OR IGNORE INTO "}};
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    size_t n = strlen(forms[i].from);
    if (strncmp(sql, forms[i].from, n) == 0) {
      char *text = sqlite3_mprintf("%s%s", forms[i].to, sql + n);
      int rc;
      if (text == NULL)
        return LW_ENOMEM;
      rc = lw__store_exec(db, text, err, errlen);
      sqlite3_free(text);
      return rc;
    }
  }
  /* A column an earlier run of this migration added is there already. */
  if (strncmp(sql, "ALTER TABLE ", 12) == 0 && column_exists(db, sql + 12))
    return 0;
  return lw__store_exec(db, sql, err, errlen);
}

int lw__store_migrate(sqlite3 *db, int from, char *err, size_t errlen) {
  char sql[64];
  int rc, v;
  size_t i;

  if (from >= LW_STORE_SCHEMA_VERSION)
    return 0;
  /* IMMEDIATE: take the write lock before reading anything, so two services
   * starting at once cannot both migrate. */
  rc = lw__store_exec(db, "BEGIN IMMEDIATE", err, errlen);
  if (rc != 0)
    return rc;
  /* Read again under the lock: another process may have migrated since. */
  rc = user_version(db, &from, err, errlen);
  if (rc == 0 && from > LW_STORE_SCHEMA_VERSION) {
    lw__store_seterr(err, errlen, "another process made it schema version %d", from);
    rc = LW_ETOONEW;
  }
  if (rc != 0 || from == LW_STORE_SCHEMA_VERSION) {
    (void)lw__store_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, 0);
    return rc;
  }
  if (from == 0) {
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d", LW_STORE_APPLICATION_ID);
    rc = lw__store_exec(db, sql, err, errlen);
  }
  for (v = from + 1; rc == 0 && v <= LW_STORE_SCHEMA_VERSION; v++) {
    for (i = 0; rc == 0 && migrations[v][i] != NULL; i++)
      rc = exec_idempotent(db, migrations[v][i], err, errlen);
  }
  if (rc == 0) {
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", LW_STORE_SCHEMA_VERSION);
    rc = lw__store_exec(db, sql, err, errlen);
  }
  if (rc == 0)
    rc = lw__store_exec(db, "COMMIT", err, errlen);
  if (rc != 0)
    (void)lw__store_exec(db, "ROLLBACK", NULL, 0);
  return rc;
}
