/*
 * Unit tests for report_status.c (`leakwatch status`): the verdict and its
 * exit code (OK, leaks open, not polling, unknown), the pinned ID ranges, the
 * highest ID against live sessions from the last poll's figures, the oldest
 * leak, as text and JSON, read from a small history written through the
 * store. argv[1]: a folder for temporary files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ack.h"
#include "error.h"
#include "report_status.h"
#include "luid.h"
#include "store.h"
#include "store_testlib.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */
#define MIN_MS INT64_C(60000)

/* A poll of a host whose WTS sessions are 1 and 152 (and a listener, 65536). */
static void poll_at(struct lw_store *st, int64_t t, bool figures) {
  struct lw_store_poll_result res;
  struct lw_snapshot *s = lw_snapshot_new();
  static const uint32_t ids[] = {1, 152, 65536};
  assert_non_null(s);
  s->taken_at = t;
  s->boot_time = T0 - 3600000;
  for (size_t i = 0; i < 3; i++) {
    struct lw_wts_session *w = lw_snapshot_add_wts(s);
    assert_non_null(w);
    w->id = ids[i];
    w->state = i == 2 ? LW_WTS_LISTEN : LW_WTS_ACTIVE;
  }
  lw_snapshot_finish(s);
  if (figures) {
    struct lw_store_poll_figures f = {2, 6, 1, 5, 152};
    assert_int_equal(lw_store_set_poll_figures(st, &f), 0);
  }
  if (lw_store_record_poll(st, s, &res) != 0)
    fail_msg("record: %s", res.message);
  lw_snapshot_free(s);
}

static void leak(struct lw_store *st, uint64_t luid, const char *user, uint32_t session, int64_t at,
                 bool system, uint64_t with) {
  struct lw_store_leak l;
  memset(&l, 0, sizeof l);
  l.luid = luid;
  l.user = user;
  l.domain = system ? "Window Manager" : "CONTOSO";
  l.logon_type = 10;
  l.terminal_session = session;
  l.logon_time = LW_TIME_UNKNOWN;
  l.orphan_seen_at = at - 5 * MIN_MS;
  l.session_ended_at = l.orphan_seen_at;
  l.leaked_at = at;
  l.system = system;
  l.with_luid = with;
  l.end_seen = 1;
  assert_int_equal(lw_store_open_leak(st, &l), 0);
}

/* Leaks pinning 2-4 and 7 (one with its DWM), one on 152, which a live
 * session has (not pinned), and one released; the last poll at T0 + 2 min. */
static const char *make_history(int leaks, bool figures) {
  static char path[1100];
  struct lw_store *st = NULL;
  char err[256];
  snprintf(path, sizeof path, "%s", tl_path(leaks ? "status.db" : "status-clean.db"));
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  poll_at(st, T0, figures);
  if (leaks) {
    leak(st, 0x900, "dave", 9, T0, false, 0);
    leak(st, 0x300, "carol", 3, T0 + 1000, false, 0);
    leak(st, 0x200, "alice", 2, T0, false, 0);
    leak(st, 0x201, "DWM-2", 2, T0, true, 0x200);
    leak(st, 0x400, "bob\x1b[31m", 4, T0 + 1000, false, 0);
    leak(st, 0x700, "erin", 7, T0 + 2000, false, 0);
    leak(st, 0x152, "frank", 152, T0 + 2000, false, 0);
  }
  poll_at(st, T0 + MIN_MS, figures);
  if (leaks)
    assert_int_equal(lw_store_release_leak(st, 0x900, T0 + 2 * MIN_MS), 0);
  poll_at(st, T0 + 2 * MIN_MS, figures);
  assert_int_equal(lw_store_close(st, NULL), 0);
  return path;
}

static void query(struct lw_status_query *q, enum lw_report_format format, int64_t now) {
  memset(q, 0, sizeof *q);
  q->format = format;
  q->db = "C:\\h.db";
  q->service_state = "running";
  q->service_known = q->service_running = true;
  q->now = now;
  q->poll_interval_ms = MIN_MS;
  q->interval_from = "the default";
}

/* Runs the status of db (NULL: unreadable) into a string (malloc'd). */
static char *run(const char *db, const struct lw_status_query *q, enum lw_check want) {
  struct lw_store *st = db != NULL ? tl_open_read_only(db) : NULL;
  FILE *f = tl_out_begin("status-out.txt");
  enum lw_check got;
  char *text;

  assert_true(db == NULL || st != NULL);
  assert_non_null(f);
  got = lw_status_print(st, q, f);
  text = tl_out_end(f);
  lw_store_close(st, NULL);
  assert_non_null(text);
  if (got != want)
    fail_msg("verdict %d, want %d:\n%s", (int)got, (int)want, text);
  return text;
}

static void expect_has(char *out, const char *part) {
  if (strstr(out, part) == NULL)
    fail_msg("'%s' is not in:\n%s", part, out);
}

static void test_leaks_open(void **state) {
  struct lw_status_query q;
  char *out;
  (void)state;
  query(&q, LW_REPORT_TABLE, T0 + 3 * MIN_MS);
  out = run(make_history(1, true), &q, LW_CHECK_LEAKS);
  if (strcmp(out, "LeakWatch status: LEAKS OPEN (exit code 1)\n"
                  "service:      running\n"
                  "database:     C:\\h.db\n"
                  "last poll:    2026-11-21T09:02:00Z, 60 s ago\n"
                  "poll every:   60 s (the default); not polling after 180 s\n"
                  "open leaks:   5 (6 leaked logon sessions, DWM/UMFD included)\n"
                  "oldest leak:  00000000:00000200 CONTOSO\\alice, session 2, leaked at "
                  "2026-11-21T09:00:00Z\n"
                  "pinned IDs:   4: 2-4, 7\n"
                  "highest ID:   152, live sessions: 2 (poll of 2026-11-21T09:02:00Z)\n") != 0)
    fail_msg("got:\n%s", out);
  free(out);
  query(&q, LW_REPORT_JSON, T0 + 3 * MIN_MS);
  out = run(make_history(1, true), &q, LW_CHECK_LEAKS);
  expect_has(out, "\"status\": \"leaks open\",\n  \"exit_code\": 1,");
  expect_has(out, "\"polling\": true,");
  expect_has(out, "\"poll_interval_ms\": 60000,\n  \"poll_interval_from\": \"the default\",");
  expect_has(out, "\"last_poll\": \"2026-11-21T09:02:00Z\",\n  \"last_poll_age_seconds\": 60,");
  expect_has(out, "\"open_leaks\": 5,\n  \"leaked_logon_sessions\": 6,");
  expect_has(out, "\"luid\": \"00000000:00000200\",\n    \"user\": \"alice\",");
  expect_has(out, "\"pinned_ids\": 4,\n  \"pinned_ranges\": \"2-4, 7\",");
  expect_has(out, "\"highest_session_id\": 152,\n  \"live_sessions\": 2,");
  expect_has(out, "\"error\": null,\n  \"acknowledged_leaks\": 0,\n  \"ignored_leaks\": 0\n}\n");
  free(out);
}

/* Stopped, or the last poll older than 3 intervals: not polling, whatever
 * leaked (the figures are stale). */
static void test_not_polling(void **state) {
  struct lw_status_query q;
  char *out;
  (void)state;
  query(&q, LW_REPORT_TABLE, T0 + 2 * MIN_MS + 3 * MIN_MS + 1000);
  out = run(make_history(1, true), &q, LW_CHECK_NOT_POLLING);
  expect_has(out, "LeakWatch status: NOT POLLING (exit code 2)\n");
  free(out);
  query(&q, LW_REPORT_JSON, T0 + 3 * MIN_MS);
  q.service_state = "stopped";
  q.service_running = false;
  out = run(make_history(1, true), &q, LW_CHECK_NOT_POLLING);
  expect_has(out, "\"status\": \"not polling\",\n  \"exit_code\": 2,");
  expect_has(out, "\"service\": \"stopped\",");
  expect_has(out, "\"polling\": false,");
  expect_has(out, "\"open_leaks\": 5,");
  free(out);
  /* A short interval: not polling only after a minute, whatever the interval. */
  query(&q, LW_REPORT_TABLE, T0 + 2 * MIN_MS + 59000);
  q.poll_interval_ms = 300;
  out = run(make_history(1, true), &q, LW_CHECK_LEAKS);
  expect_has(out, "not polling after 60 s\n");
  free(out);
  query(&q, LW_REPORT_TABLE, T0 + 2 * MIN_MS + 60001);
  q.poll_interval_ms = 300;
  out = run(make_history(1, true), &q, LW_CHECK_NOT_POLLING);
  free(out);
  /* The SCM could not be asked: the age of the last poll decides. */
  query(&q, LW_REPORT_TABLE, T0 + 3 * MIN_MS);
  q.service_state = "unknown";
  q.service_known = q.service_running = false;
  q.service_detail = "OpenSCManagerW failed: Access is denied.";
  out = run(make_history(1, true), &q, LW_CHECK_LEAKS);
  expect_has(out, "service:      unknown (OpenSCManagerW failed: Access is denied.)\n");
  free(out);
}

static void test_ok_and_unknown(void **state) {
  struct lw_status_query q;
  char *out;
  (void)state;
  query(&q, LW_REPORT_TABLE, T0 + 3 * MIN_MS);
  out = run(make_history(0, false), &q, LW_CHECK_OK);
  expect_has(out, "LeakWatch status: OK (exit code 0)\n");
  expect_has(out, "open leaks:   0 (0 leaked logon sessions");
  expect_has(out, "pinned IDs:   0\n");
  /* No poll with figures (a database of schema 4's time). */
  expect_has(out, "highest ID:   not recorded");
  free(out);
  query(&q, LW_REPORT_JSON, T0 + 3 * MIN_MS);
  out = run(make_history(0, false), &q, LW_CHECK_OK);
  expect_has(out, "\"oldest_leak\": null,");
  expect_has(out, "\"highest_session_id\": null,");
  free(out);
  /* The database cannot be read: unknown, and why. */
  q.db_error = "C:\\h.db: no history database there";
  out = run(NULL, &q, LW_CHECK_UNKNOWN);
  expect_has(out, "\"status\": \"unknown\",\n  \"exit_code\": 3,");
  expect_has(out, "\"open_leaks\": null,");
  expect_has(out, "\"error\": \"C:\\\\h.db: no history database there\"");
  free(out);
  query(&q, LW_REPORT_TABLE, T0 + 3 * MIN_MS);
  q.db_error = "C:\\h.db: no history database there";
  out = run(NULL, &q, LW_CHECK_UNKNOWN);
  expect_has(out, "LeakWatch status: UNKNOWN (exit code 3)\n");
  expect_has(out, "error:        C:\\h.db: no history database there\n");
  free(out);
}

/* Scattered pinned IDs: the text line is cut at a range to fit 120 columns,
 * JSON has them all. */
static void test_many_ranges(void **state) {
  static char path[1100];
  struct lw_store *st = NULL;
  struct lw_status_query q;
  char err[256], *out, *line, *end;
  (void)state;
  snprintf(path, sizeof path, "%s", tl_path("status-ranges.db"));
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  poll_at(st, T0, true);
  for (uint32_t id = 1000; id < 1100; id += 2)
    leak(st, 0x10000 + id, "u", id, T0, false, 0);
  poll_at(st, T0 + MIN_MS, true);
  assert_int_equal(lw_store_close(st, NULL), 0);
  query(&q, LW_REPORT_TABLE, T0 + MIN_MS);
  out = run(path, &q, LW_CHECK_LEAKS);
  line = strstr(out, "pinned IDs:   50: 1000, 1002, ");
  assert_non_null(line);
  end = strchr(line, '\n');
  assert_non_null(end);
  assert_true(end - line <= 120);
  assert_memory_equal(end - 5, ", ...", 5);
  free(out);
  query(&q, LW_REPORT_JSON, T0 + MIN_MS);
  out = run(path, &q, LW_CHECK_LEAKS);
  expect_has(out, ", 1096, 1098\",");
  free(out);
}

/* A name is escaped for the terminal in the text. */
static void test_escaped(void **state) {
  static char path[1100];
  struct lw_store *st = NULL;
  struct lw_status_query q;
  char err[256], *out;
  (void)state;
  snprintf(path, sizeof path, "%s", tl_path("status-esc.db"));
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  poll_at(st, T0, true);
  leak(st, 0x400, "bob\x1b[31m", 4, T0, false, 0);
  poll_at(st, T0 + MIN_MS, true);
  assert_int_equal(lw_store_close(st, NULL), 0);
  query(&q, LW_REPORT_TABLE, T0 + MIN_MS);
  out = run(path, &q, LW_CHECK_LEAKS);
  expect_has(out, "CONTOSO\\bob\\x1b[31m, session 4");
  free(out);
}

/* Known leaks (issue 15): counted apart, and only the others give exit code
 * 1; when every open leak is known, 0. An expired acknowledgement covers
 * nothing. */
static void test_known_leaks(void **state) {
  struct lw_status_query q;
  struct lw_ack_set ignores;
  struct lw_ack a;
  char err[512], db[1100], *out;
  int64_t id = 0;
  (void)state;
  snprintf(db, sizeof db, "%s", make_history(1, true));
  memset(&a, 0, sizeof a);
  a.reason = (char *)"vendor case 4711";
  a.created_at = T0;
  a.expires_at = LW_TIME_UNKNOWN;
  a.kind = LW_ACK_USER;
  a.target = (char *)"contoso\\ALICE";
  assert_int_equal(lw_store_ack_add(db, &a, 1000, &id, err, sizeof err), 0);
  a.target = (char *)"CONTOSO\\carol";
  a.expires_at = T0; /* expired */
  assert_int_equal(lw_store_ack_add(db, &a, 1000, &id, err, sizeof err), 0);
  lw_ack_set_init(&ignores);
  assert_int_equal(lw_ack_set_add_names(&ignores, LW_ACK_USER, "CONTOSO\\erin\nCONTOSO\\frank"), 0);
  query(&q, LW_REPORT_TABLE, T0 + 3 * MIN_MS);
  q.ignores = &ignores;
  out = run(db, &q, LW_CHECK_LEAKS); /* carol and bob are nobody's */
  expect_has(out, "open leaks:   5 (6 leaked logon sessions, DWM/UMFD included)\n"
                  "known leaks:  1 acknowledged, 2 ignored by the configuration (not counted for "
                  "the exit code)\n");
  free(out);
  a.target = (char *)"CONTOSO\\carol";
  a.expires_at = LW_TIME_UNKNOWN;
  assert_int_equal(lw_store_ack_add(db, &a, 1000, &id, err, sizeof err), 0);
  a.kind = LW_ACK_LUID;
  a.target = (char *)"00000000:00000400";
  assert_int_equal(lw_luid_parse(a.target, &a.luid), 0);
  assert_int_equal(lw_store_ack_add(db, &a, 1000, &id, err, sizeof err), 0);
  query(&q, LW_REPORT_JSON, T0 + 3 * MIN_MS);
  q.ignores = &ignores;
  out = run(db, &q, LW_CHECK_OK);
  expect_has(out, "\"status\": \"ok\",\n  \"exit_code\": 0,");
  expect_has(out, "\"open_leaks\": 5,");
  expect_has(out, "\"acknowledged_leaks\": 3,\n  \"ignored_leaks\": 2\n}\n");
  free(out);
  lw_ack_set_free(&ignores);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_leaks_open),     cmocka_unit_test(test_not_polling),
      cmocka_unit_test(test_ok_and_unknown), cmocka_unit_test(test_many_ranges),
      cmocka_unit_test(test_escaped),        cmocka_unit_test(test_known_leaks),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
