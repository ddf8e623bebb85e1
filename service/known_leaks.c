/* known_leaks.c - the known leaks of each poll and their events (see
 * known_leaks.h). */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "known_leaks.h"
#include "messages.h"
#include "timefmt.h"

void lw_known_init(struct lw_known_leaks *k) {
  memset(k, 0, sizeof *k);
  lw_ack_set_init(&k->db);
  lw_ack_set_init(&k->in_force);
  lw_ack_set_init(&k->ended);
  k->checked_at = LW_TIME_UNKNOWN;
}

void lw_known_free(struct lw_known_leaks *k) {
  lw_ack_set_free(&k->db);
  lw_ack_set_free(&k->in_force);
  lw_ack_set_free(&k->ended);
}

/* Open leaks (user logon sessions, and DWM/UMFD ones with their own 2001
 * counted as well) that `a` covers and `still` (NULL: nothing) does not. */
static unsigned count_covered(const struct lw_detect_state *det, const struct lw_ack *a,
                              const struct lw_ack_set *still, int64_t now) {
  struct lw_ack one = *a;
  struct lw_ack_set just = {&one, 1, 1};
  unsigned n = 0;
  one.expires_at = LW_TIME_UNKNOWN;
  for (size_t i = 0; i < det->n_logons; i++) {
    const struct lw_detect_logon *r = &det->logons[i];
    if (r->leaked_at == LW_TIME_UNKNOWN || (r->flags & LW_DETECT_LOGON_SYSTEM) != 0)
      continue;
    if (lw_ack_match(&just, now, r->luid, r->domain, r->user, NULL, 0) != NULL &&
        (still == NULL || lw_ack_match(still, now, r->luid, r->domain, r->user, NULL, 0) == NULL))
      n++;
  }
  return n;
}

/* Keeps a copy of an ended entry, without its expiry, for lw_detect_realert. */
static void note_ended(struct lw_known_leaks *k, const struct lw_ack *a) {
  struct lw_ack c = *a;
  c.expires_at = LW_TIME_UNKNOWN;
  (void)lw_ack_set_add(&k->ended, &c); /* out of memory: no 2001 again, nothing worse */
}

static void report_taken_up(const struct lw_ack *a, unsigned open, lw_known_report_fn report,
                            void *ctx) {
  char id[24], expires[LW_ISO_TIME_SIZE], count[16];
  snprintf(id, sizeof id, "%lld", (long long)a->id);
  snprintf(count, sizeof count, "%u", open);
  if (a->expires_at == LW_TIME_UNKNOWN)
    snprintf(expires, sizeof expires, "never");
  else
    lw_time_format_iso(a->expires_at, expires);
  const char *s[] = {id,        lw_ack_kind_name(a->kind),
                     a->target, a->reason,
                     expires,   a->created_by[0] != 0 ? a->created_by : "(unknown)",
                     count};
  report(ctx, LW_MSG_ACK_TAKEN_UP, 7, s);
}

static void report_ended(const struct lw_ack *a, bool expired, unsigned again,
                         lw_known_report_fn report, void *ctx) {
  char id[24], count[16];
  snprintf(id, sizeof id, "%lld", (long long)a->id);
  snprintf(count, sizeof count, "%u", again);
  if (expired) {
    char at[LW_ISO_TIME_SIZE];
    const char *s[] = {id, lw_ack_kind_name(a->kind), a->target,
                       lw_time_format_iso(a->expires_at, at), count};
    report(ctx, LW_MSG_ACK_EXPIRED, 5, s);
  } else {
    const char *s[] = {id, lw_ack_kind_name(a->kind), a->target, a->reason, count};
    report(ctx, LW_MSG_ACK_REMOVED, 5, s);
  }
}

/* Builds the set in force: the history's entries, then the configuration's.
 * Returns 0 or LW_ENOMEM (*out then freed). */
static int build_in_force(const struct lw_ack_set *db, const struct lw_config *cfg,
                          struct lw_ack_set *out) {
  int rc = 0;
  lw_ack_set_init(out);
  for (size_t i = 0; rc == 0 && i < db->n; i++)
    rc = lw_ack_set_add(out, &db->v[i]);
  if (rc == 0 && cfg != NULL)
    rc = lw_ack_set_add_names(out, LW_ACK_USER, cfg->ignore_users);
  if (rc == 0 && cfg != NULL)
    rc = lw_ack_set_add_names(out, LW_ACK_IMAGE, cfg->ignore_images);
  if (rc != 0)
    lw_ack_set_free(out);
  return rc;
}

/* What became of an entry at this poll. */
enum change { KEPT = 0, REMOVED, EXPIRED };

void lw_known_refresh(struct lw_known_leaks *k, struct lw_store *store, const struct lw_config *cfg,
                      const struct lw_detect_state *det, int64_t now, lw_known_report_fn report,
                      void *ctx) {
  struct lw_ack_set fresh, in_force;
  bool reread = false;
  lw_ack_set_free(&k->ended);
  lw_ack_set_init(&fresh);

  if (store != NULL && !lw_store_is_deferred(store)) {
    int changed = lw_store_changed_elsewhere(store);
    if (changed > 0 || (changed == 0 && !k->loaded))
      reread = lw_store_acks_load(store, &fresh) == 0;
    if (!reread)
      lw_ack_set_free(&fresh);
  }
  const struct lw_ack_set *now_db = reread ? &fresh : &k->db;
  /* old[i]: k->db's entries; new[i]: now_db's, for those that expired while
   * the service was stopped (after the restored detector's last poll: their
   * leaks were withheld and must alert again). */
  unsigned char *old = calloc(k->db.n + 1, 1), *expired_away = calloc(now_db->n + 1, 1);
  if (old == NULL || expired_away == NULL || build_in_force(now_db, cfg, &in_force) != 0) {
    free(old);
    free(expired_away);
    lw_ack_set_free(&fresh);
    return; /* out of memory: the last set stays */
  }
  for (size_t i = 0; i < k->db.n; i++) {
    const struct lw_ack *a = &k->db.v[i];
    bool was = lw_ack_active(a, k->checked_at);
    if (lw_ack_set_find(now_db, a->id) == NULL)
      old[i] = REMOVED; /* said even when it had expired: the operator did it */
    else if (was && !lw_ack_active(a, now))
      old[i] = EXPIRED;
    if (was && old[i] != KEPT)
      note_ended(k, a);
  }
  for (size_t i = 0; !k->loaded && det->last_poll != LW_TIME_UNKNOWN && i < now_db->n; i++) {
    const struct lw_ack *a = &now_db->v[i];
    if (a->expires_at != LW_TIME_UNKNOWN && a->expires_at > det->last_poll &&
        a->expires_at <= now) {
      expired_away[i] = 1;
      note_ended(k, a);
    }
  }
  for (size_t i = 0; i < k->db.n; i++)
    if (old[i] != KEPT)
      report_ended(&k->db.v[i], old[i] == EXPIRED, count_covered(det, &k->db.v[i], &in_force, now),
                   report, ctx);
  for (size_t i = 0; i < now_db->n; i++) {
    const struct lw_ack *a = &now_db->v[i];
    if (expired_away[i])
      report_ended(a, true, count_covered(det, a, &in_force, now), report, ctx);
    else if (lw_ack_active(a, now) && (!k->loaded || lw_ack_set_find(&k->db, a->id) == NULL))
      report_taken_up(a, count_covered(det, a, NULL, now), report, ctx);
  }
  free(old);
  free(expired_away);
  if (reread) {
    lw_ack_set_free(&k->db);
    k->db = fresh;
  }
  lw_ack_set_free(&k->in_force);
  k->in_force = in_force;
  k->checked_at = now;
  k->loaded = 1;
}
