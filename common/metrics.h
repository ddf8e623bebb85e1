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

#include "events.h"

/* One slot per row of events.h (only the alerts, ID 2000 and up, are
 * written), so an event added there is counted without a change here. */
#define LW__METRICS_ONE(NAME, ID, SEVERITY, CATEGORY, INSERTS, RATE_LIMITED) +1
enum { LW_METRICS_EVENT_SLOTS = 0 LW_EVENTS(LW__METRICS_ONE) };

struct lw_metrics {
  uint64_t polls_total;         /* polls attempted since the service started */
  uint64_t poll_failures_total; /* polls that could not be collected or stored */
  int64_t last_poll_time;       /* ms since epoch of the last poll, UTC */
  uint32_t last_poll_duration_ms;
  uint32_t logon_sessions; /* live, at the last successful poll */
  uint32_t wts_sessions;
  uint32_t processes;
  uint32_t leaked_sessions;              /* logon sessions in an open leak episode */
  uint32_t leaked_system_sessions;       /* of those, DWM-n / UMFD-n (label kind="system") */
  uint32_t pinned_session_ids;           /* terminal session IDs held by leaked sessions */
  uint32_t highest_session_id;           /* highest WTS session ID in use (the qwinsta gap) */
  uint64_t polls_late_total;             /* polls that took 3 poll intervals or more */
  uint64_t holder_scans_total;           /* holder scans started */
  uint64_t holder_scans_abandoned_total; /* past holders.timeout, or their thread ended */
  uint32_t holder_scan_running;          /* 1 while a holder scan runs */
  /* Alerts by events.h row: sent to the Event Log, or held back by the rate
   * limit (kept in history only). Counted with lw_metrics_count_alert. */
  uint64_t alerts_raised[LW_METRICS_EVENT_SLOTS];
  uint64_t alerts_held_back[LW_METRICS_EVENT_SLOTS];
  uint64_t leak_episodes_total; /* leak episodes opened: gauges miss a short one */
  int64_t oldest_leak_age_ms;   /* since the oldest open leak was declared; 0: none */
  uint32_t history_busy;        /* 1 while the history database is locked (event 1106) */
  /* The host's own settings, so that farm rules compare against them. */
  int64_t poll_interval_ms;
  int64_t grace_period_ms;
  uint32_t gap_threshold;
};

/* Counts one alert of event_id, raised or held back; an ID that is not an
 * alert of events.h (below 2000, or unknown) is ignored and returns -1. */
int lw_metrics_count_alert(struct lw_metrics *m, unsigned event_id, int held_back);

/* Writes the metrics as Prometheus text (with HELP and TYPE lines) into buf
 * (size bytes, NUL-terminated). Returns the length written, or LW_ENOSPC if it
 * does not fit (buf is then ""). LW_METRICS_TEXT_MAX is always enough. */
#define LW_METRICS_TEXT_MAX (16 * 1024)
int lw_metrics_format(const struct lw_metrics *m, char *buf, size_t size);

#endif /* LW_METRICS_H */
