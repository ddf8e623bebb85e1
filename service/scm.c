/*
 * scm.c - Windows service glue (see scm.h).
 *
 * Modelled on the small wrappers that are easy to trust: the control handler
 * never does work, it only signals; no control is accepted while starting; the
 * status is always reported from one function under one lock.
 */
#include <windows.h>
#include <stdio.h>

#include "commands.h"
#include "monitor.h"
#include "scm.h"
#include "service_config.h"

/* Hints for the SCM: how long a start or stop step may take before it may
 * consider the service hung. Opening the database can take a few seconds. */
#define START_WAIT_HINT_MS 30000
#define STOP_WAIT_HINT_MS 15000

static SERVICE_STATUS_HANDLE status_handle;
static SERVICE_STATUS status;
static CRITICAL_SECTION status_lock;
static HANDLE stop_event;
static HANDLE reload_event;
static const char *service_config_path;
static int service_exit;

static void report(DWORD state, DWORD win32_exit, DWORD specific_exit, DWORD wait_hint) {
  EnterCriticalSection(&status_lock);
  status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  status.dwCurrentState = state;
  status.dwWin32ExitCode = win32_exit;
  status.dwServiceSpecificExitCode = specific_exit;
  status.dwWaitHint = wait_hint;
  if (state == SERVICE_START_PENDING || state == SERVICE_STOPPED)
    status.dwControlsAccepted = 0;
  else if (state == SERVICE_STOP_PENDING)
    status.dwControlsAccepted = 0;
  else
    status.dwControlsAccepted =
        SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_PRESHUTDOWN | SERVICE_ACCEPT_PARAMCHANGE;
  if (state == SERVICE_RUNNING || state == SERVICE_STOPPED)
    status.dwCheckPoint = 0;
  else
    status.dwCheckPoint++;
  SetServiceStatus(status_handle, &status);
  LeaveCriticalSection(&status_lock);
}

/* Called by the monitor while it opens or closes, so the SCM sees progress. */
static void progress(void *ctx) {
  (void)ctx;
  EnterCriticalSection(&status_lock);
  DWORD state = status.dwCurrentState;
  DWORD hint = status.dwWaitHint;
  LeaveCriticalSection(&status_lock);
  if (state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING)
    report(state, NO_ERROR, 0, hint);
}

/* Called by the monitor's watchdog just before it ends the process: STOPPED
 * with a service-specific exit code is a failure the SCM's recovery actions
 * answer (FailureActionsOnNonCrashFailures is set, service_config.c), and
 * what `sc query` shows meanwhile. */
static void stalled(void *ctx, int specific_exit) {
  (void)ctx;
  report(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, (DWORD)specific_exit, 0);
}

static DWORD WINAPI control_handler(DWORD control, DWORD event_type, LPVOID event_data,
                                    LPVOID context) {
  (void)event_type;
  (void)event_data;
  (void)context;
  switch (control) {
  case SERVICE_CONTROL_STOP:
  case SERVICE_CONTROL_SHUTDOWN:
  case SERVICE_CONTROL_PRESHUTDOWN:
    report(SERVICE_STOP_PENDING, NO_ERROR, 0, STOP_WAIT_HINT_MS);
    SetEvent(stop_event);
    return NO_ERROR;
  case SERVICE_CONTROL_PARAMCHANGE:
    SetEvent(reload_event);
    return NO_ERROR;
  case SERVICE_CONTROL_INTERROGATE:
    EnterCriticalSection(&status_lock);
    SetServiceStatus(status_handle, &status);
    LeaveCriticalSection(&status_lock);
    return NO_ERROR;
  default:
    return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

/* Recovery actions, required privileges and SID type (service_config.h),
 * which the MSI cannot set. A failure is reported, never fatal; it costs a
 * few SCM calls, after RUNNING so that it never delays the start. */
static void ensure_service_config(void) {
  struct lw_service_config_result result;
  char text[1024], line[1100];
  if (lw_service_config_ensure(NULL, LW_SERVICE_NAME, &result) == 0)
    return;
  lw_service_config_describe(&result, text, sizeof text);
  /* Debugger output (DebugView; Wine's debugstr channel) until the message
   * table has an event for it. The text is ASCII. */
  snprintf(line, sizeof line, "LeakWatch: service settings: %s\n", text);
  OutputDebugStringA(line);
}

static void WINAPI service_main(DWORD argc, LPWSTR *argv) {
  (void)argc;
  (void)argv;
  struct lw_monitor *mon = NULL;
  status_handle = RegisterServiceCtrlHandlerExW(LW_SERVICE_NAME, control_handler, NULL);
  if (status_handle == NULL) {
    service_exit = LW_EXIT_FAILURE;
    return;
  }
  report(SERVICE_START_PENDING, NO_ERROR, 0, START_WAIT_HINT_MS);

  struct lw_monitor_options opts = {0};
  opts.config_path = service_config_path;
  opts.service = true;
  opts.progress = progress;
  opts.stalled = stalled;
  int specific = 0;
  if (stop_event == NULL || reload_event == NULL) {
    specific = LW_SVC_EXIT_INTERNAL;
  } else if (lw_monitor_open(&opts, &mon, &specific) != 0) {
    if (specific == 0)
      specific = LW_SVC_EXIT_INTERNAL;
  }
  if (specific != 0) {
    service_exit = specific;
    report(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, (DWORD)specific, 0);
    return;
  }

  /* RUNNING only now: the monitor is open and its loop starts at once. */
  report(SERVICE_RUNNING, NO_ERROR, 0, 0);
  ensure_service_config();
  lw_monitor_run(mon, stop_event, reload_event);
  report(SERVICE_STOP_PENDING, NO_ERROR, 0, STOP_WAIT_HINT_MS);
  lw_monitor_close(mon);
  report(SERVICE_STOPPED, NO_ERROR, 0, 0);
}

int lw_scm_dispatch_with(const char *config_path) {
  static wchar_t name[] = LW_SERVICE_NAME;
  SERVICE_TABLE_ENTRYW table[] = {{name, service_main}, {NULL, NULL}};
  InitializeCriticalSection(&status_lock);
  service_config_path = config_path;
  stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
  reload_event = CreateEventW(NULL, FALSE, FALSE, NULL);
  int rc = 0;
  if (!StartServiceCtrlDispatcherW(table)) {
    DWORD err = GetLastError();
    rc = err == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT ? LW_SCM_NOT_A_SERVICE : LW_EXIT_FAILURE;
  } else {
    rc = service_exit;
  }
  if (stop_event != NULL)
    CloseHandle(stop_event);
  if (reload_event != NULL)
    CloseHandle(reload_event);
  DeleteCriticalSection(&status_lock);
  return rc;
}

int lw_scm_dispatch(void) {
  return lw_scm_dispatch_with(NULL);
}
