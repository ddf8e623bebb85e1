/* holder_watch.c - scheduling, threading and reporting of the holder scan
 * (see holder_watch.h). */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "holder_scan.h"
#include "holder_watch.h"
#include "holders.h"
#include "luid.h"

/* How long closing waits for a running scan to notice the stop. */
#define CLOSE_WAIT_MS 2000

/* The scan thread and what it shares with the poll thread. Owned by two
 * references, the watch's and the thread's: whichever lets go last frees it,
 * so a watch can close while a scan is stuck in a system call. */
struct worker {
  HANDLE thread;
  HANDLE wake; /* auto-reset: a job was posted, or quit */
  HANDLE done; /* manual-reset: the job's result is ready */
  CRITICAL_SECTION lock;
  volatile LONG refs;
  struct lw_holder_scanner *scanner;
  /* Under lock. */
  bool quit;
  bool posted;   /* a job is waiting or running */
  bool finished; /* its result is ready (rc, result, error) */
  uint64_t *luids;
  size_t n_luids;
  uint32_t budget_ms; /* the scan stops itself after this (partial result) */
  int rc;
  struct lw_holders_result *result;
  char error[512];
};

/* A (LUID, PID) pair already named to the operator, in a 2001 or a 2007. */
struct named {
  uint64_t luid;
  uint32_t pid;
};

struct lw_holder_watch {
  const struct lw_holder_api *api;
  struct worker *wk; /* NULL until the first scan */
  int64_t last_scan; /* ms, when the last scan started; 0 = never */
  bool running;      /* a job is posted and not collected */
  ULONGLONG started; /* GetTickCount64 when it was posted */
  bool abandoned;    /* it passed holders.timeout (reported) */
  bool rescan;       /* leaks opened that the running scan does not cover */
  uint64_t scans, scans_abandoned;
  struct named *named;
  size_t n_named, cap_named;
  struct lw_alert *extra;         /* 2007s of the last call */
  const struct lw_ack_set *known; /* lw_holder_watch_set_known's, or NULL */
  size_t n_extra, cap_extra;
};

/* ---- The scan thread ------------------------------------------------------ */

static void worker_free(struct worker *wk) {
  free(wk->luids);
  lw_holders_result_free(wk->result);
  lw_holder_scanner_close(wk->scanner);
  if (wk->wake != NULL)
    CloseHandle(wk->wake);
  if (wk->done != NULL)
    CloseHandle(wk->done);
  if (wk->thread != NULL)
    CloseHandle(wk->thread);
  DeleteCriticalSection(&wk->lock);
  free(wk);
}

static void worker_release(struct worker *wk) {
  if (InterlockedDecrement(&wk->refs) == 0)
    worker_free(wk);
}

static DWORD WINAPI worker_main(LPVOID arg) {
  struct worker *wk = arg;
  for (;;) {
    WaitForSingleObject(wk->wake, INFINITE);
    EnterCriticalSection(&wk->lock);
    bool quit = wk->quit, work = wk->posted && !wk->finished;
    const uint64_t *luids = wk->luids;
    size_t n = wk->n_luids;
    uint32_t budget = wk->budget_ms;
    LeaveCriticalSection(&wk->lock);
    if (quit)
      break;
    if (!work)
      continue;
    struct lw_holders_result *r = NULL;
    int rc = lw_holder_scan_run(wk->scanner, luids, n, budget, &r);
    EnterCriticalSection(&wk->lock);
    wk->rc = rc;
    wk->result = r;
    snprintf(wk->error, sizeof wk->error, "%s", lw_holder_scan_error(wk->scanner));
    wk->finished = true;
    quit = wk->quit;
    LeaveCriticalSection(&wk->lock);
    SetEvent(wk->done);
    if (quit)
      break;
  }
  worker_release(wk);
  return 0;
}

static int worker_start(const struct lw_holder_api *api, struct worker **out) {
  struct worker *wk = calloc(1, sizeof *wk);
  *out = NULL;
  if (wk == NULL)
    return LW_ENOMEM;
  InitializeCriticalSection(&wk->lock);
  wk->refs = 2;
  wk->wake = CreateEventW(NULL, FALSE, FALSE, NULL);
  wk->done = CreateEventW(NULL, TRUE, FALSE, NULL);
  int rc = lw_holder_scanner_open(api, &wk->scanner);
  if (rc == 0 && (wk->wake == NULL || wk->done == NULL))
    rc = LW_EOS;
  if (rc == 0) {
    wk->thread = CreateThread(NULL, 0, worker_main, wk, 0, NULL);
    if (wk->thread == NULL)
      rc = LW_EOS;
  }
  if (rc != 0) {
    worker_free(wk);
    return rc;
  }
  *out = wk;
  return 0;
}

/* Tells the thread to quit and drops the watch's reference. */
static void worker_stop(struct worker *wk, DWORD wait_ms) {
  EnterCriticalSection(&wk->lock);
  wk->quit = true;
  LeaveCriticalSection(&wk->lock);
  SetEvent(wk->wake);
  WaitForSingleObject(wk->thread, wait_ms);
  worker_release(wk);
}

/* ---- The watch ------------------------------------------------------------ */

int lw_holder_watch_open(const struct lw_holder_api *api, struct lw_holder_watch **out) {
  struct lw_holder_watch *w = calloc(1, sizeof *w);
  *out = NULL;
  if (w == NULL)
    return LW_ENOMEM;
  w->api = api;
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
  if (w->wk != NULL)
    worker_stop(w->wk, CLOSE_WAIT_MS);
  clear_extra(w);
  free(w->extra);
  free(w->named);
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

/* Marks an alert acknowledged when a known-leak entry covers it, by LUID, user
 * or its holders' images (ack.h). A 2001 the detector marked stays so. */
static void withhold_known(const struct lw_holder_watch *w, struct lw_alert *a, uint64_t luid,
                           const char *domain, const char *user, const char *const *images,
                           size_t n_images, int64_t now) {
  const struct lw_ack *e;
  if (w->known == NULL || a->acknowledged)
    return;
  e = lw_ack_match(w->known, now, luid, domain, user, images, n_images);
  if (e != NULL) {
    a->acknowledged = e->id > 0 ? LW_ACK_BY_ACK : LW_ACK_BY_CONFIG;
    a->ack_id = e->id;
  }
}

void lw_holder_watch_set_known(struct lw_holder_watch *w, const struct lw_ack_set *known) {
  if (w != NULL)
    w->known = known;
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
  char luid[LW_LUID_TEXT_SIZE], pid[16], tokens[16], exited[512];
  lw_alert_init(a, LW_EVENT_HOLDER_IDENTIFIED, now);
  lw_luid_format(l->luid, luid);
  snprintf(pid, sizeof pid, "%u", h->pid);
  snprintf(tokens, sizeof tokens, "%u", h->tokens);
  if (h->exited_process)
    snprintf(exited, sizeof exited, "%s (PID %u), kept open by PID %u",
             lw_holders_basename(h->image ? h->image : "?"), h->pid, h->held_by_pid);
  else
    snprintf(exited, sizeof exited, "none");
  const char *image = h->exited_process && h->held_by_image ? h->held_by_image : h->image;
  const char *ins[LW_EVENT_INSERTS_HOLDER_IDENTIFIED] = {
      [LW_INSERT_2007_LUID] = luid,
      [LW_INSERT_2007_USER] = l->user != NULL && l->user[0] != 0 ? l->user : "(unknown)",
      [LW_INSERT_2007_DOMAIN] = l->domain != NULL && l->domain[0] != 0 ? l->domain : "(unknown)",
      [LW_INSERT_2007_IMAGE] = image ? image : "(image not readable)",
      [LW_INSERT_2007_PID] = pid,
      [LW_INSERT_2007_SERVICES] = h->services ? h->services : "none",
      [LW_INSERT_2007_TOKENS] = tokens,
      [LW_INSERT_2007_TOKEN_TYPES] = lw_holder_token_types(h),
      [LW_INSERT_2007_EXITED_PROCESS] = exited};
  withhold_known(w, a, l->luid, l->domain, l->user, &image, 1, now);
  for (size_t i = 0; i < LW_EVENT_INSERTS_HOLDER_IDENTIFIED; i++) {
    if (lw_alert_set_insert(a, i, ins[i]) != 0) {
      lw_alert_clear(a);
      return;
    }
  }
  a->luid = l->luid;
  /* Structured too, for the history's columns; a copy that fails is left out. */
  a->user = l->user != NULL ? lw_strdup(l->user) : NULL;
  a->domain = l->domain != NULL ? lw_strdup(l->domain) : NULL;
  w->n_extra++;
}

/* Sets HOLDERS of every 2001 in `out` to `text`. */
static void set_2001_holders(struct lw_detect_output *out, const char *text) {
  for (size_t i = 0; i < out->n_alerts; i++)
    if (out->alerts[i].event_id == LW_EVENT_SESSION_LEAKED)
      lw_alert_set_insert(&out->alerts[i], LW_INSERT_2001_HOLDERS, text);
}

/* Fills HOLDERS of this poll's 2001s from a scan that finished in time, naming
 * their holders. */
static void name_in_2001s(struct lw_holder_watch *w, struct lw_detect_output *out, int rc,
                          const char *error, const struct lw_holders_result *r) {
  char text[2048];
  for (size_t i = 0; i < out->n_alerts; i++) {
    struct lw_alert *a = &out->alerts[i];
    if (a->event_id != LW_EVENT_SESSION_LEAKED)
      continue;
    if (rc != 0)
      snprintf(text, sizeof text, "the holder scan failed: %s", error);
    else if (lw_holders_find(r, a->luid) == NULL)
      snprintf(text, sizeof text, "%s", LW_HOLDERS_NONE_HINT);
    else if (lw_holders_format_summary(r, a->luid, text, sizeof text) < 0)
      snprintf(text, sizeof text, "%s", LW_HOLDERS_NONE_TEXT);
    lw_alert_set_insert(a, LW_INSERT_2001_HOLDERS, text);
    const struct lw_holders_session *hs = rc == 0 ? lw_holders_find(r, a->luid) : NULL;
    for (size_t j = 0; hs != NULL && j < hs->n_holders; j++)
      add_named(w, a->luid, hs->holders[j].pid);
    /* Held only by known images: the 2001 is withheld too. */
    if (hs != NULL && hs->n_holders > 0) {
      const char **images = malloc(hs->n_holders * sizeof *images);
      for (size_t j = 0; images != NULL && j < hs->n_holders; j++)
        images[j] = hs->holders[j].image != NULL ? hs->holders[j].image : "?";
      if (images != NULL)
        withhold_known(w, a, a->luid, a->domain, a->user, images, hs->n_holders, a->raised_at);
      free(images);
    }
  }
}

/* Keeps a finished scan's findings for the leaks still open: rows for
 * v_holders, and a 2007 for each holder not yet named. */
static void record_result(struct lw_holder_watch *w, const struct lw_detect_state *st,
                          const struct lw_holders_result *r, struct lw_store *store, int64_t now) {
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

/* Takes the running job's result if it is ready: true, with *rc, *r (the
 * caller frees it) and error. */
static bool collect(struct lw_holder_watch *w, int *rc, struct lw_holders_result **r, char *error,
                    size_t errlen) {
  struct worker *wk = w->wk;
  bool ready;
  EnterCriticalSection(&wk->lock);
  ready = wk->finished;
  if (ready) {
    *rc = wk->rc;
    *r = wk->result;
    snprintf(error, errlen, "%s", wk->error);
    wk->result = NULL;
    wk->finished = false;
    wk->posted = false;
    free(wk->luids);
    wk->luids = NULL;
    wk->n_luids = 0;
  }
  LeaveCriticalSection(&wk->lock);
  if (ready)
    w->running = false;
  return ready;
}

/* Posts a scan of `leaked` (the worker takes the array). */
static int post(struct lw_holder_watch *w, uint64_t *leaked, size_t n, uint32_t budget_ms) {
  if (w->wk == NULL) {
    int rc = worker_start(w->api, &w->wk);
    if (rc != 0)
      return rc;
  }
  struct worker *wk = w->wk;
  EnterCriticalSection(&wk->lock);
  free(wk->luids);
  wk->luids = leaked;
  wk->n_luids = n;
  wk->budget_ms = budget_ms;
  wk->posted = true;
  wk->finished = false;
  ResetEvent(wk->done);
  LeaveCriticalSection(&wk->lock);
  SetEvent(wk->wake);
  w->running = true;
  w->abandoned = false;
  w->started = GetTickCount64();
  w->scans++;
  return 0;
}

/* Checks on a running scan that has not finished: a dead thread is replaced,
 * one past the timeout is abandoned (reported once). */
static void check_running(struct lw_holder_watch *w, const struct lw_config *cfg,
                          struct lw_holder_watch_status *status) {
  ULONGLONG running = GetTickCount64() - w->started;
  if (WaitForSingleObject(w->wk->thread, 0) == WAIT_OBJECT_0) {
    /* Ended without posting a result: no other thread touches the worker now,
     * so it is freed here. What the scan held open is lost with it. */
    DWORD code = 0;
    char doing[128];
    status->thread_ended = true;
    status->running_ms = (uint32_t)running;
    lw_holder_scan_activity(w->wk->scanner, doing, sizeof doing);
    /* Under Wine, 1: the server could not write its reply; 0: the thread's
     * pipe to the server closed (README, Wine notes). */
    GetExitCodeThread(w->wk->thread, &code);
    snprintf(status->activity, sizeof status->activity, "%s (thread exit code %lu)", doing,
             (unsigned long)code);
    worker_free(w->wk);
    w->wk = NULL;
    w->running = false;
    /* No rescan at once: a call that ends its thread may well do it again;
     * the next scan comes with the next new leak or holders.interval. */
    w->scans_abandoned++;
    return;
  }
  if (!w->abandoned && running >= (ULONGLONG)cfg->holders_timeout_ms) {
    w->abandoned = true;
    w->scans_abandoned++;
    status->abandoned = true;
    status->running_ms = (uint32_t)running;
    lw_holder_scan_activity(w->wk->scanner, status->activity, sizeof status->activity);
  }
}

/* The IDs of the leaked logon sessions in `st` (NULL when none or out of
 * memory: *n says which). */
static uint64_t *leaked_luids(const struct lw_detect_state *st, size_t *n) {
  size_t count = 0;
  for (size_t i = 0; i < st->n_logons; i++)
    if (st->logons[i].leaked_at != LW_TIME_UNKNOWN)
      count++;
  *n = count;
  uint64_t *leaked = count ? malloc(count * sizeof *leaked) : NULL;
  if (leaked == NULL) {
    *n = 0;
    return NULL;
  }
  size_t k = 0;
  for (size_t i = 0; i < st->n_logons; i++)
    if (st->logons[i].leaked_at != LW_TIME_UNKNOWN)
      leaked[k++] = st->logons[i].luid;
  return leaked;
}

/* Starts a scan of `leaked` (taken) and waits for it at most
 * min(holders.timeout, poll_interval / 2); names what it found in this poll's
 * 2001s, or says it is still running. */
static void scan_now(struct lw_holder_watch *w, const struct lw_config *cfg,
                     const struct lw_detect_state *st, struct lw_detect_output *out,
                     struct lw_store *store, int64_t now, uint64_t *leaked, size_t n_leaked,
                     struct lw_holder_watch_status *status) {
  /* The scan stops itself at half the timeout with what it found, so that
   * only a call that does not return reaches the timeout. */
  uint32_t budget = (uint32_t)(cfg->holders_timeout_ms / 2);
  int rc = post(w, leaked, n_leaked, budget > 0 ? budget : 1);
  if (rc != 0) {
    free(leaked);
    set_2001_holders(out, "the holder scan could not start (out of memory or threads)");
    return;
  }
  w->last_scan = now;
  w->rescan = false;
  int64_t wait_ms = cfg->poll_interval_ms / 2;
  if (wait_ms > cfg->holders_timeout_ms)
    wait_ms = cfg->holders_timeout_ms;
  /* The thread too: one that ends inside the scan ends the wait. */
  HANDLE waits[2] = {w->wk->done, w->wk->thread};
  WaitForMultipleObjects(2, waits, FALSE, (DWORD)wait_ms);
  struct lw_holders_result *r = NULL;
  char error[512] = "";
  if (!collect(w, &rc, &r, error, sizeof error)) {
    check_running(w, cfg, status);
    if (status->thread_ended)
      set_2001_holders(out, "not searched: the holder scan's thread ended (event 1103)");
    else
      set_2001_holders(out, "the holder scan is still running; the holders it finds are "
                            "reported as event 2007");
    return;
  }
  name_in_2001s(w, out, rc, error, r);
  if (rc == 0)
    record_result(w, st, r, store, now);
  lw_holders_result_free(r);
}

void lw_holder_watch_poll(struct lw_holder_watch *w, const struct lw_config *cfg,
                          const struct lw_detect_state *st, struct lw_detect_output *out,
                          struct lw_store *store, int64_t now, const struct lw_alert **extra,
                          size_t *n_extra, struct lw_holder_watch_status *status) {
  struct lw_holder_watch_status ignored;
  if (status == NULL)
    status = &ignored;
  memset(status, 0, sizeof *status);
  *extra = NULL;
  *n_extra = 0;
  clear_extra(w);

  size_t n_leaked = 0;
  uint64_t *leaked = leaked_luids(st, &n_leaked);
  forget_released(w, leaked, n_leaked);

  /* A scan started by an earlier poll: its result, or how it is doing. */
  if (w->running) {
    int rc = 0;
    struct lw_holders_result *r = NULL;
    char error[512];
    if (collect(w, &rc, &r, error, sizeof error)) {
      if (w->abandoned) {
        status->returned = true;
        status->running_ms = (uint32_t)(GetTickCount64() - w->started);
      }
      if (rc == 0)
        record_result(w, st, r, store, now);
      lw_holders_result_free(r);
    } else {
      check_running(w, cfg, status);
    }
  }

  bool opened = false;
  for (size_t i = 0; i < out->n_changes; i++)
    if (out->changes[i].kind == LW_LEAK_OPENED)
      opened = true;
  bool due = opened || w->rescan ||
             (w->last_scan != 0 && now - w->last_scan >= cfg->holders_interval_ms) ||
             (w->last_scan == 0 && n_leaked != 0);
  if (!cfg->holders_enabled) {
    set_2001_holders(out, "not searched (holders.enabled is false)");
    free(leaked);
  } else if (n_leaked == 0 || !due) {
    free(leaked);
  } else if (w->running) {
    /* One scan at a time: a new leak waits for the next one. */
    w->rescan = w->rescan || opened;
    char text[256];
    if (w->abandoned)
      snprintf(text, sizeof text,
               "not searched: the holder scan started %llu s ago has not returned (event 1103)",
               (unsigned long long)((GetTickCount64() - w->started) / 1000));
    else
      snprintf(text, sizeof text, "a holder scan is running; a scan for this session follows it");
    set_2001_holders(out, text);
    free(leaked);
  } else {
    scan_now(w, cfg, st, out, store, now, leaked, n_leaked, status);
  }

  status->scan_running = w->running;
  status->scans_total = w->scans;
  status->scans_abandoned_total = w->scans_abandoned;
  *extra = w->extra;
  *n_extra = w->n_extra;
}
