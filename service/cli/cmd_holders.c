/*
 * cmd_holders.c - `leakwatch holders [--luid LUID]... [--json|--csv]`: one holder
 * scan now, over every logon session (or the ones named), grouped by LUID, as
 * a table, as JSON (lw_holders_write_json: a public contract) or as CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "csv_writer.h"
#include "error.h"
#include "holder_scan.h"
#include "holders.h"
#include "report_holders.h"
#include "json_writer.h"
#include "luid.h"

/* On demand there is no poll to protect, but a scan must still end. */
#define CLI_DEADLINE_MS 60000u
#define MAX_LUIDS 64

static const char usage[] =
    "usage: leakwatch holders [--luid LUID]... [--json | --csv | --csv-exact]\n\n"
    "Lists the processes that hold token handles of logon sessions (all of them, or\n"
    "the LUIDs given, as HHHHHHHH:LLLLLLLL, 0x... or decimal), and exited processes\n"
    "kept open by another process, grouped by logon session. Needs administrative\n"
    "rights (SeDebugPrivilege). Protected processes cannot be inspected and are\n"
    "counted. Exits 0 after a scan (even if it found nothing), 1 if the scan failed.\n"
    "  --json       the scan as one JSON object, with its cost\n"
    "  --csv        one CSV row per holder (a text beginning with = + - @ TAB or CR\n"
    "               gets a leading ' so that spreadsheets do not run it)\n"
    "  --csv-exact  the same CSV with every text exactly as it is\n";

static const struct lw_cli_opt cli_opts[] = {
    LW_CLI_FORMATS, {"--luid", NULL, LW_CLI_TEXT_REPEAT}, LW_CLI_END};
static const struct lw_cli_spec spec = {"holders", cli_opts, NULL, 0, 0};

/* Prints the scan in the format asked; returns 0 or LW_EIO / the writer's error. */
static int print(const struct lw_cli_args *a, const struct lw_holders_result *res,
                 const uint64_t *luids, size_t n_luids) {
  int rc;
  if (a->format == LW_REPORT_JSON) {
    struct lw_json w;
    lw_json_init_file(&w, stdout, LW_JSON_PRETTY);
    lw_holders_write_json(&w, res);
    rc = lw_json_finish(&w);
    lw_json_free(&w);
    fputc('\n', stdout);
  } else if (a->format == LW_REPORT_CSV) {
    struct lw_csv w;
    lw_csv_init_file(&w, stdout, lw_cli_csv_flags(1, a->csv_exact));
    rc = lw_holders_write_csv(&w, res);
    lw_csv_free(&w);
  } else {
    char text[LW_LUID_TEXT_SIZE];
    rc = lw_holders_write_table(stdout, res);
    for (size_t i = 0; i < n_luids; i++)
      if (lw_holders_find(res, luids[i]) == NULL)
        printf("%s: %s\n", lw_luid_format(luids[i], text), LW_HOLDERS_NONE_HINT);
  }
  return rc;
}

int lw_cmd_holders(int argc, char **argv) {
  uint64_t luids[MAX_LUIDS];
  size_t n_luids = 0;
  int rc, status = LW_EXIT_FAILURE;
  struct lw_holder_scanner *scanner = NULL;
  struct lw_holders_result *res = NULL;
  struct lw_cli_args a;
  const char *v;

  rc = lw_cli_parse_or_usage(&spec, usage, LW_EXIT_USAGE, argc, argv, &a);
  if (rc != LW_CLI_GO)
    return rc;
  while ((v = lw_cli_text(&a, "--luid", (unsigned)n_luids)) != NULL) {
    if (n_luids == MAX_LUIDS || lw_luid_parse(v, &luids[n_luids]) != 0) {
      char why[300];
      snprintf(why, sizeof why, "--luid: '%.200s' is not a LUID, or more than %d were given", v,
               MAX_LUIDS);
      lw_cli_usage_error("holders", why, usage);
      return LW_EXIT_USAGE;
    }
    n_luids++;
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

  rc = print(&a, res, luids, n_luids);
  if (rc == LW_EIO && lw_cli_reader_gone())
    rc = 0; /* `| head`: the rest is not wanted */
  else if (rc == 0)
    rc = lw_cli_output_end("holders");
  else
    fprintf(stderr, "leakwatch holders: cannot write the output: %s\n", lw_strerror(rc));
  status = rc == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE;

cleanup:
  lw_holders_result_free(res);
  lw_holder_scanner_close(scanner);
  return status;
}
