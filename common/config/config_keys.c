/*
 * config_keys.c - the configuration's key table and what is done by it (see
 * config.h): values parsed by type, the defaults, copy, compare, the
 * effective configuration written back, free.
 */
#include "config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "ack.h"
#include "duration.h"
#include "error.h"

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
    {"ignore.users", LW_CONFIG_USERS, "", 0, 65536, FIELD(ignore_users), NULL,
     "Users (DOMAIN\\user) whose leaks are recorded but raise no event 2001 or 2007 "
     "(known leaks; `leakwatch ack` for one with a reason and an expiry)."},
    {"ignore.images", LW_CONFIG_IMAGES, "", 0, 65536, FIELD(ignore_images), NULL,
     "Holder images (file names such as agent.exe): leaks held only by them, and their "
     "holders, are recorded but raise no event 2001 or 2007."},
};

#define NKEYS (sizeof keys / sizeof keys[0])
_Static_assert(NKEYS == LW__NKEYS, "LW__NKEYS (config_internal.h) is the number of rows of keys[]");
const struct lw_config_key *const lw__keys = keys;

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

void *lw__config_field(struct lw_config *cfg, const struct lw_config_key *k) {
  return (char *)cfg + k->offset;
}

static const void *cfield_of(const struct lw_config *cfg, const struct lw_config_key *k) {
  return (const char *)cfg + k->offset;
}

/* Length of the section part of a dotted name ("alerts" in "alerts.x"), or 0. */
size_t lw__config_section_len(const char *name) {
  const char *dot = strchr(name, '.');
  return dot == NULL ? 0 : (size_t)(dot - name);
}

bool lw__config_is_owned(const struct lw_config_key *k, const char *s) {
  return s != NULL && s != k->def;
}

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

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
int lw__config_parse_text(const struct lw_config_key *k, const char *s, union lw__config_value *v,
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
  case LW_CONFIG_USERS:
  case LW_CONFIG_IMAGES:
    break;
  }
  return LW_EINVAL;
}

void lw__config_store_value(struct lw_config *cfg, const struct lw_config_key *k,
                            const union lw__config_value *v) {
  void *f = lw__config_field(cfg, k);
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
  case LW_CONFIG_USERS:
  case LW_CONFIG_IMAGES:
    break;
  }
}

void lw_config_defaults(struct lw_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  for (size_t i = 0; i < NKEYS; i++) {
    const struct lw_config_key *k = &keys[i];
    if (lw_config_type_is_text(k->type)) {
      *(const char **)lw__config_field(cfg, k) = k->def;
    } else {
      union lw__config_value v;
      const char *why;
      int rc = lw__config_parse_text(k, k->def, &v, &why);
      assert(rc == 0 && "a default in the key table does not parse");
      if (rc == 0) {
        lw__config_store_value(cfg, k, &v);
      }
    }
  }
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
    if (!lw_config_type_is_text(k->type)) {
      continue;
    }
    slot = (const char **)lw__config_field(&tmp, k);
    if (lw__config_is_owned(k, *slot)) {
      size_t n = strlen(*slot) + 1;
      char *copy = malloc(n);
      if (copy == NULL) {
        for (size_t j = 0; j < i; j++) {
          const char **done = (const char **)lw__config_field(&tmp, &keys[j]);
          if (lw_config_type_is_text(keys[j].type) && lw__config_is_owned(&keys[j], *done)) {
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
    case LW_CONFIG_PATH:
    case LW_CONFIG_USERS:
    case LW_CONFIG_IMAGES: {
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

/* A list (one name a line) as a YAML flow sequence of single-quoted names:
 * ['CONTOSO\svc', 'agent.exe'], [] when empty. Heap; NULL when out of memory. */
static char *list_text(const char *s) {
  size_t need = 3, o = 0;
  char *out;
  for (const char *p = s; *p != '\0'; p++)
    need += *p == '\'' ? 2 : *p == '\n' ? 4 : 1;
  need += 2;
  out = malloc(need);
  if (out == NULL)
    return NULL;
  out[o++] = '[';
  if (*s != '\0')
    out[o++] = '\'';
  for (const char *p = s; *p != '\0'; p++) {
    if (*p == '\n') {
      memcpy(out + o, "', '", 4);
      o += 4;
      continue;
    }
    if (*p == '\'')
      out[o++] = '\'';
    out[o++] = *p;
  }
  if (*s != '\0')
    out[o++] = '\'';
  out[o++] = ']';
  out[o] = '\0';
  return out;
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
  case LW_CONFIG_USERS:
  case LW_CONFIG_IMAGES: {
    const char *s = *(const char *const *)f;
    if (s == NULL)
      return LW_EINVAL;
    *heap = list_text(s);
    return *heap != NULL ? 0 : LW_ENOMEM;
  }
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
  size_t sl = lw__config_section_len(k->name);
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
    size_t sl = lw__config_section_len(keys[i].name);
    if (sl > 0 && (i == 0 || lw__config_section_len(keys[i - 1].name) != sl ||
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
    if (lw_config_type_is_text(k->type)) {
      const char *s = *(const char **)lw__config_field(cfg, k);
      if (lw__config_is_owned(k, s)) {
        free((void *)s);
      }
    }
  }
  lw_config_defaults(cfg);
}

/* ------------------------------------------------------------------------ */
/* Lists (ignore.users, ignore.images)                                      */
/* ------------------------------------------------------------------------ */

int lw__config_list_add(const struct lw_config_key *k, const char *s, size_t n,
                        struct lw__config_list *acc, char *why, size_t whylen) {
  char norm[LW_ACK_TARGET_MAX], shown[256], what[LW_ACK_TARGET_MAX + 160];
  int kind = k->type == LW_CONFIG_USERS ? LW_ACK_USER : LW_ACK_IMAGE;
  int rc;
  lw__config_show_value(s, n, shown, sizeof shown);
  if (strlen(s) != n) {
    (void)snprintf(why, whylen, "%s: '%s' contains a NUL character", k->name, shown);
    return LW_ESYNTAX;
  }
  rc = lw_ack_parse_target(kind, s, NULL, norm, sizeof norm, what, sizeof what);
  if (rc != 0) {
    (void)snprintf(why, whylen, "%s: %s", k->name, what);
    return rc == LW_ERANGE ? LW_ERANGE : LW_ESYNTAX;
  }
  if (acc->len + n + 2 > (size_t)k->max) {
    (void)snprintf(why, whylen, "%s: the list is longer than %lu bytes", k->name,
                   (unsigned long)k->max);
    return LW_ERANGE;
  }
  char *grown = realloc(acc->text, acc->len + n + 2);
  if (grown == NULL) {
    (void)snprintf(why, whylen, "%s: out of memory", k->name);
    return LW_ENOMEM;
  }
  acc->text = grown;
  if (acc->len > 0)
    acc->text[acc->len++] = '\n';
  memcpy(acc->text + acc->len, norm, n);
  acc->len += n;
  acc->text[acc->len] = '\0';
  return 0;
}

int lw__config_list_store(struct lw_config *cfg, const struct lw_config_key *k,
                          struct lw__config_list *acc) {
  const char **slot = (const char **)lw__config_field(cfg, k);
  if (lw__config_is_owned(k, *slot))
    free((void *)*slot);
  *slot = acc->text != NULL ? acc->text : k->def;
  acc->text = NULL;
  acc->len = 0;
  return 0;
}
