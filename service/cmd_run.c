/*
 * cmd_run.c - `leakwatch run` (the poll loop in the foreground) and
 * `leakwatch service` (what the SCM starts).
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "monitor.h"
#include "scm.h"

static HANDLE console_stop;

static BOOL WINAPI on_console_ctrl(DWORD type) {
  (void)type; /* Ctrl+C, Ctrl+Break, console closed: all mean stop */
  SetEvent(console_stop);
  return TRUE;
}

static const char run_usage[] =
    "usage: leakwatch run [--config FILE] [--polls N]\n\n"
    "Polls in the foreground, as the service would, until Ctrl+C.\n"
    "  --config FILE  configuration file (default %ProgramData%\\LeakWatch\\leakwatch.yaml,\n"
    "                 created from leakwatch.default.yaml if missing)\n"
    "  --polls N      stop by itself after N polls\n";

static const struct lw_cli_opt run_opts[] = {
    {"--config", NULL, LW_CLI_TEXT}, {"--polls", NULL, LW_CLI_TEXT}, LW_CLI_END};
static const struct lw_cli_spec run_spec = {"run", run_opts, NULL, 0, 0};

int lw_cmd_run(int argc, char **argv) {
  struct lw_cli_args a;
  unsigned long long polls = 0;
  const char *config, *polls_text;
  int rc = lw_cli_parse_or_usage(&run_spec, run_usage, LW_EXIT_USAGE, argc, argv, &a);
  if (rc != LW_CLI_GO)
    return rc;
  config = lw_cli_text(&a, "--config", 0);
  polls_text = lw_cli_text(&a, "--polls", 0);
  if (polls_text != NULL) {
    char *end = NULL;
    polls = strtoull(polls_text, &end, 10);
    if (*end != 0 || polls == 0 || polls_text[0] == '-') {
      char why[300];
      snprintf(why, sizeof why, "--polls: '%.200s' is not a positive number", polls_text);
      lw_cli_usage_error("run", why, run_usage);
      return LW_EXIT_USAGE;
    }
  }

  console_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (console_stop == NULL)
    return LW_EXIT_FAILURE;
  SetConsoleCtrlHandler(on_console_ctrl, TRUE);
  struct lw_monitor_options opts = {0};
  opts.config_path = config;
  opts.max_polls = polls;
  struct lw_monitor *m = NULL;
  int exit_code = 0;
  if (lw_monitor_open(&opts, &m, &exit_code) != 0) {
    fprintf(stderr, "leakwatch run: not started (exit code %d)\n", exit_code);
    rc = LW_EXIT_FAILURE;
  } else {
    lw_monitor_run(m, console_stop, NULL);
    lw_monitor_close(m);
    rc = LW_EXIT_OK;
  }
  SetConsoleCtrlHandler(on_console_ctrl, FALSE);
  CloseHandle(console_stop);
  return rc;
}

static const char service_usage[] =
    "usage: leakwatch service [--config FILE]\n\n"
    "Runs as the Windows service LeakWatch; only the Service Control Manager\n"
    "starts this (sc start LeakWatch). Use `leakwatch run` from a console.\n";

static const struct lw_cli_opt service_opts[] = {{"--config", NULL, LW_CLI_TEXT}, LW_CLI_END};
static const struct lw_cli_spec service_spec = {"service", service_opts, NULL, 0, 0};

int lw_cmd_service(int argc, char **argv) {
  struct lw_cli_args a;
  const char *config;
  int rc = lw_cli_parse_or_usage(&service_spec, service_usage, LW_EXIT_USAGE, argc, argv, &a);
  if (rc != LW_CLI_GO)
    return rc;
  config = lw_cli_text(&a, "--config", 0);
  rc = lw_scm_dispatch_with(config);
  if (rc == LW_SCM_NOT_A_SERVICE) {
    fputs("leakwatch service: not started by the Service Control Manager.\n"
          "Start the service with `sc start LeakWatch`, or poll in this console with\n"
          "`leakwatch run`.\n",
          stderr);
    return LW_EXIT_FAILURE;
  }
  return rc;
}
