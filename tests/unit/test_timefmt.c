/* Unit tests for timefmt.c: ISO 8601 text, the calendar, FILETIME. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "timefmt.h"

#define FT_UNIX_EPOCH INT64_C(116444736000000000)

static void expect_fmt(int64_t ms, const char *want) {
  char buf[LW_ISO_TIME_SIZE];
  memset(buf, 'x', sizeof buf);
  if (strcmp(lw_time_format_iso(ms, buf), want) != 0)
    fail_msg("format(%lld) = \"%s\"; want \"%s\"", (long long)ms, buf, want);
}

static void test_format(void **state) {
  (void)state;
  expect_fmt(0, "1970-01-01T00:00:00Z");
  expect_fmt(1795251600000, "2026-11-21T09:00:00Z");
  expect_fmt(1795251600999, "2026-11-21T09:00:00Z"); /* ms dropped */
  expect_fmt(1709210096000, "2024-02-29T12:34:56Z");
  expect_fmt(253402300799000, "9999-12-31T23:59:59Z");
  expect_fmt(-11644473600000, "1601-01-01T00:00:00Z");
  expect_fmt(-62135596800000, "0001-01-01T00:00:00Z");
  /* negative: floor, not truncation toward zero */
  expect_fmt(-1, "1969-12-31T23:59:59Z");
  expect_fmt(-1000, "1969-12-31T23:59:59Z");
  expect_fmt(-1001, "1969-12-31T23:59:58Z");
  expect_fmt(-86400000, "1969-12-31T00:00:00Z");
  expect_fmt(-86400001, "1969-12-30T23:59:59Z");
  expect_fmt(LW_TIME_UNKNOWN, "");
  /* beyond 4-digit years: still well-formed, never past the buffer */
  expect_fmt(253402300800000, "10000-01-01T00:00:00Z");
  expect_fmt(-62167219200001, "-0001-12-31T23:59:59Z");
  expect_fmt(INT64_MAX, "292278994-08-17T07:12:55Z");
  expect_fmt(INT64_MIN + 1, "-292275055-05-16T16:47:04Z");
}

/* Independent check of days_from_civil: walk the calendar day by day with
 * the naive month lengths and require consecutive day numbers. */
static void test_calendar_walk(void **state) {
  static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t expect = lw_time_days_from_civil(0, 1, 1);
  (void)state;
  assert_true(lw_time_days_from_civil(1970, 1, 1) == 0);
  assert_true(lw_time_days_from_civil(2000, 3, 1) == 11017);
  for (int64_t y = 0; y <= 9999; y++) {
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    for (unsigned m = 1; m <= 12; m++) {
      unsigned n = dim[m - 1] + (m == 2 && leap);
      for (unsigned d = 1; d <= n; d++) {
        if (lw_time_days_from_civil(y, m, d) != expect)
          fail_msg("days_from_civil(%lld-%u-%u) != %lld", (long long)y, m, d, (long long)expect);
        expect++;
      }
    }
  }
}

static void test_format_parse_round_trip(void **state) {
  char buf[LW_ISO_TIME_SIZE];
  int64_t lo = -62167219200000; /* 0000-01-01 */
  int64_t hi = 253402300799999; /* 9999-12-31T23:59:59.999 */
  uint64_t x = 88172645463325252u;
  (void)state;
  for (int i = 0; i < 200000; i++) {
    int64_t ms, back;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ms = lo + (int64_t)(x % (uint64_t)(hi - lo + 1));
    lw_time_format_iso(ms, buf);
    assert_int_equal(lw_time_parse_iso(buf, &back), 0);
    /* seconds precision, floored */
    assert_true(back == ms - (((ms % 1000) + 1000) % 1000));
  }
}

static void expect_parse(const char *text, int64_t want) {
  int64_t v = 42;
  int rc = lw_time_parse_iso(text, &v);
  if (rc != 0 || v != want)
    fail_msg("parse(\"%s\") = %d, %lld; want %lld", text, rc, (long long)v, (long long)want);
}

static void expect_parse_err(const char *text, int want) {
  int64_t v = 42;
  int rc = lw_time_parse_iso(text, &v);
  if (rc != want)
    fail_msg("parse(\"%s\") = %d; want %d", text, rc, want);
  assert_true(v == 42);
}

static void test_parse(void **state) {
  (void)state;
  expect_parse("2026-11-21T09:00:00Z", 1795251600000);
  expect_parse("2026-11-21T09:00:00", 1795251600000);
  expect_parse("2026-11-21 09:00:00", 1795251600000);
  expect_parse("2026-11-21 09:00:00Z", 1795251600000);
  expect_parse("2026-11-21T09:00:00.123Z", 1795251600123);
  expect_parse("2026-11-21T09:00:00.5Z", 1795251600500);
  expect_parse("2026-11-21T09:00:00.12Z", 1795251600120);
  expect_parse("2026-11-21T09:00:00.999999999Z", 1795251600999);
  expect_parse("2026-11-21 09:00:00.250", 1795251600250);
  expect_parse("2026-11-21", 1795219200000);
  expect_parse("1970-01-01", 0);
  expect_parse("1969-12-31T23:59:59Z", -1000);
  expect_parse("2024-02-29T12:34:56Z", 1709210096000);
  expect_parse("2000-02-29", 951782400000);
  expect_parse("0000-02-29", -62162121600000); /* year 0 is a leap year */
  expect_parse("9999-12-31T23:59:59Z", 253402300799000);
}

static void test_parse_errors(void **state) {
  (void)state;
  expect_parse_err("", LW_ESYNTAX);
  expect_parse_err("2026", LW_ESYNTAX);
  expect_parse_err("2026-11", LW_ESYNTAX);
  expect_parse_err("2026-1-21", LW_ESYNTAX);
  expect_parse_err("26-11-21", LW_ESYNTAX);
  expect_parse_err("2026/11/21", LW_ESYNTAX);
  expect_parse_err("2026-11-21T", LW_ESYNTAX);
  expect_parse_err("2026-11-21T09:00", LW_ESYNTAX);
  expect_parse_err("2026-11-21T9:00:00Z", LW_ESYNTAX);
  expect_parse_err("2026-11-21T09:00:00ZZ", LW_ESYNTAX);
  expect_parse_err("2026-11-21T09:00:00+01:00", LW_ESYNTAX);
  expect_parse_err("2026-11-21T09:00:00.Z", LW_ESYNTAX);
  expect_parse_err("2026-11-21T09:00:00.1234567890Z", LW_ESYNTAX);
  expect_parse_err("2026-11-21Z", LW_ESYNTAX);
  expect_parse_err("2026-11-21 ", LW_ESYNTAX);
  expect_parse_err(" 2026-11-21", LW_ESYNTAX);
  expect_parse_err("+2026-11-21", LW_ESYNTAX);
  expect_parse_err("2026-00-10", LW_ERANGE);
  expect_parse_err("2026-13-10", LW_ERANGE);
  expect_parse_err("2026-11-00", LW_ERANGE);
  expect_parse_err("2026-11-31", LW_ERANGE);
  expect_parse_err("2023-02-29", LW_ERANGE);
  expect_parse_err("1900-02-29", LW_ERANGE); /* century, not a leap year */
  expect_parse_err("2024-02-30", LW_ERANGE);
  expect_parse_err("2026-11-21T24:00:00Z", LW_ERANGE);
  expect_parse_err("2026-11-21T23:60:00Z", LW_ERANGE);
  expect_parse_err("2026-11-21T23:59:60Z", LW_ERANGE); /* no leap seconds */
  assert_int_equal(lw_time_parse_iso(NULL, &(int64_t){0}), LW_EINVAL);
  assert_int_equal(lw_time_parse_iso("2026-11-21", NULL), LW_EINVAL);
}

static void test_filetime(void **state) {
  int64_t ms;
  (void)state;
  assert_true(lw_time_from_filetime(FT_UNIX_EPOCH) == 0);
  assert_true(lw_time_from_filetime(FT_UNIX_EPOCH + 10000) == 1);
  assert_true(lw_time_from_filetime(FT_UNIX_EPOCH + 9999) == 0);
  assert_true(lw_time_from_filetime(FT_UNIX_EPOCH - 1) == -1); /* floor */
  assert_true(lw_time_from_filetime(FT_UNIX_EPOCH - 10000) == -1);
  assert_true(lw_time_from_filetime(FT_UNIX_EPOCH - 10001) == -2);
  assert_true(lw_time_from_filetime(1) == -11644473600000); /* 1601-01-01 + 100 ns */
  /* 2026-11-21T09:00:00Z */
  assert_true(lw_time_from_filetime(INT64_C(134397252000000000)) == 1795251600000);
  assert_true(lw_time_to_filetime(1795251600000) == INT64_C(134397252000000000));
  /* "no time" values */
  assert_true(lw_time_from_filetime(0) == LW_TIME_UNKNOWN);
  assert_true(lw_time_from_filetime(-1) == LW_TIME_UNKNOWN);
  assert_true(lw_time_from_filetime(INT64_MIN) == LW_TIME_UNKNOWN);
  assert_true(lw_time_from_filetime(INT64_MAX) == LW_TIME_UNKNOWN);
  /* the year-30000 limit: exactly 30000-01-01 is kept, one tick more is not */
  ms = lw_time_days_from_civil(30000, 1, 1) * 86400000;
  assert_true(lw_time_from_filetime(lw_time_to_filetime(ms)) == ms);
  assert_true(lw_time_from_filetime(lw_time_to_filetime(ms) + 1) == LW_TIME_UNKNOWN);

  assert_true(lw_time_to_filetime(LW_TIME_UNKNOWN) == 0);
  assert_true(lw_time_to_filetime(-11644473600000) == 0);
  assert_true(lw_time_to_filetime(-11644473600001) == 0);
  assert_true(lw_time_to_filetime(-11644473599999) == 10000);
  assert_true(lw_time_to_filetime(INT64_MAX) == 0);
  assert_true(lw_time_to_filetime(INT64_MAX / 10000) == 0);
  for (ms = -11644473599000; ms < 253402300799000; ms += 86399999937) {
    assert_true(lw_time_from_filetime(lw_time_to_filetime(ms)) == ms);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format),
      cmocka_unit_test(test_calendar_walk),
      cmocka_unit_test(test_format_parse_round_trip),
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_filetime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
