/*
 * cli_args.h - the one option parser of every `leakwatch` command.
 *
 * A command declares the options it takes in a table (the shared ones by the
 * LW_CLI_* macros, so each is spelled and read alike everywhere) and its
 * operands; lw_cli_parse reads argv against it and says what is wrong in one
 * form, which service/cli/ prints as "leakwatch CMD: WHY", a blank line and
 * the usage, exit 2 (README: Exit codes):
 *   unknown option '--x'              --db needs a value
 *   --since: 'x' is not a time such as ...
 *   --json and --csv exclude each other   --since is after --until
 *   unexpected argument 'x'           (an operand the command does not take)
 * --help or -h anywhere asks for the usage and nothing else. A value may be
 * given as `--db PATH` or `--db=PATH`; an empty value is a missing one. An
 * option given again replaces its value, except the repeatable ones.
 *
 * A command's grammar is a few lines (service/cli/cmd_events.c):
 *   static const struct lw_cli_opt cli_opts[] = {
 *       LW_CLI_FORMATS, LW_CLI_DB, LW_CLI_RANGE, LW_CLI_USER,
 *       {"--holders", NULL, LW_CLI_FLAG}, LW_CLI_END};
 *   static const char *const excludes[] = {"--user", "--holders", NULL};
 *   static const struct lw_cli_spec spec = {"events", cli_opts, excludes, 0, 0};
 *   ...
 *   int rc = lw_cli_parse_or_usage(&spec, usage, LW_EXIT_USAGE, argc, argv, &a);
 *   if (rc != LW_CLI_GO)
 *     return rc;
 * then a.format, a.db, a.since ... and lw_cli_count/lw_cli_text/lw_cli_time
 * for the command's own options.
 */
#ifndef LW_CLI_ARGS_H
#define LW_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_time.h"
#include "report_args.h"

enum lw_cli_kind {
  LW_CLI_FLAG,       /* no value */
  LW_CLI_TEXT,       /* a value, kept as argv's text */
  LW_CLI_TIME,       /* a value read by lw_cli_time_parse */
  LW_CLI_TEXT_REPEAT /* a value, may be given many times (all are kept) */
};

struct lw_cli_opt {
  const char *name;  /* "--since"; NULL ends a table */
  const char *alias; /* a short form ("-p"), or NULL */
  enum lw_cli_kind kind;
};

/* The shared options (one table row each, LW_CLI_FORMATS three). */
#define LW_CLI_FORMATS                                                                             \
  {"--json", NULL, LW_CLI_FLAG}, {"--csv", NULL, LW_CLI_FLAG}, {                                   \
    "--csv-exact", NULL, LW_CLI_FLAG                                                               \
  }
#define LW_CLI_JSON                                                                                \
  { "--json", NULL, LW_CLI_FLAG }
#define LW_CLI_DB                                                                                  \
  { "--db", NULL, LW_CLI_TEXT }
#define LW_CLI_RANGE                                                                               \
  {"--since", NULL, LW_CLI_TIME}, {                                                                \
    "--until", NULL, LW_CLI_TIME                                                                   \
  }
#define LW_CLI_USER                                                                                \
  { "--user", NULL, LW_CLI_TEXT }
#define LW_CLI_END                                                                                 \
  { NULL, NULL, LW_CLI_FLAG }

/* A command's grammar. */
struct lw_cli_spec {
  const char *cmd;               /* its name, as messages say it */
  const struct lw_cli_opt *opts; /* ends with LW_CLI_END */
  /* Pairs of options that exclude each other besides the formats (which
   * always do), as {"--at", "--since", "--at", "--until", NULL}; or NULL. */
  const char *const *excludes;
  int min_operands, max_operands; /* arguments that are not options */
};

#define LW_CLI_MAX_GIVEN 64
#define LW_CLI_MAX_OPERANDS 4

struct lw_cli_given {
  const struct lw_cli_opt *opt;
  const char *text; /* the value (argv's), or NULL for a flag */
  int64_t time;     /* LW_CLI_TIME's value */
};

struct lw_cli_args {
  bool help;                    /* --help / -h: print the usage, nothing else */
  enum lw_report_format format; /* --json, --csv, --csv-exact; LW_REPORT_TABLE */
  bool csv_exact;
  const char *db;       /* --db, or NULL */
  const char *user;     /* --user, or NULL */
  int64_t since, until; /* LW_TIME_UNKNOWN unless given */
  size_t n_given;       /* every option given, in order */
  struct lw_cli_given given[LW_CLI_MAX_GIVEN];
  int n_operands;
  const char *operands[LW_CLI_MAX_OPERANDS];
};

/* Reads argv[1..argc-1] (argv[0] is the command) against spec; times against
 * clock. Returns 0, or LW_ESYNTAX with the reason in err (one line, without
 * the "leakwatch CMD: " the caller puts before it). */
int lw_cli_parse(const struct lw_cli_spec *spec, const struct lw_clock *clock, int argc,
                 char **argv, struct lw_cli_args *a, char *err, size_t errlen);

/* How many times the option `name` was given. */
unsigned lw_cli_count(const struct lw_cli_args *a, const char *name);

/* The value of the k-th time `name` was given (0 = first), or NULL. */
const char *lw_cli_text(const struct lw_cli_args *a, const char *name, unsigned k);

/* The last time value given to `name`, or LW_TIME_UNKNOWN. */
int64_t lw_cli_time(const struct lw_cli_args *a, const char *name);

/* Whether a row of (domain, user) is what --user want asks: `NAME` or
 * `DOMAIN\NAME`, ASCII case-insensitive (as history's SQL compares). A NULL
 * want matches every row. */
bool lw_cli_user_matches(const char *want, const char *domain, const char *user);

#endif /* LW_CLI_ARGS_H */
