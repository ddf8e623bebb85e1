/*
 * report_series.c - polls read into time buckets (see report_series.h). The
 * polls are read once into a compact array (about 30 bytes each), because
 * the buckets' width depends on the first and last times, which are known
 * only at the end (the clock may have gone back: recording order is not
 * time order).
 */
#include "report_series.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "timefmt.h"

struct point {
  int64_t t;
  uint32_t v[LW_SERIES_FIGURES];
  uint8_t has; /* bit f: figure f known */
};

struct reader {
  struct lw_series *s;
  struct point *p;
  size_t n, cap;
};

static int add_poll(void *ctx, const struct lw_store_poll_info *poll) {
  struct reader *r = ctx;
  struct lw_series *s = r->s;
  if (r->n == r->cap) {
    size_t cap = r->cap != 0 ? 2 * r->cap : 1024;
    struct point *p = realloc(r->p, cap * sizeof *p);
    if (p == NULL)
      return LW_ENOMEM;
    r->p = p;
    r->cap = cap;
  }
  struct point *pt = &r->p[r->n++];
  memset(pt, 0, sizeof *pt);
  pt->t = poll->taken_at;
  s->polls++;
  if (!poll->has_data)
    s->failed++;
  if (poll->has_data) {
    pt->v[LW_SERIES_LOGONS] = poll->logon_sessions;
    pt->has |= 1u << LW_SERIES_LOGONS;
  }
  if (poll->has_figures) {
    pt->v[LW_SERIES_HIGHEST_ID] = poll->figures.highest_session_id;
    pt->v[LW_SERIES_LIVE] = poll->figures.live_sessions;
    pt->v[LW_SERIES_PINNED] = poll->figures.pinned_ids;
    pt->v[LW_SERIES_LEAKED] = poll->figures.open_leaks;
    pt->has |= (1u << LW_SERIES_HIGHEST_ID) | (1u << LW_SERIES_LIVE) | (1u << LW_SERIES_PINNED) |
               (1u << LW_SERIES_LEAKED);
    s->have_last = true;
    s->last = *poll;
  }
  if (s->from == LW_TIME_UNKNOWN || pt->t < s->from)
    s->from = pt->t;
  if (s->to == LW_TIME_UNKNOWN || pt->t > s->to)
    s->to = pt->t;
  return 0;
}

static void put(struct lw_series *s, const struct point *pt) {
  /* Bucket i holds [from + i * width, from + (i + 1) * width). */
  size_t i = (size_t)((pt->t - s->from) / s->width_ms);
  if (i >= s->n)
    i = s->n - 1; /* cannot happen: width * n covers the span */
  struct lw_series_bucket *b = &s->b[i];
  if (b->polls == 0 || pt->t < b->first)
    b->first = pt->t;
  if (b->polls == 0 || pt->t > b->last)
    b->last = pt->t;
  b->polls++;
  for (int f = 0; f < LW_SERIES_FIGURES; f++) {
    if ((pt->has & (1u << f)) == 0)
      continue;
    uint32_t v = pt->v[f];
    if (b->n[f] == 0 || v < b->min[f])
      b->min[f] = v;
    if (b->n[f] == 0 || v > b->max[f])
      b->max[f] = v;
    b->n[f]++;
    if (v > s->peak[f])
      s->peak[f] = v;
  }
}

int lw_series_load(struct lw_store *st, int64_t since, int64_t until, size_t max_buckets,
                   struct lw_series *out) {
  struct reader r;
  int rc;
  memset(out, 0, sizeof *out);
  memset(&r, 0, sizeof r);
  out->from = out->to = LW_TIME_UNKNOWN;
  out->width_ms = 1;
  r.s = out;
  if (max_buckets == 0)
    return LW_EINVAL;
  rc = lw_store_each_poll(st, since, until, add_poll, &r);
  if (rc == 0 && r.n > 0) {
    out->n = r.n < max_buckets ? r.n : max_buckets;
    out->b = calloc(out->n, sizeof *out->b);
    if (out->b == NULL) {
      rc = LW_ENOMEM;
    } else {
      int64_t span = out->to - out->from + 1;
      out->width_ms = (span + (int64_t)out->n - 1) / (int64_t)out->n;
      for (size_t i = 0; i < r.n; i++)
        put(out, &r.p[i]);
    }
  }
  free(r.p);
  if (rc != 0)
    lw_series_free(out);
  return rc;
}

void lw_series_free(struct lw_series *s) {
  if (s == NULL)
    return;
  free(s->b);
  memset(s, 0, sizeof *s);
  s->from = s->to = LW_TIME_UNKNOWN;
}
