/*
 * seed_detect_state.c - writes the seed blobs of fuzz_detect_state into a
 * directory: the states a small host goes through (fresh, sessions seen,
 * orphans, leaks with gap, accumulation and stuck-logoff episodes held back by
 * the rate limit, a release). Real blobs from the real saver, so the fuzzer
 * starts from every record kind and mask bit. Run by hand when the format
 * changes: seed_detect_state tests/fuzz/corpus/detect_state
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

#define MIN 60000
#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */

static struct lw_snapshot *snap;

static void logon(uint64_t luid, const char *user, const char *domain, uint32_t type, uint32_t ts,
                  int procs) {
  struct lw_logon_session *l = lw_snapshot_add_logon(snap);
  if (l == NULL)
    exit(1);
  l->luid = luid;
  l->logon_type = type;
  l->terminal_session = ts;
  l->logon_time = T0 - 10 * MIN;
  l->user = lw_snapshot_strdup(snap, user);
  l->domain = lw_snapshot_strdup(snap, domain);
  for (int i = 0; i < procs; i++) {
    struct lw_process *p = lw_snapshot_add_process(snap);
    if (p == NULL)
      exit(1);
    p->pid = (uint32_t)(luid * 4 + (uint64_t)i);
    p->luid = luid;
    p->session_id = ts;
  }
}

static void wts(uint32_t id, uint32_t state, const char *user) {
  struct lw_wts_session *w = lw_snapshot_add_wts(snap);
  if (w == NULL)
    exit(1);
  w->id = id;
  w->state = state;
  w->station = lw_snapshot_strdup(snap, id == 65536 ? "RDP-Tcp" : "RDP-Tcp#1");
  w->user = user != NULL ? lw_snapshot_strdup(snap, user) : NULL;
  w->domain = user != NULL ? lw_snapshot_strdup(snap, "CONTOSO") : NULL;
  w->logon_time = user != NULL ? T0 - 10 * MIN : INT64_MIN;
}

static void save(const struct lw_detect_state *st, const char *dir, const char *name) {
  char *blob, path[4096];
  size_t len;
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (lw_detect_state_save(st, &blob, &len) != 0 || (f = fopen(path, "wb")) == NULL ||
      fwrite(blob, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "seed_detect_state: cannot write %s\n", path);
    exit(1);
  }
  printf("%s: %zu bytes\n", path, len);
  free(blob);
}

int main(int argc, char **argv) {
  struct lw_detect_state st;
  struct lw_detect_output out;
  struct lw_detect_config cfg = {MIN, 2, 2, 1, 1, NULL};
  int poll;
  if (argc != 2) {
    fprintf(stderr, "usage: seed_detect_state DIR\n");
    return 2;
  }
  lw_detect_state_init(&st);
  lw_detect_output_init(&out);
  save(&st, argv[1], "fresh.bin");
  for (poll = 0; poll < 5; poll++) {
    static const char *const names[] = {"sessions.bin", "orphans.bin", "leaks-held.bin",
                                        "leaks-later.bin", "released.bin"};
    snap = lw_snapshot_new();
    if (snap == NULL)
      return 1;
    snap->taken_at = T0 + poll * MIN + (poll == 3 ? 61 * MIN : 0);
    snap->boot_time = T0 - 86400000;
    logon(0x3e7, "SYSTEM", "NT AUTHORITY", 0, 0, 3);
    logon(0x10000, "DWM-3", "Window Manager", 2, 0, 1);
    wts(0, 4, NULL);
    wts(65536, 6, NULL);
    if (poll < 4) {
      logon(0x20000, "alice", "CONTOSO", 10, 2, poll == 0 ? 2 : 0);
      logon(0x20001, "bob", "CONTOSO", 10, 3, poll == 0 ? 1 : 0);
    }
    logon(0x20002, "svc", "CONTOSO", 4, 0, 0);
    logon(0x20003, "SVC", "contoso", 4, 0, 0);
    logon(0x2000a, "carol", "CONTOSO", 10, 5, 1);
    wts(5, poll == 0 ? 0 : 8, "carol");
    if (poll == 0) {
      wts(2, 0, "alice");
      wts(3, 4, "bob");
    }
    lw_snapshot_finish(snap);
    if (lw_detect_step(&st, snap, &cfg, &out) != 0)
      return 1;
    lw_snapshot_free(snap);
    save(&st, argv[1], names[poll]);
  }
  lw_detect_output_free(&out);
  lw_detect_state_free(&st);
  return 0;
}
