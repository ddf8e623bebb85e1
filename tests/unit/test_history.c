/*
 * Unit tests for history.c (`leakwatch history`): argument parsing, and the
 * table, JSON and CSV output of a snapshot at a time and of a listing, against
 * a small history written through the store. argv[1]: a folder for temporary
 * files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "history.h"
#include "store.h"
#include "store_testlib.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */
#define BOOT INT64_C(1795165200000)
#define MIN_MS INT64_C(60000)

/* Local time is UTC here (history's own tests; cli_time's have real zones). */
static int utc_zone(void *ctx, int64_t year, struct lw_tz *tz) {
  (void)ctx;
  (void)year;
  memset(tz, 0, sizeof *tz);
  return 0;
}
static const struct lw_clock clock_utc = {T0 + 3600000, utc_zone, NULL};

/* ---- Arguments ------------------------------------------------------------ */

static int parse(struct lw_history_query *q, char *err, ...) {
  char *argv[16];
  int argc = 0;
  va_list ap;
  argv[argc++] = "history";
  va_start(ap, err);
  for (;;) {
    char *a = va_arg(ap, char *);
    if (a == NULL)
      break;
    argv[argc++] = a;
  }
  va_end(ap);
  return lw_history_parse_args(argc, argv, &clock_utc, q, err, 256);
}

static void test_parse_args(void **state) {
  struct lw_history_query q;
  char err[256];
  (void)state;
  assert_int_equal(parse(&q, err, (char *)NULL), 0);
  assert_int_equal(q.format, LW_REPORT_TABLE);
  assert_null(q.db);
  assert_null(q.user);
  assert_int_equal(q.at, LW_TIME_UNKNOWN);
  assert_false(q.help);

  assert_int_equal(parse(&q, err, "--db", "C:\\x\\h.db", "--at", "2026-11-21T09:00:00Z", "--user",
                         "CONTOSO\\alice", "--json", (char *)NULL),
                   0);
  assert_string_equal(q.db, "C:\\x\\h.db");
  assert_int_equal(q.at, T0);
  assert_string_equal(q.user, "CONTOSO\\alice");
  assert_int_equal(q.format, LW_REPORT_JSON);

  assert_int_equal(parse(&q, err, "--since", "2026-11-21", "--until", "2026-11-21 10:00:00",
                         "--csv", (char *)NULL),
                   0);
  assert_int_equal(q.since, T0 - 9 * 3600000);
  assert_int_equal(q.until, T0 + 3600000);
  assert_int_equal(q.format, LW_REPORT_CSV);
  assert_int_equal(parse(&q, err, "--help", (char *)NULL), 0);
  assert_true(q.help);

  assert_int_equal(parse(&q, err, "--bogus", (char *)NULL), LW_ESYNTAX);
  assert_string_equal(err, "unknown option '--bogus'");
  assert_int_equal(parse(&q, err, "--at", (char *)NULL), LW_ESYNTAX);
  assert_string_equal(err, "--at needs a value");
  /* Relative times count back from the clock's now (T0 + 1 h). */
  assert_int_equal(parse(&q, err, "--at", "1h", (char *)NULL), 0);
  assert_int_equal(q.at, T0);
  assert_int_equal(parse(&q, err, "--at", "soon", (char *)NULL), LW_ESYNTAX);
  assert_string_equal(err, "--at: 'soon' is not a time such as " LW_CLI_TIME_FORMS);
  assert_int_equal(parse(&q, err, "--until", "2026-11-31", (char *)NULL), LW_ESYNTAX);
  assert_string_equal(err, "--until: '2026-11-31' is not a time such as " LW_CLI_TIME_FORMS);
  assert_int_equal(parse(&q, err, "--db", "", (char *)NULL), LW_ESYNTAX);
  assert_string_equal(err, "--db needs a value");
  assert_int_equal(parse(&q, err, "--csv-exact", (char *)NULL), 0);
  assert_true(q.csv_exact);
  assert_int_equal(parse(&q, err, "--json", "--csv", (char *)NULL), LW_ESYNTAX);
  assert_string_equal(err, "--json and --csv exclude each other");
  assert_int_equal(parse(&q, err, "--csv", "--csv", (char *)NULL), 0);
  assert_int_equal(parse(&q, err, "--at", "2026-11-21", "--since", "2026-11-20", (char *)NULL),
                   LW_ESYNTAX);
  assert_string_equal(err, "--at and --since exclude each other");
  assert_int_equal(parse(&q, err, "--since", "2026-11-22", "--until", "2026-11-21", (char *)NULL),
                   LW_ESYNTAX);
  assert_string_equal(err, "--since is after --until");
  assert_non_null(strstr(lw_history_usage(), "--at TIME"));
}

/* ---- Output ----------------------------------------------------------------- */

static struct lw_snapshot *snap(int64_t t) {
  struct lw_snapshot *s = lw_snapshot_new();
  assert_non_null(s);
  s->taken_at = t;
  s->boot_time = BOOT;
  return s;
}

static void logon(struct lw_snapshot *s, uint64_t luid, const char *user, uint32_t type,
                  uint32_t session, uint32_t procs) {
  struct lw_logon_session *l = lw_snapshot_add_logon(s);
  assert_non_null(l);
  l->luid = luid;
  l->user = lw_snapshot_strdup(s, user);
  l->domain = lw_snapshot_strdup(s, "CONTOSO");
  l->sid = lw_snapshot_strdup(s, "S-1-5-21-1-2-3-1105");
  l->auth_package = lw_snapshot_strdup(s, "Kerberos");
  l->logon_type = type;
  l->terminal_session = session;
  l->logon_time = T0 - 600000;
  l->process_count = procs;
}

static void wts(struct lw_snapshot *s, uint32_t id, uint32_t state, const char *user,
                const char *client) {
  struct lw_wts_session *w = lw_snapshot_add_wts(s);
  assert_non_null(w);
  w->id = id;
  w->state = state;
  w->station = lw_snapshot_strdup(s, id == 0 ? "Services" : "RDP-Tcp#3");
  w->user = lw_snapshot_strdup(s, user);
  w->domain = user != NULL ? lw_snapshot_strdup(s, "CONTOSO") : NULL;
  w->client = lw_snapshot_strdup(s, client);
}

static void record(struct lw_store *st, struct lw_snapshot *s) {
  struct lw_store_poll_result res;
  /* Sorted, keeping the given process counts. */
  uint32_t pc[8] = {0};
  size_t i;
  assert_true(s->n_logons <= 8);
  for (i = 0; i < s->n_logons; i++)
    pc[i] = s->logons[i].process_count;
  lw_snapshot_finish(s); /* ordered already: luids given ascending */
  for (i = 0; i < s->n_logons; i++)
    s->logons[i].process_count = pc[i];
  if (lw_store_record_poll(st, s, &res) != 0)
    fail_msg("record: %s", res.message);
  lw_snapshot_free(s);
}

/* 09:00 alice (session 2) and bob (3) active; 09:01 bob disconnects; 09:02
 * alice logs off. */
static const char *make_history(void) {
  static char path[1100];
  struct lw_store *st = NULL;
  struct lw_snapshot *s;
  char err[256];
  snprintf(path, sizeof path, "%s", tl_path("history.db"));
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  s = snap(T0);
  logon(s, 0x3e7, "SYSTEM", LW_LOGON_SERVICE, 0, 80);
  logon(s, 0x4a1f2, "alice", LW_LOGON_REMOTE_INTERACTIVE, 2, 12);
  logon(s, 0x4a300, "bob", LW_LOGON_REMOTE_INTERACTIVE, 3, 9);
  wts(s, 0, LW_WTS_DISCONNECTED, NULL, NULL);
  wts(s, 2, LW_WTS_ACTIVE, "alice", "LAPTOP-17");
  wts(s, 3, LW_WTS_ACTIVE, "bob", "PC-9");
  record(st, s);
  s = snap(T0 + MIN_MS);
  logon(s, 0x3e7, "SYSTEM", LW_LOGON_SERVICE, 0, 80);
  logon(s, 0x4a1f2, "alice", LW_LOGON_REMOTE_INTERACTIVE, 2, 14);
  logon(s, 0x4a300, "bob", LW_LOGON_REMOTE_INTERACTIVE, 3, 9);
  wts(s, 0, LW_WTS_DISCONNECTED, NULL, NULL);
  wts(s, 2, LW_WTS_ACTIVE, "alice", "LAPTOP-17");
  wts(s, 3, LW_WTS_DISCONNECTED, "bob", "PC-9");
  record(st, s);
  s = snap(T0 + 2 * MIN_MS);
  logon(s, 0x3e7, "SYSTEM", LW_LOGON_SERVICE, 0, 80);
  logon(s, 0x4a300, "bob", LW_LOGON_REMOTE_INTERACTIVE, 3, 9);
  wts(s, 0, LW_WTS_DISCONNECTED, NULL, NULL);
  wts(s, 3, LW_WTS_DISCONNECTED, "bob", "PC-9");
  record(st, s);
  assert_int_equal(lw_store_close(st, NULL), 0);
  return path;
}

/* Runs a query on a read-only store; returns the output (malloc'd). */
static char *run(const char *db, int want_rc, ...) {
  char *argv[16];
  int argc = 0, rc;
  va_list ap;
  struct lw_history_query q;
  struct lw_store *st = NULL;
  struct lw_store_options o;
  char err[256];
  const char *out_path = tl_path("history-out.txt");
  FILE *f;
  unsigned char *text;
  size_t len = 0;

  argv[argc++] = "history";
  va_start(ap, want_rc);
  for (;;) {
    char *a = va_arg(ap, char *);
    if (a == NULL)
      break;
    argv[argc++] = a;
  }
  va_end(ap);
  assert_int_equal(lw_history_parse_args(argc, argv, &clock_utc, &q, err, sizeof err), 0);
  memset(&o, 0, sizeof o);
  o.read_only = true;
  assert_int_equal(lw_store_open(db, &o, &st, NULL, err, sizeof err), 0);
  f = fopen(out_path, "wb");
  assert_non_null(f);
  rc = lw_history_print(st, &q, f, err, sizeof err);
  fclose(f);
  lw_store_close(st, NULL);
  if (rc != want_rc)
    fail_msg("lw_history_print = %d (%s), want %d", rc, err, want_rc);
  text = tl_read_file(out_path, &len);
  assert_non_null(text);
  text[len] = '\0';
  if (rc != 0) {
    /* The message instead. */
    free(text);
    text = malloc(strlen(err) + 1);
    assert_non_null(text);
    memcpy(text, err, strlen(err) + 1);
  }
  return (char *)text;
}

static void expect_text(char *got, const char *want) {
  if (strcmp(got, want) != 0)
    fail_msg("output:\n%s\nwant:\n%s", got, want);
  free(got);
}

static void test_at_table(void **state) {
  const char *db = make_history();
  (void)state;
  /* 09:01:30 is the 09:01 poll: bob disconnected, alice still there. */
  expect_text(
      run(db, 0, "--at", "2026-11-21T09:01:30Z", (char *)NULL),
      "At the poll of 2026-11-21T09:01:00Z (boot 1, booted 2026-11-20T09:00:00Z): 3 logon "
      "sessions, 3 WTS sessions\n"
      "\n"
      "Logon sessions\n"
      "LUID               SESSION  LOGON TYPE         FIRST SEEN            LAST SEEN          "
      "   USER\n"
      "00000000:000003e7        0  Service            2026-11-21T09:00:00Z  (alive)            "
      "   CONTOSO\\SYSTEM\n"
      "00000000:0004a1f2        2  RemoteInteractive  2026-11-21T09:00:00Z  2026-11-21T09:01:00Z "
      " CONTOSO\\alice\n"
      "00000000:0004a300        3  RemoteInteractive  2026-11-21T09:00:00Z  (alive)            "
      "   CONTOSO\\bob\n"
      "\n"
      "WTS sessions\n"
      "SESSION  STATE         STATION       CLIENT           FIRST SEEN            LAST SEEN     "
      "        USER\n"
      "      0  Disconnected  Services      -                2026-11-21T09:00:00Z  (alive)       "
      "        -\n"
      "      2  Active        RDP-Tcp#3     LAPTOP-17        2026-11-21T09:00:00Z  "
      "2026-11-21T09:01:00Z  CONTOSO\\alice\n"
      "      3  Disconnected  RDP-Tcp#3     PC-9             2026-11-21T09:00:00Z  (alive)       "
      "        CONTOSO\\bob\n");
  /* At 09:00 bob was still Active. */
  {
    char *out = run(db, 0, "--at", "2026-11-21T09:00:59Z", "--user", "bob", (char *)NULL);
    assert_non_null(strstr(out, "3 WTS sessions (all users)\n"));
    assert_non_null(strstr(out, "  Active  "));
    assert_null(strstr(out, "alice"));
    free(out);
  }
  expect_text(run(db, LW_ENOENT, "--at", "2026-11-21T08:59:59Z", (char *)NULL),
              "no poll at or before 2026-11-21T08:59:59Z in the history");
}

static void test_at_json(void **state) {
  const char *db = make_history();
  (void)state;
  expect_text(run(db, 0, "--at", "2026-11-21T09:02:00Z", "--json", (char *)NULL),
              "{\n"
              "  \"poll\": {\n"
              "    \"polled_at\": \"2026-11-21T09:02:00Z\",\n"
              "    \"boot_id\": 1,\n"
              "    \"boot_time\": \"2026-11-20T09:00:00Z\",\n"
              "    \"logon_sessions\": 2,\n"
              "    \"wts_sessions\": 2\n"
              "  },\n"
              "  \"logon_sessions\": [\n"
              "    {\n"
              "      \"boot_id\": 1,\n"
              "      \"luid\": \"00000000:000003e7\",\n"
              "      \"user\": \"SYSTEM\",\n"
              "      \"domain\": \"CONTOSO\",\n"
              "      \"sid\": \"S-1-5-21-1-2-3-1105\",\n"
              "      \"logon_type\": \"Service\",\n"
              "      \"auth_package\": \"Kerberos\",\n"
              "      \"terminal_session\": 0,\n"
              "      \"logon_time\": \"2026-11-21T08:50:00Z\",\n"
              "      \"first_seen\": \"2026-11-21T09:00:00Z\",\n"
              "      \"last_seen\": null,\n"
              "      \"process_count_max\": 80\n"
              "    },\n"
              "    {\n"
              "      \"boot_id\": 1,\n"
              "      \"luid\": \"00000000:0004a300\",\n"
              "      \"user\": \"bob\",\n"
              "      \"domain\": \"CONTOSO\",\n"
              "      \"sid\": \"S-1-5-21-1-2-3-1105\",\n"
              "      \"logon_type\": \"RemoteInteractive\",\n"
              "      \"auth_package\": \"Kerberos\",\n"
              "      \"terminal_session\": 3,\n"
              "      \"logon_time\": \"2026-11-21T08:50:00Z\",\n"
              "      \"first_seen\": \"2026-11-21T09:00:00Z\",\n"
              "      \"last_seen\": null,\n"
              "      \"process_count_max\": 9\n"
              "    }\n"
              "  ],\n"
              "  \"wts_sessions\": [\n"
              "    {\n"
              "      \"boot_id\": 1,\n"
              "      \"session_id\": 0,\n"
              "      \"station\": \"Services\",\n"
              "      \"user\": null,\n"
              "      \"domain\": null,\n"
              "      \"client\": null,\n"
              "      \"first_seen\": \"2026-11-21T09:00:00Z\",\n"
              "      \"last_seen\": null,\n"
              "      \"state\": \"Disconnected\"\n"
              "    },\n"
              "    {\n"
              "      \"boot_id\": 1,\n"
              "      \"session_id\": 3,\n"
              "      \"station\": \"RDP-Tcp#3\",\n"
              "      \"user\": \"bob\",\n"
              "      \"domain\": \"CONTOSO\",\n"
              "      \"client\": \"PC-9\",\n"
              "      \"first_seen\": \"2026-11-21T09:00:00Z\",\n"
              "      \"last_seen\": null,\n"
              "      \"state\": \"Disconnected\"\n"
              "    }\n"
              "  ]\n"
              "}\n");
}

static void test_listing_csv(void **state) {
  const char *db = make_history();
  (void)state;
  /* When did alice's session end? */
  expect_text(run(db, 0, "--user", "Alice", "--csv", (char *)NULL),
              "kind,boot_id,luid,session_id,user,domain,sid,logon_type,auth_package,"
              "terminal_session,state,station,client,logon_time,first_seen,last_seen,"
              "process_count_max\n"
              "logon,1,00000000:0004a1f2,,alice,CONTOSO,S-1-5-21-1-2-3-1105,RemoteInteractive,"
              "Kerberos,2,,,,2026-11-21T08:50:00Z,2026-11-21T09:00:00Z,2026-11-21T09:01:00Z,14\n"
              "wts,1,,2,alice,CONTOSO,,,,,Active,RDP-Tcp#3,LAPTOP-17,,2026-11-21T09:00:00Z,"
              "2026-11-21T09:01:00Z,\n");
  /* Still alive at or after 09:02: not alice. */
  {
    char *out = run(db, 0, "--since", "2026-11-21T09:02:00Z", "--csv", (char *)NULL);
    assert_null(strstr(out, "alice"));
    assert_non_null(strstr(out, "bob"));
    free(out);
  }
  /* A listing in JSON has no poll. */
  {
    char *out = run(db, 0, "--user", "nobody", "--json", (char *)NULL);
    assert_string_equal(out, "{\n  \"logon_sessions\": [],\n  \"wts_sessions\": []\n}\n");
    free(out);
  }
  {
    char *out = run(db, 0, "--user", "nobody", (char *)NULL);
    assert_string_equal(out, "\nLogon sessions\n(none)\n\nWTS sessions\n(none)\n");
    free(out);
  }
}

/* A line break in a name cannot forge a table row. */
static void test_table_escapes_names(void **state) {
  static char path[1100];
  struct lw_store *st = NULL;
  struct lw_snapshot *s;
  char err[256], *out;
  (void)state;
  snprintf(path, sizeof path, "%s", tl_path("history-names.db"));
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  s = snap(T0);
  logon(s, 0x10, "eve\n1     00000000:00000666  FAKE\tROW\x01", LW_LOGON_NETWORK, 0, 1);
  wts(s, 5, LW_WTS_ACTIVE, "eve", "PC\r\n");
  record(st, s);
  assert_int_equal(lw_store_close(st, NULL), 0);
  out = run(path, 0, (char *)NULL);
  /* Escaped, then cut to the table's 120 columns with "...". */
  assert_non_null(strstr(out, "  CONTOSO\\eve\\n1     0000000...\n"));
  assert_non_null(strstr(out, "PC\\r\\n"));
  assert_null(strstr(out, "\n1     00000000:00000666"));
  assert_null(strstr(out, "\n00000000:00000666"));
  free(out);
  /* JSON and CSV keep the exact bytes (escaped by their own rules). */
  out = run(path, 0, "--json", (char *)NULL);
  assert_non_null(strstr(out, "\"eve\\u000a1     00000000:00000666  FAKE\\u0009ROW\\u0001\""));
  free(out);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_args),
      cmocka_unit_test(test_at_table),
      cmocka_unit_test(test_at_json),
      cmocka_unit_test(test_listing_csv),
      cmocka_unit_test(test_table_escapes_names),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
