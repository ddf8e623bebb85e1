/*
 * Unit tests for cli_args.c: every command's option parser, on a grammar like
 * `events` (formats, --db, a range, a flag, a repeatable option) and one with
 * operands like `config check FILE`: each mistake's one wording, --help
 * winning, values as `--db X` and `--db=X`, times read against a fixed clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli_args.h"
#include "error.h"
#include "timefmt.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */
#define H_MS INT64_C(3600000)

static int utc_zone(void *ctx, int64_t year, struct lw_tz *tz) {
  (void)ctx;
  (void)year;
  memset(tz, 0, sizeof *tz);
  tz->bias = -60; /* UTC+1, no DST */
  return 0;
}
static const struct lw_clock clock0 = {T0, utc_zone, NULL};

static const struct lw_cli_opt opts[] = {LW_CLI_FORMATS,
                                         LW_CLI_DB,
                                         LW_CLI_RANGE,
                                         LW_CLI_USER,
                                         {"--holders", "-H", LW_CLI_FLAG},
                                         {"--luid", NULL, LW_CLI_TEXT_REPEAT},
                                         {"--at", NULL, LW_CLI_TIME},
                                         LW_CLI_END};
static const char *const excludes[] = {"--at", "--since", "--at", "--until", NULL};
static const struct lw_cli_spec spec = {"events", opts, excludes, 0, 0};

static const struct lw_cli_opt no_opts[] = {LW_CLI_END};
static const struct lw_cli_spec config_spec = {"config", no_opts, NULL, 2, 2};

static struct lw_cli_args args;
static char err[512];

/* Parses the NULL-ended arguments after the command by s. */
static int parse_by(const struct lw_cli_spec *s, ...) {
  char *argv[32];
  int argc = 0;
  va_list ap;
  argv[argc++] = (char *)s->cmd;
  va_start(ap, s);
  for (;;) {
    char *a = va_arg(ap, char *);
    if (a == NULL)
      break;
    argv[argc++] = a;
  }
  va_end(ap);
  memset(err, 'x', sizeof err);
  return lw_cli_parse(s, &clock0, argc, argv, &args, err, sizeof err);
}
#define parse(...) parse_by(&spec, __VA_ARGS__, (char *)NULL)

static void expect_error(int rc, const char *want) {
  assert_int_equal(rc, LW_ESYNTAX);
  assert_string_equal(err, want);
}

static void test_defaults_and_values(void **state) {
  (void)state;
  assert_int_equal(parse_by(&spec, (char *)NULL), 0);
  assert_false(args.help);
  assert_int_equal(args.format, LW_REPORT_TABLE);
  assert_null(args.db);
  assert_null(args.user);
  assert_int_equal(args.since, LW_TIME_UNKNOWN);
  assert_int_equal(args.until, LW_TIME_UNKNOWN);
  assert_int_equal(args.n_given, 0);
  assert_string_equal(err, "");

  assert_int_equal(parse("--db", "C:\\h.db", "--user", "CONTOSO\\alice", "--since", "24h",
                         "--until=2026-11-21T09:00:00Z", "--json", "-H"),
                   0);
  assert_string_equal(args.db, "C:\\h.db");
  assert_string_equal(args.user, "CONTOSO\\alice");
  assert_int_equal(args.since, T0 - 24 * H_MS);
  assert_int_equal(args.until, T0);
  assert_int_equal(args.format, LW_REPORT_JSON);
  assert_int_equal(lw_cli_count(&args, "--holders"), 1);
  assert_int_equal(lw_cli_count(&args, "--luid"), 0);
  assert_int_equal(lw_cli_time(&args, "--since"), T0 - 24 * H_MS);
  assert_int_equal(lw_cli_time(&args, "--at"), LW_TIME_UNKNOWN);

  /* Local time: UTC+1 in this zone. */
  assert_int_equal(parse("--at", "2026-11-21 10:00"), 0);
  assert_int_equal(lw_cli_time(&args, "--at"), T0);

  assert_int_equal(parse("--csv-exact"), 0);
  assert_int_equal(args.format, LW_REPORT_CSV);
  assert_true(args.csv_exact);
  assert_int_equal(parse("--csv"), 0);
  assert_false(args.csv_exact);

  /* Given again: replaced (one entry); a repeatable option keeps them all. */
  assert_int_equal(parse("--db", "a", "--db=b", "--luid", "1", "--luid", "0x2", "--csv", "--csv"),
                   0);
  assert_string_equal(args.db, "b");
  assert_int_equal(lw_cli_count(&args, "--db"), 1);
  assert_int_equal(lw_cli_count(&args, "--luid"), 2);
  assert_string_equal(lw_cli_text(&args, "--luid", 0), "1");
  assert_string_equal(lw_cli_text(&args, "--luid", 1), "0x2");
  assert_null(lw_cli_text(&args, "--luid", 2));
}

static void test_help_wins(void **state) {
  (void)state;
  assert_int_equal(parse("--bogus", "--json", "--csv", "-h"), 0);
  assert_true(args.help);
  assert_int_equal(parse("--help"), 0);
  assert_true(args.help);
  /* A value that is "--help" is still the help (no command takes such a value). */
  assert_int_equal(parse("--db", "--help"), 0);
  assert_true(args.help);
}

static void test_mistakes(void **state) {
  (void)state;
  expect_error(parse("--bogus"), "unknown option '--bogus'");
  expect_error(parse("--bogus=1"), "unknown option '--bogus'");
  expect_error(parse("-x"), "unknown option '-x'");
  expect_error(parse("--jso"), "unknown option '--jso'");
  expect_error(parse("stray"), "unexpected argument 'stray'");
  expect_error(parse("--db"), "--db needs a value");
  expect_error(parse("--db", ""), "--db needs a value");
  expect_error(parse("--db="), "--db needs a value");
  expect_error(parse("--json=1"), "--json takes no value");
  expect_error(parse("--since", "soon"),
               "--since: 'soon' is not a time such as " LW_CLI_TIME_FORMS);
  expect_error(parse("--until=2026-02-30"),
               "--until: '2026-02-30' is not a time such as " LW_CLI_TIME_FORMS);
  /* Formats exclude each other, always, whatever the command. */
  expect_error(parse("--json", "--csv"), "--json and --csv exclude each other");
  expect_error(parse("--csv-exact", "--json"), "--csv-exact and --json exclude each other");
  expect_error(parse("--csv", "--csv-exact"), "--csv and --csv-exact exclude each other");
  /* and the command's own pairs. */
  expect_error(parse("--since", "1h", "--at", "2h"), "--since and --at exclude each other");
  expect_error(parse("--at", "2h", "--until", "1h"), "--at and --until exclude each other");
  expect_error(parse("--since", "1h", "--until", "2h"), "--since is after --until");
  assert_int_equal(parse("--since", "2h", "--until", "1h"), 0);
}

static void test_operands(void **state) {
  (void)state;
  assert_int_equal(parse_by(&config_spec, "check", "C:\\a.yaml", (char *)NULL), 0);
  assert_int_equal(args.n_operands, 2);
  assert_string_equal(args.operands[0], "check");
  assert_string_equal(args.operands[1], "C:\\a.yaml");
  expect_error(parse_by(&config_spec, "check", (char *)NULL), "missing argument");
  expect_error(parse_by(&config_spec, "check", "a", "b", (char *)NULL), "unexpected argument 'b'");
  expect_error(parse_by(&config_spec, "check", "a", "--json", (char *)NULL),
               "unknown option '--json'");
  /* "-" alone is an operand (stdin, by convention), not an option. */
  assert_int_equal(parse_by(&config_spec, "check", "-", (char *)NULL), 0);
}

static void test_many(void **state) {
  char *argv[LW_CLI_MAX_GIVEN * 2 + 4];
  int argc = 0, i;
  (void)state;
  argv[argc++] = "events";
  for (i = 0; i <= LW_CLI_MAX_GIVEN; i++) {
    argv[argc++] = "--luid";
    argv[argc++] = "1";
  }
  assert_int_equal(lw_cli_parse(&spec, &clock0, argc, argv, &args, err, sizeof err), LW_ESYNTAX);
  assert_string_equal(err, "more than 64 options");
}

static void test_user_matches(void **state) {
  (void)state;
  assert_true(lw_cli_user_matches(NULL, "CONTOSO", "alice"));
  assert_true(lw_cli_user_matches("alice", "CONTOSO", "alice"));
  assert_true(lw_cli_user_matches("ALICE", NULL, "Alice"));
  assert_true(lw_cli_user_matches("contoso\\ALICE", "CONTOSO", "alice"));
  assert_false(lw_cli_user_matches("contoso\\alice", NULL, "alice"));
  assert_false(lw_cli_user_matches("other\\alice", "CONTOSO", "alice"));
  assert_false(lw_cli_user_matches("alic", "CONTOSO", "alice"));
  assert_false(lw_cli_user_matches("alice2", "CONTOSO", "alice"));
  assert_false(lw_cli_user_matches("alice", "CONTOSO", NULL));
  assert_false(lw_cli_user_matches("CONTOSO\\", "CONTOSO", "alice"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults_and_values),
      cmocka_unit_test(test_help_wins),
      cmocka_unit_test(test_mistakes),
      cmocka_unit_test(test_operands),
      cmocka_unit_test(test_many),
      cmocka_unit_test(test_user_matches),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
