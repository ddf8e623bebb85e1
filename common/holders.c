/*
 * holders.c - the portable half of the holder scan (see holders.h): selection
 * and grouping of handle-table entries, matching of the LUIDs read against the
 * LUIDs of interest, the result grouped by LUID, and its one-line texts.
 *
 * Cost model: one pass over the n entries (a compare of the type index each),
 * then a sort of the selected ~1-3 % by owner PID, then one probe call per
 * selected handle (a Process object referred to by many handles is examined
 * once, through a hash of its kernel address). Matches are appended as small
 * records and grouped by one sort at the end, so nothing is quadratic in the
 * number of handles.
 */
#include "holders.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "timefmt.h"

#if defined(__GNUC__)
#define LW_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define LW_PRINTF_LIKE(f, a)
#endif

/* The layout promise of struct lw_handle_entry. */
_Static_assert(sizeof(struct lw_handle_entry) == 40, "lw_handle_entry must match the x64 layout");

/* Holders listed by name in one summary before "and N more". */
#define SUMMARY_MAX_HOLDERS 5
/* The deadline is asked about every this many handles inside one process. */
#define DEADLINE_STRIDE 256u

enum { KIND_TOKEN = 0, KIND_PROCESS = 1 };
enum { REC_TOKEN = 0, REC_EXITED = 1 };

/* ---- The result's storage ------------------------------------------------- */

/* A match: a token handle of `luid` in `pid`, or the exited process `pid`
 * (of `luid`) kept open by a handle in `held_by`. */
struct rec {
  uint64_t luid;
  uint32_t pid;
  uint32_t held_by;
  uint8_t kind;       /* REC_* */
  uint8_t token_type; /* LW_TOKEN_*, REC_TOKEN only */
};

/* What is known of one process: its strings, owned here. */
struct pinfo {
  uint32_t pid;
  char *image;
  char *services;
};

struct lw__holders_store {
  struct rec *recs;
  size_t n_recs, cap_recs;
  struct pinfo *pinfo;
  size_t n_pinfo, cap_pinfo;
  struct lw_holder *holders;
  size_t cap_holders;
  struct lw_holders_session *sessions;
  size_t cap_sessions;
};

/* Grows *v (elements of `size` bytes) to hold at least `need`. */
static int grow(void **v, size_t *cap, size_t need, size_t size) {
  size_t c;
  void *p;
  if (need <= *cap)
    return 0;
  c = *cap != 0 ? *cap : 16;
  while (c < need) {
    if (c > SIZE_MAX / 2 / size)
      return LW_ENOMEM;
    c *= 2;
  }
  p = realloc(*v, c * size);
  if (p == NULL)
    return LW_ENOMEM;
  *v = p;
  *cap = c;
  return 0;
}

/* Forgets the previous scan's matches and strings; keeps the arrays. */
static void store_reset(struct lw__holders_store *st) {
  size_t i;
  for (i = 0; i < st->n_pinfo; i++) {
    free(st->pinfo[i].image);
    free(st->pinfo[i].services);
  }
  st->n_pinfo = 0;
  st->n_recs = 0;
}

int lw_holders_result_new(struct lw_holders_result **out) {
  struct lw_holders_result *r;
  if (out == NULL)
    return LW_EINVAL;
  *out = NULL;
  r = calloc(1, sizeof *r);
  if (r == NULL)
    return LW_ENOMEM;
  r->store = calloc(1, sizeof *r->store);
  if (r->store == NULL) {
    free(r);
    return LW_ENOMEM;
  }
  r->scanned_at = LW_TIME_UNKNOWN;
  *out = r;
  return 0;
}

void lw_holders_result_free(struct lw_holders_result *r) {
  if (r == NULL)
    return;
  if (r->store != NULL) {
    store_reset(r->store);
    free(r->store->recs);
    free(r->store->pinfo);
    free(r->store->holders);
    free(r->store->sessions);
    free(r->store);
  }
  free(r);
}

const struct lw_holders_session *lw_holders_find(const struct lw_holders_result *r, uint64_t luid) {
  size_t lo = 0, hi;
  if (r == NULL)
    return NULL;
  hi = r->n_sessions;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->sessions[mid].luid < luid)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < r->n_sessions && r->sessions[lo].luid == luid ? &r->sessions[lo] : NULL;
}

static int add_rec(struct lw__holders_store *st, uint64_t luid, uint32_t pid, uint32_t held_by,
                   uint8_t kind, uint8_t token_type) {
  struct rec *r;
  if (grow((void **)&st->recs, &st->cap_recs, st->n_recs + 1, sizeof *st->recs) != 0)
    return LW_ENOMEM;
  r = &st->recs[st->n_recs++];
  r->luid = luid;
  r->pid = pid;
  r->held_by = held_by;
  r->kind = kind;
  r->token_type = token_type;
  return 0;
}

/* Records the strings of `pid`. With `once`, not if they are known already
 * (a linear search, for exited processes: rare). Owners need no search: each
 * is visited once per walk. */
static int add_pinfo(struct lw__holders_store *st, uint32_t pid, const char *image,
                     const char *services, bool once) {
  size_t i;
  struct pinfo *p;
  for (i = 0; once && i < st->n_pinfo; i++)
    if (st->pinfo[i].pid == pid)
      return 0;
  if (grow((void **)&st->pinfo, &st->cap_pinfo, st->n_pinfo + 1, sizeof *st->pinfo) != 0)
    return LW_ENOMEM;
  p = &st->pinfo[st->n_pinfo];
  p->pid = pid;
  p->image = lw_strdup(image);
  p->services = lw_strdup(services);
  if ((image != NULL && p->image == NULL) || (services != NULL && p->services == NULL)) {
    free(p->image);
    free(p->services);
    return LW_ENOMEM;
  }
  st->n_pinfo++;
  return 0;
}

static int cmp_pinfo(const void *a, const void *b) {
  uint32_t x = ((const struct pinfo *)a)->pid, y = ((const struct pinfo *)b)->pid;
  return (x > y) - (x < y);
}

static const struct pinfo *find_pinfo(const struct lw__holders_store *st, uint32_t pid) {
  size_t lo = 0, hi = st->n_pinfo;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (st->pinfo[mid].pid < pid)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < st->n_pinfo && st->pinfo[lo].pid == pid ? &st->pinfo[lo] : NULL;
}

static int cmp_rec(const void *a, const void *b) {
  const struct rec *x = a, *y = b;
  if (x->luid != y->luid)
    return x->luid < y->luid ? -1 : 1;
  if (x->kind != y->kind)
    return x->kind < y->kind ? -1 : 1;
  if (x->pid != y->pid)
    return x->pid < y->pid ? -1 : 1;
  return (x->held_by > y->held_by) - (x->held_by < y->held_by);
}

static int cmp_holder(const void *a, const void *b) {
  const struct lw_holder *x = a, *y = b;
  if (x->exited_process != y->exited_process)
    return x->exited_process ? 1 : -1;
  if (x->tokens != y->tokens)
    return x->tokens > y->tokens ? -1 : 1;
  if (x->pid != y->pid)
    return x->pid < y->pid ? -1 : 1;
  return (x->held_by_pid > y->held_by_pid) - (x->held_by_pid < y->held_by_pid);
}

/* Groups the records into sessions and holders. */
static int build_sessions(struct lw_holders_result *res) {
  struct lw__holders_store *st = res->store;
  size_t i, n_sessions = 0, n_holders = 0, s, h;

  if (st->n_recs == 0)
    return 0; /* res->sessions stays NULL */
  qsort(st->recs, st->n_recs, sizeof *st->recs, cmp_rec);
  if (st->n_pinfo > 0)
    qsort(st->pinfo, st->n_pinfo, sizeof *st->pinfo, cmp_pinfo);
  for (i = 0; i < st->n_recs; i++) {
    const struct rec *r = &st->recs[i], *p = i > 0 ? &st->recs[i - 1] : NULL;
    if (p == NULL || p->luid != r->luid)
      n_sessions++;
    if (p == NULL || cmp_rec(p, r) != 0)
      n_holders++;
  }
  if (grow((void **)&st->sessions, &st->cap_sessions, n_sessions, sizeof *st->sessions) != 0 ||
      grow((void **)&st->holders, &st->cap_holders, n_holders, sizeof *st->holders) != 0)
    return LW_ENOMEM;

  s = h = 0;
  for (i = 0; i < st->n_recs; i++) {
    const struct rec *r = &st->recs[i], *p = i > 0 ? &st->recs[i - 1] : NULL;
    struct lw_holders_session *sess;
    struct lw_holder *hold;
    if (p == NULL || p->luid != r->luid) {
      sess = &st->sessions[s++];
      memset(sess, 0, sizeof *sess);
      sess->luid = r->luid;
      sess->holders = &st->holders[h];
    }
    sess = &st->sessions[s - 1];
    if (p == NULL || cmp_rec(p, r) != 0) {
      const struct pinfo *pi = find_pinfo(st, r->pid);
      hold = &st->holders[h++];
      memset(hold, 0, sizeof *hold);
      hold->pid = r->pid;
      hold->image = pi != NULL ? pi->image : NULL;
      hold->services = pi != NULL ? pi->services : NULL;
      if (r->kind == REC_EXITED) {
        const struct pinfo *by = find_pinfo(st, r->held_by);
        hold->exited_process = true;
        hold->held_by_pid = r->held_by;
        hold->held_by_image = by != NULL ? by->image : NULL;
        hold->held_by_services = by != NULL ? by->services : NULL;
        hold->tokens = 1; /* its primary token */
        hold->primary_tokens = 1;
        sess->tokens++;
      }
      sess->n_holders++;
    }
    hold = &st->holders[h - 1];
    if (r->kind == REC_EXITED) {
      hold->process_handles++;
    } else {
      hold->tokens++;
      sess->tokens++;
      if (r->token_type == LW_TOKEN_PRIMARY)
        hold->primary_tokens++;
      else if (r->token_type == LW_TOKEN_IMPERSONATION)
        hold->impersonation_tokens++;
    }
  }
  for (i = 0; i < n_sessions; i++)
    qsort(st->sessions[i].holders, st->sessions[i].n_holders, sizeof(struct lw_holder), cmp_holder);
  res->sessions = st->sessions;
  res->n_sessions = n_sessions;
  return 0;
}

/* ---- The matcher ---------------------------------------------------------- */

/* A selected handle. */
struct ref {
  uint64_t handle;
  uint64_t object;
  uint32_t pid;
  uint32_t kind; /* KIND_* */
};

/* The verdict on one Process object (by kernel address). */
struct objslot {
  uint64_t object; /* 0: empty slot */
  uint64_t luid;
  uint32_t pid;
  uint32_t exited;
};

struct lw_holders_matcher {
  struct ref *refs;
  size_t cap_refs;
  struct objslot *slots; /* open addressing, power-of-two size */
  size_t cap_slots, n_slots;
  uint64_t *luids; /* sorted, unique */
  size_t n_luids, cap_luids;
  bool all;
};

int lw_holders_matcher_new(struct lw_holders_matcher **out) {
  if (out == NULL)
    return LW_EINVAL;
  *out = calloc(1, sizeof **out);
  return *out != NULL ? 0 : LW_ENOMEM;
}

void lw_holders_matcher_free(struct lw_holders_matcher *m) {
  if (m == NULL)
    return;
  free(m->refs);
  free(m->slots);
  free(m->luids);
  free(m);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static int cmp_ref(const void *a, const void *b) {
  const struct ref *x = a, *y = b;
  if (x->pid != y->pid)
    return x->pid < y->pid ? -1 : 1;
  return (x->handle > y->handle) - (x->handle < y->handle);
}

static bool interesting(const struct lw_holders_matcher *m, uint64_t luid) {
  size_t lo = 0, hi = m->n_luids;
  if (m->all)
    return true;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->luids[mid] < luid)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < m->n_luids && m->luids[lo] == luid;
}

static int set_luids(struct lw_holders_matcher *m, const uint64_t *luids, size_t n) {
  size_t i, k = 0;
  m->all = luids == NULL;
  m->n_luids = 0;
  if (luids == NULL || n == 0)
    return 0;
  if (grow((void **)&m->luids, &m->cap_luids, n, sizeof *m->luids) != 0)
    return LW_ENOMEM;
  memcpy(m->luids, luids, n * sizeof *luids);
  qsort(m->luids, n, sizeof *m->luids, cmp_u64);
  for (i = 0; i < n; i++)
    if (k == 0 || m->luids[k - 1] != m->luids[i])
      m->luids[k++] = m->luids[i];
  m->n_luids = k;
  return 0;
}

/* Fibonacci hashing of a kernel address (its low bits are alignment). */
static size_t slot_of(uint64_t object, size_t cap) {
  return (size_t)((object * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (cap - 1);
}

static struct objslot *cache_find(struct lw_holders_matcher *m, uint64_t object) {
  size_t i;
  if (m->cap_slots == 0)
    return NULL;
  for (i = slot_of(object, m->cap_slots);; i = (i + 1) & (m->cap_slots - 1)) {
    if (m->slots[i].object == object)
      return &m->slots[i];
    if (m->slots[i].object == 0)
      return NULL;
  }
}

/* Empties the cache, sized for `expected` objects (at most half full). */
static int cache_reset(struct lw_holders_matcher *m, size_t expected) {
  size_t cap = 64;
  while (cap < expected * 2) {
    if (cap > SIZE_MAX / 4 / sizeof *m->slots)
      return LW_ENOMEM;
    cap *= 2;
  }
  if (cap > m->cap_slots) {
    struct objslot *p = realloc(m->slots, cap * sizeof *p);
    if (p == NULL)
      return LW_ENOMEM;
    m->slots = p;
    m->cap_slots = cap;
  }
  memset(m->slots, 0, m->cap_slots * sizeof *m->slots);
  m->n_slots = 0;
  return 0;
}

/* Never fails: the table was sized for every Process handle of the walk. */
static void cache_put(struct lw_holders_matcher *m, uint64_t object,
                      const struct lw_holders_target *t) {
  size_t i;
  if (object == 0 || m->n_slots * 2 >= m->cap_slots)
    return;
  for (i = slot_of(object, m->cap_slots); m->slots[i].object != 0 && m->slots[i].object != object;
       i = (i + 1) & (m->cap_slots - 1))
    ;
  if (m->slots[i].object == 0)
    m->n_slots++;
  m->slots[i].object = object;
  m->slots[i].luid = t->luid;
  m->slots[i].pid = t->pid;
  m->slots[i].exited = t->exited ? 1u : 0u;
}

/* Selects the Token and Process handles of other processes into m->refs,
 * sorted by (pid, handle). Returns 0 or LW_ENOMEM; sets *n_refs. */
static int select_refs(struct lw_holders_matcher *m, const struct lw_handle_entry *e, size_t n,
                       const struct lw_holders_types *types, uint32_t self_pid,
                       struct lw_holders_cost *cost, size_t *n_refs) {
  size_t i, k = 0;
  bool sorted = true;
  for (i = 0; i < n; i++) {
    uint16_t t = e[i].type_index;
    uint32_t kind, pid;
    if (t == types->token)
      kind = KIND_TOKEN;
    else if (types->process != 0 && t == types->process)
      kind = KIND_PROCESS;
    else
      continue;
    pid = (uint32_t)e[i].pid;
    if (pid == self_pid)
      continue;
    if (k == m->cap_refs && grow((void **)&m->refs, &m->cap_refs, k + 1, sizeof *m->refs) != 0)
      return LW_ENOMEM;
    m->refs[k].handle = e[i].handle;
    m->refs[k].object = e[i].object;
    m->refs[k].pid = pid;
    m->refs[k].kind = kind;
    if (k > 0 && cmp_ref(&m->refs[k - 1], &m->refs[k]) > 0)
      sorted = false;
    k++;
    if (kind == KIND_TOKEN)
      cost->token_handles++;
    else
      cost->process_handles++;
  }
  /* Windows lists handles process by process, in handle order, so the sort
   * is usually skipped; it is still needed for the grouping to be right. */
  if (!sorted)
    qsort(m->refs, k, sizeof *m->refs, cmp_ref);
  *n_refs = k;
  return 0;
}

/* Classifies a probe failure into the cost. Returns LW_ENOMEM to abort. */
static int count_failure(int rc, uint32_t *refused, uint32_t *gone, struct lw_holders_cost *cost) {
  if (rc == LW_ENOMEM)
    return LW_ENOMEM;
  if (rc == LW_EACCES || rc == LW_ENOPRIV)
    (*refused)++;
  else if (rc == LW_EGONE)
    (*gone)++;
  else
    cost->errors++;
  return 0;
}

/* Reads one Process handle; adds a record when it pins a session of interest.
 * Sets *matched. Returns 0 or LW_ENOMEM. */
static int visit_process_handle(struct lw_holders_matcher *m, const struct ref *r,
                                const struct lw_holders_probe *probe, struct lw_holders_result *res,
                                bool *matched) {
  struct lw_holders_cost *cost = &res->cost;
  struct lw_holders_target t;
  const struct objslot *hit = r->object != 0 ? cache_find(m, r->object) : NULL;
  if (hit != NULL) {
    t.pid = hit->pid;
    t.exited = hit->exited != 0;
    t.luid = hit->luid;
    t.image = NULL;
  } else {
    int rc;
    memset(&t, 0, sizeof t);
    rc = probe->read_process(probe->ctx, r->handle, &t);
    if (rc != 0)
      return count_failure(rc, &cost->process_handles_denied, &cost->handles_gone, cost);
    cost->process_handles_inspected++;
    cache_put(m, r->object, &t);
  }
  if (!t.exited || !interesting(m, t.luid))
    return 0;
  /* An exited process owns no handles, so its PID is not an owner's. */
  if (add_pinfo(res->store, t.pid, t.image, NULL, true) != 0 ||
      add_rec(res->store, t.luid, t.pid, r->pid, REC_EXITED, 0) != 0)
    return LW_ENOMEM;
  *matched = true;
  return 0;
}

/* Visits the handles refs[first..end) of one open process. Returns 0,
 * LW_ENOMEM, or LW_ETIMEDOUT when the deadline passed inside it. */
static int visit_process(struct lw_holders_matcher *m, size_t first, size_t end,
                         const struct lw_holders_probe *probe, struct lw_holders_result *res) {
  struct lw_holders_cost *cost = &res->cost;
  bool matched = false;
  size_t k;
  int rc = 0;
  for (k = first; k < end && rc == 0; k++) {
    const struct ref *r = &m->refs[k];
    if (k > first && (k - first) % DEADLINE_STRIDE == 0 && probe->expired != NULL &&
        probe->expired(probe->ctx)) {
      rc = LW_ETIMEDOUT;
      break;
    }
    if (r->kind == KIND_TOKEN) {
      uint64_t luid = 0;
      uint32_t type = 0;
      int prc = probe->read_token(probe->ctx, r->handle, &luid, &type);
      if (prc != 0) {
        rc = count_failure(prc, &cost->token_handles_denied, &cost->handles_gone, cost);
        continue;
      }
      cost->token_handles_inspected++;
      if (interesting(m, luid)) {
        rc = add_rec(res->store, luid, r->pid, 0, REC_TOKEN, (uint8_t)type);
        matched = true;
      }
    } else if (probe->read_process != NULL) {
      rc = visit_process_handle(m, r, probe, res, &matched);
    }
  }
  if (matched && rc != LW_ENOMEM) {
    const char *image = NULL, *services = NULL;
    if (probe->describe_process == NULL ||
        probe->describe_process(probe->ctx, &image, &services) != 0)
      image = services = NULL;
    if (add_pinfo(res->store, m->refs[first].pid, image, services, false) != 0)
      rc = LW_ENOMEM;
  }
  return rc;
}

int lw_holders_match(struct lw_holders_matcher *m, const struct lw_handle_entry *entries, size_t n,
                     const struct lw_holders_types *types, uint32_t self_pid, const uint64_t *luids,
                     size_t n_luids, const struct lw_holders_probe *probe,
                     struct lw_holders_result *res) {
  struct lw_holders_cost *cost;
  size_t n_refs = 0, i = 0;
  int rc;

  if (m == NULL || (entries == NULL && n > 0) || types == NULL || probe == NULL || res == NULL ||
      res->store == NULL || probe->open_process == NULL || probe->read_token == NULL ||
      probe->close_process == NULL)
    return LW_EINVAL;
  store_reset(res->store);
  res->sessions = NULL;
  res->n_sessions = 0;
  cost = &res->cost;
  memset(cost, 0, sizeof *cost);
  cost->handles_seen = n;
  if (luids != NULL && n_luids == 0)
    return 0;

  rc = set_luids(m, luids, n_luids);
  if (rc == 0)
    rc = select_refs(m, entries, n, types, self_pid, cost, &n_refs);
  if (rc == 0)
    rc = cache_reset(m, cost->process_handles);

  while (rc == 0 && i < n_refs) {
    size_t end = i;
    int orc;
    while (end < n_refs && m->refs[end].pid == m->refs[i].pid)
      end++;
    if (probe->expired != NULL && probe->expired(probe->ctx)) {
      rc = LW_ETIMEDOUT;
      break;
    }
    cost->processes++;
    orc = probe->open_process(probe->ctx, m->refs[i].pid);
    if (orc != 0) {
      rc = count_failure(orc, &cost->processes_not_inspectable, &cost->processes_gone, cost);
    } else {
      cost->processes_inspected++;
      rc = visit_process(m, i, end, probe, res);
      probe->close_process(probe->ctx);
    }
    i = end;
  }
  if (rc == LW_ETIMEDOUT) {
    /* i is the first process not reached (one cut short counts as reached). */
    size_t k;
    cost->partial = true;
    for (k = i; k < n_refs; k++)
      if (k == i || m->refs[k].pid != m->refs[k - 1].pid)
        cost->processes_skipped++;
    cost->processes += cost->processes_skipped;
    rc = 0;
  }
  if (rc == 0)
    rc = build_sessions(res);
  if (rc != 0) {
    store_reset(res->store);
    res->sessions = NULL;
    res->n_sessions = 0;
  }
  return rc;
}

/* ---- Text ------------------------------------------------------------------- */

const char *lw_holders_basename(const char *path) {
  const char *p, *base;
  if (path == NULL)
    return "?";
  base = path;
  for (p = path; *p != '\0'; p++)
    if (*p == '\\' || *p == '/')
      base = p + 1;
  return *base != '\0' ? base : path;
}

const char *lw_holder_token_types(const struct lw_holder *h) {
  if (h == NULL)
    return "none";
  if (h->primary_tokens > 0 && h->impersonation_tokens > 0)
    return "primary, impersonation";
  if (h->primary_tokens > 0)
    return "primary";
  if (h->impersonation_tokens > 0)
    return "impersonation";
  return "none";
}

/* A bounded text builder: truncation is remembered and marked with "...". */
struct sb {
  char *buf;
  size_t size, len;
  bool truncated;
};

static void sb_vadd(struct sb *b, const char *fmt, va_list ap) {
  int n;
  if (b->truncated)
    return;
  n = vsnprintf(b->buf + b->len, b->size - b->len, fmt, ap);
  if (n < 0 || (size_t)n >= b->size - b->len) {
    b->truncated = true;
    b->len = b->size - 1;
  } else {
    b->len += (size_t)n;
  }
}

static void sb_add(struct sb *b, const char *fmt, ...) LW_PRINTF_LIKE(2, 3);
static void sb_add(struct sb *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sb_vadd(b, fmt, ap);
  va_end(ap);
}

static int sb_end(struct sb *b) {
  if (!b->truncated)
    return 0;
  if (b->size >= 4)
    memcpy(b->buf + b->size - 4, "...", 4);
  else
    b->buf[b->size - 1] = '\0';
  return LW_ENOSPC;
}

/* "Name.exe (PID n, services A, B)" */
static void sb_process(struct sb *b, uint32_t pid, const char *image, const char *services) {
  if (image != NULL)
    sb_add(b, "%s (PID %lu", lw_holders_basename(image), (unsigned long)pid);
  else
    sb_add(b, "PID %lu (", (unsigned long)pid);
  if (services != NULL)
    sb_add(b, "%sservice%s %s", image != NULL ? ", " : "", strchr(services, ',') ? "s" : "",
           services);
  else if (image == NULL)
    sb_add(b, "image unknown");
  sb_add(b, ")");
}

static void sb_holder(struct sb *b, const struct lw_holder *h) {
  if (h->exited_process) {
    sb_add(b, "exited ");
    sb_process(b, h->pid, h->image, NULL);
    sb_add(b, " held open by ");
    sb_process(b, h->held_by_pid, h->held_by_image, h->held_by_services);
  } else {
    sb_process(b, h->pid, h->image, h->services);
    sb_add(b, " holds %lu token%s", (unsigned long)h->tokens, h->tokens == 1 ? "" : "s");
  }
}

int lw_holder_format(const struct lw_holder *h, char *buf, size_t size) {
  struct sb b = {buf, size, 0, false};
  if (h == NULL || buf == NULL || size == 0)
    return LW_EINVAL;
  buf[0] = '\0';
  sb_holder(&b, h);
  return sb_end(&b);
}

int lw_holders_format_summary(const struct lw_holders_result *r, uint64_t luid, char *buf,
                              size_t size) {
  struct sb b = {buf, size, 0, false};
  const struct lw_holders_session *s;
  size_t i;
  if (buf == NULL || size == 0)
    return LW_EINVAL;
  buf[0] = '\0';
  s = lw_holders_find(r, luid);
  if (s == NULL || s->n_holders == 0) {
    sb_add(&b, "%s", r == NULL ? "no holder scan" : LW_HOLDERS_NONE_TEXT);
    if (r != NULL && r->cost.partial)
      sb_add(&b, " (scan incomplete)");
    return sb_end(&b);
  }
  for (i = 0; i < s->n_holders && i < SUMMARY_MAX_HOLDERS; i++) {
    if (i > 0)
      sb_add(&b, "; ");
    sb_holder(&b, &s->holders[i]);
  }
  if (s->n_holders > SUMMARY_MAX_HOLDERS)
    sb_add(&b, "; and %lu more process%s", (unsigned long)(s->n_holders - SUMMARY_MAX_HOLDERS),
           s->n_holders - SUMMARY_MAX_HOLDERS == 1 ? "" : "es");
  return sb_end(&b);
}
