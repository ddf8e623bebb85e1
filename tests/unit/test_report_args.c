/*
 * Unit tests for report_args.c: the options `history`, `events` and
 * `sessions` share (formats, --db, --since, --until), and what each answer
 * means to the command that walks its argv.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "report_args.h"
#include "timefmt.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */

/* Walks argv as a command would: each shared option taken, anything else
 * stops the walk. Returns the first result that is not TAKEN (OTHER at the
 * end) and the index it stopped at in *at. */
static enum lw_report_arg_result walk(struct lw_report_args *a, unsigned opts, int argc,
                                      char **argv, int *at) {
  int i;
  lw_report_args_init(a);
  for (i = 0; i < argc; i++) {
    enum lw_report_arg_result r = lw_report_arg(a, opts, argc, argv, &i);
    if (r != LW_REPORT_ARG_TAKEN) {
      *at = i;
      return r;
    }
  }
  *at = i;
  return LW_REPORT_ARG_OTHER;
}

#define ALL (LW_REPORT_OPT_FORMAT | LW_REPORT_OPT_DB | LW_REPORT_OPT_RANGE)

static void test_taken(void **state) {
  struct lw_report_args a;
  char *argv[] = {"--db",       "C:\\h.db", "--since",
                  "2026-11-21", "--until",  "2026-11-21T09:00:00Z",
                  "--csv-exact"};
  int at;
  (void)state;
  assert_int_equal(walk(&a, ALL, 7, argv, &at), LW_REPORT_ARG_OTHER);
  assert_int_equal(at, 7);
  assert_string_equal(a.db, "C:\\h.db");
  assert_int_equal(a.since, T0 - 9 * 3600000);
  assert_int_equal(a.until, T0);
  assert_int_equal(a.format, LW_REPORT_CSV);
  assert_true(a.csv_exact);
  assert_int_equal(a.formats, 1);
  assert_false(a.mixed_formats);

  /* Nothing given: the table, no database, open-ended. */
  assert_int_equal(walk(&a, ALL, 0, argv, &at), LW_REPORT_ARG_OTHER);
  assert_int_equal(a.format, LW_REPORT_TABLE);
  assert_null(a.db);
  assert_int_equal(a.since, LW_TIME_UNKNOWN);
  assert_int_equal(a.until, LW_TIME_UNKNOWN);
}

/* The format bookkeeping each command turns into its own rule. */
static void test_formats(void **state) {
  struct lw_report_args a;
  char *same[] = {"--csv-exact", "--csv"};
  char *mixed[] = {"--json", "--csv"};
  int at;
  (void)state;
  /* --csv and --csv-exact are one format; the last one says exact or not. */
  assert_int_equal(walk(&a, ALL, 2, same, &at), LW_REPORT_ARG_OTHER);
  assert_int_equal(a.formats, 2);
  assert_false(a.mixed_formats);
  assert_false(a.csv_exact);
  /* Two formats: the last wins (events), two given (history), mixed (sessions). */
  assert_int_equal(walk(&a, ALL, 2, mixed, &at), LW_REPORT_ARG_OTHER);
  assert_int_equal(a.format, LW_REPORT_CSV);
  assert_int_equal(a.formats, 2);
  assert_true(a.mixed_formats);
}

static void test_refused(void **state) {
  struct lw_report_args a;
  char *no_value[] = {"--json", "--since"};
  char *empty[] = {"--db", ""};
  char *bad[] = {"--until", "yesterday"};
  char *others[] = {"--at", "2026-11-21", "--user", "x"};
  int at;
  (void)state;
  assert_int_equal(walk(&a, ALL, 2, no_value, &at), LW_REPORT_ARG_NO_VALUE);
  assert_int_equal(at, 1); /* on the option itself */
  /* An empty value is one for `events`, a missing one for `history`. */
  assert_int_equal(walk(&a, ALL, 2, empty, &at), LW_REPORT_ARG_OTHER);
  assert_string_equal(a.db, "");
  assert_int_equal(walk(&a, ALL | LW_REPORT_OPT_NONEMPTY, 2, empty, &at), LW_REPORT_ARG_NO_VALUE);
  assert_int_equal(at, 0);
  assert_int_equal(walk(&a, ALL, 2, bad, &at), LW_REPORT_ARG_BAD_TIME);
  assert_int_equal(at, 1); /* on the value */
  /* Options of one command only are the caller's. */
  assert_int_equal(walk(&a, ALL, 4, others, &at), LW_REPORT_ARG_OTHER);
  assert_int_equal(at, 0);
  /* So are shared ones the command does not take (sessions: formats only). */
  assert_int_equal(walk(&a, LW_REPORT_OPT_FORMAT, 2, empty, &at), LW_REPORT_ARG_OTHER);
  assert_int_equal(at, 0);
  assert_null(a.db);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_taken),
      cmocka_unit_test(test_formats),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
