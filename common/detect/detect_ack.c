/*
 * detect_ack.c - known leaks in the detector (issue 15): withholding the 2001
 * of a leak an acknowledgement or the configuration's ignore: covers, and the
 * 2001 again when an acknowledgement ends while its leak is still open (see
 * detect.h, lw_detect_realert).
 */
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "ack.h"
#include "error.h"

void lw__detect_withhold_known(struct lw_alert *a, const struct lw_ack_set *acks, int64_t now) {
  const struct lw_ack *e;
  if (a->event_id != LW_EVENT_SESSION_LEAKED || acks == NULL)
    return;
  e = lw_ack_match(acks, now, a->luid, a->domain, a->user, NULL, 0);
  if (e == NULL)
    return;
  a->acknowledged = e->id > 0 ? LW_ACK_BY_ACK : LW_ACK_BY_CONFIG;
  a->ack_id = e->id;
}

/* The leaked DWM-n/UMFD-n records of r's terminal session instance, into list
 * (room for st->n_logons). */
static size_t system_of(const struct lw_detect_state *st, const struct lw_detect_logon *r,
                        const struct lw_detect_logon **list) {
  size_t n = 0;
  for (size_t k = 0; k < st->n_logons; k++) {
    const struct lw_detect_logon *o = &st->logons[k];
    if ((o->flags & LW_DETECT_LOGON_SYSTEM) != 0 && o->leaked_at != UNKNOWN &&
        o->terminal_session == r->terminal_session && o->instance == r->instance)
      list[n++] = o;
  }
  return n;
}

/* 1 when a leaked user logon session of r's instance exists: r (a DWM/UMFD)
 * was folded into its 2001. */
static int has_user_leak(const struct lw_detect_state *st, const struct lw_detect_logon *r) {
  for (size_t k = 0; k < st->n_logons; k++) {
    const struct lw_detect_logon *o = &st->logons[k];
    if ((o->flags & LW_DETECT_LOGON_SYSTEM) == 0 && o->leaked_at != UNKNOWN &&
        o->terminal_session == r->terminal_session && o->instance == r->instance)
      return 1;
  }
  return 0;
}

int lw_detect_realert(struct lw_detect_state *st, const struct lw_detect_config *cfg,
                      const struct lw_ack_set *ended, int64_t now, struct lw_detect_output *out) {
  struct lw__alert_vec av = {NULL, 0, 0};
  struct lw_detect_output scratch; /* raise_leaked's episode rows: not wanted here */
  const struct lw_detect_logon **list = NULL;
  struct lw_alert_policy_state pol;
  struct lw_alert none;
  const char *holders;
  int rc = 0;

  if (st == NULL || cfg == NULL || out == NULL)
    return LW_EINVAL;
  if (ended == NULL || ended->n == 0 || st->n_logons == 0)
    return 0;
  holders = cfg->holders_enabled ? LW_DETECT_HOLDERS_PENDING : LW_DETECT_HOLDERS_OFF;
  lw_detect_output_init(&scratch);
  list = malloc(st->n_logons * sizeof *list);
  if (list == NULL)
    return LW_ENOMEM;
  for (size_t k = 0; k < st->n_logons && rc == 0; k++) {
    const struct lw_detect_logon *r = &st->logons[k];
    int sys = (r->flags & LW_DETECT_LOGON_SYSTEM) != 0;
    if (r->leaked_at == UNKNOWN || (sys && has_user_leak(st, r)))
      continue;
    if (lw_ack_match(ended, now, r->luid, r->domain, r->user, NULL, 0) == NULL ||
        lw_ack_match(cfg->acks, now, r->luid, r->domain, r->user, NULL, 0) != NULL)
      continue;
    rc = lw__detect_raise_leaked(&av, &scratch, st->boot_time, r, now, list,
                                 sys ? 0 : system_of(st, r, list), holders);
  }
  free(list);
  lw_detect_output_free(&scratch);
  if (rc == 0 && av.n > 0) {
    /* Called after a step at the same time, no period is due to end here; if
     * one is (another caller), its 2009 is appended first, as a step would. */
    pol = st->policy;
    rc = lw_alert_policy_apply(&pol, cfg->alerts_max_per_hour, now, av.v, av.n, &none);
    if (rc == 1)
      rc = lw__detect_summary_state(&none, "the hour ended", st->logons, st->n_logons, st->wts,
                                    st->n_wts);
    if (rc == 0)
      rc = lw__detect_grow((void **)&out->alerts, &out->cap_alerts,
                           out->n_alerts + av.n + (none.event_id != 0), sizeof *out->alerts);
    if (rc == 0) {
      st->policy = pol;
      if (none.event_id != 0)
        lw_alert_move(&out->alerts[out->n_alerts++], &none);
      for (size_t k = 0; k < av.n; k++)
        lw_alert_move(&out->alerts[out->n_alerts++], &av.v[k]);
    }
    lw_alert_clear(&none);
  }
  size_t n = rc == 0 ? av.n : 0;
  lw__detect_alerts_free(&av);
  return rc == 0 ? (int)n : rc;
}
