/*
 * report_sessions.c - `leakwatch sessions` (see report_sessions.h): the table
 * of the logon sessions now, with their processes on request; JSON and CSV are
 * snapshot_json.c's.
 */
#include "report_sessions.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "luid.h"
#include "snapshot_json.h"
#include "text_safe.h"
#include "timefmt.h"

/* Prints a name for the table, terminal-safe (text_safe.h): a tab or line
 * break in a user name would break the table or forge a row, an ESC would
 * drive the terminal. */
/* Escaped for the terminal (text_safe.h), then cut to cols characters so that
 * the table keeps to LW_TABLE_COLUMNS. */
static void print_name(FILE *out, const char *s, unsigned cols) {
  char safe[1024], fit[512];
  fputs(lw_text_fit(lw_text_safe(s, safe, sizeof safe, LW_TEXT_ONE_LINE), cols, fit, sizeof fit),
        out);
}

/* The width of the fixed columns before USER (and before a process's image):
 * TYPE is 17 wide ("RemoteInteractive"); a longer one ("CachedRemoteInteractive")
 * takes its excess from USER, which has 30 ("NT AUTHORITY\NETWORK SERVICE"). */
#define TYPE_COLUMNS 17
#define FIXED_COLUMNS (17 + 2 + TYPE_COLUMNS + 2 + 7 + 2 + 12 + 2 + 20 + 2 + 5 + 2)
#define PROCESS_INDENT (4 + 8 + 2)

static void print_row(FILE *out, const struct lw_sessions_query *q, const struct lw_snapshot *s,
                      const struct lw_logon_session *l) {
  char luid[LW_LUID_TEXT_SIZE], when[LW_ISO_TIME_SIZE], type_num[16], session[16], who[520];
  const char *type, *state;

  lw_luid_format(l->luid, luid);
  if (l->data_status != 0) {
    fprintf(out, "%-17s  %-17s  %7s  %-12s  %-20s  %5lu  (no data: 0x%08lx, %s)\n", luid, "-", "-",
            "-", "-", (unsigned long)l->process_count, (unsigned long)l->data_status,
            q->status_reason(l->data_status));
    return;
  }
  type = lw_logon_type_name(l->logon_type);
  if (type == NULL) {
    snprintf(type_num, sizeof type_num, "%lu", (unsigned long)l->logon_type);
    type = type_num;
  }
  {
    const struct lw_wts_session *w = lw_snapshot_find_wts(s, l->terminal_session);
    state = w == NULL ? "ended" : lw_wts_state_name(w->state);
    if (state == NULL)
      state = "?";
  }
  snprintf(session, sizeof session, "%lu", (unsigned long)l->terminal_session);
  if (l->logon_time == LW_TIME_UNKNOWN)
    strcpy(when, "-");
  else
    lw_time_format_iso(l->logon_time, when);
  fprintf(out, "%-17s  %-17s  %7s  %-12s  %-20s  %5lu  ", luid, type, session, state, when,
          (unsigned long)l->process_count);
  if (l->domain != NULL && l->domain[0] != '\0')
    snprintf(who, sizeof who, "%s\\%s", l->domain, l->user != NULL ? l->user : "");
  else
    snprintf(who, sizeof who, "%s", l->user != NULL ? l->user : "");
  print_name(out, who,
             LW_TABLE_COLUMNS - FIXED_COLUMNS -
                 (strlen(type) > TYPE_COLUMNS ? (unsigned)(strlen(type) - TYPE_COLUMNS) : 0u));
  fputc('\n', out);
}

static int print_table(FILE *out, const struct lw_sessions_query *q, const struct lw_snapshot *s) {
  const struct lw_process **by_logon = NULL;
  size_t i, j;

  if (q->with_processes) {
    by_logon = lw_snapshot_procs_by_logon(s);
    if (by_logon == NULL)
      return LW_ENOMEM;
  }
  fprintf(out, "%-17s  %-17s  %7s  %-12s  %-20s  %5s  %s\n", "LUID", "TYPE", "SESSION", "WTS STATE",
          "LOGON TIME", "PROCS", "USER");
  for (i = 0; i < s->n_logons; i++) {
    const struct lw_logon_session *l = &s->logons[i];
    size_t first = 0, n;
    print_row(out, q, s, l);
    if (!q->with_processes)
      continue;
    n = lw_snapshot_procs_of_logon(by_logon, s->n_procs, l->luid, &first);
    for (j = 0; j < n; j++) {
      const struct lw_process *p = by_logon[first + j];
      fprintf(out, "    %8lu  ", (unsigned long)p->pid);
      print_name(out, p->image != NULL ? p->image : "?", LW_TABLE_COLUMNS - PROCESS_INDENT);
      fputc('\n', out);
    }
  }
  fprintf(out,
          "\n%lu logon sessions (%lu without data), %lu WTS sessions, %lu processes "
          "(%lu not readable)\n",
          (unsigned long)s->n_logons, (unsigned long)s->logons_without_data,
          (unsigned long)s->n_wts, (unsigned long)s->n_procs, (unsigned long)s->processes_denied);
  free((void *)by_logon);
  return ferror(out) ? LW_EIO : 0;
}

int lw_sessions_print(const struct lw_snapshot *s, const struct lw_sessions_query *q, FILE *out) {
  if (q->format == LW_REPORT_JSON)
    return lw_snapshot_write_json(s, out);
  if (q->format == LW_REPORT_CSV)
    return lw_snapshot_write_csv(s, out, q->csv_flags);
  return print_table(out, q, s);
}
