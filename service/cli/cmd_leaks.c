/*
 * cmd_leaks.c - `leakwatch leaks`: what is leaked now (or, with --since /
 * --until, the leak episodes of that range), one row per leaked user logon
 * session with its DWM/UMFD logons folded in and its holders when known.
 *
 * The reading and printing are common/report/report_leaks.c's; this parses
 * the shared options, finds the database and opens it read-only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ack.h"
#include "commands.h"
#include "csv_writer.h"
#include "error.h"
#include "report_leaks.h"
#include "store.h"
#include "timefmt.h"

static const char usage[] =
    "usage: leakwatch leaks [--db PATH] [--since TIME] [--until TIME] [--user NAME]\n"
    "                       [--json|--csv|--csv-exact]\n\n"
    "Prints the open leaks now: one row per leaked user logon session (LUID,\n"
    "terminal session, when it was declared leaked, whether LeakWatch saw its\n"
    "session end, the DWM-n/UMFD-n logons folded in, the user), and the processes\n"
    "the latest holder scan found holding it. With --since and/or --until: every\n"
    "leak episode open at some time in that range, released or not. --user NAME:\n"
    "only NAME's or DOMAIN\\NAME's rows (case-insensitive).\n"
    "--json prints an array, --csv a header row then one row per leak; --csv gives\n"
    "a text beginning with = + - @ TAB or CR a leading ' so that spreadsheets do\n"
    "not run it, --csv-exact writes every text as it is.\n"
    "Known leaks (leakwatch ack, and ignore: in the configuration) are shown as\n"
    "acknowledged or ignored: a line under the row, and the columns acknowledged,\n"
    "ack_id, ack_reason, ack_expires and ignored at the end of --json and --csv.\n"
    "TIME: 2026-11-21T09:00:00Z (UTC), 2026-11-21T10:00:00+01:00, 2026-11-21 10:00\n"
    "(local time), 30m, 24h, 7d (that long ago), today or yesterday.\n"
    "The database (--db, else `database` from the configuration) is read-only here.\n";

static const struct lw_cli_opt cli_opts[] = {LW_CLI_FORMATS, LW_CLI_DB, LW_CLI_RANGE, LW_CLI_USER,
                                             LW_CLI_END};
static const struct lw_cli_spec spec = {"leaks", cli_opts, NULL, 0, 0};

static int print_leaks(struct lw_store *st, const char *db, void *query, char *err, size_t errlen) {
  struct lw_leaks_query *q = query;
  q->db = db;
  int rc = lw_leaks_print(st, q, stdout, err, errlen);
  if (rc == 0 && fflush(stdout) != 0) {
    snprintf(err, errlen, "cannot write the output: %s", lw_strerror(LW_EIO));
    rc = LW_EIO;
  }
  return rc;
}

int lw_cmd_leaks(int argc, char **argv) {
  struct lw_leaks_query q;
  struct lw_cli_args a;
  int rc = lw_cli_parse_or_usage(&spec, usage, LW_EXIT_USAGE, argc, argv, &a);
  if (rc != LW_CLI_GO)
    return rc;
  memset(&q, 0, sizeof q);
  q.since = a.since;
  q.until = a.until;
  q.user = a.user;
  q.ranged = a.since != LW_TIME_UNKNOWN || a.until != LW_TIME_UNKNOWN;
  q.format = a.format;
  q.csv_flags = lw_cli_csv_flags(q.format == LW_REPORT_CSV, a.csv_exact);
  q.now = (int64_t)time(NULL) * 1000;
  struct lw_ack_set ignores;
  lw_cli_config_ignores(&ignores);
  q.ignores = &ignores;
  int status = lw_cli_print_history("leaks", a.db, print_leaks, &q);
  lw_ack_set_free(&ignores);
  return status;
}
