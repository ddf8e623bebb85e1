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
#include "report_events.h"
#include "store.h"

/* An event's level as the Event Log names it, from this exe's message table. */
static const char *level_of(uint32_t event_id) {
  uint32_t msg = lw_eventlog_message_id(event_id);
  return msg != 0 ? lw_eventlog_type_name(msg) : "unknown";
}

static const char usage[] =
    "usage: leakwatch events [--db PATH] [--since TIME] [--until TIME] [--user NAME]\n"
    "                        [--holders] [--json|--csv|--csv-exact]\n\n"
    "Prints the alerts LeakWatch raised, oldest first, as Event Viewer shows them\n"
    "(also those the rate limit held back from the Event Log), then the token\n"
    "holders its scans found: per leaked logon session, each process's latest scan\n"
    "(image, PID, services, token count, exited). --json prints the alerts only, an\n"
    "array (each with the \"luid\" it is about, or null); --csv the alerts only.\n"
    "--holders prints only the holders (as text, --json array or --csv).\n"
    "--user NAME: only the alerts about NAME or DOMAIN\\NAME (case-insensitive),\n"
    "without the holders.\n"
    "--csv gives a text beginning with = + - @ TAB or CR a leading ' so that\n"
    "spreadsheets do not run it; --csv-exact writes every text as it is.\n"
    "--since and --until select alerts by when they were raised, holders by scan\n"
    "time. TIME: 2026-11-21T09:00:00Z (UTC), 2026-11-21T10:00:00+01:00,\n"
    "2026-11-21 10:00 (local time), 30m, 24h, 7d (that long ago), today or\n"
    "yesterday. The database is read-only here.\n";

static const struct lw_cli_opt cli_opts[] = {
    LW_CLI_FORMATS, LW_CLI_DB, LW_CLI_RANGE, LW_CLI_USER, {"--holders", NULL, LW_CLI_FLAG},
    LW_CLI_END};
/* The holders are per logon session, not per user. */
static const char *const excludes[] = {"--user", "--holders", NULL};
static const struct lw_cli_spec spec = {"events", cli_opts, excludes, 0, 0};

static int print_events(struct lw_store *st, const char *db, void *query, char *err,
                        size_t errlen) {
  struct lw_events_query *q = query;
  q->db = db;
  return lw_events_print(st, q, stdout, err, errlen);
}

int lw_cmd_events(int argc, char **argv) {
  struct lw_events_query q;
  struct lw_cli_args a;
  int rc = lw_cli_parse_or_usage(&spec, usage, LW_EXIT_USAGE, argc, argv, &a);
  if (rc != LW_CLI_GO)
    return rc;
  memset(&q, 0, sizeof q);
  q.level_of = level_of;
  q.holders_only = lw_cli_count(&a, "--holders") > 0;
  q.user = a.user;
  q.since = a.since;
  q.until = a.until;
  q.format = a.format;
  q.csv_flags = lw_cli_csv_flags(q.format == LW_REPORT_CSV, a.csv_exact);
  return lw_cli_print_history("events", a.db, print_events, &q);
}
