/*
 * Unit tests for report_sessions.c (`leakwatch sessions`): the table of a
 * small in-memory snapshot (a session without data, one whose terminal
 * session ended, a logon type without a name, a user name that would forge a
 * row), with and without its processes, and the JSON and CSV it hands to
 * snapshot_json.c. argv[1]: a folder for temporary files.
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
#include "report_sessions.h"
#include "snapshot.h"
#include "store_testlib.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */

static const char *reason(uint32_t status) {
  return status == 0xC000005Fu ? "ended while being read" : "unreadable";
}

static struct lw_logon_session *logon(struct lw_snapshot *s, uint64_t luid, const char *domain,
                                      const char *user, uint32_t type, uint32_t session) {
  struct lw_logon_session *l = lw_snapshot_add_logon(s);
  assert_non_null(l);
  l->luid = luid;
  l->domain = domain != NULL ? lw_snapshot_strdup(s, domain) : NULL;
  l->user = lw_snapshot_strdup(s, user);
  l->logon_type = type;
  l->terminal_session = session;
  l->logon_time = T0 - 600000;
  return l;
}

static void process(struct lw_snapshot *s, uint32_t pid, uint64_t luid, const char *image) {
  struct lw_process *p = lw_snapshot_add_process(s);
  assert_non_null(p);
  p->pid = pid;
  p->luid = luid;
  p->image = lw_snapshot_strdup(s, image);
}

static struct lw_snapshot *host(void) {
  struct lw_snapshot *s = lw_snapshot_new();
  struct lw_wts_session *w;
  struct lw_logon_session *l;
  assert_non_null(s);
  s->taken_at = T0;
  s->boot_time = T0 - 3600000;
  l = logon(s, 0x3e7, "NT AUTHORITY", "SYSTEM", LW_LOGON_SERVICE, 0);
  l->logon_time = LW_TIME_UNKNOWN;
  logon(s, 0x4a1f2, "CONTOSO", "alice", LW_LOGON_REMOTE_INTERACTIVE, 2);
  logon(s, 0x4a300, NULL, "eve\n0000", 99, 7); /* session 7 ended */
  l = logon(s, 0x4b000, NULL, "", 0, 0);
  l->data_status = 0xC000005Fu;
  w = lw_snapshot_add_wts(s);
  assert_non_null(w);
  w->id = 0;
  w->state = LW_WTS_DISCONNECTED;
  w = lw_snapshot_add_wts(s);
  assert_non_null(w);
  w->id = 2;
  w->state = LW_WTS_ACTIVE;
  process(s, 4, 0x3e7, "System");
  process(s, 4412, 0x4a1f2, "explorer.exe");
  process(s, 812, 0x4a1f2, "rdpclip.exe");
  lw_snapshot_finish(s);
  /* The process counts the collector would have counted. */
  s->logons[0].process_count = 1;
  s->logons[1].process_count = 2;
  return s;
}

/* Prints s as q says into a file; returns the output (malloc'd). */
static char *print(const struct lw_snapshot *s, struct lw_sessions_query *q) {
  const char *path = tl_path("sessions-out.txt");
  unsigned char *text;
  size_t len = 0;
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  q->status_reason = reason;
  assert_int_equal(lw_sessions_print(s, q, f), 0);
  fclose(f);
  text = tl_read_file(path, &len);
  assert_non_null(text);
  text[len] = '\0';
  return (char *)text;
}

static void expect_text(char *got, const char *want) {
  if (strcmp(got, want) != 0)
    fail_msg("output:\n%s\nwant:\n%s", got, want);
  free(got);
}

#define HEAD                                                                                       \
  "LUID               TYPE               SESSION  WTS STATE     LOGON TIME            "            \
  "PROCS  USER\n"
#define ROW_SYSTEM                                                                                 \
  "00000000:000003e7  Service                  0  Disconnected  -                     "            \
  "    1  NT AUTHORITY\\SYSTEM\n"
#define ROW_ALICE                                                                                  \
  "00000000:0004a1f2  RemoteInteractive        2  Active        2026-11-21T08:50:00Z  "            \
  "    2  CONTOSO\\alice\n"
#define ROW_EVE                                                                                    \
  "00000000:0004a300  99                       7  ended         2026-11-21T08:50:00Z  "            \
  "    0  eve\\n0000\n"
#define ROW_NO_DATA                                                                                \
  "00000000:0004b000  -                        -  -             -                     "            \
  "    0  (no data: 0xc000005f, ended while being read)\n"
#define FOOT "\n4 logon sessions (1 without data), 2 WTS sessions, 3 processes (0 not readable)\n"

static void test_table(void **state) {
  struct lw_snapshot *s = host();
  struct lw_sessions_query q;
  (void)state;
  memset(&q, 0, sizeof q);
  expect_text(print(s, &q), HEAD ROW_SYSTEM ROW_ALICE ROW_EVE ROW_NO_DATA FOOT);
  q.with_processes = true;
  expect_text(print(s, &q),
              HEAD ROW_SYSTEM "           4  System\n" ROW_ALICE "         812  rdpclip.exe\n"
                              "        4412  explorer.exe\n" ROW_EVE ROW_NO_DATA FOOT);
  lw_snapshot_free(s);
}

/* JSON and CSV are the snapshot's own forms (test_json checks their fields). */
static void test_json_csv(void **state) {
  struct lw_snapshot *s = host();
  struct lw_sessions_query q;
  char *out;
  (void)state;
  memset(&q, 0, sizeof q);
  q.format = LW_REPORT_JSON;
  out = print(s, &q);
  assert_int_equal(out[0], '{');
  assert_non_null(strstr(out, "\"luid\": \"00000000:0004a1f2\""));
  assert_non_null(strstr(out, "\"user\": \"eve\\u000a0000\""));
  free(out);
  q.format = LW_REPORT_CSV;
  q.csv_flags = LW_CSV_LF;
  out = print(s, &q);
  assert_int_equal(strncmp(out, "luid,", 5), 0);
  assert_non_null(strstr(out, "\n00000000:0004a1f2,"));
  free(out);
  lw_snapshot_free(s);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_json_csv),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
