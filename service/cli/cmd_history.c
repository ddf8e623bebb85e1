/*
 * cmd_history.c - `leakwatch history`: the history database as an operator
 * asks it (see common/report/history.h, which does the parsing and printing).
 *
 * Finds the database (--db, else `database` from the default configuration
 * %ProgramData%\LeakWatch\leakwatch.yaml, else the built-in default), opens it
 * read-only (never created, migrated or moved aside from here, so running it
 * next to the service is always safe) and prints to stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "history.h"
#include "store.h"

static int print_history(struct lw_store *st, const char *db, void *query, char *err,
                         size_t errlen) {
  (void)db; /* the history's printer names no database */
  return lw_history_print(st, query, stdout, err, errlen);
}

int lw_cmd_history(int argc, char **argv) {
  struct lw_history_query q;
  struct lw_clock clock;
  char err[1024] = "";

  lw_cli_clock(&clock);
  if (lw_history_parse_args(argc, argv, &clock, &q, err, sizeof err) != 0) {
    lw_cli_usage_error("history", err, lw_history_usage());
    return LW_EXIT_USAGE;
  }
  if (q.help) {
    fputs(lw_history_usage(), stdout);
    return lw_cli_output_end("history") == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE;
  }
  if (q.format == LW_REPORT_CSV)
    q.csv_crlf = lw_cli_csv_stdout();
  return lw_cli_print_history("history", q.db, print_history, &q);
}
