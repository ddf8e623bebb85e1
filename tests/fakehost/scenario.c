/*
 * scenario.c - parses and queries simulated-host scenario files (scenario.h).
 *
 * A first pass over libyaml's events refuses anchors and aliases (as the
 * configuration loader does), then the file is loaded whole with the document
 * API (every node keeps its line and column) and walked against a fixed schema:
 * a top-level mapping of host/steps/logon_sessions/wts_sessions, whose two
 * lists hold mappings of scalars. Each problem is reported once, at the node
 * it concerns, and loading stops there.
 */
#ifndef __USE_MINGW_ANSI_STDIO
#define __USE_MINGW_ANSI_STDIO 1 /* C99 printf (%llu, %zu) in the mingw build */
#endif
#include "scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "error.h"

#if defined(__MINGW32__)
#define PRINTF_LIKE(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

#define MAX_FILE_BYTES (256u * 1024u * 1024u)
#define MAX_STEP UINT64_C(4294967294)       /* UINT32_MAX is LW_SCENARIO_FOREVER */
#define MAX_LOGON_TIME INT64_C(10000000000) /* about 317 years either way */

/* ---------------------------------------------------------------- names */

static const char *const logon_type_names[] = {NULL,
                                               NULL,
                                               "Interactive",
                                               "Network",
                                               "Batch",
                                               "Service",
                                               "Proxy",
                                               "Unlock",
                                               "NetworkCleartext",
                                               "NewCredentials",
                                               "RemoteInteractive",
                                               "CachedInteractive",
                                               "CachedRemoteInteractive",
                                               "CachedUnlock"};
#define N_LOGON_TYPES (sizeof logon_type_names / sizeof logon_type_names[0])

static const char *const state_names[] = {"Active",       "Connected", "ConnectQuery", "Shadow",
                                          "Disconnected", "Idle",      "Listen",       "Reset",
                                          "Down",         "Init"};
#define N_STATES (sizeof state_names / sizeof state_names[0])

const char *lw_scenario_logon_type_name(uint32_t type) {
  return type < N_LOGON_TYPES ? logon_type_names[type] : NULL;
}

const char *lw_scenario_state_name(uint32_t state) {
  return state < N_STATES ? state_names[state] : NULL;
}

/* ASCII case-insensitive equality of a counted string and a C string. */
static int name_equal(const char *s, size_t len, const char *name) {
  size_t i;
  if (name == NULL || strlen(name) != len) {
    return 0;
  }
  for (i = 0; i < len; i++) {
    unsigned char a = (unsigned char)s[i], b = (unsigned char)name[i];
    if (a >= 'A' && a <= 'Z') {
      a = (unsigned char)(a - 'A' + 'a');
    }
    if (b >= 'A' && b <= 'Z') {
      b = (unsigned char)(b - 'A' + 'a');
    }
    if (a != b) {
      return 0;
    }
  }
  return 1;
}

/* ---------------------------------------------------------------- context */

struct mark {
  uint32_t line, column;
};

struct ctx {
  const char *name;
  yaml_document_t *doc;
  char *err;
  size_t errlen;
  struct lw_scenario *sc;
  size_t cap_logons, cap_wts;
  struct mark *luid_marks; /* where each entry's luid / id / until was written */
  struct mark *logon_until_marks;
  struct mark *id_marks;
  struct mark *wts_until_marks;
};

static struct mark node_mark(const yaml_node_t *node) {
  struct mark m;
  m.line = (uint32_t)node->start_mark.line + 1;
  m.column = (uint32_t)node->start_mark.column + 1;
  return m;
}

/* Writes "name:line:column: message" into the context's error buffer and
 * returns `code`, so callers can `return fail(...)`. */
PRINTF_LIKE(4, 5)
static int fail(struct ctx *c, struct mark m, int code, const char *fmt, ...) {
  int n;
  if (c->errlen == 0) {
    return code;
  }
  n = snprintf(c->err, c->errlen, "%s:%u:%u: ", c->name, m.line, m.column);
  if (n >= 0 && (size_t)n < c->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return code;
}

static const char *node_kind(const yaml_node_t *node) {
  switch (node->type) {
  case YAML_MAPPING_NODE:
    return "a mapping";
  case YAML_SEQUENCE_NODE:
    return "a list";
  default:
    return "a scalar";
  }
}

static const char *scalar_text(const yaml_node_t *node) {
  return (const char *)node->data.scalar.value;
}

static size_t scalar_len(const yaml_node_t *node) {
  return node->data.scalar.length;
}

static int is_null(const yaml_node_t *node) {
  const char *s;
  size_t n;
  if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
    return 0;
  }
  s = scalar_text(node);
  n = scalar_len(node);
  return n == 0 || (n == 1 && s[0] == '~') ||
         (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

/* A short, printable excerpt of a scalar for messages. */
static const char *excerpt(const yaml_node_t *node, char *buf, size_t size) {
  size_t n = scalar_len(node), i, o = 0;
  const char *s = scalar_text(node);
  for (i = 0; i < n && o + 4 < size; i++) {
    unsigned char ch = (unsigned char)s[i];
    buf[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
  }
  if (i < n && o + 4 <= size) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o] = '\0';
  return buf;
}

/* ---------------------------------------------------------------- scalars */

/* Parses [+-]digits or [+-]0xhex. Returns 0, -1 not an integer, -2 too big. */
static int parse_integer(const char *s, size_t n, int *neg, uint64_t *mag) {
  size_t i = 0;
  uint64_t v = 0;
  int hex = 0;
  *neg = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) {
    *neg = s[i] == '-';
    i++;
  }
  if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
    hex = 1;
    i += 2;
  }
  if (i == n) {
    return -1;
  }
  for (; i < n; i++) {
    unsigned d;
    char ch = s[i];
    if (ch >= '0' && ch <= '9') {
      d = (unsigned)(ch - '0');
    } else if (hex && ch >= 'a' && ch <= 'f') {
      d = (unsigned)(ch - 'a' + 10);
    } else if (hex && ch >= 'A' && ch <= 'F') {
      d = (unsigned)(ch - 'A' + 10);
    } else {
      return -1;
    }
    if (hex ? v > (UINT64_MAX >> 4) : v > (UINT64_MAX - d) / 10) {
      return -2;
    }
    v = hex ? (v << 4) | d : v * 10 + d;
  }
  *mag = v;
  return 0;
}

/* Reads an integer in [min, max] from a plain scalar. */
static int get_int(struct ctx *c, const yaml_node_t *node, const char *key, int64_t min,
                   int64_t max, int64_t *out) {
  char buf[48];
  int neg, r;
  uint64_t mag = 0;
  int64_t v;
  if (node->type != YAML_SCALAR_NODE) {
    return fail(c, node_mark(node), LW_ETYPE, "'%s' must be an integer, not %s", key,
                node_kind(node));
  }
  if (is_null(node)) {
    return fail(c, node_mark(node), LW_ETYPE, "'%s' must be an integer, not null", key);
  }
  if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
    return fail(c, node_mark(node), LW_ETYPE,
                "'%s' must be an integer, not a quoted string (write it without quotes)", key);
  }
  r = parse_integer(scalar_text(node), scalar_len(node), &neg, &mag);
  if (r == -1) {
    return fail(c, node_mark(node), LW_ETYPE,
                "'%s' must be an integer (decimal or 0x-hex), got '%s'", key,
                excerpt(node, buf, sizeof buf));
  }
  if (r == -2 || mag > (uint64_t)INT64_MAX) {
    goto range;
  }
  v = neg ? -(int64_t)mag : (int64_t)mag;
  if (v < min || v > max) {
    goto range;
  }
  *out = v;
  return 0;
range:
  if (min == 0 && (neg && mag != 0)) {
    return fail(c, node_mark(node), LW_ERANGE, "'%s' must not be negative, got '%s'", key,
                excerpt(node, buf, sizeof buf));
  }
  return fail(c, node_mark(node), LW_ERANGE, "'%s' must be between %lld and %lld, got '%s'", key,
              (long long)min, (long long)max, excerpt(node, buf, sizeof buf));
}

static int get_u32(struct ctx *c, const yaml_node_t *node, const char *key, uint32_t min,
                   uint32_t max, uint32_t *out) {
  int64_t v = 0;
  int rc = get_int(c, node, key, min, max, &v);
  if (rc == 0) {
    *out = (uint32_t)v;
  }
  return rc;
}

/* Counts the UTF-16 units of valid UTF-8 text (libyaml has validated it). */
static size_t utf16_units(const char *s, size_t n) {
  size_t i, units = 0;
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if ((ch & 0xC0) != 0x80) {
      units += ch >= 0xF0 ? 2 : 1;
    }
  }
  return units;
}

/* Copies a string scalar into a new NUL-terminated allocation. */
static int get_string(struct ctx *c, const yaml_node_t *node, const char *key, char **out) {
  char *copy;
  size_t n;
  if (node->type != YAML_SCALAR_NODE) {
    return fail(c, node_mark(node), LW_ETYPE, "'%s' must be a string, not %s", key,
                node_kind(node));
  }
  if (is_null(node)) {
    return fail(
        c, node_mark(node), LW_ETYPE,
        "'%s' must be a string, not null (leave an optional key out; \"\" is the empty string)",
        key);
  }
  n = scalar_len(node);
  if (memchr(scalar_text(node), '\0', n) != NULL) {
    return fail(c, node_mark(node), LW_ERANGE, "'%s' must not contain a NUL character", key);
  }
  if (utf16_units(scalar_text(node), n) > LW_SCENARIO_MAX_STRING_UNITS) {
    return fail(c, node_mark(node), LW_ERANGE,
                "'%s' is longer than %d UTF-16 units (the limit of an LSA_UNICODE_STRING)", key,
                LW_SCENARIO_MAX_STRING_UNITS);
  }
  copy = malloc(n + 1);
  if (copy == NULL) {
    return fail(c, node_mark(node), LW_ENOMEM, "out of memory");
  }
  memcpy(copy, scalar_text(node), n);
  copy[n] = '\0';
  free(*out); /* a key given twice is rejected earlier; this is only defensive */
  *out = copy;
  return 0;
}

static int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') {
    return ch - '0';
  }
  if (ch >= 'a' && ch <= 'f') {
    return ch - 'a' + 10;
  }
  if (ch >= 'A' && ch <= 'F') {
    return ch - 'A' + 10;
  }
  return -1;
}

/* Parses 1..maxdigits hex digits exactly. Returns 0, -1 syntax, -2 too long. */
static int parse_hex(const char *s, size_t n, size_t maxdigits, uint64_t *out) {
  size_t i;
  uint64_t v = 0;
  if (n == 0) {
    return -1;
  }
  for (i = 0; i < n; i++) {
    int d = hex_digit(s[i]);
    if (d < 0) {
      return -1;
    }
    v = (v << 4) | (uint64_t)d;
  }
  if (n > maxdigits) {
    /* leading zeros are harmless; anything else does not fit */
    for (i = 0; i < n - maxdigits; i++) {
      if (s[i] != '0') {
        return -2;
      }
    }
  }
  *out = v;
  return 0;
}

/* A LUID: decimal, 0x-hex, or "HIGH:LOW" hex; in any scalar style. */
static int get_luid(struct ctx *c, const yaml_node_t *node, uint64_t *out) {
  char buf[48];
  const char *s, *colon;
  size_t n;
  int r, neg;
  uint64_t hi = 0, lo = 0, v = 0;
  if (node->type != YAML_SCALAR_NODE || is_null(node)) {
    return fail(c, node_mark(node), LW_ETYPE,
                "'luid' must be an integer, 0x-hex or a \"HIGH:LOW\" hex string, not %s",
                node->type == YAML_SCALAR_NODE ? "null" : node_kind(node));
  }
  s = scalar_text(node);
  n = scalar_len(node);
  colon = memchr(s, ':', n);
  if (colon != NULL) {
    size_t hn = (size_t)(colon - s);
    int rh = parse_hex(s, hn, 8, &hi);
    int rl = parse_hex(colon + 1, n - hn - 1, 8, &lo);
    if (rh == -1 || rl == -1) {
      goto syntax;
    }
    if (rh == -2 || rl == -2) {
      return fail(c, node_mark(node), LW_ERANGE,
                  "'luid' \"HIGH:LOW\" parts must fit in 32 bits each, got '%s'",
                  excerpt(node, buf, sizeof buf));
    }
    *out = (hi << 32) | lo;
    return 0;
  }
  r = parse_integer(s, n, &neg, &v);
  if (r == -1 || (n > 0 && (s[0] == '+' || s[0] == '-'))) {
    goto syntax;
  }
  if (r == -2) {
    return fail(c, node_mark(node), LW_ERANGE, "'luid' does not fit in 64 bits: '%s'",
                excerpt(node, buf, sizeof buf));
  }
  *out = v;
  return 0;
syntax:
  return fail(c, node_mark(node), LW_ETYPE,
              "'luid' must be an integer, 0x-hex or a \"HIGH:LOW\" hex string, got '%s'",
              excerpt(node, buf, sizeof buf));
}

/* Parses "S-1-<authority>-<sub>..." into parts. Returns 0 or -1. */
static int parse_sid(const char *s, size_t n, struct lw_scenario_sid *sid) {
  size_t i = 0;
  uint64_t auth = 0;
  int k;
  memset(sid, 0, sizeof *sid);
  if (n < 4 || (s[0] != 'S' && s[0] != 's') || s[1] != '-' || s[2] != '1' || s[3] != '-') {
    return -1;
  }
  sid->revision = 1;
  i = 4;
  /* authority: decimal below 2^32, or 0x + hex up to 48 bits */
  if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
    size_t start = i + 2, e = start;
    while (e < n && s[e] != '-') {
      e++;
    }
    if (parse_hex(s + start, e - start, 12, &auth) != 0) {
      return -1;
    }
    i = e;
  } else {
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      auth = auth * 10 + (uint64_t)(s[i] - '0');
      if (auth > UINT32_MAX) {
        return -1;
      }
      i++;
    }
    if (i == start) {
      return -1;
    }
  }
  for (k = 0; k < 6; k++) {
    sid->authority[k] = (uint8_t)(auth >> (8 * (5 - k)));
  }
  while (i < n) {
    uint64_t sub = 0;
    size_t start;
    if (s[i] != '-' || sid->sub_count == 15) {
      return -1;
    }
    start = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      sub = sub * 10 + (uint64_t)(s[i] - '0');
      if (sub > UINT32_MAX) {
        return -1;
      }
      i++;
    }
    if (i == start) {
      return -1;
    }
    sid->sub[sid->sub_count++] = (uint32_t)sub;
  }
  return 0;
}

/* The canonical text of a SID, as ConvertSidToStringSidW prints it. */
static char *sid_text(const struct lw_scenario_sid *sid) {
  char buf[16 + 15 * 11 + 1];
  uint64_t auth = 0;
  size_t o;
  int k;
  char *copy;
  for (k = 0; k < 6; k++) {
    auth = (auth << 8) | sid->authority[k];
  }
  if (auth >> 32) {
    o = (size_t)snprintf(buf, sizeof buf, "S-1-0x%012llX", (unsigned long long)auth);
  } else {
    o = (size_t)snprintf(buf, sizeof buf, "S-1-%llu", (unsigned long long)auth);
  }
  for (k = 0; k < sid->sub_count; k++) {
    o += (size_t)snprintf(buf + o, sizeof buf - o, "-%lu", (unsigned long)sid->sub[k]);
  }
  copy = malloc(o + 1);
  if (copy != NULL) {
    memcpy(copy, buf, o + 1);
  }
  return copy;
}

static int get_sid(struct ctx *c, const yaml_node_t *node, struct lw_scenario_logon *e) {
  char *text = NULL;
  int rc = get_string(c, node, "sid", &text);
  if (rc != 0) {
    return rc;
  }
  if (parse_sid(text, strlen(text), &e->sid_parts) != 0) {
    char buf[48];
    free(text);
    return fail(c, node_mark(node), LW_ETYPE,
                "'sid' must be of the form S-1-<authority>-<subauthority>... (at most 15 "
                "subauthorities), got '%s'",
                excerpt(node, buf, sizeof buf));
  }
  free(text);
  free(e->sid);
  e->sid = sid_text(&e->sid_parts);
  if (e->sid == NULL) {
    return fail(c, node_mark(node), LW_ENOMEM, "out of memory");
  }
  return 0;
}

static int get_logon_type(struct ctx *c, const yaml_node_t *node, uint32_t *out) {
  char buf[48];
  uint32_t t;
  if (node->type == YAML_SCALAR_NODE && !is_null(node) &&
      node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
    int neg;
    uint64_t mag;
    if (parse_integer(scalar_text(node), scalar_len(node), &neg, &mag) != -1) {
      return get_u32(c, node, "logon_type", 0, UINT32_MAX, out);
    }
  }
  if (node->type != YAML_SCALAR_NODE || is_null(node)) {
    return fail(c, node_mark(node), LW_ETYPE, "'logon_type' must be a name or a number, not %s",
                node->type == YAML_SCALAR_NODE ? "null" : node_kind(node));
  }
  for (t = 0; t < N_LOGON_TYPES; t++) {
    if (logon_type_names[t] != NULL &&
        name_equal(scalar_text(node), scalar_len(node), logon_type_names[t])) {
      *out = t;
      return 0;
    }
  }
  return fail(c, node_mark(node), LW_EUNKNOWN,
              "unknown logon_type '%s' (expected a number or one of Interactive, Network, "
              "Batch, Service, Proxy, Unlock, NetworkCleartext, NewCredentials, "
              "RemoteInteractive, CachedInteractive, CachedRemoteInteractive, CachedUnlock)",
              excerpt(node, buf, sizeof buf));
}

static int get_state(struct ctx *c, const yaml_node_t *node, uint32_t *out) {
  char buf[48];
  uint32_t s;
  if (node->type != YAML_SCALAR_NODE || is_null(node)) {
    return fail(c, node_mark(node), LW_ETYPE, "'state' must be a state name, not %s",
                node->type == YAML_SCALAR_NODE ? "null" : node_kind(node));
  }
  for (s = 0; s < N_STATES; s++) {
    if (name_equal(scalar_text(node), scalar_len(node), state_names[s])) {
      *out = s;
      return 0;
    }
  }
  return fail(c, node_mark(node), LW_EUNKNOWN,
              "unknown state '%s' (expected one of Active, Connected, ConnectQuery, Shadow, "
              "Disconnected, Idle, Listen, Reset, Down, Init)",
              excerpt(node, buf, sizeof buf));
}

/* ---------------------------------------------------------------- mappings */

/* Walks a mapping whose keys must come from `keys` (at most 32), each at
 * most once. Calls `each(c, index, value, arg)` per pair in file order and
 * reports which keys were seen in *seen. */
typedef int (*pair_fn)(struct ctx *c, int key, const yaml_node_t *value, void *arg);

struct walk {
  const char *what;
  const char *const *keys;
  int nkeys;
  const char *allowed;
  pair_fn each;
  void *arg;
};

/* A plain `<<`: YAML 1.1's merge key. Refused: merges of merges of aliases
 * take time exponential in the file's size (issue 14), and the format has no
 * need of them. A quoted '<<' is an ordinary (unknown) key. */
static int is_merge_key(const yaml_node_t *k) {
  return k->type == YAML_SCALAR_NODE && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
         scalar_len(k) == 2 && !memcmp(scalar_text(k), "<<", 2);
}

static int walk_pairs(struct ctx *c, const yaml_node_t *map, const struct walk *w, uint32_t *seen) {
  yaml_node_pair_t *p;
  for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
    int i, rc;
    if (k == NULL || v == NULL) {
      return fail(c, node_mark(map), LW_ESYNTAX, "malformed mapping");
    }
    if (k->type != YAML_SCALAR_NODE) {
      return fail(c, node_mark(k), LW_ETYPE, "keys in %s must be plain names, not %s", w->what,
                  node_kind(k));
    }
    if (is_merge_key(k)) {
      return fail(c, node_mark(k), LW_EINVAL,
                  "merge keys ('<<') are not supported in %s; write the keys out", w->what);
    }
    for (i = 0; i < w->nkeys; i++) {
      if (strlen(w->keys[i]) == scalar_len(k) &&
          !memcmp(w->keys[i], scalar_text(k), scalar_len(k))) {
        break;
      }
    }
    if (i == w->nkeys) {
      char buf[48];
      return fail(c, node_mark(k), LW_EUNKNOWN, "unknown key '%s' in %s (allowed: %s)",
                  excerpt(k, buf, sizeof buf), w->what, w->allowed);
    }
    if (*seen & (UINT32_C(1) << i)) {
      return fail(c, node_mark(k), LW_EINVAL, "key '%s' appears twice in %s", w->keys[i], w->what);
    }
    *seen |= UINT32_C(1) << i;
    rc = w->each(c, i, v, w->arg);
    if (rc != 0) {
      return rc;
    }
  }
  return 0;
}

static int walk_mapping(struct ctx *c, const yaml_node_t *map, const char *what,
                        const char *const *keys, int nkeys, const char *allowed, pair_fn each,
                        void *arg, uint32_t *seen) {
  struct walk w;
  w.what = what;
  w.keys = keys;
  w.nkeys = nkeys;
  w.allowed = allowed;
  w.each = each;
  w.arg = arg;
  *seen = 0;
  return walk_pairs(c, map, &w, seen);
}

static int require_keys(struct ctx *c, const yaml_node_t *map, const char *what,
                        const char *const *keys, uint32_t required, uint32_t seen) {
  int i;
  for (i = 0; i < 32; i++) {
    if ((required & (UINT32_C(1) << i)) && !(seen & (UINT32_C(1) << i))) {
      return fail(c, node_mark(map), LW_EINVAL, "%s is missing the required key '%s'", what,
                  keys[i]);
    }
  }
  return 0;
}

/* from/until: checked together once both are known. */
static int check_range(struct ctx *c, uint32_t from, uint32_t until, struct mark until_mark) {
  if (until != LW_SCENARIO_FOREVER && from >= until) {
    return fail(c, until_mark, LW_ERANGE, "'until' (%lu) must be greater than 'from' (%lu)",
                (unsigned long)until, (unsigned long)from);
  }
  return 0;
}

/* ---------------------------------------------------------------- logon sessions */

enum {
  LK_LUID,
  LK_USER,
  LK_DOMAIN,
  LK_SID,
  LK_LOGON_TYPE,
  LK_AUTH,
  LK_SESSION,
  LK_LOGON_TIME,
  LK_UPN,
  LK_SERVER,
  LK_DNS,
  LK_FROM,
  LK_UNTIL,
  LK_STATUS,
  LK_COUNT
};

static const char *const logon_keys[LK_COUNT] = {
    "luid",         "user",    "domain",     "sid",        "logon_type",
    "auth_package", "session", "logon_time", "upn",        "logon_server",
    "dns_domain",   "from",    "until",      "data_status"};
static const char logon_allowed[] =
    "luid, user, domain, sid, logon_type, auth_package, session, logon_time, upn, "
    "logon_server, dns_domain, from, until, data_status";
#define LOGON_REQUIRED                                                                             \
  ((1u << LK_LUID) | (1u << LK_USER) | (1u << LK_DOMAIN) | (1u << LK_LOGON_TYPE) |                 \
   (1u << LK_SESSION))

static int logon_pair(struct ctx *c, int key, const yaml_node_t *v, void *arg) {
  struct lw_scenario_logon *e = arg;
  size_t idx = c->sc->n_logons;
  switch (key) {
  case LK_LUID:
    c->luid_marks[idx] = node_mark(v);
    return get_luid(c, v, &e->luid);
  case LK_USER:
    return get_string(c, v, "user", &e->user);
  case LK_DOMAIN:
    return get_string(c, v, "domain", &e->domain);
  case LK_SID:
    return get_sid(c, v, e);
  case LK_LOGON_TYPE:
    return get_logon_type(c, v, &e->logon_type);
  case LK_AUTH:
    return get_string(c, v, "auth_package", &e->auth_package);
  case LK_SESSION:
    return get_u32(c, v, "session", 0, UINT32_MAX, &e->session);
  case LK_LOGON_TIME:
    e->has_logon_time = 1;
    return get_int(c, v, "logon_time", -MAX_LOGON_TIME, MAX_LOGON_TIME, &e->logon_time);
  case LK_UPN:
    return get_string(c, v, "upn", &e->upn);
  case LK_SERVER:
    return get_string(c, v, "logon_server", &e->logon_server);
  case LK_DNS:
    return get_string(c, v, "dns_domain", &e->dns_domain);
  case LK_FROM:
    return get_u32(c, v, "from", 0, (uint32_t)MAX_STEP, &e->from);
  case LK_UNTIL:
    c->logon_until_marks[idx] = node_mark(v);
    return get_u32(c, v, "until", 0, (uint32_t)MAX_STEP, &e->until);
  case LK_STATUS:
    return get_u32(c, v, "data_status", 1, UINT32_MAX, &e->data_status);
  default:
    return LW_EINVAL;
  }
}

static void free_logon(struct lw_scenario_logon *e) {
  free(e->user);
  free(e->domain);
  free(e->sid);
  free(e->auth_package);
  free(e->upn);
  free(e->logon_server);
  free(e->dns_domain);
}

static int grow(struct ctx *c, void **arr, size_t *cap, size_t need, size_t elem,
                const yaml_node_t *at) {
  void *n;
  size_t newcap;
  if (need <= *cap) {
    return 0;
  }
  newcap = *cap ? *cap * 2 : 16;
  while (newcap < need) {
    newcap *= 2;
  }
  n = realloc(*arr, newcap * elem);
  if (n == NULL) {
    return fail(c, node_mark(at), LW_ENOMEM, "out of memory");
  }
  *arr = n;
  *cap = newcap;
  return 0;
}

/* Grows every array that runs parallel to sc->logons (or sc->wts). */
static int grow_entries(struct ctx *c, int wts, const yaml_node_t *at) {
  struct lw_scenario *sc = c->sc;
  size_t cap = wts ? c->cap_wts : c->cap_logons, need = (wts ? sc->n_wts : sc->n_logons) + 1;
  size_t c1 = cap, c2 = cap, c3 = cap;
  int rc;
  if (need <= cap) {
    return 0;
  }
  if (wts) {
    rc = grow(c, (void **)&sc->wts, &c1, need, sizeof *sc->wts, at);
    if (rc == 0) {
      rc = grow(c, (void **)&c->id_marks, &c2, need, sizeof *c->id_marks, at);
    }
    if (rc == 0) {
      rc = grow(c, (void **)&c->wts_until_marks, &c3, need, sizeof *c->wts_until_marks, at);
    }
    if (rc == 0) {
      c->cap_wts = c1;
    }
  } else {
    rc = grow(c, (void **)&sc->logons, &c1, need, sizeof *sc->logons, at);
    if (rc == 0) {
      rc = grow(c, (void **)&c->luid_marks, &c2, need, sizeof *c->luid_marks, at);
    }
    if (rc == 0) {
      rc = grow(c, (void **)&c->logon_until_marks, &c3, need, sizeof *c->logon_until_marks, at);
    }
    if (rc == 0) {
      c->cap_logons = c1;
    }
  }
  /* every grow doubles the same way, so the arrays stay the same capacity */
  return rc;
}

static int parse_logon(struct ctx *c, const yaml_node_t *node) {
  struct lw_scenario_logon *e;
  uint32_t seen = 0;
  size_t idx;
  int rc;
  if (node->type != YAML_MAPPING_NODE) {
    return fail(c, node_mark(node), LW_ETYPE, "a logon session must be a mapping, not %s",
                is_null(node) ? "null" : node_kind(node));
  }
  rc = grow_entries(c, 0, node);
  if (rc != 0) {
    return rc;
  }
  idx = c->sc->n_logons;
  e = &c->sc->logons[idx];
  memset(e, 0, sizeof *e);
  e->until = LW_SCENARIO_FOREVER;
  e->line = node_mark(node).line;
  e->column = node_mark(node).column;
  c->luid_marks[idx] = node_mark(node);
  c->logon_until_marks[idx] = node_mark(node);
  rc = walk_mapping(c, node, "a logon session", logon_keys, LK_COUNT, logon_allowed, logon_pair, e,
                    &seen);
  c->sc->n_logons++; /* so lw_scenario_free frees what was parsed, even on error */
  if (rc == 0) {
    rc = require_keys(c, node, "a logon session", logon_keys, LOGON_REQUIRED, seen);
  }
  if (rc == 0 && e->auth_package == NULL) {
    e->auth_package = malloc(sizeof "Negotiate");
    if (e->auth_package == NULL) {
      return fail(c, node_mark(node), LW_ENOMEM, "out of memory");
    }
    memcpy(e->auth_package, "Negotiate", sizeof "Negotiate");
  }
  if (rc == 0) {
    rc = check_range(c, e->from, e->until, c->logon_until_marks[idx]);
  }
  return rc;
}

/* ---------------------------------------------------------------- WTS sessions */

enum { WK_ID, WK_STATION, WK_USER, WK_DOMAIN, WK_CLIENT, WK_STATE, WK_FROM, WK_UNTIL, WK_COUNT };

static const char *const wts_keys[WK_COUNT] = {"id",     "station", "user", "domain",
                                               "client", "state",   "from", "until"};
static const char wts_allowed[] = "id, station, user, domain, client, state, from, until";
#define WTS_REQUIRED ((1u << WK_ID) | (1u << WK_STATION) | (1u << WK_STATE))

static int wts_pair(struct ctx *c, int key, const yaml_node_t *v, void *arg) {
  struct lw_scenario_wts *e = arg;
  size_t idx = c->sc->n_wts;
  switch (key) {
  case WK_ID:
    c->id_marks[idx] = node_mark(v);
    return get_u32(c, v, "id", 0, UINT32_MAX - 1, &e->id);
  case WK_STATION:
    return get_string(c, v, "station", &e->station);
  case WK_USER:
    return get_string(c, v, "user", &e->user);
  case WK_DOMAIN:
    return get_string(c, v, "domain", &e->domain);
  case WK_CLIENT:
    return get_string(c, v, "client", &e->client);
  case WK_STATE:
    return get_state(c, v, &e->state);
  case WK_FROM:
    return get_u32(c, v, "from", 0, (uint32_t)MAX_STEP, &e->from);
  case WK_UNTIL:
    c->wts_until_marks[idx] = node_mark(v);
    return get_u32(c, v, "until", 0, (uint32_t)MAX_STEP, &e->until);
  default:
    return LW_EINVAL;
  }
}

static void free_wts(struct lw_scenario_wts *e) {
  free(e->station);
  free(e->user);
  free(e->domain);
  free(e->client);
}

static int parse_wts(struct ctx *c, const yaml_node_t *node) {
  struct lw_scenario_wts *e;
  uint32_t seen = 0;
  size_t idx;
  int rc;
  if (node->type != YAML_MAPPING_NODE) {
    return fail(c, node_mark(node), LW_ETYPE, "a WTS session must be a mapping, not %s",
                is_null(node) ? "null" : node_kind(node));
  }
  rc = grow_entries(c, 1, node);
  if (rc != 0) {
    return rc;
  }
  idx = c->sc->n_wts;
  e = &c->sc->wts[idx];
  memset(e, 0, sizeof *e);
  e->until = LW_SCENARIO_FOREVER;
  e->line = node_mark(node).line;
  e->column = node_mark(node).column;
  c->id_marks[idx] = node_mark(node);
  c->wts_until_marks[idx] = node_mark(node);
  rc = walk_mapping(c, node, "a WTS session", wts_keys, WK_COUNT, wts_allowed, wts_pair, e, &seen);
  c->sc->n_wts++; /* so lw_scenario_free frees what was parsed, even on error */
  if (rc == 0) {
    rc = require_keys(c, node, "a WTS session", wts_keys, WTS_REQUIRED, seen);
  }
  if (rc == 0) {
    rc = check_range(c, e->from, e->until, c->wts_until_marks[idx]);
  }
  return rc;
}

/* ---------------------------------------------------------------- top level */

enum { TK_HOST, TK_STEPS, TK_LOGONS, TK_WTS, TK_COUNT };
static const char *const top_keys[TK_COUNT] = {"host", "steps", "logon_sessions", "wts_sessions"};
static const char top_allowed[] = "host, steps, logon_sessions, wts_sessions";

static int parse_list(struct ctx *c, const yaml_node_t *v, const char *key, int wts) {
  yaml_node_item_t *it;
  if (v->type != YAML_SEQUENCE_NODE) {
    return fail(c, node_mark(v), LW_ETYPE, "'%s' must be a list (write [] for none), not %s", key,
                is_null(v) ? "null" : node_kind(v));
  }
  for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
    yaml_node_t *item = yaml_document_get_node(c->doc, *it);
    int rc;
    if (item == NULL) {
      return fail(c, node_mark(v), LW_ESYNTAX, "malformed list");
    }
    rc = wts ? parse_wts(c, item) : parse_logon(c, item);
    if (rc != 0) {
      return rc;
    }
  }
  return 0;
}

static int top_pair(struct ctx *c, int key, const yaml_node_t *v, void *arg) {
  (void)arg;
  switch (key) {
  case TK_HOST:
    return get_string(c, v, "host", &c->sc->host);
  case TK_STEPS:
    return get_u32(c, v, "steps", 1, (uint32_t)MAX_STEP, &c->sc->steps);
  case TK_LOGONS:
    return parse_list(c, v, "logon_sessions", 0);
  case TK_WTS:
    return parse_list(c, v, "wts_sessions", 1);
  default:
    return LW_EINVAL;
  }
}

/* ---------------------------------------------------------------- overlaps */

struct order_item {
  uint64_t key;
  uint32_t from, until;
  size_t idx;
};

static int cmp_order(const void *a, const void *b) {
  const struct order_item *x = a, *y = b;
  if (x->key != y->key) {
    return x->key < y->key ? -1 : 1;
  }
  if (x->from != y->from) {
    return x->from < y->from ? -1 : 1;
  }
  return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* Sorts the entries by (key, from) into *order and rejects two entries with
 * the same key alive at the same step. */
static int build_order(struct ctx *c, int wts, size_t n, size_t **order) {
  struct order_item *items = NULL;
  size_t i, run_start = 0, holder = 0;
  uint32_t max_until = 0;
  int rc = 0;
  *order = malloc((n ? n : 1) * sizeof **order);
  items = malloc((n ? n : 1) * sizeof *items);
  if (*order == NULL || items == NULL) {
    rc = LW_ENOMEM;
    snprintf(c->err, c->errlen, "%s: out of memory", c->name);
    goto cleanup;
  }
  for (i = 0; i < n; i++) {
    items[i].key = wts ? c->sc->wts[i].id : c->sc->logons[i].luid;
    items[i].from = wts ? c->sc->wts[i].from : c->sc->logons[i].from;
    items[i].until = wts ? c->sc->wts[i].until : c->sc->logons[i].until;
    items[i].idx = i;
  }
  qsort(items, n, sizeof *items, cmp_order);
  for (i = 0; i < n; i++) {
    if (i == 0 || items[i].key != items[run_start].key) {
      run_start = i;
      max_until = items[i].until;
      holder = items[i].idx;
    } else if (items[i].from < max_until) {
      size_t a = holder, b = items[i].idx, later = a > b ? a : b, earlier = a > b ? b : a;
      struct mark m = wts ? c->id_marks[later] : c->luid_marks[later];
      uint32_t line = wts ? c->sc->wts[earlier].line : c->sc->logons[earlier].line;
      if (wts) {
        rc = fail(c, m, LW_EINVAL,
                  "WTS session id %lu is alive twice at step %lu (also in the entry at line %lu)",
                  (unsigned long)items[i].key, (unsigned long)items[i].from, (unsigned long)line);
      } else {
        rc = fail(c, m, LW_EINVAL,
                  "LUID %08lx:%08lx is alive twice at step %lu (also in the entry at line %lu)",
                  (unsigned long)(items[i].key >> 32), (unsigned long)(items[i].key & 0xffffffffu),
                  (unsigned long)items[i].from, (unsigned long)line);
      }
      goto cleanup;
    } else if (items[i].until > max_until) {
      max_until = items[i].until;
      holder = items[i].idx;
    }
  }
  for (i = 0; i < n; i++) {
    (*order)[i] = items[i].idx;
  }
cleanup:
  free(items);
  return rc;
}

/* ---------------------------------------------------------------- loading */

/* Line and column (1-based) of a byte offset, for reader errors (which libyaml
 * reports by offset only). */
static struct mark offset_mark(const char *data, size_t len, size_t offset) {
  struct mark m = {1, 1};
  size_t i;
  for (i = 0; i < offset && i < len; i++) {
    if (data[i] == '\n') {
      m.line++;
      m.column = 1;
    } else if (((unsigned char)data[i] & 0xC0) != 0x80) {
      m.column++;
    }
  }
  return m;
}

static int yaml_failure(struct ctx *c, const yaml_parser_t *p, const char *data, size_t len) {
  struct mark m;
  if (p->error == YAML_MEMORY_ERROR) {
    snprintf(c->err, c->errlen, "%s: out of memory", c->name);
    return LW_ENOMEM;
  }
  if (p->error == YAML_READER_ERROR) {
    m = offset_mark(data, len, p->problem_offset);
    return fail(c, m, LW_ESYNTAX, "%s (the file must be UTF-8 text)",
                p->problem ? p->problem : "unreadable input");
  }
  m.line = (uint32_t)p->problem_mark.line + 1;
  m.column = (uint32_t)p->problem_mark.column + 1;
  if (p->context != NULL) {
    return fail(c, m, LW_ESYNTAX, "%s %s (line %lu)", p->problem ? p->problem : "syntax error",
                p->context, (unsigned long)p->context_mark.line + 1);
  }
  return fail(c, m, LW_ESYNTAX, "%s", p->problem ? p->problem : "syntax error");
}

/* Refuses the first anchor or alias, at its position. Aliases multiply a small
 * file's nodes (and, with merge keys, the time to walk them: issue 14); a
 * scenario writes its entries out. A syntax error ends the pass quietly: the
 * document load that follows reports it. */
static int refuse_aliases(struct ctx *c, const char *data, size_t len) {
  yaml_parser_t p;
  int rc = 0, done = 0;
  if (!yaml_parser_initialize(&p)) {
    snprintf(c->err, c->errlen, "%s: out of memory", c->name);
    return LW_ENOMEM;
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
  while (rc == 0 && !done) {
    yaml_event_t ev;
    const yaml_char_t *anchor = NULL;
    struct mark m;
    if (!yaml_parser_parse(&p, &ev)) {
      break;
    }
    m.line = (uint32_t)ev.start_mark.line + 1;
    m.column = (uint32_t)ev.start_mark.column + 1;
    if (ev.type == YAML_SCALAR_EVENT) {
      anchor = ev.data.scalar.anchor;
    } else if (ev.type == YAML_MAPPING_START_EVENT) {
      anchor = ev.data.mapping_start.anchor;
    } else if (ev.type == YAML_SEQUENCE_START_EVENT) {
      anchor = ev.data.sequence_start.anchor;
    }
    if (ev.type == YAML_ALIAS_EVENT) {
      rc = fail(c, m, LW_EINVAL, "aliases (*%s) are not supported; write the value out",
                (const char *)ev.data.alias.anchor);
    } else if (anchor != NULL) {
      rc = fail(c, m, LW_EINVAL, "anchors (&%s) are not supported", (const char *)anchor);
    }
    done = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&p);
  return rc;
}

int lw_scenario_load_buffer(const char *name, const char *data, size_t len,
                            struct lw_scenario **out, char *err, size_t errlen) {
  struct ctx c;
  yaml_parser_t parser;
  yaml_document_t doc, extra;
  int have_parser = 0, have_doc = 0, rc = 0;
  yaml_node_t *root;
  uint32_t seen = 0;
  size_t name_len = strlen(name);

  memset(&c, 0, sizeof c);
  c.name = name;
  c.err = err;
  c.errlen = errlen;
  c.doc = &doc;
  if (errlen > 0) {
    err[0] = '\0';
  }
  *out = NULL;
  c.sc = calloc(1, sizeof *c.sc);
  if (c.sc == NULL || (c.sc->name = malloc(name_len + 1)) == NULL) {
    snprintf(err, errlen, "%s: out of memory", name);
    rc = LW_ENOMEM;
    goto cleanup;
  }
  memcpy(c.sc->name, name, name_len + 1);

  rc = refuse_aliases(&c, data, len);
  if (rc != 0) {
    goto cleanup;
  }
  if (!yaml_parser_initialize(&parser)) {
    snprintf(err, errlen, "%s: out of memory", name);
    rc = LW_ENOMEM;
    goto cleanup;
  }
  have_parser = 1;
  yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
  if (!yaml_parser_load(&parser, &doc)) {
    rc = yaml_failure(&c, &parser, data, len);
    goto cleanup;
  }
  have_doc = 1;
  root = yaml_document_get_root_node(&doc);
  if (root == NULL) {
    struct mark m = {1, 1};
    rc = fail(&c, m, LW_EINVAL, "the scenario is empty (expected a mapping with 'steps')");
    goto cleanup;
  }
  if (root->type != YAML_MAPPING_NODE) {
    rc = fail(&c, node_mark(root), LW_ETYPE,
              "a scenario must be a mapping (host, steps, logon_sessions, wts_sessions), not %s",
              node_kind(root));
    goto cleanup;
  }
  rc = walk_mapping(&c, root, "the scenario", top_keys, TK_COUNT, top_allowed, top_pair, NULL,
                    &seen);
  if (rc == 0 && !(seen & (1u << TK_STEPS))) {
    rc = fail(&c, node_mark(root), LW_EINVAL, "the scenario is missing the required key 'steps'");
  }
  if (rc != 0) {
    goto cleanup;
  }
  /* A second document is a mistake (a stray `---`), not something to ignore. */
  if (!yaml_parser_load(&parser, &extra)) {
    rc = yaml_failure(&c, &parser, data, len);
    goto cleanup;
  }
  root = yaml_document_get_root_node(&extra);
  if (root != NULL) {
    rc = fail(&c, node_mark(root), LW_ESYNTAX, "a scenario file holds one YAML document only");
  }
  yaml_document_delete(&extra);
  if (rc != 0) {
    goto cleanup;
  }
  rc = build_order(&c, 0, c.sc->n_logons, &c.sc->logon_order);
  if (rc == 0) {
    rc = build_order(&c, 1, c.sc->n_wts, &c.sc->wts_order);
  }
  if (rc == 0) {
    *out = c.sc;
    c.sc = NULL;
  }
cleanup:
  if (have_doc) {
    yaml_document_delete(&doc);
  }
  if (have_parser) {
    yaml_parser_delete(&parser);
  }
  free(c.luid_marks);
  free(c.logon_until_marks);
  free(c.id_marks);
  free(c.wts_until_marks);
  lw_scenario_free(c.sc);
  return rc;
}

int lw_scenario_load(const char *path, struct lw_scenario **out, char *err, size_t errlen) {
  FILE *f = NULL;
  char *data = NULL;
  size_t len = 0, cap = 0;
  int rc = 0;
  *out = NULL;
  if (errlen > 0) {
    err[0] = '\0';
  }
  f = fopen(path, "rb");
  if (f == NULL) {
    int e = errno;
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
    rc = e == ENOENT ? LW_ENOENT : e == EACCES ? LW_EACCES : LW_EIO;
    goto cleanup;
  }
  for (;;) {
    size_t got;
    if (len == cap) {
      char *n;
      if (cap >= MAX_FILE_BYTES) {
        snprintf(err, errlen, "%s: larger than %u bytes", path, MAX_FILE_BYTES);
        rc = LW_ERANGE;
        goto cleanup;
      }
      cap = cap ? cap * 2 : 65536;
      n = realloc(data, cap);
      if (n == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = LW_ENOMEM;
        goto cleanup;
      }
      data = n;
    }
    got = fread(data + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      break;
    }
  }
  if (ferror(f)) {
    snprintf(err, errlen, "%s: read error", path);
    rc = LW_EIO;
    goto cleanup;
  }
  rc = lw_scenario_load_buffer(path, data ? data : "", len, out, err, errlen);
cleanup:
  if (f != NULL) {
    fclose(f);
  }
  free(data);
  return rc;
}

void lw_scenario_free(struct lw_scenario *sc) {
  size_t i;
  if (sc == NULL) {
    return;
  }
  for (i = 0; i < sc->n_logons; i++) {
    free_logon(&sc->logons[i]);
  }
  for (i = 0; i < sc->n_wts; i++) {
    free_wts(&sc->wts[i]);
  }
  free(sc->logons);
  free(sc->wts);
  free(sc->logon_order);
  free(sc->wts_order);
  free(sc->host);
  free(sc->name);
  free(sc);
}

/* ---------------------------------------------------------------- queries */

uint32_t lw_scenario_clamp_step(const struct lw_scenario *sc, uint64_t step) {
  return step >= sc->steps ? sc->steps - 1 : (uint32_t)step;
}

int lw_scenario_logon_alive(const struct lw_scenario_logon *e, uint32_t step) {
  return e->from <= step && step < e->until;
}

int lw_scenario_wts_alive(const struct lw_scenario_wts *e, uint32_t step) {
  return e->from <= step && step < e->until;
}

size_t lw_scenario_logons_at(const struct lw_scenario *sc, uint32_t step,
                             const struct lw_scenario_logon **out, size_t cap) {
  size_t i, n = 0;
  for (i = 0; i < sc->n_logons; i++) {
    if (lw_scenario_logon_alive(&sc->logons[i], step)) {
      if (n < cap) {
        out[n] = &sc->logons[i];
      }
      n++;
    }
  }
  return n;
}

size_t lw_scenario_wts_at(const struct lw_scenario *sc, uint32_t step,
                          const struct lw_scenario_wts **out, size_t cap) {
  size_t i, n = 0;
  for (i = 0; i < sc->n_wts; i++) {
    if (lw_scenario_wts_alive(&sc->wts[i], step)) {
      if (n < cap) {
        out[n] = &sc->wts[i];
      }
      n++;
    }
  }
  return n;
}

const struct lw_scenario_logon *lw_scenario_find_logon(const struct lw_scenario *sc, uint32_t step,
                                                       uint64_t luid) {
  size_t lo = 0, hi = sc->n_logons;
  while (lo < hi) { /* first entry with key >= luid */
    size_t mid = lo + (hi - lo) / 2;
    if (sc->logons[sc->logon_order[mid]].luid < luid) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  for (; lo < sc->n_logons && sc->logons[sc->logon_order[lo]].luid == luid; lo++) {
    const struct lw_scenario_logon *e = &sc->logons[sc->logon_order[lo]];
    if (lw_scenario_logon_alive(e, step)) {
      return e;
    }
  }
  return NULL;
}

const struct lw_scenario_wts *lw_scenario_find_wts(const struct lw_scenario *sc, uint32_t step,
                                                   uint32_t id) {
  size_t lo = 0, hi = sc->n_wts;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (sc->wts[sc->wts_order[mid]].id < id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  for (; lo < sc->n_wts && sc->wts[sc->wts_order[lo]].id == id; lo++) {
    const struct lw_scenario_wts *e = &sc->wts[sc->wts_order[lo]];
    if (lw_scenario_wts_alive(e, step)) {
      return e;
    }
  }
  return NULL;
}

int64_t lw_scenario_step_time(uint32_t step) {
  return LW_SCENARIO_EPOCH + (int64_t)step * LW_SCENARIO_STEP_SECONDS;
}

int64_t lw_scenario_logon_time(const struct lw_scenario_logon *e) {
  return e->has_logon_time ? LW_SCENARIO_EPOCH + e->logon_time : lw_scenario_step_time(e->from);
}

static int same_text(const char *a, const char *b) {
  return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

uint32_t lw_scenario_wts_logon_step(const struct lw_scenario *sc, const struct lw_scenario_wts *e) {
  const struct lw_scenario_wts *cur = e;
  size_t i, hops;
  /* Each hop moves to an earlier `from`, so there are at most n_wts of them. */
  for (hops = 0; hops < sc->n_wts; hops++) {
    const struct lw_scenario_wts *prev = NULL;
    for (i = 0; i < sc->n_wts && prev == NULL; i++) {
      const struct lw_scenario_wts *p = &sc->wts[i];
      if (p->id == cur->id && p->until == cur->from && p->from < cur->from &&
          same_text(p->user, cur->user) && same_text(p->domain, cur->domain))
        prev = p;
    }
    if (prev == NULL)
      break;
    cur = prev;
  }
  return cur->from;
}
