/*
 * Tests for service/holder_watch.c: the holder scan on its own thread, seen
 * from the poll thread. The OS table (struct lw_holder_api) is a fake whose
 * handle-table call (NtQuerySystemInformation) answers an empty table at
 * once, blocks until the test opens a gate, or ends the calling thread as
 * Wine's server was seen to. Covers: a quick scan naming its result in the
 * poll's 2001; a scan that does not return never holding up a poll, being
 * abandoned once at holders.timeout, blocking later scans, and being
 * reported again when it returns; the scan thread ending inside the call
 * (seen, replaced, the next scan works); and closing while a scan is stuck.
 */
#include <windows.h>
#include <winternl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert_policy.h"
#include "config.h"
#include "detect.h"
#include "error.h"
#include "holder_scan.h"
#include "holder_watch.h"
#include "holders.h"

#define LUID_A UINT64_C(0x00000000000a0001)
#define LUID_B UINT64_C(0x00000000000b0002)
#define ST_NOT_IMPLEMENTED ((NTSTATUS)0xC0000002L)
#define POLL_MS 200
#define TIMEOUT_MS 1000

/* ---- The fake OS ---------------------------------------------------------- */

enum table_mode { TABLE_EMPTY, TABLE_BLOCK, TABLE_EXIT_THREAD };

static struct {
  volatile LONG mode; /* enum table_mode */
  HANDLE gate;        /* TABLE_BLOCK waits for this */
  volatile LONG calls, blocked, returned_after_block;
} F;

static NTSTATUS NTAPI fake_qsi(ULONG cls, PVOID buf, ULONG len, PULONG got) {
  (void)cls;
  InterlockedIncrement(&F.calls);
  LONG mode = InterlockedCompareExchange(&F.mode, 0, 0);
  if (mode == TABLE_EXIT_THREAD)
    ExitThread(0);
  if (mode == TABLE_BLOCK) {
    InterlockedIncrement(&F.blocked);
    WaitForSingleObject(F.gate, INFINITE);
    InterlockedIncrement(&F.returned_after_block);
  }
  /* SYSTEM_HANDLE_INFORMATION_EX with no entries. */
  if (len < 2 * sizeof(ULONG_PTR))
    return (NTSTATUS)0xC0000004L;
  memset(buf, 0, 2 * sizeof(ULONG_PTR));
  if (got != NULL)
    *got = 2 * sizeof(ULONG_PTR);
  return 0;
}

/* One object type, "Token", in NtQueryObject(ObjectTypesInformation)'s layout. */
static NTSTATUS NTAPI fake_query_object(HANDLE h, ULONG cls, PVOID buf, ULONG len, PULONG got) {
  (void)h;
  (void)cls;
  const size_t need = sizeof(void *) + 128 + 16;
  if (len < need) {
    if (got != NULL)
      *got = (ULONG)need;
    return (NTSTATUS)0xC0000004L;
  }
  unsigned char *b = buf;
  memset(b, 0, need);
  ULONG one = 1;
  memcpy(b, &one, sizeof one);
  /* The entry at offset 8: name first (UNICODE_STRING), TypeIndex later;
   * 0 there means "position + 2", which is what the scan then uses. */
  UNICODE_STRING name;
  WCHAR *text = (WCHAR *)(void *)(b + sizeof(void *) + 112);
  memcpy(text, L"Token", 5 * sizeof(WCHAR));
  name.Length = 5 * sizeof(WCHAR);
  name.MaximumLength = 6 * sizeof(WCHAR);
  name.Buffer = text;
  memcpy(b + sizeof(void *), &name, sizeof name);
  if (got != NULL)
    *got = (ULONG)need;
  return 0;
}

static BOOL WINAPI no_token(HANDLE p, DWORD access, PHANDLE t) {
  (void)p;
  (void)access;
  *t = NULL;
  SetLastError(ERROR_ACCESS_DENIED);
  return FALSE;
}

/* Static: a stuck scan thread may outlive the watch and still use it. */
static struct lw_holder_api api;

static const struct lw_holder_api *fake_api(void) {
  api = *lw_holder_api_system();
  api.query_system_information = fake_qsi;
  api.query_object = fake_query_object;
  api.open_process_token = no_token; /* no SeDebugPrivilege games in a test */
  return &api;
}

/* ---- A poll's worth of detector output ------------------------------------- */

struct poll {
  struct lw_detect_state st;
  struct lw_detect_logon logons[2];
  struct lw_detect_output out;
  struct lw_alert alerts[2];
  struct lw_leak_change changes[2];
};

/* The state has the leaks in `leaked` (n of them); those in `opened` were
 * found this poll (a change and a 2001 each). */
static void make_poll(struct poll *p, const uint64_t *leaked, size_t n, const uint64_t *opened,
                      size_t n_opened, int64_t now) {
  memset(p, 0, sizeof *p);
  lw_detect_state_init(&p->st);
  for (size_t i = 0; i < n; i++) {
    p->logons[i].luid = leaked[i];
    p->logons[i].leaked_at = now;
    p->logons[i].user = "alice";
    p->logons[i].domain = "CONTOSO";
  }
  p->st.logons = p->logons;
  p->st.n_logons = n;
  for (size_t i = 0; i < n_opened; i++) {
    lw_alert_init(&p->alerts[i], 2001, now);
    p->alerts[i].n_inserts = 8;
    for (size_t k = 0; k < 8; k++)
      assert_int_equal(lw_alert_set_insert(&p->alerts[i], k, "-"), 0);
    p->alerts[i].luid = opened[i];
    p->changes[i].kind = LW_LEAK_OPENED;
    p->changes[i].luid = opened[i];
  }
  p->out.alerts = p->alerts;
  p->out.n_alerts = n_opened;
  p->out.changes = p->changes;
  p->out.n_changes = n_opened;
}

static void free_poll(struct poll *p) {
  for (size_t i = 0; i < p->out.n_alerts; i++)
    lw_alert_clear(&p->alerts[i]);
}

/* Short intervals for the stuck-scan tests. */
static struct lw_config test_config(void) {
  struct lw_config c;
  lw_config_defaults(&c);
  c.poll_interval_ms = POLL_MS;
  c.holders_timeout_ms = TIMEOUT_MS;
  c.holders_enabled = true;
  return c;
}

/* The defaults' long wait, for tests where a working scan must finish
 * within its poll whatever the machine's load. */
static struct lw_config patient_config(void) {
  struct lw_config c;
  lw_config_defaults(&c);
  c.holders_enabled = true;
  return c;
}

static int64_t now_ms(void) {
  return (int64_t)GetTickCount64();
}

/* One poll through the watch. */
static void do_poll(struct lw_holder_watch *w, const struct lw_config *c, struct poll *p,
                    struct lw_holder_watch_status *hs) {
  const struct lw_alert *extra = NULL;
  size_t n_extra = 0;
  lw_holder_watch_poll(w, c, &p->st, &p->out, NULL, now_ms(), &extra, &n_extra, hs);
}

static int setup(void **state) {
  (void)state;
  memset((void *)&F, 0, sizeof F);
  F.gate = CreateEventW(NULL, TRUE, FALSE, NULL);
  return F.gate == NULL;
}

static int teardown(void **state) {
  (void)state;
  SetEvent(F.gate); /* let any stuck fake call return */
  Sleep(50);
  CloseHandle(F.gate);
  return 0;
}

/* ---- Tests ------------------------------------------------------------------ */

static void test_quick_scan_names_result_in_2001(void **state) {
  (void)state;
  const struct lw_holder_api *fake = fake_api();
  struct lw_config c = patient_config();
  struct lw_holder_watch *w = NULL;
  struct lw_holder_watch_status hs;
  struct poll p;
  uint64_t a = LUID_A;
  assert_int_equal(lw_holder_watch_open(fake, &w), 0);
  F.mode = TABLE_EMPTY;
  make_poll(&p, &a, 1, &a, 1, now_ms());
  do_poll(w, &c, &p, &hs);
  assert_string_equal(p.alerts[0].inserts[LW_INSERT_2001_HOLDERS], LW_HOLDERS_NONE_HINT);
  assert_int_equal(hs.scans_total, 1);
  assert_false(hs.abandoned);
  assert_false(hs.scan_running);
  free_poll(&p);
  lw_holder_watch_close(w);
}

static void test_stuck_scan_never_holds_a_poll(void **state) {
  (void)state;
  const struct lw_holder_api *fake = fake_api();
  struct lw_config c = test_config();
  struct lw_holder_watch *w = NULL;
  struct lw_holder_watch_status hs;
  struct poll p;
  uint64_t both[2] = {LUID_A, LUID_B};
  assert_int_equal(lw_holder_watch_open(fake, &w), 0);
  F.mode = TABLE_BLOCK;

  /* The leak poll: the scan starts and does not return; the poll goes on
   * after at most half an interval, and the 2001 says why it names nobody. */
  make_poll(&p, both, 1, both, 1, now_ms());
  do_poll(w, &c, &p, &hs);
  assert_int_equal(F.returned_after_block, 0); /* the poll returned, the scan did not */
  assert_non_null(strstr(p.alerts[0].inserts[LW_INSERT_2001_HOLDERS], "still running"));
  assert_true(hs.scan_running);
  free_poll(&p);

  /* Later polls: each returns; the abandonment is reported exactly once,
   * after holders.timeout; a new leak meanwhile starts no second scan. */
  int abandoned = 0, polls = 0;
  ULONGLONG start = GetTickCount64();
  while (GetTickCount64() - start < 3 * TIMEOUT_MS) {
    make_poll(&p, both, 1, NULL, 0, now_ms());
    do_poll(w, &c, &p, &hs);
    assert_int_equal(F.returned_after_block, 0);
    polls++;
    if (hs.abandoned) {
      abandoned++;
      assert_true(hs.running_ms >= TIMEOUT_MS);
      assert_non_null(strstr(hs.activity, "NtQuerySystemInformation"));
    }
    free_poll(&p);
    Sleep(POLL_MS / 4);
  }
  assert_int_equal(abandoned, 1);
  assert_true(polls > 10);
  assert_int_equal(hs.scans_abandoned_total, 1);

  make_poll(&p, both, 2, both + 1, 1, now_ms());
  do_poll(w, &c, &p, &hs);
  assert_non_null(
      strstr(p.alerts[0].inserts[LW_INSERT_2001_HOLDERS], "has not returned (event 1103)"));
  assert_int_equal(hs.scans_total, 1);
  assert_int_equal(F.blocked, 1);
  free_poll(&p);

  /* It returns: said once; the leak that waited is scanned at the next poll. */
  F.mode = TABLE_EMPTY;
  SetEvent(F.gate);
  int returned = 0;
  for (int i = 0; i < 100 && !returned; i++) {
    Sleep(20);
    make_poll(&p, both, 2, NULL, 0, now_ms());
    do_poll(w, &c, &p, &hs);
    returned = hs.returned;
    free_poll(&p);
  }
  assert_true(returned);
  assert_int_equal(hs.scans_total, 2); /* the rescan for LUID_B started with it */
  lw_holder_watch_close(w);
}

static void test_close_while_stuck(void **state) {
  (void)state;
  const struct lw_holder_api *fake = fake_api();
  struct lw_config c = test_config();
  struct lw_holder_watch *w = NULL;
  struct lw_holder_watch_status hs;
  struct poll p;
  uint64_t a = LUID_A;
  assert_int_equal(lw_holder_watch_open(fake, &w), 0);
  F.mode = TABLE_BLOCK;
  make_poll(&p, &a, 1, &a, 1, now_ms());
  do_poll(w, &c, &p, &hs);
  free_poll(&p);
  for (int i = 0; i < 100 && F.blocked == 0; i++)
    Sleep(10);
  assert_int_equal(F.blocked, 1);
  ULONGLONG t0 = GetTickCount64();
  lw_holder_watch_close(w); /* must not wait for the stuck call */
  assert_true(GetTickCount64() - t0 < 10000);
  /* The stuck thread returns after the watch is gone and frees its own. */
  SetEvent(F.gate);
  for (int i = 0; i < 100 && F.returned_after_block == 0; i++)
    Sleep(10);
  assert_int_equal(F.returned_after_block, 1);
  Sleep(50);
}

static void test_scan_thread_ending_is_seen_and_replaced(void **state) {
  (void)state;
  const struct lw_holder_api *fake = fake_api();
  struct lw_config c = patient_config();
  struct lw_holder_watch *w = NULL;
  struct lw_holder_watch_status hs;
  struct poll p;
  uint64_t both[2] = {LUID_A, LUID_B};
  assert_int_equal(lw_holder_watch_open(fake, &w), 0);
  F.mode = TABLE_EXIT_THREAD;
  /* The poll that starts the scan sees its thread end (the wait includes
   * the thread) and says so in the 2001 and the status, once. */
  make_poll(&p, both, 1, both, 1, now_ms());
  do_poll(w, &c, &p, &hs);
  assert_true(hs.thread_ended);
  assert_non_null(strstr(hs.activity, "NtQuerySystemInformation"));
  assert_string_equal(p.alerts[0].inserts[LW_INSERT_2001_HOLDERS],
                      "not searched: the holder scan's thread ended (event 1103)");
  assert_int_equal(hs.scans_abandoned_total, 1);
  assert_false(hs.scan_running);
  free_poll(&p);
  make_poll(&p, both, 1, NULL, 0, now_ms());
  do_poll(w, &c, &p, &hs);
  assert_false(hs.thread_ended);
  free_poll(&p);

  /* A new leak: a new thread scans it, and this time the call works. */
  F.mode = TABLE_EMPTY;
  c = patient_config();
  make_poll(&p, both, 2, both + 1, 1, now_ms());
  do_poll(w, &c, &p, &hs);
  assert_string_equal(p.alerts[0].inserts[LW_INSERT_2001_HOLDERS], LW_HOLDERS_NONE_HINT);
  assert_false(hs.scan_running);
  free_poll(&p);
  lw_holder_watch_close(w);
}

static void test_disabled_says_so(void **state) {
  (void)state;
  const struct lw_holder_api *fake = fake_api();
  struct lw_config c = test_config();
  struct lw_holder_watch *w = NULL;
  struct lw_holder_watch_status hs;
  struct poll p;
  uint64_t a = LUID_A;
  c.holders_enabled = false;
  assert_int_equal(lw_holder_watch_open(fake, &w), 0);
  make_poll(&p, &a, 1, &a, 1, now_ms());
  do_poll(w, &c, &p, &hs);
  assert_string_equal(p.alerts[0].inserts[LW_INSERT_2001_HOLDERS],
                      "not searched (holders.enabled is false)");
  assert_int_equal(hs.scans_total, 0);
  assert_int_equal(F.calls, 0);
  free_poll(&p);
  lw_holder_watch_close(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_quick_scan_names_result_in_2001, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stuck_scan_never_holds_a_poll, setup, teardown),
      cmocka_unit_test_setup_teardown(test_close_while_stuck, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scan_thread_ending_is_seen_and_replaced, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_disabled_says_so, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
