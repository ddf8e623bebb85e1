/*
 * report_args.c - the report commands' shared options (see report_args.h).
 */
#include "report_args.h"

#include <string.h>

#include "timefmt.h"

void lw_report_args_init(struct lw_report_args *a) {
  memset(a, 0, sizeof *a);
  a->format = LW_REPORT_TABLE;
  a->since = a->until = LW_TIME_UNKNOWN;
}

static void set_format(struct lw_report_args *a, enum lw_report_format f) {
  if (a->formats > 0 && a->format != f)
    a->mixed_formats = true;
  a->format = f;
  a->formats++;
}

enum lw_report_arg_result lw_report_arg(struct lw_report_args *a, unsigned opts, int argc,
                                        char **argv, int *i) {
  const char *arg = argv[*i];
  const char *v;

  if ((opts & LW_REPORT_OPT_FORMAT) != 0) {
    if (strcmp(arg, "--json") == 0) {
      set_format(a, LW_REPORT_JSON);
      return LW_REPORT_ARG_TAKEN;
    }
    if (strcmp(arg, "--csv") == 0 || strcmp(arg, "--csv-exact") == 0) {
      set_format(a, LW_REPORT_CSV);
      a->csv_exact = arg[5] != '\0';
      return LW_REPORT_ARG_TAKEN;
    }
  }
  if (!((opts & LW_REPORT_OPT_DB) != 0 && strcmp(arg, "--db") == 0) &&
      !((opts & LW_REPORT_OPT_RANGE) != 0 &&
        (strcmp(arg, "--since") == 0 || strcmp(arg, "--until") == 0)))
    return LW_REPORT_ARG_OTHER;
  v = *i + 1 < argc ? argv[*i + 1] : NULL;
  if (v == NULL || ((opts & LW_REPORT_OPT_NONEMPTY) != 0 && v[0] == '\0'))
    return LW_REPORT_ARG_NO_VALUE;
  (*i)++;
  if (arg[2] == 'd') {
    a->db = v;
    return LW_REPORT_ARG_TAKEN;
  }
  if (lw_time_parse_iso(v, arg[2] == 's' ? &a->since : &a->until) != 0)
    return LW_REPORT_ARG_BAD_TIME;
  return LW_REPORT_ARG_TAKEN;
}
