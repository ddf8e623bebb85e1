/*
 * Unit tests for holders.c: selection of Token/Process handles by type index,
 * grouping by owner process, matching to the LUIDs of interest, exited
 * processes kept open, failures counted (not errors), the deadline, and the
 * text / JSON / table forms. The OS is a fake probe over synthetic data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "csv_writer.h"
#include "holders.h"
#include "report_holders.h"
#include "timefmt.h"
#include "json_writer.h"

#define T_TOKEN 5
#define T_PROCESS 7
#define T_FILE 37
#define SELF 99
#define LUID_A UINT64_C(0x0000000100abcdef)
#define LUID_B UINT64_C(0x2f00)
#define LUID_C UINT64_C(0x3e7)

/* ---- The fake OS ------------------------------------------------------------ */

struct fake_proc {
  uint32_t pid;
  int open_rc;
  const char *image;
  const char *services;
};

/* What a handle value refers to; handle values are unique across the fake. */
struct fake_handle {
  uint64_t handle;
  int rc;
  bool is_process;
  uint64_t luid;
  uint32_t token_type;
  uint32_t target_pid; /* process handles */
  bool exited;
  const char *image; /* of the target */
};

struct fake {
  const struct fake_proc *procs;
  size_t n_procs;
  const struct fake_handle *handles;
  size_t n_handles;
  uint32_t open_pid; /* 0: none open */
  int opens, closes, read_tokens, read_processes, describes;
  uint32_t open_order[64];
  int expire_after; /* expired() true from this call on; -1 never */
  int expired_calls;
  uint64_t default_luid; /* tokens not in `handles` */
};

static const struct fake_proc *find_proc(const struct fake *f, uint32_t pid) {
  for (size_t i = 0; i < f->n_procs; i++)
    if (f->procs[i].pid == pid)
      return &f->procs[i];
  return NULL;
}

static const struct fake_handle *find_handle(const struct fake *f, uint64_t h) {
  for (size_t i = 0; i < f->n_handles; i++)
    if (f->handles[i].handle == h)
      return &f->handles[i];
  return NULL;
}

static int f_open(void *ctx, uint32_t pid) {
  struct fake *f = ctx;
  const struct fake_proc *p = find_proc(f, pid);
  assert_int_equal(f->open_pid, 0); /* one at a time, each closed */
  assert_int_not_equal(pid, SELF);
  if (f->opens < 64)
    f->open_order[f->opens] = pid;
  if (p != NULL && p->open_rc != 0) {
    f->opens++; /* counted as an attempt; nothing to close */
    f->closes++;
    return p->open_rc;
  }
  f->opens++;
  f->open_pid = pid;
  return 0;
}

static void f_close(void *ctx) {
  struct fake *f = ctx;
  assert_int_not_equal(f->open_pid, 0);
  f->open_pid = 0;
  f->closes++;
}

static int f_token(void *ctx, uint64_t handle, uint64_t *luid, uint32_t *type) {
  struct fake *f = ctx;
  const struct fake_handle *h = find_handle(f, handle);
  assert_int_not_equal(f->open_pid, 0);
  f->read_tokens++;
  if (h == NULL) {
    *luid = f->default_luid;
    *type = LW_TOKEN_PRIMARY;
    return 0;
  }
  assert_false(h->is_process);
  if (h->rc != 0)
    return h->rc;
  *luid = h->luid;
  *type = h->token_type;
  return 0;
}

static int f_process(void *ctx, uint64_t handle, struct lw_holders_target *t) {
  struct fake *f = ctx;
  const struct fake_handle *h = find_handle(f, handle);
  assert_int_not_equal(f->open_pid, 0);
  f->read_processes++;
  if (h == NULL) { /* a live process */
    t->pid = 1;
    t->exited = false;
    return 0;
  }
  assert_true(h->is_process);
  if (h->rc != 0)
    return h->rc;
  t->pid = h->target_pid;
  t->exited = h->exited;
  t->luid = h->luid;
  t->image = h->image;
  return 0;
}

static int f_describe(void *ctx, const char **image, const char **services) {
  struct fake *f = ctx;
  const struct fake_proc *p = find_proc(f, f->open_pid);
  assert_int_not_equal(f->open_pid, 0);
  f->describes++;
  *image = p != NULL ? p->image : NULL;
  *services = p != NULL ? p->services : NULL;
  return 0;
}

static bool f_expired(void *ctx) {
  struct fake *f = ctx;
  return f->expire_after >= 0 && f->expired_calls++ >= f->expire_after;
}

static struct lw_holders_probe probe_of(struct fake *f) {
  struct lw_holders_probe p = {f, f_open, f_token, f_process, f_describe, f_close, f_expired};
  return p;
}

static struct lw_handle_entry entry(uint32_t pid, uint64_t handle, uint16_t type, uint64_t obj) {
  struct lw_handle_entry e;
  memset(&e, 0, sizeof e);
  e.pid = pid;
  e.handle = handle;
  e.type_index = type;
  e.object = obj;
  return e;
}

static const struct lw_holders_types types_std = {T_TOKEN, T_PROCESS};

/* ---- A small host ------------------------------------------------------------ */

/* Processes: 100 grabber (3 tokens of A, 1 impersonation of B), 200 svchost
 * (1 token of A, hosts two services), 300 protected (refuses), 400 with tokens
 * of C only, SELF (our own tokens, never opened). Handles interleaved. */
static const struct fake_proc host_procs[] = {
    {100, 0, "C:\\Tools\\TokenGrabber.exe", "TokenGrabber"},
    {200, 0, "C:\\Windows\\System32\\svchost.exe", "Appinfo, seclogon"},
    {300, LW_EACCES, "C:\\Windows\\System32\\csrss.exe", NULL},
    {400, 0, "C:\\Windows\\explorer.exe", NULL},
};
static const struct fake_handle host_handles[] = {
    {0x104, 0, false, LUID_A, LW_TOKEN_PRIMARY, 0, false, NULL},
    {0x108, 0, false, LUID_A, LW_TOKEN_PRIMARY, 0, false, NULL},
    {0x10c, 0, false, LUID_A, LW_TOKEN_IMPERSONATION, 0, false, NULL},
    {0x110, 0, false, LUID_B, LW_TOKEN_IMPERSONATION, 0, false, NULL},
    {0x204, 0, false, LUID_A, LW_TOKEN_PRIMARY, 0, false, NULL},
    {0x304, 0, false, LUID_A, LW_TOKEN_PRIMARY, 0, false, NULL},
    {0x404, 0, false, LUID_C, LW_TOKEN_PRIMARY, 0, false, NULL},
    {0x904, 0, false, LUID_A, LW_TOKEN_PRIMARY, 0, false, NULL},
};

static size_t host_entries(struct lw_handle_entry *e) {
  size_t n = 0;
  e[n++] = entry(200, 0x204, T_TOKEN, 0);
  e[n++] = entry(100, 0x104, T_TOKEN, 0);
  e[n++] = entry(100, 0x4, T_FILE, 0);
  e[n++] = entry(SELF, 0x904, T_TOKEN, 0);
  e[n++] = entry(300, 0x304, T_TOKEN, 0);
  e[n++] = entry(100, 0x108, T_TOKEN, 0);
  e[n++] = entry(400, 0x404, T_TOKEN, 0);
  e[n++] = entry(100, 0x10c, T_TOKEN, 0);
  e[n++] = entry(100, 0x110, T_TOKEN, 0);
  e[n++] = entry(200, 0x8, T_FILE, 0);
  return n;
}

static struct fake host_fake(void) {
  struct fake f;
  memset(&f, 0, sizeof f);
  f.procs = host_procs;
  f.n_procs = sizeof host_procs / sizeof host_procs[0];
  f.handles = host_handles;
  f.n_handles = sizeof host_handles / sizeof host_handles[0];
  f.expire_after = -1;
  return f;
}

struct ctx {
  struct lw_holders_matcher *m;
  struct lw_holders_result *r;
};

static int setup(void **state) {
  struct ctx *c = calloc(1, sizeof *c);
  assert_non_null(c);
  assert_int_equal(lw_holders_matcher_new(&c->m), 0);
  assert_int_equal(lw_holders_result_new(&c->r), 0);
  *state = c;
  return 0;
}

static int teardown(void **state) {
  struct ctx *c = *state;
  lw_holders_matcher_free(c->m);
  lw_holders_result_free(c->r);
  free(c);
  return 0;
}

static void test_match_groups_by_luid(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[16];
  size_t n = host_entries(e);
  struct fake f = host_fake();
  struct lw_holders_probe p = probe_of(&f);
  const uint64_t want[] = {LUID_A, LUID_A, UINT64_C(0x777)}; /* duplicates and an absent one */

  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, want, 3, &p, c->r), 0);
  /* each owner opened once, in PID order, never SELF; every open closed */
  assert_int_equal(f.opens, 4);
  assert_int_equal(f.opens, f.closes);
  assert_int_equal(f.open_order[0], 100);
  assert_int_equal(f.open_order[1], 200);
  assert_int_equal(f.open_order[2], 300);
  assert_int_equal(f.open_order[3], 400);
  assert_int_equal(f.open_pid, 0);

  assert_int_equal(c->r->n_sessions, 1);
  const struct lw_holders_session *s = lw_holders_find(c->r, LUID_A);
  assert_non_null(s);
  assert_null(lw_holders_find(c->r, LUID_B));
  assert_int_equal(s->tokens, 4);
  assert_int_equal(s->n_holders, 2);
  assert_int_equal(s->holders[0].pid, 100); /* most tokens first */
  assert_int_equal(s->holders[0].tokens, 3);
  assert_int_equal(s->holders[0].primary_tokens, 2);
  assert_int_equal(s->holders[0].impersonation_tokens, 1);
  assert_string_equal(lw_holder_token_types(&s->holders[0]), "primary, impersonation");
  assert_string_equal(s->holders[0].image, "C:\\Tools\\TokenGrabber.exe");
  assert_string_equal(s->holders[0].services, "TokenGrabber");
  assert_false(s->holders[0].exited_process);
  assert_int_equal(s->holders[1].pid, 200);
  assert_int_equal(s->holders[1].tokens, 1);
  assert_string_equal(s->holders[1].services, "Appinfo, seclogon");

  const struct lw_holders_cost *k = &c->r->cost;
  assert_int_equal(k->handles_seen, n);
  assert_int_equal(k->token_handles, 7); /* SELF's excluded */
  assert_int_equal(k->token_handles_inspected, 6);
  assert_int_equal(k->processes, 4);
  assert_int_equal(k->processes_inspected, 3);
  assert_int_equal(k->processes_not_inspectable, 1);
  assert_int_equal(k->errors, 0);
  assert_false(k->partial);
  /* described only the processes that matched */
  assert_int_equal(f.describes, 2);
}

static void test_match_all_luids(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[16];
  size_t n = host_entries(e);
  struct fake f = host_fake();
  struct lw_holders_probe p = probe_of(&f);

  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, NULL, 0, &p, c->r), 0);
  assert_int_equal(c->r->n_sessions, 3);
  /* sorted by LUID */
  assert_true(c->r->sessions[0].luid == LUID_C);
  assert_true(c->r->sessions[1].luid == LUID_B);
  assert_true(c->r->sessions[2].luid == LUID_A);
  assert_int_equal(c->r->sessions[1].n_holders, 1);
  assert_int_equal(c->r->sessions[1].holders[0].impersonation_tokens, 1);
  assert_string_equal(lw_holder_token_types(&c->r->sessions[1].holders[0]), "impersonation");
  assert_int_equal(c->r->sessions[0].holders[0].pid, 400);
  assert_null(c->r->sessions[0].holders[0].services);
}

static void test_match_empty_set(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[16];
  size_t n = host_entries(e);
  struct fake f = host_fake();
  struct lw_holders_probe p = probe_of(&f);
  const uint64_t none = 0;

  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, &none, 0, &p, c->r), 0);
  assert_int_equal(c->r->n_sessions, 0);
  assert_int_equal(f.opens, 0);
  assert_int_equal(c->r->cost.handles_seen, n);
}

/* The same handles typed 36 (another Windows build): found with the right
 * index, not with a fixed one. */
static void test_match_type_index_differs(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[16];
  size_t n = host_entries(e);
  struct fake f = host_fake();
  struct lw_holders_probe p = probe_of(&f);
  const struct lw_holders_types other = {36, 8};

  for (size_t i = 0; i < n; i++)
    if (e[i].type_index == T_TOKEN)
      e[i].type_index = 36;
  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, NULL, 0, &p, c->r), 0);
  assert_int_equal(c->r->n_sessions, 0);
  assert_int_equal(c->r->cost.token_handles, 0);
  assert_int_equal(f.read_tokens, 0);

  assert_int_equal(lw_holders_match(c->m, e, n, &other, SELF, NULL, 0, &p, c->r), 0);
  assert_int_equal(c->r->n_sessions, 3);
  assert_int_equal(c->r->cost.token_handles_inspected, 6);
}

static const struct fake_proc ex_procs[] = {
    {10, 0, "C:\\Apps\\Keeper.exe", "KeeperSvc"},
    {20, 0, "C:\\Apps\\Other.exe", NULL},
};
static const struct fake_handle ex_handles[] = {
    /* Keeper holds two handles to exited 77 (luid A) and one to exited 78 (luid B) */
    {0x10, 0, true, LUID_A, 0, 77, true, "C:\\Apps\\Worker.exe"},
    {0x14, 0, true, LUID_A, 0, 77, true, "C:\\Apps\\Worker.exe"},
    {0x18, 0, true, LUID_B, 0, 78, true, "C:\\Apps\\Other2.exe"},
    /* Other holds a handle to exited 77 too, and a vanished handle */
    {0x20, 0, true, LUID_A, 0, 77, true, "C:\\Apps\\Worker.exe"},
    {0x24, LW_EGONE, true, 0, 0, 0, false, NULL},
    {0x28, LW_EACCES, true, 0, 0, 0, false, NULL},
};

static void test_exited_processes(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[8];
  size_t n = 0;
  struct fake f;
  struct lw_holders_probe p;
  const uint64_t want = LUID_A;
  char buf[256];

  memset(&f, 0, sizeof f);
  f.procs = ex_procs;
  f.n_procs = 2;
  f.handles = ex_handles;
  f.n_handles = 6;
  f.expire_after = -1;
  p = probe_of(&f);
  e[n++] = entry(10, 0x10, T_PROCESS, 0);
  e[n++] = entry(10, 0x14, T_PROCESS, 0);
  e[n++] = entry(10, 0x18, T_PROCESS, 0);
  e[n++] = entry(10, 0x1c, T_PROCESS, 0); /* a live process */
  e[n++] = entry(20, 0x20, T_PROCESS, 0);
  e[n++] = entry(20, 0x24, T_PROCESS, 0);
  e[n++] = entry(20, 0x28, T_PROCESS, 0);

  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, &want, 1, &p, c->r), 0);
  assert_int_equal(c->r->n_sessions, 1);
  const struct lw_holders_session *s = &c->r->sessions[0];
  assert_int_equal(s->n_holders, 2);
  assert_int_equal(s->tokens, 2);
  assert_true(s->holders[0].exited_process);
  assert_int_equal(s->holders[0].pid, 77);
  assert_string_equal(s->holders[0].image, "C:\\Apps\\Worker.exe");
  assert_int_equal(s->holders[0].held_by_pid, 10);
  assert_string_equal(s->holders[0].held_by_image, "C:\\Apps\\Keeper.exe");
  assert_string_equal(s->holders[0].held_by_services, "KeeperSvc");
  assert_int_equal(s->holders[0].process_handles, 2);
  assert_int_equal(s->holders[0].tokens, 1);
  assert_int_equal(s->holders[1].held_by_pid, 20);
  assert_int_equal(s->holders[1].process_handles, 1);
  assert_int_equal(c->r->cost.process_handles, 7);
  assert_int_equal(c->r->cost.process_handles_inspected, 5);
  assert_int_equal(c->r->cost.handles_gone, 1);
  assert_int_equal(c->r->cost.process_handles_denied, 1);
  assert_int_equal(f.opens, f.closes);

  assert_int_equal(lw_holder_format(&s->holders[0], buf, sizeof buf), 0);
  assert_string_equal(buf, "exited Worker.exe (PID 77) held open by Keeper.exe (PID 10, "
                           "service KeeperSvc)");

  /* Process 0 in the types: no Process handle is read */
  const struct lw_holders_types tokens_only = {T_TOKEN, 0};
  f.read_processes = 0;
  assert_int_equal(lw_holders_match(c->m, e, n, &tokens_only, SELF, &want, 1, &p, c->r), 0);
  assert_int_equal(f.read_processes, 0);
  assert_int_equal(c->r->n_sessions, 0);
}

/* Handles to the same Process object are read once per walk. */
static void test_process_object_cache(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[8];
  size_t n = 0;
  struct fake f;
  struct lw_holders_probe p;

  memset(&f, 0, sizeof f);
  f.procs = ex_procs;
  f.n_procs = 2;
  f.handles = ex_handles;
  f.n_handles = 6;
  f.expire_after = -1;
  p = probe_of(&f);
  e[n++] = entry(10, 0x10, T_PROCESS, 0xffff8001000a0000u);
  e[n++] = entry(10, 0x14, T_PROCESS, 0xffff8001000a0000u);
  e[n++] = entry(20, 0x20, T_PROCESS, 0xffff8001000a0000u);
  e[n++] = entry(20, 0x2c, T_PROCESS, 0xffff8001000b0000u); /* live */
  e[n++] = entry(10, 0x30, T_PROCESS, 0xffff8001000b0000u); /* same live one */

  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, NULL, 0, &p, c->r), 0);
  assert_int_equal(f.read_processes, 2);
  assert_int_equal(c->r->cost.process_handles_inspected, 2);
  const struct lw_holders_session *s = lw_holders_find(c->r, LUID_A);
  assert_non_null(s);
  assert_int_equal(s->n_holders, 2);
  assert_int_equal(s->holders[0].process_handles, 2);
  assert_int_equal(s->holders[1].process_handles, 1);
  /* the image was read once, and still named for the second holder */
  assert_string_equal(s->holders[1].image, "C:\\Apps\\Worker.exe");
}

static const struct fake_proc fail_procs[] = {
    {10, LW_EGONE, NULL, NULL},   /* exited between enumeration and opening */
    {20, LW_EACCES, NULL, NULL},  /* protected */
    {30, LW_ENOPRIV, NULL, NULL}, /* no SeDebugPrivilege */
    {40, LW_EOS, NULL, NULL},     /* anything else */
    {50, 0, NULL, NULL},          /* fine, but its image cannot be read */
};
static const struct fake_handle fail_handles[] = {
    {0x50, LW_EGONE, false, 0, 0, 0, false, NULL},  /* closed meanwhile */
    {0x54, LW_EACCES, false, 0, 0, 0, false, NULL}, /* refused */
    {0x58, LW_EIO, false, 0, 0, 0, false, NULL},    /* failed otherwise */
    {0x5c, 0, false, LUID_A, LW_TOKEN_PRIMARY, 0, false, NULL},
};

static void test_failures_counted(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[16];
  size_t n = 0;
  struct fake f;
  struct lw_holders_probe p;
  char buf[128];

  memset(&f, 0, sizeof f);
  f.procs = fail_procs;
  f.n_procs = 5;
  f.handles = fail_handles;
  f.n_handles = 4;
  f.expire_after = -1;
  p = probe_of(&f);
  for (uint32_t pid = 10; pid <= 40; pid += 10)
    e[n++] = entry(pid, 0x4, T_TOKEN, 0);
  e[n++] = entry(50, 0x50, T_TOKEN, 0);
  e[n++] = entry(50, 0x54, T_TOKEN, 0);
  e[n++] = entry(50, 0x58, T_TOKEN, 0);
  e[n++] = entry(50, 0x5c, T_TOKEN, 0);

  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, NULL, 0, &p, c->r), 0);
  const struct lw_holders_cost *k = &c->r->cost;
  assert_int_equal(k->processes, 5);
  assert_int_equal(k->processes_gone, 1);
  assert_int_equal(k->processes_not_inspectable, 2);
  assert_int_equal(k->processes_inspected, 1);
  assert_int_equal(k->handles_gone, 1);
  assert_int_equal(k->token_handles_denied, 1);
  assert_int_equal(k->errors, 2);
  assert_int_equal(k->token_handles_inspected, 1);
  assert_int_equal(c->r->n_sessions, 1);
  assert_null(c->r->sessions[0].holders[0].image);
  assert_int_equal(lw_holder_format(&c->r->sessions[0].holders[0], buf, sizeof buf), 0);
  assert_string_equal(buf, "PID 50 (image unknown) holds 1 token");
  assert_int_equal(f.opens, f.closes);
}

static int nomem_token(void *ctx, uint64_t handle, uint64_t *luid, uint32_t *type) {
  (void)ctx;
  (void)handle;
  (void)luid;
  (void)type;
  return LW_ENOMEM;
}

static void test_nomem_aborts_and_closes(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[16];
  size_t n = host_entries(e);
  struct fake f = host_fake();
  struct lw_holders_probe p = probe_of(&f);

  /* a first good walk leaves sessions, which the failed one must drop */
  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, NULL, 0, &p, c->r), 0);
  assert_true(c->r->n_sessions > 0);
  p.read_token = nomem_token;
  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, NULL, 0, &p, c->r), LW_ENOMEM);
  assert_int_equal(c->r->n_sessions, 0);
  assert_int_equal(f.opens, f.closes);
  assert_int_equal(f.open_pid, 0);
}

static void test_deadline_partial(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[16];
  size_t n = host_entries(e);
  struct fake f = host_fake();
  struct lw_holders_probe p = probe_of(&f);

  f.expire_after = 1; /* the first process is visited, then time is up */
  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, NULL, 0, &p, c->r), 0);
  assert_true(c->r->cost.partial);
  assert_int_equal(c->r->cost.processes_inspected, 1);
  assert_int_equal(c->r->cost.processes_skipped, 3);
  assert_int_equal(c->r->cost.processes, 4);
  assert_int_equal(f.opens, f.closes);
  /* what was found before the deadline is kept */
  assert_non_null(lw_holders_find(c->r, LUID_A));
  assert_int_equal(lw_holders_find(c->r, LUID_A)->holders[0].pid, 100);

  char buf[128];
  assert_int_equal(lw_holders_format_summary(c->r, LUID_C, buf, sizeof buf), 0);
  assert_string_equal(buf, "no token handle found (scan incomplete)");
}

/* One process with many token handles: the deadline is asked inside it. */
static void test_deadline_inside_big_process(void **state) {
  struct ctx *c = *state;
  const size_t n = 5000;
  struct lw_handle_entry *e = calloc(n + 1, sizeof *e);
  struct fake f;
  struct lw_holders_probe p;

  assert_non_null(e);
  memset(&f, 0, sizeof f);
  f.expire_after = -1;
  f.default_luid = LUID_B;
  p = probe_of(&f);
  for (size_t i = 0; i < n; i++)
    e[i] = entry(1234, 4 + 4 * i, T_TOKEN, 0);
  e[n] = entry(1300, 4, T_TOKEN, 0);
  assert_int_equal(lw_holders_match(c->m, e, n + 1, &types_std, SELF, NULL, 0, &p, c->r), 0);
  assert_int_equal(c->r->sessions[0].holders[0].tokens, n);
  assert_int_equal(c->r->sessions[0].n_holders, 2);

  f.expire_after = 3; /* before the first process, then twice inside it */
  f.expired_calls = 0;
  assert_int_equal(lw_holders_match(c->m, e, n + 1, &types_std, SELF, NULL, 0, &p, c->r), 0);
  assert_true(c->r->cost.partial);
  assert_int_equal(c->r->cost.token_handles_inspected, 3 * 256);
  assert_int_equal(c->r->cost.processes_skipped, 1);
  assert_int_equal(f.opens, f.closes);
  free(e);
}

/* Correctness on a large table: 200,000 entries, 1 % tokens, 2 % processes. */
static void test_large_table(void **state) {
  struct ctx *c = *state;
  const size_t n = 200000;
  struct lw_handle_entry *e = calloc(n, sizeof *e);
  struct fake f;
  struct lw_holders_probe p;
  size_t tokens = 0;
  const uint64_t want = LUID_B;

  assert_non_null(e);
  memset(&f, 0, sizeof f);
  f.expire_after = -1;
  f.default_luid = LUID_B;
  p = probe_of(&f);
  for (size_t i = 0; i < n; i++) {
    uint16_t t = i % 100 == 0 ? T_TOKEN : i % 50 == 1 ? T_PROCESS : T_FILE;
    e[i] = entry((uint32_t)(1000 + i / 200), 4 * (i + 1), t, t == T_PROCESS ? 0x1000 + i % 7 : 0);
    tokens += t == T_TOKEN;
  }
  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, &want, 1, &p, c->r), 0);
  assert_int_equal(c->r->cost.token_handles, tokens);
  assert_int_equal(c->r->cost.token_handles_inspected, tokens);
  assert_int_equal(c->r->n_sessions, 1);
  assert_int_equal(c->r->sessions[0].tokens, tokens);
  assert_int_equal(c->r->sessions[0].n_holders, n / 200);
  assert_int_equal(c->r->cost.processes, n / 200);
  assert_int_equal(c->r->cost.process_handles_inspected, 7); /* by object */
  assert_int_equal(f.opens, f.closes);
  free(e);
}

/* ---- Text, JSON, table --------------------------------------------------- */

static void test_basename(void **state) {
  (void)state;
  assert_string_equal(lw_holders_basename("C:\\Windows\\System32\\svchost.exe"), "svchost.exe");
  assert_string_equal(lw_holders_basename("/usr/bin/x"), "x");
  assert_string_equal(lw_holders_basename("plain.exe"), "plain.exe");
  assert_string_equal(lw_holders_basename("C:\\dir\\"), "C:\\dir\\");
  assert_string_equal(lw_holders_basename(NULL), "?");
}

static void test_format(void **state) {
  char buf[128];
  struct lw_holder h;
  (void)state;
  memset(&h, 0, sizeof h);
  h.pid = 4412;
  h.image = "C:\\Tools\\TokenGrabber.exe";
  h.services = "TokenGrabber";
  h.tokens = 3;
  assert_int_equal(lw_holder_format(&h, buf, sizeof buf), 0);
  assert_string_equal(buf, "TokenGrabber.exe (PID 4412, service TokenGrabber) holds 3 tokens");
  h.services = "A, B";
  h.tokens = 1;
  assert_int_equal(lw_holder_format(&h, buf, sizeof buf), 0);
  assert_string_equal(buf, "TokenGrabber.exe (PID 4412, services A, B) holds 1 token");
  h.services = NULL;
  assert_int_equal(lw_holder_format(&h, buf, sizeof buf), 0);
  assert_string_equal(buf, "TokenGrabber.exe (PID 4412) holds 1 token");
  /* truncated: marked, NUL-terminated, within size */
  assert_int_equal(lw_holder_format(&h, buf, 20), LW_ENOSPC);
  assert_int_equal(strlen(buf), 19);
  assert_string_equal(buf + 16, "...");
  assert_int_equal(lw_holder_format(&h, buf, 2), LW_ENOSPC);
  assert_int_equal(strlen(buf), 1);
  assert_int_equal(lw_holder_format(NULL, buf, sizeof buf), LW_EINVAL);
}

static void test_summary(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[16];
  size_t n = host_entries(e);
  struct fake f = host_fake();
  struct lw_holders_probe p = probe_of(&f);
  char buf[512];

  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, NULL, 0, &p, c->r), 0);
  assert_int_equal(lw_holders_format_summary(c->r, LUID_A, buf, sizeof buf), 0);
  assert_string_equal(buf, "TokenGrabber.exe (PID 100, service TokenGrabber) holds 3 tokens; "
                           "svchost.exe (PID 200, services Appinfo, seclogon) holds 1 token");
  assert_int_equal(lw_holders_format_summary(c->r, 0x12345, buf, sizeof buf), 0);
  assert_string_equal(buf, LW_HOLDERS_NONE_TEXT);
  assert_int_equal(lw_holders_format_summary(NULL, 0x12345, buf, sizeof buf), 0);
  assert_string_equal(buf, "no holder scan");
}

static void test_summary_many_holders(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[8];
  struct fake f;
  struct lw_holders_probe p;
  char buf[1024];

  memset(&f, 0, sizeof f);
  f.expire_after = -1;
  f.default_luid = LUID_A;
  p = probe_of(&f);
  for (uint32_t i = 0; i < 8; i++)
    e[i] = entry(500 + i, 4, T_TOKEN, 0);
  assert_int_equal(lw_holders_match(c->m, e, 8, &types_std, SELF, NULL, 0, &p, c->r), 0);
  assert_int_equal(lw_holders_format_summary(c->r, LUID_A, buf, sizeof buf), 0);
  assert_non_null(strstr(buf, "PID 504 (image unknown) holds 1 token; and 3 more processes"));
  assert_null(strstr(buf, "PID 505"));
}

static void test_json(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[16];
  size_t n = host_entries(e);
  struct fake f = host_fake();
  struct lw_holders_probe p = probe_of(&f);
  struct lw_json w;
  const uint64_t want = LUID_A;

  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, &want, 1, &p, c->r), 0);
  c->r->scanned_at = INT64_C(1795000000000);
  c->r->cost.elapsed_ms = 12;
  lw_json_init_buffer(&w, LW_JSON_COMPACT);
  assert_int_equal(lw_holders_write_json(&w, c->r), 0);
  assert_int_equal(lw_json_finish(&w), 0);
  const char *j = lw_json_buffer(&w, NULL);
  assert_non_null(strstr(j, "{\"scanned_at\":\"2026-11-18T"));
  assert_non_null(
      strstr(j, "\"complete\":true,\"cost\":{\"handles_seen\":10,\"token_handles\":7,"));
  assert_non_null(strstr(j, "\"elapsed_ms\":12,"));
  assert_non_null(strstr(j,
                         "\"logon_sessions\":[{\"luid\":\"00000001:00abcdef\",\"tokens\":4,"
                         "\"holders\":[{\"pid\":100,\"image\":\"C:\\\\Tools\\\\TokenGrabber.exe\","
                         "\"services\":\"TokenGrabber\",\"tokens\":3,\"primary_tokens\":2,"
                         "\"impersonation_tokens\":1,\"token_types\":\"primary, "
                         "impersonation\",\"exited_process\":false,\"held_open_by\":null}"));
  lw_json_free(&w);
}

static void test_json_exited(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[2];
  struct fake f;
  struct lw_holders_probe p;
  struct lw_json w;

  memset(&f, 0, sizeof f);
  f.procs = ex_procs;
  f.n_procs = 2;
  f.handles = ex_handles;
  f.n_handles = 6;
  f.expire_after = -1;
  p = probe_of(&f);
  e[0] = entry(10, 0x10, T_PROCESS, 0);
  assert_int_equal(lw_holders_match(c->m, e, 1, &types_std, SELF, NULL, 0, &p, c->r), 0);
  lw_json_init_buffer(&w, LW_JSON_COMPACT);
  assert_int_equal(lw_holders_write_json(&w, c->r), 0);
  assert_int_equal(lw_json_finish(&w), 0);
  const char *j = lw_json_buffer(&w, NULL);
  assert_non_null(strstr(j, "{\"scanned_at\":null,"));
  assert_non_null(strstr(j, "\"pid\":77,\"image\":\"C:\\\\Apps\\\\Worker.exe\",\"services\":null,"
                            "\"tokens\":1,"));
  assert_non_null(strstr(j, "\"exited_process\":true,\"held_open_by\":{\"pid\":10,\"image\":"
                            "\"C:\\\\Apps\\\\Keeper.exe\",\"services\":\"KeeperSvc\","
                            "\"process_handles\":1}"));
  lw_json_free(&w);
}

static void test_table(void **state) {
  struct ctx *c = *state;
  struct lw_handle_entry e[16];
  size_t n = host_entries(e);
  struct fake f = host_fake();
  struct lw_holders_probe p = probe_of(&f);
  char text[2048];
  FILE *tf = tmpfile();
  size_t got;

  assert_non_null(tf);
  assert_int_equal(lw_holders_match(c->m, e, n, &types_std, SELF, NULL, 0, &p, c->r), 0);
  assert_int_equal(lw_holders_write_table(tf, c->r), 0);
  rewind(tf);
  got = fread(text, 1, sizeof text - 1, tf);
  text[got] = '\0';
  fclose(tf);
  assert_non_null(strstr(text, "LOGON SESSION"));
  assert_non_null(strstr(text, "00000001:00abcdef      100       3  primary, impersonation  "
                               "C:\\Tools\\TokenGrabber.exe [services: TokenGrabber]\n"));
  assert_non_null(strstr(text, "00000000:000003e7      400       1  primary"));
  assert_non_null(strstr(text, "Scanned 10 handles in 0 ms: 6 token handles read"));
  assert_non_null(strstr(text, "1 not inspectable"));
}

/* The table keeps to 120 columns: a long path is shown by its file name, a
 * line still too long is cut; the CSV has everything, one row per holder. */
static void test_table_width_and_csv(void **state) {
  static char long_path[200];
  struct lw_holder h[2];
  struct lw_holders_session sess;
  struct lw_holders_result r;
  char text[4096];
  FILE *tf = tmpfile();
  size_t got;
  struct lw_csv w;
  const char *csv;
  (void)state;
  memset(h, 0, sizeof h);
  memset(&r, 0, sizeof r);
  snprintf(long_path, sizeof long_path, "C:\\%s\\Worker.exe",
           "Program Files\\Some Vendor With A Long Name\\Agent\\bin\\x64");
  h[0].pid = 77;
  h[0].image = long_path;
  h[0].tokens = 1;
  h[0].exited_process = true;
  h[0].held_by_pid = 10;
  h[0].held_by_image = "C:\\Apps\\Keeper.exe";
  h[1].pid = 78;
  h[1].image = "C:\\Apps\\svc.exe";
  h[1].tokens = 2;
  h[1].primary_tokens = 2;
  h[1].services = "=A very long list of services that goes on and on,Another,And one more";
  sess.luid = 0x4a1f2;
  sess.tokens = 3;
  sess.holders = h;
  sess.n_holders = 2;
  r.scanned_at = LW_TIME_UNKNOWN;
  r.sessions = &sess;
  r.n_sessions = 1;
  assert_non_null(tf);
  assert_int_equal(lw_holders_write_table(tf, &r), 0);
  rewind(tf);
  got = fread(text, 1, sizeof text - 1, tf);
  text[got] = '\0';
  fclose(tf);
  assert_non_null(
      strstr(text, "  exited                  Worker.exe, held open by Keeper.exe (PID 10)\n"));
  assert_non_null(strstr(text, "svc.exe [services: =A very long list of services that goe...\n"));
  for (const char *line = text; *line != '\0';) {
    const char *end = strchr(line, '\n');
    size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
    if (len > 120)
      fail_msg("a line of %zu columns: %.*s", len, (int)len, line);
    line += len + (end != NULL);
  }
  lw_csv_init_buffer(&w, LW_CSV_LF);
  assert_int_equal(lw_holders_write_csv(&w, &r), 0);
  csv = lw_csv_buffer(&w, NULL);
  assert_string_equal(
      csv,
      "luid,pid,image,services,tokens,primary_tokens,impersonation_tokens,token_types,"
      "exited_process,held_open_by_pid,held_open_by_image,held_open_by_services,process_handles\n"
      "00000000:0004a1f2,77,C:\\Program Files\\Some Vendor With A Long Name\\Agent\\bin\\x64\\"
      "Worker.exe,,1,0,0,none,1,10,C:\\Apps\\Keeper.exe,,0\n"
      "00000000:0004a1f2,78,C:\\Apps\\svc.exe,\"'=A very long list of services that goes on and "
      "on,Another,And one more\",2,2,0,primary,0,,,,\n");
  lw_csv_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_width_and_csv),
      cmocka_unit_test_setup_teardown(test_match_groups_by_luid, setup, teardown),
      cmocka_unit_test_setup_teardown(test_match_all_luids, setup, teardown),
      cmocka_unit_test_setup_teardown(test_match_empty_set, setup, teardown),
      cmocka_unit_test_setup_teardown(test_match_type_index_differs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_exited_processes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_process_object_cache, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failures_counted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nomem_aborts_and_closes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_deadline_partial, setup, teardown),
      cmocka_unit_test_setup_teardown(test_deadline_inside_big_process, setup, teardown),
      cmocka_unit_test_setup_teardown(test_large_table, setup, teardown),
      cmocka_unit_test(test_basename),
      cmocka_unit_test(test_format),
      cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
      cmocka_unit_test_setup_teardown(test_summary_many_holders, setup, teardown),
      cmocka_unit_test_setup_teardown(test_json, setup, teardown),
      cmocka_unit_test_setup_teardown(test_json_exited, setup, teardown),
      cmocka_unit_test_setup_teardown(test_table, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
