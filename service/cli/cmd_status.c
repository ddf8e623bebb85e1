/*
 * cmd_status.c - `leakwatch status`: is the service polling, what is leaked,
 * with an exit code for monitoring (report_status.h: 0 OK, 1 leaks open, 2 not
 * polling, 3 unknown).
 *
 * Gathers what the printer cannot know portably: the service's state from the
 * SCM (service/os/service_state.c), poll_interval from the configuration
 * (%ProgramData%\LeakWatch\leakwatch.yaml when readable, else the default),
 * the clock, and the database opened read-only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ack.h"
#include "commands.h"
#include "config.h"
#include "paths.h"
#include "report_status.h"
#include "service_state.h"
#include "store.h"

static const char usage[] =
    "usage: leakwatch status [--db PATH] [--json]\n\n"
    "Says whether the LeakWatch service is polling, when it last polled, the open\n"
    "leaks and the oldest one, the pinned session IDs, and the highest session ID in\n"
    "use against the live sessions (at the last poll). The exit code is the verdict:\n"
    "  0  OK: polling, no open leak\n"
    "  1  leaks open (known leaks alone, acknowledged with leakwatch ack or ignored\n"
    "     by the configuration, do not count: they are shown apart)\n"
    "  2  not polling: the service is not running, or its last poll is older than\n"
    "     3 poll intervals (poll_interval from the configuration, else 60 s)\n"
    "  3  unknown: the history database cannot be read\n"
    "--json prints the same as one JSON object (with \"exit_code\"); the exit code is\n"
    "the same. The database (--db, else `database` from the configuration) is\n"
    "read-only here.\n"
    "A mistake on the command line exits 3 too: a check with a typo must not read\n"
    "as OK nor as one of the other verdicts.\n";

static const struct lw_cli_opt cli_opts[] = {LW_CLI_JSON, LW_CLI_DB, LW_CLI_END};
static const struct lw_cli_spec spec = {"status", cli_opts, NULL, 0, 0};

/* poll_interval from the configuration when it can be read, else the default:
 * a monitoring check must still answer on a host with a broken file. */
static int64_t poll_interval(char **from) {
  struct lw_config cfg;
  char err[512];
  char *path = lw_paths_default_config();
  int64_t ms;
  *from = NULL;
  if (path != NULL && lw_paths_exists(path) && lw_config_load(path, &cfg, err, sizeof err) == 0) {
    size_t n = strlen(path) + 32;
    *from = malloc(n);
    if (*from != NULL)
      snprintf(*from, n, "from %s", path);
  } else {
    lw_config_defaults(&cfg);
  }
  ms = cfg.poll_interval_ms;
  lw_config_free(&cfg);
  free(path);
  return ms;
}

int lw_cmd_status(int argc, char **argv) {
  struct lw_cli_args ra;
  struct lw_status_query q;
  struct lw_service_status svc;
  char detail[320] = "", err[1024] = "";
  char *from = NULL, *db = NULL;
  struct lw_store *st = NULL;
  enum lw_check c;

  int rc = lw_cli_parse_or_usage(&spec, usage, LW_CHECK_UNKNOWN, argc, argv, &ra);
  if (rc != LW_CLI_GO)
    return rc;

  memset(&q, 0, sizeof q);
  q.format = ra.format;
  q.now = (int64_t)time(NULL) * 1000;
  q.poll_interval_ms = poll_interval(&from);
  q.interval_from = from != NULL ? from : "the default";
  (void)lw_service_query("LeakWatch", &svc);
  q.service_state = lw_service_state_name(svc.state);
  q.service_known = svc.state != LW_SERVICE_UNKNOWN;
  q.service_running = svc.state == LW_SERVICE_RUNNING;
  if (svc.state == LW_SERVICE_UNKNOWN)
    snprintf(detail, sizeof detail, "%s", svc.error);
  else if (svc.state == LW_SERVICE_STOPPED && svc.win32_exit_code != 0)
    snprintf(detail, sizeof detail, "exit code %lu, service-specific %lu (README: Running)",
             (unsigned long)svc.win32_exit_code, (unsigned long)svc.service_specific_code);
  else if (svc.pid != 0)
    snprintf(detail, sizeof detail, "PID %lu", (unsigned long)svc.pid);
  q.service_detail = detail[0] != '\0' ? detail : NULL;

  db = lw_paths_history_db(ra.db, err, sizeof err);
  if (db != NULL) {
    struct lw_store_options opts;
    memset(&opts, 0, sizeof opts);
    opts.read_only = true;
    if (lw_store_open(db, &opts, &st, NULL, err, sizeof err) != 0)
      st = NULL;
  }
  q.db = db;
  q.db_error = st == NULL ? err : NULL;
  struct lw_ack_set ignores;
  lw_cli_config_ignores(&ignores);
  q.ignores = &ignores;
  c = lw_status_print(st, &q, stdout);
  lw_ack_set_free(&ignores);
  if (lw_cli_output_end("status") != 0)
    c = LW_CHECK_UNKNOWN;
  lw_store_close(st, NULL);
  free(db);
  free(from);
  return (int)c;
}
