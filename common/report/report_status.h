/*
 * report_status.h - `leakwatch status`: one look for an operator or a
 * monitoring system (a scheduled task, SCOM, PRTG, Nagios): is the service
 * polling, when did it last poll, what is leaked, which session IDs are
 * pinned, the highest ID in use against the live sessions, the oldest leak.
 *
 * The verdict is an exit code (documented in README, a contract):
 *   0 OK           polling, no open leak
 *   1 LEAKS        polling, leaks open that no acknowledgement or ignore:
 *                  entry covers (known leaks alone give 0: nobody is paged
 *                  for a leak an operator acknowledged)
 *   2 NOT POLLING  the service is not running, or its last poll is older
 *                  than 3 poll intervals (its figures are then stale)
 *   3 UNKNOWN      the history database cannot be read
 * Portable: the service's state comes from the caller (service/os asks the
 * SCM), the rest from the store; service/cli/cmd_status.c glues them.
 */
#ifndef LW_REPORT_STATUS_H
#define LW_REPORT_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ack.h"
#include "report_args.h"
#include "store.h"

enum lw_check {
  LW_CHECK_OK = 0,
  LW_CHECK_LEAKS = 1,
  LW_CHECK_NOT_POLLING = 2,
  LW_CHECK_UNKNOWN = 3
};

/* A last poll older than this many poll intervals, and than LW_STATUS_STALE_MIN_MS:
 * not polling. The floor keeps a short interval's hiccup (a loaded host, a poll
 * that waited for the database) from reading as a stopped monitor; the
 * service's own watchdog uses a minute too. */
#define LW_STATUS_STALE_INTERVALS 3
#define LW_STATUS_STALE_MIN_MS INT64_C(60000)

/* How old the last poll may be while the service still counts as polling. */
int64_t lw_status_stale_ms(int64_t poll_interval_ms);

struct lw_status_query {
  enum lw_report_format format; /* LW_REPORT_TABLE (text) or LW_REPORT_JSON */
  const char *db;               /* the database's path, shown */
  const char *db_error;         /* why it could not be opened (st NULL), or NULL */
  /* The service as the SCM sees it: a name ("running", "stopped", "not
   * installed", ...), whether it runs, whether that is known at all, and
   * a detail (why the SCM could not be asked, its exit code), or NULL. */
  const char *service_state;
  bool service_known, service_running;
  const char *service_detail;
  int64_t now;                      /* ms since the epoch */
  int64_t poll_interval_ms;         /* the configuration's */
  const char *interval_from;        /* where poll_interval came from (shown) */
  const struct lw_ack_set *ignores; /* the configuration's ignore: entries, or NULL */
};

/* Reads what it needs from st (NULL: the database could not be opened, see
 * q->db_error), prints the status to out and returns the exit code. A store
 * read that fails midway is LW_CHECK_UNKNOWN too, said in the output. */
enum lw_check lw_status_print(struct lw_store *st, const struct lw_status_query *q, FILE *out);

/* "OK", "LEAKS OPEN", "NOT POLLING" or "UNKNOWN". */
const char *lw_check_name(enum lw_check c);

#endif /* LW_REPORT_STATUS_H */
