/* test_text_safe.c - terminal-safe text (common/text_safe.c, issue 14). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text_safe.h"

static const char *safe(const char *s, unsigned flags) {
  static char buf[256];
  return lw_text_safe(s, buf, sizeof buf, flags);
}

/* Each kind of dangerous character becomes a visible escape; the rest,
 * backslashes and other Unicode included, is left as it is. */
static void test_escapes(void **state) {
  (void)state;
  assert_string_equal(safe("alice", 0), "alice");
  assert_string_equal(safe("C:\\Windows\\explorer.exe", 0), "C:\\Windows\\explorer.exe");
  assert_string_equal(safe("J\xC3\xBCrgen \xE6\x9D\xB1\xF0\x9F\x98\x80", 0),
                      "J\xC3\xBCrgen \xE6\x9D\xB1\xF0\x9F\x98\x80");
  /* C0, DEL */
  assert_string_equal(safe("a\tb\nc\rd", 0), "a\\tb\\nc\\rd");
  assert_string_equal(safe("\x1B[31mred\x1B[0m", 0), "\\x1b[31mred\\x1b[0m");
  assert_string_equal(safe("bell\x07 del\x7F", 0), "bell\\x07 del\\x7f");
  /* C1: U+009B is a one-character CSI on some terminals */
  assert_string_equal(safe("x\xC2\x9B"
                           "31my",
                           0),
                      "x\\u009b31my");
  assert_string_equal(safe("\xC2\x80\xC2\x9F", 0), "\\u0080\\u009f");
  /* bidirectional controls and the line/paragraph separators */
  assert_string_equal(safe("admin\xE2\x80\xAEtxt.exe", 0), "admin\\u202etxt.exe");
  assert_string_equal(safe("\xE2\x80\x8E\xE2\x80\x8F\xD8\x9C", 0), "\\u200e\\u200f\\u061c");
  assert_string_equal(safe("\xE2\x81\xA6\xE2\x81\xA9", 0), "\\u2066\\u2069");
  assert_string_equal(safe("a\xE2\x80\xA8"
                           "b\xE2\x80\xA9",
                           0),
                      "a\\u2028b\\u2029");
  /* not UTF-8: each byte shown */
  assert_string_equal(safe("bad\xFF\xC3", 0), "bad\\xff\\xc3");
  assert_string_equal(safe("\xE2\x80", 0), "\\xe2\\x80");
  /* A message keeps its own lines, but not CR or the rest. */
  assert_string_equal(safe("line1\nline2\r\x1B", LW_TEXT_KEEP_LF), "line1\nline2\\r\\x1b");
}

/* Cut to the buffer at a whole character or escape, never inside one. */
static void test_truncation(void **state) {
  char buf[8];
  (void)state;
  assert_string_equal(lw_text_safe("abcdefghij", buf, sizeof buf, 0), "abcdefg");
  assert_string_equal(lw_text_safe("abcde\x1B", buf, sizeof buf, 0), "abcde");
  assert_string_equal(lw_text_safe("abcdef\xC3\xBC", buf, sizeof buf, 0), "abcdef");
  assert_string_equal(lw_text_safe("a\x1B", buf, sizeof buf, 0), "a\\x1b");
  assert_string_equal(lw_text_safe(NULL, buf, sizeof buf, 0), "");
}

static void test_is_safe_and_write(void **state) {
  char text[64];
  size_t len;
  FILE *f;
  (void)state;
  assert_true(lw_text_is_safe("C:\\path\\ok", 10, 0));
  assert_false(lw_text_is_safe("x\x1B", 2, 0));
  assert_false(lw_text_is_safe("x\n", 2, 0));
  assert_true(lw_text_is_safe("x\n", 2, LW_TEXT_KEEP_LF));
  f = tmpfile();
  assert_non_null(f);
  assert_int_equal(lw_text_safe_fputs("u\xE2\x80\xAE\n", f, 0), 0);
  assert_int_equal(lw_text_safe_write(f, "a\0b", 3, 0), 0);
  assert_int_equal(lw_text_safe_fputs(NULL, f, 0), 0);
  rewind(f);
  len = fread(text, 1, sizeof text, f);
  fclose(f);
  assert_int_equal(len, strlen("u\\u202e\\na\\x00b"));
  assert_memory_equal(text, "u\\u202e\\na\\x00b", len);
}

/* lw_text_fit: a table's last column cut to its width, by characters. */
static void test_fit(void **state) {
  char buf[32];
  (void)state;
  assert_string_equal(lw_text_fit("alice", 5, buf, sizeof buf), "alice");
  assert_string_equal(lw_text_fit("alice", 9, buf, sizeof buf), "alice");
  assert_string_equal(lw_text_fit("alice!", 5, buf, sizeof buf), "al...");
  /* Characters, not bytes: 5 of them, each 2 bytes. */
  assert_string_equal(lw_text_fit("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 5, buf, sizeof buf),
                      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
  assert_string_equal(lw_text_fit("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4, buf, sizeof buf),
                      "\xc3\xa9...");
  /* A column of 3 or less: cut without dots. */
  assert_string_equal(lw_text_fit("abcd", 3, buf, sizeof buf), "abc");
  assert_string_equal(lw_text_fit("ab", 0, buf, sizeof buf), "");
  assert_string_equal(lw_text_fit(NULL, 4, buf, sizeof buf), "");
  /* A buffer too small: cut at a whole character, still NUL-terminated. */
  assert_string_equal(lw_text_fit("\xc3\xa9\xc3\xa9\xc3\xa9", 10, buf, 4), "\xc3\xa9");
  assert_string_equal(lw_text_fit("abcdefghij", 9, buf, 6), "ab...");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_escapes),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_fit),
      cmocka_unit_test(test_is_safe_and_write),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
