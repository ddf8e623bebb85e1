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

static void run_usage(FILE *f) {
  fputs("usage: leakwatch run [--config FILE] [--polls N]\n\n"
        "Polls in the foreground, as the service would, until Ctrl+C.\n"
        "  --config FILE  configuration file (default %ProgramData%\\LeakWatch\\leakwatch.yaml,\n"
        "                 created from leakwatch.default.yaml if missing)\n"
        "  --polls N      stop by itself after N polls\n",
        f);
}

/* Parses the options both commands share. Returns 0, or LW_EXIT_USAGE after
 * printing why. */
static int parse(int argc, char **argv, const char **config, unsigned long long *polls,
                 int allow_polls, void (*usage)(FILE *)) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return -1;
    } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      *config = argv[++i];
    } else if (allow_polls && strcmp(argv[i], "--polls") == 0 && i + 1 < argc) {
      char *end = NULL;
      *polls = strtoull(argv[++i], &end, 10);
      if (*end != 0 || *polls == 0) {
        fprintf(stderr, "leakwatch %s: --polls wants a positive number, not '%s'\n", argv[0],
                argv[i]);
        return LW_EXIT_USAGE;
      }
    } else {
      fprintf(stderr, "leakwatch %s: unexpected argument '%s'\n\n", argv[0], argv[i]);
      usage(stderr);
      return LW_EXIT_USAGE;
    }
  }
  return 0;
}

int lw_cmd_run(int argc, char **argv) {
  const char *config = NULL;
  unsigned long long polls = 0;
  int rc = parse(argc, argv, &config, &polls, 1, run_usage);
  if (rc != 0)
    return rc < 0 ? LW_EXIT_OK : rc;

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

static void service_usage(FILE *f) {
  fputs("usage: leakwatch service [--config FILE]\n\n"
        "Runs as the Windows service LeakWatch; only the Service Control Manager\n"
        "starts this (sc start LeakWatch). Use `leakwatch run` from a console.\n",
        f);
}

int lw_cmd_service(int argc, char **argv) {
  const char *config = NULL;
  unsigned long long polls = 0;
  int rc = parse(argc, argv, &config, &polls, 0, service_usage);
  if (rc != 0)
    return rc < 0 ? LW_EXIT_OK : rc;
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
