/*
 * fuzz_args.c - the CLI's portable argument parsing: the one option parser
 * (cli_args.h) with `leakwatch history`'s grammar and options (history.h),
 * and the time reader (cli_time.h) under a zone with summer time.
 * The input is the arguments after the command, separated by NUL bytes.
 *
 * Oracle: a refusal is LW_ESYNTAX with a one-line message; an accepted query
 * keeps the rules the parser promises (--at alone, --since not after --until,
 * one format); every option recorded is one of the grammar's, with a value
 * when it takes one; a time that reads is within the time limit, and a UTC
 * form of it reads back to the same instant.
 */
#include <string.h>

#include "cli_args.h"
#include "cli_time.h"
#include "error.h"
#include "fuzz.h"
#include "history.h"
#include "snapshot.h"
#include "timefmt.h"

#define MAX_ARGS 64

/* Paris' rules: UTC+1, summer +2 from March's last Sunday to October's. */
static int zone(void *ctx, int64_t year, struct lw_tz *tz) {
  static const struct lw_tz paris = {-60, 0, -60, {10, 5, 0, 3, 0}, {3, 5, 0, 2, 0}};
  (void)ctx;
  (void)year;
  *tz = paris;
  return 0;
}

static void check_time(const char *text, const struct lw_clock *c) {
  int64_t v, back;
  char iso[LW_ISO_TIME_SIZE];
  if (lw_cli_time_parse(text, c, &v) != 0)
    return;
  FUZZ_CHECK(v > -LW_TIME_LIMIT_MS * 2 && v < LW_TIME_LIMIT_MS * 2, "'%s' read as %lld", text,
             (long long)v);
  if (v < 0 || v >= INT64_C(253402300800000))
    return; /* outside 1970-9999 the UTC text is not the plain form */
  lw_time_format_iso(v - v % 1000, iso);
  FUZZ_CHECK(lw_cli_time_parse(iso, c, &back) == 0 && back == v - v % 1000, "'%s' -> %s", text,
             iso);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_strdup(data, size);
  char *argv[MAX_ARGS + 2];
  char err[512];
  struct lw_history_query q;
  struct lw_cli_args a;
  const struct lw_clock clock = {INT64_C(1795251600000), zone, NULL};
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
  rc = lw_history_parse_args(argc, argv, &clock, &q, err, sizeof err);
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
  /* The parser itself: what it keeps is the grammar's, formats one at most. */
  if (lw_cli_parse(lw_history_spec(), &clock, argc, argv, &a, err, sizeof err) == 0 && !a.help) {
    unsigned formats = 0;
    for (i = 0; i < a.n_given; i++) {
      const struct lw_cli_given *g = &a.given[i];
      FUZZ_CHECK(g->opt != NULL && g->opt->name != NULL, "an option outside the grammar");
      FUZZ_CHECK((g->opt->kind == LW_CLI_FLAG) == (g->text == NULL), "%s and its value",
                 g->opt->name);
      formats += strncmp(g->opt->name, "--json", 6) == 0 || strncmp(g->opt->name, "--csv", 5) == 0;
    }
    FUZZ_CHECK(formats <= 1, "%u formats", formats);
  }
  for (int k = 1; k < argc; k++)
    check_time(argv[k], &clock);
  (void)lw_history_usage();
  free(text);
  return 0;
}
