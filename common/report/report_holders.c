/*
 * report_holders.c - a holder scan's result as `leakwatch holders` prints it:
 * JSON (a public contract) and the table (see report_holders.h).
 */
#include "report_holders.h"

#include <string.h>

#include "error.h"
#include "luid.h"
#include "text_safe.h"
#include "timefmt.h"

static void write_cost(struct lw_json *w, const struct lw_holders_cost *c) {
  lw_json_key(w, "cost");
  lw_json_begin_object(w);
  lw_json_kv_uint64(w, "handles_seen", c->handles_seen);
  lw_json_kv_uint64(w, "token_handles", c->token_handles);
  lw_json_kv_uint64(w, "token_handles_inspected", c->token_handles_inspected);
  lw_json_kv_uint64(w, "token_handles_denied", c->token_handles_denied);
  lw_json_kv_uint64(w, "process_handles", c->process_handles);
  lw_json_kv_uint64(w, "process_handles_inspected", c->process_handles_inspected);
  lw_json_kv_uint64(w, "process_handles_denied", c->process_handles_denied);
  lw_json_kv_uint64(w, "processes", c->processes);
  lw_json_kv_uint64(w, "processes_inspected", c->processes_inspected);
  lw_json_kv_uint64(w, "processes_not_inspectable", c->processes_not_inspectable);
  lw_json_kv_uint64(w, "processes_gone", c->processes_gone);
  lw_json_kv_uint64(w, "processes_skipped", c->processes_skipped);
  lw_json_kv_uint64(w, "handles_gone", c->handles_gone);
  lw_json_kv_uint64(w, "errors", c->errors);
  lw_json_kv_uint64(w, "elapsed_ms", c->elapsed_ms);
  lw_json_kv_uint64(w, "buffer_bytes", c->buffer_bytes);
  lw_json_kv_bool(w, "debug_privilege", c->debug_privilege);
  lw_json_end_object(w);
}

static void write_holder(struct lw_json *w, const struct lw_holder *h) {
  lw_json_begin_object(w);
  lw_json_kv_uint64(w, "pid", h->pid);
  lw_json_kv_string(w, "image", h->image);
  lw_json_kv_string(w, "services", h->services);
  lw_json_kv_uint64(w, "tokens", h->tokens);
  lw_json_kv_uint64(w, "primary_tokens", h->primary_tokens);
  lw_json_kv_uint64(w, "impersonation_tokens", h->impersonation_tokens);
  lw_json_kv_string(w, "token_types", lw_holder_token_types(h));
  lw_json_kv_bool(w, "exited_process", h->exited_process);
  lw_json_key(w, "held_open_by");
  if (h->exited_process) {
    lw_json_begin_object(w);
    lw_json_kv_uint64(w, "pid", h->held_by_pid);
    lw_json_kv_string(w, "image", h->held_by_image);
    lw_json_kv_string(w, "services", h->held_by_services);
    lw_json_kv_uint64(w, "process_handles", h->process_handles);
    lw_json_end_object(w);
  } else {
    lw_json_null(w);
  }
  lw_json_end_object(w);
}

int lw_holders_write_json(struct lw_json *w, const struct lw_holders_result *r) {
  char luid[LW_LUID_TEXT_SIZE];
  size_t i, j;
  if (w == NULL || r == NULL)
    return LW_EINVAL;
  lw_json_begin_object(w);
  if (r->scanned_at == LW_TIME_UNKNOWN) {
    lw_json_kv_null(w, "scanned_at");
  } else {
    char when[LW_ISO_TIME_SIZE];
    lw_json_kv_string(w, "scanned_at", lw_time_format_iso(r->scanned_at, when));
  }
  lw_json_kv_bool(w, "complete", !r->cost.partial);
  write_cost(w, &r->cost);
  lw_json_key(w, "logon_sessions");
  lw_json_begin_array(w);
  for (i = 0; i < r->n_sessions; i++) {
    const struct lw_holders_session *s = &r->sessions[i];
    lw_json_begin_object(w);
    lw_json_kv_string(w, "luid", lw_luid_format(s->luid, luid));
    lw_json_kv_uint64(w, "tokens", s->tokens);
    lw_json_key(w, "holders");
    lw_json_begin_array(w);
    for (j = 0; j < s->n_holders; j++)
      write_holder(w, &s->holders[j]);
    lw_json_end_array(w);
    lw_json_end_object(w);
  }
  lw_json_end_array(w);
  return lw_json_end_object(w);
}

int lw_holders_write_csv(struct lw_csv *w, const struct lw_holders_result *r) {
  static const char *const head[] = {"luid",
                                     "pid",
                                     "image",
                                     "services",
                                     "tokens",
                                     "primary_tokens",
                                     "impersonation_tokens",
                                     "token_types",
                                     "exited_process",
                                     "held_open_by_pid",
                                     "held_open_by_image",
                                     "held_open_by_services",
                                     "process_handles"};
  char luid[LW_LUID_TEXT_SIZE];
  size_t i, j;
  if (w == NULL || r == NULL)
    return LW_EINVAL;
  for (i = 0; i < sizeof head / sizeof head[0]; i++)
    lw_csv_field(w, head[i]);
  lw_csv_end_row(w);
  for (i = 0; i < r->n_sessions; i++) {
    const struct lw_holders_session *s = &r->sessions[i];
    lw_luid_format(s->luid, luid);
    for (j = 0; j < s->n_holders; j++) {
      const struct lw_holder *h = &s->holders[j];
      lw_csv_field(w, luid);
      lw_csv_uint64(w, h->pid);
      lw_csv_field(w, h->image);
      lw_csv_field(w, h->services);
      lw_csv_uint64(w, h->tokens);
      lw_csv_uint64(w, h->primary_tokens);
      lw_csv_uint64(w, h->impersonation_tokens);
      lw_csv_field(w, lw_holder_token_types(h));
      lw_csv_uint64(w, h->exited_process ? 1 : 0);
      if (h->exited_process) {
        lw_csv_uint64(w, h->held_by_pid);
        lw_csv_field(w, h->held_by_image);
        lw_csv_field(w, h->held_by_services);
        lw_csv_uint64(w, h->process_handles);
      } else {
        for (int k = 0; k < 4; k++)
          lw_csv_field(w, NULL);
      }
      lw_csv_end_row(w);
    }
  }
  return lw_csv_finish(w);
}

/* What is left of a table row for its PROCESS column. */
#define PROCESS_COLUMNS (LW_TABLE_COLUMNS - (17 + 2 + 7 + 2 + 6 + 2 + 22 + 2))

int lw_holders_write_table(FILE *f, const struct lw_holders_result *r) {
  char luid[LW_LUID_TEXT_SIZE];
  const struct lw_holders_cost *c;
  size_t i, j;
  if (f == NULL || r == NULL)
    return LW_EINVAL;
  c = &r->cost;
  if (r->n_sessions == 0) {
    fputs("No process holds a token handle of the logon sessions asked about.\n", f);
  } else {
    fprintf(f, "%-17s  %7s  %6s  %-22s  %s\n", "LOGON SESSION", "PID", "TOKENS", "TYPE", "PROCESS");
  }
  for (i = 0; i < r->n_sessions; i++) {
    const struct lw_holders_session *s = &r->sessions[i];
    lw_luid_format(s->luid, luid);
    for (j = 0; j < s->n_holders; j++) {
      const struct lw_holder *h = &s->holders[j];
      /* Image paths and service names reach the terminal escaped (text_safe.h),
       * the line within LW_TABLE_COLUMNS: a path too long for the column is
       * shown by its file name, then cut (the whole is in --json/--csv). */
      char what[1200], safe[2400], fit[512];
      fprintf(f, "%-17s  %7lu  %6lu  %-22s  ", luid, (unsigned long)h->pid,
              (unsigned long)h->tokens, h->exited_process ? "exited" : lw_holder_token_types(h));
      for (int pass = 0; pass < 2; pass++) {
        const char *image = h->image == NULL ? "(image unknown)"
                            : pass == 0      ? h->image
                                             : lw_holders_basename(h->image);
        if (h->exited_process)
          snprintf(what, sizeof what, "%s, held open by %s (PID %lu)", image,
                   lw_holders_basename(h->held_by_image), (unsigned long)h->held_by_pid);
        else if (h->services != NULL)
          snprintf(what, sizeof what, "%s [services: %s]", image, h->services);
        else
          snprintf(what, sizeof what, "%s", image);
        lw_text_safe(what, safe, sizeof safe, LW_TEXT_ONE_LINE);
        if (strcmp(lw_text_fit(safe, PROCESS_COLUMNS, fit, sizeof fit), safe) == 0)
          break; /* it fits whole */
      }
      fputs(fit, f);
      fputc('\n', f);
    }
  }
  fprintf(f,
          "\nScanned %llu handles in %lu ms: %lu token handles read, %lu process handles read,\n"
          "%lu of %lu processes inspected, %lu not inspectable (protected or denied)%s%s.\n",
          (unsigned long long)c->handles_seen, (unsigned long)c->elapsed_ms,
          (unsigned long)c->token_handles_inspected, (unsigned long)c->process_handles_inspected,
          (unsigned long)c->processes_inspected, (unsigned long)c->processes,
          (unsigned long)c->processes_not_inspectable,
          c->debug_privilege ? "" : "; SeDebugPrivilege not held",
          c->partial ? "; STOPPED AT THE DEADLINE, results are partial" : "");
  return ferror(f) ? LW_EIO : 0;
}
