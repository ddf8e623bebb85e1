/*
 * monitor.h - the engine behind `leakwatch run` and the service.
 *
 * Opening the monitor loads the configuration (creating
 * %ProgramData%\LeakWatch\leakwatch.yaml from the default beside the exe at
 * first start) and prepares the data folder; running it polls on the
 * configured schedule until the stop event is signalled, reloading the
 * configuration when the reload event is (SERVICE_CONTROL_PARAMCHANGE). Each
 * poll writes the metrics file; collection, history and alerts plug into
 * poll_once() in monitor.c. Problems are reported to the Event Log (and to
 * stderr when run from a console); the loop keeps running where it can.
 */
#ifndef LW_MONITOR_H
#define LW_MONITOR_H

#include <windows.h>
#include <stdbool.h>
#include <stdint.h>

/* Service-specific exit codes (SERVICE_STATUS.dwServiceSpecificExitCode and
 * `leakwatch run`'s failure details); a public contract, see README. */
enum lw_service_exit {
  LW_SVC_EXIT_CONFIG = 10,   /* configuration missing or invalid */
  LW_SVC_EXIT_DATADIR = 11,  /* data folder cannot be created */
  LW_SVC_EXIT_DATABASE = 12, /* history database cannot be opened */
  LW_SVC_EXIT_INTERNAL = 13, /* out of memory or a Windows call failed */
  LW_SVC_EXIT_STALLED = 14   /* polling stopped: the watchdog ended the process */
};

struct lw_monitor_options {
  const char *config_path;     /* UTF-8; NULL = the default under %ProgramData% */
  bool service;                /* started by the SCM */
  uint64_t max_polls;          /* stop by itself after this many polls; 0 = never */
  void (*progress)(void *ctx); /* called during slow steps of open/close */
  void *progress_ctx;
  /* Called by the watchdog, on its own thread, just before it ends the
   * process because polling stopped (the service reports STOPPED with
   * `specific_exit` here, so that the SCM's recovery actions apply). */
  void (*stalled)(void *ctx, int specific_exit);
};

struct lw_monitor;

/* Opens the monitor. Returns 0 and *out, or a negative LW_E* code with the
 * service-specific exit code in *service_exit; the reason has then been
 * reported (Event Log 1100/1101, and stderr when not a service). */
int lw_monitor_open(const struct lw_monitor_options *opts, struct lw_monitor **out,
                    int *service_exit);

/* Polls until stop_event is signalled (or max_polls is reached). reload_event
 * may be NULL. Returns 0.
 * A watchdog thread runs beside the loop: if the calling thread ends, or one
 * poll runs longer than max(10 poll intervals, 60 s), it reports event 1104,
 * calls opts->stalled and ends the whole process with exit code
 * LW_SVC_EXIT_STALLED: a monitor that looks alive while nothing polls is
 * worse than one that is restarted. A poll of 3 intervals or more raises
 * event 1105 once, and 1004 when polls are on time again. */
int lw_monitor_run(struct lw_monitor *m, HANDLE stop_event, HANDLE reload_event);

/* Reports the stop (Event Log 1001) and frees everything. NULL is fine. */
void lw_monitor_close(struct lw_monitor *m);

#endif /* LW_MONITOR_H */
