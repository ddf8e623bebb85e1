/*
 * cmd_report.c - `leakwatch report --html FILE`: the history as one
 * self-contained HTML page (common/report/report_html.c writes it).
 *
 * This parses the options, opens the database read-only, builds the page in
 * memory and writes it whole (service/os/file_replace.h): FILE is either the
 * complete new report or what it was before, never half a page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ack.h"
#include "commands.h"
#include "error.h"
#include "file_replace.h"
#include "out_buffer.h"
#include "report_args.h"
#include "report_html.h"
#include "store.h"
#include "timefmt.h"

static void usage(FILE *f) {
  fputs("usage: leakwatch report --html FILE [--db PATH] [--since TIME] [--until TIME]\n\n"
        "Writes the history as one self-contained HTML page to FILE (replaced whole):\n"
        "the key figures (open leaks, highest session ID, live sessions, pinned IDs),\n"
        "the gap between the highest session ID and the live sessions over time, live\n"
        "and leaked logon sessions over time, the open leaks (with the acknowledgement\n"
        "or ignore: entry that covers each), the top holder images and\n"
        "the alerts by event ID. No script, nothing fetched: open it in any browser,\n"
        "offline. Long histories are shrunk to time buckets that keep each bucket's\n"
        "lowest and highest value. With --since and/or --until: the polls, alerts and\n"
        "holder findings of that range, and its leak episodes instead of the open leaks.\n"
        "TIME is ISO 8601 UTC, e.g. 2026-11-21T09:00:00Z or 2026-11-21.\n"
        "The database (--db, else `database` from the configuration) is read-only here.\n",
        f);
}

struct report_opts {
  const char *html; /* --html's FILE */
  struct lw_report_args ra;
};

/* Reads argv into o. Returns -1 to go on, else the exit status (after
 * --help, or a usage error said on stderr). */
static int parse_args(int argc, char **argv, struct report_opts *o) {
  memset(o, 0, sizeof *o);
  lw_report_args_init(&o->ra);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return LW_EXIT_OK;
    }
    if (strcmp(a, "--html") == 0) {
      if (i + 1 >= argc || argv[i + 1][0] == '\0') {
        fprintf(stderr, "leakwatch report: %s needs a value\n\n", a);
        usage(stderr);
        return LW_EXIT_USAGE;
      }
      o->html = argv[++i];
      continue;
    }
    switch (lw_report_arg(&o->ra, LW_REPORT_OPT_DB | LW_REPORT_OPT_RANGE, argc, argv, &i)) {
    case LW_REPORT_ARG_TAKEN:
      continue;
    case LW_REPORT_ARG_BAD_TIME:
      fprintf(stderr, "leakwatch report: %s: '%s' is not a time such as 2026-11-21T09:00:00Z\n", a,
              argv[i]);
      return LW_EXIT_USAGE;
    case LW_REPORT_ARG_NO_VALUE:
      fprintf(stderr, "leakwatch report: %s needs a value\n\n", a);
      usage(stderr);
      return LW_EXIT_USAGE;
    case LW_REPORT_ARG_OTHER:
      break;
    }
    fprintf(stderr, "leakwatch report: unexpected argument '%s'\n\n", a);
    usage(stderr);
    return LW_EXIT_USAGE;
  }
  if (o->html == NULL) {
    fputs("leakwatch report: --html FILE is required (the only format)\n\n", stderr);
    usage(stderr);
    return LW_EXIT_USAGE;
  }
  return -1;
}

/* Whether two paths name the same file as far as their text tells (Windows
 * compares names case-insensitively; / and \ are one separator). */
static bool same_path(const char *a, const char *b) {
  for (;; a++, b++) {
    char x = *a == '/' ? '\\' : *a, y = *b == '/' ? '\\' : *b;
    if (x >= 'A' && x <= 'Z')
      x = (char)(x + 32);
    if (y >= 'A' && y <= 'Z')
      y = (char)(y + 32);
    if (x != y)
      return false;
    if (x == '\0')
      return true;
  }
}

int lw_cmd_report(int argc, char **argv) {
  struct report_opts o;
  struct lw_html_query q;
  struct lw_out out;
  struct lw_ack_set ignores;
  char *db = NULL;
  char err[1024] = "";
  int status = parse_args(argc, argv, &o);
  if (status >= 0)
    return status;
  struct lw_store *st = lw_cli_open_history("report", o.ra.db, &db);
  if (st == NULL) {
    free(db);
    return LW_EXIT_FAILURE;
  }
  status = LW_EXIT_FAILURE;
  if (same_path(o.html, db)) {
    fprintf(stderr, "leakwatch report: --html %s is the history database itself; not replaced\n",
            o.html);
    lw_store_close(st, NULL);
    free(db);
    return LW_EXIT_USAGE;
  }
  memset(&q, 0, sizeof q);
  q.since = o.ra.since;
  q.until = o.ra.until;
  q.db = db;
  q.now = (int64_t)time(NULL) * 1000;
  q.version = LW_VERSION_STRING;
  lw_ack_set_init(&ignores);
  lw_cli_config_ignores(&ignores);
  q.ignores = &ignores;
  lw_out_init(&out, NULL);
  if (lw_report_html(st, &q, &out, err, sizeof err) != 0) {
    fprintf(stderr, "leakwatch report: %s\n", err);
  } else {
    size_t len = 0;
    const char *page = lw_out_buffer(&out, &len);
    int rc = lw_file_replace(o.html, page, len, err, sizeof err);
    if (rc != 0) {
      fprintf(stderr, "leakwatch report: cannot write the report %s: %s\n", o.html, err);
    } else {
      printf("Wrote %s (%zu KB) from %s.\n", o.html, (len + 1023) / 1024, db);
      status = fflush(stdout) == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE;
    }
  }
  lw_out_free(&out);
  lw_ack_set_free(&ignores);
  lw_store_close(st, NULL);
  free(db);
  return status;
}
