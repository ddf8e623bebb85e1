/*
 * Wine test for service/os/eventlog.c and the message table compiled from
 * service/os/messages.mc: every event renders from the exe's own message table
 * with each insertion string where the text says, "%1" inside an insertion
 * string stays literal, UTF-8 survives the UTF-16 round trip, and the
 * argument checks hold. Linked with lw_eventlog, so this exe carries the same
 * message table as leakwatch.exe.
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

#include "error.h"
#include "eventlog.h"
#include "messages.h"

#define OUTSZ 65536

struct expected_event {
  uint32_t msg_id;
  unsigned event_id; /* what Event Viewer shows */
  const char *type;
  unsigned nargs;
  const char *phrase; /* a piece of the fixed text */
};

/* The public contract (README, issue 5): IDs, severities, insert counts. */
static const struct expected_event k_expected[] = {
    {LW_MSG_SERVICE_STARTED, 1000, "information", 4, "The LeakWatch service"},
    {LW_MSG_SERVICE_STOPPED, 1001, "information", 2, "are not detected while it is stopped"},
    {LW_MSG_CONFIG_RELOADED, 1002, "information", 2, "reloaded its configuration"},
    {LW_MSG_DATABASE_RESUMED, 1005, "information", 3, "can write its history database"},
    {LW_MSG_CONFIG_ERROR, 1100, "error", 3, "cannot use the configuration file"},
    {LW_MSG_DATABASE_ERROR, 1101, "error", 3, "A database operation of LeakWatch failed"},
    {LW_MSG_HOLDER_SCAN_RETURNED, 1003, "information", 1, "Holder scans resume"},
    {LW_MSG_POLLS_ON_TIME, 1004, "information", 3, "polls on time again"},
    {LW_MSG_COLLECTION_ERROR, 1102, "warning", 3, "could not collect data"},
    {LW_MSG_HOLDER_SCAN_ABANDONED, 1103, "warning", 5, "LeakWatch abandoned it"},
    {LW_MSG_POLLING_STOPPED, 1104, "error", 6, "LeakWatch stopped polling"},
    {LW_MSG_POLLS_LATE, 1105, "warning", 3, "LeakWatch polls are late"},
    {LW_MSG_DATABASE_BUSY, 1106, "warning", 4, "is locked by another program"},
    {LW_MSG_SESSION_LEAKED, 2001, "warning", 14, "has leaked"},
    {LW_MSG_SESSION_RELEASED, 2002, "information", 6, "was released after"},
    {LW_MSG_SESSION_IDS_PINNED, 2003, "warning", 5, "terminal session IDs are pinned"},
    {LW_MSG_SESSION_IDS_CLEARED, 2004, "information", 2, "have cleared"},
    {LW_MSG_SESSIONS_ACCUMULATING, 2005, "warning", 5, "without any process of their own"},
    {LW_MSG_LOGOFF_STUCK, 2006, "warning", 4, "in the Down state"},
    {LW_MSG_HOLDER_IDENTIFIED, 2007, "warning", 9, "found a process that holds"},
    {LW_MSG_ALERTS_SUPPRESSED, 2009, "warning", 11, "held back"},
};

#define N_EXPECTED (sizeof k_expected / sizeof k_expected[0])

static char *render_buf(void) {
  char *out = malloc(OUTSZ);
  assert_non_null(out);
  return out;
}

static void test_ids_and_severities(void **state) {
  (void)state;
  for (size_t i = 0; i < N_EXPECTED; i++) {
    const struct expected_event *e = &k_expected[i];
    assert_int_equal(e->msg_id & 0xFFFFu, e->event_id);
    /* Facility 0 and no customer bit: only the severity sits above the ID. */
    assert_int_equal(e->msg_id & 0x3FFF0000u, 0);
    assert_int_equal(lw_eventlog_message_id(e->event_id), e->msg_id);
    assert_string_equal(lw_eventlog_type_name(e->msg_id), e->type);
    assert_int_equal(lw_eventlog_insert_count(e->msg_id), (int)e->nargs);
  }
  assert_int_equal(LW_MSG_SESSION_LEAKED, 0x800007D1u);
  assert_int_equal(LW_MSG_SERVICE_STARTED, 0x400003E8u);
  assert_int_equal(LW_MSG_CONFIG_ERROR, 0xC000044Cu);
  assert_int_equal(lw_eventlog_message_id(2008), 0);
  assert_int_equal(lw_eventlog_message_id(0), 0);
  assert_int_equal(lw_eventlog_insert_count(0x800007D8u), LW_ENOENT);
  assert_int_equal(lw_eventlog_insert_count(LW_CATEGORY_LEAK), LW_ENOENT);
}

/* Every event renders; insertion string i appears where %i was, and nothing
 * of the form %<digit> is left over. */
static void test_every_event_renders_all_inserts(void **state) {
  char *out = render_buf();
  char ins[16][24];
  const char *args[16];
  (void)state;
  for (size_t i = 0; i < N_EXPECTED; i++) {
    const struct expected_event *e = &k_expected[i];
    for (unsigned a = 0; a < e->nargs; a++) {
      snprintf(ins[a], sizeof ins[a], "<<INSERT-%u>>", a + 1);
      args[a] = ins[a];
    }
    assert_int_equal(lw_eventlog_render(e->msg_id, e->nargs, args, out, OUTSZ), LW_OK);
    assert_non_null(strstr(out, e->phrase));
    for (unsigned a = 0; a < e->nargs; a++) {
      if (strstr(out, ins[a]) == NULL)
        fail_msg("event %u: insert %u missing in: %s", e->event_id, a + 1, out);
    }
    for (const char *p = strchr(out, '%'); p != NULL; p = strchr(p + 1, '%')) {
      if (p[1] >= '0' && p[1] <= '9')
        fail_msg("event %u: unexpanded %%%c in: %s", e->event_id, p[1], out);
    }
    assert_null(strchr(out, '\r'));
    assert_true(strlen(out) > 0 && out[strlen(out) - 1] != '\n');
  }
  free(out);
}

static void test_leaked_text_and_placement(void **state) {
  static const char *const args[] = {
      "00000000:0004a1f2",
      "alice",
      "CONTOSO",
      "10",
      "RemoteInteractive",
      "3",
      "2024-05-02T08:01:00Z",
      "unknown",
      "no",
      "2024-05-02T09:15:30Z",
      "12",
      "2",
      "00000000:0004a100 Font Driver Host\\UMFD-3; 00000000:0004a101 Window Manager\\DWM-3",
      "no token handle found",
  };
  char *out = render_buf();
  (void)state;
  assert_int_equal(lw_eventlog_render(LW_MSG_SESSION_LEAKED, 14, args, out, OUTSZ), LW_OK);
  assert_non_null(strstr(out, "The logon session 00000000:0004a1f2 of CONTOSO\\alice has leaked. "
                              "Its terminal session 3 has ended (ended at: unknown; first seen "
                              "ended at: 2024-05-02T09:15:30Z; times in UTC), but the logon "
                              "session still exists 12 minutes later"));
  assert_non_null(strstr(out, "\n\nLogon session: 00000000:0004a1f2\n"
                              "User: alice\n"
                              "Domain: CONTOSO\n"
                              "Logon type: RemoteInteractive (10)\n"
                              "Terminal session: 3\n"
                              "Logon time (UTC): 2024-05-02T08:01:00Z\n"
                              "Terminal session ended (UTC): unknown\n"
                              "Seen ending by LeakWatch: no\n"
                              "First seen ended (UTC): 2024-05-02T09:15:30Z\n"
                              "Minutes pinned (at least, when the end is unknown): 12\n"
                              "System logon sessions of the terminal session leaked with it: 2 "
                              "(00000000:0004a100 Font Driver Host\\UMFD-3; 00000000:0004a101 "
                              "Window Manager\\DWM-3)\n"
                              "Token holders: no token handle found\n\n"));
  assert_non_null(strstr(out, "Run 'leakwatch holders --luid 00000000:0004a1f2' to see"));
  assert_non_null(
      strstr(out, "README.md in the LeakWatch program folder, \"Runbook\", event 2001."));
  free(out);
}

static void test_exact_short_texts(void **state) {
  static const char *const started[] = {"1.0.0", "C:\\ProgramData\\LeakWatch\\leakwatch.yaml",
                                        "C:\\ProgramData\\LeakWatch\\history.db", "60"};
  static const char *const suppressed[] = {"17",
                                           "60",
                                           "2024-05-02T08:00:00Z",
                                           "the service is stopping",
                                           "3",
                                           "2",
                                           "CONTOSO\\alice, CONTOSO\\bob",
                                           "3",
                                           "2-3, 7",
                                           "9",
                                           "4"};
  char *out = render_buf();
  (void)state;
  assert_int_equal(lw_eventlog_render(LW_MSG_SERVICE_STARTED, 4, started, out, OUTSZ), LW_OK);
  assert_string_equal(out, "The LeakWatch service 1.0.0 started. It reads its configuration "
                           "from C:\\ProgramData\\LeakWatch\\leakwatch.yaml, keeps its history "
                           "in C:\\ProgramData\\LeakWatch\\history.db and polls the logon "
                           "sessions every 60 seconds.");
  assert_int_equal(lw_eventlog_render(LW_MSG_ALERTS_SUPPRESSED, 11, suppressed, out, OUTSZ), LW_OK);
  assert_string_equal(out, "LeakWatch held back 17 alerts since 2024-05-02T08:00:00Z UTC because "
                           "the limit of 60 alerts per hour (alerts.max_per_hour) was reached; "
                           "this summary is sent because the service is stopping. They are "
                           "recorded in the database; run 'leakwatch events' to see them. The "
                           "state now:\n\n"
                           "Open leaks: 3\n"
                           "Users with open leaks: 2\n"
                           "Users: CONTOSO\\alice, CONTOSO\\bob\n"
                           "Pinned terminal session IDs: 3 (2-3, 7)\n"
                           "Highest session ID in use: 9\n"
                           "Live terminal sessions: 4");
  free(out);
}

/* A user name or path containing %1 must come out as typed, not expanded
 * a second time. */
static void test_percent_in_insert_stays_literal(void **state) {
  static const char *const args[] = {"%1", "%2%3!s!", "CONTOSO", "7", "100%", "yes"};
  char *out = render_buf();
  (void)state;
  assert_int_equal(lw_eventlog_render(LW_MSG_SESSION_RELEASED, 6, args, out, OUTSZ), LW_OK);
  assert_string_equal(out, "The leaked logon session %1 of CONTOSO\\%2%3!s! (terminal session 7) "
                           "was released after it had been pinned for 100% minutes (LeakWatch "
                           "saw its terminal session end: yes; if not, the minutes are a lower "
                           "bound).");
  free(out);
}

static void test_utf8_round_trip(void **state) {
  static const char *const args[] = {"00000000:0000beef",
                                     "zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac "
                                     "\xf0\x9f\x98\x80",
                                     "CONTOSO",
                                     "2",
                                     "42",
                                     "yes"};
  char *out = render_buf();
  (void)state;
  assert_int_equal(lw_eventlog_render(LW_MSG_SESSION_RELEASED, 6, args, out, OUTSZ), LW_OK);
  assert_non_null(
      strstr(out, "of CONTOSO\\zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 (terminal"));
  free(out);
}

static void test_long_insert_is_cut(void **state) {
  size_t big = LW_EVENTLOG_MAX_INSERT_CHARS + 5000;
  char *huge = malloc(big + 1);
  char *out = malloc(LW_EVENTLOG_MAX_INSERT_CHARS * 2 + 4096);
  const char *args[6] = {"00000000:00000001", NULL, "D", "2", "5", "yes"};
  (void)state;
  assert_non_null(huge);
  assert_non_null(out);
  memset(huge, 'x', big);
  huge[big] = '\0';
  args[1] = huge;
  assert_int_equal(
      lw_eventlog_render(LW_MSG_SESSION_RELEASED, 6, args, out, LW_EVENTLOG_MAX_INSERT_CHARS * 2),
      LW_OK);
  assert_int_equal(strspn(strstr(out, "xxx"), "x"), LW_EVENTLOG_MAX_INSERT_CHARS);

  /* A surrogate pair straddling the limit goes whole: 31838 x + U+1F600. */
  memset(huge, 'x', LW_EVENTLOG_MAX_INSERT_CHARS - 1);
  memcpy(huge + LW_EVENTLOG_MAX_INSERT_CHARS - 1, "\xf0\x9f\x98\x80 tail", 10);
  assert_int_equal(
      lw_eventlog_render(LW_MSG_SESSION_RELEASED, 6, args, out, LW_EVENTLOG_MAX_INSERT_CHARS * 2),
      LW_OK);
  assert_int_equal(strspn(strstr(out, "xxx"), "x"), LW_EVENTLOG_MAX_INSERT_CHARS - 1);
  assert_non_null(strstr(out, "xxx (terminal session 2) was released"));
  free(out);
  free(huge);
}

static void test_bad_arguments(void **state) {
  static const char *const two[] = {"a", "b"};
  static const char *const with_null[] = {"a", NULL, "c", "d", "e", "f"};
  static const char *const eleven[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"};
  char small[16];
  char *out = render_buf();
  (void)state;
  assert_int_equal(lw_eventlog_render(LW_MSG_SESSION_RELEASED, 2, two, out, OUTSZ), LW_EINVAL);
  assert_int_equal(lw_eventlog_render(LW_MSG_SESSION_RELEASED, 6, with_null, out, OUTSZ),
                   LW_EINVAL);
  assert_int_equal(lw_eventlog_render(LW_MSG_SESSION_RELEASED, 6, NULL, out, OUTSZ), LW_EINVAL);
  assert_int_equal(lw_eventlog_render(0x800007D8u, 2, two, out, OUTSZ), LW_EINVAL);
  assert_int_equal(lw_eventlog_render(LW_MSG_ALERTS_SUPPRESSED, 11, eleven, NULL, 10), LW_EINVAL);
  assert_int_equal(lw_eventlog_render(LW_MSG_ALERTS_SUPPRESSED, 11, eleven, out, 0), LW_EINVAL);
  memset(small, 'z', sizeof small);
  assert_int_equal(lw_eventlog_render(LW_MSG_ALERTS_SUPPRESSED, 11, eleven, small, sizeof small),
                   LW_ENOSPC);
  assert_string_equal(small, "");
  free(out);
}

/* Reporting needs an open source; under Wine ReportEventW is a stub that
 * succeeds (tests/wine/test_eventlog_trace.sh checks what it received). */
static void test_report_open_close(void **state) {
  static const char *const args[] = {"1.0.0", "stop requested"};
  (void)state;
  lw_eventlog_close();
  assert_int_equal(lw_eventlog_report(LW_MSG_SERVICE_STOPPED, 2, args), LW_EINVAL);
  assert_int_equal(lw_eventlog_open(), LW_OK);
  assert_int_equal(lw_eventlog_open(), LW_OK);
  assert_int_equal(lw_eventlog_report(LW_MSG_SERVICE_STOPPED, 2, args), LW_OK);
  assert_int_equal(lw_eventlog_report(LW_MSG_SERVICE_STOPPED, 1, args), LW_EINVAL);
  assert_int_equal(lw_eventlog_report(LW_CATEGORY_SERVICE, 0, NULL), LW_EINVAL);
  lw_eventlog_close();
  lw_eventlog_close();
  assert_int_equal(lw_eventlog_report(LW_MSG_SERVICE_STOPPED, 2, args), LW_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ids_and_severities),
      cmocka_unit_test(test_every_event_renders_all_inserts),
      cmocka_unit_test(test_leaked_text_and_placement),
      cmocka_unit_test(test_exact_short_texts),
      cmocka_unit_test(test_percent_in_insert_stays_literal),
      cmocka_unit_test(test_utf8_round_trip),
      cmocka_unit_test(test_long_insert_is_cut),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_report_open_close),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
