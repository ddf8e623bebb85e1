/*
 * bench_holders.c - what the holder scan's own work costs on a large handle
 * table (a native benchmark, not a test: timing targets never go into tests).
 *
 * A synthetic SystemExtendedHandleInformation table of N entries, grouped by
 * process as Windows lists them (200 handles per process on average), with
 * 1 % Token handles at random places (and, in a second run, 2 % Process
 * handles, 1 in 50 of them to an exited process). lw_holders_match walks it
 * with a probe that answers at once (the LUID is a hash of the handle; 50
 * LUIDs of interest out of 2,000), so the figure is the portable part's cost:
 * selection, grouping, matching, the result. On Windows each token handle
 * also costs a DuplicateHandle + GetTokenInformation + CloseHandle (a few
 * microseconds each), which this does not measure.
 *
 * The floor is the cost of simply copying the handle table (memcpy of the
 * same bytes), which any scan pays at least once when the kernel fills it.
 *
 * usage: bench_holders [REPEATS]   (default 15; best of REPEATS is printed)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "holders.h"

#define T_TOKEN 5
#define T_PROCESS 7
#define T_FILE 37
#define N_LUIDS 2000u
#define N_WANTED 50u

static double now_ms(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= UINT64_C(0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= UINT64_C(0xc4ceb9fe1a85ec53);
  return x ^ (x >> 33);
}

/* The probe: no OS, answers from the handle value. */
static int p_open(void *ctx, uint32_t pid) {
  (void)ctx;
  (void)pid;
  return 0;
}
static int p_token(void *ctx, uint64_t handle, uint64_t *luid, uint32_t *type) {
  (void)ctx;
  *luid = 0x10000 + mix(handle) % N_LUIDS;
  *type = LW_TOKEN_PRIMARY;
  return 0;
}
static int p_process(void *ctx, uint64_t handle, struct lw_holders_target *t) {
  uint64_t h = mix(handle ^ 0x5a5a);
  (void)ctx;
  t->pid = (uint32_t)(h % 60000);
  t->exited = h % 50 == 0;
  t->luid = 0x10000 + h % N_LUIDS;
  t->image = "C:\\Apps\\Exited.exe";
  return 0;
}
static int p_describe(void *ctx, const char **image, const char **services) {
  (void)ctx;
  *image = "C:\\Windows\\System32\\svchost.exe";
  *services = "Appinfo, seclogon";
  return 0;
}
static void p_close(void *ctx) {
  (void)ctx;
}

static struct lw_handle_entry *make_table(size_t n, int with_process, size_t *tokens) {
  struct lw_handle_entry *e = calloc(n, sizeof *e);
  uint64_t seed = 12345;
  uint32_t pid = 4;
  size_t left = 0;
  if (e == NULL)
    return NULL;
  *tokens = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t r;
    if (left == 0) { /* next process: 20 to 380 handles */
      pid += 4;
      seed = mix(seed + i);
      left = 20 + seed % 361;
    }
    left--;
    r = mix(seed ^ i) % 1000;
    e[i].pid = pid;
    e[i].handle = 4 * (uint64_t)(i + 1);
    e[i].access = 0x1fffff;
    if (r < 10) {
      e[i].type_index = T_TOKEN;
      (*tokens)++;
    } else if (with_process && r < 30) {
      e[i].type_index = T_PROCESS;
      /* distinct process objects: about one per 10 process handles */
      e[i].object = UINT64_C(0xffff800000000000) + 0x1000 * (mix(i) % (n / 500 + 1));
    } else {
      e[i].type_index = T_FILE;
      e[i].object = UINT64_C(0xffff900000000000) + 16 * i;
    }
  }
  return e;
}

static void run(size_t n, int with_process, int repeats) {
  struct lw_holders_probe probe = {NULL, p_open, p_token, p_process, p_describe, p_close, NULL};
  struct lw_holders_types types = {T_TOKEN, with_process ? T_PROCESS : 0};
  struct lw_holders_matcher *m = NULL;
  struct lw_holders_result *r = NULL;
  uint64_t wanted[N_WANTED];
  size_t tokens = 0;
  struct lw_handle_entry *e = make_table(n, with_process, &tokens);
  struct lw_handle_entry *copy = malloc(n * sizeof *copy);
  double best_copy = 1e99, best_scan = 1e99;
  size_t holders = 0;

  if (e == NULL || copy == NULL || lw_holders_matcher_new(&m) != 0 ||
      lw_holders_result_new(&r) != 0) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < N_WANTED; i++)
    wanted[i] = 0x10000 + i * (N_LUIDS / N_WANTED);
  for (int k = 0; k < repeats; k++) {
    double t0 = now_ms(), t1, t2;
    memcpy(copy, e, n * sizeof *e);
    t1 = now_ms();
    if (lw_holders_match(m, copy, n, &types, 0, wanted, N_WANTED, &probe, r) != 0) {
      fprintf(stderr, "lw_holders_match failed\n");
      exit(1);
    }
    t2 = now_ms();
    if (t1 - t0 < best_copy)
      best_copy = t1 - t0;
    if (t2 - t1 < best_scan)
      best_scan = t2 - t1;
  }
  for (size_t i = 0; i < r->n_sessions; i++)
    holders += r->sessions[i].n_holders;
  printf("%9zu  %7zu  %8lu  %9s  %10.3f  %10.3f  %7.1fx  %9zu/%zu\n", n, tokens,
         (unsigned long)r->cost.process_handles, with_process ? "yes" : "no", best_copy, best_scan,
         best_scan / best_copy, r->n_sessions, holders);
  lw_holders_result_free(r);
  lw_holders_matcher_free(m);
  free(copy);
  free(e);
}

int main(int argc, char **argv) {
  int repeats = argc > 1 ? atoi(argv[1]) : 15;
  if (repeats < 1)
    repeats = 1;
  printf("holder scan, portable part: best of %d runs (ms); floor = copying the handle table\n\n",
         repeats);
  printf("%9s  %7s  %8s  %9s  %10s  %10s  %8s  %s\n", "entries", "tokens", "proc.h", "exited?",
         "copy (ms)", "scan (ms)", "ratio", "sessions/holders");
  run(100000, 0, repeats);
  run(1000000, 0, repeats);
  run(100000, 1, repeats);
  run(1000000, 1, repeats);
  return 0;
}
