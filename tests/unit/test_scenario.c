/*
 * Unit tests for tests/fakehost/scenario.c, the simulated host's scenario
 * parser: everything tests/scenarios/README.md allows is accepted with the
 * right values, and every malformed file under tests/fakehost/bad/ is
 * rejected at the line:column its first line (`# expect: L:C: text`) names.
 * usage: test_scenario TESTS_SOURCE_DIR
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
#include "scenario.h"

static const char *g_tests_dir = "tests";

static struct lw_scenario *load_ok(const char *yaml) {
  char err[1024];
  struct lw_scenario *sc = NULL;
  int rc = lw_scenario_load_buffer("inline.yaml", yaml, strlen(yaml), &sc, err, sizeof err);
  if (rc != 0) {
    fail_msg("unexpected error %d: %s\n--- yaml:\n%s", rc, err, yaml);
  }
  assert_non_null(sc);
  return sc;
}

/* Loads YAML that must fail; returns the code and leaves the message in err. */
static int load_bad(const char *yaml, char *err, size_t errlen) {
  struct lw_scenario *sc = (struct lw_scenario *)1;
  int rc = lw_scenario_load_buffer("inline.yaml", yaml, strlen(yaml), &sc, err, errlen);
  assert_true(rc < 0);
  assert_null(sc);
  return rc;
}

static const char doc_example[] = "host: RDSH01          # informational\n"
                                  "steps: 40\n"
                                  "logon_sessions:\n"
                                  "  - luid: 0x3e7\n"
                                  "    user: SYSTEM\n"
                                  "    domain: NT AUTHORITY\n"
                                  "    sid: S-1-5-18\n"
                                  "    logon_type: Service\n"
                                  "    auth_package: Negotiate\n"
                                  "    session: 0\n"
                                  "  - luid: \"0:4a1f2\"\n"
                                  "    user: alice\n"
                                  "    domain: CONTOSO\n"
                                  "    sid: S-1-5-21-1004336348-1177238915-682003330-1105\n"
                                  "    logon_type: RemoteInteractive\n"
                                  "    auth_package: Kerberos\n"
                                  "    session: 3\n"
                                  "    logon_time: -120\n"
                                  "    upn: alice@contoso.com\n"
                                  "    from: 2\n"
                                  "    until: 30\n"
                                  "  - luid: \"0:4a300\"\n"
                                  "    user: bob\n"
                                  "    domain: CONTOSO\n"
                                  "    logon_type: RemoteInteractive\n"
                                  "    session: 4\n"
                                  "    from: 5\n"
                                  "    until: 12\n"
                                  "    data_status: 0xC000005F\n"
                                  "wts_sessions:\n"
                                  "  - id: 0\n"
                                  "    station: Services\n"
                                  "    state: Disconnected\n"
                                  "  - id: 3\n"
                                  "    station: RDP-Tcp#12\n"
                                  "    user: alice\n"
                                  "    domain: CONTOSO\n"
                                  "    client: LAPTOP-17\n"
                                  "    state: Active\n"
                                  "    from: 2\n"
                                  "    until: 10\n"
                                  "  - id: 65536\n"
                                  "    station: RDP-Tcp\n"
                                  "    state: Listen\n";

static void test_doc_example(void **state) {
  struct lw_scenario *sc = load_ok(doc_example);
  const struct lw_scenario_logon *a, *b;
  (void)state;
  assert_string_equal(sc->host, "RDSH01");
  assert_int_equal(sc->steps, 40);
  assert_int_equal(sc->n_logons, 3);
  assert_int_equal(sc->n_wts, 3);

  assert_int_equal(sc->logons[0].luid, 0x3e7);
  assert_string_equal(sc->logons[0].user, "SYSTEM");
  assert_string_equal(sc->logons[0].domain, "NT AUTHORITY");
  assert_string_equal(sc->logons[0].sid, "S-1-5-18");
  assert_int_equal(sc->logons[0].logon_type, 5);
  assert_int_equal(sc->logons[0].line, 4);
  assert_int_equal(sc->logons[0].column, 5);

  a = &sc->logons[1];
  assert_int_equal(a->luid, 0x4a1f2);
  assert_string_equal(a->auth_package, "Kerberos");
  assert_int_equal(a->logon_type, 10);
  assert_int_equal(a->session, 3);
  assert_true(a->has_logon_time);
  assert_int_equal(a->logon_time, -120);
  assert_int_equal(lw_scenario_logon_time(a), LW_SCENARIO_EPOCH - 120);
  assert_string_equal(a->upn, "alice@contoso.com");
  assert_null(a->logon_server);
  assert_null(a->dns_domain);
  assert_int_equal(a->from, 2);
  assert_int_equal(a->until, 30);
  assert_int_equal(a->sid_parts.sub_count, 5);
  assert_int_equal(a->sid_parts.authority[5], 5);
  assert_int_equal(a->sid_parts.sub[0], 21);
  assert_int_equal(a->sid_parts.sub[4], 1105);

  b = &sc->logons[2];
  assert_null(b->sid);
  assert_string_equal(b->auth_package, "Negotiate"); /* the default */
  assert_int_equal(b->data_status, 0xC000005Fu);
  assert_false(b->has_logon_time);
  assert_int_equal(lw_scenario_logon_time(b), LW_SCENARIO_EPOCH + 5 * LW_SCENARIO_STEP_SECONDS);

  assert_int_equal(sc->wts[0].id, 0);
  assert_int_equal(sc->wts[0].state, 4); /* Disconnected */
  assert_null(sc->wts[0].user);
  assert_null(sc->wts[0].client);
  assert_int_equal(sc->wts[0].until, LW_SCENARIO_FOREVER);
  assert_string_equal(sc->wts[1].client, "LAPTOP-17");
  assert_int_equal(sc->wts[1].state, 0);
  assert_int_equal(sc->wts[2].id, 65536);
  assert_int_equal(sc->wts[2].state, 6); /* Listen */
  lw_scenario_free(sc);
}

static void test_steps_and_lookup(void **state) {
  struct lw_scenario *sc = load_ok(doc_example);
  const struct lw_scenario_logon *alive[8];
  const struct lw_scenario_wts *walive[8];
  (void)state;
  /* step 0: SYSTEM only; 2..4: + alice; 5..11: + bob; 30+: SYSTEM + ... */
  assert_int_equal(lw_scenario_logons_at(sc, 0, alive, 8), 1);
  assert_int_equal(alive[0]->luid, 0x3e7);
  assert_int_equal(lw_scenario_logons_at(sc, 2, alive, 8), 2);
  assert_int_equal(lw_scenario_logons_at(sc, 5, alive, 8), 3);
  assert_int_equal(alive[2]->luid, 0x4a300);
  assert_int_equal(lw_scenario_logons_at(sc, 12, alive, 8), 2);
  assert_int_equal(lw_scenario_logons_at(sc, 30, NULL, 0), 1);
  assert_int_equal(lw_scenario_logons_at(sc, 11, alive, 1), 3); /* more than cap */

  assert_non_null(lw_scenario_find_logon(sc, 29, 0x4a1f2));
  assert_null(lw_scenario_find_logon(sc, 30, 0x4a1f2));
  assert_null(lw_scenario_find_logon(sc, 1, 0x4a1f2));
  assert_null(lw_scenario_find_logon(sc, 0, 0x12345));

  assert_int_equal(lw_scenario_wts_at(sc, 9, walive, 8), 3);
  assert_int_equal(lw_scenario_wts_at(sc, 10, walive, 8), 2);
  assert_non_null(lw_scenario_find_wts(sc, 9, 3));
  assert_null(lw_scenario_find_wts(sc, 10, 3));
  assert_non_null(lw_scenario_find_wts(sc, 1000, 65536));

  assert_int_equal(lw_scenario_clamp_step(sc, 0), 0);
  assert_int_equal(lw_scenario_clamp_step(sc, 39), 39);
  assert_int_equal(lw_scenario_clamp_step(sc, 40), 39);
  assert_int_equal(lw_scenario_clamp_step(sc, UINT64_MAX), 39);
  assert_int_equal(lw_scenario_step_time(0), LW_SCENARIO_EPOCH);
  assert_int_equal(lw_scenario_step_time(3), LW_SCENARIO_EPOCH + 180);
  lw_scenario_free(sc);
}

/* A WTS session changing state is one session: its LogonTime stays. */
static void test_wts_logon_step(void **state) {
  struct lw_scenario *sc = load_ok("steps: 30\nwts_sessions:\n"
                                   "  - {id: 2, station: s, user: a, state: Active, until: 4}\n"
                                   "  - {id: 2, station: s, user: a, state: Disconnected, from: 4,"
                                   " until: 9}\n"
                                   "  - {id: 2, station: s, user: a, state: Active, from: 9,"
                                   " until: 12}\n"
                                   "  - {id: 2, station: s, user: b, state: Active, from: 12,"
                                   " until: 15}\n"
                                   "  - {id: 2, station: s, user: b, state: Active, from: 16}\n"
                                   "  - {id: 3, station: s, user: a, state: Active, from: 4}\n");
  (void)state;
  assert_int_equal(lw_scenario_wts_logon_step(sc, &sc->wts[0]), 0);
  assert_int_equal(lw_scenario_wts_logon_step(sc, &sc->wts[1]), 0);  /* disconnect */
  assert_int_equal(lw_scenario_wts_logon_step(sc, &sc->wts[2]), 0);  /* reconnect */
  assert_int_equal(lw_scenario_wts_logon_step(sc, &sc->wts[3]), 12); /* another user */
  assert_int_equal(lw_scenario_wts_logon_step(sc, &sc->wts[4]), 16); /* after a gap */
  assert_int_equal(lw_scenario_wts_logon_step(sc, &sc->wts[5]), 4);  /* another ID */
  lw_scenario_free(sc);
}

#define ENTRY(luid) "  - {luid: " luid ", user: u, domain: d, logon_type: 2, session: 1}\n"

static void test_luid_forms(void **state) {
  struct lw_scenario *sc =
      load_ok("steps: 1\nlogon_sessions:\n" ENTRY("12345") ENTRY("0x3E7") ENTRY("\"0x3e8\"")
                  ENTRY("\"0:3e9\"") ENTRY("1:2") ENTRY("\"ffffffff:fffffffe\"")
                      ENTRY("0xffffffffffffffff") ENTRY("'00000001:00000003'") ENTRY("0"));
  (void)state;
  assert_int_equal(sc->n_logons, 9);
  assert_int_equal(sc->logons[0].luid, 12345);
  assert_int_equal(sc->logons[1].luid, 0x3e7);
  assert_int_equal(sc->logons[2].luid, 0x3e8);
  assert_int_equal(sc->logons[3].luid, 0x3e9);
  assert_true(sc->logons[4].luid == ((UINT64_C(1) << 32) | 2));
  assert_true(sc->logons[5].luid == UINT64_C(0xfffffffffffffffe));
  assert_true(sc->logons[6].luid == UINT64_MAX);
  assert_true(sc->logons[7].luid == UINT64_C(0x100000003));
  assert_int_equal(sc->logons[8].luid, 0);
  assert_non_null(lw_scenario_find_logon(sc, 0, UINT64_MAX));
  assert_non_null(lw_scenario_find_logon(sc, 0, 0));
  lw_scenario_free(sc);
}

static void test_luid_rejects(void **state) {
  char err[512];
  (void)state;
  assert_int_equal(
      load_bad("steps: 1\nlogon_sessions:\n" ENTRY("0x10000000000000000"), err, sizeof err),
      LW_ERANGE);
  assert_int_equal(
      load_bad("steps: 1\nlogon_sessions:\n" ENTRY("18446744073709551616"), err, sizeof err),
      LW_ERANGE);
  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n" ENTRY("\":5\""), err, sizeof err),
                   LW_ETYPE);
  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n" ENTRY("\"0:5:6\""), err, sizeof err),
                   LW_ETYPE);
  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n" ENTRY("\"0x1:5\""), err, sizeof err),
                   LW_ETYPE);
  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n" ENTRY("alice"), err, sizeof err),
                   LW_ETYPE);
  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n" ENTRY("[1]"), err, sizeof err), LW_ETYPE);
  assert_string_equal(err, "inline.yaml:3:12: 'luid' must be an integer, 0x-hex or a "
                           "\"HIGH:LOW\" hex string, not a list");
}

static void test_names_and_numbers(void **state) {
  struct lw_scenario *sc =
      load_ok("steps: 2\n"
              "logon_sessions:\n"
              "  - {luid: 1, user: u, domain: d, logon_type: remoteinteractive, session: 1}\n"
              "  - {luid: 2, user: u, domain: d, logon_type: 0x0b, session: 0xffffffff}\n"
              "  - {luid: 3, user: u, domain: d, logon_type: 4294967295, session: 0}\n"
              "  - {luid: 4, user: u, domain: d, logon_type: CACHEDUNLOCK, session: +7}\n"
              "wts_sessions:\n"
              "  - {id: 1, station: Console, state: connectquery}\n"
              "  - {id: 4294967294, station: x, state: INIT}\n");
  (void)state;
  assert_int_equal(sc->logons[0].logon_type, 10);
  assert_int_equal(sc->logons[1].logon_type, 11);
  assert_int_equal(sc->logons[1].session, 0xffffffffu);
  assert_int_equal(sc->logons[2].logon_type, 0xffffffffu);
  assert_int_equal(sc->logons[3].logon_type, 13);
  assert_int_equal(sc->logons[3].session, 7);
  assert_int_equal(sc->wts[0].state, 2);
  assert_int_equal(sc->wts[1].state, 9);
  assert_string_equal(lw_scenario_logon_type_name(10), "RemoteInteractive");
  assert_null(lw_scenario_logon_type_name(1));
  assert_null(lw_scenario_logon_type_name(14));
  assert_string_equal(lw_scenario_state_name(4), "Disconnected");
  assert_null(lw_scenario_state_name(10));
  lw_scenario_free(sc);
}

static void test_strings(void **state) {
  struct lw_scenario *sc =
      load_ok("steps: 1\n"
              "host: 12345\n" /* a plain number is a string where a string is expected */
              "logon_sessions:\n"
              "  - luid: 1\n"
              "    user: \"\"\n"
              "    domain: \"tab\\there \\U0001F600 %1 %%\"\n"
              "    logon_type: 3\n"
              "    session: 0\n"
              "    upn: 'it''s'\n"
              "    logon_server: true\n"
              "    dns_domain: |\n"
              "      two\n"
              "      lines\n");
  (void)state;
  assert_string_equal(sc->host, "12345");
  assert_string_equal(sc->logons[0].user, "");
  assert_string_equal(sc->logons[0].domain, "tab\there \xF0\x9F\x98\x80 %1 %%");
  assert_string_equal(sc->logons[0].upn, "it's");
  assert_string_equal(sc->logons[0].logon_server, "true");
  assert_string_equal(sc->logons[0].dns_domain, "two\nlines\n");
  lw_scenario_free(sc);
}

/* A scenario whose user name has `units` UTF-16 units made of `seq`. */
static char *long_user_yaml(const char *seq, size_t count) {
  size_t n = strlen(seq), i;
  char *y = malloc(count * n + 256), *p = y;
  assert_non_null(y);
  p += sprintf(p, "steps: 1\nlogon_sessions:\n  - luid: 1\n    user: \"");
  for (i = 0; i < count; i++) {
    memcpy(p, seq, n);
    p += n;
  }
  sprintf(p, "\"\n    domain: d\n    logon_type: 2\n    session: 1\n");
  return y;
}

static void test_string_limit(void **state) {
  char err[512];
  char *y;
  struct lw_scenario *sc;
  (void)state;
  y = long_user_yaml("a", 32767); /* the most an LSA_UNICODE_STRING holds */
  sc = load_ok(y);
  assert_int_equal(strlen(sc->logons[0].user), 32767);
  lw_scenario_free(sc);
  free(y);
  y = long_user_yaml("a", 32768);
  assert_int_equal(load_bad(y, err, sizeof err), LW_ERANGE);
  assert_non_null(strstr(err, "inline.yaml:4:11: 'user' is longer than 32767 UTF-16 units"));
  free(y);
  y = long_user_yaml("\xF0\x9F\x98\x80", 16384); /* 16384 non-BMP = 32768 units */
  assert_int_equal(load_bad(y, err, sizeof err), LW_ERANGE);
  free(y);
  y = long_user_yaml("\xC3\xA9", 32767); /* two UTF-8 bytes, one unit each */
  sc = load_ok(y);
  lw_scenario_free(sc);
  free(y);
}

static void test_sids(void **state) {
  char err[512];
  struct lw_scenario *sc = load_ok(
      "steps: 1\n"
      "logon_sessions:\n"
      "  - {luid: 1, user: u, domain: d, logon_type: 2, session: 1, sid: s-1-5-18}\n"
      "  - {luid: 2, user: u, domain: d, logon_type: 2, session: 1, sid: S-1-5}\n"
      "  - {luid: 3, user: u, domain: d, logon_type: 2, session: 1, sid: S-1-0x123456789ABC-7}\n"
      "  - {luid: 4, user: u, domain: d, logon_type: 2, session: 1, sid: S-1-0x5-4294967295}\n"
      "  - {luid: 5, user: u, domain: d, logon_type: 2, session: 1,\n"
      "     sid: S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15}\n");
  (void)state;
  assert_string_equal(sc->logons[0].sid, "S-1-5-18");
  assert_string_equal(sc->logons[1].sid, "S-1-5");
  assert_int_equal(sc->logons[1].sid_parts.sub_count, 0);
  assert_string_equal(sc->logons[2].sid, "S-1-0x123456789ABC-7");
  assert_int_equal(sc->logons[2].sid_parts.authority[0], 0x12);
  assert_int_equal(sc->logons[2].sid_parts.authority[5], 0xBC);
  assert_string_equal(sc->logons[3].sid, "S-1-5-4294967295");
  assert_int_equal(sc->logons[4].sid_parts.sub_count, 15);
  lw_scenario_free(sc);

  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n  - {luid: 5, user: u, domain: d, "
                            "logon_type: 2, session: 1,\n     sid: "
                            "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16}\n",
                            err, sizeof err),
                   LW_ETYPE);
  assert_non_null(strstr(err, "inline.yaml:4:11: 'sid' must be of the form"));
  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n  - {luid: 5, user: u, domain: d, "
                            "logon_type: 2, session: 1, sid: S-2-5-18}\n",
                            err, sizeof err),
                   LW_ETYPE);
  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n  - {luid: 5, user: u, domain: d, "
                            "logon_type: 2, session: 1, sid: S-1-5-4294967296}\n",
                            err, sizeof err),
                   LW_ETYPE);
  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n  - {luid: 5, user: u, domain: d, "
                            "logon_type: 2, session: 1, sid: S-1-5-}\n",
                            err, sizeof err),
                   LW_ETYPE);
}

static void test_empty_lists(void **state) {
  char err[512];
  struct lw_scenario *sc = load_ok("steps: 3\nlogon_sessions: []\nwts_sessions: []\n");
  (void)state;
  assert_int_equal(sc->n_logons, 0);
  assert_int_equal(lw_scenario_logons_at(sc, 0, NULL, 0), 0);
  assert_null(lw_scenario_find_logon(sc, 0, 1));
  assert_null(lw_scenario_find_wts(sc, 0, 1));
  lw_scenario_free(sc);
  assert_int_equal(load_bad("steps: 1\nwts_sessions:\n", err, sizeof err), LW_ETYPE);
  assert_string_equal(err, "inline.yaml:2:14: 'wts_sessions' must be a list (write [] for "
                           "none), not null");
}

/* Anchors, aliases and merge keys are refused where they are written (issue 14:
 * merges of aliases took time exponential in the file's size). */
static void test_aliases_and_merge_keys_refused(void **state) {
  char err[512];
  (void)state;
  assert_int_equal(load_bad("steps: 3\n"
                            "wts_sessions:\n"
                            "  - {id: 2, station: &st RDP-Tcp#1, state: Active, until: 1}\n"
                            "  - {id: 2, station: *st, state: Disconnected, from: 1}\n",
                            err, sizeof err),
                   LW_EINVAL);
  assert_string_equal(err, "inline.yaml:3:22: anchors (&st) are not supported");
  /* an alias of an anchor the file never defines is still an alias */
  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n  - *e\n", err, sizeof err), LW_EINVAL);
  assert_string_equal(err, "inline.yaml:3:5: aliases (*e) are not supported; write the value out");
  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n"
                            "  - {luid: 1, user: u, domain: d, logon_type: 2, session: 1,\n"
                            "     <<: {until: 2}}\n",
                            err, sizeof err),
                   LW_EINVAL);
  assert_string_equal(err, "inline.yaml:4:6: merge keys ('<<') are not supported in a logon "
                           "session; write the keys out");
  assert_int_equal(
      load_bad("steps: 1\nwts_sessions:\n  - {<<: [], id: 1, station: s, state: Idle}\n", err,
               sizeof err),
      LW_EINVAL);
  assert_non_null(strstr(err, "inline.yaml:3:6: merge keys ('<<')"));
  assert_int_equal(load_bad("<<: {steps: 1}\n", err, sizeof err), LW_EINVAL);
  assert_string_equal(err, "inline.yaml:1:1: merge keys ('<<') are not supported in the "
                           "scenario; write the keys out");
  /* a quoted '<<' is an ordinary key, and unknown */
  assert_int_equal(
      load_bad("steps: 1\nwts_sessions:\n  - {'<<': {id: 1}, station: s}\n", err, sizeof err),
      LW_EUNKNOWN);
  /* a syntax error before any alias is reported as such */
  assert_int_equal(load_bad("steps: [1\nlogon_sessions: *e\n", err, sizeof err), LW_ESYNTAX);
}

static void test_overlap_rules(void **state) {
  char err[512];
  struct lw_scenario *sc;
  (void)state;
  /* touching ranges are fine; a range inside a long one is not */
  sc = load_ok("steps: 9\nlogon_sessions:\n"
               "  - {luid: 7, user: a, domain: d, logon_type: 2, session: 1, until: 3}\n"
               "  - {luid: 7, user: b, domain: d, logon_type: 2, session: 1, from: 3, until: 5}\n"
               "  - {luid: 7, user: c, domain: d, logon_type: 2, session: 1, from: 6}\n");
  assert_string_equal(lw_scenario_find_logon(sc, 2, 7)->user, "a");
  assert_string_equal(lw_scenario_find_logon(sc, 3, 7)->user, "b");
  assert_null(lw_scenario_find_logon(sc, 5, 7));
  assert_string_equal(lw_scenario_find_logon(sc, 8, 7)->user, "c");
  lw_scenario_free(sc);

  assert_int_equal(
      load_bad("steps: 9\nlogon_sessions:\n"
               "  - {luid: 7, user: a, domain: d, logon_type: 2, session: 1, until: 9}\n"
               "  - {luid: 8, user: x, domain: d, logon_type: 2, session: 1}\n"
               "  - {luid: 7, user: b, domain: d, logon_type: 2, session: 1, from: 1, until: 2}\n"
               "  - {luid: 7, user: c, domain: d, logon_type: 2, session: 1, from: 4, until: 5}\n",
               err, sizeof err),
      LW_EINVAL);
  assert_string_equal(err, "inline.yaml:5:12: LUID 00000000:00000007 is alive twice at step 1 "
                           "(also in the entry at line 3)");
  assert_int_equal(load_bad("steps: 9\nwts_sessions:\n"
                            "  - {id: 1, station: a, state: Active, from: 3}\n"
                            "  - {id: 1, station: b, state: Active, until: 4}\n",
                            err, sizeof err),
                   LW_EINVAL);
  assert_string_equal(err, "inline.yaml:4:10: WTS session id 1 is alive twice at step 3 "
                           "(also in the entry at line 3)");
}

static void test_error_codes_and_buffers(void **state) {
  char err[512], tiny[8];
  struct lw_scenario *sc = NULL;
  (void)state;
  assert_int_equal(load_bad("steps: 1\nhots: x\n", err, sizeof err), LW_EUNKNOWN);
  assert_int_equal(load_bad("steps: [1]\n", err, sizeof err), LW_ETYPE);
  assert_int_equal(load_bad("steps: 1.5\n", err, sizeof err), LW_ETYPE);
  assert_int_equal(load_bad("steps: 1_000\n", err, sizeof err), LW_ETYPE);
  assert_int_equal(load_bad("steps: -1\n", err, sizeof err), LW_ERANGE);
  assert_int_equal(load_bad("steps: 1\nlogon_sessions:\n  - {luid: 1}\n", err, sizeof err),
                   LW_EINVAL);
  assert_int_equal(load_bad("steps: 1\n  bad: indent\n", err, sizeof err), LW_ESYNTAX);
  assert_int_equal(load_bad("{steps: 1, steps: 2}\n", err, sizeof err), LW_EINVAL);
  assert_string_equal(err, "inline.yaml:1:12: key 'steps' appears twice in the scenario");
  assert_int_equal(load_bad("? [a]\n: 1\nsteps: 1\n", err, sizeof err), LW_ETYPE);
  assert_int_equal(load_bad("", err, sizeof err), LW_EINVAL);
  assert_string_equal(err, "inline.yaml:1:1: the scenario is empty (expected a mapping with "
                           "'steps')");

  /* a small or absent error buffer is never overrun */
  assert_int_equal(lw_scenario_load_buffer("inline.yaml", "x: 1\n", 5, &sc, tiny, sizeof tiny),
                   LW_EUNKNOWN);
  assert_int_equal(strlen(tiny), sizeof tiny - 1);
  assert_int_equal(lw_scenario_load_buffer("inline.yaml", "x: 1\n", 5, &sc, NULL, 0), LW_EUNKNOWN);
  assert_null(sc);
  lw_scenario_free(NULL);
}

static void test_missing_file(void **state) {
  char err[512], path[1024];
  struct lw_scenario *sc = (struct lw_scenario *)1;
  (void)state;
  snprintf(path, sizeof path, "%s/fakehost/bad/no-such-file.yaml", g_tests_dir);
  assert_int_equal(lw_scenario_load(path, &sc, err, sizeof err), LW_ENOENT);
  assert_null(sc);
  assert_int_equal(strncmp(err, path, strlen(path)), 0);
  assert_non_null(strstr(err, ": cannot open"));
}

/* Every malformed fixture: rejected at the place its first line names. */
static const char *const bad_fixtures[] = {
    "data-status-zero.yaml",
    "domain-mapping.yaml",
    "duplicate-key.yaml",
    "empty.yaml",
    "entry-not-a-mapping.yaml",
    "from-negative.yaml",
    "from-not-before-until.yaml",
    "invalid-utf8.yaml",
    "logon-time-quoted.yaml",
    "logon-type-bad.yaml",
    "luid-bad.yaml",
    "luid-duplicate.yaml",
    "luid-negative.yaml",
    "luid-part-too-big.yaml",
    "missing-luid.yaml",
    "missing-state.yaml",
    "missing-user.yaml",
    "missing-wts-id.yaml",
    "not-a-mapping.yaml",
    "session-negative.yaml",
    "sessions-not-a-list.yaml",
    "sid-bad.yaml",
    "state-bad.yaml",
    "steps-missing.yaml",
    "steps-quoted.yaml",
    "steps-too-big.yaml",
    "steps-zero.yaml",
    "string-with-nul.yaml",
    "syntax-error.yaml",
    "two-documents.yaml",
    "unknown-logon-key.yaml",
    "unknown-top-key.yaml",
    "unknown-wts-key.yaml",
    "alias.yaml",
    "anchor.yaml",
    "merge-key.yaml",
    "merge-bomb.yaml", /* took 16 s under ASan before merge keys were refused */
    "user-null.yaml",
    "wts-duplicate.yaml",
    "wts-id-reserved.yaml",
};

static void test_bad_fixtures(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < sizeof bad_fixtures / sizeof bad_fixtures[0]; i++) {
    char path[1024], first[512], err[1024], prefix[1100];
    const char *where, *text;
    struct lw_scenario *sc = NULL;
    FILE *f;
    size_t n;
    int rc;
    snprintf(path, sizeof path, "%s/fakehost/bad/%s", g_tests_dir, bad_fixtures[i]);
    f = fopen(path, "rb");
    if (f == NULL) {
      fail_msg("cannot open fixture %s", path);
    }
    if (fgets(first, sizeof first, f) == NULL) {
      first[0] = '\0';
    }
    fclose(f);
    n = strcspn(first, "\r\n");
    first[n] = '\0';
    if (strncmp(first, "# expect: ", 10) != 0) {
      fail_msg("%s: first line must be '# expect: L:C: text'", path);
    }
    where = first + 10;             /* "L:C: text" */
    text = strstr(where, ": ") + 2; /* "text" */
    rc = lw_scenario_load(path, &sc, err, sizeof err);
    if (rc >= 0 || sc != NULL) {
      fail_msg("%s: accepted, expected '%s'", path, where);
    }
    snprintf(prefix, sizeof prefix, "%s:%.*s", path, (int)(text - where), where);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, text) == NULL) {
      fail_msg("%s:\n  expected: %s...%s\n  got:      %s", bad_fixtures[i], prefix, text, err);
    }
  }
}

static struct lw_scenario *load_shipped(const char *name) {
  char path[1024], err[1024];
  struct lw_scenario *sc = NULL;
  int rc;
  snprintf(path, sizeof path, "%s/scenarios/%s", g_tests_dir, name);
  rc = lw_scenario_load(path, &sc, err, sizeof err);
  if (rc != 0) {
    fail_msg("%s: %s", path, err);
  }
  return sc;
}

/* RemoteInteractive logon sessions at `step` with no WTS session of their ID. */
static size_t leaked_at(const struct lw_scenario *sc, uint32_t step) {
  size_t i, n = 0;
  for (i = 0; i < sc->n_logons; i++) {
    const struct lw_scenario_logon *e = &sc->logons[i];
    if (lw_scenario_logon_alive(e, step) && e->logon_type == 10 &&
        lw_scenario_find_wts(sc, step, e->session) == NULL) {
      n++;
    }
  }
  return n;
}

static void test_shipped_scenarios(void **state) {
  static const char *const names[] = {"basic.yaml", "leak-2-to-152.yaml", "clean-churn.yaml",
                                      "odd-strings.yaml", "data-fail.yaml"};
  struct lw_scenario *sc;
  size_t i;
  uint32_t step, max_id = 0;
  (void)state;
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    lw_scenario_free(load_shipped(names[i]));
  }

  sc = load_shipped("basic.yaml");
  assert_non_null(lw_scenario_find_logon(sc, 3, 0x4a1200)); /* bob until step 4 */
  assert_null(lw_scenario_find_logon(sc, 4, 0x4a1200));
  assert_null(lw_scenario_find_wts(sc, 4, 3));
  assert_int_equal(leaked_at(sc, 5), 0);
  lw_scenario_free(sc);

  /* IDs climb to 152; at the end 150 users are leaked and one is on. */
  sc = load_shipped("leak-2-to-152.yaml");
  assert_int_equal(sc->steps, 48);
  for (step = 0; step < sc->steps; step++) {
    const struct lw_scenario_wts *w[64];
    size_t n = lw_scenario_wts_at(sc, step, w, 64), k;
    assert_true(n <= 64);
    for (k = 0; k < n; k++) {
      if (w[k]->id < 65536 && w[k]->id > max_id) {
        max_id = w[k]->id;
      }
    }
  }
  assert_int_equal(max_id, 152);
  assert_int_equal(leaked_at(sc, 39), 150);
  assert_int_equal(leaked_at(sc, 0), 0);
  assert_non_null(lw_scenario_find_wts(sc, 39, 152));
  assert_null(lw_scenario_find_wts(sc, 39, 151));
  lw_scenario_free(sc);

  /* clean churn: session IDs are reused and nothing ever leaks */
  sc = load_shipped("clean-churn.yaml");
  for (step = 0; step < sc->steps; step++) {
    assert_int_equal(leaked_at(sc, step), 0);
  }
  lw_scenario_free(sc);

  sc = load_shipped("odd-strings.yaml");
  assert_string_equal(lw_scenario_find_logon(sc, 0, UINT64_C(0x100000002))->user,
                      "O'Brien \"Danny\"");
  assert_int_equal(strlen(lw_scenario_find_logon(sc, 0, 0x70001)->user), 300);
  assert_non_null(lw_scenario_find_logon(sc, 0, UINT64_C(0xfffffffffffffffe)));
  lw_scenario_free(sc);

  sc = load_shipped("data-fail.yaml");
  assert_int_equal(lw_scenario_find_logon(sc, 1, 0x7d0004)->data_status, 0xC0000022u);
  assert_int_equal(lw_scenario_find_logon(sc, 2, 0x7d0004)->data_status, 0);
  lw_scenario_free(sc);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_doc_example),
      cmocka_unit_test(test_steps_and_lookup),
      cmocka_unit_test(test_luid_forms),
      cmocka_unit_test(test_luid_rejects),
      cmocka_unit_test(test_names_and_numbers),
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_string_limit),
      cmocka_unit_test(test_sids),
      cmocka_unit_test(test_empty_lists),
      cmocka_unit_test(test_aliases_and_merge_keys_refused),
      cmocka_unit_test(test_overlap_rules),
      cmocka_unit_test(test_error_codes_and_buffers),
      cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_bad_fixtures),
      cmocka_unit_test(test_shipped_scenarios),
      cmocka_unit_test(test_wts_logon_step),
  };
  if (argc > 1) {
    g_tests_dir = argv[1];
  }
  return cmocka_run_group_tests(tests, NULL, NULL);
}
