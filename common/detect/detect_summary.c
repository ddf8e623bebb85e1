/*
 * detect_summary.c - the state of the leaks in one event (see detect_internal.h):
 * what 2009 adds to its count of held-back alerts, so that a reader of the Event
 * Log alone knows the current size of the problem once a rate-limit window ends
 * or the service stops: open leaks, their users, the pinned IDs as ranges, the
 * highest ID in use.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "error.h"

/* qsort order of leaked user records by DOMAIN\user, ASCII case-insensitively. */
static int cmp_who(const void *a, const void *b) {
  const struct lw_detect_logon *x = *(const struct lw_detect_logon *const *)a;
  const struct lw_detect_logon *y = *(const struct lw_detect_logon *const *)b;
  int c = casecmp(x->domain, y->domain);
  return c != 0 ? c : casecmp(x->user, y->user);
}

/* "DOMAIN\user, ..." of the sorted records, each name once, within the byte
 * budget of one insertion string; *n_users is the count of distinct names. */
static void users_text(struct lw__sbuf *b, const struct lw_detect_logon *const *u, size_t n,
                       size_t *n_users) {
  size_t k, listed = 0, more = 0;
  *n_users = 0;
  for (k = 0; k < n; k++) {
    const struct lw_detect_logon *r = u[k];
    size_t need;
    if (k > 0 && cmp_who(&u[k - 1], &u[k]) == 0)
      continue;
    (*n_users)++;
    need =
        (r->domain != NULL ? strlen(r->domain) : 0) + (r->user != NULL ? strlen(r->user) : 9) + 4;
    if (more > 0 || b->len + need + 48 > LW_DETECT_PINNED_TEXT_MAX) {
      more++;
      continue;
    }
    if (listed++ > 0)
      lw__detect_sb_add(b, ", ");
    if (nonempty(r->domain)) {
      lw__detect_sb_add(b, r->domain);
      lw__detect_sb_add(b, "\\");
    }
    lw__detect_sb_add(b, nonempty(r->user) ? r->user : "(unknown)");
  }
  if (*n_users == 0)
    lw__detect_sb_add(b, "none");
  if (more > 0) {
    char tail[48];
    snprintf(tail, sizeof tail, ", ... and %zu more", more);
    lw__detect_sb_add(b, tail);
  }
}

int lw__detect_summary_state(struct lw_alert *a, const char *reason,
                             const struct lw_detect_logon *logons, size_t n_logons,
                             const struct lw_detect_wts *wts, size_t n_wts) {
  struct lw__leak_key *users = NULL;
  size_t n_user_keys = 0, n_pinned = 0, n_ids = 0, n_open = 0, n_users = 0, n_named = 0, k;
  struct lw_detect_logon **pinned = NULL;
  const struct lw_detect_logon **named = NULL;
  struct lw__sbuf ranges = {NULL, 0, 0, 0}, who = {NULL, 0, 0, 0};
  uint32_t highest = 0, live = 0;
  int any_live = 0, rc;

  for (k = 0; k < n_wts; k++)
    if (wts[k].state != LW_WTS_LISTEN) {
      live++;
      any_live = 1;
      highest = wts[k].id;
    }
  if ((rc = lw__detect_leak_keys(logons, n_logons, 0, &users, &n_user_keys)) != 0)
    goto cleanup;
  if (n_logons > 0 && ((pinned = malloc(n_logons * sizeof *pinned)) == NULL ||
                       (named = malloc(n_logons * sizeof *named)) == NULL)) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  for (k = 0; k < n_logons; k++) {
    const struct lw_detect_logon *r = &logons[k];
    if (r->leaked_at == UNKNOWN)
      continue;
    if ((r->flags & LW_DETECT_LOGON_SYSTEM) == 0) {
      n_open++;
      named[n_named++] = r;
    } else if (lw__detect_leak_key_find(users, n_user_keys, r->terminal_session, r->instance) ==
               n_user_keys) {
      n_open++; /* leaked alone: an open leak of its own */
    }
    if (r->terminal_session != 0 && lw__detect_find_wts(wts, n_wts, r->terminal_session) == NULL)
      pinned[n_pinned++] = (struct lw_detect_logon *)r;
  }
  if (n_pinned > 1)
    qsort(pinned, n_pinned, sizeof *pinned, lw__detect_cmp_pinned);
  for (k = 0; k < n_pinned; k++)
    if (k == 0 || pinned[k]->terminal_session != pinned[k - 1]->terminal_session)
      n_ids++;
  if (n_named > 1)
    qsort(named, n_named, sizeof *named, cmp_who);
  users_text(&who, named, n_named, &n_users);
  a->terminal_session = any_live ? highest : LW_ALERT_NONE;
  a->live_sessions = live;
  rc = lw__detect_pinned_ranges(&ranges, pinned, n_pinned);
  if (rc == 0 && who.oom)
    rc = LW_ENOMEM;
  if (rc == 0)
    rc = lw__detect_ins(a, LW_INSERT_2009_REASON, reason);
  if (rc == 0)
    rc = lw__detect_ins_u(a, LW_INSERT_2009_OPEN_LEAKS, n_open);
  if (rc == 0)
    rc = lw__detect_ins_u(a, LW_INSERT_2009_USER_COUNT, n_users);
  if (rc == 0)
    rc = lw__detect_ins(a, LW_INSERT_2009_USERS, who.p);
  if (rc == 0)
    rc = lw__detect_ins_u(a, LW_INSERT_2009_PINNED_COUNT, n_ids);
  if (rc == 0)
    rc = lw__detect_ins(a, LW_INSERT_2009_PINNED_RANGES, ranges.p);
  if (rc == 0)
    rc = lw__detect_ins_highest(a, LW_INSERT_2009_HIGHEST_ID, any_live, highest);
  if (rc == 0)
    rc = lw__detect_ins_u(a, LW_INSERT_2009_LIVE_SESSIONS, live);
cleanup:
  free(users);
  free(pinned);
  free(named);
  free(ranges.p);
  free(who.p);
  return rc;
}
