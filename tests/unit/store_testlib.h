/*
 * store_testlib.h - a synthetic RDS host for the store's tests and benchmark:
 * logon sessions and WTS sessions that churn from poll to poll, snapshots of
 * it, snapshot comparison, and temporary database paths.
 *
 * No cmocka here (the benchmark links it too): comparisons return 0 or print
 * the first difference to stderr and return 1.
 */
#ifndef LW_STORE_TESTLIB_H
#define LW_STORE_TESTLIB_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "snapshot.h"

struct tl_logon {
  uint64_t luid;
  uint32_t type, session, procs, data_status;
  int64_t logon_time;
  char user[40], domain[16], sid[64];
};

struct tl_wts {
  uint32_t id, state;
  int64_t logon_time;
  char station[24], user[40], domain[16], client[24];
};

struct tl_host {
  struct tl_logon *l;
  size_t nl, capl;
  struct tl_wts *w;
  size_t nw, capw;
  uint64_t next_luid;
  /* 0, or 1 in mid_one_in new logon sessions gets a LUID below the newest
   * (LSA hands out LUIDs in order; this plays a collector that sees one late,
   * so the store must put a session in the middle of its list). */
  unsigned mid_one_in;
  uint64_t mid_luid, n_mid; /* n_mid: how many got one */
  uint32_t next_wts_id;
  uint64_t serial;
  int64_t boot_time, now;
  uint64_t rng;
};

/* A host with n_logons logon sessions and n_wts WTS sessions, at a fixed start
 * time (2026-11-21T09:00:00Z), seeded. Returns 0 or -1 (out of memory). */
int tl_host_init(struct tl_host *h, size_t n_logons, size_t n_wts, uint64_t seed);
void tl_host_free(struct tl_host *h);

/* Advances the clock by step_ms and replaces round(rate * n) logon sessions and
 * as many (at least one when rate > 0 and n > 0, if `at_least_one`) WTS
 * sessions with new ones; changes the state of a few WTS sessions when rate > 0.
 * Returns 0 or -1. */
int tl_host_churn(struct tl_host *h, double rate, int64_t step_ms, int at_least_one);

/* From now on 1 in `one_in` new logon sessions gets a LUID below the newest
 * (never one in use): new sessions go in the middle of the store's list. */
void tl_host_set_mid(struct tl_host *h, unsigned one_in);

/* Starts a new boot: new boot time, new LUIDs, all sessions replaced. */
int tl_host_reboot(struct tl_host *h);

/* A finished snapshot of the host now (taken_at = now), or NULL. */
struct lw_snapshot *tl_host_snapshot(const struct tl_host *h);

/* Random number in [0, n). */
uint64_t tl_rand(struct tl_host *h, uint64_t n);

/* Compares two finished snapshots as the store keeps them: taken_at, boot_time,
 * every logon session field but process_count, every WTS field. Returns 0 when
 * equal, else prints the first difference (prefixed by `what`) and returns 1. */
int tl_snapshot_diff(const char *what, const struct lw_snapshot *want,
                     const struct lw_snapshot *got);

/* Sets the folder for temporary files (a test's first argument). */
void tl_set_dir(const char *dir);
/* Returns "<dir>/<name>" in a static buffer (one of 4 rotating), after deleting
 * any file of that name and its -wal and -shm. */
const char *tl_path(const char *name);
/* Deletes a database file and its -wal and -shm. */
void tl_remove_db(const char *path);
/* Size of a file in bytes, or -1. */
int64_t tl_file_size(const char *path);
/* Reads a whole file (malloc'd, *len set), or NULL. */
unsigned char *tl_read_file(const char *path, size_t *len);
/* Writes bytes to a file. Returns 0 or -1. */
int tl_write_file(const char *path, const void *data, size_t len);

struct lw_store;
/* The database at db opened read-only, as the CLI opens it; NULL (the reason
 * on stderr) when it cannot be. */
struct lw_store *tl_open_read_only(const char *db);
/* What a printer writes, captured: tl_out_begin opens a new file "<dir>/<name>"
 * for it (NULL on failure); tl_out_end closes it and returns its text,
 * NUL-terminated (malloc'd), or NULL. One capture at a time. */
FILE *tl_out_begin(const char *name);
char *tl_out_end(FILE *f);

#endif /* LW_STORE_TESTLIB_H */
