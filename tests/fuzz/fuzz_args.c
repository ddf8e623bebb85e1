/*
 * fuzz_args.c - the CLI's portable argument parsing: `leakwatch history`'s
 * options and times (history.h) and the options `events` and `sessions`
 * share with it (report_args.h), the command lines parsed in common/.
 * The input is the arguments after the command, separated by NUL bytes.
 *
 * Oracle: a refusal is LW_ESYNTAX with a message; an accepted query keeps the
 * rules the parser promises (--at alone, --since not after --until); the
 * shared parser only ever moves forward, within argv.
 */
#include <string.h>

#include "error.h"
#include "fuzz.h"
#include "history.h"
#include "report_args.h"
#include "snapshot.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_strdup(data, size);
  char *argv[MAX_ARGS + 2];
  char err[256];
  struct lw_history_query q;
  int argc = 1, rc;
  size_t i, start = 0;

  argv[0] = "history";
  for (i = 0; i <= size && argc <= MAX_ARGS; i++) {
    if (i == size || text[i] == '\0') {
      if (i > start || i < size)
        argv[argc++] = text + start;
      start = i + 1;
    }
  }
  argv[argc] = NULL;
  memset(err, 'x', sizeof err);
  rc = lw_history_parse_args(argc, argv, &q, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc == LW_ESYNTAX, "rc %d", rc);
    FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0', "no message");
  } else {
    FUZZ_CHECK(q.at == LW_TIME_UNKNOWN ||
                   (q.since == LW_TIME_UNKNOWN && q.until == LW_TIME_UNKNOWN),
               "--at with a range");
    FUZZ_CHECK(q.since == LW_TIME_UNKNOWN || q.until == LW_TIME_UNKNOWN || q.since <= q.until,
               "--since after --until");
    FUZZ_CHECK(q.format == LW_REPORT_TABLE || q.format == LW_REPORT_JSON ||
                   q.format == LW_REPORT_CSV,
               "format %d", (int)q.format);
  }
  /* As `events` (every shared option) and `sessions` (formats) walk argv. */
  for (unsigned opts = LW_REPORT_OPT_FORMAT; opts <= 7; opts += 6) {
    struct lw_report_args ra;
    lw_report_args_init(&ra);
    for (int k = 1; k < argc; k++) {
      int before = k;
      enum lw_report_arg_result r = lw_report_arg(&ra, opts, argc, argv, &k);
      FUZZ_CHECK(k == before ||
                     (k == before + 1 && r != LW_REPORT_ARG_OTHER && r != LW_REPORT_ARG_NO_VALUE),
                 "moved from %d to %d", before, k);
      FUZZ_CHECK(r != LW_REPORT_ARG_BAD_TIME || strncmp(argv[before], "--", 2) == 0, "bad time");
    }
    FUZZ_CHECK(ra.format == LW_REPORT_TABLE || ra.formats > 0, "format without an option");
  }
  (void)lw_history_usage();
  free(text);
  return 0;
}
