/*
 * holder_watch.h - when the service looks for the processes holding leaked
 * sessions, and what it says about them.
 *
 * A holder scan (holder_scan.h) walks every handle on the host, so it runs
 * only when a leak episode starts and then at most every `holders.interval`
 * while leaks are open, never on the polls of a clean host. The scan that
 * follows a new leak fills the "Token holders" line (%8) of that poll's 2001
 * alerts; a later scan that names a holder of an already reported leak raises
 * event 2007 once per (LUID, process). Every scan's findings are kept in the
 * history (v_holders).
 */
#ifndef LW_HOLDER_WATCH_H
#define LW_HOLDER_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "alert_policy.h"
#include "config.h"
#include "detect.h"
#include "store.h"

struct lw_holder_watch;

/* Returns 0 and *out, or LW_ENOMEM. The scanner holds no OS handle between
 * scans. */
int lw_holder_watch_open(struct lw_holder_watch **out);
void lw_holder_watch_close(struct lw_holder_watch *w);

/*
 * Called after lw_detect_step and before its alerts are published. Scans when
 * due (see above), rewrites %8 of the 2001 alerts in `out`, queues the findings
 * in `store` for this poll, and returns the 2007 alerts to publish in
 * *extra / *n_extra (owned by the watch until the next call). A scan that fails
 * leaves the 2001 texts saying so; it is not an error for the poll.
 */
void lw_holder_watch_poll(struct lw_holder_watch *w, const struct lw_config *cfg,
                          const struct lw_detect_state *st, struct lw_detect_output *out,
                          struct lw_store *store, int64_t now, const struct lw_alert **extra,
                          size_t *n_extra);

#endif /* LW_HOLDER_WATCH_H */
