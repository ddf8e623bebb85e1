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
#include "cli_args.h"
#include "report_html.h"
#include "store.h"
#include "timefmt.h"

static const char usage[] =
    "usage: leakwatch report --html FILE [--db PATH] [--since TIME] [--until TIME]\n\n"
    "Writes the history as one self-contained HTML page to FILE (replaced whole):\n"
    "the key figures (open leaks, highest session ID, live sessions, pinned IDs),\n"
    "the gap between the highest session ID and the live sessions over time, live\n"
    "and leaked logon sessions over time, the open leaks (with the acknowledgement\n"
    "or ignore: entry that covers each), the top holder images and\n"
    "the alerts by event ID. No script, nothing fetched: open it in any browser,\n"
    "offline. Long histories are shrunk to time buckets that keep each bucket's\n"
    "lowest and highest value. With --since and/or --until: the polls, alerts and\n"
    "holder findings of that range, and its leak episodes instead of the open leaks.\n"
    "TIME: 2026-11-21T09:00:00Z (UTC), 2026-11-21T10:00:00+01:00, 2026-11-21 10:00\n"
    "(local time), 30m, 24h, 7d (that long ago), today or yesterday.\n"
    "The database (--db, else `database` from the configuration) is read-only here.\n";

static const struct lw_cli_opt cli_opts[] = {
    {"--html", NULL, LW_CLI_TEXT}, LW_CLI_DB, LW_CLI_RANGE, LW_CLI_END};
static const struct lw_cli_spec spec = {"report", cli_opts, NULL, 0, 0};

struct report_opts {
  const char *html; /* --html's FILE */
  struct lw_cli_args ra;
};

/* Reads argv into o with the one CLI grammar (cli_args.h). Returns LW_CLI_GO
 * to go on, else the exit status (after --help, or a mistake said). */
static int parse_args(int argc, char **argv, struct report_opts *o) {
  memset(o, 0, sizeof *o);
  int rc = lw_cli_parse_or_usage(&spec, usage, LW_EXIT_USAGE, argc, argv, &o->ra);
  if (rc != LW_CLI_GO)
    return rc;
  o->html = lw_cli_text(&o->ra, "--html", 0);
  if (o->html == NULL) {
    lw_cli_usage_error("report", "--html FILE is required (the only format)", usage);
    return LW_EXIT_USAGE;
  }
  return LW_CLI_GO;
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
  if (status != LW_CLI_GO)
    return status;
  struct lw_store *st = lw_cli_open_history("report", o.ra.db, &db);
  if (st == NULL) {
    free(db);
    return LW_EXIT_FAILURE;
  }
  status = LW_EXIT_FAILURE;
  if (same_path(o.html, db)) {
    snprintf(err, sizeof err, "--html %.900s is the history database itself; not replaced", o.html);
    lw_cli_usage_error("report", err, usage);
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
      status = lw_cli_output_end("report") == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE;
    }
  }
  lw_out_free(&out);
  lw_ack_set_free(&ignores);
  lw_store_close(st, NULL);
  free(db);
  return status;
}
