/* Unit tests for error.c: every code has a distinct name and a message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"

static void test_names_and_messages(void **state) {
  (void)state;
  assert_string_equal(lw_err_name(LW_OK), "LW_OK");
  assert_string_equal(lw_err_name(LW_ENOSPC), "LW_ENOSPC");
  assert_string_equal(lw_strerror(LW_ENOMEM), "out of memory");
  assert_string_equal(lw_err_name(12345), "LW_UNKNOWN");
  assert_string_equal(lw_strerror(-9999), "unknown error");
}

static void test_codes_are_distinct(void **state) {
  static const int codes[] = {
#define X(name, code, text) LW_##name,
      LW_ERROR_MAP(X)
#undef X
  };
  size_t n = sizeof codes / sizeof codes[0];
  (void)state;
  for (size_t i = 0; i < n; i++) {
    assert_true(codes[i] <= 0);
    assert_string_not_equal(lw_err_name(codes[i]), "LW_UNKNOWN");
    for (size_t j = i + 1; j < n; j++) {
      assert_int_not_equal(codes[i], codes[j]);
      assert_string_not_equal(lw_err_name(codes[i]), lw_err_name(codes[j]));
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_and_messages),
      cmocka_unit_test(test_codes_are_distinct),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
