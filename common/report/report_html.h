/*
 * report_html.h - `leakwatch report --html`: the history as one
 * self-contained HTML page an operator opens in a browser on the server.
 *
 * No script, no external style, font or image: the styles are in the page,
 * the charts inline SVG (svg_chart.h), and a Content-Security-Policy meta
 * forbids fetching anything, so the page reads the same offline and a name
 * in it can never load or run something. The page shows:
 *   - the key figures: open leaks, leaked logon sessions, the last poll's
 *     highest session ID, live sessions, pinned IDs and the gap between
 *     them, polls and alerts in the range; each is an element with a stable
 *     id (lw-fig-NAME) and data-figure="NAME" data-value="N" (empty when
 *     unknown), for scripts and tests reading the DOM;
 *   - the gap over time (highest session ID, live sessions, pinned IDs) and
 *     live against leaked logon sessions, the polls of the range shrunk to
 *     at most LW_HTML_MAX_BUCKETS time buckets that keep each bucket's
 *     lowest and highest value (report_series.h);
 *   - the open leaks (`leakwatch leaks`' rows, report_leaks.h; with a range,
 *     the leak episodes of the range), at most LW_HTML_MAX_LEAK_ROWS, each
 *     with the acknowledgement or ignore: entry that covers it, if any;
 *   - the holder images that held the most leaked logon sessions;
 *   - the alerts counted by event ID.
 * Every text from the host (names, domains, paths) goes through html_text.h.
 */
#ifndef LW_REPORT_HTML_H
#define LW_REPORT_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "out_buffer.h"
#include "store.h"

#define LW_HTML_MAX_BUCKETS 720    /* time buckets of a chart */
#define LW_HTML_MAX_LEAK_ROWS 1000 /* rows of the leaks table (the rest counted) */
#define LW_HTML_TOP_IMAGES 20      /* rows of the holder images table */

struct lw_html_query {
  int64_t since, until; /* LW_TIME_UNKNOWN: open-ended; either set: a range */
  const char *db;       /* the database's path, shown */
  int64_t now;          /* when the report is written (ms), shown */
  const char *version;  /* LeakWatch's version, shown; may be NULL */
  /* The configuration's ignore: entries (may be NULL); with the history's
   * acknowledgements in force at `now` they mark known leaks (issue 15). */
  const struct lw_ack_set *ignores;
};

/*
 * Writes the page for q of the open store st (read-only is enough) into o
 * (a memory sink: the caller writes the file whole). Returns 0, or an LW_E*
 * code with err saying what failed ("reading the polls failed: ...").
 */
int lw_report_html(struct lw_store *st, const struct lw_html_query *q, struct lw_out *o, char *err,
                   size_t errlen);

#endif /* LW_REPORT_HTML_H */
