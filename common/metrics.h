/*
 * metrics.h - the Prometheus text exposition of LeakWatch's state.
 *
 * Farms scrape hosts with windows_exporter, whose textfile collector reads
 * *.prom files from a folder; the service writes this text there after every
 * poll (config key `metrics_file`). Metric names are a public contract
 * (README): add, never rename.
 */
#ifndef LW_METRICS_H
#define LW_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct lw_metrics {
  uint64_t polls_total;         /* polls attempted since the service started */
  uint64_t poll_failures_total; /* polls that could not be collected or stored */
  int64_t last_poll_time;       /* ms since epoch of the last poll, UTC */
  uint32_t last_poll_duration_ms;
  uint32_t logon_sessions; /* live, at the last successful poll */
  uint32_t wts_sessions;
  uint32_t processes;
  uint32_t leaked_sessions;              /* logon sessions in an open leak episode */
  uint32_t pinned_session_ids;           /* terminal session IDs held by leaked sessions */
  uint32_t highest_session_id;           /* highest WTS session ID in use (the qwinsta gap) */
  uint64_t polls_late_total;             /* polls that took 3 poll intervals or more */
  uint64_t holder_scans_total;           /* holder scans started */
  uint64_t holder_scans_abandoned_total; /* past holders.timeout, or their thread ended */
  uint32_t holder_scan_running;          /* 1 while a holder scan runs */
};

/* Writes the metrics as Prometheus text (with HELP and TYPE lines) into buf
 * (size bytes, NUL-terminated). Returns the length written, or LW_ENOSPC if it
 * does not fit (buf is then ""). 8 KiB is always enough. */
int lw_metrics_format(const struct lw_metrics *m, char *buf, size_t size);

#endif /* LW_METRICS_H */
