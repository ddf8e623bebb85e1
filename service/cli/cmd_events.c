/*
 * cmd_events.c - `leakwatch events`: the alert history as Event Viewer shows it.
 *
 * Every alert is kept in the database with the text rendered, when it was
 * raised, from this exe's own message table (FormatMessageW), including those
 * the rate limit held back from the Event Log. This prints them oldest first,
 * in Event Viewer's "copy details" layout, or as JSON / CSV.
 *
 * The text layout ends with the token holders LeakWatch's scans found (issue 7,
 * table holders): per leaked LUID, each process's latest scan. --json keeps its
 * contract (an array of alerts) and only gains each alert's "luid"; --holders
 * prints the holders alone, as text, a JSON array or CSV.
 *
 * The printing is common/report/report_events.c's; this finds the database,
 * opens it read-only and gives the printer the Event Log's level names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "csv_writer.h"
#include "eventlog.h"
#include "report_args.h"
#include "report_events.h"
#include "store.h"

/* An event's level as the Event Log names it, from this exe's message table. */
static const char *level_of(uint32_t event_id) {
  uint32_t msg = lw_eventlog_message_id(event_id);
  return msg != 0 ? lw_eventlog_type_name(msg) : "unknown";
}

static void usage(FILE *f) {
  fputs("usage: leakwatch events [--db PATH] [--since TIME] [--until TIME] [--holders]\n"
        "                        [--json|--csv|--csv-exact]\n\n"
        "Prints the alerts LeakWatch raised, oldest first, as Event Viewer shows them\n"
        "(also those the rate limit held back from the Event Log), then the token\n"
        "holders its scans found: per leaked logon session, each process's latest scan\n"
        "(image, PID, services, token count, exited). --json prints the alerts only, an\n"
        "array (each with the \"luid\" it is about, or null); --csv the alerts only.\n"
        "--holders prints only the holders (as text, --json array or --csv).\n"
        "--csv gives a text beginning with = + - @ TAB or CR a leading ' so that\n"
        "spreadsheets do not run it; --csv-exact writes every text as it is.\n"
        "TIME is ISO 8601 UTC, e.g. 2026-11-21T09:00:00Z or 2026-11-21; --since and\n"
        "--until select holders by scan time. The database is read-only here.\n",
        f);
}

static int print_events(struct lw_store *st, const char *db, void *query, char *err,
                        size_t errlen) {
  struct lw_events_query *q = query;
  q->db = db;
  return lw_events_print(st, q, stdout, err, errlen);
}

int lw_cmd_events(int argc, char **argv) {
  struct lw_events_query q;
  struct lw_report_args ra;
  memset(&q, 0, sizeof q);
  lw_report_args_init(&ra);
  q.level_of = level_of;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return LW_EXIT_OK;
    } else if (strcmp(a, "--holders") == 0) {
      q.holders_only = true;
      continue;
    }
    /* The last format given wins; a missing value is an unexpected argument. */
    switch (lw_report_arg(&ra, LW_REPORT_OPT_FORMAT | LW_REPORT_OPT_DB | LW_REPORT_OPT_RANGE, argc,
                          argv, &i)) {
    case LW_REPORT_ARG_TAKEN:
      continue;
    case LW_REPORT_ARG_BAD_TIME:
      fprintf(stderr, "leakwatch events: %s: '%s' is not a time such as 2026-11-21T09:00:00Z\n", a,
              argv[i]);
      return LW_EXIT_USAGE;
    case LW_REPORT_ARG_NO_VALUE:
    case LW_REPORT_ARG_OTHER:
      break;
    }
    fprintf(stderr, "leakwatch events: unexpected argument '%s'\n\n", a);
    usage(stderr);
    return LW_EXIT_USAGE;
  }
  q.since = ra.since;
  q.until = ra.until;
  q.format = ra.format;
  q.csv_flags = lw_cli_csv_flags(q.format == LW_REPORT_CSV, ra.csv_exact);
  return lw_cli_print_history("events", ra.db, print_events, &q);
}
