/* Unit tests for luid.c: the HHHHHHHH:LLLLLLLL text form both ways. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "luid.h"

static void test_format(void **state) {
  char buf[LW_LUID_TEXT_SIZE];
  (void)state;
  assert_string_equal(lw_luid_format(0x3e7, buf), "00000000:000003e7");
  assert_string_equal(lw_luid_format(0, buf), "00000000:00000000");
  assert_string_equal(lw_luid_format(UINT64_C(0x00000001000a4f2b), buf), "00000001:000a4f2b");
  assert_string_equal(lw_luid_format(UINT64_MAX, buf), "ffffffff:ffffffff");
  assert_string_equal(lw_luid_format(UINT64_C(0xDEADBEEFCAFEF00D), buf), "deadbeef:cafef00d");
  assert_int_equal(strlen(buf), LW_LUID_TEXT_SIZE - 1);
}

static void test_from_parts(void **state) {
  (void)state;
  assert_true(lw_luid_from_parts(0, 0x3e7) == 0x3e7);
  assert_true(lw_luid_from_parts(1, 0xffffffffu) == UINT64_C(0x1ffffffff));
  /* HighPart is a signed LONG: -1 must become 0xffffffff, not sign-extend */
  assert_true(lw_luid_from_parts(-1, 2) == UINT64_C(0xffffffff00000002));
  assert_true(lw_luid_from_parts(INT32_MIN, 0) == UINT64_C(0x8000000000000000));
}

static void expect_ok(const char *text, uint64_t want) {
  uint64_t v = 12345;
  int rc = lw_luid_parse(text, &v);
  if (rc != 0 || v != want)
    fail_msg("lw_luid_parse(\"%s\") = %d, %llx; want %llx", text, rc, (unsigned long long)v,
             (unsigned long long)want);
}

static void expect_err(const char *text, int want) {
  uint64_t v = 777;
  int rc = lw_luid_parse(text, &v);
  if (rc != want)
    fail_msg("lw_luid_parse(\"%s\") = %d; want %d", text, rc, want);
  assert_true(v == 777); /* untouched on failure */
}

static void test_parse_forms(void **state) {
  (void)state;
  expect_ok("00000000:000003e7", 0x3e7);
  expect_ok("0:3e7", 0x3e7);
  expect_ok("0:3E7", 0x3e7);
  expect_ok("DEADBEEF:CAFEF00D", UINT64_C(0xdeadbeefcafef00d));
  expect_ok("ffffffff:ffffffff", UINT64_MAX);
  expect_ok("1:0", UINT64_C(0x100000000));
  expect_ok("0x3e7", 0x3e7);
  expect_ok("0X3E7", 0x3e7);
  expect_ok("0xffffffffffffffff", UINT64_MAX);
  expect_ok("0x0000000000000000000001", 1); /* leading zeros are not overflow */
  expect_ok("999", 999);
  expect_ok("0", 0);
  expect_ok("18446744073709551615", UINT64_MAX);
  expect_ok("4294967296", UINT64_C(0x100000000));
}

static void test_parse_round_trip(void **state) {
  char buf[LW_LUID_TEXT_SIZE];
  uint64_t x = UINT64_C(0x9E3779B97F4A7C15), v;
  (void)state;
  for (int i = 0; i < 1000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    assert_int_equal(lw_luid_parse(lw_luid_format(x, buf), &v), 0);
    assert_true(v == x);
  }
}

static void test_parse_errors(void **state) {
  (void)state;
  expect_err("", LW_ESYNTAX);
  expect_err(":", LW_ESYNTAX);
  expect_err("0:", LW_ESYNTAX);
  expect_err(":3e7", LW_ESYNTAX);
  expect_err("0:3e7:1", LW_ESYNTAX);
  expect_err("0:3e7 ", LW_ESYNTAX);
  expect_err(" 0:3e7", LW_ESYNTAX);
  expect_err("0:3g7", LW_ESYNTAX);
  expect_err("0x", LW_ESYNTAX);
  expect_err("0x3e7z", LW_ESYNTAX);
  expect_err("0x-1", LW_ESYNTAX);
  expect_err("-1", LW_ESYNTAX);
  expect_err("+1", LW_ESYNTAX);
  expect_err("3e7", LW_ESYNTAX); /* hex without 0x or colon is not decimal */
  expect_err("12abc", LW_ESYNTAX);
  expect_err("1.5", LW_ESYNTAX);
  expect_err("100000000:0", LW_ERANGE);
  expect_err("0:100000000", LW_ERANGE);
  expect_err("0x10000000000000000", LW_ERANGE);
  expect_err("18446744073709551616", LW_ERANGE);
  expect_err("99999999999999999999999", LW_ERANGE);
  /* a syntax error wins over a range error */
  expect_err("0x10000000000000000z", LW_ESYNTAX);
  assert_int_equal(lw_luid_parse(NULL, &(uint64_t){0}), LW_EINVAL);
  assert_int_equal(lw_luid_parse("1", NULL), LW_EINVAL);
}

static void test_well_known(void **state) {
  (void)state;
  assert_true(lw_luid_is_well_known(LW_LUID_SYSTEM));
  assert_true(lw_luid_is_well_known(LW_LUID_LOCAL_SERVICE));
  assert_true(lw_luid_is_well_known(LW_LUID_NETWORK_SERVICE));
  assert_true(lw_luid_is_well_known(LW_LUID_ANONYMOUS));
  assert_true(lw_luid_is_well_known(LW_LUID_IUSR));
  assert_int_equal(LW_LUID_SYSTEM, 999);
  assert_false(lw_luid_is_well_known(0));
  assert_false(lw_luid_is_well_known(0x3e2));
  assert_false(lw_luid_is_well_known(0x3e8));
  assert_false(lw_luid_is_well_known(UINT64_C(0x1000003e7))); /* high part counts */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format),       cmocka_unit_test(test_from_parts),
      cmocka_unit_test(test_parse_forms),  cmocka_unit_test(test_parse_round_trip),
      cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_well_known),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
