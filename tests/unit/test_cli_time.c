/*
 * Unit tests for cli_time.c: the times an operator types, read against a fixed
 * "now" (2026-11-21T09:00:00Z) and fixed zones given as Windows gives them:
 * Paris (UTC+1, summer +2 from the last Sunday of March 02:00 to the last
 * Sunday of October 03:00), New York (UTC-5, summer from the second Sunday of
 * March to the first of November, both at 02:00) and Sydney (UTC+10, summer
 * across new year, from the first Sunday of October to the first of April).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli_time.h"
#include "error.h"
#include "timefmt.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z, a Saturday */
#define MIN_MS INT64_C(60000)
#define H_MS (60 * MIN_MS)
#define D_MS (24 * H_MS)

static const struct lw_tz paris = {-60, 0, -60, {10, 5, 0, 3, 0}, {3, 5, 0, 2, 0}};
static const struct lw_tz new_york = {300, 0, -60, {11, 1, 0, 2, 0}, {3, 2, 0, 2, 0}};
static const struct lw_tz sydney = {-600, 0, -60, {4, 1, 0, 3, 0}, {10, 1, 0, 2, 0}};

static int zone(void *ctx, int64_t year, struct lw_tz *tz) {
  (void)year;
  if (ctx == NULL)
    return 1; /* Windows could not say */
  *tz = *(const struct lw_tz *)ctx;
  return 0;
}

static struct lw_clock clock_in(const struct lw_tz *tz) {
  struct lw_clock c = {T0, zone, (void *)(uintptr_t)tz};
  return c;
}

static int64_t utc(const char *iso) {
  int64_t v = 0;
  if (lw_time_parse_iso(iso, &v) != 0)
    fail_msg("bad expectation '%s'", iso);
  return v;
}

/* text, read in tz, is the UTC instant want (ISO with Z). */
static void expect(const struct lw_tz *tz, const char *text, const char *want) {
  struct lw_clock c = clock_in(tz);
  int64_t v = INT64_MIN;
  int rc = lw_cli_time_parse(text, &c, &v);
  if (rc != 0)
    fail_msg("'%s': rc %d, want %s", text, rc, want);
  if (v != utc(want)) {
    char got[LW_ISO_TIME_SIZE];
    fail_msg("'%s' = %s (%lld ms); want %s", text, lw_time_format_iso(v, got), (long long)v, want);
  }
}

static void expect_ms(const struct lw_tz *tz, const char *text, int64_t want) {
  struct lw_clock c = clock_in(tz);
  int64_t v = INT64_MIN;
  assert_int_equal(lw_cli_time_parse(text, &c, &v), 0);
  assert_int_equal(v, want);
}

static void expect_rc(const struct lw_tz *tz, const char *text, int want) {
  struct lw_clock c = clock_in(tz);
  int64_t v = 42;
  int rc = lw_cli_time_parse(text, &c, &v);
  if (rc != want)
    fail_msg("'%s': rc %d, want %d", text, rc, want);
  assert_int_equal(v, 42); /* untouched */
}

static void test_utc_and_offsets(void **state) {
  (void)state;
  expect(&paris, "2026-11-21T09:00:00Z", "2026-11-21T09:00:00Z");
  expect(&paris, "2026-11-21T09:00Z", "2026-11-21T09:00:00Z");
  expect(&paris, "2026-11-21 09:00:00Z", "2026-11-21T09:00:00Z");
  expect_ms(&paris, "2026-11-21T09:00:00.250Z", T0 + 250);
  expect(&paris, "2026-11-21T10:00:00+01:00", "2026-11-21T09:00:00Z");
  expect(&paris, "2026-11-21T10:00:00+0100", "2026-11-21T09:00:00Z");
  expect(&paris, "2026-11-21T10:00+01", "2026-11-21T09:00:00Z");
  expect(&paris, "2026-11-21T04:00:00-05:00", "2026-11-21T09:00:00Z");
  expect(&paris, "2026-11-21T14:30:00+05:30", "2026-11-21T09:00:00Z");
  expect_ms(&paris, "2026-11-21T10:00:00.5+01:00", T0 + 500);
  /* The offset chooses exactly, whatever the local zone says. */
  expect(&sydney, "2026-07-01T12:00:00+01:00", "2026-07-01T11:00:00Z");
  expect_rc(&paris, "2026-11-21T10:00:00+1", LW_ESYNTAX);
  expect_rc(&paris, "2026-11-21T10:00:00+15:00", LW_ESYNTAX);
  expect_rc(&paris, "2026-11-21T10:00:00+01:60", LW_ESYNTAX);
  expect_rc(&paris, "2026-11-21T10:00:00Z+01:00", LW_ESYNTAX);
  expect_rc(&paris, "2026-11-21T10:00:00+01:00x", LW_ESYNTAX);
}

static void test_local(void **state) {
  (void)state;
  /* Winter in Paris: UTC+1. */
  expect(&paris, "2026-11-21T10:00:00", "2026-11-21T09:00:00Z");
  expect(&paris, "2026-11-21 10:00", "2026-11-21T09:00:00Z");
  expect(&paris, "2026-11-21", "2026-11-20T23:00:00Z");
  /* Summer: UTC+2. */
  expect(&paris, "2026-07-01T12:00:00", "2026-07-01T10:00:00Z");
  /* New York: UTC-5 in November, -4 in July. */
  expect(&new_york, "2026-11-21T04:00:00", "2026-11-21T09:00:00Z");
  expect(&new_york, "2026-07-01T08:00:00", "2026-07-01T12:00:00Z");
  /* Sydney: summer (+11) in November, winter (+10) in July. */
  expect(&sydney, "2026-11-21T20:00:00", "2026-11-21T09:00:00Z");
  expect(&sydney, "2026-07-01T10:00:00", "2026-07-01T00:00:00Z");
  /* A zone without DST. */
  {
    static const struct lw_tz tokyo = {-540, 0, 0, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}};
    expect(&tokyo, "2026-07-01T09:00:00", "2026-07-01T00:00:00Z");
  }
  /* Windows could not give the rules: a local time is refused, UTC is not. */
  expect_rc(NULL, "2026-11-21T10:00:00", LW_EIO);
  expect(NULL, "2026-11-21T09:00:00Z", "2026-11-21T09:00:00Z");
}

static void test_dst_edges(void **state) {
  (void)state;
  /* Paris springs forward on 2026-03-29 at 02:00 CET (01:00Z). */
  expect(&paris, "2026-03-29T01:59:00", "2026-03-29T00:59:00Z");
  expect(&paris, "2026-03-29T03:00:00", "2026-03-29T01:00:00Z");
  /* 02:30 does not exist: read with the standard offset, so 03:30 CEST. */
  expect(&paris, "2026-03-29T02:30:00", "2026-03-29T01:30:00Z");
  /* Falls back on 2026-10-25 at 03:00 CEST (01:00Z): 02:30 happens twice,
   * the first (summer-time) one is taken. */
  expect(&paris, "2026-10-25T02:30:00", "2026-10-25T00:30:00Z");
  expect(&paris, "2026-10-25T01:59:00", "2026-10-24T23:59:00Z");
  expect(&paris, "2026-10-25T03:00:00", "2026-10-25T02:00:00Z");
  /* New York: 2026-03-08 02:30 does not exist; 2026-11-01 01:30 is twice. */
  expect(&new_york, "2026-03-08T02:30:00", "2026-03-08T07:30:00Z");
  expect(&new_york, "2026-11-01T01:30:00", "2026-11-01T05:30:00Z");
  /* Sydney falls back on 2026-04-05 at 03:00 AEDT: 02:30 twice, the first. */
  expect(&sydney, "2026-04-05T02:30:00", "2026-04-04T15:30:00Z");
  /* and springs forward on 2026-10-04 at 02:00 AEST. */
  expect(&sydney, "2026-10-04T02:30:00", "2026-10-03T16:30:00Z");
  /* Back and forth: UTC to local. */
  {
    int64_t t = utc("2026-10-25T00:30:00Z");
    assert_int_equal(lw_tz_utc_to_local(&paris, 2026, t), utc("2026-10-25T02:30:00Z"));
    t = utc("2026-10-25T01:30:00Z");
    assert_int_equal(lw_tz_utc_to_local(&paris, 2026, t), utc("2026-10-25T02:30:00Z"));
  }
}

static void test_relative(void **state) {
  (void)state;
  expect_ms(&paris, "now", T0);
  expect_ms(&paris, "90s", T0 - 90000);
  expect_ms(&paris, "30m", T0 - 30 * MIN_MS);
  expect_ms(&paris, "24h", T0 - D_MS);
  expect_ms(&paris, "7d", T0 - 7 * D_MS);
  expect_ms(&paris, "2w", T0 - 14 * D_MS);
  expect_ms(&paris, "0h", T0);
  /* Relative times need no zone. */
  expect_ms(NULL, "24h", T0 - D_MS);
  /* today / yesterday: local midnight (10:00 in Paris, 20:00 in Sydney). */
  expect(&paris, "today", "2026-11-20T23:00:00Z");
  expect(&paris, "yesterday", "2026-11-19T23:00:00Z");
  expect(&sydney, "today", "2026-11-20T13:00:00Z");
  expect(&new_york, "today", "2026-11-21T05:00:00Z");
  expect(&new_york, "yesterday", "2026-11-20T05:00:00Z");
  expect_rc(NULL, "today", LW_EIO);
  expect_rc(&paris, "24", LW_ESYNTAX);
  expect_rc(&paris, "h", LW_ESYNTAX);
  expect_rc(&paris, "24x", LW_ESYNTAX);
  expect_rc(&paris, "24hh", LW_ESYNTAX);
  expect_rc(&paris, "-24h", LW_ESYNTAX);
  expect_rc(&paris, "24 h", LW_ESYNTAX);
  expect_rc(&paris, "99999999999999999999d", LW_ERANGE);
  expect_rc(&paris, "999999999999w", LW_ERANGE);
}

static void test_refused(void **state) {
  (void)state;
  expect_rc(&paris, "", LW_ESYNTAX);
  expect_rc(&paris, "yesterdays", LW_ESYNTAX);
  expect_rc(&paris, "Today", LW_ESYNTAX);
  expect_rc(&paris, "2026-13-01", LW_ERANGE);
  expect_rc(&paris, "2026-11-21T25:00:00Z", LW_ERANGE);
  expect_rc(&paris, "2026-11-21T10", LW_ESYNTAX);
  expect_rc(&paris, "21/11/2026", LW_ESYNTAX);
  expect_rc(&paris, "2026-11-21T10:00:00.123456789012+01:00", LW_ESYNTAX);
  {
    struct lw_clock c = clock_in(&paris);
    int64_t v;
    assert_int_equal(lw_cli_time_parse(NULL, &c, &v), LW_EINVAL);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_utc_and_offsets), cmocka_unit_test(test_local),
      cmocka_unit_test(test_dst_edges),       cmocka_unit_test(test_relative),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
