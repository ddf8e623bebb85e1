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

static void sb_add(struct lw__sbuf *b, const char *s) {
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
  sb_add(b, num);
}

/* DOMAIN\user, user, or "(unknown)". */
static void sb_who(struct lw__sbuf *b, const char *user, const char *domain) {
  if (!nonempty(user)) {
    sb_add(b, "(unknown)");
    return;
  }
  if (nonempty(domain)) {
    sb_add(b, domain);
    sb_add(b, "\\");
  }
  sb_add(b, user);
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

int lw__detect_ins_who(struct lw_alert *a, size_t at, const char *user, const char *domain) {
  struct lw__sbuf b = {NULL, 0, 0, 0};
  int rc;
  sb_who(&b, user, domain);
  rc = b.oom ? LW_ENOMEM : lw__detect_ins(a, at, b.p);
  free(b.p);
  return rc;
}

int lw__detect_ins_type(struct lw_alert *a, size_t at, uint32_t type) {
  char buf[48];
  return lw__detect_ins(a, at, lw_detect_logon_type_text(type, buf, sizeof buf));
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
  c->logon_type = r->logon_type;
  c->terminal_session = r->terminal_session;
  c->logon_time = r->logon_time;
  c->session_ended_at = r->orphaned_since;
  c->leaked_at = r->leaked_at;
  c->released_at = UNKNOWN;
  if (lw__detect_copy_who(&c->user, &c->domain, r->user, r->domain) != 0)
    return NULL; /* the change stays in out, which frees it */
  return c;
}

/* 2001 and LW_LEAK_OPENED for a record that has just leaked. */
int lw__detect_raise_leaked(struct lw__alert_vec *av, struct lw_detect_output *out,
                            int64_t boot_time, const struct lw_detect_logon *r, int64_t now) {
  char luid[LW_LUID_TEXT_SIZE];
  struct lw_alert *a = lw__detect_alert_new(av, LW_EVENT_SESSION_LEAKED, now);
  int rc;
  if (a == NULL)
    return LW_ENOMEM;
  a->luid = r->luid;
  a->logon_type = r->logon_type;
  a->terminal_session = r->terminal_session;
  a->logon_time = r->logon_time;
  a->session_ended_at = r->orphaned_since;
  a->since = r->orphaned_since;
  a->minutes = minutes_between(r->orphaned_since, now);
  if ((rc = lw__detect_copy_who(&a->user, &a->domain, r->user, r->domain)) != 0 ||
      (rc = lw__detect_ins(a, LW_INSERT_2001_LUID, lw_luid_format(r->luid, luid))) != 0 ||
      (rc = lw__detect_ins_who(a, LW_INSERT_2001_DOMAIN_USER, r->user, r->domain)) != 0 ||
      (rc = lw__detect_ins_type(a, LW_INSERT_2001_LOGON_TYPE, r->logon_type)) != 0 ||
      (rc = lw__detect_ins_u(a, LW_INSERT_2001_TERMINAL_SESSION, r->terminal_session)) != 0 ||
      (rc = ins_time(a, LW_INSERT_2001_LOGON_TIME, r->logon_time)) != 0 ||
      (rc = ins_time(a, LW_INSERT_2001_ENDED_AT, r->orphaned_since)) != 0 ||
      (rc = lw__detect_ins_u(a, LW_INSERT_2001_MINUTES_PINNED, (uint64_t)a->minutes)) != 0 ||
      (rc = lw__detect_ins(a, LW_INSERT_2001_HOLDERS, LW_DETECT_HOLDERS_PENDING)) != 0)
    return rc;
  return lw__detect_change_new(out, LW_LEAK_OPENED, boot_time, r) != NULL ? 0 : LW_ENOMEM;
}

/* 2002 and LW_LEAK_RELEASED for a leaked record that is gone (or no longer
 * orphaned) at `now`. */
int lw__detect_raise_released(struct lw__alert_vec *av, struct lw_detect_output *out,
                              int64_t boot_time, const struct lw_detect_logon *r, int64_t now) {
  char luid[LW_LUID_TEXT_SIZE];
  struct lw_alert *a = lw__detect_alert_new(av, LW_EVENT_SESSION_RELEASED, now);
  struct lw_leak_change *c;
  int rc;
  if (a == NULL)
    return LW_ENOMEM;
  a->luid = r->luid;
  a->logon_type = r->logon_type;
  a->terminal_session = r->terminal_session;
  a->logon_time = r->logon_time;
  a->session_ended_at = r->orphaned_since;
  a->since = r->orphaned_since;
  a->minutes = minutes_between(r->orphaned_since, now);
  if ((rc = lw__detect_copy_who(&a->user, &a->domain, r->user, r->domain)) != 0 ||
      (rc = lw__detect_ins(a, LW_INSERT_2002_LUID, lw_luid_format(r->luid, luid))) != 0 ||
      (rc = lw__detect_ins_who(a, LW_INSERT_2002_DOMAIN_USER, r->user, r->domain)) != 0 ||
      (rc = lw__detect_ins_u(a, LW_INSERT_2002_MINUTES_PINNED, (uint64_t)a->minutes)) != 0)
    return rc;
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
  sb_add(b, ": ");
  /* The user logons are what an operator acts on; DWM/UMFD only when alone. */
  listed_kind = users > 0 ? users : sys;
  for (k = 0; k < listed_kind && shown < 3; k++, shown++) {
    if (shown > 0)
      sb_add(b, ", ");
    sb_add(b, lw_luid_format(p[k]->luid, luid));
    sb_add(b, " ");
    sb_who(b, p[k]->user, p[k]->domain);
  }
  if (listed_kind > shown) {
    sb_add(b, ", +");
    sb_u64(b, listed_kind - shown);
    sb_add(b, " more");
  }
  if (users > 0 && sys > 0) {
    sb_add(b, " (+");
    sb_u64(b, sys);
    sb_add(b, " DWM/UMFD)");
  }
}

/* The 2003 %2: "3-47, 49-152. 3: ...; 4: ...; ... and 102 more". p is sorted by
 * ID, n_ids distinct IDs. Returns 0 or LW_ENOMEM. */
int lw__detect_pinned_text(struct lw__sbuf *b, struct lw_detect_logon *const *p, size_t n,
                           size_t n_ids) {
  size_t k = 0, ranges = 0, listed = 0, more_ranges = 0;
  struct lw__sbuf e = {NULL, 0, 0, 0};
  int rc = 0;

  /* Ranges of consecutive IDs. */
  while (k < n) {
    uint32_t first = p[k]->terminal_session, last = first;
    while (k < n && p[k]->terminal_session - last <= 1) {
      last = p[k]->terminal_session;
      k++;
    }
    if (ranges < LW_DETECT_PINNED_LISTED) {
      if (ranges > 0)
        sb_add(b, ", ");
      sb_u64(b, first);
      if (last != first) {
        sb_add(b, "-");
        sb_u64(b, last);
      }
    } else {
      more_ranges++;
    }
    ranges++;
  }
  if (more_ranges > 0) {
    sb_add(b, ", ... and ");
    sb_u64(b, more_ranges);
    sb_add(b, " more ranges");
  }
  sb_add(b, ". ");

  /* Per ID, within the count and the byte budget. */
  k = 0;
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
      sb_add(b, "; ");
    sb_add(b, e.p);
    listed++;
    k = end;
  }
  if (listed < n_ids) {
    sb_add(b, "; ... and ");
    sb_u64(b, n_ids - listed);
    sb_add(b, " more");
  }
  if (b->oom)
    rc = LW_ENOMEM;
cleanup:
  free(e.p);
  return rc;
}
