/*
 * store_stmts.c - the statement table: the text of every prepared statement
 * the store writes with, and the cache that prepares each once per connection.
 */
#include "store_internal.h"

const char *lw__store_stmt_sql(enum lw__stmt_id id) {
  switch (id) {
  case LW__ST_INSERT_BOOT:
    return "INSERT INTO boots(boot_time, first_poll) VALUES (?1, ?2)";
  case LW__ST_INSERT_POLL:
    return "INSERT INTO polls(boot_id, t, duration_ms, logon_sessions, wts_sessions, error, "
           "live_sessions, open_leaks, open_leaks_system, pinned_ids, highest_session_id) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
  case LW__ST_INSERT_LOGON:
    return "INSERT INTO logon_sessions(boot_id, luid, data_status, logon_type, terminal_session, "
           "logon_time, user, domain, sid, auth_package, logon_server, dns_domain, upn, "
           "first_seen, last_seen, process_count_max) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
  /* An end is not written into the row (schema 8: LW__ST_END_LOGON). */
  case LW__ST_UPDATE_LOGON:
    return "UPDATE logon_sessions SET process_count_max = ?3 WHERE id = ?1";
  case LW__ST_UPDATE_LOGON_DATA:
    return "UPDATE logon_sessions SET process_count_max = ?3, data_status = ?4, "
           "logon_type = ?5, terminal_session = ?6, logon_time = ?7, user = ?8, domain = ?9, "
           "sid = ?10, auth_package = ?11, logon_server = ?12, dns_domain = ?13, upn = ?14 "
           "WHERE id = ?1";
  case LW__ST_END_LOGON:
    return "INSERT INTO logon_session_ends(logon_id, last_seen) VALUES (?1, ?2)";
  case LW__ST_INSERT_WTS:
    return "INSERT INTO wts_sessions(boot_id, session_id, first_seen, last_seen) "
           "VALUES (?1, ?2, ?3, ?4)";
  case LW__ST_INSERT_WTS_VERSION:
    return "INSERT INTO wts_transitions(wts_id, at, state, station, user, domain, client, "
           "client_address, logon_time, connect_time, disconnect_time) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
  case LW__ST_END_WTS:
    return "INSERT INTO wts_session_ends(wts_id, last_seen) VALUES (?1, ?2)";
  case LW__ST_INSERT_ALERT:
    return "INSERT INTO alerts(boot_id, raised_at, event_id, message, fields, suppressed, "
           "luid, user, domain, terminal_session, logged) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
  case LW__ST_INSERT_LEAK:
    return "INSERT INTO leak_episodes(boot_id, luid, user, domain, logon_type, terminal_session, "
           "logon_time, session_ended_at, leaked_at, system, with_luid, end_seen, orphan_seen_at) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
  case LW__ST_RELEASE_LEAK:
    return "UPDATE leak_episodes SET released_at = ?3 "
           "WHERE boot_id = ?1 AND luid = ?2 AND released_at IS NULL";
  case LW__ST_RELEASE_BOOT_LEAKS:
    return "UPDATE leak_episodes SET released_at = ?2 WHERE boot_id = ?1 AND released_at IS NULL";
  case LW__ST_SAVE_DETECTOR:
    return "INSERT INTO detector_state(id, saved_at, state) VALUES (1, ?1, ?2) "
           "ON CONFLICT(id) DO UPDATE SET saved_at = excluded.saved_at, state = excluded.state";
  case LW__ST_SAVE_DETECTOR_DELTA:
    return "INSERT INTO detector_state_delta(saved_at, delta) VALUES (?1, ?2)";
  case LW__ST_CLEAR_DETECTOR_DELTAS:
    return "DELETE FROM detector_state_delta";
  case LW__ST_INSERT_HOLDER:
    return "INSERT INTO holders(boot_id, luid, scanned_at, pid, image, services, tokens, "
           "exited_process, held_by_pid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
  case LW__ST_BEGIN:
    /* IMMEDIATE: wait for the write lock here (busy timeout), not mid-way. */
    return "BEGIN IMMEDIATE";
  case LW__ST_COMMIT:
    return "COMMIT";
  case LW__ST_COUNT:
    break;
  }
  return NULL;
}

sqlite3_stmt *lw__store_stmt(struct lw_store *st, enum lw__stmt_id id) {
  sqlite3_stmt *s = st->stmts[id];
  if (s == NULL) {
    if (sqlite3_prepare_v3(st->db, lw__store_stmt_sql(id), -1, SQLITE_PREPARE_PERSISTENT, &s,
                           NULL) != SQLITE_OK)
      return NULL;
    st->stmts[id] = s;
    return s;
  }
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return s;
}
