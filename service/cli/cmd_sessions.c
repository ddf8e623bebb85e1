/*
 * cmd_sessions.c - `leakwatch sessions`: the host's logon sessions now, joined
 * with their terminal sessions and processes (what an operator otherwise gets
 * from `logonsessions -p` and `qwinsta` side by side).
 *
 * One collection (collector.h), printed as a table (default), with each logon
 * session's processes (--processes), as the whole snapshot in JSON (--json,
 * fields in common/report/snapshot_json.h) or as CSV (--csv). If the logon sessions
 * cannot be read (most often: not run elevated) nothing is printed but the
 * reason, exit status 1. If only the WTS sessions or the processes failed, the
 * output is printed with a warning on stderr and the exit status is 1 too,
 * so scripts notice the gap.
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "commands.h"
#include "error.h"
#include "luid.h"
#include "snapshot.h"
#include "snapshot_json.h"
#include "text_safe.h"
#include "timefmt.h"
#include "win_error.h"

enum format { FORMAT_TABLE, FORMAT_JSON, FORMAT_CSV };

static void usage(FILE *f) {
  fputs("usage: leakwatch sessions [--processes | --json | --csv | --csv-exact]\n\n"
        "Shows this host's LSA logon sessions now: LUID, logon type, terminal session,\n"
        "the state of that terminal session (`ended` when it no longer exists),\n"
        "logon time, process count and user. Needs administrative rights.\n"
        "  --processes  list the processes of each logon session (as logonsessions -p)\n"
        "  --json       the whole snapshot (logon sessions, WTS sessions, processes) as JSON\n"
        "  --csv        one CSV row per logon session (a text beginning with = + - @ TAB\n"
        "               or CR gets a leading ' so that spreadsheets do not run it)\n"
        "  --csv-exact  the same CSV with every text exactly as it is\n",
        f);
}

/* A short reason for the usual data_status values. */
static const char *status_reason(uint32_t st) {
  switch (st) {
  case LW_STATUS_NO_SUCH_LOGON_SESSION:
    return "ended while being read";
  case LW_STATUS_ACCESS_DENIED:
    return "access denied";
  default:
    return "unreadable";
  }
}

/* Prints a name for the table, terminal-safe (text_safe.h): a tab or line
 * break in a user name would break the table or forge a row, an ESC would
 * drive the terminal. */
static void print_name(const char *s) {
  lw_text_safe_fputs(s, stdout, LW_TEXT_ONE_LINE);
}

static void print_row(const struct lw_snapshot *s, const struct lw_logon_session *l) {
  char luid[LW_LUID_TEXT_SIZE], when[LW_ISO_TIME_SIZE], type_num[16], session[16];
  const char *type, *state;

  lw_luid_format(l->luid, luid);
  if (l->data_status != 0) {
    printf("%-17s  %-23s  %10s  %-12s  %-20s  %5lu  (no data: 0x%08lx, %s)\n", luid, "-", "-", "-",
           "-", (unsigned long)l->process_count, (unsigned long)l->data_status,
           status_reason(l->data_status));
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
  printf("%-17s  %-23s  %10s  %-12s  %-20s  %5lu  ", luid, type, session, state, when,
         (unsigned long)l->process_count);
  if (l->domain != NULL && l->domain[0] != '\0') {
    print_name(l->domain);
    putchar('\\');
  }
  print_name(l->user != NULL ? l->user : "");
  putchar('\n');
}

static int print_table(const struct lw_snapshot *s, int with_processes) {
  const struct lw_process **by_logon = NULL;
  size_t i, j;

  if (with_processes) {
    by_logon = lw_snapshot_procs_by_logon(s);
    if (by_logon == NULL)
      return LW_ENOMEM;
  }
  printf("%-17s  %-23s  %10s  %-12s  %-20s  %5s  %s\n", "LUID", "TYPE", "SESSION", "WTS STATE",
         "LOGON TIME", "PROCS", "USER");
  for (i = 0; i < s->n_logons; i++) {
    const struct lw_logon_session *l = &s->logons[i];
    size_t first = 0, n;
    print_row(s, l);
    if (!with_processes)
      continue;
    n = lw_snapshot_procs_of_logon(by_logon, s->n_procs, l->luid, &first);
    for (j = 0; j < n; j++) {
      const struct lw_process *p = by_logon[first + j];
      printf("    %8lu  ", (unsigned long)p->pid);
      print_name(p->image != NULL ? p->image : "?");
      putchar('\n');
    }
  }
  printf("\n%lu logon sessions (%lu without data), %lu WTS sessions, %lu processes "
         "(%lu not readable)\n",
         (unsigned long)s->n_logons, (unsigned long)s->logons_without_data, (unsigned long)s->n_wts,
         (unsigned long)s->n_procs, (unsigned long)s->processes_denied);
  free((void *)by_logon);
  return ferror(stdout) ? LW_EIO : 0;
}

static void print_error(const struct lw_collect_error *e, enum lw_collect_source src) {
  if (e->code == LW_ENOPRIV)
    fprintf(stderr, "leakwatch sessions: %s (%s failed with %s).\n", e->message, e->what,
            e->os_text);
  else
    fprintf(stderr, "leakwatch sessions: could not collect the %s: %s failed with %s (%s).\n",
            lw_collect_source_name(src), e->what, e->os_text, e->message);
}

int lw_cmd_sessions(int argc, char **argv) {
  enum format format = FORMAT_TABLE;
  int with_processes = 0, rc = LW_EXIT_OK, i;
  unsigned csv_flags = 0;
  struct lw_collector *c = NULL;
  struct lw_snapshot *s = NULL;
  struct lw_collect_report report;

  for (i = 1; i < argc; i++) {
    enum format f = FORMAT_TABLE;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return LW_EXIT_OK;
    } else if (strcmp(argv[i], "--processes") == 0 || strcmp(argv[i], "-p") == 0) {
      with_processes = 1;
      continue;
    } else if (strcmp(argv[i], "--json") == 0) {
      f = FORMAT_JSON;
    } else if (strcmp(argv[i], "--csv") == 0 || strcmp(argv[i], "--csv-exact") == 0) {
      f = FORMAT_CSV;
      csv_flags = argv[i][5] != '\0' ? LW_CSV_EXACT : 0;
    } else {
      fprintf(stderr, "leakwatch sessions: unexpected argument '%s'\n\n", argv[i]);
      usage(stderr);
      return LW_EXIT_USAGE;
    }
    if (format != FORMAT_TABLE && format != f) {
      fputs("leakwatch sessions: choose one of --json, --csv and --csv-exact\n", stderr);
      return LW_EXIT_USAGE;
    }
    format = f;
  }
  if (with_processes && format == FORMAT_CSV) {
    fputs("leakwatch sessions: --processes is for the table (--json has the processes)\n", stderr);
    return LW_EXIT_USAGE;
  }

  if (lw_collector_open(NULL, &c) != 0) {
    fputs("leakwatch sessions: out of memory\n", stderr);
    return LW_EXIT_FAILURE;
  }
  lw_collector_poll(c, &s, &report);
  if (s == NULL || report.source[LW_COLLECT_LSA].code != 0) {
    /* Without the logon sessions there is nothing worth printing. */
    if (s == NULL)
      fputs("leakwatch sessions: out of memory\n", stderr);
    else
      print_error(&report.source[LW_COLLECT_LSA], LW_COLLECT_LSA);
    rc = LW_EXIT_FAILURE;
    goto cleanup;
  }
  for (i = LW_COLLECT_WTS; i < LW_COLLECT_SOURCES; i++) {
    if (report.source[i].code != 0) {
      print_error(&report.source[i], (enum lw_collect_source)i);
      rc = LW_EXIT_FAILURE;
    }
  }

  {
    int wrc;
    if (format == FORMAT_JSON)
      wrc = lw_snapshot_write_json(s, stdout);
    else if (format == FORMAT_CSV)
      wrc = lw_snapshot_write_csv(s, stdout, csv_flags);
    else
      wrc = print_table(s, with_processes);
    if (wrc == 0 && fflush(stdout) != 0)
      wrc = LW_EIO;
    if (wrc != 0) {
      fprintf(stderr, "leakwatch sessions: cannot write the output: %s\n", lw_strerror(wrc));
      rc = LW_EXIT_FAILURE;
    }
  }

cleanup:
  lw_snapshot_free(s);
  lw_collector_close(c);
  return rc;
}
