/*
 * cmd_holders.c - `leakwatch holders [--luid LUID]... [--json]`: one holder
 * scan now, over every logon session (or the ones named), grouped by LUID, as
 * a table or as JSON (lw_holders_write_json: a public contract).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "holder_scan.h"
#include "holders.h"
#include "report_holders.h"
#include "json_writer.h"
#include "luid.h"

/* On demand there is no poll to protect, but a scan must still end. */
#define CLI_DEADLINE_MS 60000u
#define MAX_LUIDS 64

static void usage(FILE *f) {
  fputs("usage: leakwatch holders [--luid LUID]... [--json]\n\n"
        "Lists the processes that hold token handles of logon sessions (all of them, or\n"
        "the LUIDs given, as HHHHHHHH:LLLLLLLL, 0x... or decimal), and exited processes\n"
        "kept open by another process, grouped by logon session. Needs administrative\n"
        "rights (SeDebugPrivilege). Protected processes cannot be inspected and are\n"
        "counted. Exits 0 after a scan (even if it found nothing), 1 if the scan failed.\n",
        f);
}

int lw_cmd_holders(int argc, char **argv) {
  uint64_t luids[MAX_LUIDS];
  size_t n_luids = 0, i;
  int json = 0, rc, status = LW_EXIT_FAILURE;
  struct lw_holder_scanner *scanner = NULL;
  struct lw_holders_result *res = NULL;

  for (int a = 1; a < argc; a++) {
    if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
      usage(stdout);
      return LW_EXIT_OK;
    } else if (strcmp(argv[a], "--json") == 0) {
      json = 1;
    } else if (strcmp(argv[a], "--luid") == 0 && a + 1 < argc) {
      if (n_luids == MAX_LUIDS || lw_luid_parse(argv[++a], &luids[n_luids]) != 0) {
        fprintf(stderr, "leakwatch holders: bad or too many LUIDs: '%s'\n", argv[a]);
        return LW_EXIT_USAGE;
      }
      n_luids++;
    } else {
      fprintf(stderr, "leakwatch holders: unexpected argument '%s'\n\n", argv[a]);
      usage(stderr);
      return LW_EXIT_USAGE;
    }
  }

  rc = lw_holder_scanner_open(NULL, &scanner);
  if (rc == 0)
    rc = lw_holder_scan_run(scanner, n_luids > 0 ? luids : NULL, n_luids, CLI_DEADLINE_MS, &res);
  if (rc != 0) {
    fprintf(stderr, "leakwatch holders: the scan failed: %s%s%s\n", lw_strerror(rc),
            scanner != NULL && lw_holder_scan_error(scanner)[0] != '\0' ? ": " : "",
            scanner != NULL ? lw_holder_scan_error(scanner) : "");
    if (rc == LW_ENOPRIV)
      fputs("Run it elevated (as an administrator) or as LocalSystem.\n", stderr);
    goto cleanup;
  }

  if (json) {
    struct lw_json w;
    lw_json_init_file(&w, stdout, LW_JSON_PRETTY);
    lw_holders_write_json(&w, res);
    rc = lw_json_finish(&w);
    lw_json_free(&w);
    fputc('\n', stdout);
  } else {
    char text[LW_LUID_TEXT_SIZE];
    rc = lw_holders_write_table(stdout, res);
    for (i = 0; i < n_luids; i++)
      if (lw_holders_find(res, luids[i]) == NULL)
        printf("%s: %s\n", lw_luid_format(luids[i], text), LW_HOLDERS_NONE_HINT);
  }
  if (fflush(stdout) != 0)
    rc = LW_EIO;
  status = rc == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE;

cleanup:
  lw_holders_result_free(res);
  lw_holder_scanner_close(scanner);
  return status;
}
