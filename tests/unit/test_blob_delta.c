/* test_blob_delta.c - the byte delta the store writes the detector's state
 * with (common/blob_delta.c, issue 17). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "blob_delta.h"
#include "detect.h"
#include "error.h"

static uint64_t rng = 88172645463325252u;

static unsigned char rnd_byte(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned char)rng;
}

/* Makes the delta, applies it, and checks the result is new; returns its size. */
static size_t round_trip(const unsigned char *old, size_t old_len, const unsigned char *nw,
                         size_t new_len) {
  unsigned char *d = NULL, *back = NULL;
  size_t dl = 0, bl = 0;
  assert_int_equal(lw_blob_delta_make(old, old_len, nw, new_len, &d, &dl), 0);
  assert_int_equal(lw_blob_delta_apply(old, old_len, d, dl, &back, &bl), 0);
  assert_int_equal(bl, new_len);
  if (new_len != 0)
    assert_memory_equal(back, nw, new_len);
  free(back);
  free(d);
  return dl;
}

/* Records of 7 bytes, as the detector's blob has: removing and inserting a
 * few costs bytes near the changes, not the blob. */
static void test_sparse_changes(void **state) {
  enum { N = 20000, R = 7 };
  unsigned char *old = malloc(N * R), *nw = malloc(N * R + 100 * R);
  size_t i, n = 0, dl;
  (void)state;
  assert_non_null(old);
  assert_non_null(nw);
  for (i = 0; i < N * R; i++)
    old[i] = rnd_byte();
  /* Every 200th record goes, every 200th gets one byte changed, 100 new ones
   * at the end: 300 changes. */
  for (i = 0; i < N; i++) {
    if (i % 200 == 13)
      continue;
    memcpy(nw + n, old + i * R, R);
    if (i % 200 == 101)
      nw[n + 3] ^= 0x5a;
    n += R;
  }
  for (i = 0; i < 100 * R; i++)
    nw[n++] = rnd_byte();
  dl = round_trip(old, N * R, nw, n);
  print_message("delta of %lu bytes for %lu -> %lu bytes\n", (unsigned long)dl,
                (unsigned long)N * R, (unsigned long)n);
  /* 300 changes of at most 7 bytes, each within 2 blocks of literals and a
   * copy: far below the blob's 140,000 bytes. */
  assert_true(dl < 300 * (2 * 8 + R + 8) + 100 * R);
  /* Nothing changed: one copy. */
  assert_true(round_trip(old, N * R, old, N * R) < 20);
  free(old);
  free(nw);
}

/* Records much alike, as the detector's are (a LUID step, a session, flags,
 * a time step: a few distinct values each): a block of them matches in many
 * places, and the delta must still follow the right one. */
static void test_repetitive_records(void **state) {
  enum { N = 20000, R = 5 };
  unsigned char *old = malloc(N * R), *nw = malloc(N * R + 200 * R);
  size_t i, n = 0, dl;
  (void)state;
  assert_non_null(old);
  assert_non_null(nw);
  for (i = 0; i < N; i++) {
    old[i * R] = (unsigned char)(1 + rnd_byte() % 7);
    old[i * R + 1] = (unsigned char)(rnd_byte() % 3);
    old[i * R + 2] = 1;
    old[i * R + 3] = 16;
    old[i * R + 4] = 0;
  }
  /* 200 records go (scattered), 200 new ones come at the end. */
  for (i = 0; i < N; i++) {
    if (i % 100 == 37)
      continue;
    memcpy(nw + n, old + i * R, R);
    n += R;
  }
  for (i = 0; i < 200; i++) {
    memcpy(nw + n, old + (i * 7) * R, R);
    nw[n] = (unsigned char)(nw[n] + 1);
    n += R;
  }
  dl = round_trip(old, N * R, nw, n);
  print_message("repetitive records: delta of %lu bytes for %d changes\n", (unsigned long)dl, 400);
  /* A copy per gap (a few bytes each) and the new records' bytes. */
  assert_true(dl < 200 * 8 + 200 * R + 64);
  free(old);
  free(nw);
}

static void test_edges(void **state) {
  static const unsigned char a[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char rep[64];
  (void)state;
  round_trip(NULL, 0, NULL, 0);
  round_trip(NULL, 0, a, sizeof a);
  round_trip(a, sizeof a, NULL, 0);
  round_trip(a, 3, a, sizeof a);      /* old shorter than a block */
  round_trip(a, sizeof a, a + 5, 20); /* a piece from the middle */
  round_trip(a + 9, 20, a, sizeof a); /* grown both ways */
  memset(rep, 'x', sizeof rep);       /* repeated blocks */
  round_trip(rep, sizeof rep, rep, 40);
  round_trip(rep, 40, rep, sizeof rep);
  round_trip(a, sizeof a, rep, sizeof rep);
}

/* Hostile deltas (a damaged database): refused, nothing read outside. */
static void test_refused(void **state) {
  static const unsigned char old[] = "0123456789abcdef";
  unsigned char *d = NULL, *out = NULL, bad[64];
  size_t dl = 0, ol = 0, i;
  (void)state;
  assert_int_equal(lw_blob_delta_make(old, 16, old + 2, 14, &d, &dl), 0);
  assert_int_equal(lw_blob_delta_apply(old, 15, d, dl, &out, &ol), LW_ECORRUPT); /* other old */
  for (i = 0; i < dl; i++) /* every truncation */
    assert_int_not_equal(lw_blob_delta_apply(old, 16, d, i, &out, &ol), 0);
  assert_true(dl <= sizeof bad);
  memcpy(bad, d, dl);
  bad[4] = 2; /* a newer version */
  assert_int_equal(lw_blob_delta_apply(old, 16, bad, dl, &out, &ol), LW_ETOONEW);
  bad[4] = 0;
  assert_int_equal(lw_blob_delta_apply(old, 16, bad, dl, &out, &ol), LW_ECORRUPT);
  /* A copy past the old blob; a literal past the delta; a length past the
   * promised size; a huge size with nothing to fill it. */
  {
    static const unsigned char copy_out[] = {'L', 'W', 'B', 'D', 1, 16, 4, 4 << 1 | 1, 13};
    static const unsigned char lit_out[] = {'L', 'W', 'B', 'D', 1, 16, 4, 4 << 1, 'a', 'b'};
    static const unsigned char too_long[] = {'L', 'W', 'B', 'D', 1, 16, 2, 4 << 1 | 1, 0};
    static const unsigned char huge[] = {'L', 'W', 'B', 'D', 1, 16, 0xff, 0xff, 0xff, 0xff, 0x7f};
    static const unsigned char empty_op[] = {'L', 'W', 'B', 'D', 1, 16, 0, 0};
    assert_int_equal(lw_blob_delta_apply(old, 16, copy_out, sizeof copy_out, &out, &ol),
                     LW_ECORRUPT);
    assert_int_equal(lw_blob_delta_apply(old, 16, lit_out, sizeof lit_out, &out, &ol), LW_ECORRUPT);
    assert_int_equal(lw_blob_delta_apply(old, 16, too_long, sizeof too_long, &out, &ol),
                     LW_ECORRUPT);
    assert_int_equal(lw_blob_delta_apply(old, 16, huge, sizeof huge, &out, &ol), LW_ECORRUPT);
    assert_int_equal(lw_blob_delta_apply(old, 16, empty_op, sizeof empty_op, &out, &ol),
                     LW_ECORRUPT);
  }
  assert_null(out);
  assert_int_equal(lw_blob_delta_apply(old, 16, NULL, 4, &out, &ol), LW_EINVAL);
  free(d);
}

/* The detector's blob (version 2): a poll where one session of many ends
 * changes a few bytes of it, so the delta is small. */
static void test_detector_blob(void **state) {
  struct lw_detect_state st;
  struct lw_detect_config cfg = {600000, 10, 25, 60, 1, NULL};
  struct lw_detect_output out;
  char *b1 = NULL, *b2 = NULL;
  size_t l1 = 0, l2 = 0, dl;
  (void)state;
  lw_detect_state_init(&st);
  lw_detect_output_init(&out);
  for (int poll = 0; poll < 2; poll++) {
    struct lw_snapshot *snap = lw_snapshot_new();
    assert_non_null(snap);
    snap->taken_at = INT64_C(1795251600000) + poll * 60000;
    snap->boot_time = INT64_C(1795250000000);
    for (uint64_t k = 0; k < 2000; k++) {
      struct lw_logon_session *l;
      if (poll == 1 && k == 777)
        continue; /* one ends */
      l = lw_snapshot_add_logon(snap);
      assert_non_null(l);
      l->luid = 0x10000 + k * 3;
      l->logon_type = 3;
      l->user = "svc";
      l->domain = "CONTOSO";
    }
    lw_snapshot_finish(snap);
    assert_int_equal(lw_detect_step(&st, snap, &cfg, &out), 0);
    assert_int_equal(lw_detect_state_save(&st, poll == 0 ? &b1 : &b2, poll == 0 ? &l1 : &l2), 0);
    lw_snapshot_free(snap);
  }
  dl = round_trip((unsigned char *)b1, l1, (unsigned char *)b2, l2);
  print_message("detector blob %lu -> %lu bytes, delta %lu\n", (unsigned long)l1, (unsigned long)l2,
                (unsigned long)dl);
  assert_true(dl < 80);
  free(b1);
  free(b2);
  lw_detect_output_free(&out);
  lw_detect_state_free(&st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sparse_changes), cmocka_unit_test(test_repetitive_records),
      cmocka_unit_test(test_edges),          cmocka_unit_test(test_refused),
      cmocka_unit_test(test_detector_blob),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
