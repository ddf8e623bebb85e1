/*
 * Wine test for service/service_config.c, driven through a fake SCM (struct
 * lw_service_config_api): the service's recovery actions, failure-actions
 * flag, required privileges and SID type.
 *   - already as wanted: read, nothing written;
 *   - different (nothing set, a delay, the reset period, an extra or a
 *     missing privilege, another SID type, the flag off): exactly the
 *     differing ones written, with exactly the wanted contents;
 *   - privileges in another order and case: as wanted;
 *   - a read that needs a bigger buffer: retried with the size asked for;
 *   - Wine's SCM (every read ERROR_INVALID_LEVEL, only the failure actions
 *     writable): written anyway, the three others reported, rc LW_EOS;
 *   - the service cannot be opened: nothing read or written, reported;
 *   - every handle opened is closed; the summary names what happened.
 */
#include <windows.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

#include "error.h"
#include "service_config.h"

/* ---- The fake SCM -------------------------------------------------------- */

#define FAKE_SCM ((SC_HANDLE)(uintptr_t)0x1000)
#define FAKE_SVC ((SC_HANDLE)(uintptr_t)0x2000)

static struct fake {
  /* what the service's configuration holds */
  DWORD reset_period;
  DWORD n_actions;
  SC_ACTION actions[4];
  BOOL flag;
  wchar_t privileges[256]; /* multi-string; privs_null: no list at all */
  int privs_null;
  DWORD sid_type;
  /* behaviour */
  DWORD query_error;        /* every QueryServiceConfig2W fails with it */
  DWORD change_error[8];    /* per level: ChangeServiceConfig2W fails with it */
  DWORD open_service_error; /* OpenServiceW fails with it */
  DWORD min_size;           /* a read with less room: ERROR_INSUFFICIENT_BUFFER */
  /* what happened */
  int opened, closed;
  DWORD access;
  int queries, changes, changes_at[8], small_reads;
} F;

static SC_HANDLE WINAPI fake_open_scm(LPCWSTR machine, LPCWSTR db, DWORD access) {
  assert_null(machine);
  assert_null(db);
  assert_int_equal(access, SC_MANAGER_CONNECT);
  F.opened++;
  return FAKE_SCM;
}

static SC_HANDLE WINAPI fake_open_service(SC_HANDLE scm, LPCWSTR name, DWORD access) {
  assert_ptr_equal(scm, FAKE_SCM);
  assert_true(wcscmp(name, L"LeakWatch") == 0);
  F.access = access;
  if (F.open_service_error != 0) {
    SetLastError(F.open_service_error);
    return NULL;
  }
  F.opened++;
  return FAKE_SVC;
}

static BOOL WINAPI fake_close(SC_HANDLE h) {
  assert_true(h == FAKE_SCM || h == FAKE_SVC);
  F.closed++;
  return TRUE;
}

/* Lays out the structure and its pointed-to data in buf, as Windows does. */
static BOOL WINAPI fake_query(SC_HANDLE svc, DWORD level, LPBYTE buf, DWORD size, LPDWORD needed) {
  assert_ptr_equal(svc, FAKE_SVC);
  F.queries++;
  if (F.query_error != 0) {
    SetLastError(F.query_error);
    return FALSE;
  }
  DWORD want = F.min_size > 512 ? F.min_size : 512;
  if (size < want) {
    F.small_reads++;
    *needed = want;
    SetLastError(ERROR_INSUFFICIENT_BUFFER);
    return FALSE;
  }
  memset(buf, 0, size);
  switch (level) {
  case SERVICE_CONFIG_FAILURE_ACTIONS: {
    SERVICE_FAILURE_ACTIONSW *fa = (SERVICE_FAILURE_ACTIONSW *)buf;
    SC_ACTION *a = (SC_ACTION *)(buf + sizeof *fa);
    fa->dwResetPeriod = F.reset_period;
    fa->cActions = F.n_actions;
    fa->lpsaActions = F.n_actions ? a : NULL;
    memcpy(a, F.actions, F.n_actions * sizeof *a);
    break;
  }
  case SERVICE_CONFIG_FAILURE_ACTIONS_FLAG:
    ((SERVICE_FAILURE_ACTIONS_FLAG *)buf)->fFailureActionsOnNonCrashFailures = F.flag;
    break;
  case SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO: {
    SERVICE_REQUIRED_PRIVILEGES_INFOW *p = (SERVICE_REQUIRED_PRIVILEGES_INFOW *)buf;
    wchar_t *m = (wchar_t *)(buf + sizeof *p);
    memcpy(m, F.privileges, sizeof F.privileges);
    p->pmszRequiredPrivileges = F.privs_null ? NULL : m;
    break;
  }
  case SERVICE_CONFIG_SERVICE_SID_INFO:
    ((SERVICE_SID_INFO *)buf)->dwServiceSidType = F.sid_type;
    break;
  default:
    fail_msg("unexpected level %lu", (unsigned long)level);
  }
  return TRUE;
}

static void set_privileges(const wchar_t *const *names, int n) {
  size_t at = 0;
  memset(F.privileges, 0, sizeof F.privileges);
  for (int i = 0; i < n; i++) {
    wcscpy(F.privileges + at, names[i]);
    at += wcslen(names[i]) + 1;
  }
  F.privs_null = 0;
}

/* Stores what was written (so a second ensure finds it in place). */
static BOOL WINAPI fake_change(SC_HANDLE svc, DWORD level, LPVOID info) {
  assert_ptr_equal(svc, FAKE_SVC);
  assert_true(level < 8);
  F.changes++;
  F.changes_at[level]++;
  if (F.change_error[level] != 0) {
    SetLastError(F.change_error[level]);
    return FALSE;
  }
  switch (level) {
  case SERVICE_CONFIG_FAILURE_ACTIONS: {
    const SERVICE_FAILURE_ACTIONSW *fa = info;
    /* Reboot message and command left alone (NULL), never erased (""). */
    assert_null(fa->lpRebootMsg);
    assert_null(fa->lpCommand);
    assert_true(fa->cActions <= 4);
    F.reset_period = fa->dwResetPeriod;
    F.n_actions = fa->cActions;
    memcpy(F.actions, fa->lpsaActions, fa->cActions * sizeof(SC_ACTION));
    break;
  }
  case SERVICE_CONFIG_FAILURE_ACTIONS_FLAG:
    F.flag = ((const SERVICE_FAILURE_ACTIONS_FLAG *)info)->fFailureActionsOnNonCrashFailures;
    break;
  case SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO: {
    const wchar_t *m = ((const SERVICE_REQUIRED_PRIVILEGES_INFOW *)info)->pmszRequiredPrivileges;
    size_t at = 0;
    memset(F.privileges, 0, sizeof F.privileges);
    while (m[at] != 0)
      at += wcslen(m + at) + 1;
    memcpy(F.privileges, m, (at + 1) * sizeof(wchar_t));
    F.privs_null = 0;
    break;
  }
  case SERVICE_CONFIG_SERVICE_SID_INFO:
    F.sid_type = ((const SERVICE_SID_INFO *)info)->dwServiceSidType;
    break;
  default:
    fail_msg("unexpected level %lu", (unsigned long)level);
  }
  return TRUE;
}

static const struct lw_service_config_api k_fake = {fake_open_scm, fake_open_service, fake_query,
                                                    fake_change, fake_close};

static const wchar_t *const k_wanted_privs[] = {L"SeChangeNotifyPrivilege", L"SeDebugPrivilege"};

/* The service as the product wants it. */
static void set_wanted(void) {
  F.reset_period = 86400;
  F.n_actions = 3;
  F.actions[0] = (SC_ACTION){SC_ACTION_RESTART, 60000};
  F.actions[1] = (SC_ACTION){SC_ACTION_RESTART, 60000};
  F.actions[2] = (SC_ACTION){SC_ACTION_NONE, 0};
  F.flag = TRUE;
  set_privileges(k_wanted_privs, 2);
  F.sid_type = SERVICE_SID_TYPE_UNRESTRICTED;
}

static void assert_wanted(void) {
  assert_int_equal(F.reset_period, 86400);
  assert_int_equal(F.n_actions, 3);
  assert_int_equal(F.actions[0].Type, SC_ACTION_RESTART);
  assert_int_equal(F.actions[0].Delay, 60000);
  assert_int_equal(F.actions[1].Type, SC_ACTION_RESTART);
  assert_int_equal(F.actions[1].Delay, 60000);
  assert_int_equal(F.actions[2].Type, SC_ACTION_NONE);
  assert_true(F.flag);
  assert_int_equal(F.privs_null, 0);
  /* Exactly these two, in this order, double-NUL terminated. */
  assert_true(wcscmp(F.privileges, L"SeChangeNotifyPrivilege") == 0);
  assert_true(wcscmp(F.privileges + 24, L"SeDebugPrivilege") == 0);
  assert_int_equal(F.privileges[24 + 17], 0);
  assert_int_equal(F.sid_type, SERVICE_SID_TYPE_UNRESTRICTED);
}

static int setup(void **state) {
  (void)state;
  memset(&F, 0, sizeof F);
  F.privs_null = 1;
  return 0;
}

static int ensure(struct lw_service_config_result *r) {
  int rc = lw_service_config_ensure(&k_fake, L"LeakWatch", r);
  assert_int_equal(F.opened, F.closed); /* every handle closed */
  return rc;
}

/* ---- Tests --------------------------------------------------------------- */

static void test_already_in_place(void **state) {
  (void)state;
  struct lw_service_config_result r;
  char text[512];
  set_wanted();
  assert_int_equal(ensure(&r), 0);
  assert_int_equal(F.changes, 0);
  assert_int_equal(F.queries, 4);
  for (int s = 0; s < LW_SVCCFG_COUNT; s++)
    assert_int_equal(r.outcome[s], LW_SVCCFG_ALREADY);
  assert_int_equal(F.access, SERVICE_QUERY_CONFIG | SERVICE_CHANGE_CONFIG | SERVICE_START);
  assert_int_equal(lw_service_config_describe(&r, text, sizeof text), 0);
  assert_string_equal(text, "recovery actions: in place; recovery on error exits: in place; "
                            "required privileges: in place; service SID type: in place");
}

static void test_fresh_service(void **state) {
  (void)state;
  struct lw_service_config_result r;
  char text[512];
  /* A service as the MSI creates it: nothing of the four set. */
  assert_int_equal(ensure(&r), 0);
  assert_int_equal(F.changes, 4);
  for (int s = 0; s < LW_SVCCFG_COUNT; s++)
    assert_int_equal(r.outcome[s], LW_SVCCFG_CHANGED);
  assert_wanted();
  assert_int_equal(lw_service_config_describe(&r, text, sizeof text), 0);
  assert_string_equal(text, "recovery actions: set; recovery on error exits: set; "
                            "required privileges: set; service SID type: set");
  /* The next start finds them in place and writes nothing. */
  F.changes = 0;
  assert_int_equal(ensure(&r), 0);
  assert_int_equal(F.changes, 0);
}

static void test_each_difference(void **state) {
  (void)state;
  struct lw_service_config_result r;
  static const wchar_t *const extra[] = {L"SeDebugPrivilege", L"SeChangeNotifyPrivilege",
                                         L"SeTcbPrivilege"};
  static const wchar_t *const twice[] = {L"SeDebugPrivilege", L"SeDebugPrivilege"};
  for (int which = 0; which < 8; which++) {
    memset(&F, 0, sizeof F);
    set_wanted();
    DWORD level = SERVICE_CONFIG_FAILURE_ACTIONS;
    switch (which) {
    case 0:
      F.actions[1].Delay = 120000;
      break;
    case 1:
      F.reset_period = 0;
      break;
    case 2:
      F.n_actions = 2;
      break;
    case 3:
      F.actions[2].Type = SC_ACTION_REBOOT;
      break;
    case 4:
      F.flag = FALSE;
      level = SERVICE_CONFIG_FAILURE_ACTIONS_FLAG;
      break;
    case 5:
      set_privileges(extra, 3);
      level = SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO;
      break;
    case 6:
      set_privileges(twice, 2);
      level = SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO;
      break;
    default:
      F.sid_type = SERVICE_SID_TYPE_NONE;
      level = SERVICE_CONFIG_SERVICE_SID_INFO;
      break;
    }
    assert_int_equal(ensure(&r), 0);
    assert_int_equal(F.changes, 1);
    assert_int_equal(F.changes_at[level], 1);
    assert_wanted();
  }
}

static void test_privileges_any_order_and_case(void **state) {
  (void)state;
  struct lw_service_config_result r;
  static const wchar_t *const other[] = {L"sedebugprivilege", L"SECHANGENOTIFYPRIVILEGE"};
  set_wanted();
  set_privileges(other, 2);
  /* The delay of "none" does not matter either. */
  F.actions[2].Delay = 5;
  assert_int_equal(ensure(&r), 0);
  assert_int_equal(F.changes, 0);
}

static void test_big_buffer(void **state) {
  (void)state;
  struct lw_service_config_result r;
  set_wanted();
  F.min_size = 5000;
  assert_int_equal(ensure(&r), 0);
  assert_int_equal(F.small_reads, 4);
  assert_int_equal(F.queries, 8);
  assert_int_equal(F.changes, 0);
}

static void test_wine_scm(void **state) {
  (void)state;
  struct lw_service_config_result r;
  char text[512];
  /* What Wine 8 does: no level readable; only FAILURE_ACTIONS accepted. */
  F.query_error = ERROR_INVALID_LEVEL;
  F.change_error[SERVICE_CONFIG_FAILURE_ACTIONS_FLAG] = ERROR_INVALID_LEVEL;
  F.change_error[SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO] = ERROR_INVALID_LEVEL;
  F.change_error[SERVICE_CONFIG_SERVICE_SID_INFO] = ERROR_INVALID_LEVEL;
  assert_int_equal(ensure(&r), LW_EOS);
  assert_int_equal(F.changes, 4); /* every setting tried despite failures */
  assert_int_equal(r.outcome[LW_SVCCFG_FAILURE_ACTIONS], LW_SVCCFG_UNREAD_SET);
  assert_int_equal(r.outcome[LW_SVCCFG_FAILURE_FLAG], LW_SVCCFG_FAILED);
  assert_int_equal(r.outcome[LW_SVCCFG_PRIVILEGES], LW_SVCCFG_FAILED);
  assert_int_equal(r.outcome[LW_SVCCFG_SID_TYPE], LW_SVCCFG_FAILED);
  assert_int_equal(r.change_error[LW_SVCCFG_SID_TYPE], ERROR_INVALID_LEVEL);
  assert_int_equal(F.n_actions, 3);
  assert_int_equal(F.reset_period, 86400);
  assert_int_equal(lw_service_config_describe(&r, text, sizeof text), 0);
  assert_string_equal(text,
                      "recovery actions: set (QueryServiceConfig2W error 124, could not be read "
                      "first); recovery on error exits: NOT set (ChangeServiceConfig2W error 124); "
                      "required privileges: NOT set (ChangeServiceConfig2W error 124); service "
                      "SID type: NOT set (ChangeServiceConfig2W error 124)");
  /* A summary cut short says so. */
  assert_int_equal(lw_service_config_describe(&r, text, 40), LW_ENOSPC);
  assert_true(strlen(text) < 40);
}

static void test_cannot_open(void **state) {
  (void)state;
  struct lw_service_config_result r;
  char text[256];
  F.open_service_error = ERROR_ACCESS_DENIED;
  assert_int_equal(ensure(&r), LW_EOS);
  assert_int_equal(F.queries + F.changes, 0);
  assert_int_equal(r.open_error, ERROR_ACCESS_DENIED);
  assert_int_equal(lw_service_config_describe(&r, text, sizeof text), 0);
  assert_string_equal(text, "cannot open the service (error 5): nothing checked");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_already_in_place, setup),
      cmocka_unit_test_setup(test_fresh_service, setup),
      cmocka_unit_test_setup(test_each_difference, setup),
      cmocka_unit_test_setup(test_privileges_any_order_and_case, setup),
      cmocka_unit_test_setup(test_big_buffer, setup),
      cmocka_unit_test_setup(test_wine_scm, setup),
      cmocka_unit_test_setup(test_cannot_open, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
