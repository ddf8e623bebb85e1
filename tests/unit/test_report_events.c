/*
 * Unit tests for report_events.c (`leakwatch events`): the alerts as Event
 * Viewer's text, JSON and CSV, and the token holders (latest scan of each
 * process, grouped by logon session), read from a small history written
 * through the store. argv[1]: a folder for temporary files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csv_writer.h"
#include "error.h"
#include "report_events.h"
#include "store.h"
#include "store_testlib.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */
#define MIN_MS INT64_C(60000)

/* The Event Log's levels of the two events used here; others unknown. */
static const char *level_of(uint32_t event_id) {
  return event_id == 2001 ? "warning" : event_id == 2003 ? "error" : "unknown";
}

static void poll_at(struct lw_store *st, int64_t t) {
  struct lw_store_poll_result res;
  struct lw_snapshot *s = lw_snapshot_new();
  assert_non_null(s);
  s->taken_at = t;
  s->boot_time = T0 - 3600000;
  lw_snapshot_finish(s);
  if (lw_store_record_poll(st, s, &res) != 0)
    fail_msg("record: %s", res.message);
  lw_snapshot_free(s);
}

static void holder(struct lw_store *st, uint64_t luid, int64_t at, uint32_t pid, const char *image,
                   const char *services, uint32_t tokens, uint32_t held_by) {
  struct lw_store_holder h;
  memset(&h, 0, sizeof h);
  h.luid = luid;
  h.scanned_at = at;
  h.pid = pid;
  h.image = image;
  h.services = services;
  h.tokens = tokens;
  h.exited_process = held_by != 0;
  h.held_by_pid = held_by;
  assert_int_equal(lw_store_add_holder(st, &h), 0);
}

/* Two alerts (the second held back by the rate limit, its message with a
 * line break and an ESC) and three processes' holder scans, one scanned twice. */
static const char *make_history(int with_rows) {
  static char path[1100];
  struct lw_store *st = NULL;
  struct lw_store_alert a;
  char err[256];
  snprintf(path, sizeof path, "%s", tl_path(with_rows ? "events.db" : "events-empty.db"));
  remove(path);
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  poll_at(st, T0);
  if (with_rows) {
    memset(&a, 0, sizeof a);
    a.raised_at = T0 + 1000;
    a.event_id = 2001;
    a.message = "Logon session 00000000:0004a1f2 (CONTOSO\\alice) has leaked.";
    a.fields_json = "{\"user\":\"alice\",\"luid\":\"00000000:0004a1f2\"}";
    a.luid = 0x4a1f2;
    a.user = "alice";
    a.domain = "CONTOSO";
    a.terminal_session = 2;
    a.logged = true;
    assert_int_equal(lw_store_add_alert(st, &a), 0);
    a.raised_at = T0 + 2000;
    a.event_id = 2003;
    a.message = "Pinned:\nby \x1b[31mevil";
    a.fields_json = NULL;
    a.suppressed = true;
    a.luid = 0;
    a.user = a.domain = NULL;
    a.terminal_session = -1;
    a.logged = false;
    assert_int_equal(lw_store_add_alert(st, &a), 0);
    holder(st, 0x4a1f2, T0, 4412, "C:\\Tools\\TokenGrabber.exe", "TokenGrabber", 5, 0);
    holder(st, 0x4a1f2, T0 + MIN_MS, 4412, "C:\\Tools\\TokenGrabber.exe", "TokenGrabber", 3, 0);
    holder(st, 0x4a1f2, T0 + MIN_MS, 5000, NULL, NULL, 1, 4412);
    holder(st, 0x3b000, T0 + MIN_MS, 700, "C:\\Windows\\svchost.exe", "=cmd", 2, 0);
  }
  poll_at(st, T0 + 2 * MIN_MS);
  assert_int_equal(lw_store_close(st, NULL), 0);
  return path;
}

/* Prints q of db into a file and returns what it wrote (malloc'd); the
 * printer must return want_rc. */
static char *run(const char *db, struct lw_events_query *q, int want_rc) {
  char err[256] = "";
  struct lw_store *st = tl_open_read_only(db);
  FILE *f = tl_out_begin("events-out.txt");
  char *text;
  int rc;

  assert_non_null(st);
  assert_non_null(f);
  q->level_of = level_of;
  q->db = "C:\\h.db";
  rc = lw_events_print(st, q, f, err, sizeof err);
  text = tl_out_end(f);
  lw_store_close(st, NULL);
  if (rc != want_rc)
    fail_msg("lw_events_print = %d (%s), want %d", rc, err, want_rc);
  assert_non_null(text);
  return text;
}

static void query(struct lw_events_query *q, enum lw_report_format format, bool holders_only) {
  memset(q, 0, sizeof *q);
  q->since = q->until = LW_TIME_UNKNOWN;
  q->format = format;
  q->csv_flags = LW_CSV_LF;
  q->holders_only = holders_only;
}

static void expect_text(char *got, const char *want) {
  if (strcmp(got, want) != 0)
    fail_msg("output:\n%s\nwant:\n%s", got, want);
  free(got);
}

static void test_text(void **state) {
  struct lw_events_query q;
  (void)state;
  query(&q, LW_REPORT_TABLE, false);
  expect_text(run(make_history(1), &q, 0),
              "Log Name:      Application\n"
              "Source:        LeakWatch\n"
              "Date:         2026-11-21T09:00:01Z\n"
              "Event ID:      2001\n"
              "Level:         Warning\n"
              "Description:\n"
              "Logon session 00000000:0004a1f2 (CONTOSO\\alice) has leaked.\n\n"
              "Log Name:      Application\n"
              "Source:        LeakWatch\n"
              "Date:         2026-11-21T09:00:02Z (held back by alerts.max_per_hour: not in the "
              "Event Log)\n"
              "Event ID:      2003\n"
              "Level:         Error\n"
              "Description:\n"
              "Pinned:\nby \\x1b[31mevil\n\n"
              "Token holders found by LeakWatch's scans\n"
              "(latest scan of each process; `leakwatch holders` scans now)\n"
              "\nLogon session 00000000:0003b000 (boot 1):\n"
              "  svchost.exe (PID 700), services: =cmd, tokens: 2, scanned 2026-11-21T09:01:00Z\n"
              "\nLogon session 00000000:0004a1f2 (boot 1):\n"
              "  TokenGrabber.exe (PID 4412), services: TokenGrabber, tokens: 3, scanned "
              "2026-11-21T09:01:00Z\n"
              "  exited (image unknown) (PID 5000), held open by PID 4412, services: -, tokens: 1, "
              "scanned 2026-11-21T09:01:00Z\n");
  /* --user: that user's alerts (NAME or DOMAIN\NAME, any case), no holders. */
  q.user = "contoso\\ALICE";
  expect_text(run(make_history(1), &q, 0),
              "Log Name:      Application\n"
              "Source:        LeakWatch\n"
              "Date:         2026-11-21T09:00:01Z\n"
              "Event ID:      2001\n"
              "Level:         Warning\n"
              "Description:\n"
              "Logon session 00000000:0004a1f2 (CONTOSO\\alice) has leaked.\n\n");
  q.user = "alice";
  {
    char *out = run(make_history(1), &q, 0);
    assert_non_null(strstr(out, "Event ID:      2001\n"));
    free(out);
  }
  q.user = "OTHER\\alice";
  expect_text(run(make_history(1), &q, 0), "No alerts about that user in C:\\h.db.\n");
  q.user = NULL;
  /* Nothing kept: each part says so. */
  expect_text(run(make_history(0), &q, 0), "No alerts in C:\\h.db.\n");
  query(&q, LW_REPORT_TABLE, true);
  expect_text(run(make_history(0), &q, 0), "No token holders in C:\\h.db.\n");
}

static void test_json(void **state) {
  struct lw_events_query q;
  (void)state;
  query(&q, LW_REPORT_JSON, false);
  expect_text(
      run(make_history(1), &q, 0),
      "[\n"
      "  {\n"
      "    \"raised_at\": \"2026-11-21T09:00:01Z\",\n"
      "    \"event_id\": 2001,\n"
      "    \"level\": \"warning\",\n"
      "    \"suppressed\": false,\n"
      "    \"message\": \"Logon session 00000000:0004a1f2 (CONTOSO\\\\alice) has leaked.\",\n"
      "    \"luid\": \"00000000:0004a1f2\",\n"
      "    \"user\": \"alice\",\n"
      "    \"domain\": \"CONTOSO\",\n"
      "    \"terminal_session\": 2,\n"
      "    \"logged\": true\n"
      "  },\n"
      "  {\n"
      "    \"raised_at\": \"2026-11-21T09:00:02Z\",\n"
      "    \"event_id\": 2003,\n"
      "    \"level\": \"error\",\n"
      "    \"suppressed\": true,\n"
      "    \"message\": \"Pinned:\\u000aby \\u001b[31mevil\",\n"
      "    \"luid\": null,\n"
      "    \"user\": null,\n"
      "    \"domain\": null,\n"
      "    \"terminal_session\": null,\n"
      "    \"logged\": false\n"
      "  }\n"
      "]\n");
  /* --since past every alert: an empty array. */
  q.since = T0 + 3000;
  expect_text(run(make_history(1), &q, 0), "[]\n");
}

static void test_csv(void **state) {
  struct lw_events_query q;
  (void)state;
  query(&q, LW_REPORT_CSV, false);
  expect_text(
      run(make_history(1), &q, 0),
      "raised_at,event_id,level,suppressed,message,luid,user,domain,terminal_session,"
      "logged\n"
      "2026-11-21T09:00:01Z,2001,warning,no,Logon session 00000000:0004a1f2 "
      "(CONTOSO\\alice) has leaked.,00000000:0004a1f2,alice,CONTOSO,2,yes\n"
      "2026-11-21T09:00:02Z,2003,error,yes,\"Pinned:\nby \x1b[31mevil\",\"\",\"\",\"\",\"\",no\n");
  /* The holders alone (an unknown image or no services: an empty quoted
   * text); a text that a spreadsheet would run gets its apostrophe unless
   * --csv-exact. */
  query(&q, LW_REPORT_CSV, true);
  expect_text(
      run(make_history(1), &q, 0),
      "boot_id,luid,pid,image,services,tokens,exited_process,held_by_pid,scanned_at\n"
      "1,00000000:0003b000,700,C:\\Windows\\svchost.exe,\"'=cmd\",2,no,\"\",2026-11-21T09:01:00Z\n"
      "1,00000000:0004a1f2,4412,C:\\Tools\\TokenGrabber.exe,TokenGrabber,3,no,\"\","
      "2026-11-21T09:01:00Z\n"
      "1,00000000:0004a1f2,5000,\"\",\"\",1,yes,4412,2026-11-21T09:01:00Z\n");
  q.csv_flags = LW_CSV_EXACT;
  {
    char *out = run(make_history(1), &q, 0);
    assert_non_null(strstr(out, "svchost.exe,=cmd,2,"));
    free(out);
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_csv),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
