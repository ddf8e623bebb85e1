/*
 * scm.h - the Windows service glue: dispatcher, control handler, status.
 *
 * The SCM thread only ever signals events (stop, reload); the monitor does the
 * work in the service thread. START_PENDING is reported with checkpoints while
 * the monitor opens, RUNNING only once its loop really runs, STOP_PENDING with
 * checkpoints while it winds down, and STOPPED with the right exit code: a
 * service-specific code (monitor.h) when it could not start.
 */
#ifndef LW_SCM_H
#define LW_SCM_H

/* The service name, a public contract. */
#define LW_SERVICE_NAME L"LeakWatch"

/* Returned by lw_scm_dispatch when the process was not started by the SCM. */
#define LW_SCM_NOT_A_SERVICE (-1000)

/* Connects to the SCM (StartServiceCtrlDispatcherW) and runs the service until
 * it stops. Returns 0 after a clean stop, the service-specific exit code when it
 * failed, LW_SCM_NOT_A_SERVICE when there is no SCM to talk to (run from a
 * console), or 1 for any other dispatcher failure. `config_path` (UTF-8, may be
 * NULL for the default) is the configuration file to use. */
int lw_scm_dispatch_with(const char *config_path);
int lw_scm_dispatch(void);

#endif /* LW_SCM_H */
