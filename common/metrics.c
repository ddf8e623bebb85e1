/* metrics.c - Prometheus text exposition (see metrics.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "error.h"
#include "metrics.h"

struct out {
  char *buf;
  size_t size, len;
  int overflow;
};

/* Appends printf text; on overflow marks o and appends nothing more. */
static void put(struct out *o, const char *fmt, ...) {
  if (o->overflow)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= o->size - o->len) {
    o->overflow = 1;
    return;
  }
  o->len += (size_t)n;
}

/* The HELP and TYPE lines of a metric family. */
static void head(struct out *o, const char *name, const char *type, const char *help) {
  put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one sample without labels. */
static void emit(struct out *o, const char *name, const char *type, const char *help,
                 const char *fmt, ...) {
  char value[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(value, sizeof value, fmt, ap);
  va_end(ap);
  head(o, name, type, help);
  put(o, "%s %s\n", name, value);
}

/* The events.h rows, in order, for the per-alert counters. */
#define EVENT_ID(NAME, ID, SEVERITY, CATEGORY, INSERTS, RATE_LIMITED) ID,
static const unsigned k_event_ids[LW_METRICS_EVENT_SLOTS] = {LW_EVENTS(EVENT_ID)};
#define FIRST_ALERT_ID 2000u

int lw_metrics_count_alert(struct lw_metrics *m, unsigned event_id, int held_back) {
  for (size_t i = 0; i < LW_METRICS_EVENT_SLOTS; i++) {
    if (k_event_ids[i] == event_id && event_id >= FIRST_ALERT_ID) {
      if (held_back)
        m->alerts_held_back[i]++;
      else
        m->alerts_raised[i]++;
      return 0;
    }
  }
  return -1;
}

/* Every alert with both outcomes, zeros included: a series that appears only
 * at its first alert makes increase() miss that alert. */
static void emit_alerts(struct out *o, const struct lw_metrics *m) {
  head(o, "leakwatch_alerts_total", "counter",
       "Alerts (events 2000 and up) by event ID: raised to the Event Log, or held back by "
       "alerts.max_per_hour (kept in history).");
  for (size_t i = 0; i < LW_METRICS_EVENT_SLOTS; i++) {
    if (k_event_ids[i] < FIRST_ALERT_ID)
      continue;
    put(o, "leakwatch_alerts_total{event_id=\"%u\",outcome=\"raised\"} %" PRIu64 "\n",
        k_event_ids[i], m->alerts_raised[i]);
    put(o, "leakwatch_alerts_total{event_id=\"%u\",outcome=\"held_back\"} %" PRIu64 "\n",
        k_event_ids[i], m->alerts_held_back[i]);
  }
}

/* Milliseconds as seconds with three decimals, exact (no double). */
static void ms_text(int64_t ms, char *out, size_t n) {
  if (ms < 0)
    ms = 0;
  snprintf(out, n, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
}

int lw_metrics_format(const struct lw_metrics *m, char *buf, size_t size) {
  struct out o = {buf, size, 0, 0};
  if (size == 0)
    return LW_ENOSPC;
  buf[0] = 0;
  emit(&o, "leakwatch_polls_total", "counter", "Polls attempted since the service started.",
       "%" PRIu64, m->polls_total);
  emit(&o, "leakwatch_poll_failures_total", "counter",
       "Polls whose snapshot could not be collected or stored.", "%" PRIu64,
       m->poll_failures_total);
  /* Prometheus wants seconds; keep the milliseconds exact. */
  int64_t t = m->last_poll_time;
  emit(&o, "leakwatch_last_poll_timestamp_seconds", "gauge",
       "Time of the last poll, seconds since the Unix epoch.", "%" PRId64 ".%03d", t / 1000,
       (int)(t % 1000));
  emit(&o, "leakwatch_last_poll_duration_seconds", "gauge", "How long the last poll took.",
       "%u.%03u", m->last_poll_duration_ms / 1000, m->last_poll_duration_ms % 1000);
  emit(&o, "leakwatch_logon_sessions", "gauge", "Live LSA logon sessions at the last poll.", "%u",
       m->logon_sessions);
  emit(&o, "leakwatch_wts_sessions", "gauge", "WTS (terminal) sessions at the last poll.", "%u",
       m->wts_sessions);
  emit(&o, "leakwatch_processes", "gauge", "Processes seen at the last poll.", "%u", m->processes);
  /* kind: a user's logon session, or a terminal session's DWM-n / UMFD-n
   * (listed in its user's 2001); sum without (kind) for all. */
  head(&o, "leakwatch_leaked_logon_sessions", "gauge",
       "Logon sessions alive past the grace period after their terminal session ended, by kind "
       "(user; system: DWM-n, UMFD-n).");
  put(&o, "leakwatch_leaked_logon_sessions{kind=\"user\"} %u\n",
      m->leaked_sessions - (m->leaked_system_sessions <= m->leaked_sessions
                                ? m->leaked_system_sessions
                                : m->leaked_sessions));
  put(&o, "leakwatch_leaked_logon_sessions{kind=\"system\"} %u\n",
      m->leaked_system_sessions <= m->leaked_sessions ? m->leaked_system_sessions
                                                      : m->leaked_sessions);
  emit(&o, "leakwatch_pinned_session_ids", "gauge",
       "Terminal session IDs held by logon sessions whose terminal session ended.", "%u",
       m->pinned_session_ids);
  emit(&o, "leakwatch_highest_session_id", "gauge", "Highest terminal session ID in use.", "%u",
       m->highest_session_id);
  emit(&o, "leakwatch_polls_late_total", "counter",
       "Polls that took three poll intervals or more (event 1105).", "%" PRIu64,
       m->polls_late_total);
  emit(&o, "leakwatch_holder_scans_total", "counter", "Holder scans started.", "%" PRIu64,
       m->holder_scans_total);
  emit(&o, "leakwatch_holder_scans_abandoned_total", "counter",
       "Holder scans abandoned: still running after holders.timeout, or their thread ended "
       "(event 1103).",
       "%" PRIu64, m->holder_scans_abandoned_total);
  emit(&o, "leakwatch_holder_scan_running", "gauge", "1 while a holder scan is running.", "%u",
       m->holder_scan_running);
  emit_alerts(&o, m);
  emit(&o, "leakwatch_leak_episodes_total", "counter",
       "Leak episodes opened (a logon session declared leaked, event 2001), also those "
       "released before a scrape saw them.",
       "%" PRIu64, m->leak_episodes_total);
  char secs[32];
  ms_text(m->oldest_leak_age_ms, secs, sizeof secs);
  emit(&o, "leakwatch_oldest_leak_age_seconds", "gauge",
       "Seconds since the oldest open leak was declared; 0 when none is open.", "%s", secs);
  emit(&o, "leakwatch_history_database_busy", "gauge",
       "1 while the history database is locked by another program (event 1106).", "%u",
       m->history_busy);
  ms_text(m->poll_interval_ms, secs, sizeof secs);
  emit(&o, "leakwatch_poll_interval_seconds", "gauge", "The configured poll_interval.", "%s", secs);
  ms_text(m->grace_period_ms, secs, sizeof secs);
  emit(&o, "leakwatch_grace_period_seconds", "gauge", "The configured grace_period.", "%s", secs);
  emit(&o, "leakwatch_gap_threshold", "gauge",
       "The configured gap_threshold: pinned session IDs that raise event 2003.", "%u",
       m->gap_threshold);
  head(&o, "leakwatch_build_info", "gauge", "Always 1; the label says which LeakWatch runs.");
  put(&o, "leakwatch_build_info{version=\"%s\"} 1\n", LW_VERSION_STRING);
  if (o.overflow) {
    buf[0] = 0;
    return LW_ENOSPC;
  }
  return (int)o.len;
}
