/*
 * report_series.h - the polls of a time range as at most N time buckets, for
 * the HTML report's charts (report_html.h).
 *
 * 90 days of polls at a 60 s interval are ~130,000 polls; a chart is a few
 * hundred pixels wide. The range [first poll, last poll] is cut into equal
 * time buckets (no more than there are polls), and each bucket keeps, per
 * figure, the lowest and the highest value of its polls, so that a peak
 * (a climb of the highest session ID between two quiet hours) is drawn as
 * high as it was, however much the history is shrunk. A poll without a
 * figure (a failed collection; a poll written before schema 5, for the
 * detector's figures) leaves that figure out of its bucket.
 */
#ifndef LW_REPORT_SERIES_H
#define LW_REPORT_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The figures a bucket keeps. */
enum lw_series_figure {
  LW_SERIES_HIGHEST_ID, /* highest WTS session ID in use (schema 5) */
  LW_SERIES_LIVE,       /* live WTS sessions, listeners aside (schema 5) */
  LW_SERIES_PINNED,     /* session IDs pinned by leaks (schema 5) */
  LW_SERIES_LOGONS,     /* LSA logon sessions seen (every poll with data) */
  LW_SERIES_LEAKED,     /* logon sessions with an open leak (schema 5) */
  LW_SERIES_FIGURES
};

struct lw_series_bucket {
  int64_t first, last;           /* taken_at of its earliest and latest poll */
  uint32_t polls;                /* polls in it (0: an empty bucket) */
  uint32_t n[LW_SERIES_FIGURES]; /* of those, the polls that had the figure */
  uint32_t min[LW_SERIES_FIGURES], max[LW_SERIES_FIGURES];
};

struct lw_series {
  int64_t from, to; /* earliest and latest taken_at (LW_TIME_UNKNOWN: no poll) */
  int64_t width_ms; /* a bucket's span (>= 1) */
  struct lw_series_bucket *b;
  size_t n;                         /* buckets */
  uint64_t polls;                   /* polls read */
  uint64_t failed;                  /* of those, failed collections */
  uint32_t peak[LW_SERIES_FIGURES]; /* the highest value of each figure */
  bool have_last;                   /* a poll with the detector's figures was read */
  struct lw_store_poll_info last;   /* the latest such poll (in recording order) */
};

/* Reads the polls taken in [since, until] (LW_TIME_UNKNOWN: open-ended) into
 * at most max_buckets buckets (>= 1). Returns 0 or an LW_E* code (*out then
 * empty). Free with lw_series_free. */
int lw_series_load(struct lw_store *st, int64_t since, int64_t until, size_t max_buckets,
                   struct lw_series *out);
void lw_series_free(struct lw_series *s);

#endif /* LW_REPORT_SERIES_H */
