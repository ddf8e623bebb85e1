/*
 * bench_floor.h - the floor of bench_store (issue 17): the rows a poll changes,
 * written by bare prepared INSERT statements in one transaction into a
 * database made by the store itself, with no diffing on the clock.
 */
#ifndef LW_BENCH_FLOOR_H
#define LW_BENCH_FLOOR_H

#include <stddef.h>
#include <stdint.h>

/* Figures of one run, the same kind bench_store reports for the others. */
struct floor_figures {
  double *ms;          /* polls entries: the timed write of each poll */
  double *between_ms;  /* polls entries: the checkpoint between polls (0 if none) */
  uint64_t rows;       /* rows written over all polls */
  int64_t start_bytes; /* pages in use after the first poll, and at the end */
  int64_t end_bytes;
};

/*
 * Plays the host (seeded as bench_store's) for `polls` polls after the first:
 * the first poll goes through lw_store_record_poll (so the floor starts from
 * the very database ours has after its initial load), then every later poll's
 * changes are computed off the clock and written bare. `between`: run the
 * checkpoint between polls as ours does (lw_store_checkpoint's passive one,
 * SQLite's automatic one off), else leave SQLite's automatic checkpoint at the
 * store's setting. Exits on failure.
 */
void floor_run(const char *path, size_t n, double churn, int polls, int between,
               struct floor_figures *f);

#endif /* LW_BENCH_FLOOR_H */
