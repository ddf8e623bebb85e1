/*
 * config.h - LeakWatch's configuration: leakwatch.yaml, loaded with libyaml.
 *
 * The file is one YAML mapping of keys; a section such as `alerts:` holds keys
 * one level deeper, named `alerts.max_per_hour` in messages and in the table.
 * Every key is one row of a table (lw_config_keys) giving its name, type,
 * default, range, field and description: the loader, the defaults, the
 * effective-configuration writer and the checks are all driven by it, so a new
 * key is one new row plus one field in struct lw_config.
 *
 * Errors are reported as `FILE:LINE:COLUMN: message`, 1-based, pointing at the
 * offending value (at the key for unknown and duplicate keys), and naming the
 * key, the bad value and the expected form. Only the first error is reported.
 * Codes (all negative, from error.h):
 *   LW_ESYNTAX  not YAML, or a value that is not in its key's form (a duration
 *               without a unit, `10.5` for an integer, an unknown level name,
 *               `maybe` for a bool), tabs in indentation, a NUL byte, invalid
 *               UTF-8 or a control character;
 *   LW_ETYPE    a YAML node of the wrong kind: a mapping or list where a value
 *               is expected (or the reverse), a top level that is not a
 *               mapping, a key that is not a plain name, a missing value;
 *   LW_ERANGE   a well-formed value outside its range, a negative number, a
 *               string that is empty or too long, a file over 1 MiB;
 *   LW_EUNKNOWN an unknown key (with "did you mean ...?" when one is close);
 *   LW_EEXIST   a key given twice;
 *   LW_EINVAL   valid YAML that the configuration does not use: more than one
 *               document, anchors, aliases, tags;
 *   LW_ENOENT, LW_EACCES, LW_EIO  the file cannot be opened or read;
 *   LW_ENOMEM   out of memory.
 */
#ifndef LW_CONFIG_H
#define LW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Values of the `log_level` key, in the order of its names in the table. */
enum lw_log_level { LW_LOG_ERROR = 0, LW_LOG_WARNING, LW_LOG_INFO, LW_LOG_DEBUG };

/*
 * The effective configuration. Strings are UTF-8 and never NULL; they point
 * either at the table's static default or at heap memory owned by the struct
 * (freed by lw_config_free). A struct can be moved (assigned) but not shared:
 * use lw_config_copy for a second owner.
 */
struct lw_config {
  int64_t poll_interval_ms;        /* poll_interval */
  int64_t grace_period_ms;         /* grace_period */
  const char *database;            /* database, as written: service/ expands %VAR% */
  int64_t retention_ms;            /* retention */
  const char *metrics_file;        /* metrics_file: Prometheus textfile, "" = none */
  int log_level;                   /* log_level, an enum lw_log_level */
  const char *readers;             /* readers: local group with read access, "" = none */
  uint32_t gap_threshold;          /* gap_threshold */
  uint32_t accumulation_threshold; /* accumulation_threshold */
  uint32_t alerts_max_per_hour;    /* alerts.max_per_hour */
  int64_t holders_interval_ms;     /* holders.interval */
  bool holders_enabled;            /* holders.enabled */
  int64_t holders_timeout_ms;      /* holders.timeout */
  /* Known leaks that raise no alert (ack.h), one name a line ("" = none): */
  const char *ignore_users;  /* ignore.users: DOMAIN\user */
  const char *ignore_images; /* ignore.images: holder image file names */
};

/* The kinds of value a key can take, and the C type of its field. */
enum lw_config_type {
  LW_CONFIG_DURATION, /* int64_t ms, written as in duration.h (`30s`)   */
  LW_CONFIG_UINT,     /* uint32_t, a non-negative decimal integer      */
  LW_CONFIG_STRING,   /* const char *, any text without control chars  */
  LW_CONFIG_PATH,     /* const char *, a file path, kept as written    */
  LW_CONFIG_ENUM,     /* int, the index of one of `names`              */
  LW_CONFIG_BOOL,     /* bool, true/false (also yes/no, on/off)        */
  LW_CONFIG_USERS,    /* const char *, a YAML list of DOMAIN\user: the
                       * names one a line (ack.h checks each)           */
  LW_CONFIG_IMAGES    /* const char *, a YAML list of image file names  */
};

/* The list types (a YAML sequence in the file). */
static inline bool lw_config_type_is_list(enum lw_config_type t) {
  return t == LW_CONFIG_USERS || t == LW_CONFIG_IMAGES;
}

/* The types whose field is a const char * (text, paths, and the lists). */
static inline bool lw_config_type_is_text(enum lw_config_type t) {
  return t == LW_CONFIG_STRING || t == LW_CONFIG_PATH || t == LW_CONFIG_USERS ||
         t == LW_CONFIG_IMAGES;
}

/* One row of the key table. */
struct lw_config_key {
  const char *name;         /* dotted for a section: "alerts.max_per_hour" */
  enum lw_config_type type; /* kind of value and type of the field */
  const char *def;          /* the default, written as in the file ("60s") */
  int64_t min;              /* duration: ms; uint: value; string/path: bytes */
  int64_t max;              /* same units as min; unused for enum and bool */
  size_t offset;            /* offsetof(struct lw_config, field) */
  const char *const *names; /* enum only: accepted names, NULL-terminated */
  const char *description;  /* one sentence for operators */
};

/* Returns the key table (static, never NULL) and its length in *count. */
const struct lw_config_key *lw_config_keys(size_t *count);

/* Returns the name of a log level ("info"), or "?" if out of range. */
const char *lw_log_level_name(int level);

/*
 * Sets every field of *cfg to its default from the table. *cfg need not be
 * initialised and is not freed first; afterwards it owns no memory. Cannot fail.
 */
void lw_config_defaults(struct lw_config *cfg);

/*
 * Loads the YAML file at `path` (UTF-8, also on Windows). Keys missing from the
 * file keep their defaults; an empty file gives all defaults.
 * Returns 0 and fills *out, or a negative LW_E* code (see above) and leaves
 * *out untouched. *out is overwritten without being freed first: free the old
 * contents yourself. On failure writes `FILE:LINE:COLUMN: message` (or
 * `FILE: cannot open: <reason>`) into err, NUL-terminated and truncated to
 * errlen bytes; err may be NULL if errlen is 0. The caller owns *out and
 * releases it with lw_config_free.
 */
int lw_config_load(const char *path, struct lw_config *out, char *err, size_t errlen);

/*
 * Same as lw_config_load, from `len` bytes at `yaml` (need not be
 * NUL-terminated); `name` stands for the file in messages.
 */
int lw_config_load_string(const char *name, const char *yaml, size_t len, struct lw_config *out,
                          char *err, size_t errlen);

/*
 * Writes the configuration as YAML that lw_config_load reads back to equal
 * values: every key in table order, sections nested, durations in their
 * shortest exact form, strings single-quoted, and `# default: X` after a value
 * that differs from its default. Returns 0, LW_EINVAL if *cfg holds a value no
 * file could give (a NULL string, a level out of range), or LW_EIO if writing
 * to `f` failed.
 */
int lw_config_write_effective(const struct lw_config *cfg, FILE *f);

/*
 * Makes *dst an independent copy of *src. Returns 0, or LW_ENOMEM and leaves
 * *dst untouched. *dst is overwritten without being freed first.
 */
int lw_config_copy(struct lw_config *dst, const struct lw_config *src);

/* Returns true if every key has the same value in *a and *b. */
bool lw_config_equal(const struct lw_config *a, const struct lw_config *b);

/*
 * Frees the strings *cfg owns and resets it to the defaults, so it stays
 * usable and a second call is harmless. NULL is allowed.
 */
void lw_config_free(struct lw_config *cfg);

#endif /* LW_CONFIG_H */
