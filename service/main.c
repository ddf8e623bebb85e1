/*
 * main.c - leakwatch.exe's entry: picks the subcommand.
 *
 * The arguments are taken from GetCommandLineW (so user names and paths survive
 * in any code page) and handed on in UTF-8. With no arguments the exe is either
 * being started by the SCM (the MSI registers it with the argument `service`,
 * but an operator may have registered it bare) or run by hand from a console:
 * it tries the service dispatcher first and prints help if there is no SCM.
 */
#include <windows.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "scm.h"
#include "winutf.h"

struct command {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
};

/* Adding a subcommand is one row here and its function in commands.h. */
static const struct command commands[] = {
    {"run", lw_cmd_run, "poll in the foreground until Ctrl+C (for testing a config)"},
    {"service", lw_cmd_service, "run as the Windows service (what the SCM starts)"},
    {"config", lw_cmd_config, "config check FILE: validate a configuration file"},
    {"version", lw_cmd_version, "print the version"},
    {"sessions", lw_cmd_sessions, "show the logon sessions now (--processes, --json, --csv)"},
    {"holders", lw_cmd_holders, "who holds tokens of logon sessions (--luid, --json, --csv)"},
    {"events", lw_cmd_events,
     "the alerts raised, as Event Viewer shows them (--user, --json, --csv)"},
    {"history", lw_cmd_history, "the stored history (--at TIME, --user, --since, --json, --csv)"},
    {"status", lw_cmd_status, "polling? leaks open? exit code 0-3 for monitoring (--json)"},
    {"leaks", lw_cmd_leaks, "what is leaked now, or in a range (--since, --user, --json, --csv)"},
    {"report", lw_cmd_report,
     "the history as one HTML page: report --html FILE (--since, --until)"},
    {"ack", lw_cmd_ack, "acknowledge a known leak (--luid, --user, --image; --list, --remove)"},
};

static void print_help(FILE *f) {
  fprintf(f,
          "LeakWatch %s - finds leaked logon sessions on Remote Desktop hosts\n\n"
          "usage: leakwatch COMMAND [OPTIONS]\n\ncommands:\n",
          LW_VERSION_STRING);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\n`leakwatch COMMAND --help` describes each command's options.\n"
             "Without a command, leakwatch.exe runs as the service when the Service\n"
             "Control Manager starts it, and prints this help otherwise.\n");
}

static int dispatch(int argc, char **argv) {
  if (argc < 2) {
    int rc = lw_scm_dispatch();
    if (rc == LW_SCM_NOT_A_SERVICE) {
      print_help(stdout);
      return LW_EXIT_OK;
    }
    return rc;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0 ||
      strcmp(name, "/?") == 0) {
    print_help(stdout);
    return LW_EXIT_OK;
  }
  if (strcmp(name, "--version") == 0)
    name = "version";
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(name, commands[i].name) == 0)
      return commands[i].fn(argc - 1, argv + 1);
  }
  fprintf(stderr, "leakwatch: unknown command '%s'\n\n", name);
  print_help(stderr);
  return LW_EXIT_USAGE;
}

int main(void) {
  int argc = 0;
  wchar_t **wargv = CommandLineToArgvW(GetCommandLineW(), &argc);
  if (wargv == NULL) {
    fprintf(stderr, "leakwatch: cannot read the command line\n");
    return LW_EXIT_FAILURE;
  }
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  int rc = LW_EXIT_FAILURE;
  if (argv == NULL)
    goto cleanup;
  for (int i = 0; i < argc; i++) {
    argv[i] = lw_utf8_from_wide(wargv[i]);
    if (argv[i] == NULL)
      goto cleanup;
  }
  /* Console output is UTF-8 too; redirected output stays byte-exact. */
  SetConsoleOutputCP(CP_UTF8);
  rc = dispatch(argc, argv);

cleanup:
  if (argv != NULL) {
    for (int i = 0; i < argc; i++)
      free(argv[i]);
    free(argv);
  }
  LocalFree(wargv);
  fflush(stdout);
  return rc;
}
