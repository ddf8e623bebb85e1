/*
 * config.c - the leakwatch.yaml loader: libyaml's event parser over the key
 * table (config_keys.c), with error messages (config_text.c) that say where
 * (FILE:LINE:COLUMN), which key, what was found and what was expected. See
 * config.h for the contract.
 *
 * Sections:
 *   the loader's state     and its error reporting
 *   prescan                encoding checks libyaml cannot place on a line
 *   the event walk         document -> mapping -> key/value, first error wins
 * (reading a file by UTF-8 path, also on Windows: config_file.c)
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_internal.h"
#include "duration.h"
#include "error.h"

#if defined(__GNUC__)
#define LW_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define LW_PRINTF_LIKE(f, a)
#endif

/* A configuration file is a page of text; anything larger is a mistake. */

/* ------------------------------------------------------------------------ */
/* The loader's state and error reporting                                   */
/* ------------------------------------------------------------------------ */

struct loader {
  const char *name;          /* the file, for messages */
  const unsigned char *text; /* the input, after any UTF-8 BOM */
  size_t len;
  yaml_parser_t parser;
  struct lw_config cfg; /* built here, moved to *out on success */
  bool seen[LW__NKEYS]; /* key i given */
  yaml_mark_t seen_at[LW__NKEYS];
  bool section_seen[LW__NKEYS]; /* section whose first row is i given */
  yaml_mark_t section_seen_at[LW__NKEYS];
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
size_t lw__config_utf8_decode(const unsigned char *p, size_t left, uint32_t *cp) {
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
    size_t n = lw__config_utf8_decode(&ld->text[i], ld->len - i, &c);
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
  lw__config_format_bound(k, below ? k->min : k->max, bound, sizeof bound);
  return fail(ld, LW_ERANGE, ev->start_mark, "%s: '%s' is %s the %s %s (%s)", k->name, shown,
              below ? "below" : "above", below ? "minimum" : "maximum", bound, form);
}

/* Checks and stores the value of key k from scalar event ev. */
static int set_value(struct loader *ld, const struct lw_config_key *k, const yaml_event_t *ev) {
  const char *s = (const char *)ev->data.scalar.value;
  size_t n = ev->data.scalar.length;
  bool is_string = lw_config_type_is_text(k->type);
  char shown[256], form[160];
  unsigned long cp = 0;
  union lw__config_value v;
  const char *why = NULL;
  int rc;

  memset(&v, 0, sizeof v); /* parse_uint leaves v alone for a negative value */

  lw__config_show_value(s, n, shown, sizeof shown);
  lw__config_form_of(k, form, sizeof form);
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
    const char **slot = (const char **)lw__config_field(&ld->cfg, k);
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
    if (lw__config_is_owned(k, *slot)) {
      free((void *)*slot);
    }
    *slot = copy;
    return 0;
  }

  rc = lw__config_parse_text(k, s, &v, &why);
  if (rc == LW_ERANGE && k->type == LW_CONFIG_UINT && v.u == UINT32_MAX) {
    return range_fail(ld, k, ev, shown, form, false); /* too large for any field */
  }
  if (rc != 0 && k->type == LW_CONFIG_ENUM) {
    struct lw__config_suggestion sg = {NULL, 0, 0};
    for (size_t i = 0; k->names[i] != NULL; i++) {
      lw__config_consider(&sg, s, n, k->names[i], strlen(k->names[i]));
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
  lw__config_store_value(&ld->cfg, k, &v);
  return 0;
}

/* Reads a list key's sequence (its start event consumed): each item a scalar
 * that lw__config_list_add accepts, an error pointing at the bad one. */
static int set_list(struct loader *ld, const struct lw_config_key *k) {
  struct lw__config_list acc = {NULL, 0};
  yaml_event_t item;
  int rc;
  while ((rc = next_event(ld, &item)) == 0 && item.type != YAML_SEQUENCE_END_EVENT) {
    char why[LW__CONFIG_LIST_WHY];
    rc = check_node(ld, &item);
    if (rc == 0 && item.type != YAML_SCALAR_EVENT) {
      lw__config_form_of(k, why, sizeof why);
      rc = fail(ld, LW_ETYPE, item.start_mark, "%s: expected %s, found %s in the list", k->name,
                why, kind_of(&item));
    } else if (rc == 0) {
      rc = lw__config_list_add(k, (const char *)item.data.scalar.value, item.data.scalar.length,
                               &acc, why, sizeof why);
      if (rc != 0)
        rc = fail(ld, rc, item.start_mark, "%s", why);
    }
    yaml_event_delete(&item);
    if (rc != 0)
      break;
  }
  if (rc != 0) {
    free(acc.text);
    return rc;
  }
  yaml_event_delete(&item);
  return lw__config_list_store(&ld->cfg, k, &acc);
}

/* The row for `section.key` (section NULL at the top level), or -1. */
static int find_key(const char *section, const char *key, size_t klen) {
  size_t slen = section == NULL ? 0 : strlen(section);
  for (size_t i = 0; i < LW__NKEYS; i++) {
    const char *name = lw__keys[i].name;
    size_t sl = lw__config_section_len(name);
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
  for (size_t i = 0; i < LW__NKEYS; i++) {
    if (lw__config_section_len(lw__keys[i].name) == klen && klen > 0 &&
        memcmp(lw__keys[i].name, key, klen) == 0) {
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
  struct lw__config_suggestion sg = {NULL, 0, 0};
  char shown[256], list[512] = "", full[300];
  size_t used = 0;

  lw__config_show_value(key, klen, shown, sizeof shown);
  (void)snprintf(full, sizeof full, "%s%s%s", section ? section : "", section ? "." : "", shown);

  if (section == NULL) {
    /* A dotted name written flat, or a section's key at the top level. */
    for (size_t i = 0; i < LW__NKEYS; i++) {
      size_t sl = lw__config_section_len(lw__keys[i].name);
      if (sl == 0) {
        continue;
      }
      if (strlen(lw__keys[i].name) == klen && memcmp(lw__keys[i].name, key, klen) == 0) {
        return fail(ld, LW_EUNKNOWN, ev->start_mark,
                    "unknown key '%s'; write it nested: '%s' indented under '%.*s:'", full,
                    lw__keys[i].name + sl + 1, (int)sl, lw__keys[i].name);
      }
      if (strlen(lw__keys[i].name + sl + 1) == klen &&
          memcmp(lw__keys[i].name + sl + 1, key, klen) == 0) {
        return fail(ld, LW_EUNKNOWN, ev->start_mark,
                    "unknown key '%s'; did you mean '%s' indented under '%.*s:'?", full,
                    lw__keys[i].name + sl + 1, (int)sl, lw__keys[i].name);
      }
    }
  }
  /* Candidates: the keys at this level (top-level keys and section names, or
   * the section's keys), each listed once. */
  for (size_t i = 0; i < LW__NKEYS; i++) {
    const char *name = lw__keys[i].name;
    size_t sl = lw__config_section_len(name);
    const char *cand;
    size_t clen;
    if (section == NULL) {
      cand = name;
      clen = sl > 0 ? sl : strlen(name);
      if (sl > 0 && i > 0 && lw__config_section_len(lw__keys[i - 1].name) == sl &&
          memcmp(lw__keys[i - 1].name, name, sl) == 0) {
        continue; /* section already listed */
      }
    } else {
      if (sl != slen || memcmp(name, section, slen) != 0) {
        continue;
      }
      cand = name + sl + 1;
      clen = strlen(cand);
    }
    lw__config_consider(&sg, key, klen, cand, clen);
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
  lw__config_show_value(k, klen, shown, sizeof shown);
  if (row >= 0) {
    rc = note_seen(ld, &ld->seen[row], &ld->seen_at[row], key, lw__keys[row].name);
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
    bool list = lw_config_type_is_list(lw__keys[row].type);
    if (list && val.type == YAML_SEQUENCE_START_EVENT) {
      rc = set_list(ld, &lw__keys[row]);
    } else if (val.type == YAML_SCALAR_EVENT && (!list || is_null(&val))) {
      rc = set_value(ld, &lw__keys[row], &val); /* a list key's empty value: [] */
    } else {
      char form[160];
      lw__config_form_of(&lw__keys[row], form, sizeof form);
      rc = fail(ld, LW_ETYPE, val.start_mark, "%s: expected %s, found %s", lw__keys[row].name, form,
                kind_of(&val));
    }
  } else if (rc == 0) {
    size_t sl = lw__config_section_len(lw__keys[sec].name);
    (void)snprintf(sname, sizeof sname, "%.*s", (int)sl, lw__keys[sec].name);
    if (val.type == YAML_MAPPING_START_EVENT) {
      rc = walk_mapping(ld, sname);
    } else if (val.type == YAML_SCALAR_EVENT && is_null(&val)) {
      rc = 0; /* an empty section: every key commented out */
    } else {
      rc = fail(ld, LW_ETYPE, val.start_mark,
                "%s: expected a mapping of keys indented under '%s:' (such as '%s'), found %s",
                sname, sname, lw__keys[sec].name + sl + 1, kind_of(&val));
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
  if (ld->len > LW__CONFIG_MAX_FILE_BYTES) {
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
