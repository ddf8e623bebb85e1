/* alert_out.c - alerts to the Event Log and the history (see alert_out.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "alert_out.h"
#include "eventlog.h"

/* Big enough for event 2003's longest text (its range list is capped at 16 KB). */
#define RENDER_MAX (32 * 1024)

size_t lw_alert_out_publish(struct lw_store *st, const struct lw_alert *alerts, size_t n,
                            int to_console) {
  size_t lost = 0;
  char *text = malloc(RENDER_MAX);
  for (size_t i = 0; i < n; i++) {
    const struct lw_alert *a = &alerts[i];
    uint32_t msg_id = lw_eventlog_message_id(a->event_id);
    const char *const *inserts = (const char *const *)a->inserts;
    unsigned count = (unsigned)a->n_inserts;
    if (text != NULL &&
        (msg_id == 0 || lw_eventlog_render(msg_id, count, inserts, text, RENDER_MAX) != 0))
      snprintf(text, RENDER_MAX, "LeakWatch event %u", a->event_id);
    bool logged = false;
    /* Held back by the rate limit, or a known leak's (issue 15): history only. */
    if (!a->suppressed && !a->acknowledged && msg_id != 0) {
      logged = lw_eventlog_report(msg_id, count, inserts) == 0;
      if (to_console && text != NULL)
        fprintf(stderr, "leakwatch: event %u: %s\n", a->event_id, text);
    }
    if (st == NULL)
      continue;
    char *fields = NULL;
    lw_alert_fields_json(a, &fields, NULL);
    struct lw_store_alert sa = {0};
    sa.raised_at = a->raised_at;
    sa.event_id = a->event_id;
    sa.message = text != NULL ? text : "";
    sa.fields_json = fields;
    sa.suppressed = a->suppressed != 0;
    sa.luid = a->luid;
    sa.user = a->user;
    sa.domain = a->domain;
    sa.terminal_session =
        a->terminal_session != LW_ALERT_NONE && a->event_id != LW_EVENT_SESSION_IDS_PINNED &&
                a->event_id != LW_EVENT_ALERTS_SUPPRESSED
            ? (int64_t)a->terminal_session
            : -1; /* 2003's and 2009's is the highest ID, not a session of theirs */
    sa.logged = logged;
    if (lw_store_add_alert(st, &sa) != 0)
      lost++;
    free(fields);
  }
  free(text);
  return lost;
}
