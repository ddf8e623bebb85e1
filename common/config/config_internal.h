/*
 * config_internal.h - what the configuration's files share (not a public header).
 *
 * config_file.c (files) calls config.c (the loader: prescan, libyaml's event
 * walk), which calls config_text.c (diagnostics: expected forms, values shown in messages, "did
 * you mean") and config_keys.c (the key table, values by type, defaults, copy,
 * compare, write); config_text.c calls none of them. No circle
 * (tests/lint/layering.sh).
 */
#ifndef LW_CONFIG_INTERNAL_H
#define LW_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The number of rows of the key table (config_keys.c checks it at compile time). */
#define LW__NKEYS 15

/* The key table: one row per key, the only place keys are defined. */
extern const struct lw_config_key *const lw__keys;

static inline int ascii_lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* A parsed non-string value. */
union lw__config_value {
  int64_t ms;
  uint32_t u;
  int e;
  bool b;
};

/* Keeps the closest candidate within distance 2 (the first one on ties); a
 * word of 3 or more characters that starts a candidate ("warn" for
 * "warning") counts as distance 2. */
struct lw__config_suggestion {
  const char *name;
  size_t len;
  size_t dist;
};

/* ---- config.c ---- */

/* The largest configuration file, in bytes (BOM included). */
#define LW__CONFIG_MAX_FILE_BYTES (1024 * 1024)
/* Decodes one UTF-8 character at p (left bytes). Returns its length, or 0
 * if the bytes are not valid UTF-8 (overlong, surrogate, > U+10FFFF, cut). */
size_t lw__config_utf8_decode(const unsigned char *p, size_t left, uint32_t *cp);

/* ---- config_keys.c ---- */

/* A list key's value being read: names one a line. */
struct lw__config_list {
  char *text;
  size_t len;
};
/* Room for lw__config_list_add's message. */
#define LW__CONFIG_LIST_WHY 800
/* Checks one item (n bytes at s) of list key k as ack.h does for its kind
 * and appends it. Returns 0, or LW_ESYNTAX / LW_ERANGE / LW_ENOMEM with
 * "KEY: 'value' is not ..." in why. */
int lw__config_list_add(const struct lw_config_key *k, const char *s, size_t n,
                        struct lw__config_list *acc, char *why, size_t whylen);
/* Moves the list into cfg's field of k (an empty list is the default).
 * Returns 0. */
int lw__config_list_store(struct lw_config *cfg, const struct lw_config_key *k,
                          struct lw__config_list *acc);

void *lw__config_field(struct lw_config *cfg, const struct lw_config_key *k);
/* Length of the section part of a dotted name ("alerts" in "alerts.x"), or 0. */
size_t lw__config_section_len(const char *name);
bool lw__config_is_owned(const struct lw_config_key *k, const char *s);
/* Parses the text of a non-string value by its key's type, without range
 * checks. Returns 0 or LW_ESYNTAX/LW_ERANGE with *why set (may be NULL for
 * enum and bool, whose message lists the names instead). */
int lw__config_parse_text(const struct lw_config_key *k, const char *s, union lw__config_value *v,
                          const char **why);
void lw__config_store_value(struct lw_config *cfg, const struct lw_config_key *k,
                            const union lw__config_value *v);

/* ---- config_text.c ---- */

/* Formats a number in a key's unit: a duration for durations, else decimal. */
void lw__config_format_bound(const struct lw_config_key *k, int64_t n, char *buf, size_t len);
/* Writes the expected form of a key's value, as said after a bad value. */
void lw__config_form_of(const struct lw_config_key *k, char *buf, size_t len);
/* Copies a value for display: at most ~40 bytes (never cutting a UTF-8
 * character), control characters as \n, \t or \xNN, "..." if cut short. */
void lw__config_show_value(const char *s, size_t n, char *out, size_t outlen);
void lw__config_consider(struct lw__config_suggestion *sg, const char *word, size_t wlen,
                         const char *cand, size_t clen);

#endif /* LW_CONFIG_INTERNAL_H */
