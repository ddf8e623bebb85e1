/*
 * detect.c - the leak detector's step (see detect.h): WTS instance tracking,
 * orphaned and leaked logon sessions, pinned session IDs, accumulating logon
 * sessions, stuck logoffs, and committing the new state. The alert texts are
 * detect_text.c's, the state's strings and lookups detect_state.c's, its saved
 * form detect_blob.c's.
 *
 * Sections: small helpers, the step (WTS merge, logon merge, accumulation, gap,
 * stuck logoff, commit).
 */
#include "detect.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "detect_internal.h"
#include "error.h"
#include "luid.h"
#include "timefmt.h"

/* ---- Small helpers ---------------------------------------------------------- */

/* Parses 1-10 decimal digits that fill the rest of s and fit 32 bits. */
static int parse_u32_tail(const char *s, uint32_t *n) {
  uint64_t v = 0;
  int digits = 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    if (++digits > 10)
      return 0;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  if (digits == 0 || *s != '\0' || v > UINT32_MAX)
    return 0;
  *n = (uint32_t)v;
  return 1;
}

static int has_prefix_ci(const char *s, const char *prefix) {
  for (; *prefix != '\0'; s++, prefix++)
    if (fold((unsigned char)*s) != fold((unsigned char)*prefix))
      return 0;
  return 1;
}

int lw_detect_system_logon(const struct lw_logon_session *l, uint32_t *n) {
  /* The SID is the same in every language; the names are the fallback for a
   * collector that could not read it. */
  if (l->sid != NULL) {
    if (strncmp(l->sid, "S-1-5-90-0-", 11) == 0 || strncmp(l->sid, "S-1-5-96-0-", 11) == 0)
      return parse_u32_tail(l->sid + 11, n);
  }
  if (l->user != NULL && l->domain != NULL) {
    if (has_prefix_ci(l->user, "DWM-") && casecmp(l->domain, "Window Manager") == 0)
      return parse_u32_tail(l->user + 4, n);
    if (has_prefix_ci(l->user, "UMFD-") && casecmp(l->domain, "Font Driver Host") == 0)
      return parse_u32_tail(l->user + 5, n);
  }
  return 0;
}

void lw_detect_config_from(struct lw_detect_config *dc, const struct lw_config *cfg) {
  dc->holders_enabled = cfg->holders_enabled;
  dc->grace_period_ms = cfg->grace_period_ms;
  dc->gap_threshold = cfg->gap_threshold;
  dc->accumulation_threshold = cfg->accumulation_threshold;
  dc->alerts_max_per_hour = cfg->alerts_max_per_hour;
  dc->acks = NULL; /* the service's: the history's acks and the config's ignore: */
}

/* ---- The step --------------------------------------------------------------- */

/* A rule-3 candidate with its (logon type, DOMAIN\user) key hashed, so that
 * counting per key compares names only when hashes are equal. */
struct cand {
  uint64_t hash;
  const struct lw_logon_session *l;
};

/* Everything a step builds before it commits. */
struct step {
  struct lw_detect_state *st;
  const struct lw_snapshot *snap;
  const struct lw_detect_config *cfg;
  struct lw_detect_output *out;
  int64_t now, prev_poll, boot_time;
  /* the previous state as this step sees it (empty after a reboot) */
  const struct lw_detect_logon *ol;
  size_t n_ol;
  const struct lw_detect_wts *ow;
  size_t n_ow;
  const struct lw_detect_accum *oa;
  size_t n_oa;
  uint32_t gap_active, gap_last;
  /* the new state */
  struct lw_detect_logon *nl;
  size_t n_nl;
  struct lw_detect_wts *nw;
  size_t n_nw;
  struct lw_detect_accum *na;
  size_t n_na, cap_na;
  struct cand *cands; /* process-less, for rule 3 */
  size_t n_cands;
  struct lw_detect_logon **pinned; /* leaked records on IDs no WTS session has */
  size_t n_pinned;
  struct lw__alert_vec agg; /* 2003 2004 2006 2005: first, so a flood of 2001s
                             * cannot push them past the rate limit */
  struct lw__alert_vec per; /* 2002 2001 */
  size_t *newly;            /* indices into nl of records that leaked at this step */
  size_t n_newly;
  struct lw__leak_key *old_users; /* the previous state's leaked user logon sessions */
  size_t n_old_users;
};

/* A leaked DWM-n/UMFD-n record whose user logon session is (still) leaked: its
 * leak was that user's, so its release raises no 2002 of its own. */
static int folded(const struct step *s, const struct lw_detect_logon *o) {
  return (o->flags & LW_DETECT_LOGON_SYSTEM) != 0 &&
         lw__detect_leak_key_find(s->old_users, s->n_old_users, o->terminal_session, o->instance) <
             s->n_old_users;
}

static int merge_wts(struct step *s) {
  const struct lw_snapshot *snap = s->snap;
  size_t i = 0, j;
  struct lw_detect_strings *strs = &s->st->strings;

  if (snap->n_wts > 0) {
    s->nw = malloc(snap->n_wts * sizeof *s->nw);
    if (s->nw == NULL)
      return LW_ENOMEM;
  }
  for (j = 0; j < snap->n_wts; j++) {
    const struct lw_wts_session *w = &snap->wts[j];
    struct lw_detect_wts *r;
    if (j > 0 && w->id == snap->wts[j - 1].id)
      continue; /* one session per ID; a duplicate is ignored */
    while (i < s->n_ow && s->ow[i].id < w->id)
      i++;
    r = &s->nw[s->n_nw++];
    if (i < s->n_ow && s->ow[i].id == w->id && lw__detect_same_instance(&s->ow[i], w)) {
      *r = s->ow[i];
      if (r->state != w->state) {
        r->state = w->state;
        r->state_since = s->now;
      }
      if (w->logon_time != UNKNOWN)
        r->logon_time = w->logon_time;
    } else {
      memset(r, 0, sizeof *r);
      r->id = w->id;
      r->state = w->state;
      r->first_seen = s->now;
      r->state_since = s->now;
      r->logon_time = w->logon_time;
      r->user = r->domain = NULL;
    }
    /* Remember the last user: a session going Down may no longer report one. */
    if (nonempty(w->user) &&
        (r->user == NULL || strcmp(r->user, w->user) != 0 ||
         (w->domain != NULL && (r->domain == NULL || strcmp(r->domain, w->domain) != 0)))) {
      if (lw__detect_intern(strs, w->user, &r->user) != 0 ||
          lw__detect_intern(strs, w->domain, &r->domain) != 0)
        return LW_ENOMEM;
    }
  }
  return 0;
}

/* A tracked logon session that is not in this snapshot any more. */
static int vanished(struct step *s, const struct lw_detect_logon *o) {
  if (o->leaked_at == UNKNOWN)
    return 0;
  return lw__detect_raise_released(&s->per, s->out, s->boot_time, o, s->now, !folded(s, o));
}

static int capture_details(struct step *s, struct lw_detect_logon *r,
                           const struct lw_logon_session *l) {
  if (l->data_status != 0)
    return 0;
  r->logon_type = l->logon_type;
  r->logon_time = l->logon_time;
  if (lw__detect_intern(&s->st->strings, l->user, &r->user) != 0 ||
      lw__detect_intern(&s->st->strings, l->domain, &r->domain) != 0)
    return LW_ENOMEM;
  return 0;
}

/* A record orphaned at this step: its details kept, leaked after the grace
 * period (its 2001 comes once every record is merged), counted. */
static int still_orphaned(struct step *s, struct lw_detect_logon *r,
                          const struct lw_logon_session *l) {
  int rc;
  if (r->orphaned_since == UNKNOWN) {
    r->orphaned_since = s->now;
    if ((rc = capture_details(s, r, l)) != 0)
      return rc;
  } else if (r->user == NULL && (rc = capture_details(s, r, l)) != 0) {
    return rc;
  }
  if (r->leaked_at == UNKNOWN && s->now - r->orphaned_since >= s->cfg->grace_period_ms) {
    r->leaked_at = s->now;
    s->newly[s->n_newly++] = (size_t)(r - s->nl);
  }
  s->out->orphaned++;
  if (r->leaked_at != UNKNOWN) {
    s->out->leaked++;
    s->out->leaked_system += (r->flags & LW_DETECT_LOGON_SYSTEM) != 0;
  }
  return 0;
}

static int64_t instance_of(const struct step *s, uint32_t ts) {
  const struct lw_detect_wts *w = ts != 0 ? lw__detect_find_wts(s->nw, s->n_nw, ts) : NULL;
  return w != NULL ? w->first_seen : UNKNOWN;
}

static int merge_logons(struct step *s) {
  const struct lw_snapshot *snap = s->snap;
  int64_t now = s->now, grace = s->cfg->grace_period_ms;
  size_t i = 0, j;
  int rc;

  if (snap->n_logons > 0) {
    s->nl = malloc(snap->n_logons * sizeof *s->nl);
    s->cands = malloc(snap->n_logons * sizeof *s->cands);
    s->newly = malloc(snap->n_logons * sizeof *s->newly);
    if (s->nl == NULL || s->cands == NULL || s->newly == NULL)
      return LW_ENOMEM;
  }
  for (j = 0; j < snap->n_logons; j++) {
    const struct lw_logon_session *l = &snap->logons[j];
    const struct lw_detect_wts *cur;
    struct lw_detect_logon *r;
    int have_old, orphaned;

    if ((j > 0 && l->luid == snap->logons[j - 1].luid) || lw_luid_is_well_known(l->luid))
      continue;
    while (i < s->n_ol && s->ol[i].luid < l->luid) {
      if ((rc = vanished(s, &s->ol[i])) != 0)
        return rc;
      i++;
    }
    have_old = i < s->n_ol && s->ol[i].luid == l->luid;
    if (!have_old && l->data_status != 0)
      continue; /* nothing known about it yet: wait for a poll that reads it */
    r = &s->nl[s->n_nl++];
    if (have_old) {
      *r = s->ol[i++];
    } else {
      memset(r, 0, sizeof *r);
      r->luid = l->luid;
      r->first_seen = now;
      r->instance = r->orphaned_since = r->leaked_at = r->logon_time = UNKNOWN;
    }
    if (l->data_status == 0) {
      uint32_t ts = l->terminal_session, n;
      int sys = lw_detect_system_logon(l, &n);
      if (sys)
        ts = n;
      r->flags = sys ? LW_DETECT_LOGON_SYSTEM : 0;
      if (!have_old || ts != r->terminal_session) {
        /* First sight, or LSA now reports another session (a reconnect): it
         * belongs to whatever session has that ID now. */
        r->terminal_session = ts;
        r->instance = instance_of(s, ts);
      }
    }

    cur =
        r->terminal_session != 0 ? lw__detect_find_wts(s->nw, s->n_nw, r->terminal_session) : NULL;
    orphaned = r->terminal_session != 0 && (cur == NULL || cur->first_seen != r->instance);
    /* Seen first at the previous poll with its ID free, and a session with that ID
     * appeared now: the two polls straddled its creation; it is not an orphan. */
    if (orphaned && cur != NULL && r->instance == UNKNOWN && r->leaked_at == UNKNOWN &&
        s->prev_poll != UNKNOWN && r->first_seen == s->prev_poll && cur->first_seen == now) {
      r->instance = cur->first_seen;
      orphaned = 0;
    }

    if (orphaned) {
      if ((rc = still_orphaned(s, r, l)) != 0)
        return rc;
    } else {
      if (r->leaked_at != UNKNOWN && (rc = lw__detect_raise_released(&s->per, s->out, s->boot_time,
                                                                     r, now, !folded(s, r))) != 0)
        return rc;
      r->orphaned_since = r->leaked_at = r->logon_time = UNKNOWN;
      r->logon_type = 0;
      r->user = r->domain = NULL;
      if (l->data_status == 0 && l->process_count == 0 && nonempty(l->user) &&
          now - r->first_seen >= grace) {
        s->cands[s->n_cands].hash = lw__detect_accum_hash(l->logon_type, l->domain, l->user);
        s->cands[s->n_cands++].l = l;
      }
    }
  }
  while (i < s->n_ol) {
    if ((rc = vanished(s, &s->ol[i])) != 0)
      return rc;
    i++;
  }
  return 0;
}

/* The 2001s of the records that leaked at this step, in LUID order: a user
 * logon session's lists the DWM-n/UMFD-n of its terminal session instance that
 * are leaked too; one of those gets only its episode row (pointing at that
 * user's), or its own 2001 when no user logon session of its session leaked. */
static int raise_new_leaks(struct step *s) {
  struct lw__leak_key *users = NULL, *sys = NULL;
  const struct lw_detect_logon **list = NULL;
  size_t n_users, n_sys, k;
  const char *holders = s->cfg->holders_enabled ? LW_DETECT_HOLDERS_PENDING : LW_DETECT_HOLDERS_OFF;
  int rc;

  if (s->n_newly == 0)
    return 0;
  if ((rc = lw__detect_leak_keys(s->nl, s->n_nl, 0, &users, &n_users)) != 0 ||
      (rc = lw__detect_leak_keys(s->nl, s->n_nl, 1, &sys, &n_sys)) != 0)
    goto cleanup;
  if (n_sys > 0 && (list = malloc(n_sys * sizeof *list)) == NULL) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  for (k = 0; k < s->n_newly && rc == 0; k++) {
    const struct lw_detect_logon *r = &s->nl[s->newly[k]];
    size_t at;
    if ((r->flags & LW_DETECT_LOGON_SYSTEM) == 0) {
      size_t n_list = 0;
      for (at = lw__detect_leak_key_find(sys, n_sys, r->terminal_session, r->instance);
           at < n_sys && sys[at].ts == r->terminal_session && sys[at].instance == r->instance; at++)
        list[n_list++] = &s->nl[sys[at].index];
      rc = lw__detect_raise_leaked(&s->per, s->out, s->boot_time, r, s->now, list, n_list, holders);
    } else if ((at = lw__detect_leak_key_find(users, n_users, r->terminal_session, r->instance)) <
               n_users) {
      struct lw_leak_change *c = lw__detect_change_new(s->out, LW_LEAK_OPENED, s->boot_time, r);
      if (c == NULL)
        rc = LW_ENOMEM;
      else
        c->with_luid = s->nl[users[at].index].luid;
    } else {
      rc = lw__detect_raise_leaked(&s->per, s->out, s->boot_time, r, s->now, NULL, 0, holders);
    }
  }
cleanup:
  free(users);
  free(sys);
  free(list);
  return rc;
}

/* ---- Rule 3: accumulation ---------------------------------------------------- */

/* One (logon type, DOMAIN\user) of this poll's candidates, counted. */
struct group {
  uint64_t hash;
  const struct lw_logon_session *l; /* its first candidate; NULL: empty slot */
  uint32_t count;
  uint32_t seen; /* an open episode has taken it */
};

/* Open addressing, at most half full: counting is O(candidates), no sort. */
static struct group *group_slot(struct group *tab, size_t mask, uint64_t hash, uint32_t type,
                                const char *domain, const char *user) {
  size_t i = (size_t)(hash & mask);
  while (tab[i].l != NULL &&
         (tab[i].hash != hash || lw__detect_accum_key_cmp(tab[i].l->logon_type, tab[i].l->domain,
                                                          tab[i].l->user, type, domain, user) != 0))
    i = (i + 1) & mask;
  return &tab[i];
}

static int cmp_group(const void *a, const void *b) {
  const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
  return lw__detect_accum_order(x->hash, x->l->logon_type, x->l->domain, x->l->user, y->hash,
                                y->l->logon_type, y->l->domain, y->l->user);
}

static int raise_accum(struct step *s, const char *user, const char *domain, uint32_t type,
                       uint32_t count) {
  struct lw_alert *a = lw__detect_alert_new(&s->agg, LW_EVENT_SESSIONS_ACCUMULATING, s->now);
  int rc;
  if (a == NULL)
    return LW_ENOMEM;
  a->logon_type = type;
  a->count = count;
  a->threshold = s->cfg->accumulation_threshold;
  if ((rc = lw__detect_copy_who(&a->user, &a->domain, user, domain)) != 0 ||
      (rc = lw__detect_ins_who(a, LW_INSERT_2005_USER, LW_INSERT_2005_DOMAIN, user, domain)) != 0 ||
      (rc = lw__detect_ins_type(a, LW_INSERT_2005_LOGON_TYPE, LW_INSERT_2005_LOGON_TYPE_NAME,
                                type)) != 0 ||
      (rc = lw__detect_ins_u(a, LW_INSERT_2005_COUNT, count)) != 0)
    return rc;
  return 0;
}

static int accum_push(struct step *s, const struct lw_detect_accum *e) {
  void *v = s->na;
  if (lw__detect_grow(&v, &s->cap_na, s->n_na + 1, sizeof *s->na) != 0)
    return LW_ENOMEM;
  s->na = v;
  s->na[s->n_na++] = *e;
  return 0;
}

/* Decides one key's episode given its count now; keeps it in na while open. */
static int accum_decide(struct step *s, struct lw_detect_accum *e, uint64_t count) {
  uint64_t thr = s->cfg->accumulation_threshold;
  if ((e->last_alerted == 0 && count >= thr) ||
      (e->last_alerted != 0 && count >= 2 * (uint64_t)e->last_alerted)) {
    int rc;
    e->last_alerted = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
    if ((rc = raise_accum(s, e->user, e->domain, e->logon_type, e->last_alerted)) != 0)
      return rc;
  }
  if (e->last_alerted != 0 && 2 * count < thr)
    e->last_alerted = 0; /* the episode is over */
  if (e->last_alerted != 0)
    return accum_push(s, e);
  return 0;
}

static int rule_accumulation(struct step *s) {
  uint64_t thr = s->cfg->accumulation_threshold;
  struct group *tab = NULL, **fresh = NULL;
  size_t cap = 1, mask = 0, k, n_fresh = 0;
  int rc = 0;

  if (thr == 0)
    return 0; /* disabled: episodes (if any) are dropped */
  if (s->n_cands > 0) {
    while (cap < 2 * s->n_cands)
      cap *= 2;
    mask = cap - 1;
    tab = calloc(cap, sizeof *tab);
    if (tab == NULL)
      return LW_ENOMEM;
    for (k = 0; k < s->n_cands; k++) {
      const struct lw_logon_session *l = s->cands[k].l;
      struct group *g = group_slot(tab, mask, s->cands[k].hash, l->logon_type, l->domain, l->user);
      if (g->l == NULL) {
        g->hash = s->cands[k].hash;
        g->l = l;
      }
      g->count++;
    }
  }
  /* Open episodes first, in their order... */
  for (k = 0; k < s->n_oa; k++) {
    struct lw_detect_accum e = s->oa[k];
    struct group *g =
        tab != NULL ? group_slot(tab, mask, e.hash, e.logon_type, e.domain, e.user) : NULL;
    uint64_t count = 0;
    if (g != NULL && g->l != NULL) {
      count = g->count;
      g->seen = 1;
    }
    if ((rc = accum_decide(s, &e, count)) != 0)
      goto cleanup;
  }
  /* ...then new keys at the threshold, in key order. */
  for (k = 0; k < cap && tab != NULL; k++)
    if (tab[k].l != NULL && !tab[k].seen && tab[k].count >= thr)
      n_fresh++;
  if (n_fresh > 0) {
    size_t n = 0;
    fresh = malloc(n_fresh * sizeof *fresh);
    if (fresh == NULL) {
      rc = LW_ENOMEM;
      goto cleanup;
    }
    for (k = 0; k < cap; k++)
      if (tab[k].l != NULL && !tab[k].seen && tab[k].count >= thr)
        fresh[n++] = &tab[k];
    qsort(fresh, n_fresh, sizeof *fresh, cmp_group);
    for (k = 0; k < n_fresh; k++) {
      struct lw_detect_accum e;
      e.hash = fresh[k]->hash;
      e.logon_type = fresh[k]->l->logon_type;
      e.last_alerted = 0;
      if (lw__detect_intern(&s->st->strings, fresh[k]->l->user, &e.user) != 0 ||
          lw__detect_intern(&s->st->strings, fresh[k]->l->domain, &e.domain) != 0) {
        rc = LW_ENOMEM;
        goto cleanup;
      }
      if ((rc = accum_decide(s, &e, fresh[k]->count)) != 0)
        goto cleanup;
    }
  }
  if (s->n_na > 1)
    qsort(s->na, s->n_na, sizeof *s->na, lw__detect_cmp_accum);
cleanup:
  free(tab);
  free(fresh);
  return rc;
}

/* ---- Rule 2: pinned IDs ------------------------------------------------------- */

/* 2003 with the pinned IDs now. */
static int raise_pinned(struct step *s, size_t n_ids, uint32_t highest, int any_live,
                        uint32_t live) {
  struct lw__sbuf ranges = {NULL, 0, 0, 0}, by = {NULL, 0, 0, 0};
  struct lw_alert *a = lw__detect_alert_new(&s->agg, LW_EVENT_SESSION_IDS_PINNED, s->now);
  int rc;
  if (a == NULL)
    return LW_ENOMEM;
  a->count = (uint32_t)n_ids;
  a->threshold = s->cfg->gap_threshold;
  a->terminal_session = any_live ? highest : LW_ALERT_NONE;
  a->live_sessions = live;
  rc = lw__detect_pinned_ranges(&ranges, s->pinned, s->n_pinned);
  if (rc == 0)
    rc = lw__detect_pinned_by(&by, s->pinned, s->n_pinned, n_ids);
  if (rc == 0)
    rc = lw__detect_ins_u(a, LW_INSERT_2003_COUNT, n_ids);
  if (rc == 0)
    rc = lw__detect_ins(a, LW_INSERT_2003_ID_RANGES, ranges.p);
  if (rc == 0)
    rc = lw__detect_ins_highest(a, LW_INSERT_2003_HIGHEST_ID, any_live, highest);
  if (rc == 0)
    rc = lw__detect_ins_u(a, LW_INSERT_2003_LIVE_SESSIONS, live);
  if (rc == 0)
    rc = lw__detect_ins(a, LW_INSERT_2003_PINNED_BY, by.p);
  free(ranges.p);
  free(by.p);
  return rc;
}

/* 2004: the pinned IDs have cleared. */
static int raise_cleared(struct step *s, size_t n_ids) {
  struct lw_alert *a = lw__detect_alert_new(&s->agg, LW_EVENT_SESSION_IDS_CLEARED, s->now);
  int rc;
  if (a == NULL)
    return LW_ENOMEM;
  a->count = (uint32_t)n_ids;
  a->threshold = s->cfg->gap_threshold;
  if ((rc = lw__detect_ins_u(a, LW_INSERT_2004_COUNT, n_ids)) != 0)
    return rc;
  return lw__detect_ins_u(a, LW_INSERT_2004_GAP_THRESHOLD, s->cfg->gap_threshold);
}

static int rule_gap(struct step *s) {
  uint64_t thr = s->cfg->gap_threshold;
  size_t k, n_ids = 0;
  uint32_t highest = 0, live = 0;
  int any_live = 0;

  for (k = 0; k < s->n_nw; k++) {
    if (s->nw[k].state == LW_WTS_LISTEN)
      continue;
    live++;
    any_live = 1;
    highest = s->nw[k].id; /* sorted: the last one is the highest */
  }
  s->out->highest_id = highest;
  s->out->live_sessions = live;

  if (s->n_nl > 0) {
    s->pinned = malloc(s->n_nl * sizeof *s->pinned);
    if (s->pinned == NULL)
      return LW_ENOMEM;
  }
  for (k = 0; k < s->n_nl; k++) {
    struct lw_detect_logon *r = &s->nl[k];
    if (r->leaked_at != UNKNOWN && r->terminal_session != 0 &&
        lw__detect_find_wts(s->nw, s->n_nw, r->terminal_session) == NULL)
      s->pinned[s->n_pinned++] = r;
  }
  if (s->n_pinned > 1)
    qsort(s->pinned, s->n_pinned, sizeof *s->pinned, lw__detect_cmp_pinned);
  for (k = 0; k < s->n_pinned; k++)
    if (k == 0 || s->pinned[k]->terminal_session != s->pinned[k - 1]->terminal_session)
      n_ids++;
  s->out->pinned_ids = (uint32_t)n_ids;
  if (thr == 0)
    return 0;

  if ((!s->gap_active && n_ids >= thr) || (s->gap_active && n_ids >= s->gap_last + thr)) {
    s->gap_active = 1;
    s->gap_last = (uint32_t)n_ids;
    return raise_pinned(s, n_ids, highest, any_live, live);
  }
  if (s->gap_active && 2 * (uint64_t)n_ids < thr) {
    s->gap_active = 0;
    s->gap_last = 0;
    return raise_cleared(s, n_ids);
  }
  /* A state alert was held back: say the state now, once the budget allows. */
  if (s->st->policy.state_pending &&
      lw_alert_policy_would_send(&s->st->policy, s->cfg->alerts_max_per_hour, s->now,
                                 LW_EVENT_SESSION_IDS_PINNED)) {
    if (!s->gap_active)
      return raise_cleared(s, n_ids);
    s->gap_last = (uint32_t)n_ids;
    return raise_pinned(s, n_ids, highest, any_live, live);
  }
  return 0;
}

/* ---- Rule 4: stuck logoff ----------------------------------------------------- */

static int rule_stuck(struct step *s) {
  size_t k;
  int rc;
  for (k = 0; k < s->n_nw; k++) {
    struct lw_detect_wts *w = &s->nw[k];
    struct lw_alert *a;
    if (w->state != LW_WTS_DOWN || w->down_alerted ||
        s->now - w->state_since < s->cfg->grace_period_ms)
      continue;
    w->down_alerted = 1;
    a = lw__detect_alert_new(&s->agg, LW_EVENT_LOGOFF_STUCK, s->now);
    if (a == NULL)
      return LW_ENOMEM;
    a->terminal_session = w->id;
    a->since = w->state_since;
    a->minutes = minutes_between(w->state_since, s->now);
    if ((rc = lw__detect_copy_who(&a->user, &a->domain, w->user, w->domain)) != 0 ||
        (rc = lw__detect_ins_u(a, LW_INSERT_2006_SESSION_ID, w->id)) != 0 ||
        (rc = lw__detect_ins_who(a, LW_INSERT_2006_USER, LW_INSERT_2006_DOMAIN, w->user,
                                 w->domain)) != 0 ||
        (rc = lw__detect_ins_u(a, LW_INSERT_2006_MINUTES_DOWN, (uint64_t)a->minutes)) != 0)
      return rc;
  }
  return 0;
}

/* ---- Step: assembling and committing ------------------------------------------ */

/* Moves agg then per (then the rate limit's summary, first) into out->alerts. */
static int assemble_alerts(struct step *s, struct lw_alert_policy_state *pol) {
  struct lw_detect_output *out = s->out;
  struct lw_alert summary;
  size_t n = s->agg.n + s->per.n, k, at = 0;
  int rc;

  /* Known leaks first: their 2001s take nothing of the rate limit's budget. */
  for (k = 0; k < s->per.n; k++)
    lw__detect_withhold_known(&s->per.v[k], s->cfg->acks, s->now);
  rc =
      lw_alert_policy_apply(pol, s->cfg->alerts_max_per_hour, s->now, s->agg.v, s->agg.n, &summary);
  if (rc < 0)
    return rc;
  /* Both lists count against one window: apply to `per` after `agg`. A second
   * call in the same poll cannot produce another summary (the period was just
   * reset or is younger than an hour). */
  {
    struct lw_alert none;
    int rc2 =
        lw_alert_policy_apply(pol, s->cfg->alerts_max_per_hour, s->now, s->per.v, s->per.n, &none);
    if (rc2 < 0) {
      lw_alert_clear(&summary);
      return rc2;
    }
    lw_alert_clear(&none);
  }
  /* The summary tells the state after this poll, so the Event Log alone knows
   * the size of the problem once a window ends. */
  if (rc == 1) {
    int rc3 = lw__detect_summary_state(&summary, "the hour ended", s->nl, s->n_nl, s->nw, s->n_nw);
    if (rc3 != 0) {
      lw_alert_clear(&summary);
      return rc3;
    }
  }
  n += rc == 1;
  if (n > 0) {
    out->alerts = malloc(n * sizeof *out->alerts);
    if (out->alerts == NULL) {
      lw_alert_clear(&summary);
      return LW_ENOMEM;
    }
    out->cap_alerts = n;
  }
  if (rc == 1)
    lw_alert_move(&out->alerts[at++], &summary);
  for (k = 0; k < s->agg.n; k++)
    lw_alert_move(&out->alerts[at++], &s->agg.v[k]);
  for (k = 0; k < s->per.n; k++)
    lw_alert_move(&out->alerts[at++], &s->per.v[k]);
  out->n_alerts = at;
  s->agg.n = s->per.n = 0;
  return 0;
}

static int snapshot_sorted(const struct lw_snapshot *snap) {
  size_t k;
  for (k = 1; k < snap->n_logons; k++)
    if (snap->logons[k].luid < snap->logons[k - 1].luid)
      return 0;
  for (k = 1; k < snap->n_wts; k++)
    if (snap->wts[k].id < snap->wts[k - 1].id)
      return 0;
  return 1;
}

int lw_detect_step(struct lw_detect_state *st, const struct lw_snapshot *snap,
                   const struct lw_detect_config *cfg, struct lw_detect_output *out) {
  struct step s;
  struct lw_alert_policy_state pol;
  int reset, rc = 0;
  size_t k;

  if (st == NULL || snap == NULL || cfg == NULL || out == NULL)
    return LW_EINVAL;
  lw_detect_output_free(out);
  if (snap->taken_at == UNKNOWN || !snapshot_sorted(snap))
    return LW_EINVAL;

  memset(&s, 0, sizeof s);
  s.st = st;
  s.snap = snap;
  s.cfg = cfg;
  s.out = out;
  s.now = snap->taken_at;
  reset = 0;
  if (st->boot_time != UNKNOWN && snap->boot_time != UNKNOWN) {
    /* Unsigned difference: no overflow whatever the values. */
    uint64_t d = snap->boot_time >= st->boot_time
                     ? (uint64_t)snap->boot_time - (uint64_t)st->boot_time
                     : (uint64_t)st->boot_time - (uint64_t)snap->boot_time;
    reset = d > (uint64_t)LW_DETECT_BOOT_TOLERANCE_MS;
  }
  s.boot_time = (reset || st->boot_time == UNKNOWN) ? snap->boot_time : st->boot_time;
  out->new_boot = reset || st->last_poll == UNKNOWN;
  if (reset) {
    /* Episodes of the old boot end with it, without an alert. */
    for (k = 0; k < st->n_logons; k++) {
      struct lw_leak_change *c;
      if (st->logons[k].leaked_at == UNKNOWN)
        continue;
      c = lw__detect_change_new(out, LW_LEAK_BOOT_ENDED, st->boot_time, &st->logons[k]);
      if (c == NULL) {
        rc = LW_ENOMEM;
        goto cleanup;
      }
      c->released_at = snap->boot_time;
    }
    s.prev_poll = UNKNOWN;
  } else {
    s.ol = st->logons;
    s.n_ol = st->n_logons;
    s.ow = st->wts;
    s.n_ow = st->n_wts;
    s.oa = st->accum;
    s.n_oa = st->n_accum;
    s.gap_active = st->gap_active;
    s.gap_last = st->gap_last_alerted;
    s.prev_poll = st->last_poll;
  }

  if ((rc = lw__detect_leak_keys(s.ol, s.n_ol, 0, &s.old_users, &s.n_old_users)) != 0 ||
      (rc = merge_wts(&s)) != 0 || (rc = merge_logons(&s)) != 0 ||
      (rc = raise_new_leaks(&s)) != 0 || (rc = rule_gap(&s)) != 0 || (rc = rule_stuck(&s)) != 0 ||
      (rc = rule_accumulation(&s)) != 0)
    goto cleanup;
  pol = st->policy;
  if ((rc = assemble_alerts(&s, &pol)) != 0)
    goto cleanup;

  /* Commit: nothing below can fail. */
  free(st->logons);
  free(st->wts);
  free(st->accum);
  st->logons = s.nl;
  st->n_logons = s.n_nl;
  st->wts = s.nw;
  st->n_wts = s.n_nw;
  st->accum = s.na;
  st->n_accum = s.n_na;
  s.nl = NULL;
  s.nw = NULL;
  s.na = NULL;
  st->gap_active = s.gap_active;
  st->gap_last_alerted = s.gap_last;
  st->policy = pol;
  st->boot_time = s.boot_time;
  st->last_poll = s.now;
  st->polls = reset ? 1 : st->polls + 1;
  lw__detect_strings_compact(st);

cleanup:
  free(s.nl);
  free(s.nw);
  free(s.na);
  free(s.cands);
  free(s.pinned);
  free(s.newly);
  free(s.old_users);
  lw__detect_alerts_free(&s.agg);
  lw__detect_alerts_free(&s.per);
  if (rc != 0)
    lw_detect_output_free(out);
  return rc;
}

int lw_detect_stop_summary(struct lw_detect_state *st, const struct lw_detect_config *cfg,
                           int64_t now, struct lw_alert *summary) {
  struct lw_alert_policy_state pol;
  int rc;
  if (st == NULL || cfg == NULL || summary == NULL)
    return LW_EINVAL;
  pol = st->policy;
  rc = lw_alert_policy_flush(&pol, cfg->alerts_max_per_hour, now, summary);
  if (rc != 1)
    return rc;
  rc = lw__detect_summary_state(summary, "the service is stopping", st->logons, st->n_logons,
                                st->wts, st->n_wts);
  if (rc != 0) {
    lw_alert_clear(summary);
    return rc;
  }
  st->policy = pol;
  return 1;
}
