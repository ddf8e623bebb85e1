/*
 * commands.h - the `leakwatch` subcommands.
 *
 * main.c parses nothing but the subcommand name and hands the rest of argv
 * (UTF-8, argv[0] = the subcommand) to one of these. Each prints its own
 * usage on bad arguments and returns the process exit status:
 *   0 success, 1 failure at run time, 2 bad usage or bad input (config check).
 * The names, options and --json output are a public contract (README).
 */
#ifndef LW_COMMANDS_H
#define LW_COMMANDS_H

/* Process exit statuses shared by all subcommands. */
#include <stdbool.h>

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

#endif /* LW_COMMANDS_H */
