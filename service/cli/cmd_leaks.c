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
#include "report_args.h"
#include "report_leaks.h"
#include "store.h"
#include "timefmt.h"

static void usage(FILE *f) {
  fputs("usage: leakwatch leaks [--db PATH] [--since TIME] [--until TIME]\n"
        "                       [--json|--csv|--csv-exact]\n\n"
        "Prints the open leaks now: one row per leaked user logon session (LUID,\n"
        "terminal session, when it was declared leaked, whether LeakWatch saw its\n"
        "session end, the DWM-n/UMFD-n logons folded in, the user), and the processes\n"
        "the latest holder scan found holding it. With --since and/or --until: every\n"
        "leak episode open at some time in that range, released or not.\n"
        "--json prints an array, --csv a header row then one row per leak; --csv gives\n"
        "a text beginning with = + - @ TAB or CR a leading ' so that spreadsheets do\n"
        "not run it, --csv-exact writes every text as it is.\n"
        "Known leaks (leakwatch ack, and ignore: in the configuration) are shown as\n"
        "acknowledged or ignored: a line under the row, and the columns acknowledged,\n"
        "ack_id, ack_reason, ack_expires and ignored at the end of --json and --csv.\n"
        "TIME is ISO 8601 UTC, e.g. 2026-11-21T09:00:00Z or 2026-11-21.\n"
        "The database (--db, else `database` from the configuration) is read-only here.\n",
        f);
}

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
  struct lw_report_args ra;
  memset(&q, 0, sizeof q);
  lw_report_args_init(&ra);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return LW_EXIT_OK;
    }
    switch (lw_report_arg(&ra, LW_REPORT_OPT_FORMAT | LW_REPORT_OPT_DB | LW_REPORT_OPT_RANGE, argc,
                          argv, &i)) {
    case LW_REPORT_ARG_TAKEN:
      if (ra.mixed_formats) {
        fputs("leakwatch leaks: choose one of --json, --csv and --csv-exact\n", stderr);
        return LW_EXIT_USAGE;
      }
      continue;
    case LW_REPORT_ARG_BAD_TIME:
      fprintf(stderr, "leakwatch leaks: %s: '%s' is not a time such as 2026-11-21T09:00:00Z\n", a,
              argv[i]);
      return LW_EXIT_USAGE;
    case LW_REPORT_ARG_NO_VALUE:
      fprintf(stderr, "leakwatch leaks: %s needs a value\n\n", a);
      usage(stderr);
      return LW_EXIT_USAGE;
    case LW_REPORT_ARG_OTHER:
      break;
    }
    fprintf(stderr, "leakwatch leaks: unexpected argument '%s'\n\n", a);
    usage(stderr);
    return LW_EXIT_USAGE;
  }
  q.since = ra.since;
  q.until = ra.until;
  q.ranged = ra.since != LW_TIME_UNKNOWN || ra.until != LW_TIME_UNKNOWN;
  q.format = ra.format;
  q.csv_flags = lw_cli_csv_flags(q.format == LW_REPORT_CSV, ra.csv_exact);
  q.now = (int64_t)time(NULL) * 1000;
  struct lw_ack_set ignores;
  lw_cli_config_ignores(&ignores);
  q.ignores = &ignores;
  int status = lw_cli_print_history("leaks", ra.db, print_leaks, &q);
  lw_ack_set_free(&ignores);
  return status;
}
