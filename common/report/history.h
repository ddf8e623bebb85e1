/*
 * history.h - `leakwatch history`: what an operator asks of the history
 * database, printed as a table, JSON or CSV.
 *
 * Two questions: `--at TIME` (the logon sessions and WTS sessions alive at the
 * last poll at or before TIME, with the WTS state they had then) and a listing
 * (every logon session and WTS instance, narrowed by --user, --since, --until).
 * Both print the logon sessions, then the WTS sessions, with the columns of the
 * views v_logon_sessions and v_wts_sessions. The argument parsing and the
 * printing are here, portable, so they are tested natively; service/cli/
 * cmd_history.c only finds the database and opens it read-only.
 */
#ifndef LW_HISTORY_H
#define LW_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_args.h"
#include "report_args.h"
#include "store.h"

struct lw_history_query {
  const char *db;   /* --db PATH, or NULL for the configured database */
  int64_t at;       /* --at; LW_TIME_UNKNOWN: a listing */
  int64_t since;    /* --since; LW_TIME_UNKNOWN: no bound */
  int64_t until;    /* --until */
  const char *user; /* --user NAME or DOMAIN\NAME, or NULL */
  enum lw_report_format format;
  bool csv_exact; /* --csv-exact: CSV without the apostrophe before a formula start */
  bool csv_crlf;  /* CSV rows end with CRLF (a binary-mode stdout on Windows) */
  bool help;      /* --help was given */
};

/* The usage text (static). */
const char *lw_history_usage(void);

/* The options `history` takes (cli_args.h). */
const struct lw_cli_spec *lw_history_spec(void);

/*
 * Parses the arguments after `history` (argv[0] is "history"; strings stay
 * argv's) by lw_history_spec, times against clock. Returns 0 and fills *q, or
 * LW_ESYNTAX (unknown option, missing or bad value, --at with --since/--until,
 * two formats) with lw_cli_parse's one-line message in err (errlen bytes).
 */
int lw_history_parse_args(int argc, char **argv, const struct lw_clock *clock,
                          struct lw_history_query *q, char *err, size_t errlen);

/*
 * Runs the query against an open store (read-only is enough) and prints the
 * result to out. Returns 0; LW_ENOENT when --at is before the first poll (err
 * says so); LW_EIO when writing fails; or the store's LW_E* code, with err set.
 */
int lw_history_print(struct lw_store *st, const struct lw_history_query *q, FILE *out, char *err,
                     size_t errlen);

#endif /* LW_HISTORY_H */
