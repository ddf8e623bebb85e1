/*
 * config.c - the leakwatch.yaml loader: a key table, libyaml's event parser
 * and error messages that say where (FILE:LINE:COLUMN), which key, what was
 * found and what was expected. See config.h for the contract.
 *
 * Sections:
 *   the key table          one row per key; the only place keys are defined
 *   values                 parsing a value's text by its key's type
 *   messages               error text, value display, "did you mean"
 *   prescan                encoding checks libyaml cannot place on a line
 *   the event walk         document -> mapping -> key/value, first error wins
 *   files                  reading a file by UTF-8 path, also on Windows
 *   copy, compare, write   the rest of the public API
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "duration.h"
#include "error.h"

#if defined(__GNUC__)
#define LW_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define LW_PRINTF_LIKE(f, a)
#endif

/* A configuration file is a page of text; anything larger is a mistake. */
#define MAX_FILE_BYTES (1024 * 1024)

/* ------------------------------------------------------------------------ */
/* The key table                                                            */
/* ------------------------------------------------------------------------ */

static const char *const log_level_names[] = {"error", "warning", "info", "debug", NULL};

#define FIELD(f) offsetof(struct lw_config, f)
#define SECOND LW_MS_PER_SECOND
#define MINUTE LW_MS_PER_MINUTE
#define HOUR LW_MS_PER_HOUR
#define DAY LW_MS_PER_DAY

/* Rows of one section must be adjacent (the writer relies on it, a unit test
 * checks it). Defaults are text so that they go through the same parser as
 * the file; a unit test checks that each parses and lies within its range. */
static const struct lw_config_key keys[] = {
    {"poll_interval", LW_CONFIG_DURATION, "60s", 100, DAY, FIELD(poll_interval_ms), NULL,
     "How often the service takes a snapshot of the host's logon and terminal sessions."},
    {"grace_period", LW_CONFIG_DURATION, "10m", SECOND, 30 * DAY, FIELD(grace_period_ms), NULL,
     "How long a session must stay orphaned (or an ID pinned, or a logoff stuck) before "
     "LeakWatch reports it."},
    {"database", LW_CONFIG_PATH, "%ProgramData%\\LeakWatch\\history.db", 1, 32767, FIELD(database),
     NULL, "The SQLite history file; %VAR% references to environment variables are expanded."},
    {"retention", LW_CONFIG_DURATION, "90d", HOUR, 3650 * DAY, FIELD(retention_ms), NULL,
     "How long history is kept before it is pruned."},
    {"metrics_file", LW_CONFIG_PATH, "", 0, 32767, FIELD(metrics_file), NULL,
     "A Prometheus text file rewritten after every poll, for windows_exporter's textfile "
     "collector ('' for none)."},
    {"log_level", LW_CONFIG_ENUM, "info", 0, 0, FIELD(log_level), log_level_names,
     "How much the service logs: error, warning, info or debug."},
    {"readers", LW_CONFIG_STRING, "", 0, 1024, FIELD(readers), NULL,
     "A local group given read access to the history ('' for none: only SYSTEM and "
     "Administrators)."},
    {"gap_threshold", LW_CONFIG_UINT, "10", 1, 100000, FIELD(gap_threshold), NULL,
     "How many pinned terminal session IDs raise the session-ID gap alert (event 2003)."},
    {"accumulation_threshold", LW_CONFIG_UINT, "25", 2, 1000000, FIELD(accumulation_threshold),
     NULL,
     "How many process-less logon sessions of one user and logon type raise the "
     "accumulation alert (event 2005)."},
    {"alerts.max_per_hour", LW_CONFIG_UINT, "60", 1, 100000, FIELD(alerts_max_per_hour), NULL,
     "At most this many leak alerts (events 2001-2006) per hour; the rest are summarized "
     "by event 2009."},
    {"holders.interval", LW_CONFIG_DURATION, "15m", MINUTE, DAY, FIELD(holders_interval_ms), NULL,
     "Least time between two scans for the processes holding leaked sessions' tokens."},
    {"holders.enabled", LW_CONFIG_BOOL, "true", 0, 0, FIELD(holders_enabled), NULL,
     "Whether to scan for the processes holding leaked sessions' tokens."},
    {"holders.timeout", LW_CONFIG_DURATION, "60s", SECOND, HOUR, FIELD(holders_timeout_ms), NULL,
     "How long one holder scan may run. It runs beside the polls, never in their way; one "
     "still running after this is abandoned and reported (event 1103)."},
};

#define NKEYS (sizeof keys / sizeof keys[0])

const struct lw_config_key *lw_config_keys(size_t *count) {
  if (count != NULL) {
    *count = NKEYS;
  }
  return keys;
}

const char *lw_log_level_name(int level) {
  if (level < LW_LOG_ERROR || level > LW_LOG_DEBUG) {
    return "?";
  }
  return log_level_names[level];
}

static void *field_of(struct lw_config *cfg, const struct lw_config_key *k) {
  return (char *)cfg + k->offset;
}

static const void *cfield_of(const struct lw_config *cfg, const struct lw_config_key *k) {
  return (const char *)cfg + k->offset;
}

/* Length of the section part of a dotted name ("alerts" in "alerts.x"), or 0. */
static size_t section_len(const char *name) {
  const char *dot = strchr(name, '.');
  return dot == NULL ? 0 : (size_t)(dot - name);
}

static bool is_owned(const struct lw_config_key *k, const char *s) {
  return s != NULL && s != k->def;
}

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

/* A parsed non-string value. */
union value {
  int64_t ms;
  uint32_t u;
  int e;
  bool b;
};

static int ascii_lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool ieq(const char *a, const char *b) {
  while (*a != '\0' && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
    a++;
    b++;
  }
  return *a == '\0' && *b == '\0';
}

/* Parses a non-negative decimal integer of at most UINT32_MAX. Returns 0,
 * LW_ESYNTAX (not an integer) or LW_ERANGE (negative, or too large: *v is
 * then UINT32_MAX so the caller can say "above the maximum"). */
static int parse_uint(const char *s, uint32_t *v, const char **why) {
  uint64_t n = 0;
  const char *p = s;
  if (*p == '-' && p[1] >= '0' && p[1] <= '9') {
    *why = "must not be negative";
    return LW_ERANGE;
  }
  if (*p < '0' || *p > '9') {
    *why = "is not a whole number";
    return LW_ESYNTAX;
  }
  for (; *p >= '0' && *p <= '9'; p++) {
    if (n <= UINT32_MAX) {
      n = n * 10 + (uint64_t)(*p - '0');
    }
  }
  if (*p != '\0') {
    *why = "is not a whole number";
    return LW_ESYNTAX;
  }
  if (n > UINT32_MAX) {
    *v = UINT32_MAX;
    *why = "is too large";
    return LW_ERANGE;
  }
  *v = (uint32_t)n;
  return 0;
}

static int parse_bool(const char *s, bool *v) {
  static const char *const yes[] = {"true", "yes", "on"};
  static const char *const no[] = {"false", "no", "off"};
  for (size_t i = 0; i < 3; i++) {
    if (ieq(s, yes[i])) {
      *v = true;
      return 0;
    }
    if (ieq(s, no[i])) {
      *v = false;
      return 0;
    }
  }
  return LW_ESYNTAX;
}

static int parse_enum(const struct lw_config_key *k, const char *s, int *v) {
  for (int i = 0; k->names[i] != NULL; i++) {
    if (ieq(s, k->names[i])) {
      *v = i;
      return 0;
    }
  }
  return LW_ESYNTAX;
}

/* Parses the text of a non-string value by its key's type, without range
 * checks. Returns 0 or LW_ESYNTAX/LW_ERANGE with *why set (may be NULL for
 * enum and bool, whose message lists the names instead). */
static int parse_text(const struct lw_config_key *k, const char *s, union value *v,
                      const char **why) {
  *why = NULL;
  switch (k->type) {
  case LW_CONFIG_DURATION:
    return lw_duration_parse(s, &v->ms, why);
  case LW_CONFIG_UINT:
    return parse_uint(s, &v->u, why);
  case LW_CONFIG_ENUM:
    return parse_enum(k, s, &v->e);
  case LW_CONFIG_BOOL:
    return parse_bool(s, &v->b);
  case LW_CONFIG_STRING:
  case LW_CONFIG_PATH:
    break;
  }
  return LW_EINVAL;
}

static void store_value(struct lw_config *cfg, const struct lw_config_key *k,
                        const union value *v) {
  void *f = field_of(cfg, k);
  switch (k->type) {
  case LW_CONFIG_DURATION:
    *(int64_t *)f = v->ms;
    break;
  case LW_CONFIG_UINT:
    *(uint32_t *)f = v->u;
    break;
  case LW_CONFIG_ENUM:
    *(int *)f = v->e;
    break;
  case LW_CONFIG_BOOL:
    *(bool *)f = v->b;
    break;
  case LW_CONFIG_STRING:
  case LW_CONFIG_PATH:
    break;
  }
}

void lw_config_defaults(struct lw_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  for (size_t i = 0; i < NKEYS; i++) {
    const struct lw_config_key *k = &keys[i];
    if (k->type == LW_CONFIG_STRING || k->type == LW_CONFIG_PATH) {
      *(const char **)field_of(cfg, k) = k->def;
    } else {
      union value v;
      const char *why;
      int rc = parse_text(k, k->def, &v, &why);
      assert(rc == 0 && "a default in the key table does not parse");
      if (rc == 0) {
        store_value(cfg, k, &v);
      }
    }
  }
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */
/* ------------------------------------------------------------------------ */

/* Formats a number in a key's unit: a duration for durations, else decimal. */
static void format_bound(const struct lw_config_key *k, int64_t n, char *buf, size_t len) {
  if (k->type == LW_CONFIG_DURATION) {
    (void)lw_duration_format(n, buf, len);
  } else {
    (void)snprintf(buf, len, "%lu", (unsigned long)n);
  }
}

/* Writes the expected form of a key's value, as said after a bad value. */
static void form_of(const struct lw_config_key *k, char *buf, size_t len) {
  char lo[LW_DURATION_BUFSIZE], hi[LW_DURATION_BUFSIZE];
  format_bound(k, k->min, lo, sizeof lo);
  format_bound(k, k->max, hi, sizeof hi);
  switch (k->type) {
  case LW_CONFIG_DURATION:
    (void)snprintf(buf, len, "a duration such as 500ms, 30s, 5m");
    break;
  case LW_CONFIG_UINT:
    (void)snprintf(buf, len, "an integer from %s to %s", lo, hi);
    break;
  case LW_CONFIG_STRING:
    (void)snprintf(buf, len,
                   "text of at most %s bytes, in single quotes if it has special "
                   "characters",
                   hi);
    break;
  case LW_CONFIG_PATH:
    (void)snprintf(buf, len, "a file path such as 'D:\\LeakWatch\\history.db'");
    break;
  case LW_CONFIG_ENUM: {
    size_t used = (size_t)snprintf(buf, len, "one of ");
    for (size_t i = 0; k->names[i] != NULL && used < len; i++) {
      used += (size_t)snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "", k->names[i]);
    }
    break;
  }
  case LW_CONFIG_BOOL:
    (void)snprintf(buf, len, "true or false");
    break;
  }
}

/* Copies a value for display: at most ~40 bytes (never cutting a UTF-8
 * character), control characters as \n, \t or \xNN, "..." if cut short. */
static void show_value(const char *s, size_t n, char *out, size_t outlen) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  size_t i = 0;
  assert(outlen >= 64);
  for (; i < n && o + 8 < outlen && i < 40; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n' || c == '\t' || c == '\r') {
      out[o++] = '\\';
      out[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
    } else if (c < 0x20 || c == 0x7f) {
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    } else {
      out[o++] = (char)c;
    }
  }
  /* Finish a UTF-8 character cut by the limit. */
  while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80 && o + 5 < outlen) {
    out[o++] = s[i++];
  }
  if (i < n) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

/* Optimal-string-alignment distance, ASCII case-insensitive, capped inputs. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb) {
  size_t d[33][33];
  if (la > 32 || lb > 32) {
    return (size_t)-1;
  }
  for (size_t i = 0; i <= la; i++) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= lb; j++) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      int ca = ascii_lower((unsigned char)a[i - 1]);
      int cb = ascii_lower((unsigned char)b[j - 1]);
      size_t best = d[i - 1][j - 1] + (ca == cb ? 0 : 1);
      if (d[i - 1][j] + 1 < best) {
        best = d[i - 1][j] + 1;
      }
      if (d[i][j - 1] + 1 < best) {
        best = d[i][j - 1] + 1;
      }
      if (i > 1 && j > 1 && ca == ascii_lower((unsigned char)b[j - 2]) &&
          ascii_lower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best) {
        best = d[i - 2][j - 2] + 1;
      }
      d[i][j] = best;
    }
  }
  return d[la][lb];
}

/* Keeps the closest candidate within distance 2 (the first one on ties); a
 * word of 3 or more characters that starts a candidate ("warn" for
 * "warning") counts as distance 2. */
struct suggestion {
  const char *name;
  size_t len;
  size_t dist;
};

static void consider(struct suggestion *sg, const char *word, size_t wlen, const char *cand,
                     size_t clen) {
  size_t dist = edit_distance(word, wlen, cand, clen);
  if (dist > 2 && wlen >= 3 && wlen < clen && edit_distance(word, wlen, cand, wlen) == 0) {
    dist = 2;
  }
  if (dist <= 2 && dist < clen && (sg->name == NULL || dist < sg->dist)) {
    sg->name = cand;
    sg->len = clen;
    sg->dist = dist;
  }
}

/* ------------------------------------------------------------------------ */
/* The loader's state and error reporting                                   */
/* ------------------------------------------------------------------------ */

struct loader {
  const char *name;          /* the file, for messages */
  const unsigned char *text; /* the input, after any UTF-8 BOM */
  size_t len;
  yaml_parser_t parser;
  struct lw_config cfg; /* built here, moved to *out on success */
  bool seen[NKEYS];     /* key i given */
  yaml_mark_t seen_at[NKEYS];
  bool section_seen[NKEYS]; /* section whose first row is i given */
  yaml_mark_t section_seen_at[NKEYS];
  char *err;
  size_t errlen;
};

/* Writes "NAME:LINE:COL: message" (mark is 0-based, as libyaml's) and
 * returns rc, so that callers can `return fail(...)`. */
static int fail(struct loader *ld, int rc, yaml_mark_t mark, const char *fmt, ...)
    LW_PRINTF_LIKE(4, 5);

static int fail(struct loader *ld, int rc, yaml_mark_t mark, const char *fmt, ...) {
  if (ld->err != NULL && ld->errlen > 0) {
    int used = snprintf(ld->err, ld->errlen, "%s:%lu:%lu: ", ld->name, (unsigned long)mark.line + 1,
                        (unsigned long)mark.column + 1);
    if (used >= 0 && (size_t)used < ld->errlen) {
      va_list ap;
      va_start(ap, fmt);
      (void)vsnprintf(ld->err + used, ld->errlen - (size_t)used, fmt, ap);
      va_end(ap);
    }
    ld->err[ld->errlen - 1] = '\0';
  }
  return rc;
}

static yaml_mark_t mark_at(size_t line, size_t column) {
  yaml_mark_t m;
  m.index = 0;
  m.line = line;
  m.column = column;
  return m;
}

/* The byte that libyaml's character index `index` points at, or NULL. The
 * text is valid UTF-8 by then (prescan), so characters are lead bytes. */
static const unsigned char *byte_at_index(const struct loader *ld, size_t index) {
  size_t chars = 0;
  for (size_t i = 0; i < ld->len; i++) {
    if ((ld->text[i] & 0xC0) != 0x80) {
      if (chars == index) {
        return &ld->text[i];
      }
      chars++;
    }
  }
  return NULL;
}

/* Line and column (0-based, counted as libyaml counts them: characters, with
 * CRLF, CR, LF, NEL, LS and PS as line breaks) of byte `offset`. */
static yaml_mark_t mark_of_offset(const struct loader *ld, size_t offset) {
  size_t line = 0, column = 0;
  for (size_t i = 0; i < offset && i < ld->len; i++) {
    unsigned char c = ld->text[i];
    const unsigned char *p = &ld->text[i];
    size_t left = ld->len - i;
    if (c == '\r' && left > 1 && p[1] == '\n') {
      continue; /* the LF counts the break */
    }
    if (c == '\n' || c == '\r' || (c == 0xC2 && left > 1 && p[1] == 0x85) ||
        (c == 0xE2 && left > 2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))) {
      line++;
      column = 0;
      i += (c == 0xC2) ? 1 : (c == 0xE2) ? 2 : 0;
    } else if ((c & 0xC0) != 0x80) {
      column++;
    }
  }
  return mark_at(line, column);
}

/* Turns libyaml's error into our message, with a hint for the usual causes. */
static int yaml_fail(struct loader *ld) {
  yaml_parser_t *p = &ld->parser;
  const char *problem = p->problem != NULL ? p->problem : "unknown error";
  const char *hint = "";
  char context[128] = "";
  char what[64];

  if (p->error == YAML_MEMORY_ERROR) {
    return fail(ld, LW_ENOMEM, mark_at(0, 0), "out of memory while parsing");
  }
  if (p->error == YAML_READER_ERROR) {
    /* prescan catches these first; kept for safety */
    return fail(ld, LW_ESYNTAX, mark_of_offset(ld, p->problem_offset), "%s", problem);
  }
  if (strcmp(problem, "found character that cannot start any token") == 0) {
    const unsigned char *c = byte_at_index(ld, p->problem_mark.index);
    if (c != NULL && *c == '\t') {
      problem = "tab character";
      hint = "; YAML separates and indents with spaces, not tabs";
    } else if (c != NULL && (*c == '%' || *c == '@' || *c == '`')) {
      (void)snprintf(what, sizeof what, "'%c' cannot start an unquoted value", *c);
      problem = what;
      hint = "; put the value in single quotes: database: '%ProgramData%\\...'";
    }
  } else if (p->context != NULL && strcmp(p->context, "while parsing a quoted scalar") == 0) {
    hint = "; in double quotes a backslash starts an escape (\\n, \\t): write Windows paths "
           "in single quotes or without quotes";
  }
  if (p->context != NULL) {
    (void)snprintf(context, sizeof context, " (%s at %lu:%lu)", p->context,
                   (unsigned long)p->context_mark.line + 1,
                   (unsigned long)p->context_mark.column + 1);
  }
  return fail(ld, LW_ESYNTAX, p->problem_mark, "YAML syntax error: %s%s%s", problem, context, hint);
}

/* ------------------------------------------------------------------------ */
/* Prescan                                                                  */
/* ------------------------------------------------------------------------ */

/* Decodes one UTF-8 character at p (left bytes). Returns its length, or 0
 * if the bytes are not valid UTF-8 (overlong, surrogate, > U+10FFFF, cut). */
static size_t utf8_decode(const unsigned char *p, size_t left, uint32_t *cp) {
  size_t n;
  uint32_t c = p[0];
  uint32_t min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    n = 2, c &= 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, c &= 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, c &= 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (left < n) {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) {
      return 0;
    }
    c = (c << 6) | (p[i] & 0x3Fu);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    return 0;
  }
  *cp = c;
  return n;
}

/* Characters libyaml accepts (YAML 1.1 printable set). */
static bool yaml_printable(uint32_t c) {
  return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85 ||
         (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

/* Rejects what libyaml would report only as a byte offset (encoding, NUL,
 * control characters) or with a puzzling message (tabs in indentation), so
 * that every error has a line and column. */
static int prescan(struct loader *ld) {
  size_t line = 0, column = 0;
  bool indent = true; /* only blanks so far on this line */
  for (size_t i = 0; i < ld->len;) {
    uint32_t c;
    size_t n = utf8_decode(&ld->text[i], ld->len - i, &c);
    yaml_mark_t here = mark_at(line, column);
    if (i == 0 && ld->len >= 4 &&
        (memcmp(ld->text, "\xFF\xFE\0\0", 4) == 0 || memcmp(ld->text, "\0\0\xFE\xFF", 4) == 0)) {
      return fail(ld, LW_ESYNTAX, here, "the file is UTF-32; save it as UTF-8");
    }
    if (n == 0) {
      if (i == 0 && ld->len >= 2 &&
          ((ld->text[0] == 0xFF && ld->text[1] == 0xFE) ||
           (ld->text[0] == 0xFE && ld->text[1] == 0xFF))) {
        return fail(ld, LW_ESYNTAX, here,
                    "the file is UTF-16 (Notepad's \"Unicode\"); save it as UTF-8");
      }
      return fail(ld, LW_ESYNTAX, here, "invalid UTF-8 byte 0x%02X; save the file as UTF-8",
                  (unsigned)ld->text[i]);
    }
    if (c == 0) {
      return fail(ld, LW_ESYNTAX, here,
                  "NUL byte; the file must be UTF-8 text (was it saved as UTF-16?)");
    }
    if (!yaml_printable(c)) {
      return fail(ld, LW_ESYNTAX, here, "control character U+%04lX is not allowed",
                  (unsigned long)c);
    }
    if (c == '\t' && indent) {
      return fail(ld, LW_ESYNTAX, here,
                  "tab character in indentation; YAML indents with spaces, not tabs");
    }
    if (c == '\r' && i + 1 < ld->len && ld->text[i + 1] == '\n') {
      n = 2; /* CRLF is one break */
    }
    if (c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029) {
      line++;
      column = 0;
      indent = true;
    } else {
      column++;
      if (c != ' ') {
        indent = false;
      }
    }
    i += n;
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* The event walk                                                           */
/* ------------------------------------------------------------------------ */

static int next_event(struct loader *ld, yaml_event_t *ev) {
  if (!yaml_parser_parse(&ld->parser, ev)) {
    return yaml_fail(ld);
  }
  return 0;
}

static const char *kind_of(const yaml_event_t *ev) {
  switch (ev->type) {
  case YAML_SCALAR_EVENT:
    return "a single value";
  case YAML_MAPPING_START_EVENT:
    return "a mapping (keys with values)";
  case YAML_SEQUENCE_START_EVENT:
    return "a list";
  case YAML_ALIAS_EVENT:
    return "an alias";
  default:
    return "something else";
  }
}

/* Rejects the YAML features the configuration has no use for. */
static int check_node(struct loader *ld, const yaml_event_t *ev) {
  const yaml_char_t *anchor = NULL, *tag = NULL;
  switch (ev->type) {
  case YAML_ALIAS_EVENT:
    return fail(ld, LW_EINVAL, ev->start_mark,
                "aliases (*%s) are not supported; write the value out",
                (const char *)ev->data.alias.anchor);
  case YAML_SCALAR_EVENT:
    anchor = ev->data.scalar.anchor;
    tag = ev->data.scalar.tag;
    break;
  case YAML_MAPPING_START_EVENT:
    anchor = ev->data.mapping_start.anchor;
    tag = ev->data.mapping_start.tag;
    break;
  case YAML_SEQUENCE_START_EVENT:
    anchor = ev->data.sequence_start.anchor;
    tag = ev->data.sequence_start.tag;
    break;
  default:
    break;
  }
  if (anchor != NULL) {
    return fail(ld, LW_EINVAL, ev->start_mark, "anchors (&%s) are not supported",
                (const char *)anchor);
  }
  if (tag != NULL) {
    /* Show the tag as written: libyaml expands `!!` to its prefix. */
    static const char core[] = "tag:yaml.org,2002:";
    const char *t = (const char *)tag;
    bool is_core = strncmp(t, core, sizeof core - 1) == 0;
    return fail(ld, LW_EINVAL, ev->start_mark,
                "tags (%s%s) are not supported; quote the value instead", is_core ? "!!" : "",
                is_core ? t + sizeof core - 1 : t);
  }
  return 0;
}

static bool is_null(const yaml_event_t *ev) {
  const char *s = (const char *)ev->data.scalar.value;
  if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
    return false;
  }
  return ev->data.scalar.length == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
         strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* Position of the first control character (C0, DEL, C1) or line or paragraph
 * separator (U+2028, U+2029: the effective configuration could not write them
 * back, YAML reads them as line breaks) in s, or n. */
static size_t find_control(const char *s, size_t n, unsigned long *cp) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7F) {
      *cp = c;
      return i;
    }
    if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
        (unsigned char)s[i + 1] <= 0x9F) {
      *cp = (unsigned char)s[i + 1];
      return i;
    }
    if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
        ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
      *cp = 0x2000ul + ((unsigned char)s[i + 2] - 0x80u);
      return i;
    }
  }
  return n;
}

static int range_fail(struct loader *ld, const struct lw_config_key *k, const yaml_event_t *ev,
                      const char *shown, const char *form, bool below) {
  char bound[LW_DURATION_BUFSIZE];
  format_bound(k, below ? k->min : k->max, bound, sizeof bound);
  return fail(ld, LW_ERANGE, ev->start_mark, "%s: '%s' is %s the %s %s (%s)", k->name, shown,
              below ? "below" : "above", below ? "minimum" : "maximum", bound, form);
}

/* Checks and stores the value of key k from scalar event ev. */
static int set_value(struct loader *ld, const struct lw_config_key *k, const yaml_event_t *ev) {
  const char *s = (const char *)ev->data.scalar.value;
  size_t n = ev->data.scalar.length;
  bool is_string = k->type == LW_CONFIG_STRING || k->type == LW_CONFIG_PATH;
  char shown[256], form[160];
  unsigned long cp = 0;
  union value v;
  const char *why = NULL;
  int rc;

  memset(&v, 0, sizeof v); /* parse_uint leaves v alone for a negative value */

  show_value(s, n, shown, sizeof shown);
  form_of(k, form, sizeof form);
  if (is_null(ev)) {
    if (!is_string) {
      return fail(ld, LW_ETYPE, ev->start_mark,
                  "%s: missing value; expected %s (or remove the line for the default %s)", k->name,
                  form, k->def);
    }
    s = "";
    n = 0;
  }
  if (find_control(s, n, &cp) < n) {
    return fail(ld, LW_ESYNTAX, ev->start_mark, "%s: '%s' contains the %s U+%04lX%s", k->name,
                shown, cp >= 0x2000 ? "line or paragraph separator" : "control character", cp,
                ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
                    ? "; in double quotes a backslash starts an escape (\\n, \\t): write "
                      "Windows paths in single quotes or without quotes"
                    : "");
  }
  if (is_string) {
    const char **slot = (const char **)field_of(&ld->cfg, k);
    char *copy;
    if (n == 0 && k->min > 0) {
      return fail(ld, LW_ERANGE, ev->start_mark, "%s: must not be empty (%s)", k->name, form);
    }
    if ((int64_t)n < k->min) {
      return fail(ld, LW_ERANGE, ev->start_mark, "%s: '%s' is shorter than the minimum %lu bytes",
                  k->name, shown, (unsigned long)k->min);
    }
    if ((int64_t)n > k->max) {
      return fail(ld, LW_ERANGE, ev->start_mark, "%s: '%s' is longer than the maximum %lu bytes",
                  k->name, shown, (unsigned long)k->max);
    }
    copy = malloc(n + 1);
    if (copy == NULL) {
      return fail(ld, LW_ENOMEM, ev->start_mark, "%s: out of memory", k->name);
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    if (is_owned(k, *slot)) {
      free((void *)*slot);
    }
    *slot = copy;
    return 0;
  }

  rc = parse_text(k, s, &v, &why);
  if (rc == LW_ERANGE && k->type == LW_CONFIG_UINT && v.u == UINT32_MAX) {
    return range_fail(ld, k, ev, shown, form, false); /* too large for any field */
  }
  if (rc != 0 && k->type == LW_CONFIG_ENUM) {
    struct suggestion sg = {NULL, 0, 0};
    for (size_t i = 0; k->names[i] != NULL; i++) {
      consider(&sg, s, n, k->names[i], strlen(k->names[i]));
    }
    return fail(ld, LW_ESYNTAX, ev->start_mark, "%s: '%s' is not a known name%s%s%s (%s)", k->name,
                shown, sg.name ? "; did you mean '" : "", sg.name ? sg.name : "",
                sg.name ? "'?" : "", form);
  }
  if (rc != 0 && k->type == LW_CONFIG_BOOL) {
    return fail(ld, LW_ESYNTAX, ev->start_mark, "%s: '%s' is not %s", k->name, shown, form);
  }
  if (rc != 0) {
    return fail(ld, rc, ev->start_mark, "%s: '%s' %s (%s)", k->name, shown,
                why != NULL ? why : "is not valid", form);
  }
  if (k->type == LW_CONFIG_DURATION && (v.ms < k->min || v.ms > k->max)) {
    return range_fail(ld, k, ev, shown, form, v.ms < k->min);
  }
  if (k->type == LW_CONFIG_UINT && ((int64_t)v.u < k->min || (int64_t)v.u > k->max)) {
    return range_fail(ld, k, ev, shown, form, (int64_t)v.u < k->min);
  }
  store_value(&ld->cfg, k, &v);
  return 0;
}

/* The row for `section.key` (section NULL at the top level), or -1. */
static int find_key(const char *section, const char *key, size_t klen) {
  size_t slen = section == NULL ? 0 : strlen(section);
  for (size_t i = 0; i < NKEYS; i++) {
    const char *name = keys[i].name;
    size_t sl = section_len(name);
    if (sl != slen || (slen > 0 && memcmp(name, section, slen) != 0)) {
      continue;
    }
    name += slen > 0 ? slen + 1 : 0;
    if (strlen(name) == klen && memcmp(name, key, klen) == 0) {
      return (int)i;
    }
  }
  return -1;
}

/* The first row of section `key` (a top-level key with dotted rows), or -1. */
static int find_section(const char *key, size_t klen) {
  for (size_t i = 0; i < NKEYS; i++) {
    if (section_len(keys[i].name) == klen && klen > 0 && memcmp(keys[i].name, key, klen) == 0) {
      return (int)i;
    }
  }
  return -1;
}

/* Reports an unknown key with the closest known one, or the list of keys. */
static int unknown_key(struct loader *ld, const char *section, const yaml_event_t *ev) {
  const char *key = (const char *)ev->data.scalar.value;
  size_t klen = ev->data.scalar.length;
  size_t slen = section == NULL ? 0 : strlen(section);
  struct suggestion sg = {NULL, 0, 0};
  char shown[256], list[512] = "", full[300];
  size_t used = 0;

  show_value(key, klen, shown, sizeof shown);
  (void)snprintf(full, sizeof full, "%s%s%s", section ? section : "", section ? "." : "", shown);

  if (section == NULL) {
    /* A dotted name written flat, or a section's key at the top level. */
    for (size_t i = 0; i < NKEYS; i++) {
      size_t sl = section_len(keys[i].name);
      if (sl == 0) {
        continue;
      }
      if (strlen(keys[i].name) == klen && memcmp(keys[i].name, key, klen) == 0) {
        return fail(ld, LW_EUNKNOWN, ev->start_mark,
                    "unknown key '%s'; write it nested: '%s' indented under '%.*s:'", full,
                    keys[i].name + sl + 1, (int)sl, keys[i].name);
      }
      if (strlen(keys[i].name + sl + 1) == klen && memcmp(keys[i].name + sl + 1, key, klen) == 0) {
        return fail(ld, LW_EUNKNOWN, ev->start_mark,
                    "unknown key '%s'; did you mean '%s' indented under '%.*s:'?", full,
                    keys[i].name + sl + 1, (int)sl, keys[i].name);
      }
    }
  }
  /* Candidates: the keys at this level (top-level keys and section names, or
   * the section's keys), each listed once. */
  for (size_t i = 0; i < NKEYS; i++) {
    const char *name = keys[i].name;
    size_t sl = section_len(name);
    const char *cand;
    size_t clen;
    if (section == NULL) {
      cand = name;
      clen = sl > 0 ? sl : strlen(name);
      if (sl > 0 && i > 0 && section_len(keys[i - 1].name) == sl &&
          memcmp(keys[i - 1].name, name, sl) == 0) {
        continue; /* section already listed */
      }
    } else {
      if (sl != slen || memcmp(name, section, slen) != 0) {
        continue;
      }
      cand = name + sl + 1;
      clen = strlen(cand);
    }
    consider(&sg, key, klen, cand, clen);
    if (used < sizeof list) {
      used += (size_t)snprintf(list + used, sizeof list - used, "%s%.*s", used > 0 ? ", " : "",
                               (int)clen, cand);
    }
  }
  if (sg.name != NULL) {
    return fail(ld, LW_EUNKNOWN, ev->start_mark, "unknown key '%s'; did you mean '%s%s%.*s'?%s",
                full, section ? section : "", section ? "." : "", (int)sg.len, sg.name,
                sg.dist == 0 ? " (keys are case-sensitive)" : "");
  }
  return fail(ld, LW_EUNKNOWN, ev->start_mark, "unknown key '%s' (known keys%s%s: %s)", full,
              section ? " in " : "", section ? section : "", list);
}

static int walk_mapping(struct loader *ld, const char *section);

/* Marks a key (or section) as given at `ev`, or reports a duplicate. */
static int note_seen(struct loader *ld, bool *seen, yaml_mark_t *seen_at, const yaml_event_t *ev,
                     const char *shown) {
  if (*seen) {
    return fail(ld, LW_EEXIST, ev->start_mark, "duplicate key '%s' (first given at %lu:%lu)", shown,
                (unsigned long)seen_at->line + 1, (unsigned long)seen_at->column + 1);
  }
  *seen = true;
  *seen_at = ev->start_mark;
  return 0;
}

/* Handles one key event and the value that follows it. */
static int walk_entry(struct loader *ld, const char *section, const yaml_event_t *key) {
  const char *k = (const char *)key->data.scalar.value;
  size_t klen = key->data.scalar.length;
  char sname[64], shown[256];
  yaml_event_t val;
  int row = find_key(section, k, klen);
  int sec = -1;
  int rc;

  if (row < 0 && section == NULL) {
    sec = find_section(k, klen);
  }
  if (row < 0 && sec < 0) {
    return unknown_key(ld, section, key);
  }
  show_value(k, klen, shown, sizeof shown);
  if (row >= 0) {
    rc = note_seen(ld, &ld->seen[row], &ld->seen_at[row], key, keys[row].name);
  } else {
    rc = note_seen(ld, &ld->section_seen[sec], &ld->section_seen_at[sec], key, shown);
  }
  if (rc != 0) {
    return rc;
  }
  rc = next_event(ld, &val);
  if (rc != 0) {
    return rc;
  }
  rc = check_node(ld, &val);
  if (rc == 0 && row >= 0) {
    if (val.type == YAML_SCALAR_EVENT) {
      rc = set_value(ld, &keys[row], &val);
    } else {
      char form[160];
      form_of(&keys[row], form, sizeof form);
      rc = fail(ld, LW_ETYPE, val.start_mark, "%s: expected %s, found %s", keys[row].name, form,
                kind_of(&val));
    }
  } else if (rc == 0) {
    size_t sl = section_len(keys[sec].name);
    (void)snprintf(sname, sizeof sname, "%.*s", (int)sl, keys[sec].name);
    if (val.type == YAML_MAPPING_START_EVENT) {
      rc = walk_mapping(ld, sname);
    } else if (val.type == YAML_SCALAR_EVENT && is_null(&val)) {
      rc = 0; /* an empty section: every key commented out */
    } else {
      rc = fail(ld, LW_ETYPE, val.start_mark,
                "%s: expected a mapping of keys indented under '%s:' (such as '%s'), found %s",
                sname, sname, keys[sec].name + sl + 1, kind_of(&val));
    }
  }
  yaml_event_delete(&val);
  return rc;
}

/* Walks a mapping's entries up to its end; its start event is consumed. */
static int walk_mapping(struct loader *ld, const char *section) {
  for (;;) {
    yaml_event_t key;
    int rc = next_event(ld, &key);
    if (rc != 0) {
      return rc;
    }
    if (key.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&key);
      return 0;
    }
    rc = check_node(ld, &key);
    if (rc == 0 && key.type != YAML_SCALAR_EVENT) {
      rc =
          fail(ld, LW_ETYPE, key.start_mark, "a key must be a plain name, found %s", kind_of(&key));
    }
    if (rc == 0) {
      rc = walk_entry(ld, section, &key);
    }
    yaml_event_delete(&key);
    if (rc != 0) {
      return rc;
    }
  }
}

/* Walks the document's root node; the document start event is consumed. */
static int walk_document(struct loader *ld) {
  yaml_event_t root;
  int rc = next_event(ld, &root);
  if (rc != 0) {
    return rc;
  }
  rc = check_node(ld, &root);
  if (rc == 0) {
    if (root.type == YAML_MAPPING_START_EVENT) {
      rc = walk_mapping(ld, NULL);
    } else if (root.type == YAML_SCALAR_EVENT && is_null(&root)) {
      rc = 0; /* only `---` or `~`: all defaults */
    } else {
      rc = fail(ld, LW_ETYPE, root.start_mark,
                "the top level must be a mapping of keys such as 'poll_interval: 60s', found %s",
                kind_of(&root));
    }
  }
  yaml_event_delete(&root);
  return rc;
}

static int walk_stream(struct loader *ld) {
  int documents = 0;
  for (;;) {
    yaml_event_t ev;
    int rc = next_event(ld, &ev);
    if (rc != 0) {
      return rc;
    }
    if (ev.type == YAML_DOCUMENT_START_EVENT) {
      if (documents++ > 0) {
        rc = fail(ld, LW_EINVAL, ev.start_mark,
                  "a second YAML document starts here; the configuration is one document "
                  "(remove this '---' or what follows it)");
      } else {
        rc = walk_document(ld);
      }
    }
    bool end = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (rc != 0 || end) {
      return rc;
    }
  }
}

int lw_config_load_string(const char *name, const char *yaml, size_t len, struct lw_config *out,
                          char *err, size_t errlen) {
  struct loader *ld;
  int rc;

  if (err != NULL && errlen > 0) {
    err[0] = '\0';
  }
  ld = calloc(1, sizeof *ld);
  if (ld == NULL) {
    if (err != NULL && errlen > 0) {
      (void)snprintf(err, errlen, "%s: out of memory", name);
    }
    return LW_ENOMEM;
  }
  ld->name = name;
  ld->err = err;
  ld->errlen = errlen;
  assert(yaml != NULL || len == 0);
  ld->text = (const unsigned char *)(yaml != NULL ? yaml : "");
  ld->len = len;
  lw_config_defaults(&ld->cfg);

  /* The size is checked before the BOM goes: the file reader stops one byte
   * past the limit, and a BOM stripped first would hide that the file was cut. */
  if (ld->len > MAX_FILE_BYTES) {
    rc = fail(ld, LW_ERANGE, mark_at(0, 0),
              "the file is %lu bytes or more; a configuration is at most 1 MiB",
              (unsigned long)ld->len);
    goto cleanup;
  }
  /* libyaml would count a BOM as a column of the first line: drop it here. */
  if (len >= 3 && memcmp(ld->text, "\xEF\xBB\xBF", 3) == 0) {
    ld->text += 3;
    ld->len -= 3;
  }
  rc = prescan(ld);
  if (rc != 0) {
    goto cleanup;
  }
  if (!yaml_parser_initialize(&ld->parser)) {
    rc = fail(ld, LW_ENOMEM, mark_at(0, 0), "out of memory");
    goto cleanup;
  }
  yaml_parser_set_input_string(&ld->parser, ld->text, ld->len);
  yaml_parser_set_encoding(&ld->parser, YAML_UTF8_ENCODING);
  rc = walk_stream(ld);
  yaml_parser_delete(&ld->parser);
  if (rc == 0) {
    *out = ld->cfg; /* moves the owned strings */
    lw_config_defaults(&ld->cfg);
  }

cleanup:
  lw_config_free(&ld->cfg);
  free(ld);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */
/* ------------------------------------------------------------------------ */

#ifdef _WIN32
#include <wchar.h>

/* fopen with a UTF-8 path: Windows' fopen would read it in the ANSI code
 * page, so convert to UTF-16 and use _wfopen. Sets errno on failure. */
static FILE *fopen_utf8(const char *path, const wchar_t *mode) {
  size_t len = strlen(path);
  wchar_t *wide = malloc((len + 1) * sizeof *wide);
  size_t o = 0;
  FILE *f = NULL;
  if (wide == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  for (size_t i = 0; i < len;) {
    uint32_t c;
    size_t n = utf8_decode((const unsigned char *)path + i, len - i, &c);
    if (n == 0) {
      errno = EINVAL;
      goto cleanup;
    }
    if (c >= 0x10000) {
      c -= 0x10000;
      wide[o++] = (wchar_t)(0xD800 + (c >> 10));
      wide[o++] = (wchar_t)(0xDC00 + (c & 0x3FF));
    } else {
      wide[o++] = (wchar_t)c;
    }
    i += n;
  }
  wide[o] = L'\0';
  f = _wfopen(wide, mode);
cleanup:
  free(wide);
  return f;
}
#define FOPEN_READ(p) fopen_utf8((p), L"rb")
#else
#define FOPEN_READ(p) fopen((p), "rb")
#endif

static int errno_to_lw(int e) {
  switch (e) {
  case ENOENT:
  case ENOTDIR:
    return LW_ENOENT;
  case EACCES:
  case EPERM:
    return LW_EACCES;
  case ENOMEM:
    return LW_ENOMEM;
  default:
    return LW_EIO;
  }
}

int lw_config_load(const char *path, struct lw_config *out, char *err, size_t errlen) {
  FILE *f = NULL;
  char *data = NULL;
  size_t len = 0, cap = 0;
  int rc = 0;

  if (err != NULL && errlen > 0) {
    err[0] = '\0';
  }
  errno = 0;
  f = FOPEN_READ(path);
  if (f == NULL) {
    int e = errno;
    rc = errno_to_lw(e);
    if (err != NULL && errlen > 0) {
      (void)snprintf(err, errlen, "%s: cannot open: %s", path,
                     e != 0 ? strerror(e) : "unknown error");
    }
    goto cleanup;
  }
  /* Read in chunks (the size of a pipe or device is not known beforehand),
   * one byte past the limit so that an oversized file is reported as such. */
  for (;;) {
    size_t got;
    if (len == cap) {
      size_t ncap = cap == 0 ? 4096 : cap * 2;
      char *bigger;
      if (ncap > (size_t)MAX_FILE_BYTES + 1) {
        ncap = (size_t)MAX_FILE_BYTES + 1;
      }
      if (ncap == cap) {
        break; /* limit reached: load_string reports the size */
      }
      bigger = realloc(data, ncap);
      if (bigger == NULL) {
        rc = LW_ENOMEM;
        if (err != NULL && errlen > 0) {
          (void)snprintf(err, errlen, "%s: out of memory", path);
        }
        goto cleanup;
      }
      data = bigger;
      cap = ncap;
    }
    errno = 0;
    got = fread(data + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) {
        int e = errno;
        rc = errno_to_lw(e) == LW_EACCES ? LW_EACCES : LW_EIO;
        if (err != NULL && errlen > 0) {
          (void)snprintf(err, errlen, "%s: cannot read: %s", path,
                         e != 0 ? strerror(e) : "read error");
        }
        goto cleanup;
      }
      break;
    }
  }
  rc = lw_config_load_string(path, data != NULL ? data : "", len, out, err, errlen);

cleanup:
  if (f != NULL) {
    fclose(f);
  }
  free(data);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Copy, compare, write, free                                               */
/* ------------------------------------------------------------------------ */

int lw_config_copy(struct lw_config *dst, const struct lw_config *src) {
  struct lw_config tmp = *src;
  /* Give tmp its own copy of every owned string; on failure undo. */
  for (size_t i = 0; i < NKEYS; i++) {
    const struct lw_config_key *k = &keys[i];
    const char **slot;
    if (k->type != LW_CONFIG_STRING && k->type != LW_CONFIG_PATH) {
      continue;
    }
    slot = (const char **)field_of(&tmp, k);
    if (is_owned(k, *slot)) {
      size_t n = strlen(*slot) + 1;
      char *copy = malloc(n);
      if (copy == NULL) {
        for (size_t j = 0; j < i; j++) {
          const char **done = (const char **)field_of(&tmp, &keys[j]);
          if ((keys[j].type == LW_CONFIG_STRING || keys[j].type == LW_CONFIG_PATH) &&
              is_owned(&keys[j], *done)) {
            free((void *)*done);
          }
        }
        return LW_ENOMEM;
      }
      memcpy(copy, *slot, n);
      *slot = copy;
    }
  }
  *dst = tmp;
  return 0;
}

bool lw_config_equal(const struct lw_config *a, const struct lw_config *b) {
  for (size_t i = 0; i < NKEYS; i++) {
    const struct lw_config_key *k = &keys[i];
    const void *fa = cfield_of(a, k), *fb = cfield_of(b, k);
    bool same = false;
    switch (k->type) {
    case LW_CONFIG_DURATION:
      same = *(const int64_t *)fa == *(const int64_t *)fb;
      break;
    case LW_CONFIG_UINT:
      same = *(const uint32_t *)fa == *(const uint32_t *)fb;
      break;
    case LW_CONFIG_STRING:
    case LW_CONFIG_PATH: {
      const char *sa = *(const char *const *)fa, *sb = *(const char *const *)fb;
      same = sa == sb || (sa != NULL && sb != NULL && strcmp(sa, sb) == 0);
      break;
    }
    case LW_CONFIG_ENUM:
      same = *(const int *)fa == *(const int *)fb;
      break;
    case LW_CONFIG_BOOL:
      same = *(const bool *)fa == *(const bool *)fb;
      break;
    }
    if (!same) {
      return false;
    }
  }
  return true;
}

/* Writes a key's value as YAML text into buf (strings single-quoted, with
 * quotes doubled). Returns 0, LW_EINVAL (bad value) or LW_ENOMEM. *heap is
 * set when the text was too long for buf and was allocated instead. */
static int value_text(const struct lw_config *cfg, const struct lw_config_key *k, char *buf,
                      size_t len, char **heap) {
  const void *f = cfield_of(cfg, k);
  *heap = NULL;
  switch (k->type) {
  case LW_CONFIG_DURATION:
    return lw_duration_format(*(const int64_t *)f, buf, len);
  case LW_CONFIG_UINT:
    (void)snprintf(buf, len, "%lu", (unsigned long)*(const uint32_t *)f);
    return 0;
  case LW_CONFIG_ENUM: {
    int e = *(const int *)f;
    int count = 0;
    while (k->names[count] != NULL) {
      count++;
    }
    if (e < 0 || e >= count) {
      return LW_EINVAL;
    }
    (void)snprintf(buf, len, "%s", k->names[e]);
    return 0;
  }
  case LW_CONFIG_BOOL:
    (void)snprintf(buf, len, "%s", *(const bool *)f ? "true" : "false");
    return 0;
  case LW_CONFIG_STRING:
  case LW_CONFIG_PATH: {
    const char *s = *(const char *const *)f;
    size_t need = 3, o = 0;
    char *out = buf;
    if (s == NULL) {
      return LW_EINVAL;
    }
    for (const char *p = s; *p != '\0'; p++) {
      need += *p == '\'' ? 2 : 1;
    }
    if (need > len) {
      out = *heap = malloc(need);
      if (out == NULL) {
        return LW_ENOMEM;
      }
    }
    out[o++] = '\'';
    for (const char *p = s; *p != '\0'; p++) {
      if (*p == '\'') {
        out[o++] = '\'';
      }
      out[o++] = *p;
    }
    out[o++] = '\'';
    out[o] = '\0';
    return 0;
  }
  }
  return LW_EINVAL;
}

/* Writes "<indent>leaf: value[  # default: X]" for one key. */
static int write_key(const struct lw_config *cfg, const struct lw_config *defaults,
                     const struct lw_config_key *k, FILE *f) {
  size_t sl = section_len(k->name);
  char val[128], def[128];
  char *vheap = NULL, *dheap = NULL;
  const char *v, *d;
  int rc = value_text(cfg, k, val, sizeof val, &vheap);
  if (rc == 0) {
    rc = value_text(defaults, k, def, sizeof def, &dheap);
  }
  if (rc != 0) {
    goto cleanup;
  }
  v = vheap != NULL ? vheap : val;
  d = dheap != NULL ? dheap : def;
  if (fprintf(f, "%s%s: %s", sl > 0 ? "  " : "", sl > 0 ? k->name + sl + 1 : k->name, v) < 0 ||
      (strcmp(v, d) != 0 && fprintf(f, "  # default: %s", d) < 0) || fputc('\n', f) == EOF) {
    rc = LW_EIO;
  }
cleanup:
  free(vheap);
  free(dheap);
  return rc;
}

int lw_config_write_effective(const struct lw_config *cfg, FILE *f) {
  struct lw_config defaults;
  int rc = 0;
  lw_config_defaults(&defaults);
  if (fputs("# LeakWatch effective configuration\n", f) == EOF) {
    return LW_EIO;
  }
  for (size_t i = 0; i < NKEYS && rc == 0; i++) {
    size_t sl = section_len(keys[i].name);
    if (sl > 0 && (i == 0 || section_len(keys[i - 1].name) != sl ||
                   memcmp(keys[i - 1].name, keys[i].name, sl) != 0)) {
      if (fprintf(f, "%.*s:\n", (int)sl, keys[i].name) < 0) {
        rc = LW_EIO;
        break;
      }
    }
    rc = write_key(cfg, &defaults, &keys[i], f);
  }
  if (rc == 0 && (fflush(f) != 0 || ferror(f))) {
    rc = LW_EIO;
  }
  return rc;
}

void lw_config_free(struct lw_config *cfg) {
  if (cfg == NULL) {
    return;
  }
  for (size_t i = 0; i < NKEYS; i++) {
    const struct lw_config_key *k = &keys[i];
    if (k->type == LW_CONFIG_STRING || k->type == LW_CONFIG_PATH) {
      const char *s = *(const char **)field_of(cfg, k);
      if (is_owned(k, s)) {
        free((void *)s);
      }
    }
  }
  lw_config_defaults(cfg);
}
