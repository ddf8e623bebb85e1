/*
 * report_events.h - `leakwatch events`: the alerts kept in the history
 * database, oldest first, in Event Viewer's "copy details" layout, as JSON or
 * CSV; then (text only, or alone with --holders) the token holders the scans
 * found: per leaked LUID, each process's latest scan.
 *
 * Portable: the store is read through store.h and the one fact from the Event
 * Log (an event's level) comes from the caller, so service/cli/cmd_events.c
 * only finds and opens the database.
 */
#ifndef LW_REPORT_EVENTS_H
#define LW_REPORT_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report_args.h"
#include "store.h"

struct lw_events_query {
  int64_t since, until; /* --since/--until; LW_TIME_UNKNOWN: open-ended */
  bool holders_only;    /* --holders */
  enum lw_report_format format;
  unsigned csv_flags; /* LW_CSV_LF or LW_CSV_EXACT (csv_writer.h) */
  const char *db;     /* named when there is nothing to show */
  const char *user;   /* --user NAME or DOMAIN\NAME: only alerts about that user,
                         without the holders section */
  /* An event ID's level as the Event Log names it ("error", "warning", ...;
   * lowercase, at least one letter). */
  const char *(*level_of)(uint32_t event_id);
};

/*
 * Prints what q asks of the open store st (read-only is enough) to out.
 * Returns 0, or the store's LW_E* code or LW_EIO with err saying "reading the
 * alerts failed: ..." or "reading the holders failed: ..." (what is printed
 * until then stays printed).
 */
int lw_events_print(struct lw_store *st, const struct lw_events_query *q, FILE *out, char *err,
                    size_t errlen);

#endif /* LW_REPORT_EVENTS_H */
