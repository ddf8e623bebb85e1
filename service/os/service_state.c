/* service_state.c - the SCM's view of a service (see service_state.h). */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "service_state.h"
#include "win_error.h"
#include "winutf.h"

static int fail(struct lw_service_status *out, const char *call, DWORD err) {
  char *text = lw_win32_error_text(err);
  snprintf(out->error, sizeof out->error, "%s failed: %s", call,
           text != NULL ? text : "unknown error");
  free(text);
  out->state = LW_SERVICE_UNKNOWN;
  return lw_error_from_win32(err);
}

int lw_service_query(const char *name, struct lw_service_status *out) {
  SC_HANDLE scm, svc;
  SERVICE_STATUS_PROCESS ss;
  DWORD need = 0, err;
  wchar_t *wname;
  ZeroMemory(out, sizeof *out);
  wname = lw_wide_from_utf8(name);
  if (wname == NULL)
    return fail(out, "converting the service name", ERROR_NOT_ENOUGH_MEMORY);
  /* Least rights: connect and query, what every user may. */
  scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
  if (scm == NULL) {
    free(wname);
    return fail(out, "OpenSCManagerW", GetLastError());
  }
  svc = OpenServiceW(scm, wname, SERVICE_QUERY_STATUS);
  err = GetLastError();
  free(wname);
  if (svc == NULL) {
    CloseServiceHandle(scm);
    if (err == ERROR_SERVICE_DOES_NOT_EXIST) {
      out->state = LW_SERVICE_NOT_INSTALLED;
      return 0;
    }
    return fail(out, "OpenServiceW", err);
  }
  if (!QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (BYTE *)&ss, sizeof ss, &need)) {
    err = GetLastError();
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    return fail(out, "QueryServiceStatusEx", err);
  }
  CloseServiceHandle(svc);
  CloseServiceHandle(scm);
  switch (ss.dwCurrentState) {
  case SERVICE_STOPPED:
    out->state = LW_SERVICE_STOPPED;
    out->win32_exit_code = ss.dwWin32ExitCode;
    out->service_specific_code = ss.dwServiceSpecificExitCode;
    break;
  case SERVICE_START_PENDING:
    out->state = LW_SERVICE_START_PENDING;
    break;
  case SERVICE_STOP_PENDING:
    out->state = LW_SERVICE_STOP_PENDING;
    break;
  case SERVICE_RUNNING:
    out->state = LW_SERVICE_RUNNING;
    break;
  default:
    out->state = LW_SERVICE_PAUSED;
    break;
  }
  out->pid = out->state == LW_SERVICE_STOPPED ? 0 : ss.dwProcessId;
  return 0;
}

const char *lw_service_state_name(enum lw_service_state s) {
  switch (s) {
  case LW_SERVICE_NOT_INSTALLED:
    return "not installed";
  case LW_SERVICE_STOPPED:
    return "stopped";
  case LW_SERVICE_START_PENDING:
    return "starting";
  case LW_SERVICE_STOP_PENDING:
    return "stopping";
  case LW_SERVICE_RUNNING:
    return "running";
  case LW_SERVICE_PAUSED:
    return "paused";
  case LW_SERVICE_UNKNOWN:
    break;
  }
  return "unknown";
}
