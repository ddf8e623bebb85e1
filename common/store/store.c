/*
 * store.c - opening and closing a history store (see store.h): the options' defaults,
 * a database that is locked at open (the store is then deferred, store_defer.c),
 * and the last flush at close. The top of the store: the file checks and the
 * connection are store_open.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store_internal.h"

static void free_store(struct lw_store *st) {
  if (st == NULL)
    return;
  lw__store_close_db(st);
  lw__defer_free(st);
  lw__model_free(&st->m);
  free(st->path);
  free(st);
}

int lw_store_open(const char *path, const struct lw_store_options *opts, struct lw_store **out,
                  struct lw_store_open_info *info, char *err, size_t errlen) {
  struct lw_store *st = NULL;
  struct lw_store_open_info dummy;
  int rc;

  if (info == NULL)
    info = &dummy;
  memset(info, 0, sizeof *info);
  lw__store_seterr(err, errlen, "%s", "");
  if (out != NULL)
    *out = NULL;
  if (path == NULL || out == NULL)
    return LW_EINVAL;

  rc = LW_ENOMEM;
  st = calloc(1, sizeof *st);
  if (st == NULL)
    goto fail;
  lw__model_init(&st->m);
  st->path = lw__store_concat(path, "");
  if (st->path == NULL)
    goto fail;
  if (opts != NULL)
    st->opts = *opts;
  if (st->opts.busy_timeout_ms <= 0)
    st->opts.busy_timeout_ms = LW_STORE_DEFAULT_BUSY_TIMEOUT_MS;
  if (st->opts.boot_tolerance_ms <= 0)
    st->opts.boot_tolerance_ms = LW_STORE_DEFAULT_BOOT_TOLERANCE_MS;
  if (st->opts.max_pending_polls == 0)
    st->opts.max_pending_polls = LW_STORE_DEFAULT_MAX_PENDING_POLLS;
  if (st->opts.detector_state_every == 0)
    st->opts.detector_state_every = LW_STORE_DEFAULT_DETECTOR_STATE_EVERY;
  if (st->opts.close_timeout_ms <= 0)
    st->opts.close_timeout_ms = LW_STORE_DEFAULT_CLOSE_TIMEOUT_MS;

  rc = lw__store_open_db(st, st->opts.busy_timeout_ms, info, err, errlen);
  if (rc == LW_EBUSY && st->opts.defer_when_busy && !st->opts.read_only) {
    /* A half-done load is dropped: the model is loaded again when it opens. */
    lw__model_free(&st->m);
    lw__model_init(&st->m);
    st->deferred = true;
    info->deferred = true;
    lw__defer_note(st, err != NULL ? err : "database is locked");
    rc = 0;
  }
  if (rc != 0)
    goto fail;
  *out = st;
  return 0;

fail:
  if (rc == LW_ENOMEM && err != NULL && errlen != 0 && err[0] == '\0')
    lw__store_seterr(err, errlen, "%s: out of memory", path);
  free_store(st);
  return rc;
}

bool lw_store_is_deferred(const struct lw_store *st) {
  return st != NULL && st->deferred;
}

int lw_store_close(struct lw_store *st, uint32_t *lost_polls) {
  int rc = 0;
  if (lost_polls != NULL)
    *lost_polls = 0;
  if (st == NULL)
    return 0;
  if (!st->opts.read_only &&
      (st->deferred || st->m.n_polls != 0 || st->m.n_ldirty != 0 || st->m.n_wdirty != 0 ||
       st->m.next_extras != NULL || st->m.det_dirty)) {
    struct lw_store_poll_result res;
    memset(&res, 0, sizeof res);
    /* One last try, waiting for a lock up to close_timeout_ms (SQLite's busy
     * handler retries until then). A deferred store with nothing queued has
     * nothing to write. */
    if (st->deferred && (st->n_dq != 0 || st->m.next_extras != NULL || st->m.det_dirty))
      rc = lw__defer_resume(st, st->opts.close_timeout_ms, &res);
    if (rc == 0 && !st->deferred) {
      sqlite3_busy_timeout(st->db, st->opts.close_timeout_ms);
      rc = lw__store_flush(st, true, &res);
    }
    if (rc != 0 && lost_polls != NULL)
      *lost_polls = st->deferred ? (uint32_t)st->n_dq : (uint32_t)st->m.n_polls;
  }
  free_store(st);
  return rc;
}
