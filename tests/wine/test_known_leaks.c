/*
 * Tests for service/known_leaks.c: the known leaks the service applies at each
 * poll. A history written by lw_store_ack_add (as `leakwatch ack` does beside
 * the service) is read only when it changed; events 1007 (taken up, with the
 * open leaks it covers), 1008 (removed) and 1009 (expired) are raised once
 * each with their insertion strings; the ended entries are handed on for
 * lw_detect_realert; the configuration's ignore: entries join the set; and an
 * acknowledgement that expired while the service was stopped ends at the
 * first poll after the restart.
 */
#include <windows.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ack.h"
#include "config.h"
#include "detect.h"
#include "error.h"
#include "known_leaks.h"
#include "messages.h"
#include "store.h"
#include "timefmt.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */
#define MIN_MS INT64_C(60000)
#define DB "test_known_leaks.db"

/* The events raised, as "ID|%1|%2|...". */
static char events[16][512];
static size_t n_events;

static void record(void *ctx, uint32_t msg_id, unsigned n, const char *const strings[]) {
  (void)ctx;
  assert_true(n_events < 16);
  size_t len =
      (size_t)snprintf(events[n_events], sizeof events[0], "%u", (unsigned)(msg_id & 0xFFFF));
  for (unsigned i = 0; i < n; i++)
    len += (size_t)snprintf(events[n_events] + len, sizeof events[0] - len, "|%s", strings[i]);
  n_events++;
}

static void add(int kind, const char *target, int64_t expires, int64_t want_id) {
  struct lw_ack a;
  char err[512];
  int64_t id = 0;
  memset(&a, 0, sizeof a);
  a.kind = kind;
  a.target = (char *)target;
  a.reason = (char *)"vendor case 4711";
  a.created_at = T0;
  a.created_by = (char *)"CONTOSO\\admin";
  a.expires_at = expires;
  if (lw_store_ack_add(DB, &a, 1000, &id, err, sizeof err) != 0)
    fail_msg("lw_store_ack_add: %s", err);
  assert_int_equal(id, want_id);
}

/* A detector state with alice's open leak (LUID 0x2a), last polled at `last`. */
static void leaked_state(struct lw_detect_state *st, struct lw_detect_logon *alice, int64_t last) {
  lw_detect_state_init(st);
  memset(alice, 0, sizeof *alice);
  alice->luid = 0x2a;
  alice->terminal_session = 2;
  alice->first_seen = T0 - 30 * MIN_MS;
  alice->instance = T0 - 30 * MIN_MS;
  alice->orphaned_since = T0 - 20 * MIN_MS;
  alice->leaked_at = T0 - 10 * MIN_MS;
  alice->user = "alice";
  alice->domain = "CONTOSO";
  st->logons = alice;
  st->n_logons = 1;
  st->last_poll = last;
}

static void expect_events(size_t n, ...) {
  va_list ap;
  if (n_events != n) {
    for (size_t i = 0; i < n_events; i++)
      print_message("event: %s\n", events[i]);
    fail_msg("%zu events, want %zu", n_events, n);
  }
  va_start(ap, n);
  for (size_t i = 0; i < n; i++) {
    const char *want = va_arg(ap, const char *);
    if (strcmp(events[i], want) != 0)
      fail_msg("event %zu: '%s', want '%s'", i, events[i], want);
  }
  va_end(ap);
  n_events = 0;
}

static void test_refresh(void **state) {
  struct lw_store *st = NULL;
  struct lw_detect_state det;
  struct lw_detect_logon alice;
  struct lw_known_leaks k;
  struct lw_config cfg;
  char err[512];
  (void)state;
  DeleteFileA(DB);
  assert_int_equal(lw_store_open(DB, NULL, &st, NULL, err, sizeof err), 0);
  lw_config_defaults(&cfg);
  cfg.ignore_users = "CONTOSO\\bob";
  leaked_state(&det, &alice, T0);
  memset(&k, 0, sizeof k); /* a zeroed one is empty, as the monitor's calloc */

  add(LW_ACK_USER, "contoso\\ALICE", T0 + 10 * MIN_MS, 1);
  add(LW_ACK_LUID, "00000000:00000099", LW_TIME_UNKNOWN, 2);
  lw_known_refresh(&k, st, &cfg, &det, T0 + MIN_MS, record, NULL);
  expect_events(2,
                "1007|1|user|contoso\\ALICE|vendor case 4711|2026-11-21T09:10:00Z|"
                "CONTOSO\\admin|1",
                "1007|2|luid|00000000:00000099|vendor case 4711|never|CONTOSO\\admin|0");
  assert_int_equal(k.in_force.n, 3); /* the two, then ignore.users */
  assert_int_equal(k.in_force.v[2].id, 0);
  assert_int_equal(k.ended.n, 0);

  /* Nothing changed: nothing said, nothing read. */
  lw_known_refresh(&k, st, &cfg, &det, T0 + 2 * MIN_MS, record, NULL);
  expect_events(0);

  /* Removed: 1008, and handed on (its leak: none open). */
  assert_int_equal(lw_store_ack_remove(DB, 2, 1000, NULL, err, sizeof err), 0);
  lw_known_refresh(&k, st, &cfg, &det, T0 + 3 * MIN_MS, record, NULL);
  expect_events(1, "1008|2|luid|00000000:00000099|vendor case 4711|0");
  assert_int_equal(k.ended.n, 1);
  assert_int_equal(k.in_force.n, 2);

  /* Expired: 1009 once, alice's leak alerting again. */
  lw_known_refresh(&k, st, &cfg, &det, T0 + 10 * MIN_MS, record, NULL);
  expect_events(1, "1009|1|user|contoso\\ALICE|2026-11-21T09:10:00Z|1");
  assert_int_equal(k.ended.n, 1);
  assert_true(k.ended.v[0].expires_at == LW_TIME_UNKNOWN); /* for lw_detect_realert */
  lw_known_refresh(&k, st, &cfg, &det, T0 + 11 * MIN_MS, record, NULL);
  expect_events(0);
  assert_int_equal(k.ended.n, 0);
  lw_known_free(&k);

  /* A restart: the service stopped at T0 + 12 min (its detector's last
   * poll); ack 3 expired at T0 + 20 while it was stopped. */
  add(LW_ACK_USER, "CONTOSO\\alice", T0 + 20 * MIN_MS, 3);
  det.last_poll = T0 + 12 * MIN_MS;
  lw_store_close(st, NULL);
  assert_int_equal(lw_store_open(DB, NULL, &st, NULL, err, sizeof err), 0);
  lw_known_init(&k);
  lw_known_refresh(&k, st, &cfg, &det, T0 + 30 * MIN_MS, record, NULL);
  expect_events(1, "1009|3|user|CONTOSO\\alice|2026-11-21T09:20:00Z|1");
  assert_int_equal(k.ended.n, 1);
  lw_known_free(&k);
  lw_store_close(st, NULL);
  det.logons = NULL; /* on the stack */
  det.n_logons = 0;
  lw_detect_state_free(&det);
  DeleteFileA(DB);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refresh),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
