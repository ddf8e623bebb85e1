/*
 * Unit tests for report_leaks.c (`leakwatch leaks`): open leaks and the
 * episodes of a range, one row per user logon session with its DWM/UMFD
 * folded in, holders of the latest scan, as a table that fits 120 columns,
 * JSON and CSV, read from a small history written through the store.
 * argv[1]: a folder for temporary files.
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
#include "ack.h"
#include "error.h"
#include "report_leaks.h"
#include "store.h"
#include "store_testlib.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */
#define MIN_MS INT64_C(60000)

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

static void leak(struct lw_store *st, uint64_t luid, const char *domain, const char *user,
                 uint32_t session, int64_t at, bool system, uint64_t with, int end_seen) {
  struct lw_store_leak l;
  memset(&l, 0, sizeof l);
  l.luid = luid;
  l.user = user;
  l.domain = domain;
  l.logon_type = system ? 2 : 10;
  l.terminal_session = session;
  l.logon_time = T0 - 3600000;
  l.orphan_seen_at = at - 5 * MIN_MS;
  l.session_ended_at = end_seen == 1 ? l.orphan_seen_at : LW_TIME_UNKNOWN;
  l.leaked_at = at;
  l.system = system;
  l.with_luid = with;
  l.end_seen = end_seen;
  assert_int_equal(lw_store_open_leak(st, &l), 0);
}

static void holder(struct lw_store *st, uint64_t luid, int64_t at, uint32_t pid,
                   const char *image) {
  struct lw_store_holder h;
  memset(&h, 0, sizeof h);
  h.luid = luid;
  h.scanned_at = at;
  h.pid = pid;
  h.image = image;
  h.services = image != NULL ? "=cmd" : NULL;
  h.tokens = 2;
  assert_int_equal(lw_store_add_holder(st, &h), 0);
}

/* alice (session 2) leaked with DWM-2 and UMFD-2; bob (session 3, a name
 * with an ESC and far too long for the table); DWM-5 leaked alone; carol
 * leaked and was released. alice's holders were scanned twice: only the
 * latest scan counts. */
static const char *make_history(int with_rows) {
  static char path[1100];
  struct lw_store *st = NULL;
  char err[256];
  snprintf(path, sizeof path, "%s", tl_path(with_rows ? "leaks.db" : "leaks-empty.db"));
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  poll_at(st, T0);
  if (with_rows) {
    leak(st, 0x500, "CONTOSO", "carol", 4, T0, false, 0, 1);
    leak(st, 0x4a1f2, "CONTOSO", "alice", 2, T0 + MIN_MS, false, 0, 1);
    leak(st, 0x4a200, "Window Manager", "DWM-2", 2, T0 + MIN_MS, true, 0x4a1f2, 1);
    leak(st, 0x4a201, "Font Driver Host", "UMFD-2", 2, T0 + MIN_MS, true, 0x4a1f2, 1);
    leak(st, 0x600, "CONTOSO",
         "bob\x1b[31m-with-a-very-long-name-that-does-not-fit-in-any-table-column-at-all", 3,
         T0 + MIN_MS, false, 0, 0);
    leak(st, 0x700, "Window Manager", "DWM-5", 5, T0 + 2 * MIN_MS, true, 0, -1);
    holder(st, 0x4a1f2, T0 + MIN_MS, 4412, "C:\\Tools\\TokenGrabber.exe");
    holder(st, 0x4a1f2, T0 + MIN_MS, 900, "C:\\Tools\\Old.exe");
    holder(st, 0x4a1f2, T0 + 2 * MIN_MS, 4412, "C:\\Tools\\TokenGrabber.exe");
    holder(st, 0x4a1f2, T0 + 2 * MIN_MS, 5000, NULL);
  }
  poll_at(st, T0 + 2 * MIN_MS);
  if (with_rows)
    assert_int_equal(lw_store_release_leak(st, 0x500, T0 + 3 * MIN_MS), 0);
  poll_at(st, T0 + 3 * MIN_MS);
  assert_int_equal(lw_store_close(st, NULL), 0);
  return path;
}

static char *run(const char *db, struct lw_leaks_query *q) {
  char err[256] = "";
  struct lw_store *st = tl_open_read_only(db);
  FILE *f = tl_out_begin("leaks-out.txt");
  char *text;
  int rc;

  assert_non_null(st);
  assert_non_null(f);
  q->db = "C:\\h.db";
  rc = lw_leaks_print(st, q, f, err, sizeof err);
  text = tl_out_end(f);
  lw_store_close(st, NULL);
  if (rc != 0)
    fail_msg("lw_leaks_print = %d (%s)", rc, err);
  assert_non_null(text);
  return text;
}

static void query(struct lw_leaks_query *q, enum lw_report_format format) {
  memset(q, 0, sizeof *q);
  q->since = q->until = LW_TIME_UNKNOWN;
  q->format = format;
  q->csv_flags = LW_CSV_LF;
}

static void expect_text(char *got, const char *want) {
  if (strcmp(got, want) != 0)
    fail_msg("output:\n%s\nwant:\n%s", got, want);
  free(got);
}

/* Every line of a table fits LW_LEAKS_TABLE_WIDTH columns and holds no control. */
static void expect_fits(const char *text) {
  size_t col = 0;
  for (const char *c = text; *c != '\0'; c++) {
    if (*c == '\n') {
      col = 0;
      continue;
    }
    if ((unsigned char)*c < 0x20 || *c == 0x7f)
      fail_msg("a control character 0x%02x in the table", (unsigned)*c);
    if (((unsigned char)*c & 0xC0) != 0x80 && ++col > LW_LEAKS_TABLE_WIDTH)
      fail_msg("a line wider than %d columns:\n%s", LW_LEAKS_TABLE_WIDTH, text);
  }
}

static void test_table(void **state) {
  struct lw_leaks_query q;
  char *out;
  (void)state;
  query(&q, LW_REPORT_TABLE);
  out = run(make_history(1), &q);
  expect_fits(out);
  expect_text(out, "LUID               SESSION  LEAKED AT             SESSION END       SYS  USER\n"
                   "00000000:0004a1f2        2  2026-11-21T09:01:00Z  seen                2  "
                   "CONTOSO\\alice\n"
                   "    held by: TokenGrabber.exe (PID 4412), (image unknown) (PID 5000)\n"
                   "00000000:00000600        3  2026-11-21T09:01:00Z  before LeakWatch    0  "
                   "CONTOSO\\bob\\x1b[31m-with-a-very-long-name-th...\n"
                   "00000000:00000700        5  2026-11-21T09:02:00Z  unknown           (s)  "
                   "Window Manager\\DWM-5\n"
                   "\n3 open leaks, 5 leaked logon sessions in all (SYS: the DWM-n/UMFD-n logons "
                   "folded into a row;\n(s): one that leaked alone).\n");
  expect_text(run(make_history(0), &q), "No open leaks in C:\\h.db.\n");
  /* --user: alice's row, with her folded system logons in the count. */
  q.user = "Contoso\\ALICE";
  out = run(make_history(1), &q);
  assert_non_null(strstr(out, "\n00000000:0004a1f2        2  "));
  assert_null(strstr(out, "bob"));
  assert_null(strstr(out, "DWM-5"));
  assert_non_null(strstr(out, "\n1 open leak, 3 leaked logon sessions in all"));
  free(out);
  q.user = "nobody";
  expect_text(run(make_history(1), &q), "No open leaks in C:\\h.db.\n");
  q.user = NULL;
  /* A range: carol, released before it, is not in it; the others are open. */
  q.ranged = true;
  q.since = T0 + 5 * MIN_MS;
  out = run(make_history(1), &q);
  expect_fits(out);
  assert_null(strstr(out, "carol"));
  assert_non_null(strstr(out, "RELEASED"));
  assert_non_null(strstr(out, "  (open)  "));
  free(out);
  /* A range from the start: carol with her release time, first (oldest). */
  q.since = LW_TIME_UNKNOWN;
  q.until = T0 + 30 * 1000;
  out = run(make_history(1), &q);
  expect_fits(out);
  if (strstr(out, "00000000:00000500        4  2026-11-21T09:00:00Z  2026-11-21T09:03:00Z  seen   "
                  "             0  CONTOSO\\carol\n") == NULL)
    fail_msg("carol's row:\n%s", out);
  assert_null(strstr(out, "alice"));
  free(out);
  expect_text(run(make_history(0), &q),
              "No leak episodes between the start and 2026-11-21T09:00:30Z in C:\\h.db.\n");
}

static void test_json(void **state) {
  struct lw_leaks_query q;
  char *out;
  (void)state;
  query(&q, LW_REPORT_JSON);
  out = run(make_history(1), &q);
  /* alice's row whole; the others by their telling members. */
  if (strstr(out, "  {\n"
                  "    \"boot_id\": 1,\n"
                  "    \"luid\": \"00000000:0004a1f2\",\n"
                  "    \"user\": \"alice\",\n"
                  "    \"domain\": \"CONTOSO\",\n"
                  "    \"kind\": \"user\",\n"
                  "    \"terminal_session\": 2,\n"
                  "    \"logon_time\": \"2026-11-21T08:00:00Z\",\n"
                  "    \"leaked_at\": \"2026-11-21T09:01:00Z\",\n"
                  "    \"released_at\": null,\n"
                  "    \"session_end\": \"seen\",\n"
                  "    \"session_ended_at\": \"2026-11-21T08:56:00Z\",\n"
                  "    \"first_seen_ended_at\": \"2026-11-21T08:56:00Z\",\n"
                  "    \"system_logons\": 2,\n"
                  "    \"system_luids\": [\n"
                  "      \"00000000:0004a200\",\n"
                  "      \"00000000:0004a201\"\n"
                  "    ],\n"
                  "    \"holders\": [\n"
                  "      {\n"
                  "        \"pid\": 4412,\n"
                  "        \"image\": \"C:\\\\Tools\\\\TokenGrabber.exe\",\n"
                  "        \"services\": \"=cmd\",\n"
                  "        \"tokens\": 2,\n"
                  "        \"exited_process\": false\n"
                  "      },\n"
                  "      {\n"
                  "        \"pid\": 5000,\n"
                  "        \"image\": null,\n") == NULL)
    fail_msg("alice's row:\n%s", out);
  assert_non_null(strstr(out, "\"user\": \"bob\\u001b[31m-with-a-very-long-name-that-does-not-"
                              "fit-in-any-table-column-at-all\""));
  assert_non_null(strstr(out, "\"session_end\": \"before LeakWatch\",\n"
                              "    \"session_ended_at\": null,"));
  assert_non_null(strstr(out, "\"user\": \"DWM-5\",\n"
                              "    \"domain\": \"Window Manager\",\n"
                              "    \"kind\": \"system\","));
  assert_null(strstr(out, "carol"));
  assert_null(strstr(out, "Old.exe")); /* an earlier scan's */
  assert_int_equal(out[0], '[');
  free(out);
  expect_text(run(make_history(0), &q), "[]\n");
}

static void test_csv(void **state) {
  struct lw_leaks_query q;
  (void)state;
  query(&q, LW_REPORT_CSV);
  q.ranged = true;
  expect_text(run(make_history(1), &q),
              "boot_id,luid,user,domain,kind,terminal_session,leaked_at,released_at,session_end,"
              "session_ended_at,system_logons,system_luids,holders,acknowledged,ack_id,ack_reason,"
              "ack_expires,ignored\n"
              "1,00000000:00000500,carol,CONTOSO,user,4,2026-11-21T09:00:00Z,2026-11-21T09:03:00Z,"
              "seen,2026-11-21T08:55:00Z,0,\"\",\"\",false,\"\",\"\",\"\",false\n"
              "1,00000000:0004a1f2,alice,CONTOSO,user,2,2026-11-21T09:01:00Z,\"\",seen,"
              "2026-11-21T08:56:00Z,2,00000000:0004a200 00000000:0004a201,\"TokenGrabber.exe "
              "(PID 4412), (image unknown) (PID 5000)\",false,\"\",\"\",\"\",false\n"
              "1,00000000:00000600,bob\x1b[31m-with-a-very-long-name-that-does-not-fit-in-any-"
              "table-column-at-all,CONTOSO,user,3,2026-11-21T09:01:00Z,\"\",before LeakWatch,\"\","
              "0,\"\",\"\",false,\"\",\"\",\"\",false\n"
              "1,00000000:00000700,DWM-5,Window Manager,system,5,2026-11-21T09:02:00Z,\"\","
              "unknown,\"\",0,\"\",\"\",false,\"\",\"\",\"\",false\n");
  /* Only the header when nothing leaked. */
  q.ranged = false;
  expect_text(run(make_history(0), &q),
              "boot_id,luid,user,domain,kind,terminal_session,leaked_at,released_at,session_end,"
              "session_ended_at,system_logons,system_luids,holders,acknowledged,ack_id,ack_reason,"
              "ack_expires,ignored\n");
}

/* A name a spreadsheet would run gets its apostrophe, unless --csv-exact. */
static void test_csv_formula(void **state) {
  static char path[1100];
  struct lw_store *st = NULL;
  struct lw_leaks_query q;
  char err[256], *out;
  (void)state;
  snprintf(path, sizeof path, "%s", tl_path("leaks-formula.db"));
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  poll_at(st, T0);
  leak(st, 0x800, "CONTOSO", "=HYPERLINK(\"x\")", 7, T0, false, 0, 1);
  poll_at(st, T0 + MIN_MS);
  assert_int_equal(lw_store_close(st, NULL), 0);
  query(&q, LW_REPORT_CSV);
  out = run(path, &q);
  assert_non_null(strstr(out, ",\"'=HYPERLINK(\"\"x\"\")\",CONTOSO,"));
  free(out);
  q.csv_flags = LW_CSV_EXACT;
  out = run(path, &q);
  assert_non_null(strstr(out, ",\"=HYPERLINK(\"\"x\"\")\",CONTOSO,"));
  free(out);
}

/* Known leaks (issue 15): alice acknowledged (a line under her row, the
 * fields at the end of JSON and CSV), bob ignored by the configuration,
 * DWM-5's acknowledgement expired (nothing). */
static void test_known(void **state) {
  struct lw_leaks_query q;
  struct lw_ack_set ignores;
  struct lw_ack a;
  char err[512], db[1100], *out;
  int64_t id = 0;
  (void)state;
  snprintf(db, sizeof db, "%s", make_history(1));
  memset(&a, 0, sizeof a);
  a.kind = LW_ACK_USER;
  a.target = (char *)"CONTOSO\\alice";
  a.reason = (char *)"vendor case 4711";
  a.created_at = T0;
  a.expires_at = T0 + 60 * MIN_MS;
  assert_int_equal(lw_store_ack_add(db, &a, 1000, &id, err, sizeof err), 0);
  a.kind = LW_ACK_LUID;
  a.target = (char *)"00000000:00000700";
  a.luid = 0x700;
  a.expires_at = T0 + 2 * MIN_MS;
  assert_int_equal(lw_store_ack_add(db, &a, 1000, &id, err, sizeof err), 0);
  lw_ack_set_init(&ignores);
  assert_int_equal(lw_ack_set_add_names(&ignores, LW_ACK_USER,
                                        "CONTOSO\\bob\x1b[31m-with-a-very-long-name-that-does-"
                                        "not-fit-in-any-table-column-at-all"),
                   0);
  query(&q, LW_REPORT_TABLE);
  q.now = T0 + 5 * MIN_MS;
  q.ignores = &ignores;
  out = run(db, &q);
  expect_fits(out);
  if (strstr(out, "CONTOSO\\alice\n"
                  "    acknowledged (ack 1, until 2026-11-21T10:00:00Z): vendor case 4711\n"
                  "    held by: TokenGrabber.exe") == NULL ||
      strstr(out, "    ignored (ignore.users CONTOSO\\bob\\x1b[31m-with-a-very-long-name-that-does-"
                  "not-fit-in-any-table-column-at-all in t...\n") == NULL || /* cut to fit */
      strstr(out, "\n1 acknowledged, 1 ignored by the configuration: known leaks, no alert "
                  "(leakwatch ack --list).\n") == NULL)
    fail_msg("table:\n%s", out);
  free(out);
  query(&q, LW_REPORT_JSON);
  q.now = T0 + 5 * MIN_MS;
  q.ignores = &ignores;
  out = run(db, &q);
  if (strstr(out, "    ],\n"
                  "    \"acknowledged\": true,\n"
                  "    \"ack_id\": 1,\n"
                  "    \"ack_reason\": \"vendor case 4711\",\n"
                  "    \"ack_expires\": \"2026-11-21T10:00:00Z\",\n"
                  "    \"ignored\": false\n"
                  "  },") == NULL ||
      strstr(out, "    \"acknowledged\": false,\n"
                  "    \"ack_id\": null,\n"
                  "    \"ack_reason\": null,\n"
                  "    \"ack_expires\": null,\n"
                  "    \"ignored\": true\n") == NULL)
    fail_msg("json:\n%s", out);
  free(out);
  query(&q, LW_REPORT_CSV);
  q.now = T0 + 5 * MIN_MS;
  out = run(db, &q); /* no ignores given: bob is nobody's */
  if (strstr(out, "(PID 5000)\",true,1,vendor case 4711,2026-11-21T10:00:00Z,false\n") == NULL ||
      strstr(out, "unknown,\"\",0,\"\",\"\",false,\"\",\"\",\"\",false\n") == NULL)
    fail_msg("csv:\n%s", out);
  free(out);
  lw_ack_set_free(&ignores);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),       cmocka_unit_test(test_json),  cmocka_unit_test(test_csv),
      cmocka_unit_test(test_csv_formula), cmocka_unit_test(test_known),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
