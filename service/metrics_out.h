/*
 * metrics_out.h - the figures of the metrics file that the poll loop does not
 * count itself (alerts by event and outcome, leak episodes, the oldest open
 * leak), and its write with events 1107 and 1006.
 *
 * A farm alerts on this file (config/prometheus/): a write that fails is said
 * once (1107, with the file and Windows' reason), not at every poll, and the
 * recovery once (1006); meanwhile the file keeps its last complete text,
 * whose leakwatch_last_poll_timestamp_seconds grows stale.
 */
#ifndef LW_METRICS_OUT_H
#define LW_METRICS_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert_policy.h"
#include "detect.h"
#include "metrics.h"

/* How events are reported (the poll loop's report_event). */
typedef void (*lw_metrics_report_fn)(void *ctx, uint32_t msg_id, unsigned n,
                                     const char *const strings[]);

struct lw_metrics_out {
  bool failing;           /* 1107 was raised; 1006 is due at the next good write */
  uint64_t failed_writes; /* writes that failed since 1107 */
};

/* Counts n published alerts: raised, or held back by the rate limit. */
void lw_metrics_out_alerts(struct lw_metrics *m, const struct lw_alert *alerts, size_t n);

/* After a detector step at `now` (ms since the epoch): the leak episodes it
 * opened and the age of the oldest open leak in its state. */
void lw_metrics_out_leaks(struct lw_metrics *m, const struct lw_detect_state *st,
                          const struct lw_detect_output *d, int64_t now);

/* Formats m and writes it to path (UTF-8, expanded); reports 1107 when
 * writing starts failing and 1006 when it works again. */
void lw_metrics_out_write(struct lw_metrics_out *o, const char *path, const struct lw_metrics *m,
                          lw_metrics_report_fn report, void *ctx);

#endif /* LW_METRICS_OUT_H */
