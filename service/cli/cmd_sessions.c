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
 *
 * The printing is common/report/report_sessions.c's; this collects and gives
 * it the reasons for the NTSTATUS values (win_error.h).
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "commands.h"
#include "csv_writer.h"
#include "error.h"
#include "report_sessions.h"
#include "snapshot.h"
#include "win_error.h"

static const char usage[] =
    "usage: leakwatch sessions [--processes] [--json | --csv | --csv-exact]\n\n"
    "Shows this host's LSA logon sessions now: LUID, logon type, terminal session,\n"
    "the state of that terminal session (`ended` when it no longer exists),\n"
    "logon time, process count and user. Needs administrative rights.\n"
    "  --processes  list the processes of each logon session (as logonsessions -p)\n"
    "  --json       the whole snapshot (logon sessions, WTS sessions, processes) as JSON\n"
    "  --csv        one CSV row per logon session (a text beginning with = + - @ TAB\n"
    "               or CR gets a leading ' so that spreadsheets do not run it)\n"
    "  --csv-exact  the same CSV with every text exactly as it is\n";

static const struct lw_cli_opt cli_opts[] = {
    LW_CLI_FORMATS, {"--processes", "-p", LW_CLI_FLAG}, LW_CLI_END};
/* The processes are the table's (--json has them; CSV has no room for them). */
static const char *const excludes[] = {"--processes", "--csv", "--processes", "--csv-exact", NULL};
static const struct lw_cli_spec spec = {"sessions", cli_opts, excludes, 0, 0};

/* A short reason for the usual data_status values (the table's "no data"). */
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

static void print_error(const struct lw_collect_error *e, enum lw_collect_source src) {
  if (e->code == LW_ENOPRIV)
    fprintf(stderr, "leakwatch sessions: %s (%s failed with %s).\n", e->message, e->what,
            e->os_text);
  else
    fprintf(stderr, "leakwatch sessions: could not collect the %s: %s failed with %s (%s).\n",
            lw_collect_source_name(src), e->what, e->os_text, e->message);
}

int lw_cmd_sessions(int argc, char **argv) {
  struct lw_sessions_query q;
  struct lw_cli_args a;
  int rc = LW_EXIT_OK, i;
  struct lw_collector *c = NULL;
  struct lw_snapshot *s = NULL;
  struct lw_collect_report report;

  rc = lw_cli_parse_or_usage(&spec, usage, LW_EXIT_USAGE, argc, argv, &a);
  if (rc != LW_CLI_GO)
    return rc;
  rc = LW_EXIT_OK;
  memset(&q, 0, sizeof q);
  q.status_reason = status_reason;
  q.with_processes = lw_cli_count(&a, "--processes") > 0;
  q.format = a.format;
  q.csv_flags = lw_cli_csv_flags(q.format == LW_REPORT_CSV, a.csv_exact);

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
    int wrc = lw_sessions_print(s, &q, stdout);
    if (wrc == LW_EIO && lw_cli_reader_gone())
      goto cleanup; /* `| head`: the rest is not wanted */
    if (wrc == 0)
      wrc = lw_cli_output_end("sessions");
    else
      fprintf(stderr, "leakwatch sessions: cannot write the output: %s\n", lw_strerror(wrc));
    if (wrc != 0)
      rc = LW_EXIT_FAILURE;
  }

cleanup:
  lw_snapshot_free(s);
  lw_collector_close(c);
  return rc;
}
