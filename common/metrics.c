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

static void emit(struct out *o, const char *name, const char *type, const char *help,
                 const char *fmt, ...) {
  if (o->overflow)
    return;
  int n = snprintf(o->buf + o->len, o->size - o->len, "# HELP %s %s\n# TYPE %s %s\n%s ", name, help,
                   name, type, name);
  if (n < 0 || (size_t)n >= o->size - o->len) {
    o->overflow = 1;
    return;
  }
  o->len += (size_t)n;
  va_list ap;
  va_start(ap, fmt);
  n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n + 1 >= o->size - o->len) {
    o->overflow = 1;
    return;
  }
  o->len += (size_t)n;
  o->buf[o->len++] = '\n';
  o->buf[o->len] = 0;
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
  emit(&o, "leakwatch_leaked_logon_sessions", "gauge",
       "Logon sessions alive past the grace period after their terminal session ended.", "%u",
       m->leaked_sessions);
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
  if (o.overflow) {
    buf[0] = 0;
    return LW_ENOSPC;
  }
  return (int)o.len;
}
