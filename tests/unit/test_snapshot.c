/* Unit tests for snapshot.c: arena strings, growing arrays, finish (sorting and
 * process counts), lookups, and the name tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "snapshot.h"

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void test_new_is_empty(void **state) {
  struct lw_snapshot *s = lw_snapshot_new();
  (void)state;
  assert_non_null(s);
  assert_int_equal(s->n_logons, 0);
  assert_int_equal(s->n_wts, 0);
  assert_int_equal(s->n_procs, 0);
  assert_true(s->taken_at == LW_TIME_UNKNOWN);
  assert_true(s->boot_time == LW_TIME_UNKNOWN);
  lw_snapshot_finish(s); /* finishing an empty snapshot is fine */
  assert_null(lw_snapshot_find_logon(s, 0x3e7));
  assert_null(lw_snapshot_find_wts(s, 0));
  lw_snapshot_free(s);
  lw_snapshot_free(NULL);
}

static void test_add_zeroes_and_grows(void **state) {
  struct lw_snapshot *s = lw_snapshot_new();
  (void)state;
  for (int i = 0; i < 5000; i++) {
    struct lw_logon_session *l = lw_snapshot_add_logon(s);
    struct lw_wts_session *w = lw_snapshot_add_wts(s);
    struct lw_process *p = lw_snapshot_add_process(s);
    assert_non_null(l);
    assert_non_null(w);
    assert_non_null(p);
    assert_true(l->luid == 0 && l->data_status == 0 && l->user == NULL && l->upn == NULL &&
                l->process_count == 0 && l->terminal_session == 0);
    assert_true(l->logon_time == LW_TIME_UNKNOWN);
    assert_true(w->logon_time == LW_TIME_UNKNOWN && w->connect_time == LW_TIME_UNKNOWN &&
                w->disconnect_time == LW_TIME_UNKNOWN && w->station == NULL && w->id == 0);
    assert_true(p->pid == 0 && p->luid == 0 && p->image == NULL && p->token_status == 0);
    l->luid = (uint64_t)i;
    w->id = (uint32_t)i;
    p->pid = (uint32_t)i * 4;
  }
  assert_int_equal(s->n_logons, 5000);
  assert_true(s->cap_logons >= 5000 && s->cap_wts >= 5000 && s->cap_procs >= 5000);
  /* earlier elements survived the reallocations */
  for (int i = 0; i < 5000; i++) {
    assert_true(s->logons[i].luid == (uint64_t)i);
    assert_int_equal(s->wts[i].id, i);
    assert_int_equal(s->procs[i].pid, i * 4);
  }
  lw_snapshot_free(s);
}

static void test_strings(void **state) {
  struct lw_snapshot *s = lw_snapshot_new();
  const char *p[3000];
  char want[64], *big;
  const char *a, *b;
  (void)state;
  assert_null(lw_snapshot_strdup(s, NULL));
  assert_null(lw_snapshot_strndup(s, NULL, 5));
  assert_string_equal(lw_snapshot_strdup(s, ""), "");
  assert_string_equal(lw_snapshot_strndup(s, "abcdef", 3), "abc");
  assert_string_equal(lw_snapshot_strndup(s, "ab\0cd", 5), "ab");
  /* strndup never reads past n: a buffer with no NUL at all */
  {
    char *raw = malloc(4);
    memcpy(raw, "wxyz", 4);
    assert_string_equal(lw_snapshot_strndup(s, raw, 4), "wxyz");
    free(raw);
  }
  /* many small strings across many blocks all stay intact */
  for (int i = 0; i < 3000; i++) {
    snprintf(want, sizeof want, "user-%d-%0*d", i, i % 40, 7);
    p[i] = lw_snapshot_strdup(s, want);
    assert_non_null(p[i]);
  }
  /* big strings get their own blocks and do not disturb the small ones */
  big = malloc(100001);
  memset(big, 'q', 100000);
  big[100000] = '\0';
  a = lw_snapshot_strdup(s, big);
  big[0] = 'r';
  b = lw_snapshot_strdup(s, big);
  assert_non_null(a);
  assert_non_null(b);
  assert_int_equal(strlen(a), 100000);
  assert_int_equal(a[0], 'q');
  assert_int_equal(b[0], 'r');
  assert_string_equal(lw_snapshot_strdup(s, "after-big"), "after-big");
  for (int i = 0; i < 3000; i++) {
    snprintf(want, sizeof want, "user-%d-%0*d", i, i % 40, 7);
    assert_string_equal(p[i], want);
  }
  /* exactly a block, and the size at which a string gets its own block */
  big[16383] = '\0';
  assert_int_equal(strlen(lw_snapshot_strdup(s, big)), 16383);
  big[4096] = '\0';
  assert_int_equal(strlen(lw_snapshot_strdup(s, big)), 4096);
  big[4095] = '\0';
  assert_int_equal(strlen(lw_snapshot_strdup(s, big)), 4095);
  assert_non_null(lw_snapshot_alloc(s, 0));
  free(big);
  lw_snapshot_free(s); /* valgrind/ASan: every block freed */
}

static void test_finish_sorts_and_finds(void **state) {
  struct lw_snapshot *s = lw_snapshot_new();
  enum { N = 20000 };
  uint64_t *luids = malloc(N * sizeof *luids);
  (void)state;
  for (int i = 0; i < N; i++) {
    /* distinct: random high part, index in the low part */
    luids[i] = (next_rand() & UINT64_C(0xffffffff00000000)) | (uint64_t)(i + 1);
    lw_snapshot_add_logon(s)->luid = luids[i];
    lw_snapshot_add_wts(s)->id = (uint32_t)(next_rand() % 1000000) * 2 + 1; /* odd */
    lw_snapshot_add_process(s)->pid = (uint32_t)next_rand();
  }
  lw_snapshot_finish(s);
  for (size_t i = 1; i < s->n_logons; i++) {
    assert_true(s->logons[i - 1].luid < s->logons[i].luid);
    assert_true(s->wts[i - 1].id <= s->wts[i].id);
    assert_true(s->procs[i - 1].pid <= s->procs[i].pid);
  }
  for (int i = 0; i < N; i++) {
    const struct lw_logon_session *l = lw_snapshot_find_logon(s, luids[i]);
    assert_non_null(l);
    assert_true(l->luid == luids[i]);
    assert_null(lw_snapshot_find_logon(s, luids[i] + UINT64_C(0x100000)));
  }
  for (size_t i = 0; i < s->n_wts; i++) {
    const struct lw_wts_session *w = lw_snapshot_find_wts(s, s->wts[i].id);
    assert_non_null(w);
    assert_int_equal(w->id, s->wts[i].id);
    assert_null(lw_snapshot_find_wts(s, s->wts[i].id + 1)); /* even: absent */
  }
  assert_null(lw_snapshot_find_logon(s, 0));
  assert_null(lw_snapshot_find_logon(s, UINT64_MAX));
  assert_null(lw_snapshot_find_wts(s, UINT32_MAX));
  free(luids);
  lw_snapshot_free(s);
}

static void add_proc(struct lw_snapshot *s, uint32_t pid, uint64_t luid, uint32_t status) {
  struct lw_process *p = lw_snapshot_add_process(s);
  assert_non_null(p);
  p->pid = pid;
  p->luid = luid;
  p->token_status = status;
}

static void test_process_counts(void **state) {
  struct lw_snapshot *s = lw_snapshot_new();
  const struct lw_process **by;
  size_t first, n;
  (void)state;
  /* added out of order on purpose */
  lw_snapshot_add_logon(s)->luid = UINT64_C(0x100004a1f2);
  lw_snapshot_add_logon(s)->luid = 0x3e7;
  lw_snapshot_add_logon(s)->luid = 0x3e4;
  {
    struct lw_logon_session *gone = lw_snapshot_add_logon(s);
    gone->luid = 0x4a300;
    gone->data_status = 0xC000005Fu;
  }
  add_proc(s, 4, 0x3e7, 0);
  add_proc(s, 900, UINT64_C(0x100004a1f2), 0);
  add_proc(s, 8, 0x3e7, 0);
  add_proc(s, 640, 0x3e7, 0);
  add_proc(s, 120, UINT64_C(0x100004a1f2), 0);
  add_proc(s, 77, 0, 5); /* access denied: LUID unknown */
  add_proc(s, 78, 0, 5);
  add_proc(s, 300, 0x99999, 0); /* a LUID LSA did not list */
  add_proc(s, 301, 0x4a1f2, 0); /* same low part, other high part */
  add_proc(s, 500, 0x4a300, 0); /* the session without data still counts */
  s->processes_denied = 12345;  /* derived by finish, whatever was there */

  for (int round = 0; round < 2; round++) { /* finishing twice changes nothing */
    lw_snapshot_finish(s);
    assert_int_equal(lw_snapshot_find_logon(s, 0x3e7)->process_count, 3);
    assert_int_equal(lw_snapshot_find_logon(s, UINT64_C(0x100004a1f2))->process_count, 2);
    assert_int_equal(lw_snapshot_find_logon(s, 0x3e4)->process_count, 0);
    assert_int_equal(lw_snapshot_find_logon(s, 0x4a300)->process_count, 1);
    assert_int_equal(s->processes_denied, 2);
    assert_int_equal(s->logons_without_data, 1);
    assert_true(s->logons[0].luid == 0x3e4);
    assert_true(s->logons[3].luid == UINT64_C(0x100004a1f2));
  }

  by = lw_snapshot_procs_by_logon(s);
  assert_non_null(by);
  n = lw_snapshot_procs_of_logon(by, s->n_procs, 0x3e7, &first);
  assert_int_equal(n, 3);
  assert_int_equal(by[first]->pid, 4);
  assert_int_equal(by[first + 1]->pid, 8);
  assert_int_equal(by[first + 2]->pid, 640);
  n = lw_snapshot_procs_of_logon(by, s->n_procs, UINT64_C(0x100004a1f2), &first);
  assert_int_equal(n, 2);
  assert_int_equal(by[first]->pid, 120);
  assert_int_equal(by[first + 1]->pid, 900);
  assert_int_equal(lw_snapshot_procs_of_logon(by, s->n_procs, 0x3e4, NULL), 0);
  assert_int_equal(lw_snapshot_procs_of_logon(by, s->n_procs, 0, &first), 2);
  assert_int_equal(first, 0);
  assert_int_equal(lw_snapshot_procs_of_logon(by, s->n_procs, UINT64_MAX, &first), 0);
  assert_int_equal(first, s->n_procs);
  free(by);
  lw_snapshot_free(s);

  /* an empty snapshot still gets a (freeable) index */
  s = lw_snapshot_new();
  by = lw_snapshot_procs_by_logon(s);
  assert_non_null(by);
  assert_int_equal(lw_snapshot_procs_of_logon(by, 0, 0x3e7, &first), 0);
  free(by);
  lw_snapshot_free(s);
}

static void test_many_processes(void **state) {
  /* 5,000 sessions, 50,000 processes: counts agree with a brute-force tally */
  struct lw_snapshot *s = lw_snapshot_new();
  enum { L = 5000, P = 50000 };
  uint32_t *want = calloc(L, sizeof *want);
  (void)state;
  for (int i = 0; i < L; i++)
    lw_snapshot_add_logon(s)->luid = UINT64_C(0x70000) + (uint64_t)i * 3;
  for (int i = 0; i < P; i++) {
    uint64_t k = next_rand() % (L + 100); /* some LUIDs not listed */
    add_proc(s, (uint32_t)(P - i) * 4, UINT64_C(0x70000) + k * 3, 0);
    if (k < L)
      want[k]++;
  }
  lw_snapshot_finish(s);
  for (int i = 0; i < L; i++)
    assert_int_equal(s->logons[i].process_count, want[i]);
  free(want);
  lw_snapshot_free(s);
}

static void test_names(void **state) {
  static const struct {
    uint32_t v;
    const char *name;
  } types[] = {{0, "Undefined"},
               {2, "Interactive"},
               {3, "Network"},
               {4, "Batch"},
               {5, "Service"},
               {6, "Proxy"},
               {7, "Unlock"},
               {8, "NetworkCleartext"},
               {9, "NewCredentials"},
               {10, "RemoteInteractive"},
               {11, "CachedInteractive"},
               {12, "CachedRemoteInteractive"},
               {13, "CachedUnlock"}};
  static const char *const states[] = {"Active",       "Connected", "ConnectQuery", "Shadow",
                                       "Disconnected", "Idle",      "Listen",       "Reset",
                                       "Down",         "Init"};
  uint32_t v;
  (void)state;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    assert_string_equal(lw_logon_type_name(types[i].v), types[i].name);
    v = 999;
    assert_int_equal(lw_logon_type_parse(types[i].name, &v), 0);
    assert_int_equal(v, types[i].v);
  }
  assert_null(lw_logon_type_name(1));
  assert_null(lw_logon_type_name(14));
  assert_null(lw_logon_type_name(UINT32_MAX));
  for (uint32_t i = 0; i < 10; i++) {
    assert_string_equal(lw_wts_state_name(i), states[i]);
    v = 999;
    assert_int_equal(lw_wts_state_parse(states[i], &v), 0);
    assert_int_equal(v, i);
  }
  assert_null(lw_wts_state_name(10));
  assert_int_equal(LW_WTS_DISCONNECTED, 4);
  assert_int_equal(LW_WTS_INIT, 9);

  /* case-insensitive */
  assert_int_equal(lw_logon_type_parse("remoteinteractive", &v), 0);
  assert_int_equal(v, 10);
  assert_int_equal(lw_logon_type_parse("SERVICE", &v), 0);
  assert_int_equal(v, 5);
  assert_int_equal(lw_wts_state_parse("dIsCoNnEcTeD", &v), 0);
  assert_int_equal(v, 4);
  /* and nothing else */
  v = 999;
  assert_int_equal(lw_logon_type_parse("Remote Interactive", &v), LW_EUNKNOWN);
  assert_int_equal(lw_logon_type_parse("Service ", &v), LW_EUNKNOWN);
  assert_int_equal(lw_logon_type_parse("Serv", &v), LW_EUNKNOWN);
  assert_int_equal(lw_logon_type_parse("", &v), LW_EUNKNOWN);
  assert_int_equal(lw_logon_type_parse("5", &v), LW_EUNKNOWN);
  assert_int_equal(lw_logon_type_parse(NULL, &v), LW_EUNKNOWN);
  assert_int_equal(lw_wts_state_parse("Activ", &v), LW_EUNKNOWN);
  assert_int_equal(lw_wts_state_parse("Actives", &v), LW_EUNKNOWN);
  assert_int_equal(v, 999);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_is_empty),   cmocka_unit_test(test_add_zeroes_and_grows),
      cmocka_unit_test(test_strings),        cmocka_unit_test(test_finish_sorts_and_finds),
      cmocka_unit_test(test_process_counts), cmocka_unit_test(test_many_processes),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
