/*
 * store_model.c - the store's in-memory state (see store_internal.h): what was
 * observed alive at the last poll, what is not yet written, and the diff of a
 * new snapshot against it.
 *
 * A poll is applied in two phases so that running out of memory changes
 * nothing: phase 1 allocates every new entity, version and array the poll needs
 * without touching the model (beyond growing capacities); phase 2 links them in
 * and cannot fail.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store_internal.h"

/* ---- Small helpers --------------------------------------------------------- */

int lw__ptr_reserve(void ***arr, size_t n, size_t *cap, size_t extra) {
  size_t want, new_cap;
  void **p;
  if (extra > SIZE_MAX - n)
    return LW_ENOMEM;
  want = n + extra;
  if (want <= *cap)
    return 0;
  new_cap = *cap != 0 ? *cap : 16;
  while (new_cap < want) {
    if (new_cap > SIZE_MAX / 2)
      return LW_ENOMEM;
    new_cap *= 2;
  }
  if (new_cap > SIZE_MAX / sizeof *p)
    return LW_ENOMEM;
  p = realloc(*arr, new_cap * sizeof *p);
  if (p == NULL)
    return LW_ENOMEM;
  *arr = p;
  *cap = new_cap;
  return 0;
}

int lw__ptr_push(void ***arr, size_t *n, size_t *cap, void *p) {
  int rc = lw__ptr_reserve(arr, *n, cap, 1);
  if (rc == 0)
    (*arr)[(*n)++] = p;
  return rc;
}

static size_t slen(const char *s) {
  return s != NULL ? strlen(s) + 1 : 0;
}

/* Copies s to *cursor (advancing it); NULL stays NULL. */
static const char *scopy(char **cursor, const char *s) {
  char *d;
  size_t n;
  if (s == NULL)
    return NULL;
  n = strlen(s) + 1;
  d = *cursor;
  memcpy(d, s, n);
  *cursor += n;
  return d;
}

static bool str_eq(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

static bool nonempty(const char *s) {
  return s != NULL && s[0] != '\0';
}

/* ---- Entities -------------------------------------------------------------- */

struct lw__logon *lw__logon_new(const struct lw_logon_session *s) {
  struct lw__logon *l = calloc(1, sizeof *l);
  size_t n = slen(s->user) + slen(s->domain) + slen(s->sid) + slen(s->auth_package) +
             slen(s->logon_server) + slen(s->dns_domain) + slen(s->upn);
  char *cur;
  if (l == NULL)
    return NULL;
  l->strs = malloc(n != 0 ? n : 1);
  if (l->strs == NULL) {
    free(l);
    return NULL;
  }
  cur = l->strs;
  l->user = scopy(&cur, s->user);
  l->domain = scopy(&cur, s->domain);
  l->sid = scopy(&cur, s->sid);
  l->auth_package = scopy(&cur, s->auth_package);
  l->logon_server = scopy(&cur, s->logon_server);
  l->dns_domain = scopy(&cur, s->dns_domain);
  l->upn = scopy(&cur, s->upn);
  l->luid = s->luid;
  l->data_status = s->data_status;
  l->logon_type = s->logon_type;
  l->terminal_session = s->terminal_session;
  l->logon_time = s->logon_time;
  l->pcmax = s->process_count;
  l->first_seen = LW_TIME_UNKNOWN;
  l->last_seen = LW_TIME_UNKNOWN;
  return l;
}

void lw__logon_free(struct lw__logon *l) {
  if (l == NULL)
    return;
  free(l->strs);
  free(l);
}

/* Moves the data of `fill` (a fresh entity) into `l`; frees fill. */
static void logon_take_data(struct lw__logon *l, struct lw__logon *fill) {
  free(l->strs);
  l->strs = fill->strs;
  l->user = fill->user;
  l->domain = fill->domain;
  l->sid = fill->sid;
  l->auth_package = fill->auth_package;
  l->logon_server = fill->logon_server;
  l->dns_domain = fill->dns_domain;
  l->upn = fill->upn;
  l->data_status = fill->data_status;
  l->logon_type = fill->logon_type;
  l->terminal_session = fill->terminal_session;
  l->logon_time = fill->logon_time;
  free(fill);
}

struct lw__wts_version *lw__wts_version_new(int64_t at, const struct lw_wts_session *w) {
  size_t n = slen(w->station) + slen(w->user) + slen(w->domain) + slen(w->client) +
             slen(w->client_address);
  struct lw__wts_version *v;
  char *cur;
  if (n > SIZE_MAX - sizeof *v)
    return NULL;
  v = malloc(sizeof *v + n);
  if (v == NULL)
    return NULL;
  cur = (char *)(v + 1);
  v->at = at;
  v->state = w->state;
  v->station = scopy(&cur, w->station);
  v->user = scopy(&cur, w->user);
  v->domain = scopy(&cur, w->domain);
  v->client = scopy(&cur, w->client);
  v->client_address = scopy(&cur, w->client_address);
  v->logon_time = w->logon_time;
  v->connect_time = w->connect_time;
  v->disconnect_time = w->disconnect_time;
  return v;
}

void lw__wts_free(struct lw__wts *w) {
  size_t i;
  if (w == NULL)
    return;
  for (i = 0; i < w->n_v; i++)
    free(w->v[i]);
  free(w->v);
  free(w);
}

void lw__wts_compact(struct lw__wts *w) {
  size_t i;
  if (w->n_v <= 1)
    return;
  for (i = 0; i + 1 < w->n_v; i++)
    free(w->v[i]);
  w->v[0] = w->v[w->n_v - 1];
  w->n_v = 1;
  w->n_v_written = w->n_v_written != 0 ? 1 : 0;
}

/* A new instance with its first version. */
struct lw__wts *lw__wts_new(uint32_t session_id, int64_t at, const struct lw_wts_session *s) {
  struct lw__wts *w = calloc(1, sizeof *w);
  struct lw__wts_version *v = lw__wts_version_new(at, s);
  if (w == NULL || v == NULL || lw__ptr_push((void ***)&w->v, &w->n_v, &w->cap_v, v) != 0) {
    free(v);
    lw__wts_free(w);
    return NULL;
  }
  w->session_id = session_id;
  w->first_seen = at;
  w->last_seen = LW_TIME_UNKNOWN;
  return w;
}

/* What phase 1 decided for a snapshot's WTS entry, so phase 2 does not compare
 * the strings a second time. */
enum wts_action {
  WTS_DUPLICATE, /* a repeated ID (a collector bug): skipped */
  WTS_SAME,      /* the live instance, unchanged */
  WTS_VERSION,   /* the live instance, with a new version */
  WTS_REUSED,    /* the ID's live instance ended; this is a new one */
  WTS_FRESH      /* a new instance */
};

/* What the snapshot's WTS session `s` is to the live instance whose current
 * version is `v`, each string read once (this runs for every WTS session of
 * every poll). Session IDs are reused: a different known logon time, or a
 * different user where both have one, is a new instance (a logon into a
 * Connected session that had no user is the same one). Otherwise any
 * difference is a new version; none, the same. */
static enum wts_action wts_compare(const struct lw__wts_version *v,
                                   const struct lw_wts_session *s) {
  bool user_eq, domain_eq;
  if (v->logon_time != LW_TIME_UNKNOWN && s->logon_time != LW_TIME_UNKNOWN &&
      v->logon_time != s->logon_time)
    return WTS_REUSED;
  user_eq = str_eq(v->user, s->user);
  domain_eq = str_eq(v->domain, s->domain);
  if (nonempty(v->user) && nonempty(s->user) && (!user_eq || !domain_eq))
    return WTS_REUSED;
  /* The numbers first: they decide most changes without a string read. */
  if (!user_eq || !domain_eq || v->state != s->state || v->logon_time != s->logon_time ||
      v->connect_time != s->connect_time || v->disconnect_time != s->disconnect_time ||
      !str_eq(v->station, s->station) || !str_eq(v->client, s->client) ||
      !str_eq(v->client_address, s->client_address))
    return WTS_VERSION;
  return WTS_SAME;
}

static void extras_free(struct lw__extra *e) {
  while (e != NULL) {
    struct lw__extra *next = e->next;
    free(e);
    e = next;
  }
}

static void poll_free(struct lw__poll *p) {
  if (p == NULL)
    return;
  free(p->error);
  free(p->store_error);
  extras_free(p->extras);
  free(p);
}

/* ---- Model life cycle ------------------------------------------------------ */

void lw__model_init(struct lw__model *m) {
  memset(m, 0, sizeof *m);
  m->last_poll_t = LW_TIME_UNKNOWN;
}

void lw__model_free(struct lw__model *m) {
  size_t i;
  struct lw__boot *b, *bn;
  struct lw__poll *p, *pn;
  /* Live entities are owned by live[]; ended ones by the dirty lists (which
   * also point at live ones: those go second). */
  for (i = 0; i < m->n_ldirty; i++)
    if (m->ldirty[i]->last_seen != LW_TIME_UNKNOWN)
      lw__logon_free(m->ldirty[i]);
  for (i = 0; i < m->n_live; i++)
    lw__logon_free(m->live[i].l);
  for (i = 0; i < m->n_wdirty; i++)
    if (m->wdirty[i]->last_seen != LW_TIME_UNKNOWN)
      lw__wts_free(m->wdirty[i]);
  for (i = 0; i < m->n_wlive; i++)
    lw__wts_free(m->wlive[i].w);
  free(m->live);
  free(m->wlive);
  free(m->ldirty);
  free(m->wdirty);
  for (b = m->boots; b != NULL; b = bn) {
    bn = b->next;
    free(b);
  }
  for (p = m->polls; p != NULL; p = pn) {
    pn = p->next;
    poll_free(p);
  }
  extras_free(m->next_extras);
  free(m->det_blob);
  free(m->det_stored);
  memset(m, 0, sizeof *m);
}

int lw__model_add_extra(struct lw__model *m, const struct lw__extra *proto) {
  const struct lw_store_alert *a = &proto->alert;
  const struct lw_store_leak *l = &proto->leak;
  size_t n = 0;
  struct lw__extra *e;
  char *cur;

  if (proto->kind == LW__EXTRA_ALERT)
    n = slen(a->message) + slen(a->fields_json) + slen(a->user) + slen(a->domain);
  else if (proto->kind == LW__EXTRA_LEAK)
    n = slen(l->user) + slen(l->domain);
  else if (proto->kind == LW__EXTRA_HOLDER)
    n = slen(proto->holder.image) + slen(proto->holder.services);
  if (n > SIZE_MAX - sizeof *e)
    return LW_ENOMEM;
  e = malloc(sizeof *e + n);
  if (e == NULL)
    return LW_ENOMEM;
  *e = *proto;
  e->next = NULL;
  cur = (char *)(e + 1);
  if (proto->kind == LW__EXTRA_ALERT) {
    e->alert.message = scopy(&cur, a->message);
    e->alert.fields_json = scopy(&cur, a->fields_json);
    e->alert.user = scopy(&cur, a->user);
    e->alert.domain = scopy(&cur, a->domain);
  } else if (proto->kind == LW__EXTRA_LEAK) {
    e->leak.user = scopy(&cur, l->user);
    e->leak.domain = scopy(&cur, l->domain);
  } else if (proto->kind == LW__EXTRA_HOLDER) {
    e->holder.image = scopy(&cur, proto->holder.image);
    e->holder.services = scopy(&cur, proto->holder.services);
  }
  if (m->next_extras_tail != NULL)
    m->next_extras_tail->next = e;
  else
    m->next_extras = e;
  m->next_extras_tail = e;
  return 0;
}

/* ---- Applying a poll ------------------------------------------------------- */

/* Drops the oldest queued polls beyond the limit, carrying their alerts and
 * episodes to the next record and counting them in its row. */
static void trim_queue(struct lw__model *m, uint32_t max) {
  while (m->n_polls > max && m->polls != NULL && m->polls->next != NULL) {
    struct lw__poll *old = m->polls, *next = old->next;
    if (old->extras != NULL) {
      old->extras_tail->next = next->extras;
      next->extras = old->extras;
      if (next->extras_tail == NULL)
        next->extras_tail = old->extras_tail;
      old->extras = old->extras_tail = NULL;
    }
    if (old->row_id == 0) {
      next->dropped_before += 1 + old->dropped_before;
      m->dropped_total++;
    } else {
      next->dropped_before += old->dropped_before;
    }
    m->polls = next;
    m->n_polls--;
    poll_free(old);
  }
}

/* A change phase 1 found in the live list: entry `at` grows its process
 * maximum to `pcmax`, or takes `fill` as its data. */
struct live_change {
  size_t at;
  uint32_t pcmax;
  struct lw__logon *fill;
};

/* What phase 1 prepared, for phase 2 to apply without reading the snapshot
 * again: positions in the live list, and the allocations, in LUID order. */
struct plan {
  struct lw__logon **created; /* new logon entities, in LUID order */
  size_t n_created, cap_created;
  size_t *ended; /* positions in the live list, ascending */
  size_t n_ended, cap_ended;
  struct live_change *changes; /* ascending positions */
  size_t n_changes, cap_changes;
  struct lw__live *new_live; /* NULL: the live list keeps its shape */
  size_t n_new_live;
  struct lw__wts **wcreated; /* new WTS instances */
  size_t n_wcreated, cap_wcreated;
  struct lw__wts_version **versions; /* new versions of existing instances */
  size_t n_versions, cap_versions;
  size_t n_wended;
  struct lw__wlive *new_wlive;
  size_t n_new_wlive;
  unsigned char *wact; /* per snapshot WTS entry: an enum wts_action */
};

static void plan_free(struct plan *p) {
  size_t i;
  for (i = 0; i < p->n_created; i++)
    lw__logon_free(p->created[i]);
  for (i = 0; i < p->n_changes; i++)
    lw__logon_free(p->changes[i].fill);
  for (i = 0; i < p->n_wcreated; i++)
    lw__wts_free(p->wcreated[i]);
  for (i = 0; i < p->n_versions; i++)
    free(p->versions[i]);
  free(p->created);
  free(p->ended);
  free(p->changes);
  free(p->new_live);
  free(p->wcreated);
  free(p->versions);
  free(p->new_wlive);
  free(p->wact);
}

/* Appends one element of `size` bytes to a growing array. Returns 0 or
 * LW_ENOMEM. */
static int push(void **arr, size_t *n, size_t *cap, size_t size, const void *elem) {
  if (*n == *cap) {
    size_t c = *cap != 0 ? *cap * 2 : 16;
    void *p;
    if (c > SIZE_MAX / size)
      return LW_ENOMEM;
    p = realloc(*arr, c * size);
    if (p == NULL)
      return LW_ENOMEM;
    *arr = p;
    *cap = c;
  }
  memcpy((char *)*arr + *n * size, elem, size);
  (*n)++;
  return 0;
}

/* Phase 1 for logon sessions: merges the sorted snapshot with the sorted live
 * keys (duplicate LUIDs in a snapshot, a collector bug, are skipped), records
 * what differs and allocates. Reads each snapshot entry once and no entity.
 * Returns 0 or LW_ENOMEM. */
static int plan_logons(struct plan *p, const struct lw__live *live, size_t n_old,
                       const struct lw_snapshot *snap) {
  size_t i, j = 0;
  for (i = 0; i < snap->n_logons; i++) {
    const struct lw_logon_session *s = &snap->logons[i];
    if (i > 0 && snap->logons[i - 1].luid == s->luid)
      continue;
    while (j < n_old && live[j].luid < s->luid) {
      if (push((void **)&p->ended, &p->n_ended, &p->cap_ended, sizeof j, &j) != 0)
        return LW_ENOMEM;
      j++;
    }
    if (j < n_old && live[j].luid == s->luid) {
      bool fill = live[j].no_data && s->data_status == 0;
      if (fill || s->process_count > live[j].pcmax) {
        struct live_change c;
        c.at = j;
        c.pcmax = s->process_count > live[j].pcmax ? s->process_count : live[j].pcmax;
        c.fill = fill ? lw__logon_new(s) : NULL;
        if ((fill && c.fill == NULL) ||
            push((void **)&p->changes, &p->n_changes, &p->cap_changes, sizeof c, &c) != 0) {
          lw__logon_free(c.fill);
          return LW_ENOMEM;
        }
      }
      j++;
    } else {
      struct lw__logon *l = lw__logon_new(s);
      if (l == NULL ||
          lw__ptr_push((void ***)&p->created, &p->n_created, &p->cap_created, l) != 0) {
        lw__logon_free(l);
        return LW_ENOMEM;
      }
    }
  }
  for (; j < n_old; j++)
    if (push((void **)&p->ended, &p->n_ended, &p->cap_ended, sizeof j, &j) != 0)
      return LW_ENOMEM;
  if (p->n_created != 0 || p->n_ended != 0) {
    p->n_new_live = n_old - p->n_ended + p->n_created;
    p->new_live = malloc((p->n_new_live + 1) * sizeof *p->new_live);
    if (p->new_live == NULL)
      return LW_ENOMEM;
  }
  return 0;
}

/* Phase 1 for WTS sessions (few: comparing them in full is cheap, once). */
static int plan_wts(struct plan *p, const struct lw__wlive *wlive, size_t n_old,
                    const struct lw_snapshot *snap, int64_t taken_at) {
  size_t i, j = 0, kept = 0;
  p->wact = malloc(snap->n_wts != 0 ? snap->n_wts : 1);
  if (p->wact == NULL)
    return LW_ENOMEM;
  for (i = 0; i < snap->n_wts; i++) {
    const struct lw_wts_session *s = &snap->wts[i];
    p->wact[i] = WTS_FRESH;
    if (i > 0 && snap->wts[i - 1].id == s->id) {
      p->wact[i] = WTS_DUPLICATE;
      continue;
    }
    while (j < n_old && wlive[j].session_id < s->id) {
      p->n_wended++;
      j++;
    }
    if (j < n_old && wlive[j].session_id == s->id) {
      struct lw__wts *w = wlive[j].w;
      p->wact[i] = wts_compare(wlive[j].cur, s);
      j++;
      if (p->wact[i] == WTS_REUSED) {
        p->n_wended++; /* the ID was reused: the old instance ended */
      } else if (p->wact[i] == WTS_SAME) {
        kept++;
      } else {
        struct lw__wts_version *v;
        kept++;
        /* Growing the capacity now leaves the contents unchanged. */
        if (lw__ptr_reserve((void ***)&w->v, w->n_v, &w->cap_v, 1) != 0)
          return LW_ENOMEM;
        v = lw__wts_version_new(taken_at, s);
        if (v == NULL ||
            lw__ptr_push((void ***)&p->versions, &p->n_versions, &p->cap_versions, v) != 0) {
          free(v);
          return LW_ENOMEM;
        }
      }
    }
    if (p->wact[i] == WTS_FRESH || p->wact[i] == WTS_REUSED) {
      struct lw__wts *w = lw__wts_new(s->id, taken_at, s);
      if (w == NULL ||
          lw__ptr_push((void ***)&p->wcreated, &p->n_wcreated, &p->cap_wcreated, w) != 0) {
        lw__wts_free(w);
        return LW_ENOMEM;
      }
    }
  }
  p->n_wended += n_old - j;
  if (p->n_wcreated != 0 || p->n_wended != 0) {
    p->n_new_wlive = kept + p->n_wcreated;
    p->new_wlive = malloc((p->n_new_wlive + 1) * sizeof *p->new_wlive);
    if (p->new_wlive == NULL)
      return LW_ENOMEM;
  }
  return 0;
}

static void mark_logon_dirty(struct lw__model *m, struct lw__logon *l) {
  if (!l->in_dirty) {
    l->in_dirty = true;
    m->ldirty[m->n_ldirty++] = l; /* capacity reserved in phase 1 */
  }
}

static void mark_wts_dirty(struct lw__model *m, struct lw__wts *w) {
  if (!w->in_dirty) {
    w->in_dirty = true;
    m->wdirty[m->n_wdirty++] = w;
  }
}

/* Phase 2 for logon sessions: applies the plan to the live list (no snapshot
 * needed), then, if sessions came or went, merges the survivors with the new
 * ones into a new list. */
static void apply_logons(struct lw__model *m, struct plan *p, struct lw__boot *boot,
                         int64_t taken_at, int64_t ended_at, struct lw_store_poll_result *res) {
  struct lw__live *live = m->live;
  size_t n_old = m->n_live, i, j, k = 0, c = 0, e = 0;
  for (i = 0; i < p->n_changes; i++) {
    struct lw__live *x = &live[p->changes[i].at];
    if (p->changes[i].fill != NULL) {
      logon_take_data(x->l, p->changes[i].fill);
      p->changes[i].fill = NULL;
      x->l->data_dirty = true;
      x->no_data = 0;
    }
    x->pcmax = x->l->pcmax = p->changes[i].pcmax;
    mark_logon_dirty(m, x->l);
  }
  p->n_changes = 0;
  for (i = 0; i < p->n_ended; i++) {
    struct lw__logon *l = live[p->ended[i]].l;
    l->last_seen = ended_at;
    mark_logon_dirty(m, l);
    res->logons_ended++;
  }
  for (i = 0; i < p->n_created; i++) {
    struct lw__logon *l = p->created[i];
    l->boot = boot;
    l->first_seen = taken_at;
    mark_logon_dirty(m, l);
    res->logons_started++;
  }
  if (p->new_live == NULL)
    return;
  for (j = 0; j < n_old || c < p->n_created;) {
    if (e < p->n_ended && j < n_old && p->ended[e] == j) {
      e++;
      j++;
    } else if (c < p->n_created && (j >= n_old || p->created[c]->luid < live[j].luid)) {
      struct lw__logon *l = p->created[c++];
      p->new_live[k].luid = l->luid;
      p->new_live[k].pcmax = l->pcmax;
      p->new_live[k].no_data = l->data_status != 0;
      p->new_live[k++].l = l;
    } else {
      p->new_live[k++] = live[j++];
    }
  }
  p->n_created = 0;
  free(m->live);
  m->live = p->new_live;
  m->n_live = k;
  m->cap_live = p->n_new_live + 1;
  p->new_live = NULL;
}

static void end_wts(struct lw__model *m, struct lw__wts *w, int64_t ended_at,
                    struct lw_store_poll_result *res) {
  w->last_seen = ended_at;
  mark_wts_dirty(m, w);
  res->wts_ended++;
}

/* Phase 2 for WTS sessions: walks the snapshot and the live list as phase 1
 * did, doing what it decided (p->wact). */
static void apply_wts(struct lw__model *m, struct plan *p, const struct lw_snapshot *snap,
                      struct lw__boot *boot, int64_t ended_at, struct lw_store_poll_result *res) {
  struct lw__wlive *wlive = m->wlive;
  size_t n_old = m->n_wlive, i, j = 0, k = 0, c = 0, v = 0;
  for (i = 0; i < snap->n_wts; i++) {
    const struct lw_wts_session *s = &snap->wts[i];
    enum wts_action a = (enum wts_action)p->wact[i];
    if (a == WTS_DUPLICATE)
      continue;
    while (j < n_old && wlive[j].session_id < s->id)
      end_wts(m, wlive[j++].w, ended_at, res);
    if (a == WTS_REUSED) {
      end_wts(m, wlive[j++].w, ended_at, res);
    } else if (a == WTS_SAME || a == WTS_VERSION) {
      struct lw__wlive *x = &wlive[j++];
      if (a == WTS_VERSION) {
        struct lw__wts *w = x->w;
        w->v[w->n_v++] = x->cur = p->versions[v];
        p->versions[v++] = NULL;
        mark_wts_dirty(m, w);
        res->wts_changed++;
      }
      if (p->new_wlive != NULL)
        p->new_wlive[k++] = *x;
    }
    if (a == WTS_FRESH || a == WTS_REUSED) {
      struct lw__wts *w = p->wcreated[c];
      p->wcreated[c++] = NULL;
      w->boot = boot;
      mark_wts_dirty(m, w);
      res->wts_started++;
      p->new_wlive[k].session_id = w->session_id;
      p->new_wlive[k].cur = w->v[0];
      p->new_wlive[k++].w = w;
    }
  }
  for (; j < n_old; j++)
    end_wts(m, wlive[j].w, ended_at, res);
  p->n_wcreated = 0;
  p->n_versions = 0;
  if (p->new_wlive != NULL) {
    free(m->wlive);
    m->wlive = p->new_wlive;
    m->n_wlive = k;
    m->cap_wlive = p->n_new_wlive + 1;
    p->new_wlive = NULL;
  }
}

/* A new boot nb replaces cur (NULL: the first boot): everything still alive in
 * the old boot is closed at its last poll, and nb becomes the current boot. */
static void switch_boot(struct lw__model *m, const struct lw__boot *cur, struct lw__boot *nb,
                        struct lw_store_poll_result *res) {
  int64_t ended_at;
  size_t i;

  ended_at = cur == NULL                           ? LW_TIME_UNKNOWN
             : cur->last_data_t != LW_TIME_UNKNOWN ? cur->last_data_t
                                                   : cur->first_poll;
  for (i = 0; i < m->n_live; i++) {
    m->live[i].l->last_seen = ended_at;
    mark_logon_dirty(m, m->live[i].l);
    res->logons_ended++;
  }
  for (i = 0; i < m->n_wlive; i++) {
    m->wlive[i].w->last_seen = ended_at;
    mark_wts_dirty(m, m->wlive[i].w);
    res->wts_ended++;
  }
  m->n_live = 0;
  m->n_wlive = 0;
  nb->next = m->boots;
  m->boots = nb;
  res->new_boot = true;
}

int lw__model_apply(struct lw__model *m, const struct lw_store_options *opts, int64_t taken_at,
                    int64_t boot_time, uint32_t duration_ms, const struct lw_snapshot *snap,
                    const char *error, struct lw_store_poll_result *res) {
  struct lw__boot *cur = m->boots, *nb = NULL, *boot;
  struct lw__poll *rec = NULL;
  struct plan p;
  size_t n_dirty;
  int64_t ended_at;
  bool boot_change;
  int rc = LW_ENOMEM;

  memset(&p, 0, sizeof p);
  /* ---- Phase 1: decide and allocate; the model is not changed. ---- */
  boot_change = cur == NULL || (boot_time != LW_TIME_UNKNOWN && cur->boot_time != LW_TIME_UNKNOWN &&
                                (boot_time - cur->boot_time > opts->boot_tolerance_ms ||
                                 cur->boot_time - boot_time > opts->boot_tolerance_ms));
  rec = calloc(1, sizeof *rec);
  if (rec == NULL)
    goto fail;
  if (error != NULL) {
    size_t n = strlen(error) + 1;
    rec->error = malloc(n);
    if (rec->error == NULL)
      goto fail;
    memcpy(rec->error, error, n);
  }
  if (boot_change) {
    nb = calloc(1, sizeof *nb);
    if (nb == NULL)
      goto fail;
    nb->boot_time = boot_time;
    nb->first_poll = taken_at;
    nb->last_data_t = LW_TIME_UNKNOWN;
    nb->prev_boot = cur;
    nb->prev_last_data_t = cur != NULL ? cur->last_data_t : LW_TIME_UNKNOWN;
  }
  boot = nb != NULL ? nb : cur;
  if (snap != NULL) {
    /* A new boot starts from nothing: its LUIDs are not the old boot's. */
    if (plan_logons(&p, m->live, boot_change ? 0 : m->n_live, snap) != 0 ||
        plan_wts(&p, m->wlive, boot_change ? 0 : m->n_wlive, snap, taken_at) != 0)
      goto fail;
  }
  n_dirty = p.n_created + p.n_ended + p.n_changes + (boot_change ? m->n_live : 0);
  if (lw__ptr_reserve((void ***)&m->ldirty, m->n_ldirty, &m->cap_ldirty, n_dirty) != 0)
    goto fail;
  n_dirty = p.n_wcreated + p.n_wended + p.n_versions + (boot_change ? m->n_wlive : 0);
  if (lw__ptr_reserve((void ***)&m->wdirty, m->n_wdirty, &m->cap_wdirty, n_dirty) != 0)
    goto fail;

  /* ---- Phase 2: link in; nothing below can fail. ---- */
  if (boot_change) {
    switch_boot(m, cur, nb, res);
    nb = NULL;
  }
  if (snap != NULL) {
    ended_at = boot->last_data_t != LW_TIME_UNKNOWN ? boot->last_data_t : taken_at;
    apply_logons(m, &p, boot, taken_at, ended_at, res);
    apply_wts(m, &p, snap, boot, ended_at, res);
    boot->last_data_t = taken_at;
    rec->has_data = true;
    rec->n_logons = (uint32_t)m->n_live;
    rec->n_wts = (uint32_t)m->n_wlive;
  }

  rec->boot = boot;
  rec->taken_at = taken_at;
  m->last_poll_t = taken_at;
  rec->duration_ms = duration_ms;
  rec->extras = m->next_extras;
  rec->extras_tail = m->next_extras_tail;
  m->next_extras = m->next_extras_tail = NULL;
  rec->has_figures = m->next_has_figures && snap != NULL;
  rec->figures = m->next_figures;
  m->next_has_figures = false;
  if (m->polls_tail != NULL)
    m->polls_tail->next = rec;
  else
    m->polls = rec;
  m->polls_tail = rec;
  m->n_polls++;
  trim_queue(m, opts->max_pending_polls);
  plan_free(&p);
  return 0;

fail:
  plan_free(&p);
  free(nb);
  poll_free(rec);
  return rc;
}
