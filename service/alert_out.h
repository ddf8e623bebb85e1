/*
 * alert_out.h - where the detector's alerts go: the Event Log and the history.
 *
 * Every alert is rendered from leakwatch.exe's own message table (the text
 * Event Viewer shows) and queued in the store with its insertion strings as
 * JSON, to be written in the poll's transaction; those the rate limit did not
 * hold back are also reported with ReportEventW. The Event Log gets the alert
 * even when the database is failing: history catches up later, the operator
 * hears now.
 */
#ifndef LW_ALERT_OUT_H
#define LW_ALERT_OUT_H

#include <stddef.h>

#include "alert_policy.h"
#include "store.h"

/* Publishes n alerts. `st` may be NULL (no history: `leakwatch run` without a
 * database never happens, but tests may do it). Returns the number of alerts
 * that could not be queued in the store (out of memory); Event Log failures
 * are not errors for the poll. */
size_t lw_alert_out_publish(struct lw_store *st, const struct lw_alert *alerts, size_t n,
                            int to_console);

#endif /* LW_ALERT_OUT_H */
