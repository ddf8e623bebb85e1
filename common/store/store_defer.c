/*
 * store_defer.c - the deferred store (see store.h): the polls a writer takes
 * while its database is locked by someone else at open, kept in memory until
 * the database can be opened, then applied to the loaded model in order.
 *
 * The model's diff needs the live sessions stored in the database, so nothing
 * can be diffed before the open; each poll's snapshot is copied instead (its
 * logon sessions and WTS sessions, not its processes), shared with the
 * previous poll when both saw exactly the same, which is what a quiet host
 * does. The queue is bounded by max_pending_polls and
 * LW_STORE_DEFERRED_MAX_BYTES; beyond them the oldest poll is dropped: its
 * detector output goes on with the next poll, and it is counted (the next
 * written poll row says how many were dropped, as for the model's queue).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store_internal.h"

static void extras_free(struct lw__extra *e) {
  while (e != NULL) {
    struct lw__extra *n = e->next;
    free(e);
    e = n;
  }
}

static void dsnap_release(struct lw__dsnap *ds) {
  if (ds != NULL && --ds->refs == 0) {
    lw_snapshot_free(ds->snap);
    free(ds);
  }
}

static void deferred_free(struct lw_store *st, struct lw__deferred *d) {
  if (d->ds != NULL && d->ds->refs == 1)
    st->dq_bytes -= d->ds->bytes;
  dsnap_release(d->ds);
  free(d->error);
  extras_free(d->extras);
  free(d);
}

void lw__defer_free(struct lw_store *st) {
  struct lw__deferred *d = st->dq, *n;
  for (; d != NULL; d = n) {
    n = d->next;
    deferred_free(st, d);
  }
  st->dq = st->dq_tail = NULL;
  st->n_dq = 0;
  st->dq_bytes = 0;
}

static size_t slen(const char *s) {
  return s != NULL ? strlen(s) + 1 : 0;
}

static int str_eq(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

static int logon_eq(const struct lw_logon_session *a, const struct lw_logon_session *b) {
  return a->luid == b->luid && a->data_status == b->data_status && a->logon_type == b->logon_type &&
         a->terminal_session == b->terminal_session && a->logon_time == b->logon_time &&
         a->process_count == b->process_count && str_eq(a->user, b->user) &&
         str_eq(a->domain, b->domain) && str_eq(a->sid, b->sid) &&
         str_eq(a->auth_package, b->auth_package) && str_eq(a->logon_server, b->logon_server) &&
         str_eq(a->dns_domain, b->dns_domain) && str_eq(a->upn, b->upn);
}

static int wts_eq(const struct lw_wts_session *a, const struct lw_wts_session *b) {
  return a->id == b->id && a->state == b->state && a->logon_time == b->logon_time &&
         a->connect_time == b->connect_time && a->disconnect_time == b->disconnect_time &&
         str_eq(a->station, b->station) && str_eq(a->user, b->user) &&
         str_eq(a->domain, b->domain) && str_eq(a->client, b->client) &&
         str_eq(a->client_address, b->client_address);
}

/* Whether the copy `c` holds exactly what `s` saw (the store's view of it). */
static int same_content(const struct lw_snapshot *c, const struct lw_snapshot *s) {
  size_t i;
  if (c->boot_time != s->boot_time || c->n_logons != s->n_logons || c->n_wts != s->n_wts)
    return 0;
  for (i = 0; i < s->n_logons; i++)
    if (!logon_eq(&c->logons[i], &s->logons[i]))
      return 0;
  for (i = 0; i < s->n_wts; i++)
    if (!wts_eq(&c->wts[i], &s->wts[i]))
      return 0;
  return 1;
}

#define DUP(field)                                                                                 \
  do {                                                                                             \
    if (src->field != NULL && (dst->field = lw_snapshot_strdup(c, src->field)) == NULL)            \
      goto fail;                                                                                   \
    bytes += slen(src->field);                                                                     \
  } while (0)

/* A copy of a finished snapshot's logon and WTS sessions, in the same (sorted)
 * order, process counts kept; *bytes gets an estimate of its size. */
static struct lw_snapshot *copy_snapshot(const struct lw_snapshot *s, size_t *bytes_out) {
  struct lw_snapshot *c = lw_snapshot_new();
  size_t i, bytes = sizeof *c;
  if (c == NULL)
    return NULL;
  c->taken_at = s->taken_at;
  c->boot_time = s->boot_time;
  c->duration_ms = s->duration_ms;
  c->logons_without_data = s->logons_without_data;
  for (i = 0; i < s->n_logons; i++) {
    const struct lw_logon_session *src = &s->logons[i];
    struct lw_logon_session *dst = lw_snapshot_add_logon(c);
    if (dst == NULL)
      goto fail;
    *dst = *src;
    dst->user = dst->domain = dst->sid = dst->auth_package = NULL;
    dst->logon_server = dst->dns_domain = dst->upn = NULL;
    bytes += sizeof *dst;
    DUP(user);
    DUP(domain);
    DUP(sid);
    DUP(auth_package);
    DUP(logon_server);
    DUP(dns_domain);
    DUP(upn);
  }
  for (i = 0; i < s->n_wts; i++) {
    const struct lw_wts_session *src = &s->wts[i];
    struct lw_wts_session *dst = lw_snapshot_add_wts(c);
    if (dst == NULL)
      goto fail;
    *dst = *src;
    dst->station = dst->user = dst->domain = dst->client = dst->client_address = NULL;
    bytes += sizeof *dst;
    DUP(station);
    DUP(user);
    DUP(domain);
    DUP(client);
    DUP(client_address);
  }
  *bytes_out = bytes;
  return c;
fail:
  lw_snapshot_free(c);
  return NULL;
}
#undef DUP

/* Drops the oldest queued poll (never the newest), its output carried on. */
static void drop_oldest(struct lw_store *st) {
  struct lw__deferred *old = st->dq, *next = old->next;
  if (old->extras != NULL) {
    old->extras_tail->next = next->extras;
    next->extras = old->extras;
    if (next->extras_tail == NULL)
      next->extras_tail = old->extras_tail;
    old->extras = old->extras_tail = NULL;
  }
  next->dropped_before += 1 + old->dropped_before;
  st->m.dropped_total++;
  st->dq = next;
  st->n_dq--;
  deferred_free(st, old);
}

int lw__defer_poll(struct lw_store *st, int64_t taken_at, int64_t boot_time, uint32_t duration_ms,
                   const struct lw_snapshot *snap, const char *error) {
  struct lw__deferred *d = calloc(1, sizeof *d);
  if (d == NULL)
    return LW_ENOMEM;
  d->taken_at = taken_at;
  d->boot_time = boot_time;
  d->duration_ms = duration_ms;
  if (error != NULL) {
    size_t n = strlen(error) + 1;
    d->error = malloc(n);
    if (d->error == NULL)
      goto fail;
    memcpy(d->error, error, n);
  }
  if (snap != NULL) {
    /* The previous poll's copy, if it saw the same, serves this poll too. */
    const struct lw__deferred *t = st->dq_tail;
    if (t != NULL && t->ds != NULL && same_content(t->ds->snap, snap)) {
      d->ds = t->ds;
      d->ds->refs++;
    } else {
      d->ds = calloc(1, sizeof *d->ds);
      if (d->ds == NULL)
        goto fail;
      d->ds->refs = 1;
      d->ds->snap = copy_snapshot(snap, &d->ds->bytes);
      if (d->ds->snap == NULL) {
        free(d->ds);
        d->ds = NULL;
        goto fail;
      }
      st->dq_bytes += d->ds->bytes;
    }
  }
  d->extras = st->m.next_extras;
  d->extras_tail = st->m.next_extras_tail;
  st->m.next_extras = st->m.next_extras_tail = NULL;
  d->has_figures = st->m.next_has_figures;
  d->figures = st->m.next_figures;
  st->m.next_has_figures = false;
  if (st->dq_tail != NULL)
    st->dq_tail->next = d;
  else
    st->dq = d;
  st->dq_tail = d;
  st->n_dq++;
  while (st->dq != st->dq_tail &&
         (st->n_dq > st->opts.max_pending_polls || st->dq_bytes > LW_STORE_DEFERRED_MAX_BYTES))
    drop_oldest(st);
  return 0;
fail:
  free(d->error);
  free(d);
  return LW_ENOMEM;
}

/* SQLite's own words ("database is locked") from "PATH: message". */
static const char *lock_message(const char *err) {
  const char *p = strstr(err, ": ");
  while (p != NULL && strstr(p + 2, ": ") != NULL)
    p = strstr(p + 2, ": ");
  return p != NULL ? p + 2 : err;
}

void lw__defer_note(struct lw_store *st, const char *err) {
  snprintf(st->defer_error, sizeof st->defer_error, "%s", lock_message(err));
}

int lw__defer_resume(struct lw_store *st, int busy_ms, struct lw_store_poll_result *res) {
  struct lw__model *m = &st->m;
  struct lw_store_open_info info;
  struct lw__extra *after, *after_tail;
  void *det_blob = m->det_blob;
  size_t det_len = m->det_len;
  bool det_dirty = m->det_dirty;
  uint32_t dropped_total = m->dropped_total;
  bool has_figures = m->next_has_figures;
  struct lw_store_poll_figures figures = m->next_figures;
  char err[sizeof res->message] = "";
  int rc;

  /* The model holds only what waits for the open: the output queued after
   * the last poll, the detector state, the figures of the poll being recorded
   * and the count of dropped polls. Set
   * them aside while the database's state is loaded. */
  after = m->next_extras;
  after_tail = m->next_extras_tail;
  m->next_extras = m->next_extras_tail = NULL;
  m->det_blob = NULL;
  lw__model_free(m);
  lw__model_init(m);
  memset(&info, 0, sizeof info);
  rc = lw__store_open_db(st, busy_ms, &info, err, sizeof err);
  if (rc != 0) {
    lw__model_free(m);
    lw__model_init(m);
  } else {
    struct lw__deferred *d;
    st->deferred = false;
    for (d = st->dq; d != NULL; d = d->next) {
      struct lw_store_poll_result r;
      memset(&r, 0, sizeof r);
      m->next_extras = d->extras;
      m->next_extras_tail = d->extras_tail;
      d->extras = d->extras_tail = NULL;
      m->next_has_figures = d->has_figures;
      m->next_figures = d->figures;
      if (lw__model_apply(m, &st->opts, d->taken_at, d->boot_time, d->duration_ms,
                          d->ds != NULL ? d->ds->snap : NULL, d->error, &r) != 0) {
        /* Out of memory: this poll is lost, counted; its output goes on. */
        d->extras = m->next_extras;
        d->extras_tail = m->next_extras_tail;
        m->next_extras = m->next_extras_tail = NULL;
        dropped_total++;
        if (d->next != NULL) {
          d->next->dropped_before += 1 + d->dropped_before;
          if (d->extras != NULL) {
            d->extras_tail->next = d->next->extras;
            d->next->extras = d->extras;
            if (d->next->extras_tail == NULL)
              d->next->extras_tail = d->extras_tail;
            d->extras = d->extras_tail = NULL;
          }
        }
        continue;
      }
      if (m->polls_tail != NULL) {
        struct lw__poll *p = m->polls_tail;
        p->dropped_before += d->dropped_before;
        /* Its row says it was not written at its own poll, and why. */
        if (p->store_error == NULL && st->defer_error[0] != '\0') {
          size_t n = strlen(st->defer_error) + 1;
          p->store_error = malloc(n);
          if (p->store_error != NULL)
            memcpy(p->store_error, st->defer_error, n);
        }
      }
    }
    lw__defer_free(st);
  }
  /* What was set aside comes back, after any output of the replayed polls. */
  if (after != NULL) {
    if (m->next_extras_tail != NULL)
      m->next_extras_tail->next = after;
    else
      m->next_extras = after;
    m->next_extras_tail = after_tail;
  }
  free(m->det_blob);
  m->det_blob = det_blob;
  m->det_len = det_len;
  m->det_dirty = det_dirty;
  m->dropped_total = dropped_total;
  m->next_has_figures = has_figures;
  m->next_figures = figures;
  if (rc != 0) {
    res->rc = rc;
    snprintf(res->message, sizeof res->message, "%s", err);
    if (rc == LW_EBUSY)
      lw__defer_note(st, err);
    res->polls_pending = (uint32_t)st->n_dq;
    res->polls_dropped = m->dropped_total;
    return rc;
  }
  return 0;
}
