/*
 * store_write.c - recording polls (see store.h): the one transaction per poll
 * that writes everything queued in the model, what happens when it fails, and
 * the queueing of the detector's alerts and leak episodes.
 *
 * Write order inside the transaction: new boots, poll rows, logon sessions,
 * WTS instances and their transitions, then each poll's alerts, episodes and
 * holder findings in poll order, and last the release of the episodes of boots that ended (after
 * any episode of theirs that was still queued). A failed transaction is rolled
 * back and only the tx_id fields it set are cleared: the model keeps everything
 * for the next attempt. Unless the failure was a lock (trying again would only
 * wait again), a second, small transaction then records the bare poll rows with
 * their error, so an operator sees the failing polls while their data waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_delta.h"
#include "error.h"
#include "luid.h"
#include "store_internal.h"

static int64_t boot_id(const struct lw__boot *b) {
  if (b == NULL)
    return 0;
  return b->row_id != 0 ? b->row_id : b->tx_id;
}

/* Steps a statement that returns no rows. Returns an SQLite code. */
static int step_done(sqlite3_stmt *s) {
  int src = sqlite3_step(s);
  return src == SQLITE_DONE ? SQLITE_OK : src;
}

/* BEGIN IMMEDIATE or COMMIT, prepared once. Returns an SQLite code. */
static int tx(struct lw_store *st, enum lw__stmt_id id) {
  sqlite3_stmt *s = lw__store_stmt(st, id);
  int src;
  if (s == NULL)
    return sqlite3_errcode(st->db);
  src = step_done(s);
  sqlite3_reset(s);
  return src;
}

/* Builds the poll row's error text from what is known about it. data_kept: the
 * row is written without its data, which waits in memory (the fallback);
 * `fresh` is the error of the attempt being made. Returns a malloc'd string,
 * NULL for no error (or out of memory: the row then simply has no text, which
 * is better than no row). */
static char *poll_error_text(const struct lw__poll *p, bool data_kept, const char *fresh) {
  char dropped[160] = "", stored[384] = "";
  const char *parts[3];
  const char *why = p->store_error != NULL ? p->store_error : fresh;
  size_t n = 0, len = 1, i;
  char *out;

  if (p->error != NULL)
    parts[n++] = p->error;
  if (data_kept && why != NULL) {
    snprintf(stored, sizeof stored,
             "data not stored at poll time (%s); kept in memory for a later poll", why);
    parts[n++] = stored;
  } else if (p->store_error != NULL) {
    snprintf(stored, sizeof stored, "not stored at poll time (%s); written by a later poll",
             p->store_error);
    parts[n++] = stored;
  }
  if (p->dropped_before != 0) {
    snprintf(dropped, sizeof dropped,
             "%u earlier polls were not recorded: the database was unavailable for longer "
             "than the in-memory queue holds",
             (unsigned)p->dropped_before);
    parts[n++] = dropped;
  }
  if (n == 0)
    return NULL;
  for (i = 0; i < n; i++)
    len += strlen(parts[i]) + 2;
  out = malloc(len);
  if (out == NULL)
    return NULL;
  out[0] = '\0';
  for (i = 0; i < n; i++) {
    if (i > 0)
      strcat(out, "; ");
    strcat(out, parts[i]);
  }
  return out;
}

static int insert_boot(struct lw_store *st, struct lw__boot *b) {
  sqlite3_stmt *s = lw__store_stmt(st, LW__ST_INSERT_BOOT);
  int src;
  if (s == NULL)
    return sqlite3_errcode(st->db);
  lw__bind_time(s, 1, b->boot_time);
  sqlite3_bind_int64(s, 2, b->first_poll);
  src = step_done(s);
  if (src == SQLITE_OK)
    b->tx_id = sqlite3_last_insert_rowid(st->db);
  return src;
}

static int insert_poll(struct lw_store *st, struct lw__poll *p, bool data_kept, const char *fresh) {
  sqlite3_stmt *s = lw__store_stmt(st, LW__ST_INSERT_POLL);
  char *error;
  int src;
  if (s == NULL)
    return sqlite3_errcode(st->db);
  error = poll_error_text(p, data_kept, fresh);
  if (boot_id(p->boot) != 0)
    sqlite3_bind_int64(s, 1, boot_id(p->boot));
  sqlite3_bind_int64(s, 2, p->taken_at);
  sqlite3_bind_int64(s, 3, p->duration_ms);
  if (p->has_data) {
    sqlite3_bind_int64(s, 4, p->n_logons);
    sqlite3_bind_int64(s, 5, p->n_wts);
  }
  lw__bind_text(s, 6, error);
  if (p->has_figures) {
    sqlite3_bind_int64(s, 7, p->figures.live_sessions);
    sqlite3_bind_int64(s, 8, p->figures.open_leaks);
    sqlite3_bind_int64(s, 9, p->figures.open_leaks_system);
    sqlite3_bind_int64(s, 10, p->figures.pinned_ids);
    sqlite3_bind_int64(s, 11, p->figures.highest_session_id);
  }
  src = step_done(s);
  free(error);
  if (src == SQLITE_OK)
    p->tx_id = sqlite3_last_insert_rowid(st->db);
  return src;
}

static void bind_logon_data(sqlite3_stmt *s, int first, const struct lw__logon *l) {
  sqlite3_bind_int64(s, first, l->data_status);
  /* Without data (LsaGetLogonSessionData failed) these are unknown, not 0. */
  if (l->data_status == 0) {
    sqlite3_bind_int64(s, first + 1, l->logon_type);
    sqlite3_bind_int64(s, first + 2, l->terminal_session);
  }
  lw__bind_time(s, first + 3, l->logon_time);
  lw__bind_text(s, first + 4, l->user);
  lw__bind_text(s, first + 5, l->domain);
  lw__bind_text(s, first + 6, l->sid);
  lw__bind_text(s, first + 7, l->auth_package);
  lw__bind_text(s, first + 8, l->logon_server);
  lw__bind_text(s, first + 9, l->dns_domain);
  lw__bind_text(s, first + 10, l->upn);
}

/* One row per logon session: an INSERT the first time (with its end when
 * that is known already), an UPDATE when its figures or data changed, and
 * its end, once, as a row of logon_session_ends (schema 8): appended, where
 * an UPDATE would write the ended row's own page. */
static int write_logon(struct lw_store *st, struct lw__logon *l) {
  sqlite3_stmt *s;
  int src = SQLITE_OK;
  if (l->row_id == 0) {
    s = lw__store_stmt(st, LW__ST_INSERT_LOGON);
    if (s == NULL)
      return sqlite3_errcode(st->db);
    sqlite3_bind_int64(s, 1, boot_id(l->boot));
    sqlite3_bind_int64(s, 2, (int64_t)l->luid);
    bind_logon_data(s, 3, l);
    sqlite3_bind_int64(s, 14, l->first_seen);
    lw__bind_time(s, 15, l->last_seen);
    sqlite3_bind_int64(s, 16, l->pcmax);
    src = step_done(s);
    if (src == SQLITE_OK)
      l->tx_id = sqlite3_last_insert_rowid(st->db);
    return src;
  }
  if (l->data_dirty || l->pcmax != l->pcmax_written) {
    s = lw__store_stmt(st, l->data_dirty ? LW__ST_UPDATE_LOGON_DATA : LW__ST_UPDATE_LOGON);
    if (s == NULL)
      return sqlite3_errcode(st->db);
    sqlite3_bind_int64(s, 1, l->row_id);
    sqlite3_bind_int64(s, 3, l->pcmax);
    if (l->data_dirty)
      bind_logon_data(s, 4, l);
    src = step_done(s);
  }
  if (src == SQLITE_OK && l->last_seen != LW_TIME_UNKNOWN) {
    s = lw__store_stmt(st, LW__ST_END_LOGON);
    if (s == NULL)
      return sqlite3_errcode(st->db);
    sqlite3_bind_int64(s, 1, l->row_id);
    sqlite3_bind_int64(s, 2, l->last_seen);
    src = step_done(s);
  }
  return src;
}

static int write_wts(struct lw_store *st, struct lw__wts *w) {
  sqlite3_stmt *s;
  int64_t id = w->row_id;
  size_t i;
  int src = SQLITE_OK;
  if (id == 0) {
    s = lw__store_stmt(st, LW__ST_INSERT_WTS);
    if (s == NULL)
      return sqlite3_errcode(st->db);
    sqlite3_bind_int64(s, 1, boot_id(w->boot));
    sqlite3_bind_int64(s, 2, w->session_id);
    sqlite3_bind_int64(s, 3, w->first_seen);
    lw__bind_time(s, 4, w->last_seen);
    src = step_done(s);
    if (src != SQLITE_OK)
      return src;
    id = w->tx_id = sqlite3_last_insert_rowid(st->db);
  } else if (w->last_seen != LW_TIME_UNKNOWN) {
    s = lw__store_stmt(st, LW__ST_END_WTS); /* a row of wts_session_ends */
    if (s == NULL)
      return sqlite3_errcode(st->db);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, w->last_seen);
    src = step_done(s);
  }
  for (i = w->n_v_written; src == SQLITE_OK && i < w->n_v; i++) {
    const struct lw__wts_version *v = w->v[i];
    s = lw__store_stmt(st, LW__ST_INSERT_WTS_VERSION);
    if (s == NULL)
      return sqlite3_errcode(st->db);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, v->at);
    sqlite3_bind_int64(s, 3, v->state);
    lw__bind_text(s, 4, v->station);
    lw__bind_text(s, 5, v->user);
    lw__bind_text(s, 6, v->domain);
    lw__bind_text(s, 7, v->client);
    lw__bind_text(s, 8, v->client_address);
    lw__bind_time(s, 9, v->logon_time);
    lw__bind_time(s, 10, v->connect_time);
    lw__bind_time(s, 11, v->disconnect_time);
    src = step_done(s);
  }
  return src;
}

static int write_extra(struct lw_store *st, const struct lw__poll *p, const struct lw__extra *e) {
  sqlite3_stmt *s = NULL;
  int64_t bid = boot_id(p->boot);
  switch (e->kind) {
  case LW__EXTRA_ALERT:
    s = lw__store_stmt(st, LW__ST_INSERT_ALERT);
    if (s == NULL)
      break;
    if (bid != 0)
      sqlite3_bind_int64(s, 1, bid);
    sqlite3_bind_int64(s, 2, e->alert.raised_at);
    sqlite3_bind_int64(s, 3, e->alert.event_id);
    lw__bind_text(s, 4, e->alert.message != NULL ? e->alert.message : "");
    lw__bind_text(s, 5, e->alert.fields_json);
    sqlite3_bind_int(s, 6, e->alert.suppressed ? 1 : 0);
    if (e->alert.luid != 0) {
      char luid[LW_LUID_TEXT_SIZE];
      sqlite3_bind_text(s, 7, lw_luid_format(e->alert.luid, luid), -1, SQLITE_TRANSIENT);
    }
    lw__bind_text(s, 8, e->alert.user);
    lw__bind_text(s, 9, e->alert.domain);
    if (e->alert.terminal_session >= 0)
      sqlite3_bind_int64(s, 10, e->alert.terminal_session);
    sqlite3_bind_int(s, 11, e->alert.logged ? 1 : 0);
    break;
  case LW__EXTRA_LEAK:
    s = lw__store_stmt(st, LW__ST_INSERT_LEAK);
    if (s == NULL)
      break;
    sqlite3_bind_int64(s, 1, bid);
    sqlite3_bind_int64(s, 2, (int64_t)e->leak.luid);
    lw__bind_text(s, 3, e->leak.user);
    lw__bind_text(s, 4, e->leak.domain);
    sqlite3_bind_int64(s, 5, e->leak.logon_type);
    sqlite3_bind_int64(s, 6, e->leak.terminal_session);
    lw__bind_time(s, 7, e->leak.logon_time);
    lw__bind_time(s, 8, e->leak.session_ended_at);
    sqlite3_bind_int64(s, 9, e->leak.leaked_at);
    sqlite3_bind_int(s, 10, e->leak.system ? 1 : 0);
    if (e->leak.with_luid != 0)
      sqlite3_bind_int64(s, 11, (int64_t)e->leak.with_luid);
    if (e->leak.end_seen >= 0)
      sqlite3_bind_int(s, 12, e->leak.end_seen);
    lw__bind_time(s, 13, e->leak.orphan_seen_at);
    break;
  case LW__EXTRA_HOLDER:
    s = lw__store_stmt(st, LW__ST_INSERT_HOLDER);
    if (s == NULL)
      break;
    if (bid != 0)
      sqlite3_bind_int64(s, 1, bid);
    sqlite3_bind_int64(s, 2, (int64_t)e->holder.luid);
    sqlite3_bind_int64(s, 3, e->holder.scanned_at);
    sqlite3_bind_int64(s, 4, e->holder.pid);
    lw__bind_text(s, 5, e->holder.image);
    lw__bind_text(s, 6, e->holder.services);
    sqlite3_bind_int64(s, 7, e->holder.tokens);
    sqlite3_bind_int(s, 8, e->holder.exited_process ? 1 : 0);
    if (e->holder.exited_process)
      sqlite3_bind_int64(s, 9, e->holder.held_by_pid);
    break;
  case LW__EXTRA_RELEASE:
    s = lw__store_stmt(st, LW__ST_RELEASE_LEAK);
    if (s == NULL)
      break;
    sqlite3_bind_int64(s, 1, bid);
    sqlite3_bind_int64(s, 2, (int64_t)e->release_luid);
    sqlite3_bind_int64(s, 3, e->released_at);
    break;
  }
  if (s == NULL)
    return sqlite3_errcode(st->db);
  return step_done(s);
}

/* Boots not yet written, oldest first, into out (at most cap). */
static size_t unwritten_boots(struct lw__model *m, struct lw__boot **out, size_t cap) {
  size_t n = 0, i;
  struct lw__boot *b;
  for (b = m->boots; b != NULL && b->row_id == 0; b = b->next)
    n++;
  if (n > cap)
    n = cap; /* never: a boot is written or the queue holds its polls */
  i = n;
  for (b = m->boots; b != NULL && i > 0; b = b->next)
    out[--i] = b;
  return n;
}

#define MAX_NEW_BOOTS 64

/* The detector's state (issue 17): the changes since what this store last
 * wrote, a row of detector_state_delta; or a new base in detector_state that
 * deletes the deltas: at the first write, when the deltas would outgrow the
 * base, or when the delta is no smaller than the state. A poll thus writes
 * bytes for the sessions that changed, not for the host. */
static int save_detector(struct lw_store *st, int64_t saved_at) {
  struct lw__model *m = &st->m;
  unsigned char *delta = NULL;
  size_t dlen = 0;
  sqlite3_stmt *s;
  int src;

  if (m->det_stored != NULL && m->det_chain_n < LW__DETECTOR_DELTAS_MAX &&
      lw_blob_delta_make(m->det_stored, m->det_stored_len, m->det_blob, m->det_len, &delta,
                         &dlen) == 0 &&
      (dlen >= m->det_len || m->det_chain_bytes + dlen > m->det_base_len)) {
    free(delta);
    delta = NULL;
  }
  if (delta != NULL) {
    s = lw__store_stmt(st, LW__ST_SAVE_DETECTOR_DELTA);
    if (s == NULL) {
      free(delta);
      return sqlite3_errcode(st->db);
    }
    sqlite3_bind_int64(s, 1, saved_at);
    sqlite3_bind_blob64(s, 2, delta, dlen, SQLITE_TRANSIENT);
    free(delta);
    m->det_tx_base = false;
    m->det_tx_bytes = dlen;
    return step_done(s);
  }
  s = lw__store_stmt(st, LW__ST_SAVE_DETECTOR);
  if (s == NULL)
    return sqlite3_errcode(st->db);
  sqlite3_bind_int64(s, 1, saved_at);
  sqlite3_bind_blob64(s, 2, m->det_blob, m->det_len, SQLITE_STATIC);
  src = step_done(s);
  if (src == SQLITE_OK) {
    s = lw__store_stmt(st, LW__ST_CLEAR_DETECTOR_DELTAS);
    src = s != NULL ? step_done(s) : sqlite3_errcode(st->db);
  }
  m->det_tx_base = true;
  m->det_tx_bytes = m->det_len;
  return src;
}

/* After the commit that wrote the detector's state: it is what is stored. */
static void detector_committed(struct lw__model *m, struct lw_store_poll_result *res) {
  free(m->det_stored);
  m->det_stored = m->det_blob;
  m->det_stored_len = m->det_len;
  m->det_blob = NULL;
  m->det_len = 0;
  if (m->det_tx_base) {
    m->det_base_len = m->det_stored_len;
    m->det_chain_bytes = 0;
    m->det_chain_n = 0;
  } else {
    m->det_chain_bytes += m->det_tx_bytes;
    m->det_chain_n++;
  }
  res->detector_state_bytes = m->det_tx_bytes;
  res->detector_state_whole = m->det_tx_base;
}

/* The full transaction's body. Returns an SQLite code; *det_written tells
 * whether the detector state went with it. */
static int write_all(struct lw_store *st, bool final, struct lw_store_poll_result *res,
                     bool *det_written) {
  struct lw__model *m = &st->m;
  struct lw__boot *nb[MAX_NEW_BOOTS];
  size_t n_nb = unwritten_boots(m, nb, MAX_NEW_BOOTS), i;
  struct lw__poll *p;
  const struct lw__extra *e;
  int src = SQLITE_OK;
  bool changes = m->n_ldirty != 0 || m->n_wdirty != 0 || m->next_extras != NULL;
  uint32_t new_rows = 0;

  *det_written = false;
  for (i = 0; src == SQLITE_OK && i < n_nb; i++)
    src = insert_boot(st, nb[i]);
  for (p = m->polls; src == SQLITE_OK && p != NULL; p = p->next) {
    if (p->row_id == 0) {
      src = insert_poll(st, p, false, NULL);
      res->polls_written++;
      new_rows++;
    }
    if (p->extras != NULL)
      changes = true;
  }
  for (i = 0; src == SQLITE_OK && i < m->n_ldirty; i++)
    src = write_logon(st, m->ldirty[i]);
  for (i = 0; src == SQLITE_OK && i < m->n_wdirty; i++)
    src = write_wts(st, m->wdirty[i]);
  for (p = m->polls; src == SQLITE_OK && p != NULL; p = p->next)
    for (e = p->extras; src == SQLITE_OK && e != NULL; e = e->next)
      src = write_extra(st, p, e);
  if (m->next_extras != NULL && m->boots != NULL) {
    /* Only at close: output queued after the last poll, under the current boot. */
    struct lw__poll fake;
    memset(&fake, 0, sizeof fake);
    fake.boot = m->boots;
    for (e = m->next_extras; src == SQLITE_OK && e != NULL; e = e->next)
      src = write_extra(st, &fake, e);
  }
  /* Episodes still open in a boot that ended are over: released when it was
   * last seen. */
  for (i = 0; src == SQLITE_OK && i < n_nb; i++) {
    struct lw__boot *prev = nb[i]->prev_boot;
    if (prev != NULL && nb[i]->prev_last_data_t != LW_TIME_UNKNOWN) {
      sqlite3_stmt *s = lw__store_stmt(st, LW__ST_RELEASE_BOOT_LEAKS);
      if (s == NULL)
        return sqlite3_errcode(st->db);
      sqlite3_bind_int64(s, 1, boot_id(prev));
      sqlite3_bind_int64(s, 2, nb[i]->prev_last_data_t);
      src = step_done(s);
    }
  }
  /* The detector's state: with anything that may have changed it, else every
   * detector_state_every polls (its clock fields), and at close. */
  if (src == SQLITE_OK && m->det_dirty && m->last_poll_t != LW_TIME_UNKNOWN &&
      (changes || final || n_nb != 0 || m->det_polls + new_rows >= st->opts.detector_state_every)) {
    src = save_detector(st, m->last_poll_t);
    *det_written = src == SQLITE_OK;
  }
  return src;
}

/* After a commit: tx IDs become row IDs, written things are released. */
static void apply_commit(struct lw__model *m) {
  struct lw__boot *b;
  struct lw__poll *p, *pn;
  struct lw__extra *e, *en;
  size_t i;

  for (b = m->boots; b != NULL; b = b->next) {
    if (b->row_id == 0 && b->tx_id != 0) {
      b->row_id = b->tx_id;
    }
    b->tx_id = 0;
  }
  for (p = m->polls; p != NULL; p = pn) {
    pn = p->next;
    free(p->error);
    free(p->store_error);
    for (e = p->extras; e != NULL; e = en) {
      en = e->next;
      free(e);
    }
    free(p);
  }
  m->polls = m->polls_tail = NULL;
  m->n_polls = 0;
  for (e = m->next_extras; e != NULL; e = en) {
    en = e->next;
    free(e);
  }
  m->next_extras = m->next_extras_tail = NULL;

  for (i = 0; i < m->n_ldirty; i++) {
    struct lw__logon *l = m->ldirty[i];
    if (l->row_id == 0)
      l->row_id = l->tx_id;
    l->tx_id = 0;
    l->pcmax_written = l->pcmax;
    l->data_dirty = false;
    l->in_dirty = false;
    if (l->last_seen != LW_TIME_UNKNOWN)
      lw__logon_free(l); /* ended and written: the database has it all */
  }
  m->n_ldirty = 0;
  for (i = 0; i < m->n_wdirty; i++) {
    struct lw__wts *w = m->wdirty[i];
    if (w->row_id == 0)
      w->row_id = w->tx_id;
    w->tx_id = 0;
    w->n_v_written = w->n_v;
    w->in_dirty = false;
    if (w->last_seen != LW_TIME_UNKNOWN)
      lw__wts_free(w);
    else
      lw__wts_compact(w);
  }
  m->n_wdirty = 0;
}

/* After a rollback: forget every ID the transaction handed out. */
static void clear_tx(struct lw__model *m) {
  struct lw__boot *b;
  struct lw__poll *p;
  size_t i;
  for (b = m->boots; b != NULL; b = b->next)
    b->tx_id = 0;
  for (p = m->polls; p != NULL; p = p->next)
    p->tx_id = 0;
  for (i = 0; i < m->n_ldirty; i++)
    m->ldirty[i]->tx_id = 0;
  for (i = 0; i < m->n_wdirty; i++)
    m->wdirty[i]->tx_id = 0;
}

static void rollback(struct lw_store *st) {
  if (!sqlite3_get_autocommit(st->db))
    (void)lw__store_exec(st->db, "ROLLBACK", NULL, 0);
  clear_tx(&st->m);
}

/* The fallback: new boots and the bare rows of unwritten polls. */
static int write_poll_rows(struct lw_store *st, const char *fresh) {
  struct lw__model *m = &st->m;
  struct lw__boot *nb[MAX_NEW_BOOTS];
  size_t n_nb = unwritten_boots(m, nb, MAX_NEW_BOOTS), i;
  struct lw__poll *p;
  int src = tx(st, LW__ST_BEGIN);
  for (i = 0; src == SQLITE_OK && i < n_nb; i++)
    src = insert_boot(st, nb[i]);
  for (p = m->polls; src == SQLITE_OK && p != NULL; p = p->next)
    if (p->row_id == 0)
      src = insert_poll(st, p, p->has_data || p->extras != NULL, fresh);
  if (src == SQLITE_OK)
    src = tx(st, LW__ST_COMMIT);
  return src;
}

int lw__store_flush(struct lw_store *st, bool final, struct lw_store_poll_result *res) {
  struct lw__model *m = &st->m;
  sqlite3_int64 before = sqlite3_total_changes64(st->db);
  struct lw__poll *p;
  struct lw__boot *b;
  bool det_written = false;
  int src, rc;

  src = tx(st, LW__ST_BEGIN);
  if (src == SQLITE_OK)
    src = write_all(st, final, res, &det_written);
  if (src == SQLITE_OK)
    src = tx(st, LW__ST_COMMIT);
  if (src == SQLITE_OK) {
    res->boot_id = m->polls_tail != NULL ? boot_id(m->polls_tail->boot) : boot_id(m->boots);
    if (det_written) {
      m->det_dirty = false;
      m->det_polls = 0;
      detector_committed(m, res);
    } else {
      m->det_polls += res->polls_written;
    }
    apply_commit(m);
    res->poll_recorded = true;
    res->rows_written = (uint64_t)(sqlite3_total_changes64(st->db) - before);
    res->polls_pending = 0;
    res->polls_dropped = m->dropped_total;
    res->rc = 0;
    res->message[0] = '\0';
    return 0;
  }

  rc = lw__store_err(src);
  snprintf(res->message, sizeof res->message, "%s", sqlite3_errmsg(st->db));
  rollback(st);
  res->polls_written = 0;
  if (rc != LW_EBUSY) {
    src = write_poll_rows(st, res->message);
    if (src == SQLITE_OK) {
      for (b = m->boots; b != NULL; b = b->next) {
        if (b->row_id == 0 && b->tx_id != 0) {
          b->row_id = b->tx_id;
        }
        b->tx_id = 0;
      }
      for (p = m->polls; p != NULL; p = p->next) {
        if (p->row_id == 0 && p->tx_id != 0) {
          p->row_id = p->tx_id;
          res->polls_written++;
        }
        p->tx_id = 0;
      }
      res->poll_recorded = true;
    } else {
      rollback(st);
    }
  }
  /* Every poll that missed its own write says why, once. */
  for (p = m->polls; p != NULL; p = p->next) {
    if (p->store_error == NULL) {
      size_t n = strlen(res->message) + 1;
      p->store_error = malloc(n);
      if (p->store_error != NULL)
        memcpy(p->store_error, res->message, n);
    }
  }
  res->boot_id = m->polls_tail != NULL ? boot_id(m->polls_tail->boot) : boot_id(m->boots);
  res->rows_written = (uint64_t)(sqlite3_total_changes64(st->db) - before);
  res->polls_pending = (uint32_t)m->n_polls;
  res->polls_dropped = m->dropped_total;
  res->rc = rc;
  return rc;
}

static int record(struct lw_store *st, int64_t taken_at, int64_t boot_time, uint32_t duration_ms,
                  const struct lw_snapshot *snap, const char *error,
                  struct lw_store_poll_result *res) {
  struct lw_store_poll_result local;
  int rc;
  if (res == NULL)
    res = &local;
  memset(res, 0, sizeof *res);
  if (st == NULL || st->opts.read_only || taken_at == LW_TIME_UNKNOWN) {
    res->rc = LW_EINVAL;
    snprintf(res->message, sizeof res->message, "%s",
             st != NULL && st->opts.read_only ? "the store is read-only" : "invalid poll");
    return LW_EINVAL;
  }
  if (st->deferred) {
    /* The database is tried again: on success the queued polls have gone into
     * the model and this one follows them; else it joins the queue. */
    rc = lw__defer_resume(st, st->opts.busy_timeout_ms, res);
    if (rc != 0) {
      int qrc = lw__defer_poll(st, taken_at, boot_time, duration_ms, snap, error);
      if (qrc != 0) {
        snprintf(res->message, sizeof res->message, "out of memory: the poll was not recorded");
        rc = qrc;
      }
      res->rc = rc;
      res->polls_pending = (uint32_t)st->n_dq;
      res->polls_dropped = st->m.dropped_total;
      return rc;
    }
  }
  rc = lw__model_apply(&st->m, &st->opts, taken_at, boot_time, duration_ms, snap, error, res);
  if (rc != 0) {
    res->rc = rc;
    snprintf(res->message, sizeof res->message, "out of memory: the poll was not recorded");
    res->polls_pending = (uint32_t)st->m.n_polls;
    return rc;
  }
  return lw__store_flush(st, false, res);
}

int lw_store_record_poll(struct lw_store *st, const struct lw_snapshot *snap,
                         struct lw_store_poll_result *res) {
  if (snap == NULL) {
    if (res != NULL) {
      memset(res, 0, sizeof *res);
      res->rc = LW_EINVAL;
    }
    return LW_EINVAL;
  }
  return record(st, snap->taken_at, snap->boot_time, snap->duration_ms, snap, NULL, res);
}

int lw_store_record_failed_poll(struct lw_store *st, int64_t taken_at, int64_t boot_time,
                                uint32_t duration_ms, const char *error,
                                struct lw_store_poll_result *res) {
  return record(st, taken_at, boot_time, duration_ms, NULL,
                error != NULL ? error : "collection failed", res);
}

/* ---- The detector's output ---------------------------------------------- */

int lw_store_add_alert(struct lw_store *st, const struct lw_store_alert *alert) {
  struct lw__extra e;
  if (st == NULL || alert == NULL || st->opts.read_only)
    return LW_EINVAL;
  memset(&e, 0, sizeof e);
  e.kind = LW__EXTRA_ALERT;
  e.alert = *alert;
  return lw__model_add_extra(&st->m, &e);
}

int lw_store_open_leak(struct lw_store *st, const struct lw_store_leak *leak) {
  struct lw__extra e;
  if (st == NULL || leak == NULL || st->opts.read_only)
    return LW_EINVAL;
  memset(&e, 0, sizeof e);
  e.kind = LW__EXTRA_LEAK;
  e.leak = *leak;
  return lw__model_add_extra(&st->m, &e);
}

int lw_store_release_leak(struct lw_store *st, uint64_t luid, int64_t released_at) {
  struct lw__extra e;
  if (st == NULL || st->opts.read_only)
    return LW_EINVAL;
  memset(&e, 0, sizeof e);
  e.kind = LW__EXTRA_RELEASE;
  e.release_luid = luid;
  e.released_at = released_at;
  return lw__model_add_extra(&st->m, &e);
}

int lw_store_set_poll_figures(struct lw_store *st, const struct lw_store_poll_figures *f) {
  if (st == NULL || f == NULL || st->opts.read_only)
    return LW_EINVAL;
  st->m.next_figures = *f;
  st->m.next_has_figures = true;
  return 0;
}

int lw_store_set_detector_state(struct lw_store *st, const void *blob, size_t len) {
  void *copy;
  if (st == NULL || blob == NULL || len == 0 || st->opts.read_only)
    return LW_EINVAL;
  copy = malloc(len);
  if (copy == NULL)
    return LW_ENOMEM;
  memcpy(copy, blob, len);
  free(st->m.det_blob);
  st->m.det_blob = copy;
  st->m.det_len = len;
  st->m.det_dirty = true;
  return 0;
}

int lw_store_add_holder(struct lw_store *st, const struct lw_store_holder *holder) {
  struct lw__extra e;
  if (st == NULL || holder == NULL || st->opts.read_only)
    return LW_EINVAL;
  memset(&e, 0, sizeof e);
  e.kind = LW__EXTRA_HOLDER;
  e.holder = *holder;
  return lw__model_add_extra(&st->m, &e);
}
