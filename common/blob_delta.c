/*
 * blob_delta.c - lw_blob_delta_make / lw_blob_delta_apply (see blob_delta.h).
 */
#include "blob_delta.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define MAGIC "LWBD"
#define VERSION 1
#define BLOCK 8
/* How far from the last copy's course a match is looked for, and how long a
 * match must be to be taken without looking further. */
#define NEAR 48
#define PROBE 64

struct dbuf {
  unsigned char *p;
  size_t len, cap;
  int oom;
};

static void put(struct dbuf *b, const void *src, size_t n) {
  if (b->oom || n == 0)
    return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap != 0 ? b->cap : 256;
    unsigned char *p;
    while (cap < b->len + n)
      cap *= 2;
    p = realloc(b->p, cap);
    if (p == NULL) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, src, n);
  b->len += n;
}

static void put_var(struct dbuf *b, uint64_t v) {
  unsigned char t[10];
  size_t n = 0;
  do {
    t[n] = (unsigned char)(v & 0x7F);
    v >>= 7;
    if (v != 0)
      t[n] |= 0x80;
    n++;
  } while (v != 0);
  put(b, t, n);
}

static void put_literal(struct dbuf *b, const unsigned char *p, size_t n) {
  if (n == 0)
    return;
  put_var(b, (uint64_t)n << 1);
  put(b, p, n);
}

static size_t hash_block(const unsigned char *p, unsigned bits) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return (size_t)((v * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - bits));
}

/* Equal bytes from old[c] and new[i], at most PROBE. */
static size_t match_len(const unsigned char *o, size_t old_len, size_t c, const unsigned char *n,
                        size_t new_len, size_t i) {
  size_t k = 0;
  while (k < PROBE && c + k < old_len && i + k < new_len && o[c + k] == n[i + k])
    k++;
  return k;
}

int lw_blob_delta_make(const void *old, size_t old_len, const void *new_blob, size_t new_len,
                       unsigned char **out, size_t *out_len) {
  const unsigned char *o = old, *n = new_blob;
  struct dbuf b = {NULL, 0, 0, 0};
  size_t *table = NULL; /* block offset + 1; 0 = empty */
  unsigned bits = 4;
  size_t i = 0, lit = 0;
  /* Old position - new position of the last copy, and of the last long one
   * (a short copy from elsewhere must not lose the way). */
  int64_t shift = 0, course = 0;

  if ((old == NULL && old_len != 0) || (new_blob == NULL && new_len != 0) || out == NULL ||
      out_len == NULL)
    return LW_EINVAL;
  if (old_len >= BLOCK) {
    size_t k;
    while (((size_t)1 << bits) < 2 * (old_len / BLOCK) && bits < 30)
      bits++;
    table = calloc((size_t)1 << bits, sizeof *table);
    if (table == NULL)
      return LW_ENOMEM;
    /* Later blocks first, so a repeated block maps to its first place. */
    for (k = (old_len / BLOCK) * BLOCK; k >= BLOCK; k -= BLOCK)
      table[hash_block(o + k - BLOCK, bits)] = k - BLOCK + 1;
  }
  put(&b, MAGIC, 4);
  put_var(&b, VERSION);
  put_var(&b, old_len);
  put_var(&b, new_len);
  while (i + BLOCK <= new_len) {
    /* Candidates, the longest match (up to PROBE) taken: where the last copy
     * (or the last long one) would go on and near it (a record came or went:
     * the rest moved by a few bytes); the hash's block. The blob is records
     * and similar ones repeat, so a block alone often points at a wrong one. */
    int64_t best_c = -1, c;
    size_t best = 0, m, len;
    for (int k = 0; k < 2 && best < PROBE; k++) {
      int64_t base = (int64_t)i + (k == 0 ? shift : course);
      if (k == 1 && course == shift)
        break;
      /* 0, +1, -1, +2, -2, ... */
      for (int64_t step = 0; step <= 2 * NEAR && best < PROBE; step++) {
        c = base + ((step & 1) != 0 ? (step + 1) / 2 : -(step / 2));
        if (c < 0 || (uint64_t)c >= old_len || o[c] != n[i])
          continue;
        m = match_len(o, old_len, (size_t)c, n, new_len, i);
        if (m > best) {
          best = m;
          best_c = c;
        }
      }
    }
    if (best < PROBE && table != NULL) {
      size_t h = table[hash_block(n + i, bits)];
      if (h != 0 && (m = match_len(o, old_len, h - 1, n, new_len, i)) > best) {
        best = m;
        best_c = (int64_t)h - 1;
      }
    }
    if (best < BLOCK) {
      i++;
      continue;
    }
    c = best_c;
    /* Take back literal bytes that match before the copy. */
    while (i > lit && c > 0 && o[c - 1] == n[i - 1]) {
      i--;
      c--;
    }
    len = 0;
    while (i + len < new_len && (size_t)c + len < old_len && o[(size_t)c + len] == n[i + len])
      len++;
    put_literal(&b, n + lit, i - lit);
    put_var(&b, ((uint64_t)len << 1) | 1);
    put_var(&b, (uint64_t)c);
    shift = c - (int64_t)i;
    if (len >= PROBE)
      course = shift;
    i += len;
    lit = i;
  }
  put_literal(&b, n + lit, new_len - lit);
  free(table);
  if (b.oom) {
    free(b.p);
    return LW_ENOMEM;
  }
  *out = b.p;
  *out_len = b.len;
  return 0;
}

struct rd {
  const unsigned char *p;
  size_t len, off;
  int bad;
};

static uint64_t get_var(struct rd *r) {
  uint64_t v = 0;
  unsigned shift = 0;
  for (;;) {
    unsigned char c;
    if (r->off >= r->len || shift > 63) {
      r->bad = 1;
      return 0;
    }
    c = r->p[r->off++];
    v |= (uint64_t)(c & 0x7F) << shift;
    if ((c & 0x80) == 0)
      return v;
    shift += 7;
  }
}

/* Walks the operations; with dst, writes them. Returns 0 or LW_ECORRUPT. */
static int walk(struct rd r, const unsigned char *old, size_t old_len, unsigned char *dst,
                size_t new_len) {
  size_t made = 0;
  while (r.off < r.len) {
    uint64_t op = get_var(&r), len = op >> 1;
    if (r.bad || len == 0 || len > new_len - made)
      return LW_ECORRUPT;
    if (op & 1) {
      uint64_t at = get_var(&r);
      if (r.bad || at > old_len || len > old_len - at)
        return LW_ECORRUPT;
      if (dst != NULL)
        memcpy(dst + made, old + at, (size_t)len);
    } else {
      if (len > r.len - r.off)
        return LW_ECORRUPT;
      if (dst != NULL)
        memcpy(dst + made, r.p + r.off, (size_t)len);
      r.off += (size_t)len;
    }
    made += (size_t)len;
  }
  return made == new_len ? 0 : LW_ECORRUPT;
}

int lw_blob_delta_apply(const void *old, size_t old_len, const void *delta, size_t delta_len,
                        unsigned char **out, size_t *out_len) {
  struct rd r = {delta, delta_len, 4, 0};
  uint64_t version, want_old, new_len;
  unsigned char *dst;
  int rc;

  if ((old == NULL && old_len != 0) || delta == NULL || out == NULL || out_len == NULL)
    return LW_EINVAL;
  if (delta_len < 4 || memcmp(delta, MAGIC, 4) != 0)
    return LW_ECORRUPT;
  version = get_var(&r);
  if (r.bad || version == 0)
    return LW_ECORRUPT;
  if (version > VERSION)
    return LW_ETOONEW;
  want_old = get_var(&r);
  new_len = get_var(&r);
  if (r.bad || want_old != old_len || new_len > SIZE_MAX - 1)
    return LW_ECORRUPT;
  /* Checked before the allocation: a hostile length allocates nothing. */
  if ((rc = walk(r, old, old_len, NULL, (size_t)new_len)) != 0)
    return rc;
  dst = malloc((size_t)new_len + 1);
  if (dst == NULL)
    return LW_ENOMEM;
  (void)walk(r, old, old_len, dst, (size_t)new_len);
  *out = dst;
  *out_len = (size_t)new_len;
  return 0;
}
