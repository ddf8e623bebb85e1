/*
 * holder_watch.h - when the service looks for the processes holding leaked
 * sessions, on which thread, and what it says about them.
 *
 * A holder scan (holder_scan.h) walks every handle on the host, so it runs
 * only when a leak episode starts and then at most every `holders.interval`
 * while leaks are open, never on the polls of a clean host. Scans run on a
 * worker thread of their own: the poll that starts one waits for it at most
 * min(holders.timeout, poll_interval / 2). A scan that finishes in that time
 * fills the "Token holders" line (%8) of that poll's 2001 alerts; otherwise
 * the 2001s say the scan is still running, and the holders it finds later
 * raise event 2007, once per (LUID, process), as do holders found by later
 * scans of already reported leaks. Every scan's findings are kept in the
 * history (v_holders).
 *
 * A scan still running after `holders.timeout` (a system call that does not
 * return) is abandoned: the status says so once, with what it was doing, and
 * no new scan starts until it returns. A scan thread that ends inside a scan
 * (Wine's server can end a thread inside NtQuerySystemInformation) is seen
 * and replaced. Neither can hold up a poll.
 */
#ifndef LW_HOLDER_WATCH_H
#define LW_HOLDER_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ack.h"
#include "alert_policy.h"
#include "config.h"
#include "detect.h"
#include "store.h"

struct lw_holder_api;
struct lw_holder_watch;

/* Returns 0 and *out, or LW_ENOMEM. api NULL means the real OS functions
 * (tests pass fakes; a table passed must outlive the watch). The scan thread
 * starts with the first scan. */
int lw_holder_watch_open(const struct lw_holder_api *api, struct lw_holder_watch **out);

/* Asks a running scan to stop, waits for it at most about 2 seconds, and
 * frees the watch; a scan stuck in a system call is left to finish (or not)
 * on its own thread, which frees what it uses if it ever returns. NULL is
 * fine. */
void lw_holder_watch_close(struct lw_holder_watch *w);

/* What the scan thread did that the operator must hear of (Event Log 1103 and
 * 1003), and the figures for the metrics file. */
struct lw_holder_watch_status {
  bool abandoned;       /* this call: the running scan passed holders.timeout */
  bool thread_ended;    /* this call: the scan thread ended inside a scan */
  bool returned;        /* this call: an abandoned scan returned; scans resume */
  uint32_t running_ms;  /* how long that scan had been running */
  char activity[160];   /* what it was doing ("reading the system handle table ...") */
  bool scan_running;    /* a scan is running after this call */
  uint64_t scans_total; /* scans started since the watch opened */
  uint64_t scans_abandoned_total;
};

/*
 * Called after lw_detect_step and before its alerts are published. Collects
 * the result of a scan that finished since the last call, starts a scan when
 * due (see above), rewrites %8 of the 2001 alerts in `out`, queues the
 * findings in `store` for this poll, and returns the 2007 alerts to publish in
 * *extra / *n_extra (owned by the watch until the next call). `status` (may be
 * NULL) gets what happened. A scan that fails leaves the 2001 texts saying so;
 * it is not an error for the poll.
 */
void lw_holder_watch_poll(struct lw_holder_watch *w, const struct lw_config *cfg,
                          const struct lw_detect_state *st, struct lw_detect_output *out,
                          struct lw_store *store, int64_t now, const struct lw_alert **extra,
                          size_t *n_extra, struct lw_holder_watch_status *status);

/*
 * Known leaks (ack.h; NULL: none), used by the calls that follow: a 2007 of
 * a leak an entry in force covers (by LUID, user or that holder's image), and
 * a 2001 whose holders (named in time) are all covered by image entries, are
 * marked acknowledged (recorded, not logged). The set must outlive those
 * calls. A 2001 withheld this way was already counted by the rate limit.
 */
void lw_holder_watch_set_known(struct lw_holder_watch *w, const struct lw_ack_set *known);

#endif /* LW_HOLDER_WATCH_H */
