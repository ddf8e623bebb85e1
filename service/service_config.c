/*
 * service_config.c - recovery actions, required privileges and SID type of
 * the LeakWatch service, kept in place by the service itself (see
 * service_config.h).
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "error.h"
#include "service_config.h"

/* Restart after 60 s twice, then nothing; the count resets after a day. */
#define RESTART_DELAY_MS 60000u
#define RESET_PERIOD_S 86400u
static const SC_ACTION k_actions[] = {
    {SC_ACTION_RESTART, RESTART_DELAY_MS},
    {SC_ACTION_RESTART, RESTART_DELAY_MS},
    {SC_ACTION_NONE, 0},
};
#define N_ACTIONS (sizeof k_actions / sizeof k_actions[0])

/* See service_config.h for why exactly these. */
static const wchar_t *const k_privileges[] = {L"SeChangeNotifyPrivilege", L"SeDebugPrivilege"};
#define N_PRIVILEGES (sizeof k_privileges / sizeof k_privileges[0])

static const DWORD k_levels[LW_SVCCFG_COUNT] = {
    SERVICE_CONFIG_FAILURE_ACTIONS,
    SERVICE_CONFIG_FAILURE_ACTIONS_FLAG,
    SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO,
    SERVICE_CONFIG_SERVICE_SID_INFO,
};

static const char *const k_names[LW_SVCCFG_COUNT] = {
    "recovery actions",
    "recovery on error exits",
    "required privileges",
    "service SID type",
};

static const struct lw_service_config_api k_system = {
    OpenSCManagerW, OpenServiceW, QueryServiceConfig2W, ChangeServiceConfig2W, CloseServiceHandle,
};

const struct lw_service_config_api *lw_service_config_api_system(void) {
  return &k_system;
}

/* ---- Comparing what QueryServiceConfig2W returned with what we want ---- */

static int failure_actions_match(const SERVICE_FAILURE_ACTIONSW *fa) {
  size_t i;
  if (fa->dwResetPeriod != RESET_PERIOD_S || fa->cActions != N_ACTIONS || fa->lpsaActions == NULL)
    return 0;
  for (i = 0; i < N_ACTIONS; i++) {
    if (fa->lpsaActions[i].Type != k_actions[i].Type)
      return 0;
    /* The delay of "none" means nothing. */
    if (k_actions[i].Type != SC_ACTION_NONE && fa->lpsaActions[i].Delay != k_actions[i].Delay)
      return 0;
  }
  return 1;
}

/* True if the multi-string holds exactly our privileges, in any order and
 * case, each once. */
static int privileges_match(const wchar_t *multi) {
  int seen[N_PRIVILEGES] = {0};
  size_t i, n = 0;
  if (multi == NULL)
    return 0;
  for (const wchar_t *p = multi; *p; p += wcslen(p) + 1) {
    for (i = 0; i < N_PRIVILEGES; i++)
      if (_wcsicmp(p, k_privileges[i]) == 0)
        break;
    if (i == N_PRIVILEGES || seen[i])
      return 0;
    seen[i] = 1;
    n++;
  }
  return n == N_PRIVILEGES;
}

static int matches(enum lw_service_setting s, const void *info) {
  switch (s) {
  case LW_SVCCFG_FAILURE_ACTIONS:
    return failure_actions_match(info);
  case LW_SVCCFG_FAILURE_FLAG:
    return ((const SERVICE_FAILURE_ACTIONS_FLAG *)info)->fFailureActionsOnNonCrashFailures != 0;
  case LW_SVCCFG_PRIVILEGES:
    return privileges_match(
        ((const SERVICE_REQUIRED_PRIVILEGES_INFOW *)info)->pmszRequiredPrivileges);
  case LW_SVCCFG_SID_TYPE:
    return ((const SERVICE_SID_INFO *)info)->dwServiceSidType == SERVICE_SID_TYPE_UNRESTRICTED;
  default:
    return 0;
  }
}

/* Reads one level into a malloc'd buffer (*out, freed by the caller).
 * Returns 0, or the Win32 error (ERROR_NOT_ENOUGH_MEMORY when out of memory). */
static DWORD query(const struct lw_service_config_api *api, SC_HANDLE svc, DWORD level,
                   void **out) {
  DWORD size = 1024, err = 0;
  int attempt;
  *out = NULL;
  for (attempt = 0; attempt < 3; attempt++) {
    BYTE *buf = malloc(size);
    DWORD needed = 0;
    if (buf == NULL)
      return ERROR_NOT_ENOUGH_MEMORY;
    if (api->query_config2(svc, level, buf, size, &needed)) {
      *out = buf;
      return 0;
    }
    err = GetLastError();
    free(buf);
    if (err != ERROR_INSUFFICIENT_BUFFER || needed <= size)
      return err != 0 ? err : ERROR_GEN_FAILURE;
    size = needed;
  }
  return err;
}

/* ---- Writing ----------------------------------------------------------------- */

static DWORD change(const struct lw_service_config_api *api, SC_HANDLE svc,
                    enum lw_service_setting s) {
  SC_ACTION actions[N_ACTIONS];
  /* Our privileges as a multi-string: each name, NUL, and a final NUL. */
  wchar_t multi[128];
  size_t i, at = 0;
  union {
    SERVICE_FAILURE_ACTIONSW fa;
    SERVICE_FAILURE_ACTIONS_FLAG flag;
    SERVICE_REQUIRED_PRIVILEGES_INFOW privs;
    SERVICE_SID_INFO sid;
  } info;

  memset(&info, 0, sizeof info);
  switch (s) {
  case LW_SVCCFG_FAILURE_ACTIONS:
    memcpy(actions, k_actions, sizeof actions);
    info.fa.dwResetPeriod = RESET_PERIOD_S;
    info.fa.lpRebootMsg = NULL; /* NULL: left as it is */
    info.fa.lpCommand = NULL;
    info.fa.cActions = (DWORD)N_ACTIONS;
    info.fa.lpsaActions = actions;
    break;
  case LW_SVCCFG_FAILURE_FLAG:
    info.flag.fFailureActionsOnNonCrashFailures = TRUE;
    break;
  case LW_SVCCFG_PRIVILEGES:
    for (i = 0; i < N_PRIVILEGES; i++) {
      size_t n = wcslen(k_privileges[i]) + 1;
      memcpy(multi + at, k_privileges[i], n * sizeof(wchar_t));
      at += n;
    }
    multi[at] = 0;
    info.privs.pmszRequiredPrivileges = multi;
    break;
  case LW_SVCCFG_SID_TYPE:
    info.sid.dwServiceSidType = SERVICE_SID_TYPE_UNRESTRICTED;
    break;
  default:
    return ERROR_INVALID_PARAMETER;
  }
  if (api->change_config2(svc, k_levels[s], &info))
    return 0;
  DWORD err = GetLastError();
  return err != 0 ? err : ERROR_GEN_FAILURE;
}

int lw_service_config_ensure(const struct lw_service_config_api *api, const wchar_t *service_name,
                             struct lw_service_config_result *result) {
  SC_HANDLE scm = NULL, svc = NULL;
  int rc = 0, s;

  memset(result, 0, sizeof *result);
  if (api == NULL)
    api = &k_system;
  scm = api->open_sc_manager(NULL, NULL, SC_MANAGER_CONNECT);
  if (scm == NULL) {
    result->open_error = GetLastError();
    rc = LW_EOS;
    goto cleanup;
  }
  /* SERVICE_START as well: ChangeServiceConfig2W wants it for restart actions. */
  svc = api->open_service(scm, service_name,
                          SERVICE_QUERY_CONFIG | SERVICE_CHANGE_CONFIG | SERVICE_START);
  if (svc == NULL) {
    result->open_error = GetLastError();
    rc = LW_EOS;
    goto cleanup;
  }

  for (s = 0; s < LW_SVCCFG_COUNT; s++) {
    void *info = NULL;
    DWORD qerr = query(api, svc, k_levels[s], &info);
    if (qerr == ERROR_NOT_ENOUGH_MEMORY) {
      rc = LW_ENOMEM;
      result->query_error[s] = qerr;
      continue;
    }
    result->query_error[s] = qerr;
    if (qerr == 0 && matches((enum lw_service_setting)s, info)) {
      result->outcome[s] = LW_SVCCFG_ALREADY;
    } else {
      DWORD cerr = change(api, svc, (enum lw_service_setting)s);
      result->change_error[s] = cerr;
      if (cerr != 0) {
        result->outcome[s] = LW_SVCCFG_FAILED;
        if (rc == 0)
          rc = LW_EOS;
      } else {
        result->outcome[s] = qerr == 0 ? LW_SVCCFG_CHANGED : LW_SVCCFG_UNREAD_SET;
      }
    }
    free(info);
  }

cleanup:
  if (svc != NULL)
    api->close_service_handle(svc);
  if (scm != NULL)
    api->close_service_handle(scm);
  return rc;
}

int lw_service_config_describe(const struct lw_service_config_result *r, char *out, size_t outlen) {
  size_t at = 0;
  int s, n, cut = 0;

  if (outlen == 0)
    return LW_ENOSPC;
  out[0] = 0;
  if (r->open_error != 0) {
    n = snprintf(out, outlen, "cannot open the service (error %lu): nothing checked",
                 r->open_error);
    return n < 0 || (size_t)n >= outlen ? LW_ENOSPC : 0;
  }
  for (s = 0; s < LW_SVCCFG_COUNT && !cut; s++) {
    const char *sep = s == 0 ? "" : "; ";
    switch (r->outcome[s]) {
    case LW_SVCCFG_ALREADY:
      n = snprintf(out + at, outlen - at, "%s%s: in place", sep, k_names[s]);
      break;
    case LW_SVCCFG_CHANGED:
      n = snprintf(out + at, outlen - at, "%s%s: set", sep, k_names[s]);
      break;
    case LW_SVCCFG_UNREAD_SET:
      n = snprintf(out + at, outlen - at,
                   "%s%s: set (QueryServiceConfig2W error %lu, could not be read first)", sep,
                   k_names[s], r->query_error[s]);
      break;
    default:
      if (r->change_error[s] != 0)
        n = snprintf(out + at, outlen - at, "%s%s: NOT set (ChangeServiceConfig2W error %lu)", sep,
                     k_names[s], r->change_error[s]);
      else
        n = snprintf(out + at, outlen - at, "%s%s: NOT checked (QueryServiceConfig2W error %lu)",
                     sep, k_names[s], r->query_error[s]);
      break;
    }
    if (n < 0 || (size_t)n >= outlen - at)
      cut = 1;
    else
      at += (size_t)n;
  }
  return cut ? LW_ENOSPC : 0;
}
