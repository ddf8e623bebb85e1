/* Unit tests for alert_policy.c: alert records (inserts, JSON fields), the sliding
 * hour rate limit of events 2001-2006, the hourly 2009 summary, and the state's
 * blob. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert_policy.h"
#include "error.h"
#include "snapshot.h"

#define MIN INT64_C(60000)
#define HOUR (60 * MIN)
/* 2026-11-21T09:00:00Z */
#define T0 INT64_C(1795251600000)

static char *dup(const char *s) {
  char *p = malloc(strlen(s) + 1);
  assert_non_null(p);
  return strcpy(p, s);
}

static void make(struct lw_alert *v, size_t n, uint32_t event_id, int64_t at) {
  for (size_t i = 0; i < n; i++)
    lw_alert_init(&v[i], event_id, at);
}

static size_t count_suppressed(const struct lw_alert *v, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    c += v[i].suppressed != 0;
  return c;
}

static void test_set_insert(void **state) {
  struct lw_alert a;
  (void)state;
  lw_alert_init(&a, LW_EVENT_SESSION_LEAKED, T0);
  assert_int_equal(a.n_inserts, 0);
  assert_true(a.logon_time == LW_TIME_UNKNOWN && a.minutes == -1 && a.count == LW_ALERT_NONE);
  assert_int_equal(lw_alert_set_insert(&a, 0, "first"), 0);
  assert_int_equal(a.n_inserts, 1);
  /* A later index fills the gap with empty strings. */
  assert_int_equal(lw_alert_set_insert(&a, 3, "fourth"), 0);
  assert_int_equal(a.n_inserts, 4);
  assert_string_equal(a.inserts[1], "");
  assert_string_equal(a.inserts[2], "");
  assert_string_equal(a.inserts[3], "fourth");
  /* Replacing keeps the count. */
  assert_int_equal(lw_alert_set_insert(&a, 0, "again"), 0);
  assert_string_equal(a.inserts[0], "again");
  assert_int_equal(a.n_inserts, 4);
  assert_int_equal(lw_alert_set_insert(&a, LW_ALERT_MAX_INSERTS, "x"), LW_EINVAL);
  assert_int_equal(lw_alert_set_insert(&a, 1, NULL), LW_EINVAL);
  assert_int_equal(lw_alert_set_insert(NULL, 1, "x"), LW_EINVAL);
  lw_alert_clear(&a);
  assert_int_equal(a.n_inserts, 0);
  assert_null(a.inserts[0]);
  lw_alert_clear(NULL);
}

static void test_rate_limited_events(void **state) {
  (void)state;
  for (uint32_t id = 2001; id <= 2006; id++)
    assert_int_equal(lw_alert_is_rate_limited(id), 1);
  assert_int_equal(lw_alert_is_rate_limited(2000), 0);
  assert_int_equal(lw_alert_is_rate_limited(2007), 0);
  assert_int_equal(lw_alert_is_rate_limited(2009), 0);
  assert_int_equal(lw_alert_is_rate_limited(1100), 0);
}

static void test_under_limit_all_pass(void **state) {
  struct lw_alert_policy_state st;
  struct lw_alert v[5], sum;
  (void)state;
  lw_alert_policy_init(&st);
  make(v, 5, LW_EVENT_SESSION_LEAKED, T0);
  v[2].suppressed = 1; /* whatever came in is overwritten */
  /* 8 per hour, 2 of them kept for escalations: 6 for per-session alerts. */
  assert_int_equal(lw_alert_policy_apply(&st, 8, T0, v, 5, &sum), 0);
  assert_int_equal(count_suppressed(v, 5), 0);
  assert_int_equal(sum.event_id, 0);
  assert_int_equal(lw_alert_policy_sent_in_window(&st, T0), 5);
}

/* A quarter of the budget is kept for 2003-2006: a flood of 2001s and 2002s
 * stops at three quarters, and the escalations still get through. */
static void test_reserved_share(void **state) {
  struct lw_alert_policy_state st;
  struct lw_alert v[12], sum;
  (void)state;
  lw_alert_policy_init(&st);
  make(v, 12, LW_EVENT_SESSION_LEAKED, T0);
  v[11].event_id = LW_EVENT_SESSION_RELEASED;
  assert_int_equal(lw_alert_policy_apply(&st, 8, T0, v, 12, &sum), 0);
  assert_int_equal(count_suppressed(v, 12), 6); /* 6 of 8 for per-session alerts */
  assert_int_equal(v[11].suppressed, 1);
  assert_int_equal(lw_alert_policy_would_send(&st, 8, T0, LW_EVENT_SESSION_LEAKED), 0);
  assert_int_equal(lw_alert_policy_would_send(&st, 8, T0, LW_EVENT_SESSION_IDS_PINNED), 1);
  assert_int_equal(lw_alert_policy_would_send(&st, 8, T0, LW_EVENT_HOLDER_IDENTIFIED), 1);
  make(v, 3, LW_EVENT_SESSION_IDS_PINNED, T0 + MIN);
  v[1].event_id = LW_EVENT_SESSIONS_ACCUMULATING;
  v[2].event_id = LW_EVENT_LOGOFF_STUCK;
  assert_int_equal(lw_alert_policy_apply(&st, 8, T0 + MIN, v, 3, &sum), 0);
  assert_int_equal(v[0].suppressed, 0);
  assert_int_equal(v[1].suppressed, 0);
  assert_int_equal(v[2].suppressed, 1); /* the whole budget is spent now */
  assert_int_equal(st.held, 7);
  /* Below 4 per hour nothing is reserved. */
  assert_int_equal(LW_ALERT_POLICY_RESERVE(3), 0);
  assert_int_equal(LW_ALERT_POLICY_RESERVE(60), 15);
}

/* A held-back state alert (2003, 2004) is remembered until one gets through. */
static void test_state_pending(void **state) {
  struct lw_alert_policy_state st;
  struct lw_alert v[4], sum;
  (void)state;
  lw_alert_policy_init(&st);
  make(v, 4, LW_EVENT_SESSION_IDS_PINNED, T0);
  assert_int_equal(lw_alert_policy_apply(&st, 2, T0, v, 4, &sum), 0);
  assert_int_equal(count_suppressed(v, 4), 2);
  assert_int_equal(st.state_pending, 1);
  make(v, 1, LW_EVENT_SESSION_IDS_CLEARED, T0 + HOUR);
  assert_int_equal(lw_alert_policy_apply(&st, 2, T0 + HOUR, v, 1, &sum), 1);
  lw_alert_clear(&sum);
  assert_int_equal(v[0].suppressed, 0);
  assert_int_equal(st.state_pending, 0);
}

static void test_over_limit_in_order(void **state) {
  struct lw_alert_policy_state st;
  struct lw_alert v[6], sum;
  (void)state;
  lw_alert_policy_init(&st);
  make(v, 6, LW_EVENT_SESSION_RELEASED, T0);
  v[1].event_id = LW_EVENT_HOLDER_IDENTIFIED; /* not counted, never held back */
  v[4].event_id = LW_EVENT_ALERTS_SUPPRESSED;
  assert_int_equal(lw_alert_policy_apply(&st, 3, T0, v, 6, &sum), 0);
  /* 2002, 2007, 2002, 2002 | 2009, 2002: the fourth counted one is held back. */
  assert_int_equal(v[0].suppressed, 0);
  assert_int_equal(v[1].suppressed, 0);
  assert_int_equal(v[2].suppressed, 0);
  assert_int_equal(v[3].suppressed, 0);
  assert_int_equal(v[4].suppressed, 0);
  assert_int_equal(v[5].suppressed, 1);
  assert_int_equal(st.held, 1);
  assert_true(st.held_since == T0);
}

static void test_sliding_window(void **state) {
  struct lw_alert_policy_state st;
  struct lw_alert v[3], sum;
  (void)state;
  lw_alert_policy_init(&st);
  make(v, 3, LW_EVENT_SESSION_LEAKED, T0);
  assert_int_equal(lw_alert_policy_apply(&st, 3, T0, v, 3, &sum), 0);
  assert_int_equal(count_suppressed(v, 3), 0);
  /* 59 minutes later the three still count: a new one is held back. */
  make(v, 1, LW_EVENT_LOGOFF_STUCK, T0 + 59 * MIN + 59999);
  assert_int_equal(lw_alert_policy_apply(&st, 3, T0 + 59 * MIN + 59999, v, 1, &sum), 0);
  assert_int_equal(v[0].suppressed, 1);
  /* At minute 60 the first minute has left the window. */
  make(v, 3, LW_EVENT_LOGOFF_STUCK, T0 + 60 * MIN);
  assert_int_equal(lw_alert_policy_apply(&st, 3, T0 + 60 * MIN, v, 3, &sum), 0);
  assert_int_equal(count_suppressed(v, 3), 0);
  assert_int_equal(lw_alert_policy_sent_in_window(&st, T0 + 60 * MIN), 3);
  /* Spread over the hour: one per 20 minutes never reaches a limit of 3 in any
   * window, while a fixed window would not matter here either: the point is a
   * burst across a clock-hour edge. 3 at 10:59 and 3 at 11:00 -> only 3 pass. */
  lw_alert_policy_init(&st);
  make(v, 3, LW_EVENT_SESSION_LEAKED, T0 + 59 * MIN);
  assert_int_equal(lw_alert_policy_apply(&st, 3, T0 + 59 * MIN, v, 3, &sum), 0);
  assert_int_equal(count_suppressed(v, 3), 0);
  make(v, 3, LW_EVENT_SESSION_LEAKED, T0 + 60 * MIN);
  assert_int_equal(lw_alert_policy_apply(&st, 3, T0 + 60 * MIN, v, 3, &sum), 0);
  assert_int_equal(count_suppressed(v, 3), 3);
}

static void test_summary_once_per_hour(void **state) {
  struct lw_alert_policy_state st;
  struct lw_alert v[10], sum;
  (void)state;
  lw_alert_policy_init(&st);
  make(v, 10, LW_EVENT_SESSION_LEAKED, T0);
  assert_int_equal(lw_alert_policy_apply(&st, 4, T0, v, 10, &sum), 0);
  assert_int_equal(count_suppressed(v, 10), 7); /* 3 of 4: one is kept for 2003-2006 */
  /* More held back during the hour; no summary before the hour is over. The
   * first 2003 takes the reserved one. */
  for (int m = 1; m < 60; m++) {
    make(v, 1, LW_EVENT_SESSION_IDS_PINNED, T0 + m * MIN);
    assert_int_equal(lw_alert_policy_apply(&st, 4, T0 + m * MIN, v, m < 3 ? 1 : 0, &sum), 0);
    assert_int_equal(sum.event_id, 0);
    if (m < 3)
      assert_int_equal(v[0].suppressed, m == 2);
  }
  assert_int_equal(st.held, 8);
  /* One hour after the first held-back alert: the summary, with no new alert. */
  assert_int_equal(lw_alert_policy_apply(&st, 4, T0 + HOUR, NULL, 0, &sum), 1);
  assert_int_equal(sum.event_id, LW_EVENT_ALERTS_SUPPRESSED);
  assert_int_equal(sum.suppressed, 0);
  assert_true(sum.raised_at == T0 + HOUR);
  /* The policy's part: held back, the limit, since when, why now; the detector
   * adds the state of the leaks. */
  assert_int_equal(sum.n_inserts, LW_INSERT_2009_REASON + 1);
  assert_string_equal(sum.inserts[LW_INSERT_2009_HELD_BACK], "8");
  assert_string_equal(sum.inserts[LW_INSERT_2009_MAX_PER_HOUR], "4");
  assert_string_equal(sum.inserts[LW_INSERT_2009_SINCE], "2026-11-21T09:00:00Z");
  assert_string_equal(sum.inserts[LW_INSERT_2009_REASON], "the hour ended");
  assert_int_equal(sum.count, 8);
  assert_int_equal(sum.threshold, 4);
  assert_true(sum.since == T0);
  lw_alert_clear(&sum);
  assert_int_equal(st.held, 0);
  assert_true(st.held_since == LW_TIME_UNKNOWN);
  /* Nothing held since: no more summaries, ever. */
  assert_int_equal(lw_alert_policy_apply(&st, 4, T0 + 3 * HOUR, NULL, 0, &sum), 0);
  assert_int_equal(sum.event_id, 0);
}

static void test_summary_then_new_period(void **state) {
  struct lw_alert_policy_state st;
  struct lw_alert v[5], sum;
  (void)state;
  lw_alert_policy_init(&st);
  make(v, 5, LW_EVENT_SESSIONS_ACCUMULATING, T0);
  assert_int_equal(lw_alert_policy_apply(&st, 2, T0, v, 5, &sum), 0);
  assert_int_equal(st.held, 3);
  /* At the hour, a burst again: the summary covers the old period only, the
   * new held-back alerts open the next one. The window has moved on: 2 pass. */
  make(v, 5, LW_EVENT_SESSIONS_ACCUMULATING, T0 + HOUR);
  assert_int_equal(lw_alert_policy_apply(&st, 2, T0 + HOUR, v, 5, &sum), 1);
  assert_string_equal(sum.inserts[0], "3");
  lw_alert_clear(&sum);
  assert_int_equal(count_suppressed(v, 5), 3);
  assert_int_equal(st.held, 3);
  assert_true(st.held_since == T0 + HOUR);
  assert_int_equal(lw_alert_policy_apply(&st, 2, T0 + 2 * HOUR - 1, NULL, 0, &sum), 0);
  assert_int_equal(lw_alert_policy_apply(&st, 2, T0 + 2 * HOUR, NULL, 0, &sum), 1);
  assert_string_equal(sum.inserts[0], "3");
  lw_alert_clear(&sum);
}

static void test_no_limit(void **state) {
  struct lw_alert_policy_state st;
  struct lw_alert v[100], sum;
  (void)state;
  lw_alert_policy_init(&st);
  make(v, 100, LW_EVENT_SESSION_LEAKED, T0);
  assert_int_equal(lw_alert_policy_apply(&st, 0, T0, v, 100, &sum), 0);
  assert_int_equal(count_suppressed(v, 100), 0);
  assert_int_equal(lw_alert_policy_apply(NULL, 0, T0, v, 1, &sum), LW_EINVAL);
  assert_int_equal(lw_alert_policy_apply(&st, 0, T0, NULL, 1, &sum), LW_EINVAL);
  assert_int_equal(lw_alert_policy_apply(&st, 0, T0, v, 1, NULL), LW_EINVAL);
}

/* Same state and input -> same output: the policy reads no clock of its own. */
static void test_pure(void **state) {
  struct lw_alert_policy_state a, b;
  struct lw_alert va[7], vb[7], sa, sb;
  (void)state;
  /* Padding too is compared below: start from zeroed bytes, copy bytes. */
  memset(&a, 0, sizeof a);
  lw_alert_policy_init(&a);
  make(va, 7, LW_EVENT_SESSION_LEAKED, T0);
  assert_int_equal(lw_alert_policy_apply(&a, 5, T0, va, 7, &sa), 0);
  memcpy(&b, &a, sizeof a);
  make(va, 7, LW_EVENT_SESSION_LEAKED, T0 + HOUR + MIN);
  make(vb, 7, LW_EVENT_SESSION_LEAKED, T0 + HOUR + MIN);
  assert_int_equal(lw_alert_policy_apply(&a, 5, T0 + HOUR + MIN, va, 7, &sa), 1);
  assert_int_equal(lw_alert_policy_apply(&b, 5, T0 + HOUR + MIN, vb, 7, &sb), 1);
  assert_memory_equal(&a, &b, sizeof a);
  for (int i = 0; i < 7; i++)
    assert_int_equal(va[i].suppressed, vb[i].suppressed);
  assert_string_equal(sa.inserts[0], sb.inserts[0]);
  assert_string_equal(sa.inserts[0], "3"); /* 7 raised, 4 of 5 for per-session alerts */
  lw_alert_clear(&sa);
  lw_alert_clear(&sb);
}

static void test_blob_round_trip(void **state) {
  struct lw_alert_policy_state st, back;
  struct lw_alert v[9], sum;
  char *blob = NULL, *blob2 = NULL;
  size_t len = 0, len2 = 0;
  (void)state;
  lw_alert_policy_init(&st);
  for (int m = 0; m < 70; m += 7) {
    make(v, 1, LW_EVENT_SESSION_LEAKED, T0 + m * MIN);
    assert_true(lw_alert_policy_apply(&st, 5, T0 + m * MIN, v, 1, &sum) >= 0);
    lw_alert_clear(&sum);
  }
  assert_int_equal(lw_alert_policy_save(&st, &blob, &len), 0);
  assert_memory_equal(blob, "LWAP\x01", 5); /* nothing pending: version 1, as before */
  lw_alert_policy_init(&back);
  assert_int_equal(lw_alert_policy_load(blob, len, &back), 0);
  assert_int_equal(lw_alert_policy_save(&back, &blob2, &len2), 0);
  assert_int_equal(len, len2);
  assert_memory_equal(blob, blob2, len);
  /* The loaded state behaves the same. */
  assert_int_equal(lw_alert_policy_sent_in_window(&st, T0 + 70 * MIN),
                   lw_alert_policy_sent_in_window(&back, T0 + 70 * MIN));
  assert_int_equal(st.held, back.held);
  assert_true(st.held_since == back.held_since);
  make(v, 9, LW_EVENT_SESSION_LEAKED, T0 + 71 * MIN);
  assert_true(lw_alert_policy_apply(&back, 5, T0 + 71 * MIN, v, 9, &sum) >= 0);
  lw_alert_clear(&sum);
  free(blob);
  free(blob2);
}

static void test_blob_corrupt(void **state) {
  struct lw_alert_policy_state st, back;
  struct lw_alert v[8], sum;
  char *blob = NULL;
  size_t len = 0;
  (void)state;
  lw_alert_policy_init(&st);
  make(v, 8, LW_EVENT_SESSION_LEAKED, T0);
  assert_int_equal(lw_alert_policy_apply(&st, 5, T0, v, 8, &sum), 0);
  st.state_pending = 1; /* version 2: its flag byte last */
  assert_int_equal(lw_alert_policy_save(&st, &blob, &len), 0);
  assert_int_equal(blob[4], 2);
  assert_int_equal(blob[len - 1], 1);
  lw_alert_policy_init(&back);
  back.held = 77;
  for (size_t n = 0; n < len; n++)
    assert_int_not_equal(lw_alert_policy_load(blob, n, &back), 0);
  assert_int_equal(back.held, 77); /* untouched on failure */
  blob[0] = 'X';
  assert_int_equal(lw_alert_policy_load(blob, len, &back), LW_ECORRUPT);
  blob[0] = 'L';
  blob[4] = 3;
  assert_int_equal(lw_alert_policy_load(blob, len, &back), LW_ETOONEW);
  blob[4] = 2;
  blob[len - 1] = 2; /* a flag this version does not know */
  assert_int_equal(lw_alert_policy_load(blob, len, &back), LW_ECORRUPT);
  blob[len - 1] = 0; /* nothing pending is version 1's to say: not canonical */
  assert_int_equal(lw_alert_policy_load(blob, len, &back), LW_ECORRUPT);
  blob[len - 1] = 1;
  assert_int_equal(lw_alert_policy_load(blob, len, &back), 0);
  assert_int_equal(back.state_pending, 1);
  /* Version 1, written before the flags byte, still loads (nothing pending). */
  blob[4] = 1;
  assert_int_equal(lw_alert_policy_load(blob, len - 1, &back), 0);
  assert_int_equal(back.state_pending, 0);
  assert_int_equal(lw_alert_policy_load(blob, len, &back), LW_ECORRUPT);
  blob[4] = 2;
  assert_int_equal(lw_alert_policy_load(blob, len, &back), 0);
  blob[5 + 8] = 0; /* held = 0 with a period open */
  blob[5 + 9] = 0;
  blob[5 + 10] = 0;
  blob[5 + 11] = 0;
  assert_int_equal(lw_alert_policy_load(blob, len, &back), LW_ECORRUPT);
  assert_int_equal(lw_alert_policy_load(NULL, len, &back), LW_EINVAL);
  free(blob);
}

static void test_fields_json(void **state) {
  struct lw_alert a;
  char *json = NULL;
  size_t len = 0;
  (void)state;
  lw_alert_init(&a, LW_EVENT_SESSION_RELEASED, T0);
  a.luid = 0x2a03e6;
  a.user = dup("alice");
  a.domain = dup("CONTOSO");
  a.minutes = 28;
  a.terminal_session = 2;
  assert_int_equal(lw_alert_set_insert(&a, 0, "00000000:002a03e6"), 0);
  assert_int_equal(lw_alert_set_insert(&a, 1, "CONTOSO\\alice"), 0);
  assert_int_equal(lw_alert_set_insert(&a, 2, "28"), 0);
  assert_int_equal(lw_alert_fields_json(&a, &json, &len), 0);
  assert_string_equal(
      json, "{\"event_id\":2002,\"raised_at\":\"2026-11-21T09:00:00Z\",\"suppressed\":false,"
            "\"inserts\":[\"00000000:002a03e6\",\"CONTOSO\\\\alice\",\"28\"],"
            "\"luid\":\"00000000:002a03e6\",\"user\":\"alice\",\"domain\":\"CONTOSO\","
            "\"terminal_session\":2,\"minutes\":28}");
  assert_int_equal(len, strlen(json));
  free(json);
  lw_alert_clear(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_set_insert),
      cmocka_unit_test(test_rate_limited_events),
      cmocka_unit_test(test_under_limit_all_pass),
      cmocka_unit_test(test_reserved_share),
      cmocka_unit_test(test_state_pending),
      cmocka_unit_test(test_over_limit_in_order),
      cmocka_unit_test(test_sliding_window),
      cmocka_unit_test(test_summary_once_per_hour),
      cmocka_unit_test(test_summary_then_new_period),
      cmocka_unit_test(test_no_limit),
      cmocka_unit_test(test_pure),
      cmocka_unit_test(test_blob_round_trip),
      cmocka_unit_test(test_blob_corrupt),
      cmocka_unit_test(test_fields_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
