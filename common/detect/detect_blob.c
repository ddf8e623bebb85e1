/*
 * detect_blob.c - the detector state's saved form (lw_detect_state_save/load,
 * see detect.h), kept in the history database between runs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "error.h"
#include "luid.h"
#include "timefmt.h"

/* ---- Blob --------------------------------------------------------------------
 * "LWDS", version byte, then unsigned LEB128 varints; times as zigzag varints of
 * their difference from the state's boot_time (version 1: last_poll; wrapping
 * arithmetic, so every int64 including LW_TIME_UNKNOWN round-trips); strings
 * once, in a table, referred to by index (0 = NULL); and a CRC-32 (IEEE) of
 * everything before it, little endian. Version 2 (issue 17) differs from 1
 * only in that base: a record that did not change keeps its bytes from one
 * poll to the next, so the store can write what changed (blob_delta.h).
 * Version 1 blobs still load. Layout:
 *   magic version
 *   reserved(0) boot_time last_poll(both zigzag, absolute) polls gap_active gap_last
 *   n_strings { len bytes }
 *   n_wts { id state down_alerted first_seen state_since logon_time user domain }
 *   n_logons { luid_delta terminal_session flags mask first_seen [instance]
 *              [orphaned_since] [leaked_at] [logon_type logon_time user domain] }
 *   n_accum { user domain logon_type last_alerted }
 *   policy_len policy_blob (alert_policy.h's format)
 *   crc32
 * The format is canonical: the loader refuses every blob the saver would not
 * write (over-long varints, a mask the record does not call for, strings out of
 * order or unused, accumulation keys out of order, times no clock gives), so
 * load -> save gives the same bytes and one state has one blob (issue 14;
 * tests/fuzz/ checks it).
 */

#define BLOB_MAGIC "LWDS"
#define BLOB_VERSION 2

#define MASK_INSTANCE 1u
#define MASK_ORPHANED 2u
#define MASK_LEAKED 4u
#define MASK_DETAILS 8u
#define MASK_INST_LIVE 16u /* instance = first_seen of the live WTS instance with its ID */
#define MASK_ALL 31u

/* The time the other times are relative to: fixed for a boot since version 2. */
static int64_t blob_base(const struct lw_detect_state *st, uint64_t version) {
  return version >= 2 ? st->boot_time : st->last_poll;
}

static uint32_t crc_table[256];
static int crc_ready;

static uint32_t crc32_of(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  size_t i;
  if (!crc_ready) {
    uint32_t k, b;
    for (k = 0; k < 256; k++) {
      uint32_t v = k;
      for (b = 0; b < 8; b++)
        v = (v & 1) ? 0xEDB88320u ^ (v >> 1) : v >> 1;
      crc_table[k] = v;
    }
    crc_ready = 1;
  }
  for (i = 0; i < n; i++)
    c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

struct wbuf {
  unsigned char *p;
  size_t len, cap;
  int oom;
};

static void w_bytes(struct wbuf *w, const void *src, size_t n) {
  if (w->oom)
    return;
  if (w->len + n > w->cap) {
    size_t cap = w->cap != 0 ? w->cap : 1024;
    unsigned char *p;
    while (cap < w->len + n)
      cap *= 2;
    p = realloc(w->p, cap);
    if (p == NULL) {
      w->oom = 1;
      return;
    }
    w->p = p;
    w->cap = cap;
  }
  memcpy(w->p + w->len, src, n);
  w->len += n;
}

static void w_var(struct wbuf *w, uint64_t v) {
  unsigned char b[10];
  size_t n = 0;
  do {
    b[n] = (unsigned char)(v & 0x7F);
    v >>= 7;
    if (v != 0)
      b[n] |= 0x80;
    n++;
  } while (v != 0);
  w_bytes(w, b, n);
}

static void w_time(struct wbuf *w, int64_t base, int64_t t) {
  uint64_t d = (uint64_t)t - (uint64_t)base;
  w_var(w, (d << 1) ^ (0 - (d >> 63)));
}

/* Index of p in the sorted unique table (1-based), 0 for NULL. */
static uint64_t str_index(const char **tab, size_t n, const char *p) {
  size_t lo = 0, hi = n;
  if (p == NULL)
    return 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(tab[mid], p) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (uint64_t)lo + 1;
}

/* A logon session record's mask: what the saver writes and the loader requires. */
static uint32_t logon_mask(const struct lw_detect_logon *l, const struct lw_detect_wts *wts,
                           size_t n_wts) {
  const struct lw_detect_wts *live =
      l->terminal_session != 0 ? lw__detect_find_wts(wts, n_wts, l->terminal_session) : NULL;
  uint32_t mask = 0;
  /* Most logon sessions belong to the live session with their ID: one bit. */
  if (live != NULL && l->instance == live->first_seen)
    mask |= MASK_INST_LIVE;
  else if (l->instance != UNKNOWN)
    mask |= MASK_INSTANCE;
  if (l->orphaned_since != UNKNOWN)
    mask |= MASK_ORPHANED | MASK_DETAILS;
  if (l->leaked_at != UNKNOWN)
    mask |= MASK_LEAKED;
  return mask;
}

/* The logon session records: LUIDs as deltas, first_seen from the previous
 * record's, the optional fields as the mask says. */
static void write_logons(struct wbuf *w, const struct lw_detect_state *st, const char **tab,
                         size_t n_tab) {
  int64_t base = blob_base(st, BLOB_VERSION);
  int64_t prev_seen = base;
  uint64_t prev = 0;
  size_t k;

  w_var(w, st->n_logons);
  for (k = 0; k < st->n_logons; k++) {
    const struct lw_detect_logon *r = &st->logons[k];
    uint32_t mask = logon_mask(r, st->wts, st->n_wts);
    w_var(w, r->luid - prev);
    prev = r->luid;
    w_var(w, r->terminal_session);
    w_var(w, r->flags);
    w_var(w, mask);
    /* LUIDs grow with time, so neighbours were mostly first seen at one poll. */
    w_time(w, prev_seen, r->first_seen);
    prev_seen = r->first_seen;
    if (mask & MASK_INSTANCE)
      w_time(w, base, r->instance);
    if (mask & MASK_ORPHANED)
      w_time(w, base, r->orphaned_since);
    if (mask & MASK_LEAKED)
      w_time(w, base, r->leaked_at);
    if (mask & MASK_DETAILS) {
      w_var(w, r->logon_type);
      w_time(w, base, r->logon_time);
      w_var(w, str_index(tab, n_tab, r->user));
      w_var(w, str_index(tab, n_tab, r->domain));
    }
  }
}

int lw_detect_state_save(const struct lw_detect_state *st, char **blob, size_t *len) {
  struct wbuf w = {NULL, 0, 0, 0};
  const char **tab = NULL;
  char *pol = NULL;
  size_t n_tab = 0, pol_len = 0, k;
  int64_t base;
  unsigned char crc[4];
  uint32_t c;
  int rc;

  if (st == NULL || blob == NULL || len == NULL)
    return LW_EINVAL;
  base = blob_base(st, BLOB_VERSION);
  tab = lw__detect_referenced_strings(st, &n_tab, &rc);
  if (rc != 0)
    goto cleanup;
  if ((rc = lw_alert_policy_save(&st->policy, &pol, &pol_len)) != 0)
    goto cleanup;

  w_bytes(&w, BLOB_MAGIC, 4);
  w_var(&w, BLOB_VERSION);
  w_var(&w, 0);
  w_time(&w, 0, st->boot_time);
  w_time(&w, 0, st->last_poll);
  w_var(&w, st->polls);
  w_var(&w, st->gap_active);
  w_var(&w, st->gap_last_alerted);

  w_var(&w, n_tab);
  for (k = 0; k < n_tab; k++) {
    size_t n = strlen(tab[k]);
    w_var(&w, n);
    w_bytes(&w, tab[k], n);
  }

  w_var(&w, st->n_wts);
  for (k = 0; k < st->n_wts; k++) {
    const struct lw_detect_wts *r = &st->wts[k];
    w_var(&w, r->id);
    w_var(&w, r->state);
    w_var(&w, r->down_alerted);
    w_time(&w, base, r->first_seen);
    w_time(&w, base, r->state_since);
    w_time(&w, base, r->logon_time);
    w_var(&w, str_index(tab, n_tab, r->user));
    w_var(&w, str_index(tab, n_tab, r->domain));
  }

  write_logons(&w, st, tab, n_tab);

  w_var(&w, st->n_accum);
  for (k = 0; k < st->n_accum; k++) {
    const struct lw_detect_accum *a = &st->accum[k];
    w_var(&w, str_index(tab, n_tab, a->user));
    w_var(&w, str_index(tab, n_tab, a->domain));
    w_var(&w, a->logon_type);
    w_var(&w, a->last_alerted);
  }

  w_var(&w, pol_len);
  w_bytes(&w, pol, pol_len);
  if (w.oom) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  c = crc32_of(w.p, w.len);
  for (k = 0; k < 4; k++)
    crc[k] = (unsigned char)(c >> (8 * k));
  w_bytes(&w, crc, 4);
  if (w.oom) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  *blob = (char *)w.p;
  *len = w.len;
  w.p = NULL;
  rc = 0;
cleanup:
  free(w.p);
  free((void *)tab);
  free(pol);
  return rc;
}

struct rbuf {
  const unsigned char *p;
  size_t len, off;
  int bad;
};

static uint64_t r_var(struct rbuf *r) {
  uint64_t v = 0;
  unsigned shift = 0;
  for (;;) {
    unsigned char b;
    if (r->off >= r->len || shift > 63) {
      r->bad = 1;
      return 0;
    }
    b = r->p[r->off++];
    if (shift == 63 && (b & 0x7E) != 0) { /* more than 64 bits */
      r->bad = 1;
      return 0;
    }
    if (b == 0 && shift != 0) { /* over-long: a last byte that adds nothing */
      r->bad = 1;
      return 0;
    }
    v |= (uint64_t)(b & 0x7F) << shift;
    if ((b & 0x80) == 0)
      return v;
    shift += 7;
  }
}

static uint32_t r_u32(struct rbuf *r) {
  uint64_t v = r_var(r);
  if (v > UINT32_MAX) {
    r->bad = 1;
    return 0;
  }
  return (uint32_t)v;
}

static int64_t r_time(struct rbuf *r, int64_t base) {
  uint64_t z = r_var(r);
  uint64_t d = (z >> 1) ^ (0 - (z & 1));
  int64_t t = (int64_t)((uint64_t)base + d);
  if (t != UNKNOWN && (t > LW_TIME_LIMIT_MS || t < -LW_TIME_LIMIT_MS))
    r->bad = 1;
  return t;
}

/* The blob's string table; `used` marks the entries a record refers to (the
 * saver writes no others). */
struct rstrings {
  const char **v;
  unsigned char *used;
  size_t n;
};

/* Reads a string index and returns the interned string (NULL for 0). */
static const char *r_str(struct rbuf *r, struct rstrings *tab) {
  uint64_t i = r_var(r);
  if (i > tab->n) {
    r->bad = 1;
    return NULL;
  }
  if (i == 0)
    return NULL;
  tab->used[i - 1] = 1;
  return tab->v[i - 1];
}

/* A count of records each at least `min_bytes` long: no more than the rest. */
static size_t r_count(struct rbuf *r, size_t min_bytes) {
  uint64_t n = r_var(r);
  if (r->bad || n > (r->len - r->off) / min_bytes) {
    r->bad = 1;
    return 0;
  }
  return (size_t)n;
}

/* The string table: each string interned into t, tab->v[k] its copy there;
 * sorted and unique, as the saver writes it. */
static int read_strings(struct rbuf *r, struct lw_detect_state *t, struct rstrings *tab) {
  char *tmp = NULL;
  size_t k;

  tab->n = r_count(r, 1);
  if (r->bad)
    return LW_ECORRUPT;
  if (tab->n > 0 && ((tab->v = calloc(tab->n, sizeof *tab->v)) == NULL ||
                     (tab->used = calloc(tab->n, 1)) == NULL))
    return LW_ENOMEM;
  for (k = 0; k < tab->n; k++) {
    size_t n = r_count(r, 1);
    if (r->bad || memchr(r->p + r->off, '\0', n) != NULL) {
      free(tmp);
      return LW_ECORRUPT;
    }
    free(tmp);
    if ((tmp = malloc(n + 1)) == NULL)
      return LW_ENOMEM;
    memcpy(tmp, r->p + r->off, n);
    tmp[n] = '\0';
    r->off += n;
    if (k > 0 && strcmp(tab->v[k - 1], tmp) >= 0) {
      free(tmp);
      return LW_ECORRUPT;
    }
    if (lw__detect_intern(&t->strings, tmp, &tab->v[k]) != 0) {
      free(tmp);
      return LW_ENOMEM;
    }
  }
  free(tmp);
  return 0;
}

/* The WTS session records, sorted by ID. */
static int read_wts(struct rbuf *r, struct lw_detect_state *t, int64_t base, struct rstrings *tab) {
  size_t k;

  t->n_wts = r_count(r, 8);
  if (r->bad)
    return LW_ECORRUPT;
  if (t->n_wts > 0 && (t->wts = calloc(t->n_wts, sizeof *t->wts)) == NULL)
    return LW_ENOMEM;
  for (k = 0; k < t->n_wts; k++) {
    struct lw_detect_wts *w = &t->wts[k];
    w->id = r_u32(r);
    w->state = r_u32(r);
    w->down_alerted = r_u32(r);
    w->first_seen = r_time(r, base);
    w->state_since = r_time(r, base);
    w->logon_time = r_time(r, base);
    w->user = r_str(r, tab);
    w->domain = r_str(r, tab);
    if (r->bad || w->down_alerted > 1 || (k > 0 && w->id <= t->wts[k - 1].id))
      return LW_ECORRUPT;
  }
  return 0;
}

/* The logon session records (write_logons' format), LUIDs strictly increasing. */
static int read_logons(struct rbuf *r, struct lw_detect_state *t, int64_t base,
                       struct rstrings *tab) {
  uint64_t luid = 0;
  int64_t prev_seen = base;
  size_t k;

  t->n_logons = r_count(r, 5);
  if (r->bad)
    return LW_ECORRUPT;
  if (t->n_logons > 0 && (t->logons = calloc(t->n_logons, sizeof *t->logons)) == NULL)
    return LW_ENOMEM;
  for (k = 0; k < t->n_logons; k++) {
    struct lw_detect_logon *l = &t->logons[k];
    uint64_t delta = r_var(r);
    uint32_t mask;
    if (k > 0 && (delta == 0 || delta > UINT64_MAX - luid))
      return LW_ECORRUPT; /* LUIDs strictly increasing */
    luid += delta;
    l->luid = luid;
    l->terminal_session = r_u32(r);
    l->flags = r_u32(r);
    mask = r_u32(r);
    if (r->bad || (mask & ~MASK_ALL) != 0 || (l->flags & ~LW_DETECT_LOGON_SYSTEM) != 0 ||
        (mask & (MASK_INSTANCE | MASK_INST_LIVE)) == (MASK_INSTANCE | MASK_INST_LIVE))
      return LW_ECORRUPT;
    l->first_seen = r_time(r, prev_seen);
    prev_seen = l->first_seen;
    l->instance = (mask & MASK_INSTANCE) ? r_time(r, base) : UNKNOWN;
    if (mask & MASK_INST_LIVE) {
      const struct lw_detect_wts *live =
          l->terminal_session != 0 ? lw__detect_find_wts(t->wts, t->n_wts, l->terminal_session)
                                   : NULL;
      if (live == NULL)
        return LW_ECORRUPT;
      l->instance = live->first_seen;
    }
    l->orphaned_since = (mask & MASK_ORPHANED) ? r_time(r, base) : UNKNOWN;
    l->leaked_at = (mask & MASK_LEAKED) ? r_time(r, base) : UNKNOWN;
    l->logon_time = UNKNOWN;
    if (mask & MASK_DETAILS) {
      l->logon_type = r_u32(r);
      l->logon_time = r_time(r, base);
      l->user = r_str(r, tab);
      l->domain = r_str(r, tab);
    }
    /* A leak episode is of an orphan; the mask is the one the record calls for. */
    if (r->bad || (l->leaked_at != UNKNOWN && l->orphaned_since == UNKNOWN) ||
        mask != logon_mask(l, t->wts, t->n_wts))
      return LW_ECORRUPT;
  }
  return 0;
}

/* The accumulation episodes, in the state's order, each key once. */
static int read_accum(struct rbuf *r, struct lw_detect_state *t, struct rstrings *tab) {
  size_t k;

  t->n_accum = r_count(r, 4);
  if (r->bad)
    return LW_ECORRUPT;
  if (t->n_accum > 0 && (t->accum = calloc(t->n_accum, sizeof *t->accum)) == NULL)
    return LW_ENOMEM;
  for (k = 0; k < t->n_accum; k++) {
    struct lw_detect_accum *a = &t->accum[k];
    a->user = r_str(r, tab);
    a->domain = r_str(r, tab);
    a->logon_type = r_u32(r);
    a->last_alerted = r_u32(r);
    a->hash = lw__detect_accum_hash(a->logon_type, a->domain, a->user);
    if (r->bad || a->last_alerted == 0 || (k > 0 && lw__detect_cmp_accum(a - 1, a) >= 0))
      return LW_ECORRUPT;
  }
  /* Every string is referred to: the saver writes only those. */
  for (k = 0; k < tab->n; k++)
    if (!tab->used[k])
      return LW_ECORRUPT;
  return 0;
}

int lw_detect_state_load(const char *blob, size_t len, struct lw_detect_state *st) {
  struct lw_detect_state t;
  struct rbuf r;
  struct rstrings tab = {NULL, NULL, 0};
  size_t pol_len;
  uint64_t version;
  int64_t base;
  uint32_t crc;
  int rc = LW_ECORRUPT;

  if (blob == NULL || st == NULL)
    return LW_EINVAL;
  lw_detect_state_init(&t);
  r.p = (const unsigned char *)blob;
  r.len = len;
  r.off = 4;
  r.bad = 0;
  if (len < 4 + 1 + 4 || memcmp(blob, BLOB_MAGIC, 4) != 0)
    return LW_ECORRUPT;
  version = r_var(&r);
  if (r.bad || version == 0)
    return LW_ECORRUPT;
  if (version > BLOB_VERSION)
    return LW_ETOONEW;
  crc = (uint32_t)r.p[len - 4] | (uint32_t)r.p[len - 3] << 8 | (uint32_t)r.p[len - 2] << 16 |
        (uint32_t)r.p[len - 1] << 24;
  if (crc32_of(r.p, len - 4) != crc)
    return LW_ECORRUPT;
  r.len = len - 4;

  if (r_var(&r) != 0) /* reserved */
    goto cleanup;
  t.boot_time = r_time(&r, 0);
  t.last_poll = r_time(&r, 0);
  t.polls = r_var(&r);
  t.gap_active = r_u32(&r);
  t.gap_last_alerted = r_u32(&r);
  base = blob_base(&t, version);
  if (r.bad || t.gap_active > 1)
    goto cleanup;

  if ((rc = read_strings(&r, &t, &tab)) != 0 || (rc = read_wts(&r, &t, base, &tab)) != 0 ||
      (rc = read_logons(&r, &t, base, &tab)) != 0 || (rc = read_accum(&r, &t, &tab)) != 0)
    goto cleanup;
  rc = LW_ECORRUPT;
  pol_len = r_count(&r, 1);
  if (r.bad || r.off + pol_len != r.len)
    goto cleanup;
  rc = lw_alert_policy_load((const char *)r.p + r.off, pol_len, &t.policy);
  if (rc != 0)
    goto cleanup;

  *st = t;
  lw_detect_state_init(&t);
  rc = 0;
cleanup:
  free((void *)tab.v);
  free(tab.used);
  lw_detect_state_free(&t);
  return rc;
}
