/*
 * report_html.c - `leakwatch report --html` (see report_html.h): what the
 * page shows is read first (series, leaks, holder images, alert counts),
 * then written in one pass into the caller's buffer.
 */
#include "report_html.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ack.h"
#include "error.h"
#include "events.h"
#include "holders.h"
#include "html_text.h"
#include "luid.h"
#include "report_leaks.h"
#include "report_series.h"
#include "svg_chart.h"
#include "timefmt.h"

/* No fetch of any kind; the page's own <style> and style attributes only. */
#define CSP "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

static const char style[] =
    "body{font-family:system-ui,'Segoe UI',Arial,sans-serif;margin:24px auto;max-width:1100px;"
    "padding:0 16px;color:#1b1f24;background:#fff}"
    "h1{font-size:1.6em;margin-bottom:4px}h2{font-size:1.2em;margin:28px 0 8px;"
    "border-bottom:1px solid #d0d7de;padding-bottom:4px}"
    ".lw-meta,.lw-note{color:#57606a;font-size:.9em}"
    "code{font-family:Consolas,'DejaVu Sans Mono',monospace;font-size:.92em}"
    ".lw-figures{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0;padding:0}"
    ".lw-figures div{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:120px}"
    ".lw-figures dt{font-size:.8em;color:#57606a}.lw-figures dd{margin:0;font-size:1.7em;"
    "font-weight:600}.lw-figures .lw-bad dd{color:#cf222e}"
    ".lw-chart{width:100%;height:auto;display:block}"
    ".lw-chart text{font-size:12px;fill:#57606a}"
    ".lw-axis line{stroke:#d8dee4;stroke-width:1}.lw-frame{fill:none;stroke:#d0d7de}"
    ".lw-line{fill:none;stroke-width:1.6;stroke-linejoin:round}.lw-band{stroke:none;opacity:.22}"
    ".lw-c0 .lw-line{stroke:#cf222e}.lw-c0 .lw-band,.lw-c0 .lw-key{fill:#cf222e}"
    ".lw-c1 .lw-line{stroke:#0969da}.lw-c1 .lw-band,.lw-c1 .lw-key{fill:#0969da}"
    ".lw-c2 .lw-line{stroke:#9a6700}.lw-c2 .lw-band,.lw-c2 .lw-key{fill:#9a6700}"
    ".lw-c3 .lw-line{stroke:#1a7f37}.lw-c3 .lw-band,.lw-c3 .lw-key{fill:#1a7f37}"
    "table{border-collapse:collapse;width:100%;font-size:.9em}"
    "th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}"
    "th{background:#f6f8fa}td.n,th.n{text-align:right}"
    "td{white-space:nowrap}td.lw-name{white-space:normal;word-break:break-all}"
    ".lw-bar{display:inline-block;height:10px;background:#0969da;opacity:.6}";

/* Everything the page shows, read before a byte is written. */
struct page {
  struct lw_series series;
  struct lw_leaks leaks;
  struct lw_store_holder_image *images;
  char **image_paths; /* owned copies of images[i].image */
  size_t n_images;
  uint64_t images_total; /* images found (the table shows the first ones) */
  struct lw_store_alert_count *alerts;
  size_t n_alerts;
  uint64_t alerts_total;
  uint64_t open_rows, open_logons;   /* open leak rows, and their logon sessions */
  uint64_t open_acked, open_ignored; /* of the open rows, known leaks (issue 15) */
  int64_t oldest_leak;
};

static int add_image(void *ctx, const struct lw_store_holder_image *img) {
  struct page *p = ctx;
  p->images_total++;
  if (p->n_images == LW_HTML_TOP_IMAGES)
    return 0;
  char *copy = NULL;
  if (img->image != NULL && (copy = malloc(strlen(img->image) + 1)) == NULL)
    return LW_ENOMEM;
  if (copy != NULL)
    strcpy(copy, img->image);
  p->image_paths[p->n_images] = copy;
  p->images[p->n_images] = *img;
  p->images[p->n_images].image = copy;
  p->n_images++;
  return 0;
}

static int add_alert_count(void *ctx, const struct lw_store_alert_count *c) {
  struct page *p = ctx;
  struct lw_store_alert_count *v = realloc(p->alerts, (p->n_alerts + 1) * sizeof *v);
  if (v == NULL)
    return LW_ENOMEM;
  p->alerts = v;
  v[p->n_alerts++] = *c;
  p->alerts_total += c->alerts;
  return 0;
}

static void page_free(struct page *p) {
  lw_series_free(&p->series);
  lw_leaks_free(&p->leaks);
  for (size_t i = 0; i < p->n_images; i++)
    free(p->image_paths[i]);
  free(p->image_paths);
  free(p->images);
  free(p->alerts);
}

static int page_load(struct lw_store *st, const struct lw_html_query *q, struct page *p,
                     const char **what) {
  bool ranged = q->since != LW_TIME_UNKNOWN || q->until != LW_TIME_UNKNOWN;
  int rc;
  memset(p, 0, sizeof *p);
  p->oldest_leak = LW_TIME_UNKNOWN;
  *what = "reading the polls";
  rc = lw_series_load(st, q->since, q->until, LW_HTML_MAX_BUCKETS, &p->series);
  if (rc != 0)
    return rc;
  *what = "reading the leaks";
  rc = lw_leaks_load(st, ranged, q->since, q->until, &p->leaks);
  if (rc == 0)
    rc = lw_leaks_mark_known(st, q->ignores, q->now, &p->leaks);
  if (rc != 0)
    return rc;
  for (size_t i = 0; i < p->leaks.n; i++) {
    const struct lw_leak_item *it = &p->leaks.v[i];
    if (it->released_at != LW_TIME_UNKNOWN)
      continue;
    p->open_rows++;
    if (it->known != NULL && it->known->id > 0)
      p->open_acked++;
    else if (it->known != NULL)
      p->open_ignored++;
    p->open_logons += 1 + it->n_system;
    if (p->oldest_leak == LW_TIME_UNKNOWN || it->leak.leaked_at < p->oldest_leak)
      p->oldest_leak = it->leak.leaked_at;
  }
  *what = "reading the holders";
  p->images = calloc(LW_HTML_TOP_IMAGES, sizeof *p->images);
  p->image_paths = calloc(LW_HTML_TOP_IMAGES, sizeof *p->image_paths);
  if (p->images == NULL || p->image_paths == NULL)
    return LW_ENOMEM;
  rc = lw_store_each_holder_image(st, q->since, q->until, add_image, p);
  if (rc != 0)
    return rc;
  *what = "reading the alerts";
  return lw_store_each_alert_count(st, q->since, q->until, add_alert_count, p);
}

/* ---- Writing ------------------------------------------------------------ */

static void put_time(struct lw_out *o, int64_t ms, const char *none) {
  if (ms == LW_TIME_UNKNOWN) {
    lw_html_raw(o, none);
  } else {
    char iso[LW_ISO_TIME_SIZE];
    lw_html_raw(o, lw_time_format_iso(ms, iso));
  }
}

/* One key figure: <div><dt>label</dt><dd id=lw-fig-NAME data-figure=NAME
 * data-value=N>N</dd></div>; known false: data-value="" and "unknown". */
static void figure(struct lw_out *o, const char *name, const char *label, bool known,
                   uint64_t value, bool bad) {
  lw_html_printf(o, "<div%s><dt>%s</dt>", bad ? " class=\"lw-bad\"" : "", label);
  if (known)
    lw_html_printf(o, "<dd id=\"lw-fig-%s\" data-figure=\"%s\" data-value=\"%llu\">%llu</dd></div>",
                   name, name, (unsigned long long)value, (unsigned long long)value);
  else
    lw_html_printf(o, "<dd id=\"lw-fig-%s\" data-figure=\"%s\" data-value=\"\">unknown</dd></div>",
                   name, name);
}

/* A time figure: data-value is the ISO text. */
static void time_figure(struct lw_out *o, const char *name, const char *label, int64_t ms) {
  lw_html_printf(o, "<div><dt>%s</dt><dd id=\"lw-fig-%s\" data-figure=\"%s\" data-value=\"", label,
                 name, name);
  put_time(o, ms, "");
  lw_html_raw(o, "\" class=\"lw-time\">");
  put_time(o, ms, "none");
  lw_html_raw(o, "</dd></div>");
}

static void write_head(struct lw_out *o, const struct lw_html_query *q, const struct page *p) {
  lw_html_raw(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"" CSP "\">\n"
                 "<meta name=\"referrer\" content=\"no-referrer\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<title>LeakWatch report</title>\n<style>");
  lw_html_raw(o, style);
  lw_html_raw(o, "</style></head>\n<body>\n<h1>LeakWatch report</h1>\n<p class=\"lw-meta\">"
                 "History <code id=\"lw-database\">");
  lw_html_text(o, q->db);
  lw_html_raw(o, "</code>; ");
  if (q->since != LW_TIME_UNKNOWN || q->until != LW_TIME_UNKNOWN) {
    lw_html_raw(o, "range ");
    put_time(o, q->since, "the start");
    lw_html_raw(o, " to ");
    put_time(o, q->until, "now");
    lw_html_raw(o, "; ");
  }
  lw_html_raw(o, "polls from ");
  put_time(o, p->series.from, "-");
  lw_html_raw(o, " to ");
  put_time(o, p->series.to, "-");
  lw_html_raw(o, " (UTC). Written at ");
  put_time(o, q->now, "-");
  lw_html_raw(o, " by LeakWatch ");
  lw_html_text(o, q->version != NULL ? q->version : "");
  lw_html_raw(o, ".</p>\n");
}

static void write_figures(struct lw_out *o, const struct lw_html_query *q, const struct page *p) {
  const struct lw_series *s = &p->series;
  const struct lw_store_poll_figures *f = &s->last.figures;
  bool k = s->have_last;
  bool ranged = q->since != LW_TIME_UNKNOWN || q->until != LW_TIME_UNKNOWN;
  uint64_t gap =
      k && f->highest_session_id > f->live_sessions ? f->highest_session_id - f->live_sessions : 0;
  lw_html_raw(o, "<section id=\"lw-now\"><h2>Key figures</h2>\n<dl class=\"lw-figures\">");
  figure(o, "open_leaks", ranged ? "Open leaks (of the range, still open)" : "Open leaks", true,
         p->open_rows, p->open_rows > 0);
  figure(o, "leaked_logon_sessions", "Leaked logon sessions (DWM/UMFD too)", true, p->open_logons,
         p->open_logons > 0);
  figure(o, "acknowledged_leaks", "Of those, acknowledged", true, p->open_acked, false);
  figure(o, "ignored_leaks", "Of those, ignored (configuration)", true, p->open_ignored, false);
  figure(o, "highest_session_id", "Highest session ID", k, f->highest_session_id, false);
  figure(o, "live_sessions", "Live sessions", k, f->live_sessions, false);
  figure(o, "pinned_ids", "Pinned session IDs", k, f->pinned_ids, k && f->pinned_ids > 0);
  figure(o, "gap", "Gap (highest ID - live)", k, gap, false);
  figure(o, "logon_sessions", "Logon sessions (LSA)", k, s->last.logon_sessions, false);
  figure(o, "peak_highest_session_id", "Peak highest ID", k, s->peak[LW_SERIES_HIGHEST_ID], false);
  figure(o, "polls", "Polls", true, s->polls, false);
  figure(o, "failed_polls", "Failed polls", true, s->failed, s->failed > 0);
  figure(o, "alerts", "Alerts", true, p->alerts_total, false);
  time_figure(o, "oldest_leak", "Oldest open leak", p->oldest_leak);
  time_figure(o, "figures_at", "Figures of the poll at", k ? s->last.taken_at : LW_TIME_UNKNOWN);
  lw_html_raw(o, "</dl>\n<p class=\"lw-note\">The session figures are the last poll's of the "
                 "range (<code>v_polls</code>); pinned IDs are terminal session IDs that leaked "
                 "logon sessions keep from being reused, so new sessions get ever higher "
                 "IDs.</p></section>\n");
}

static void write_charts(struct lw_out *o, const struct page *p) {
  const struct lw_series *s = &p->series;
  struct lw_chart gap = {"lw-chart-gap",
                         "Highest session ID, live sessions and pinned IDs over time",
                         3,
                         {{LW_SERIES_HIGHEST_ID, "highest session ID"},
                          {LW_SERIES_LIVE, "live sessions"},
                          {LW_SERIES_PINNED, "pinned IDs"}}};
  struct lw_chart logons = {
      "lw-chart-logons",
      "Logon sessions and leaked logon sessions over time",
      2,
      {{LW_SERIES_LOGONS, "logon sessions (LSA)"}, {LW_SERIES_LEAKED, "leaked logon sessions"}}};
  lw_html_raw(o, "<section id=\"lw-gap\"><h2>The gap: highest session ID against live "
                 "sessions</h2>\n");
  lw_svg_chart(o, s, &gap);
  lw_html_raw(o, "\n<p class=\"lw-note\">A widening gap between the highest session ID and the "
                 "live sessions is the sign of leaked logon sessions pinning IDs.");
  if (s->n > 0 && (uint64_t)s->n < s->polls)
    lw_html_printf(o,
                   " %llu polls are shown in %llu time buckets of %lld min: each line is a "
                   "bucket's highest value, the pale band goes down to its lowest, so no peak is "
                   "lost.",
                   (unsigned long long)s->polls, (unsigned long long)s->n,
                   (long long)(s->width_ms / 60000));
  lw_html_raw(o, "</p></section>\n<section id=\"lw-logons\"><h2>Live and leaked logon "
                 "sessions</h2>\n");
  lw_svg_chart(o, s, &logons);
  lw_html_raw(o, "</section>\n");
}

/* DOMAIN\user of a leak row. */
static void put_who(struct lw_out *o, const struct lw_store_leak *l) {
  if (l->domain != NULL && l->domain[0] != '\0') {
    lw_html_text(o, l->domain);
    lw_html_raw(o, "\\");
    lw_html_text(o, l->user != NULL ? l->user : "");
  } else {
    lw_html_text(o, l->user != NULL ? l->user : "-");
  }
}

static void write_leak_row(struct lw_out *o, const struct lw_leak_item *it, bool ranged) {
  char luid[LW_LUID_TEXT_SIZE];
  lw_luid_format(it->leak.luid, luid);
  lw_html_printf(o, "<tr data-luid=\"%s\" data-session=\"%u\"><td><code>%s</code></td>", luid,
                 (unsigned)it->leak.terminal_session, luid);
  lw_html_printf(o, "<td class=\"n\">%u</td><td>", (unsigned)it->leak.terminal_session);
  put_time(o, it->leak.leaked_at, "-");
  lw_html_raw(o, "</td>");
  if (ranged) {
    lw_html_raw(o, "<td>");
    put_time(o, it->released_at, "(open)");
    lw_html_raw(o, "</td>");
  }
  lw_html_printf(o, "<td>%s</td><td class=\"n\">", lw_leak_session_end(&it->leak));
  if (it->leak.system && it->n_system == 0)
    lw_html_raw(o, "(s)");
  else
    lw_html_printf(o, "%u", (unsigned)it->n_system);
  lw_html_raw(o, "</td><td class=\"lw-name lw-user\">");
  put_who(o, &it->leak);
  lw_html_raw(o, "</td><td class=\"lw-name\">");
  for (size_t i = 0; i < it->n_holders; i++) {
    const struct lw_leak_holder *h = &it->holders[i];
    lw_html_raw(o, i > 0 ? ", <span title=\"" : "<span title=\"");
    lw_html_text(o, h->image != NULL ? h->image : "(image unknown)");
    lw_html_raw(o, "\">");
    if (h->exited_process)
      lw_html_raw(o, "exited ");
    lw_html_text(o, h->image != NULL ? lw_holders_basename(h->image) : "(image unknown)");
    lw_html_printf(o, " (PID %u)</span>", (unsigned)h->pid);
  }
  lw_html_printf(o, "</td><td class=\"lw-name\" data-known=\"%s\">", lw_leak_known_state(it));
  if (it->known != NULL) {
    char text[LW_ACK_REASON_MAX + LW_ACK_TARGET_MAX + 128];
    lw_html_text(o, lw_leak_known_text(it, text, sizeof text));
  }
  lw_html_raw(o, "</td></tr>\n");
}

static void write_leaks(struct lw_out *o, const struct lw_html_query *q, const struct page *p) {
  bool ranged = q->since != LW_TIME_UNKNOWN || q->until != LW_TIME_UNKNOWN;
  size_t shown = 0;
  lw_html_printf(o, "<section id=\"lw-leaks\"><h2>%s</h2>\n",
                 ranged ? "Leak episodes of the range" : "Open leaks");
  if (p->leaks.n == 0) {
    lw_html_printf(o, "<p id=\"lw-leaks-none\">%s</p></section>\n",
                   ranged ? "No leak episode in this range." : "No open leaks.");
    return;
  }
  lw_html_printf(
      o,
      "<table id=\"lw-leaks-table\" data-rows=\"%llu\"><thead><tr><th>LUID</th>"
      "<th class=\"n\">Session</th><th>Leaked at (UTC)</th>%s<th>Session end</th>"
      "<th class=\"n\">DWM/UMFD</th><th>User</th><th>Held by</th><th>Known leak</th></tr>"
      "</thead>"
      "<tbody>\n",
      (unsigned long long)p->leaks.n, ranged ? "<th>Released</th>" : "");
  for (; shown < p->leaks.n && shown < LW_HTML_MAX_LEAK_ROWS; shown++)
    write_leak_row(o, &p->leaks.v[shown], ranged);
  lw_html_raw(o, "</tbody></table>\n");
  if (shown < p->leaks.n)
    lw_html_printf(o,
                   "<p class=\"lw-note\" id=\"lw-leaks-more\">%llu more rows are not shown: "
                   "<code>leakwatch leaks --csv</code> lists them all.</p>\n",
                   (unsigned long long)(p->leaks.n - shown));
  lw_html_raw(o, "<p class=\"lw-note\">One row per leaked user logon session; DWM/UMFD counts "
                 "its DWM-n and UMFD-n logons folded in, (s) a system logon that leaked alone. "
                 "Held by: the processes the latest holder scan found (hover for the "
                 "path).</p></section>\n");
}

static void write_images(struct lw_out *o, const struct page *p) {
  lw_html_raw(o, "<section id=\"lw-holders\"><h2>Top holder images</h2>\n");
  if (p->n_images == 0) {
    lw_html_raw(o, "<p id=\"lw-holders-none\">No holder scan found a process holding a leaked "
                   "logon session in this range.</p></section>\n");
    return;
  }
  lw_html_printf(o,
                 "<table id=\"lw-holders-table\" data-rows=\"%llu\"><thead><tr><th>Image</th>"
                 "<th class=\"n\">Leaked logon sessions held</th><th class=\"n\">Processes</th>"
                 "<th class=\"n\">Most tokens</th><th>Last found (UTC)</th></tr></thead><tbody>\n",
                 (unsigned long long)p->n_images);
  for (size_t i = 0; i < p->n_images; i++) {
    const struct lw_store_holder_image *h = &p->images[i];
    lw_html_raw(o, "<tr><td class=\"lw-name\"><b>");
    lw_html_text(o, h->image != NULL ? lw_holders_basename(h->image) : "(image unknown)");
    lw_html_raw(o, "</b><br><code>");
    lw_html_text(o, h->image != NULL ? h->image : "");
    lw_html_printf(o,
                   "</code></td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
                   "<td class=\"n\">%llu</td><td>",
                   (unsigned long long)h->logons, (unsigned long long)h->processes,
                   (unsigned long long)h->tokens_max);
    put_time(o, h->last_scanned, "-");
    lw_html_raw(o, "</td></tr>\n");
  }
  lw_html_raw(o, "</tbody></table>\n");
  if (p->images_total > p->n_images)
    lw_html_printf(o,
                   "<p class=\"lw-note\">%llu more images: <code>leakwatch events "
                   "--holders</code> and <code>v_holders</code> have them.</p>\n",
                   (unsigned long long)(p->images_total - p->n_images));
  lw_html_raw(o, "</section>\n");
}

/* SESSION_LEAKED -> "session leaked" (the names of events.h). */
static void put_event_name(struct lw_out *o, uint32_t id) {
#define LW_NAME_OF(NAME, ID, SEV, CAT, INS, RL)                                                    \
  case ID:                                                                                         \
    name = #NAME;                                                                                  \
    break;
  const char *name = "";
  char buf[64];
  size_t i;
  switch (id) {
    LW_EVENTS(LW_NAME_OF)
  default:
    break;
  }
#undef LW_NAME_OF
  for (i = 0; name[i] != '\0' && i + 1 < sizeof buf; i++)
    buf[i] =
        name[i] == '_' ? ' ' : (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
  buf[i] = '\0';
  lw_html_text(o, buf);
}

static void write_alerts(struct lw_out *o, const struct page *p) {
  uint64_t most = 0;
  lw_html_raw(o, "<section id=\"lw-alerts\"><h2>Alerts by event ID</h2>\n");
  if (p->n_alerts == 0) {
    lw_html_raw(o, "<p id=\"lw-alerts-none\">No alerts in this range.</p></section>\n");
    return;
  }
  for (size_t i = 0; i < p->n_alerts; i++)
    if (p->alerts[i].alerts > most)
      most = p->alerts[i].alerts;
  lw_html_printf(o,
                 "<table id=\"lw-alerts-table\" data-rows=\"%llu\"><thead><tr>"
                 "<th class=\"n\">Event ID</th><th>Event</th><th class=\"n\">Alerts</th>"
                 "<th></th><th class=\"n\">Held back</th><th>First (UTC)</th>"
                 "<th>Last (UTC)</th></tr></thead><tbody>\n",
                 (unsigned long long)p->n_alerts);
  for (size_t i = 0; i < p->n_alerts; i++) {
    const struct lw_store_alert_count *c = &p->alerts[i];
    lw_html_printf(o, "<tr data-event-id=\"%u\" data-count=\"%llu\"><td class=\"n\">%u</td><td>",
                   (unsigned)c->event_id, (unsigned long long)c->alerts, (unsigned)c->event_id);
    put_event_name(o, c->event_id);
    lw_html_printf(o,
                   "</td><td class=\"n\">%llu</td><td><span class=\"lw-bar\" "
                   "style=\"width:%.0fpx\"></span></td><td class=\"n\">%llu</td><td>",
                   (unsigned long long)c->alerts, 1.0 + 200.0 * (double)c->alerts / (double)most,
                   (unsigned long long)c->suppressed);
    put_time(o, c->first, "-");
    lw_html_raw(o, "</td><td>");
    put_time(o, c->last, "-");
    lw_html_raw(o, "</td></tr>\n");
  }
  lw_html_raw(o, "</tbody></table>\n<p class=\"lw-note\">Held back: stored but not sent to the "
                 "Event Log by the rate limit (<code>alerts.max_per_hour</code>).</p>"
                 "</section>\n");
}

int lw_report_html(struct lw_store *st, const struct lw_html_query *q, struct lw_out *o, char *err,
                   size_t errlen) {
  struct page p;
  const char *what = "reading the history";
  int rc;
  if (errlen > 0)
    err[0] = '\0';
  rc = page_load(st, q, &p, &what);
  if (rc != 0) {
    snprintf(err, errlen, "%s failed: %s", what, lw_strerror(rc));
    page_free(&p);
    return rc;
  }
  write_head(o, q, &p);
  write_figures(o, q, &p);
  write_charts(o, &p);
  write_leaks(o, q, &p);
  write_images(o, &p);
  write_alerts(o, &p);
  lw_html_raw(o, "<footer class=\"lw-note\"><p>Made by <code>leakwatch report --html</code> "
                 "from the history database; the tables of <code>leakwatch leaks</code>, "
                 "<code>events</code> and <code>history</code> and the views "
                 "<code>v_polls</code>, <code>v_leaks</code>, <code>v_holders</code> and "
                 "<code>v_alerts</code> have the rows.</p></footer>\n</body></html>\n");
  page_free(&p);
  rc = lw_out_flush(o);
  if (rc != 0)
    snprintf(err, errlen, "writing the report failed: %s", lw_strerror(rc));
  return rc;
}
