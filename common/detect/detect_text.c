/*
 * detect_text.c - what the detector's rules produce (see detect_internal.h): the
 * alerts and their insertion strings (events 2001-2006), the pinned-IDs listing
 * of 2003, and the leak episode records.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "alloc.h"
#include "error.h"
#include "luid.h"
#include "timefmt.h"

char *lw_detect_logon_type_text(uint32_t type, char *buf, size_t size) {
  const char *name = lw_logon_type_name(type);
  if (name != NULL)
    snprintf(buf, size, "%s (%" PRIu32 ")", name, type);
  else
    snprintf(buf, size, "%" PRIu32, type);
  return buf;
}

void lw__detect_sb_add(struct lw__sbuf *b, const char *s) {
  size_t n = strlen(s);
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap != 0 ? b->cap : 256;
    char *p;
    while (cap < b->len + n + 1)
      cap *= 2;
    p = realloc(b->p, cap);
    if (p == NULL) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n + 1);
  b->len += n;
}

static void sb_u64(struct lw__sbuf *b, uint64_t v) {
  char num[24];
  snprintf(num, sizeof num, "%" PRIu64, v);
  lw__detect_sb_add(b, num);
}

/* DOMAIN\user, user, or "(unknown)". */
static void sb_who(struct lw__sbuf *b, const char *user, const char *domain) {
  if (!nonempty(user)) {
    lw__detect_sb_add(b, "(unknown)");
    return;
  }
  if (nonempty(domain)) {
    lw__detect_sb_add(b, domain);
    lw__detect_sb_add(b, "\\");
  }
  lw__detect_sb_add(b, user);
}

/* ---- Output ----------------------------------------------------------------- */

void lw_detect_output_init(struct lw_detect_output *out) {
  memset(out, 0, sizeof *out);
}

void lw_detect_output_free(struct lw_detect_output *out) {
  size_t i;
  if (out == NULL)
    return;
  for (i = 0; i < out->n_alerts; i++)
    lw_alert_clear(&out->alerts[i]);
  free(out->alerts);
  for (i = 0; i < out->n_changes; i++) {
    free(out->changes[i].user);
    free(out->changes[i].domain);
  }
  free(out->changes);
  lw_detect_output_init(out);
}

void lw__detect_alerts_free(struct lw__alert_vec *a) {
  size_t i;
  for (i = 0; i < a->n; i++)
    lw_alert_clear(&a->v[i]);
  free(a->v);
  a->v = NULL;
  a->n = a->cap = 0;
}

/* Appends an initialised alert; NULL when out of memory. */
struct lw_alert *lw__detect_alert_new(struct lw__alert_vec *a, uint32_t event_id, int64_t at) {
  void *v = a->v;
  if (lw__detect_grow(&v, &a->cap, a->n + 1, sizeof *a->v) != 0)
    return NULL;
  a->v = v;
  lw_alert_init(&a->v[a->n], event_id, at);
  return &a->v[a->n++];
}

/* Copies optional strings; returns 0 or LW_ENOMEM (copies made so far stay with
 * their owner, which frees them). */
int lw__detect_copy_who(char **user_out, char **domain_out, const char *user, const char *domain) {
  if (user != NULL && (*user_out = lw_strdup(user)) == NULL)
    return LW_ENOMEM;
  if (domain != NULL && (*domain_out = lw_strdup(domain)) == NULL)
    return LW_ENOMEM;
  return 0;
}

int lw__detect_ins(struct lw_alert *a, size_t at, const char *text) {
  return lw_alert_set_insert(a, at, text);
}

int lw__detect_ins_u(struct lw_alert *a, size_t at, uint64_t v) {
  char num[24];
  snprintf(num, sizeof num, "%" PRIu64, v);
  return lw__detect_ins(a, at, num);
}

static int ins_time(struct lw_alert *a, size_t at, int64_t t) {
  char iso[LW_ISO_TIME_SIZE];
  return lw__detect_ins(a, at, t == UNKNOWN ? "unknown" : lw_time_format_iso(t, iso));
}

int lw__detect_ins_who(struct lw_alert *a, size_t at_user, size_t at_domain, const char *user,
                       const char *domain) {
  int rc = lw__detect_ins(a, at_user, nonempty(user) ? user : "(unknown)");
  return rc != 0 ? rc : lw__detect_ins(a, at_domain, nonempty(domain) ? domain : "(unknown)");
}

int lw__detect_ins_type(struct lw_alert *a, size_t at_code, size_t at_name, uint32_t type) {
  const char *name = lw_logon_type_name(type);
  int rc = lw__detect_ins_u(a, at_code, type);
  return rc != 0 ? rc : lw__detect_ins(a, at_name, name != NULL ? name : "unknown");
}

/* Adds a leak episode change; NULL when out of memory. */
struct lw_leak_change *lw__detect_change_new(struct lw_detect_output *out, int kind,
                                             int64_t boot_time, const struct lw_detect_logon *r) {
  struct lw_leak_change *c;
  void *v = out->changes;
  if (lw__detect_grow(&v, &out->cap_changes, out->n_changes + 1, sizeof *out->changes) != 0)
    return NULL;
  out->changes = v;
  c = &out->changes[out->n_changes++];
  memset(c, 0, sizeof *c);
  c->kind = kind;
  c->boot_time = boot_time;
  c->luid = r->luid;
  c->system = (r->flags & LW_DETECT_LOGON_SYSTEM) != 0;
  c->end_seen = lw__detect_end_seen(r);
  c->orphan_seen_at = r->orphaned_since;
  c->logon_type = r->logon_type;
  c->terminal_session = r->terminal_session;
  c->logon_time = r->logon_time;
  c->session_ended_at = c->end_seen ? r->orphaned_since : UNKNOWN;
  c->leaked_at = r->leaked_at;
  c->released_at = UNKNOWN;
  if (lw__detect_copy_who(&c->user, &c->domain, r->user, r->domain) != 0)
    return NULL; /* the change stays in out, which frees it */
  return c;
}

/* 2001's SYSTEM_LOGON_LIST: "LUID DOMAIN\user; ..." or "none". */
static int ins_system_list(struct lw_alert *a, const struct lw_detect_logon *const *sys, size_t n) {
  struct lw__sbuf b = {NULL, 0, 0, 0};
  char luid[LW_LUID_TEXT_SIZE];
  int rc;
  lw__detect_sb_add(&b, n == 0 ? "none" : "");
  for (size_t k = 0; k < n; k++) {
    if (k > 0)
      lw__detect_sb_add(&b, "; ");
    lw__detect_sb_add(&b, lw_luid_format(sys[k]->luid, luid));
    lw__detect_sb_add(&b, " ");
    sb_who(&b, sys[k]->user, sys[k]->domain);
  }
  rc = b.oom ? LW_ENOMEM : lw__detect_ins(a, LW_INSERT_2001_SYSTEM_LOGON_LIST, b.p);
  free(b.p);
  return rc;
}

/* The leak's times: ended at (or "unknown"), seen ending, first seen ended. */
static int ins_end(struct lw_alert *a, const struct lw_detect_logon *r, size_t at_ended,
                   size_t at_seen, size_t at_first) {
  int seen = lw__detect_end_seen(r), rc = 0;
  a->end_seen = seen;
  a->orphan_seen_at = r->orphaned_since;
  a->session_ended_at = seen ? r->orphaned_since : UNKNOWN;
  a->since = r->orphaned_since;
  if (at_ended != SIZE_MAX)
    rc = ins_time(a, at_ended, a->session_ended_at);
  if (rc == 0)
    rc = lw__detect_ins(a, at_seen, seen ? "yes" : "no");
  if (rc == 0 && at_first != SIZE_MAX)
    rc = ins_time(a, at_first, r->orphaned_since);
  return rc;
}

/* The fields 2001 and 2002 share, from the leaked record. */
static void leak_fields(struct lw_alert *a, const struct lw_detect_logon *r, int64_t now) {
  a->luid = r->luid;
  a->logon_type = r->logon_type;
  a->terminal_session = r->terminal_session;
  a->logon_time = r->logon_time;
  a->minutes = minutes_between(r->orphaned_since, now);
}

int lw__detect_ins_highest(struct lw_alert *a, size_t at, int any_live, uint32_t highest) {
  return any_live ? lw__detect_ins_u(a, at, highest) : lw__detect_ins(a, at, "none");
}

int lw__detect_raise_leaked(struct lw__alert_vec *av, struct lw_detect_output *out,
                            int64_t boot_time, const struct lw_detect_logon *r, int64_t now,
                            const struct lw_detect_logon *const *sys, size_t n_sys,
                            const char *holders) {
  char luid[LW_LUID_TEXT_SIZE];
  struct lw_alert *a = lw__detect_alert_new(av, LW_EVENT_SESSION_LEAKED, now);
  int rc;
  if (a == NULL)
    return LW_ENOMEM;
  leak_fields(a, r, now);
  a->system_logons = (uint32_t)n_sys;
  if ((rc = lw__detect_copy_who(&a->user, &a->domain, r->user, r->domain)) != 0 ||
      (rc = lw__detect_ins(a, LW_INSERT_2001_LUID, lw_luid_format(r->luid, luid))) != 0 ||
      (rc = lw__detect_ins_who(a, LW_INSERT_2001_USER, LW_INSERT_2001_DOMAIN, r->user,
                               r->domain)) != 0 ||
      (rc = lw__detect_ins_type(a, LW_INSERT_2001_LOGON_TYPE, LW_INSERT_2001_LOGON_TYPE_NAME,
                                r->logon_type)) != 0 ||
      (rc = lw__detect_ins_u(a, LW_INSERT_2001_TERMINAL_SESSION, r->terminal_session)) != 0 ||
      (rc = ins_time(a, LW_INSERT_2001_LOGON_TIME, r->logon_time)) != 0 ||
      (rc = ins_end(a, r, LW_INSERT_2001_ENDED_AT, LW_INSERT_2001_END_SEEN,
                    LW_INSERT_2001_FIRST_SEEN_ENDED)) != 0 ||
      (rc = lw__detect_ins_u(a, LW_INSERT_2001_MINUTES_PINNED, (uint64_t)a->minutes)) != 0 ||
      (rc = lw__detect_ins_u(a, LW_INSERT_2001_SYSTEM_LOGONS, n_sys)) != 0 ||
      (rc = ins_system_list(a, sys, n_sys)) != 0 ||
      (rc = lw__detect_ins(a, LW_INSERT_2001_HOLDERS, holders)) != 0)
    return rc;
  return lw__detect_change_new(out, LW_LEAK_OPENED, boot_time, r) != NULL ? 0 : LW_ENOMEM;
}

/* LW_LEAK_RELEASED, and its 2002 when `alert`, for a leaked record that is gone
 * (or no longer orphaned) at `now`. */
int lw__detect_raise_released(struct lw__alert_vec *av, struct lw_detect_output *out,
                              int64_t boot_time, const struct lw_detect_logon *r, int64_t now,
                              int alert) {
  struct lw_leak_change *c;
  if (alert) {
    char luid[LW_LUID_TEXT_SIZE];
    int rc;
    struct lw_alert *a = lw__detect_alert_new(av, LW_EVENT_SESSION_RELEASED, now);
    if (a == NULL)
      return LW_ENOMEM;
    leak_fields(a, r, now);
    if ((rc = lw__detect_copy_who(&a->user, &a->domain, r->user, r->domain)) != 0 ||
        (rc = lw__detect_ins(a, LW_INSERT_2002_LUID, lw_luid_format(r->luid, luid))) != 0 ||
        (rc = lw__detect_ins_who(a, LW_INSERT_2002_USER, LW_INSERT_2002_DOMAIN, r->user,
                                 r->domain)) != 0 ||
        (rc = lw__detect_ins_u(a, LW_INSERT_2002_TERMINAL_SESSION, r->terminal_session)) != 0 ||
        (rc = lw__detect_ins_u(a, LW_INSERT_2002_MINUTES_PINNED, (uint64_t)a->minutes)) != 0 ||
        (rc = ins_end(a, r, SIZE_MAX, LW_INSERT_2002_END_SEEN, SIZE_MAX)) != 0)
      return rc;
  }
  c = lw__detect_change_new(out, LW_LEAK_RELEASED, boot_time, r);
  if (c == NULL)
    return LW_ENOMEM;
  c->released_at = now;
  return 0;
}

/* One ID's entry: "7: LUID DOMAIN\user, LUID DOMAIN\user (+2 DWM/UMFD)". */
static void pinned_entry(struct lw__sbuf *b, struct lw_detect_logon *const *p, size_t n) {
  size_t users = 0, sys = 0, k, shown = 0, listed_kind;
  char luid[LW_LUID_TEXT_SIZE];
  for (k = 0; k < n; k++) {
    if (p[k]->flags & LW_DETECT_LOGON_SYSTEM)
      sys++;
    else
      users++;
  }
  sb_u64(b, p[0]->terminal_session);
  lw__detect_sb_add(b, ": ");
  /* The user logons are what an operator acts on; DWM/UMFD only when alone. */
  listed_kind = users > 0 ? users : sys;
  for (k = 0; k < listed_kind && shown < 3; k++, shown++) {
    if (shown > 0)
      lw__detect_sb_add(b, ", ");
    lw__detect_sb_add(b, lw_luid_format(p[k]->luid, luid));
    lw__detect_sb_add(b, " ");
    sb_who(b, p[k]->user, p[k]->domain);
  }
  if (listed_kind > shown) {
    lw__detect_sb_add(b, ", +");
    sb_u64(b, listed_kind - shown);
    lw__detect_sb_add(b, " more");
  }
  if (users > 0 && sys > 0) {
    lw__detect_sb_add(b, " (+");
    sb_u64(b, sys);
    lw__detect_sb_add(b, " DWM/UMFD)");
  }
}

/* Every ID of p (sorted by ID) as ranges of consecutive IDs, "2-47, 49-151",
 * within LW_DETECT_PINNED_TEXT_MAX bytes, then ", ... and N more ranges". For
 * 2003's ID_RANGES and 2009's PINNED_RANGES; "none" when p is empty. Returns 0 or
 * LW_ENOMEM. */
int lw__detect_pinned_ranges(struct lw__sbuf *b, struct lw_detect_logon *const *p, size_t n) {
  size_t k = 0, ranges = 0, more_ranges = 0;
  char one[32];
  if (n == 0)
    lw__detect_sb_add(b, "none");
  while (k < n) {
    uint32_t first = p[k]->terminal_session, last = first;
    while (k < n && p[k]->terminal_session - last <= 1) {
      last = p[k]->terminal_session;
      k++;
    }
    if (last != first)
      snprintf(one, sizeof one, "%s%" PRIu32 "-%" PRIu32, ranges > 0 ? ", " : "", first, last);
    else
      snprintf(one, sizeof one, "%s%" PRIu32, ranges > 0 ? ", " : "", first);
    if (more_ranges == 0 && b->len + strlen(one) + 48 <= LW_DETECT_PINNED_TEXT_MAX)
      lw__detect_sb_add(b, one);
    else
      more_ranges++;
    ranges++;
  }
  if (more_ranges > 0) {
    lw__detect_sb_add(b, ", ... and ");
    sb_u64(b, more_ranges);
    lw__detect_sb_add(b, " more ranges");
  }
  return b->oom ? LW_ENOMEM : 0;
}

/* 2003's PINNED_BY: "3: LUID DOMAIN\user; 4: ...; ... and 102 more", per ID
 * (p sorted by ID, n_ids distinct IDs), the first LW_DETECT_PINNED_LISTED within
 * the byte budget. Returns 0 or LW_ENOMEM. */
int lw__detect_pinned_by(struct lw__sbuf *b, struct lw_detect_logon *const *p, size_t n,
                         size_t n_ids) {
  size_t k = 0, listed = 0;
  struct lw__sbuf e = {NULL, 0, 0, 0};
  int rc = 0;

  if (n == 0)
    lw__detect_sb_add(b, "none");
  while (k < n && listed < LW_DETECT_PINNED_LISTED) {
    size_t end = k + 1;
    while (end < n && p[end]->terminal_session == p[k]->terminal_session)
      end++;
    e.len = 0;
    if (e.p != NULL)
      e.p[0] = '\0';
    pinned_entry(&e, p + k, end - k);
    if (e.oom) {
      rc = LW_ENOMEM;
      goto cleanup;
    }
    if (b->len + e.len + 48 > LW_DETECT_PINNED_TEXT_MAX)
      break;
    if (listed > 0)
      lw__detect_sb_add(b, "; ");
    lw__detect_sb_add(b, e.p);
    listed++;
    k = end;
  }
  if (listed < n_ids) {
    lw__detect_sb_add(b, "; ... and ");
    sb_u64(b, n_ids - listed);
    lw__detect_sb_add(b, " more");
  }
  if (b->oom)
    rc = LW_ENOMEM;
cleanup:
  free(e.p);
  return rc;
}
