/* holder_watch.c - scheduling and reporting the holder scan (see holder_watch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "holder_scan.h"
#include "holder_watch.h"
#include "holders.h"
#include "luid.h"

/* A scan on a busy host takes well under a second; past this it reports what
 * it found so far rather than delay the poll. */
#define SCAN_DEADLINE_MS 10000

/* A (LUID, PID) pair already named to the operator, in a 2001 or a 2007. */
struct named {
  uint64_t luid;
  uint32_t pid;
};

struct lw_holder_watch {
  struct lw_holder_scanner *scanner;
  int64_t last_scan; /* ms; 0 = never */
  struct named *named;
  size_t n_named, cap_named;
  struct lw_alert *extra; /* 2007s of the last call */
  size_t n_extra, cap_extra;
};

int lw_holder_watch_open(struct lw_holder_watch **out) {
  struct lw_holder_watch *w = calloc(1, sizeof *w);
  *out = NULL;
  if (w == NULL)
    return LW_ENOMEM;
  int rc = lw_holder_scanner_open(NULL, &w->scanner);
  if (rc != 0) {
    free(w);
    return rc;
  }
  *out = w;
  return 0;
}

static void clear_extra(struct lw_holder_watch *w) {
  for (size_t i = 0; i < w->n_extra; i++)
    lw_alert_clear(&w->extra[i]);
  w->n_extra = 0;
}

void lw_holder_watch_close(struct lw_holder_watch *w) {
  if (w == NULL)
    return;
  clear_extra(w);
  free(w->extra);
  free(w->named);
  lw_holder_scanner_close(w->scanner);
  free(w);
}

static int is_named(const struct lw_holder_watch *w, uint64_t luid, uint32_t pid) {
  for (size_t i = 0; i < w->n_named; i++)
    if (w->named[i].luid == luid && w->named[i].pid == pid)
      return 1;
  return 0;
}

static void add_named(struct lw_holder_watch *w, uint64_t luid, uint32_t pid) {
  if (is_named(w, luid, pid))
    return;
  if (w->n_named == w->cap_named) {
    size_t cap = w->cap_named ? w->cap_named * 2 : 16;
    struct named *n = realloc(w->named, cap * sizeof *n);
    if (n == NULL)
      return; /* at worst a 2007 is repeated */
    w->named = n;
    w->cap_named = cap;
  }
  w->named[w->n_named].luid = luid;
  w->named[w->n_named].pid = pid;
  w->n_named++;
}

/* Keeps only the names of leaks still open (a released LUID is done with). */
static void forget_released(struct lw_holder_watch *w, const uint64_t *leaked, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < w->n_named; i++) {
    for (size_t j = 0; j < n; j++) {
      if (leaked[j] == w->named[i].luid) {
        w->named[k++] = w->named[i];
        break;
      }
    }
  }
  w->n_named = k;
}

/* The 2007 for one holder of one leaked logon session. */
static void add_2007(struct lw_holder_watch *w, const struct lw_detect_logon *l,
                     const struct lw_holder *h, int64_t now) {
  if (w->n_extra == w->cap_extra) {
    size_t cap = w->cap_extra ? w->cap_extra * 2 : 4;
    struct lw_alert *a = realloc(w->extra, cap * sizeof *a);
    if (a == NULL)
      return;
    w->extra = a;
    w->cap_extra = cap;
  }
  struct lw_alert *a = &w->extra[w->n_extra];
  char luid[LW_LUID_TEXT_SIZE], who[512], pid[16], tokens[16], exited[512];
  lw_alert_init(a, 2007, now);
  lw_luid_format(l->luid, luid);
  snprintf(who, sizeof who, "%s\\%s", l->domain ? l->domain : "", l->user ? l->user : "");
  snprintf(pid, sizeof pid, "%u", h->pid);
  snprintf(tokens, sizeof tokens, "%u", h->tokens);
  if (h->exited_process)
    snprintf(exited, sizeof exited, "%s (PID %u), kept open by PID %u",
             lw_holders_basename(h->image ? h->image : "?"), h->pid, h->held_by_pid);
  else
    snprintf(exited, sizeof exited, "none");
  const char *image = h->exited_process && h->held_by_image ? h->held_by_image : h->image;
  const char *ins[8] = {luid,
                        who,
                        image ? image : "(image not readable)",
                        pid,
                        h->services ? h->services : "none",
                        tokens,
                        lw_holder_token_types(h),
                        exited};
  for (size_t i = 0; i < 8; i++) {
    if (lw_alert_set_insert(a, i, ins[i]) != 0) {
      lw_alert_clear(a);
      return;
    }
  }
  a->luid = l->luid;
  w->n_extra++;
}

void lw_holder_watch_poll(struct lw_holder_watch *w, const struct lw_config *cfg,
                          const struct lw_detect_state *st, struct lw_detect_output *out,
                          struct lw_store *store, int64_t now, const struct lw_alert **extra,
                          size_t *n_extra) {
  *extra = NULL;
  *n_extra = 0;
  clear_extra(w);

  size_t n_leaked = 0;
  for (size_t i = 0; i < st->n_logons; i++)
    if (st->logons[i].leaked_at != LW_TIME_UNKNOWN)
      n_leaked++;
  uint64_t *leaked = n_leaked ? malloc(n_leaked * sizeof *leaked) : NULL;
  if (n_leaked != 0 && leaked == NULL)
    return;
  size_t k = 0;
  for (size_t i = 0; i < st->n_logons; i++)
    if (st->logons[i].leaked_at != LW_TIME_UNKNOWN)
      leaked[k++] = st->logons[i].luid;
  forget_released(w, leaked, n_leaked);

  int opened = 0;
  for (size_t i = 0; i < out->n_changes; i++)
    if (out->changes[i].kind == LW_LEAK_OPENED)
      opened = 1;
  int due = opened || (w->last_scan != 0 && now - w->last_scan >= cfg->holders_interval_ms) ||
            (w->last_scan == 0 && n_leaked != 0);
  if (!cfg->holders_enabled || n_leaked == 0 || !due) {
    free(leaked);
    return;
  }

  struct lw_holders_result *r = NULL;
  w->last_scan = now;
  int rc = lw_holder_scan_run(w->scanner, leaked, n_leaked, SCAN_DEADLINE_MS, &r);
  char text[2048];
  for (size_t i = 0; i < out->n_alerts; i++) {
    struct lw_alert *a = &out->alerts[i];
    if (a->event_id != 2001)
      continue;
    if (rc != 0)
      snprintf(text, sizeof text, "the holder scan failed: %s", lw_holder_scan_error(w->scanner));
    else if (lw_holders_find(r, a->luid) == NULL)
      snprintf(text, sizeof text, "%s", LW_HOLDERS_NONE_HINT);
    else if (lw_holders_format_summary(r, a->luid, text, sizeof text) < 0)
      snprintf(text, sizeof text, "%s", LW_HOLDERS_NONE_TEXT);
    lw_alert_set_insert(a, 7, text);
    const struct lw_holders_session *hs = rc == 0 ? lw_holders_find(r, a->luid) : NULL;
    for (size_t j = 0; hs != NULL && j < hs->n_holders; j++)
      add_named(w, a->luid, hs->holders[j].pid);
  }
  if (rc == 0) {
    for (size_t i = 0; i < st->n_logons; i++) {
      const struct lw_detect_logon *l = &st->logons[i];
      if (l->leaked_at == LW_TIME_UNKNOWN)
        continue;
      const struct lw_holders_session *hs = lw_holders_find(r, l->luid);
      for (size_t j = 0; hs != NULL && j < hs->n_holders; j++) {
        const struct lw_holder *h = &hs->holders[j];
        if (store != NULL) {
          struct lw_store_holder sh = {0};
          sh.luid = l->luid;
          sh.scanned_at = now;
          sh.pid = h->pid;
          sh.image = h->image;
          sh.services = h->services;
          sh.tokens = h->tokens;
          sh.exited_process = h->exited_process;
          sh.held_by_pid = h->held_by_pid;
          lw_store_add_holder(store, &sh);
        }
        if (!is_named(w, l->luid, h->pid)) {
          add_2007(w, l, h, now);
          add_named(w, l->luid, h->pid);
        }
      }
    }
  }
  lw_holders_result_free(r);
  free(leaked);
  *extra = w->extra;
  *n_extra = w->n_extra;
}
