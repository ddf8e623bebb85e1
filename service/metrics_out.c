/* metrics_out.c - the metrics file's own figures and write (see metrics_out.h). */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

#include "messages.h"
#include "metrics_file.h"
#include "metrics_out.h"

void lw_metrics_out_alerts(struct lw_metrics *m, const struct lw_alert *alerts, size_t n) {
  /* A known leak's alert (acknowledged, issue 15) is no alert to the operator. */
  for (size_t i = 0; i < n; i++)
    if (!alerts[i].acknowledged)
      lw_metrics_count_alert(m, alerts[i].event_id, alerts[i].suppressed != 0);
}

void lw_metrics_out_leaks(struct lw_metrics *m, const struct lw_detect_state *st,
                          const struct lw_detect_output *d, int64_t now) {
  for (size_t i = 0; i < d->n_changes; i++)
    if (d->changes[i].kind == LW_LEAK_OPENED)
      m->leak_episodes_total++;
  int64_t oldest = LW_TIME_UNKNOWN;
  for (size_t i = 0; i < st->n_logons; i++) {
    int64_t t = st->logons[i].leaked_at;
    if (t != LW_TIME_UNKNOWN && (oldest == LW_TIME_UNKNOWN || t < oldest))
      oldest = t;
  }
  m->oldest_leak_age_ms = oldest != LW_TIME_UNKNOWN && now > oldest ? now - oldest : 0;
}

void lw_metrics_out_write(struct lw_metrics_out *o, const char *path, const struct lw_metrics *m,
                          lw_metrics_report_fn report, void *ctx) {
  char err[1024];
  char *text = malloc(LW_METRICS_TEXT_MAX);
  int rc;
  if (text == NULL) {
    snprintf(err, sizeof err, "out of memory");
    rc = -1;
  } else if (lw_metrics_format(m, text, LW_METRICS_TEXT_MAX) < 0) {
    snprintf(err, sizeof err, "the metrics text does not fit in %d bytes", LW_METRICS_TEXT_MAX);
    rc = -1;
  } else {
    rc = lw_metrics_file_write(path, text, err, sizeof err);
  }
  free(text);
  if (rc != 0) {
    o->failed_writes++;
    if (!o->failing) {
      const char *s[] = {path, err};
      report(ctx, LW_MSG_METRICS_WRITE_FAILED, 2, s);
      o->failing = true;
    }
  } else if (o->failing) {
    char count[32];
    snprintf(count, sizeof count, "%llu", (unsigned long long)o->failed_writes);
    const char *s[] = {path, count};
    report(ctx, LW_MSG_METRICS_RESUMED, 2, s);
    o->failing = false;
    o->failed_writes = 0;
  }
}
