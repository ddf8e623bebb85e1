/*
 * Unit tests for ack.c (known leak entries: targets, what they cover) and
 * store_acks.c (the acks table: written on a connection of its own beside the
 * service's, read by the service only when the database changed; never
 * created or migrated from there).
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
#include <sqlite3.h>

#include "ack.h"
#include "error.h"
#include "luid.h"
#include "store.h"
#include "store_testlib.h"
#include "timefmt.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */
#define MIN_MS INT64_C(60000)

static void entry(struct lw_ack_set *s, int64_t id, int kind, const char *target, int64_t expires) {
  struct lw_ack a;
  memset(&a, 0, sizeof a);
  a.id = id;
  a.kind = kind;
  a.target = (char *)target;
  a.reason = (char *)"why";
  a.created_at = T0;
  a.expires_at = expires;
  if (kind == LW_ACK_LUID)
    assert_int_equal(lw_luid_parse(target, &a.luid), 0);
  assert_int_equal(lw_ack_set_add(s, &a), 0);
}

static void test_parse_target(void **state) {
  char norm[LW_ACK_TARGET_MAX], err[256], big[LW_ACK_TARGET_MAX + 10];
  uint64_t luid = 0;
  (void)state;
  assert_int_equal(
      lw_ack_parse_target(LW_ACK_LUID, "0:2A03E6", &luid, norm, sizeof norm, err, sizeof err), 0);
  assert_string_equal(norm, "00000000:002a03e6");
  assert_true(luid == 0x2a03e6);
  assert_int_equal(
      lw_ack_parse_target(LW_ACK_LUID, "0:3e7", &luid, norm, sizeof norm, err, sizeof err),
      LW_EINVAL);
  assert_non_null(strstr(err, "'0:3e7' is a built-in logon session"));
  assert_int_equal(
      lw_ack_parse_target(LW_ACK_LUID, "alice", &luid, norm, sizeof norm, err, sizeof err),
      LW_ESYNTAX);
  assert_non_null(strstr(err, "'alice' is not a LUID"));
  assert_int_equal(
      lw_ack_parse_target(LW_ACK_USER, "CONTOSO\\alice", NULL, norm, sizeof norm, err, sizeof err),
      0);
  assert_string_equal(norm, "CONTOSO\\alice");
  const char *bad_users[] = {"alice", "\\alice", "CONTOSO\\", "A\\b\\c", ""};
  for (size_t i = 0; i < sizeof bad_users / sizeof bad_users[0]; i++)
    assert_int_equal(
        lw_ack_parse_target(LW_ACK_USER, bad_users[i], NULL, norm, sizeof norm, err, sizeof err),
        LW_ESYNTAX);
  assert_int_equal(
      lw_ack_parse_target(LW_ACK_IMAGE, "agent.exe", NULL, norm, sizeof norm, err, sizeof err), 0);
  const char *bad_images[] = {"C:\\x\\agent.exe", "x/agent.exe", "..", "a\tb"};
  for (size_t i = 0; i < sizeof bad_images / sizeof bad_images[0]; i++)
    assert_int_equal(
        lw_ack_parse_target(LW_ACK_IMAGE, bad_images[i], NULL, norm, sizeof norm, err, sizeof err),
        LW_ESYNTAX);
  assert_int_equal(
      lw_ack_parse_target(LW_ACK_USER, "C\\a\x1b[31m", NULL, norm, sizeof norm, err, sizeof err),
      LW_ESYNTAX);
  assert_string_equal(err, "the user holds a control character (0x1b at byte 4)");
  assert_int_equal(lw_ack_parse_target(LW_ACK_LUID, "0:2a", NULL, norm, 10, err, sizeof err),
                   LW_ERANGE);
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  assert_int_equal(lw_ack_parse_target(LW_ACK_IMAGE, big, NULL, norm, sizeof norm, err, sizeof err),
                   LW_ERANGE);
  assert_int_equal(lw_ack_kind_from_name("image"), LW_ACK_IMAGE);
  assert_int_equal(lw_ack_kind_from_name("group"), 0);
  assert_string_equal(lw_ack_kind_name(LW_ACK_LUID), "luid");
}

static void test_match(void **state) {
  struct lw_ack_set s;
  const struct lw_ack *a;
  const char *both[] = {"C:\\Program Files\\Agent\\AGENT.EXE", "C:\\Windows\\other.exe"};
  (void)state;
  lw_ack_set_init(&s);
  assert_null(lw_ack_match(&s, T0, 0x2a, "CONTOSO", "alice", NULL, 0));
  entry(&s, 0, LW_ACK_USER, "CONTOSO\\alice", LW_TIME_UNKNOWN); /* ignore: */
  entry(&s, 4, LW_ACK_USER, "contoso\\ALICE", T0 + MIN_MS);
  entry(&s, 5, LW_ACK_LUID, "0:2b", LW_TIME_UNKNOWN);
  entry(&s, 6, LW_ACK_IMAGE, "agent.exe", LW_TIME_UNKNOWN);
  /* The user, case-insensitively; the acknowledgement before the ignore entry. */
  a = lw_ack_match(&s, T0, 0x2a, "Contoso", "Alice", NULL, 0);
  assert_non_null(a);
  assert_int_equal(a->id, 4);
  /* The expiry is exclusive: at it, only the ignore entry is left. */
  a = lw_ack_match(&s, T0 + MIN_MS, 0x2a, "CONTOSO", "alice", NULL, 0);
  assert_non_null(a);
  assert_int_equal(a->id, 0);
  assert_null(lw_ack_match(&s, T0, 0x2a, "FABRIKAM", "alice", NULL, 0));
  /* The LUID alone. */
  a = lw_ack_match(&s, T0, 0x2b, NULL, NULL, NULL, 0);
  assert_non_null(a);
  assert_int_equal(a->id, 5);
  /* Images: every holder known must be covered. */
  a = lw_ack_match(&s, T0, 0x99, "CONTOSO", "bob", both, 1);
  assert_non_null(a);
  assert_int_equal(a->id, 6);
  assert_null(lw_ack_match(&s, T0, 0x99, "CONTOSO", "bob", both, 2));
  assert_null(lw_ack_match(&s, T0, 0x99, "CONTOSO", "bob", NULL, 0));
  /* An image covered by the configuration and one by an acknowledgement. */
  assert_int_equal(lw_ack_set_add_names(&s, LW_ACK_IMAGE, "zzz.exe\nother.exe"), 0);
  a = lw_ack_match(&s, T0, 0x99, "CONTOSO", "bob", both, 2);
  assert_non_null(a);
  assert_int_equal(a->id, 6);
  assert_non_null(lw_ack_set_find(&s, 5));
  assert_null(lw_ack_set_find(&s, 0));
  lw_ack_set_free(&s);
  lw_ack_set_free(&s);
}

/* A fresh history made by the service's kind of open. */
static const char *fresh_db(const char *name) {
  const char *path = tl_path(name);
  struct lw_store *st = NULL;
  char err[512];
  tl_remove_db(path);
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  assert_int_equal(lw_store_close(st, NULL), 0);
  return path;
}

static void test_store_acks(void **state) {
  char path[1100];
  snprintf(path, sizeof path, "%s", fresh_db("acks.db"));
  struct lw_store *svc = NULL, *ro = NULL;
  struct lw_store_options opts;
  struct lw_ack_set s;
  struct lw_ack a, removed;
  char err[512];
  int64_t id = 0;
  (void)state;
  /* The service's connection, open while the CLI writes. */
  assert_int_equal(lw_store_open(path, NULL, &svc, NULL, err, sizeof err), 0);
  assert_int_equal(lw_store_changed_elsewhere(svc), 1); /* the first call */
  assert_int_equal(lw_store_changed_elsewhere(svc), 0);
  lw_ack_set_init(&s);
  assert_int_equal(lw_store_acks_load(svc, &s), 0);
  assert_int_equal(s.n, 0);

  memset(&a, 0, sizeof a);
  a.kind = LW_ACK_USER;
  a.target = (char *)"CONTOSO\\alice";
  a.reason = (char *)"vendor case 4711; it's known";
  a.created_at = T0;
  a.created_by = (char *)"CONTOSO\\admin";
  a.expires_at = T0 + 7 * 24 * 60 * MIN_MS;
  assert_int_equal(lw_store_ack_add(path, &a, 1000, &id, err, sizeof err), 0);
  assert_int_equal(id, 1);
  a.kind = LW_ACK_LUID;
  a.target = (char *)"00000000:002a03e6";
  a.created_by = NULL;
  a.expires_at = LW_TIME_UNKNOWN;
  assert_int_equal(lw_store_ack_add(path, &a, 1000, &id, err, sizeof err), 0);
  assert_int_equal(id, 2);
  /* The service sees that something changed, and reads both. */
  assert_int_equal(lw_store_changed_elsewhere(svc), 1);
  assert_int_equal(lw_store_changed_elsewhere(svc), 0);
  assert_int_equal(lw_store_acks_load(svc, &s), 0);
  assert_int_equal(s.n, 2);
  assert_int_equal(s.v[0].kind, LW_ACK_USER);
  assert_string_equal(s.v[0].reason, "vendor case 4711; it's known");
  assert_string_equal(s.v[0].created_by, "CONTOSO\\admin");
  assert_true(s.v[0].expires_at == T0 + 7 * 24 * 60 * MIN_MS);
  assert_true(s.v[1].luid == 0x2a03e6);
  assert_true(s.v[1].expires_at == LW_TIME_UNKNOWN);
  assert_string_equal(s.v[1].created_by, "");
  lw_ack_set_free(&s);

  /* Removal: the row and what it was; an unknown id said. */
  assert_int_equal(lw_store_ack_remove(path, 1, 1000, &removed, err, sizeof err), 0);
  assert_string_equal(removed.target, "CONTOSO\\alice");
  free(removed.target);
  free(removed.reason);
  free(removed.created_by);
  assert_int_equal(lw_store_ack_remove(path, 1, 1000, NULL, err, sizeof err), LW_ENOENT);
  assert_non_null(strstr(err, "no acknowledgement with id 1"));
  assert_int_equal(lw_store_changed_elsewhere(svc), 1);
  /* Ids are never reused, not even the highest one removed. */
  assert_int_equal(lw_store_ack_add(path, &a, 1000, &id, err, sizeof err), 0);
  assert_int_equal(id, 3);
  assert_int_equal(lw_store_ack_remove(path, 3, 1000, NULL, err, sizeof err), 0);
  assert_int_equal(lw_store_ack_add(path, &a, 1000, &id, err, sizeof err), 0);
  assert_int_equal(id, 4);
  assert_int_equal(lw_store_ack_remove(path, 4, 1000, NULL, err, sizeof err), 0);

  /* A read-only reader lists them too (and v_acks shows them). */
  memset(&opts, 0, sizeof opts);
  opts.read_only = true;
  assert_int_equal(lw_store_open(path, &opts, &ro, NULL, err, sizeof err), 0);
  lw_ack_set_init(&s);
  assert_int_equal(lw_store_acks_load(ro, &s), 0);
  assert_int_equal(s.n, 1);
  assert_int_equal(s.v[0].id, 2);
  lw_ack_set_free(&s);
  lw_store_close(ro, NULL);
  lw_store_close(svc, NULL);

  sqlite3 *db = NULL;
  sqlite3_stmt *q = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, kind, target, expires_at, state FROM v_acks",
                                      -1, &q, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(q), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(q, 0), 2);
  assert_string_equal((const char *)sqlite3_column_text(q, 1), "luid");
  assert_int_equal(sqlite3_column_type(q, 3), SQLITE_NULL);
  assert_string_equal((const char *)sqlite3_column_text(q, 4), "active");
  sqlite3_finalize(q);
  sqlite3_close(db);
}

static void test_store_acks_refused(void **state) {
  char path[1100];
  snprintf(path, sizeof path, "%s", fresh_db("acks-old.db"));
  struct lw_ack a;
  char err[512], sql[128];
  int64_t id = 0;
  sqlite3 *db = NULL;
  (void)state;
  memset(&a, 0, sizeof a);
  a.kind = LW_ACK_USER;
  a.target = (char *)"CONTOSO\\alice";
  a.reason = (char *)"x";
  a.created_at = T0;
  a.expires_at = LW_TIME_UNKNOWN;
  /* A history of schema 5: refused, neither migrated nor changed. */
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "DROP VIEW v_acks; DROP TABLE acks; PRAGMA user_version = 5",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(lw_store_ack_add(path, &a, 1000, &id, err, sizeof err), LW_EINVAL);
  assert_non_null(strstr(err, "schema version 5, older than the acknowledgements (version"));
  assert_non_null(strstr(err, "start it once"));
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *q = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(q), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(q, 0), 5);
  sqlite3_finalize(q);
  /* A newer LeakWatch's. */
  snprintf(sql, sizeof sql, "PRAGMA user_version = %d", LW_STORE_SCHEMA_VERSION + 1);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(lw_store_ack_add(path, &a, 1000, &id, err, sizeof err), LW_ETOONEW);
  /* No database: not created. */
  const char *none = tl_path("acks-none.db");
  tl_remove_db(none);
  assert_int_equal(lw_store_ack_add(none, &a, 1000, &id, err, sizeof err), LW_ENOENT);
  assert_non_null(strstr(err, "no history database there"));
  assert_true(tl_file_size(none) < 0);
  /* Another application's database. */
  const char *other = tl_path("acks-other.db");
  tl_remove_db(other);
  assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(lw_store_ack_add(other, &a, 1000, &id, err, sizeof err), LW_EINVAL);
  assert_non_null(strstr(err, "not a LeakWatch history database"));
  /* Bad arguments. */
  a.kind = 9;
  assert_int_equal(lw_store_ack_add(path, &a, 1000, &id, err, sizeof err), LW_EINVAL);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_target),
      cmocka_unit_test(test_match),
      cmocka_unit_test(test_store_acks),
      cmocka_unit_test(test_store_acks_refused),
  };
  if (argc > 1)
    tl_set_dir(argv[1]);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
