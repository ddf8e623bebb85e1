/*
 * Unit tests for utf16.c: counted UTF-16 -> UTF-8 never reads past its count
 * (buffers followed by garbage, and exact-size heap copies so ASan/valgrind catch
 * any over-read), surrogate handling, and UTF-8 -> UTF-16 repair.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "snapshot.h"
#include "utf16.h"

#define FFFD "\xEF\xBF\xBD"

/* Converts units[0..n) three ways and checks each gives `want`:
 *  1. in place,
 *  2. from a heap buffer of n + 8 units whose tail is 0x4141 ('AA') garbage and
 *     then a low surrogate (so a read past n would change the result),
 *  3. from an exact-size heap buffer (an over-read is an ASan/valgrind error),
 * and through lw_snapshot_strdup_utf16 on the exact-size copy. */
static void check16(const uint16_t *units, size_t n, const char *want) {
  char out[1024];
  size_t len = 12345;
  uint16_t *garbage = malloc((n + 8) * sizeof *garbage);
  uint16_t *exact = malloc(n != 0 ? n * sizeof *exact : 1);
  struct lw_snapshot *s = lw_snapshot_new();
  const char *dup;

  assert_non_null(garbage);
  assert_non_null(exact);
  assert_non_null(s);
  if (n != 0) {
    memcpy(garbage, units, n * sizeof *units);
    memcpy(exact, units, n * sizeof *units);
  }
  for (size_t i = n; i < n + 7; i++)
    garbage[i] = 0x4141;
  garbage[n + 7] = 0xDC00;
  if (n != 0 && units[n - 1] >= 0xD800 && units[n - 1] <= 0xDBFF)
    garbage[n] = 0xDC00; /* a high surrogate at the end must not pair with it */

  assert_int_equal(lw_utf16_to_utf8(units, n, out, sizeof out, &len), 0);
  assert_string_equal(out, want);
  assert_int_equal(len, strlen(want));

  memset(out, 'Z', sizeof out);
  assert_int_equal(lw_utf16_to_utf8(garbage, n, out, sizeof out, &len), 0);
  assert_string_equal(out, want);
  assert_int_equal(len, strlen(want));

  memset(out, 'Z', sizeof out);
  assert_int_equal(lw_utf16_to_utf8(exact, n, out, sizeof out, &len), 0);
  assert_string_equal(out, want);

  dup = lw_snapshot_strdup_utf16(s, exact, n);
  assert_non_null(dup);
  assert_string_equal(dup, want);
  dup = lw_snapshot_strdup_utf16(s, garbage, n);
  assert_string_equal(dup, want);

  lw_snapshot_free(s);
  free(exact);
  free(garbage);
}

static void test_basic(void **state) {
  static const uint16_t ascii[] = {'a', 'l', 'i', 'c', 'e'};
  static const uint16_t latin[] = {'J', 0xE9, 'r', 0xF4, 'm', 'e'}; /* Jérôme */
  static const uint16_t euro[] = {0x20AC, '1', '0'};                /* €10 */
  static const uint16_t cjk[] = {0x7530, 0x4E2D};                   /* 田中 */
  static const uint16_t emoji[] = {'x', 0xD83D, 0xDE00, 'y'};       /* x😀y */
  static const uint16_t maxcp[] = {0xDBFF, 0xDFFF};                 /* U+10FFFF */
  static const uint16_t bmp_max[] = {0xFFFF, 0xFFFD, 0x0080, 0x07FF, 0x0800};
  (void)state;
  check16(ascii, 5, "alice");
  check16(ascii, 3, "ali"); /* the count rules, not a NUL */
  check16(latin, 6, "J\xC3\xA9r\xC3\xB4me");
  check16(euro, 3,
          "\xE2\x82\xAC"
          "10");
  check16(cjk, 2, "\xE7\x94\xB0\xE4\xB8\xAD");
  check16(emoji, 4, "x\xF0\x9F\x98\x80y");
  check16(maxcp, 2, "\xF4\x8F\xBF\xBF");
  check16(bmp_max, 5, "\xEF\xBF\xBF" FFFD "\xC2\x80\xDF\xBF\xE0\xA0\x80");
  check16(ascii, 0, "");
}

static void test_surrogates(void **state) {
  static const uint16_t high_end[] = {'a', 0xD83D};             /* high at end of count */
  static const uint16_t high_then_bmp[] = {0xD83D, 'b'};        /* high + non-low */
  static const uint16_t lone_low[] = {'a', 0xDE00, 'b'};        /* low without high */
  static const uint16_t reversed[] = {0xDE00, 0xD83D};          /* low then high */
  static const uint16_t two_highs[] = {0xD83D, 0xD83D, 0xDE00}; /* FFFD then pair */
  static const uint16_t only_high[] = {0xDBFF};
  (void)state;
  check16(high_end, 2, "a" FFFD);
  check16(high_then_bmp, 2, FFFD "b");
  check16(lone_low, 3, "a" FFFD "b");
  check16(reversed, 2, FFFD FFFD);
  check16(two_highs, 3, FFFD "\xF0\x9F\x98\x80");
  check16(only_high, 1, FFFD);
  /* the pair split by the count: only the high half is in range */
  check16(two_highs, 2, FFFD FFFD);
}

static void test_embedded_nul(void **state) {
  static const uint16_t nul_mid[] = {'a', 'b', 0, 'c', 'd'};
  static const uint16_t nul_end[] = {'a', 'b', 0}; /* Length that counts a terminator */
  static const uint16_t nul_first[] = {0, 'x'};
  static const uint16_t high_nul[] = {0xD800, 0, 'x'};
  (void)state;
  check16(nul_mid, 5, "ab");
  check16(nul_end, 3, "ab");
  check16(nul_first, 2, "");
  check16(high_nul, 3, FFFD);
}

static void test_out_buffer_too_small(void **state) {
  static const uint16_t s[] = {'a', 0x20AC, 'b', 0xD83D, 0xDE00}; /* a€b😀: 1+3+1+4 */
  char out[16];
  size_t len = 0;
  (void)state;
  /* measuring */
  assert_int_equal(lw_utf16_to_utf8(s, 5, NULL, 0, &len), LW_ERANGE);
  assert_int_equal(len, 9);
  /* exactly fitting needs len + 1 */
  assert_int_equal(lw_utf16_to_utf8(s, 5, out, 10, &len), 0);
  assert_string_equal(out, "a\xE2\x82\xAC"
                           "b\xF0\x9F\x98\x80");
  /* one short: whole characters only, NUL-terminated, never past out_size */
  memset(out, 'Z', sizeof out);
  assert_int_equal(lw_utf16_to_utf8(s, 5, out, 9, &len), LW_ERANGE);
  assert_int_equal(len, 9);
  assert_string_equal(out, "a\xE2\x82\xAC"
                           "b");
  assert_int_equal(out[9], 'Z');
  memset(out, 'Z', sizeof out);
  assert_int_equal(lw_utf16_to_utf8(s, 5, out, 4, &len), LW_ERANGE);
  assert_string_equal(out, "a");
  assert_int_equal(lw_utf16_to_utf8(s, 5, out, 1, NULL), LW_ERANGE);
  assert_string_equal(out, "");
  /* a NULL, zero-length string */
  assert_int_equal(lw_utf16_to_utf8(NULL, 0, out, sizeof out, &len), 0);
  assert_string_equal(out, "");
  assert_int_equal(len, 0);
}

static void test_long_and_null(void **state) {
  static const char *const piece[3] = {"x", "\xC3\xA9", "\xE4\xB8\xAD"}; /* x é 中 */
  static const uint16_t unit[3] = {'x', 0xE9, 0x4E2D};
  enum { N = 70000 }; /* longer than any LSA string, larger than an arena block */
  struct lw_snapshot *s = lw_snapshot_new();
  uint16_t *u = malloc(N * sizeof *u);
  char *want = malloc(N * 3 + 1);
  size_t wlen = 0;
  const char *dup;
  (void)state;
  assert_non_null(s);
  assert_non_null(u);
  assert_non_null(want);
  for (size_t i = 0; i < N; i++) {
    u[i] = unit[i % 3];
    memcpy(want + wlen, piece[i % 3], strlen(piece[i % 3]));
    wlen += strlen(piece[i % 3]);
  }
  want[wlen] = '\0';
  dup = lw_snapshot_strdup_utf16(s, u, N);
  assert_non_null(dup);
  assert_int_equal(strlen(dup), wlen);
  assert_memory_equal(dup, want, wlen + 1);
  /* NULL buffer = no value; empty counted string = "" */
  assert_null(lw_snapshot_strdup_utf16(s, NULL, 0));
  dup = lw_snapshot_strdup_utf16(s, u, 0);
  assert_non_null(dup);
  assert_string_equal(dup, "");
  free(want);
  free(u);
  lw_snapshot_free(s);
}

static void test_lsa_units(void **state) {
  (void)state;
  assert_int_equal(lw_lsa_string_units(0), 0);
  assert_int_equal(lw_lsa_string_units(1), 0); /* half a unit is dropped */
  assert_int_equal(lw_lsa_string_units(2), 1);
  assert_int_equal(lw_lsa_string_units(11), 5);
  assert_int_equal(lw_lsa_string_units(65534), 32767);
  assert_int_equal(lw_lsa_string_units(65535), 32767);
}

/* UTF-8 -> UTF-16, checked against an exact-size input copy. */
static void check8(const char *in, size_t n, const uint16_t *want, size_t want_n) {
  uint16_t out[256];
  size_t len = 999;
  char *exact = malloc(n != 0 ? n : 1);
  assert_non_null(exact);
  memcpy(exact, in, n);
  assert_int_equal(lw_utf8_to_utf16(exact, n, out, 256, &len), 0);
  assert_int_equal(len, want_n);
  if (want_n != 0)
    assert_memory_equal(out, want, want_n * sizeof *want);
  assert_int_equal(out[want_n], 0);
  free(exact);
}

#define CHECK8(lit, ...)                                                                           \
  do {                                                                                             \
    static const uint16_t w_[] = {__VA_ARGS__};                                                    \
    check8(lit, sizeof(lit) - 1, w_, sizeof w_ / sizeof w_[0]);                                    \
  } while (0)

static void test_utf8_to_utf16(void **state) {
  uint16_t out[8];
  size_t len;
  (void)state;
  CHECK8("alice", 'a', 'l', 'i', 'c', 'e');
  CHECK8("J\xC3\xA9r\xC3\xB4me", 'J', 0xE9, 'r', 0xF4, 'm', 'e');
  CHECK8("\xE2\x82\xAC", 0x20AC);
  CHECK8("\xF0\x9F\x98\x80", 0xD83D, 0xDE00);
  CHECK8("\xF4\x8F\xBF\xBF", 0xDBFF, 0xDFFF);
  CHECK8("a\0b", 'a', 0, 'b'); /* counted: a NUL byte is a character */
  /* Unicode 15 section 3.9, table 3-8: maximal subparts, one U+FFFD each */
  CHECK8("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 0x61, 0xFFFD, 0xFFFD, 0xFFFD, 0x62,
         0xFFFD, 0x63, 0xFFFD, 0xFFFD, 0x64);
  CHECK8("\xC0\xAF", 0xFFFD, 0xFFFD);                         /* overlong '/' */
  CHECK8("\xE0\x80\xAF", 0xFFFD, 0xFFFD, 0xFFFD);             /* overlong */
  CHECK8("\xED\xA0\x80", 0xFFFD, 0xFFFD, 0xFFFD);             /* encoded surrogate */
  CHECK8("\xF4\x90\x80\x80", 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD); /* > U+10FFFF */
  CHECK8("\xF5\x80", 0xFFFD, 0xFFFD);
  CHECK8("\xFF", 0xFFFD);
  CHECK8("x\xE2\x82", 'x', 0xFFFD); /* truncated at the end */
  CHECK8("\xF0\x9F\x98", 0xFFFD);
  CHECK8("\xE2\x82x", 0xFFFD, 'x');

  /* only the counted bytes are read: the character split by n is broken */
  assert_int_equal(lw_utf8_to_utf16("\xE2\x82\xAC", 2, out, 8, &len), 0);
  assert_int_equal(len, 1);
  assert_int_equal(out[0], 0xFFFD);
  /* too small: whole characters, 0-terminated */
  assert_int_equal(lw_utf8_to_utf16("a\xF0\x9F\x98\x80", 5, NULL, 0, &len), LW_ERANGE);
  assert_int_equal(len, 3);
  assert_int_equal(lw_utf8_to_utf16("a\xF0\x9F\x98\x80", 5, out, 3, &len), LW_ERANGE);
  assert_int_equal(out[0], 'a');
  assert_int_equal(out[1], 0);
  assert_int_equal(lw_utf8_to_utf16("a\xF0\x9F\x98\x80", 5, out, 4, &len), 0);
  assert_int_equal(out[2], 0xDE00);
  assert_int_equal(out[3], 0);
}

static void test_decode(void **state) {
  uint32_t cp = 0;
  (void)state;
  assert_int_equal(lw_utf8_decode("", 0, &cp), 0);
  assert_int_equal(lw_utf8_decode("A", 1, &cp), 1);
  assert_int_equal(cp, 'A');
  assert_int_equal(lw_utf8_decode("\xE2\x82\xAC", 3, &cp), 3);
  assert_int_equal(cp, 0x20AC);
  assert_int_equal(lw_utf8_decode("\xE2\x82\xAC", 2, &cp), 2);
  assert_true(cp == LW_UTF8_INVALID);
  assert_int_equal(lw_utf8_decode("\xEF\xBF\xBD", 3, &cp), 3); /* a real U+FFFD is valid */
  assert_int_equal(cp, 0xFFFD);
  assert_int_equal(lw_utf8_decode("\x80", 1, &cp), 1);
  assert_true(cp == LW_UTF8_INVALID);
}

/* Every scalar value survives UTF-16 -> UTF-8 -> UTF-16. */
static void test_round_trip_all_scalars(void **state) {
  (void)state;
  for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
    uint16_t u[2], back[3];
    char mid[8];
    size_t n, len;
    if (cp >= 0xD800 && cp <= 0xDFFF)
      continue;
    if (cp >= 0x10000) {
      u[0] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
      u[1] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
      n = 2;
    } else {
      u[0] = (uint16_t)cp;
      n = 1;
    }
    if (lw_utf16_to_utf8(u, n, mid, sizeof mid, &len) != 0 || len != (cp < 0x80      ? 1u
                                                                      : cp < 0x800   ? 2u
                                                                      : cp < 0x10000 ? 3u
                                                                                     : 4u))
      fail_msg("U+%04X: bad UTF-8", (unsigned)cp);
    if (lw_utf8_to_utf16(mid, len, back, 3, &len) != 0 || len != n ||
        memcmp(back, u, n * sizeof *u) != 0)
      fail_msg("U+%04X: round trip differs", (unsigned)cp);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic),
      cmocka_unit_test(test_surrogates),
      cmocka_unit_test(test_embedded_nul),
      cmocka_unit_test(test_out_buffer_too_small),
      cmocka_unit_test(test_long_and_null),
      cmocka_unit_test(test_lsa_units),
      cmocka_unit_test(test_utf8_to_utf16),
      cmocka_unit_test(test_decode),
      cmocka_unit_test(test_round_trip_all_scalars),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
