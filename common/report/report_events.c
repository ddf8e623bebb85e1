/*
 * report_events.c - `leakwatch events` (see report_events.h): the alerts as
 * Event Viewer shows them, as JSON or CSV, and the token holders the scans
 * found, as text, JSON or CSV.
 */
#include "report_events.h"

#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "csv_writer.h"
#include "alloc.h"
#include "error.h"
#include "holders.h"
#include "json_writer.h"
#include "luid.h"
#include "text_safe.h"
#include "timefmt.h"

struct printer {
  FILE *out;
  const struct lw_events_query *q;
  enum lw_report_format format;
  struct lw_json json;
  struct lw_csv csv;
  unsigned count;
  /* The holder summary: the (boot, LUID, PID) being read and its latest row
   * (image and services copied: the reader's strings die with each call). */
  bool have_holder;
  int64_t holder_boot;
  struct lw_store_holder holder;
  char *image, *services;
  unsigned holders;
  int64_t last_boot;
  uint64_t last_luid;
};

/* The LUID, user, domain and terminal session columns (schema 4) as JSON
 * members, null when an alert has none. */
static void json_alert_fields(struct lw_json *j, const struct lw_store_alert *a) {
  if (a->luid != 0) {
    char text[LW_LUID_TEXT_SIZE];
    lw_json_kv_string(j, "luid", lw_luid_format(a->luid, text));
  } else {
    lw_json_kv_null(j, "luid");
  }
  if (a->user != NULL)
    lw_json_kv_string(j, "user", a->user);
  else
    lw_json_kv_null(j, "user");
  if (a->domain != NULL)
    lw_json_kv_string(j, "domain", a->domain);
  else
    lw_json_kv_null(j, "domain");
  if (a->terminal_session >= 0)
    lw_json_kv_int64(j, "terminal_session", a->terminal_session);
  else
    lw_json_kv_null(j, "terminal_session");
  lw_json_kv_bool(j, "logged", a->logged);
}

/* Why an alert is not in the Event Log, for the table's Date line: held back
 * by the rate limit, or a known leak's (issue 15; its fields say which). */
static const char *withheld_note(const struct lw_store_alert *a) {
  const char *f = a->fields_json != NULL ? a->fields_json : "";
  if (a->suppressed)
    return " (held back by alerts.max_per_hour: not in the Event Log)";
  if (!a->logged && strstr(f, "\"acknowledged\":true") != NULL)
    return " (a known leak, acknowledged with leakwatch ack: not in the Event Log)";
  if (!a->logged && strstr(f, "\"ignored\":true") != NULL)
    return " (a known leak, ignored by the configuration: not in the Event Log)";
  return "";
}

static int print_alert(void *ctx, const struct lw_store_alert_row *row) {
  struct printer *p = ctx;
  const struct lw_store_alert *a = &row->alert;
  char when[LW_ISO_TIME_SIZE];
  if (!lw_cli_user_matches(p->q->user, a->domain, a->user))
    return 0;
  lw_time_format_iso(a->raised_at, when);
  p->count++;
  switch (p->format) {
  case LW_REPORT_TABLE:
    fprintf(p->out,
            "Log Name:      Application\n"
            "Source:        LeakWatch\n"
            "Date:         %s%s\n"
            "Event ID:      %u\n"
            "Level:         %c%s\n"
            "Description:\n",
            when, withheld_note(a), a->event_id, p->q->level_of(a->event_id)[0] - 32,
            p->q->level_of(a->event_id) + 1);
    /* The message keeps its own lines; names in it are escaped (text_safe.h). */
    lw_text_safe_fputs(a->message, p->out, LW_TEXT_KEEP_LF);
    fputs("\n\n", p->out);
    break;
  case LW_REPORT_JSON:
    lw_json_begin_object(&p->json);
    lw_json_kv_string(&p->json, "raised_at", when);
    lw_json_kv_uint64(&p->json, "event_id", a->event_id);
    lw_json_kv_string(&p->json, "level", p->q->level_of(a->event_id));
    lw_json_kv_bool(&p->json, "suppressed", a->suppressed);
    lw_json_kv_string(&p->json, "message", a->message);
    json_alert_fields(&p->json, a);
    lw_json_end_object(&p->json);
    break;
  case LW_REPORT_CSV:
    lw_csv_field(&p->csv, when);
    lw_csv_uint64(&p->csv, a->event_id);
    lw_csv_field(&p->csv, p->q->level_of(a->event_id));
    lw_csv_field(&p->csv, a->suppressed ? "yes" : "no");
    lw_csv_field(&p->csv, a->message);
    {
      char text[LW_LUID_TEXT_SIZE];
      lw_csv_field(&p->csv, a->luid != 0 ? lw_luid_format(a->luid, text) : "");
    }
    lw_csv_field(&p->csv, a->user != NULL ? a->user : "");
    lw_csv_field(&p->csv, a->domain != NULL ? a->domain : "");
    if (a->terminal_session >= 0)
      lw_csv_int64(&p->csv, a->terminal_session);
    else
      lw_csv_field(&p->csv, "");
    lw_csv_field(&p->csv, a->logged ? "yes" : "no");
    lw_csv_end_row(&p->csv);
    break;
  }
  return 0;
}

/* Prints the finished (boot, LUID, PID) group p->holder, then forgets it. */
static void print_holder(struct printer *p) {
  const struct lw_store_holder *h = &p->holder;
  char luid[LW_LUID_TEXT_SIZE], when[LW_ISO_TIME_SIZE];
  if (!p->have_holder)
    return;
  lw_luid_format(h->luid, luid);
  lw_time_format_iso(h->scanned_at, when);
  switch (p->format) {
  case LW_REPORT_TABLE:
    if (p->holders == 0)
      fprintf(p->out, "Token holders found by LeakWatch's scans\n"
                      "(latest scan of each process; `leakwatch holders` scans now)\n");
    if (p->holders == 0 || p->last_boot != p->holder_boot || p->last_luid != h->luid)
      fprintf(p->out, "\nLogon session %s (boot %lld):\n", luid, (long long)p->holder_boot);
    fputs(h->exited_process ? "  exited " : "  ", p->out);
    lw_text_safe_fputs(p->image != NULL ? lw_holders_basename(p->image) : "(image unknown)", p->out,
                       LW_TEXT_ONE_LINE);
    fprintf(p->out, " (PID %u)", h->pid);
    if (h->exited_process)
      fprintf(p->out, ", held open by PID %u", h->held_by_pid);
    fputs(", services: ", p->out);
    lw_text_safe_fputs(p->services != NULL && p->services[0] != '\0' ? p->services : "-", p->out,
                       LW_TEXT_ONE_LINE);
    fprintf(p->out, ", tokens: %u, scanned %s\n", h->tokens, when);
    break;
  case LW_REPORT_JSON:
    lw_json_begin_object(&p->json);
    lw_json_kv_int64(&p->json, "boot_id", p->holder_boot);
    lw_json_kv_string(&p->json, "luid", luid);
    lw_json_kv_uint64(&p->json, "pid", h->pid);
    if (p->image != NULL)
      lw_json_kv_string(&p->json, "image", p->image);
    else
      lw_json_kv_null(&p->json, "image");
    if (p->services != NULL)
      lw_json_kv_string(&p->json, "services", p->services);
    else
      lw_json_kv_null(&p->json, "services");
    lw_json_kv_uint64(&p->json, "tokens", h->tokens);
    lw_json_kv_bool(&p->json, "exited_process", h->exited_process);
    if (h->exited_process)
      lw_json_kv_uint64(&p->json, "held_by_pid", h->held_by_pid);
    else
      lw_json_kv_null(&p->json, "held_by_pid");
    lw_json_kv_string(&p->json, "scanned_at", when);
    lw_json_end_object(&p->json);
    break;
  case LW_REPORT_CSV:
    lw_csv_int64(&p->csv, p->holder_boot);
    lw_csv_field(&p->csv, luid);
    lw_csv_uint64(&p->csv, h->pid);
    lw_csv_field(&p->csv, p->image != NULL ? p->image : "");
    lw_csv_field(&p->csv, p->services != NULL ? p->services : "");
    lw_csv_uint64(&p->csv, h->tokens);
    lw_csv_field(&p->csv, h->exited_process ? "yes" : "no");
    if (h->exited_process)
      lw_csv_uint64(&p->csv, h->held_by_pid);
    else
      lw_csv_field(&p->csv, "");
    lw_csv_field(&p->csv, when);
    lw_csv_end_row(&p->csv);
    break;
  }
  p->holders++;
  p->last_boot = p->holder_boot;
  p->last_luid = h->luid;
  free(p->image);
  free(p->services);
  p->image = p->services = NULL;
  p->have_holder = false;
}

/* Rows come grouped by (boot, LUID, PID), latest scan last: keep the latest,
 * print the group when the next one begins. */
static int add_holder(void *ctx, const struct lw_store_holder_row *row) {
  struct printer *p = ctx;
  if (p->have_holder && (p->holder_boot != row->boot_id || p->holder.luid != row->holder.luid ||
                         p->holder.pid != row->holder.pid))
    print_holder(p);
  free(p->image);
  free(p->services);
  p->image = lw_strdup(row->holder.image);
  p->services = lw_strdup(row->holder.services);
  if ((row->holder.image != NULL && p->image == NULL) ||
      (row->holder.services != NULL && p->services == NULL))
    return LW_ENOMEM;
  p->holder = row->holder;
  p->holder.image = p->holder.services = NULL;
  p->holder_boot = row->boot_id;
  p->have_holder = true;
  return 0;
}

static int print_holders(struct lw_store *st, int64_t since, int64_t until, struct printer *p) {
  int rc = lw_store_each_holder(st, since, until, add_holder, p);
  if (rc == 0)
    print_holder(p);
  return rc;
}

int lw_events_print(struct lw_store *st, const struct lw_events_query *q, FILE *out, char *err,
                    size_t errlen) {
  struct printer p;
  memset(&p, 0, sizeof p);
  p.out = out;
  p.q = q;
  p.format = q->format;
  if (errlen > 0)
    err[0] = '\0';
  if (p.format == LW_REPORT_JSON) {
    lw_json_init_file(&p.json, out, LW_JSON_PRETTY);
    lw_json_begin_array(&p.json);
  } else if (p.format == LW_REPORT_CSV) {
    lw_csv_init_file(&p.csv, out, q->csv_flags);
    static const char *const alert_head[] = {"raised_at",        "event_id", "level", "suppressed",
                                             "message",          "luid",     "user",  "domain",
                                             "terminal_session", "logged",   NULL};
    static const char *const holder_head[] = {
        "boot_id", "luid",           "pid",         "image",      "services",
        "tokens",  "exited_process", "held_by_pid", "scanned_at", NULL};
    for (const char *const *h = q->holders_only ? holder_head : alert_head; *h != NULL; h++)
      lw_csv_field(&p.csv, *h);
    lw_csv_end_row(&p.csv);
  }
  int rc = q->holders_only ? print_holders(st, q->since, q->until, &p)
                           : lw_store_each_alert(st, q->since, q->until, print_alert, &p);
  if (p.format == LW_REPORT_JSON) {
    lw_json_end_array(&p.json);
    if (lw_json_finish(&p.json) != 0 && rc == 0)
      rc = LW_EIO;
    fputc('\n', out);
  } else if (p.format == LW_REPORT_CSV && lw_csv_finish(&p.csv) != 0 && rc == 0) {
    rc = LW_EIO;
  }
  if (rc != 0) {
    snprintf(err, errlen, "reading the %s failed: %s", q->holders_only ? "holders" : "alerts",
             lw_strerror(rc));
    goto cleanup;
  }
  if (p.format == LW_REPORT_TABLE && !q->holders_only) {
    if (p.count == 0)
      fprintf(out, "No alerts%s in %s.\n", q->user != NULL ? " about that user" : "", q->db);
    /* The holders are per logon session: --user shows its alerts only. */
    rc = q->user != NULL ? 0 : print_holders(st, q->since, q->until, &p);
    if (rc != 0) {
      snprintf(err, errlen, "reading the holders failed: %s", lw_strerror(rc));
      goto cleanup;
    }
  } else if (p.format == LW_REPORT_TABLE && p.holders == 0) {
    fprintf(out, "No token holders in %s.\n", q->db);
  }
cleanup:
  /* The writers' buffers (cmd_events.c left them to the process's exit). */
  if (p.format == LW_REPORT_JSON)
    lw_json_free(&p.json);
  else if (p.format == LW_REPORT_CSV)
    lw_csv_free(&p.csv);
  free(p.image);
  free(p.services);
  return rc;
}
