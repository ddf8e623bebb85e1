/*
 * commands.h - the `leakwatch` subcommands.
 *
 * main.c parses nothing but the subcommand name and hands the rest of argv
 * (UTF-8, argv[0] = the subcommand) to one of these. Each declares its options
 * in a table (cli_args.h) read by lw_cli_parse_or_usage, which refuses a bad
 * line in one form ("leakwatch CMD: why", the usage, exit 2), and returns the
 * process exit status (README: Exit codes):
 *   0 success, 1 failure at run time, 2 bad usage or bad input (config check);
 *   `status` has its own 0-3.
 * The names, options and --json output are a public contract (README).
 */
#ifndef LW_COMMANDS_H
#define LW_COMMANDS_H

/* Process exit statuses shared by all subcommands. */
#include <stdbool.h>
#include <stddef.h>

#include "cli_args.h"

enum lw_exit_status { LW_EXIT_OK = 0, LW_EXIT_FAILURE = 1, LW_EXIT_USAGE = 2 };

int lw_cmd_run(int argc, char **argv);     /* poll loop in the foreground */
int lw_cmd_service(int argc, char **argv); /* what the SCM starts */
int lw_cmd_version(int argc, char **argv);
int lw_cmd_config(int argc, char **argv);   /* config check FILE */
int lw_cmd_sessions(int argc, char **argv); /* the logon sessions now */
int lw_cmd_holders(int argc, char **argv);  /* who holds tokens of logon sessions */
int lw_cmd_history(int argc, char **argv);  /* the history database: --at, --user, ... */

int lw_cmd_events(int argc, char **argv); /* the alert history, as Event Viewer shows it */
int lw_cmd_status(int argc, char **argv); /* polling? leaks? exit codes 0-3 for monitoring */
int lw_cmd_leaks(int argc, char **argv);  /* the open leaks now, or the episodes of a range */
int lw_cmd_report(int argc, char **argv); /* the history as one self-contained HTML page */

int lw_cmd_ack(int argc, char **argv); /* acknowledge a known leak; --list, --remove */

/* Puts stdout in binary mode for CSV output: in text mode the C runtime turns
 * every LF into CRLF, also an LF inside a quoted field (a name's line break),
 * which changes the data. Rows then end with an explicit CRLF (LW_CSV_CRLF,
 * RFC 4180). False when the mode could not be changed (rows then end in LF,
 * which text mode turns into CRLF, as before). */
bool lw_cli_csv_stdout(void);

struct lw_store;
/* The history database of --db PATH (db_arg; NULL for `database` from the
 * configuration, else the default), opened read-only: never created, migrated
 * or moved aside from here, so a reader beside the service is always safe.
 * Returns the store, or NULL after saying why on stderr as
 * "leakwatch CMD: ...". *db gets its path (free it; NULL when not found). */
struct lw_store *lw_cli_open_history(const char *cmd, const char *db_arg, char **db);

/* A printer of the history for lw_cli_print_history: prints `query` of the
 * store at path db to stdout; returns 0, or an LW_E* code with err set. */
typedef int (*lw_cli_history_printer)(struct lw_store *st, const char *db, void *query, char *err,
                                      size_t errlen);

/* The reading commands' run: opens the history of db_arg as
 * lw_cli_open_history does, prints it with print(query), says what failed as
 * "leakwatch CMD: ...", and closes it. Returns LW_EXIT_OK or LW_EXIT_FAILURE. */
int lw_cli_print_history(const char *cmd, const char *db_arg, lw_cli_history_printer print,
                         void *query);

/* The csv_writer flags of a report's output: --csv-exact or formula-safe, rows
 * ending in CRLF when stdout is CSV in binary mode (lw_cli_csv_stdout). */
unsigned lw_cli_csv_flags(int csv, bool exact);

struct lw_ack_set;
/* The configuration's ignore: entries (ack.h) from the default configuration
 * file when it can be read, else none; *out is initialised here (free it with
 * lw_ack_set_free). For leaks and status, which show ignored leaks. */
void lw_cli_config_ignores(struct lw_ack_set *out);

/* This machine's clock and time zone, for the times typed after --since. */
void lw_cli_clock(struct lw_clock *c);

/* lw_cli_parse_or_usage's answer when the command is to run. */
#define LW_CLI_GO (-1)

/* Parses argv (argv[0] = the command) by spec with lw_cli_clock. Returns
 * LW_CLI_GO to run; else the exit status, after printing usage on stdout for
 * --help (0), or on a mistake "leakwatch CMD: why", a blank line and usage on
 * stderr (usage_status: LW_EXIT_USAGE, `status` its own). */
int lw_cli_parse_or_usage(const struct lw_cli_spec *spec, const char *usage, int usage_status,
                          int argc, char **argv, struct lw_cli_args *a);

/* Prints a usage mistake in that one form (on stderr). */
void lw_cli_usage_error(const char *cmd, const char *why, const char *usage);

/* Flushes stdout at the end of a command's output. Returns 0; or LW_EIO after
 * saying "leakwatch CMD: cannot write the output: ..." on stderr; a reader who
 * has closed the pipe (`leakwatch events | head -1`) is no failure: 0, and
 * nothing said. */
int lw_cli_output_end(const char *cmd);

/* True when stdout's failed write met a reader who has gone (console_io.h),
 * for a printer's LW_EIO: the command then ends quietly with exit 0. */
bool lw_cli_reader_gone(void);

#endif /* LW_COMMANDS_H */
