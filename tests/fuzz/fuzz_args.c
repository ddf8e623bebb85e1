/*
 * fuzz_args.c - the CLI's portable argument parsing: `leakwatch history`'s
 * options and times (history.h), the only command line parsed in common/.
 * The input is the arguments after `history`, separated by NUL bytes.
 *
 * Oracle: a refusal is LW_ESYNTAX with a message; an accepted query keeps the
 * rules the parser promises (--at alone, --since not after --until).
 */
#include <string.h>

#include "error.h"
#include "fuzz.h"
#include "history.h"
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
    FUZZ_CHECK(q.format == LW_HISTORY_TABLE || q.format == LW_HISTORY_JSON ||
                   q.format == LW_HISTORY_CSV,
               "format %d", (int)q.format);
  }
  (void)lw_history_usage();
  free(text);
  return 0;
}
