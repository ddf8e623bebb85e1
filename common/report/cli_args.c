/*
 * cli_args.c - the one option parser of every command (see cli_args.h).
 */
#include "cli_args.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "timefmt.h"

static const struct lw_cli_opt *find(const struct lw_cli_spec *s, const char *arg, size_t len) {
  const struct lw_cli_opt *o;
  for (o = s->opts; o->name != NULL; o++) {
    if ((strlen(o->name) == len && strncmp(o->name, arg, len) == 0) ||
        (o->alias != NULL && strlen(o->alias) == len && strncmp(o->alias, arg, len) == 0))
      return o;
  }
  return NULL;
}

static bool is_format(const char *name) {
  return strcmp(name, "--json") == 0 || strcmp(name, "--csv") == 0 ||
         strcmp(name, "--csv-exact") == 0;
}

/* Do the options a and b exclude each other in spec? */
static bool excluded(const struct lw_cli_spec *s, const char *a, const char *b) {
  const char *const *p;
  if (strcmp(a, b) == 0)
    return false;
  if (is_format(a) && is_format(b))
    return true;
  for (p = s->excludes; p != NULL && p[0] != NULL && p[1] != NULL; p += 2) {
    if ((strcmp(p[0], a) == 0 && strcmp(p[1], b) == 0) ||
        (strcmp(p[0], b) == 0 && strcmp(p[1], a) == 0))
      return true;
  }
  return false;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lw_vseterr(err, errlen, fmt, ap);
  va_end(ap);
  return LW_ESYNTAX;
}

static void take(struct lw_cli_args *a, const struct lw_cli_given *g) {
  const char *n = g->opt->name;
  if (strcmp(n, "--json") == 0) {
    a->format = LW_REPORT_JSON;
  } else if (strcmp(n, "--csv") == 0 || strcmp(n, "--csv-exact") == 0) {
    a->format = LW_REPORT_CSV;
    a->csv_exact = n[5] != '\0';
  } else if (strcmp(n, "--db") == 0) {
    a->db = g->text;
  } else if (strcmp(n, "--user") == 0) {
    a->user = g->text;
  } else if (strcmp(n, "--since") == 0) {
    a->since = g->time;
  } else if (strcmp(n, "--until") == 0) {
    a->until = g->time;
  }
}

int lw_cli_parse(const struct lw_cli_spec *s, const struct lw_clock *clock, int argc, char **argv,
                 struct lw_cli_args *a, char *err, size_t errlen) {
  int i;
  size_t k, j;
  memset(a, 0, sizeof *a);
  a->format = LW_REPORT_TABLE;
  a->since = a->until = LW_TIME_UNKNOWN;
  if (errlen > 0)
    err[0] = '\0';
  /* --help wins over anything else on the line, even a mistake. */
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      a->help = true;
      return 0;
    }
  }
  for (i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *eq = NULL, *v = NULL;
    const struct lw_cli_opt *o;
    struct lw_cli_given g;
    size_t len = strlen(arg);

    if (arg[0] != '-' || arg[1] == '\0') {
      if (a->n_operands >= s->max_operands || a->n_operands >= LW_CLI_MAX_OPERANDS)
        return fail(err, errlen, "unexpected argument '%s'", arg);
      a->operands[a->n_operands++] = arg;
      continue;
    }
    if (arg[1] == '-' && (eq = strchr(arg, '=')) != NULL)
      len = (size_t)(eq - arg);
    o = find(s, arg, len);
    if (o == NULL) {
      return fail(err, errlen, "unknown option '%.*s'", (int)(len > 200 ? 200 : len), arg);
    }
    memset(&g, 0, sizeof g);
    g.opt = o;
    g.time = LW_TIME_UNKNOWN;
    if (o->kind == LW_CLI_FLAG) {
      if (eq != NULL)
        return fail(err, errlen, "%s takes no value", o->name);
    } else {
      v = eq != NULL ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
      if (v == NULL || v[0] == '\0')
        return fail(err, errlen, "%s needs a value", o->name);
      g.text = v;
      if (o->kind == LW_CLI_TIME && lw_cli_time_parse(v, clock, &g.time) != 0) {
        return fail(err, errlen, "%s: '%s' is not a time such as %s", o->name, v,
                    LW_CLI_TIME_FORMS);
      }
    }
    for (k = 0; k < a->n_given; k++) {
      if (excluded(s, a->given[k].opt->name, o->name))
        return fail(err, errlen, "%s and %s exclude each other", a->given[k].opt->name, o->name);
    }
    if (o->kind != LW_CLI_TEXT_REPEAT) {
      /* Given again: the new value replaces the old. */
      for (k = 0, j = 0; k < a->n_given; k++)
        if (a->given[k].opt != o)
          a->given[j++] = a->given[k];
      a->n_given = j;
    }
    if (a->n_given == LW_CLI_MAX_GIVEN)
      return fail(err, errlen, "more than %d options", LW_CLI_MAX_GIVEN);
    a->given[a->n_given++] = g;
    take(a, &g);
  }
  if (a->n_operands < s->min_operands)
    return fail(err, errlen, "missing argument");
  if (a->since != LW_TIME_UNKNOWN && a->until != LW_TIME_UNKNOWN && a->since > a->until)
    return fail(err, errlen, "--since is after --until");
  return 0;
}

unsigned lw_cli_count(const struct lw_cli_args *a, const char *name) {
  unsigned n = 0;
  for (size_t k = 0; k < a->n_given; k++)
    n += strcmp(a->given[k].opt->name, name) == 0;
  return n;
}

const char *lw_cli_text(const struct lw_cli_args *a, const char *name, unsigned k) {
  for (size_t i = 0; i < a->n_given; i++)
    if (strcmp(a->given[i].opt->name, name) == 0 && k-- == 0)
      return a->given[i].text;
  return NULL;
}

int64_t lw_cli_time(const struct lw_cli_args *a, const char *name) {
  for (size_t i = a->n_given; i > 0; i--)
    if (strcmp(a->given[i - 1].opt->name, name) == 0)
      return a->given[i - 1].time;
  return LW_TIME_UNKNOWN;
}

/* ASCII case-insensitive equality of a (n bytes) and the string b. */
static bool ascii_eq_n(const char *a, size_t n, const char *b) {
  size_t i;
  for (i = 0; i < n && b[i] != '\0'; i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z')
      x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z')
      y = (char)(y - 'A' + 'a');
    if (x != y)
      return false;
  }
  return i == n && b[i] == '\0';
}

bool lw_cli_user_matches(const char *want, const char *domain, const char *user) {
  const char *slash;
  if (want == NULL)
    return true;
  if (user == NULL)
    return false;
  slash = strchr(want, '\\');
  if (slash == NULL)
    return ascii_eq_n(want, strlen(want), user);
  return domain != NULL && ascii_eq_n(want, (size_t)(slash - want), domain) &&
         ascii_eq_n(slash + 1, strlen(slash + 1), user);
}
