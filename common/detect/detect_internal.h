/*
 * detect_internal.h - what the detector's files share (not a public header).
 *
 * The detector (detect.h) is split by concern, each file calling only the ones
 * after it (no circle; tests/lint/layering.sh): detect.c (the step and its
 * rules), detect_blob.c (the state's saved form), detect_text.c (alert texts,
 * insertion strings, leak episode records) and detect_state.c (the state's
 * string table, lookups and keys).
 */
#ifndef LW_DETECT_INTERNAL_H
#define LW_DETECT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"

#define MINUTE_MS INT64_C(60000)
#define UNKNOWN LW_TIME_UNKNOWN

/* ---- Small helpers, inline: every file uses some ---- */

static inline int nonempty(const char *s) {
  return s != NULL && s[0] != '\0';
}

static inline unsigned char fold(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive compare (names are compared as Windows would for ASCII;
 * the C library's locale-dependent functions are avoided). NULL sorts first. */
static inline int casecmp(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return (a != NULL) - (b != NULL);
  for (;; a++, b++) {
    unsigned char ca = fold((unsigned char)*a), cb = fold((unsigned char)*b);
    if (ca != cb || ca == '\0')
      return (ca > cb) - (ca < cb);
  }
}

/* 1 when LeakWatch saw the logon session before its terminal session was gone:
 * then the end is known (within a poll); 0 when it was orphaned at first sight. */
static inline int lw__detect_end_seen(const struct lw_detect_logon *r) {
  return r->orphaned_since != UNKNOWN && r->first_seen < r->orphaned_since;
}

static inline int64_t minutes_between(int64_t from, int64_t to) {
  if (from == UNKNOWN || to == UNKNOWN || to <= from)
    return 0;
  return (to - from) / MINUTE_MS;
}

/* ---- detect_state.c ---- */

/* Sets *out to the table's copy of s (NULL for NULL). Returns 0 or LW_ENOMEM. */
int lw__detect_intern(struct lw_detect_strings *t, const char *s, const char **out);
/* Grows *arr (elements of `elem` bytes, *cap of them) to hold `need`, doubling.
 * Returns 0 or LW_ENOMEM (the array unchanged). */
int lw__detect_grow(void **arr, size_t *cap, size_t need, size_t elem);
const struct lw_detect_wts *lw__detect_find_wts(const struct lw_detect_wts *w, size_t n,
                                                uint32_t id);
/* The user on a WTS session changed from one name to another: a new session. */
int lw__detect_same_instance(const struct lw_detect_wts *old, const struct lw_wts_session *w);
int lw__detect_accum_key_cmp(uint32_t ta, const char *da, const char *ua, uint32_t tb,
                             const char *db, const char *ub);
/* FNV-1a of (type, folded domain, '\\', folded user): equal keys, equal hashes. */
uint64_t lw__detect_accum_hash(uint32_t type, const char *domain, const char *user);
/* The order of open episodes: hash, then the key itself. */
int lw__detect_accum_order(uint64_t ha, uint32_t ta, const char *da, const char *ua, uint64_t hb,
                           uint32_t tb, const char *db, const char *ub);
/* qsort order of struct lw_detect_accum (the state's accum list). */
int lw__detect_cmp_accum(const void *a, const void *b);
/* A leaked record's terminal session instance, for folding DWM-n/UMFD-n into
 * the user logon session that leaked with them. */
struct lw__leak_key {
  uint32_t ts;
  int64_t instance;
  size_t index; /* into the array it was taken from */
};
/* The leaked records of r[0..n) that are (system) or are not (!system)
 * DWM/UMFD, as keys sorted by (ts, instance, index); *out NULL when none.
 * Returns 0 or LW_ENOMEM. */
int lw__detect_leak_keys(const struct lw_detect_logon *r, size_t n, int system,
                         struct lw__leak_key **out, size_t *n_out);
/* The first key of (ts, instance) in k[0..n), sorted; n when none. */
size_t lw__detect_leak_key_find(const struct lw__leak_key *k, size_t n, uint32_t ts,
                                int64_t instance);
/* qsort order of pinned records (struct lw_detect_logon *): by terminal session,
 * user logons before DWM/UMFD, then LUID. */
int lw__detect_cmp_pinned(const void *a, const void *b);
/* Collects the state's string pointers (NULL skipped) into a new array sorted by
 * content, each string once (interned: one pointer per content). Returns it (NULL with *n = 0 when
 * there are none) or sets *err. */
const char **lw__detect_referenced_strings(const struct lw_detect_state *st, size_t *n, int *err);
/* Drops strings nothing references once they outnumber the referenced ones 4 to 1
 * (user names of long-gone sessions). Best effort: out of memory skips it. */
void lw__detect_strings_compact(struct lw_detect_state *st);

/* ---- detect_text.c ---- */

/* A growing text buffer; `oom` is sticky so callers check once at the end. */
struct lw__sbuf {
  char *p;
  size_t len, cap;
  int oom;
};

/* A list of alerts under construction. */
struct lw__alert_vec {
  struct lw_alert *v;
  size_t n, cap;
};

void lw__detect_alerts_free(struct lw__alert_vec *a);
/* Appends an initialised alert; NULL when out of memory. */
struct lw_alert *lw__detect_alert_new(struct lw__alert_vec *a, uint32_t event_id, int64_t at);
/* Copies optional strings; returns 0 or LW_ENOMEM (copies made so far stay with
 * their owner, which frees them). */
int lw__detect_copy_who(char **user_out, char **domain_out, const char *user, const char *domain);
/* Set insertion string `at` (an LW_INSERT_<ID>_<NAME> of alert_policy.h) to text,
 * a number; a user and a domain ("(unknown)" when empty) at two positions; a logon
 * type's code and name ("10", "RemoteInteractive"; "unknown") at two positions.
 * Return 0 or LW_ENOMEM. */
int lw__detect_ins(struct lw_alert *a, size_t at, const char *text);
int lw__detect_ins_u(struct lw_alert *a, size_t at, uint64_t v);
int lw__detect_ins_who(struct lw_alert *a, size_t at_user, size_t at_domain, const char *user,
                       const char *domain);
int lw__detect_ins_type(struct lw_alert *a, size_t at_code, size_t at_name, uint32_t type);
/* The highest session ID in use, or "none" when no session is live. */
int lw__detect_ins_highest(struct lw_alert *a, size_t at, int any_live, uint32_t highest);
/* Adds a leak episode change; NULL when out of memory. */
struct lw_leak_change *lw__detect_change_new(struct lw_detect_output *out, int kind,
                                             int64_t boot_time, const struct lw_detect_logon *r);
/* 2001 and LW_LEAK_OPENED for a record that has just leaked, listing the n_sys
 * DWM-n/UMFD-n records folded into it; `holders` is its HOLDERS text. */
int lw__detect_raise_leaked(struct lw__alert_vec *av, struct lw_detect_output *out,
                            int64_t boot_time, const struct lw_detect_logon *r, int64_t now,
                            const struct lw_detect_logon *const *sys, size_t n_sys,
                            const char *holders);
/* LW_LEAK_RELEASED for a leaked record that is gone (or no longer orphaned) at
 * `now`, with its 2002 when `alert`. */
int lw__detect_raise_released(struct lw__alert_vec *av, struct lw_detect_output *out,
                              int64_t boot_time, const struct lw_detect_logon *r, int64_t now,
                              int alert);
/* Appends text to b (sticky oom). */
void lw__detect_sb_add(struct lw__sbuf *b, const char *s);
/* 2003's ID_RANGES and 2009's PINNED_RANGES, and 2003's PINNED_BY, from the
 * pinned records p sorted by lw__detect_cmp_pinned (n_ids distinct IDs). Return 0
 * or LW_ENOMEM. */
int lw__detect_pinned_ranges(struct lw__sbuf *b, struct lw_detect_logon *const *p, size_t n);
int lw__detect_pinned_by(struct lw__sbuf *b, struct lw_detect_logon *const *p, size_t n,
                         size_t n_ids);

/* ---- detect_ack.c ---- */

/* Marks a 2001 acknowledged when an entry of `acks` in force at `now` covers
 * its leak (by LUID or user). Anything else is left alone. */
void lw__detect_withhold_known(struct lw_alert *a, const struct lw_ack_set *acks, int64_t now);

/* ---- detect_summary.c ---- */

/* Fills 2009's REASON and the leaks' state (OPEN_LEAKS .. LIVE_SESSIONS) of
 * *a from the leak records (sorted by LUID) and the WTS sessions (sorted by
 * ID). Returns 0 or LW_ENOMEM. */
int lw__detect_summary_state(struct lw_alert *a, const char *reason,
                             const struct lw_detect_logon *logons, size_t n_logons,
                             const struct lw_detect_wts *wts, size_t n_wts);

#endif /* LW_DETECT_INTERNAL_H */
