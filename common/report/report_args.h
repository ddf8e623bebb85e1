/*
 * report_args.h - the options the report commands (`leakwatch history`,
 * `events`, `sessions`) share: --json, --csv, --csv-exact, --db PATH,
 * --since TIME and --until TIME, parsed in one place.
 *
 * Each command walks its own argv and hands every argument to lw_report_arg
 * first; what it answers (taken, a missing value, a bad time, not a shared
 * option) the command turns into its own messages and exit status, which are
 * part of its contract and differ (`history` says "unknown option" and
 * refuses two formats, `events` takes the last format given, `sessions`
 * refuses two different ones).
 */
#ifndef LW_REPORT_ARGS_H
#define LW_REPORT_ARGS_H

#include <stdbool.h>
#include <stdint.h>

/* The table (or Event Viewer's text) an operator reads, or a format for scripts. */
enum lw_report_format { LW_REPORT_TABLE, LW_REPORT_JSON, LW_REPORT_CSV };

/* Which shared options a command takes (lw_report_arg's `opts`). */
#define LW_REPORT_OPT_FORMAT 1u   /* --json, --csv, --csv-exact */
#define LW_REPORT_OPT_DB 2u       /* --db PATH */
#define LW_REPORT_OPT_RANGE 4u    /* --since TIME, --until TIME */
#define LW_REPORT_OPT_NONEMPTY 8u /* an empty value counts as a missing one */

struct lw_report_args {
  enum lw_report_format format; /* the last format given; LW_REPORT_TABLE if none */
  bool csv_exact;               /* the last CSV option given was --csv-exact */
  unsigned formats;             /* how many format options were given */
  bool mixed_formats;           /* a format differed from one before (--csv and
                                   --csv-exact are one format) */
  const char *db;               /* --db's value (argv's), or NULL */
  int64_t since, until;         /* LW_TIME_UNKNOWN unless given */
};

enum lw_report_arg_result {
  LW_REPORT_ARG_OTHER,    /* not a shared option this command takes: argv[*i] is the caller's */
  LW_REPORT_ARG_TAKEN,    /* taken (*i is on its value, if it has one) */
  LW_REPORT_ARG_NO_VALUE, /* argv[*i] needs a value and has none (*i unchanged) */
  LW_REPORT_ARG_BAD_TIME  /* --since/--until: argv[*i] (its value) is not a UTC time */
};

/* Nothing given yet. */
void lw_report_args_init(struct lw_report_args *a);

/* Reads argv[*i] (and its value, advancing *i) if it is one of the shared
 * options in opts. Times are lw_time_parse_iso's (timefmt.h). */
enum lw_report_arg_result lw_report_arg(struct lw_report_args *a, unsigned opts, int argc,
                                        char **argv, int *i);

#endif /* LW_REPORT_ARGS_H */
