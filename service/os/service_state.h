/*
 * service_state.h - what the Service Control Manager says of a service now,
 * for `leakwatch status` (its state, process and exit code), without
 * changing anything: the SCM is opened with SC_MANAGER_CONNECT and the
 * service with SERVICE_QUERY_STATUS only, which an ordinary user may do.
 */
#ifndef LW_SERVICE_STATE_H
#define LW_SERVICE_STATE_H

#include <stdint.h>

enum lw_service_state {
  LW_SERVICE_UNKNOWN = 0,   /* the SCM could not be asked (see error) */
  LW_SERVICE_NOT_INSTALLED, /* no such service */
  LW_SERVICE_STOPPED,
  LW_SERVICE_START_PENDING,
  LW_SERVICE_STOP_PENDING,
  LW_SERVICE_RUNNING,
  LW_SERVICE_PAUSED /* paused, or pausing / continuing */
};

struct lw_service_status {
  enum lw_service_state state;
  uint32_t pid;                   /* while it runs, else 0 */
  uint32_t win32_exit_code;       /* when stopped: 0, or ERROR_SERVICE_SPECIFIC_ERROR */
  uint32_t service_specific_code; /* LeakWatch's own (README: 10..14) */
  char error[256];                /* LW_SERVICE_UNKNOWN: which call failed and why */
};

/* Asks the SCM about the service `name` (UTF-8, e.g. "LeakWatch"). Always
 * fills *out; returns 0, or an LW_E* code with out->state LW_SERVICE_UNKNOWN. */
int lw_service_query(const char *name, struct lw_service_status *out);

/* "running", "stopped", "not installed", ... (lowercase, for text and JSON). */
const char *lw_service_state_name(enum lw_service_state s);

#endif /* LW_SERVICE_STATE_H */
