/*
 * detect_state.c - the detector state's own parts (see detect_internal.h): the
 * string intern table, the lookups and keys the rules and the blob share,
 * dropping strings nothing references, and the state's init and free.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_internal.h"
#include "error.h"
#include "luid.h"
#include "timefmt.h"

/* ---- Strings: an intern table ----------------------------------------------
 * Open addressing with linear probing, at most half full. Records in the state
 * hold pointers into it; lw_detect_step interns before it commits, so a failed
 * step leaves at worst some unreferenced strings, which compaction drops. */

static uint64_t hash_str(const char *s) {
  uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */
  for (; *s != '\0'; s++) {
    h ^= (unsigned char)*s;
    h *= UINT64_C(0x100000001b3);
  }
  return h;
}

static size_t strings_probe(const struct lw_detect_strings *t, const char *s) {
  size_t i = (size_t)(hash_str(s) & (t->cap - 1));
  while (t->slots[i] != NULL && strcmp(t->slots[i], s) != 0)
    i = (i + 1) & (t->cap - 1);
  return i;
}

static int strings_grow(struct lw_detect_strings *t) {
  size_t new_cap = t->cap != 0 ? t->cap * 2 : 64, i;
  char **old = t->slots;
  size_t old_cap = t->cap;
  char **slots;
  if (new_cap > SIZE_MAX / sizeof *slots)
    return LW_ENOMEM;
  slots = calloc(new_cap, sizeof *slots);
  if (slots == NULL)
    return LW_ENOMEM;
  t->slots = slots;
  t->cap = new_cap;
  for (i = 0; i < old_cap; i++)
    if (old[i] != NULL)
      t->slots[strings_probe(t, old[i])] = old[i];
  free(old);
  return 0;
}

/* Sets *out to the table's copy of s (NULL for NULL). Returns 0 or LW_ENOMEM. */
int lw__detect_intern(struct lw_detect_strings *t, const char *s, const char **out) {
  size_t i;
  if (s == NULL) {
    *out = NULL;
    return 0;
  }
  if ((t->count + 1) * 2 > t->cap && strings_grow(t) != 0)
    return LW_ENOMEM;
  i = strings_probe(t, s);
  if (t->slots[i] == NULL) {
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy == NULL)
      return LW_ENOMEM;
    memcpy(copy, s, n);
    t->slots[i] = copy;
    t->count++;
  }
  *out = t->slots[i];
  return 0;
}

static void strings_free(struct lw_detect_strings *t) {
  size_t i;
  for (i = 0; i < t->cap; i++)
    free(t->slots[i]);
  free(t->slots);
  t->slots = NULL;
  t->cap = t->count = 0;
}

/* ---- Growth ----------------------------------------------------------------- */

int lw__detect_grow(void **arr, size_t *cap, size_t need, size_t elem) {
  size_t c = *cap != 0 ? *cap : 8;
  void *p;
  if (need <= *cap)
    return 0;
  while (c < need) {
    if (c > SIZE_MAX / 2)
      return LW_ENOMEM;
    c *= 2;
  }
  if (c > SIZE_MAX / elem)
    return LW_ENOMEM;
  p = realloc(*arr, c * elem);
  if (p == NULL)
    return LW_ENOMEM;
  *arr = p;
  *cap = c;
  return 0;
}

/* ---- Lookups ---------------------------------------------------------------- */

const struct lw_detect_wts *lw__detect_find_wts(const struct lw_detect_wts *w, size_t n,
                                                uint32_t id) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (w[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && w[lo].id == id ? &w[lo] : NULL;
}

/* The user on a WTS session changed from one name to another: a new session. */
int lw__detect_same_instance(const struct lw_detect_wts *old, const struct lw_wts_session *w) {
  if (nonempty(old->user) && nonempty(w->user)) {
    if (casecmp(old->user, w->user) != 0)
      return 0;
    if (nonempty(old->domain) && nonempty(w->domain) && casecmp(old->domain, w->domain) != 0)
      return 0;
  }
  /* LogonTime does not change on reconnect (ConnectTime does); a different one is a
   * logoff and a new logon between two polls. */
  if (old->logon_time != UNKNOWN && w->logon_time != UNKNOWN) {
    int64_t d = old->logon_time - w->logon_time;
    if (d > 1000 || d < -1000)
      return 0;
  }
  return 1;
}

/* ---- Keys of rule 3 ---------------------------------------------------------- */

int lw__detect_accum_key_cmp(uint32_t ta, const char *da, const char *ua, uint32_t tb,
                             const char *db, const char *ub) {
  int c;
  if (ta != tb)
    return ta < tb ? -1 : 1;
  if ((c = casecmp(da, db)) != 0)
    return c;
  return casecmp(ua, ub);
}

static uint64_t hash_fold(uint64_t h, const char *s) {
  for (; s != NULL && *s != '\0'; s++) {
    h ^= fold((unsigned char)*s);
    h *= UINT64_C(0x100000001b3);
  }
  return h;
}

/* FNV-1a of (type, folded domain, '\\', folded user): equal keys, equal hashes. */
uint64_t lw__detect_accum_hash(uint32_t type, const char *domain, const char *user) {
  uint64_t h = (UINT64_C(0xcbf29ce484222325) ^ type) * UINT64_C(0x100000001b3);
  h = hash_fold(h, domain);
  h = (h ^ '\\') * UINT64_C(0x100000001b3);
  return hash_fold(h, user);
}

/* The order of open episodes: hash, then the key itself. */
int lw__detect_accum_order(uint64_t ha, uint32_t ta, const char *da, const char *ua, uint64_t hb,
                           uint32_t tb, const char *db, const char *ub) {
  if (ha != hb)
    return ha < hb ? -1 : 1;
  return lw__detect_accum_key_cmp(ta, da, ua, tb, db, ub);
}

int lw__detect_cmp_accum(const void *a, const void *b) {
  const struct lw_detect_accum *x = a, *y = b;
  return lw__detect_accum_order(x->hash, x->logon_type, x->domain, x->user, y->hash, y->logon_type,
                                y->domain, y->user);
}

/* By content, so that a blob does not depend on where strings happen to be in
 * memory: saving a loaded state gives the same bytes. */
/* ---- Compaction and life cycle ---------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Calls fn on every field of the state that holds an interned string (user and
 * domain of logon sessions, WTS sessions and accumulation keys): the one list
 * of them, shared by the collector and the compaction below. */
static void each_string_slot(struct lw_detect_state *st, void (*fn)(const char **slot, void *ctx),
                             void *ctx) {
  size_t k;
  for (k = 0; k < st->n_logons; k++) {
    fn(&st->logons[k].user, ctx);
    fn(&st->logons[k].domain, ctx);
  }
  for (k = 0; k < st->n_wts; k++) {
    fn(&st->wts[k].user, ctx);
    fn(&st->wts[k].domain, ctx);
  }
  for (k = 0; k < st->n_accum; k++) {
    fn(&st->accum[k].user, ctx);
    fn(&st->accum[k].domain, ctx);
  }
}

struct string_list {
  const char **v;
  size_t n;
};

static void push_string(const char **slot, void *ctx) {
  struct string_list *l = ctx;
  if (*slot != NULL)
    l->v[l->n++] = *slot;
}

static void repoint_string(const char **slot, void *ctx) {
  struct lw_detect_strings *nt = ctx;
  if (*slot != NULL)
    *slot = nt->slots[strings_probe(nt, *slot)];
}

/* Collects the state's string pointers (NULL skipped) into a new array sorted by
 * content, each string once (interned: one pointer per content). Returns it (NULL with *n = 0 when
 * there are none) or sets *err. */
const char **lw__detect_referenced_strings(const struct lw_detect_state *st, size_t *n, int *err) {
  size_t cap = 2 * (st->n_logons + st->n_wts + st->n_accum), k, m = 0, u = 0;
  const char **v;
  *n = 0;
  *err = 0;
  if (cap == 0)
    return NULL;
  v = malloc(cap * sizeof *v);
  if (v == NULL) {
    *err = LW_ENOMEM;
    return NULL;
  }
  struct string_list list = {v, 0};
  /* Only reads the slots: the cast lets save() use it on a const state. */
  each_string_slot((struct lw_detect_state *)st, push_string, &list);
  m = list.n;
  if (m > 1)
    qsort(v, m, sizeof *v, cmp_str);
  for (k = 0; k < m; k++)
    if (u == 0 || v[u - 1] != v[k])
      v[u++] = v[k];
  *n = u;
  return v;
}

/* Drops strings nothing references once they outnumber the referenced ones 4 to 1
 * (user names of long-gone sessions). Best effort: out of memory skips it. */
void lw__detect_strings_compact(struct lw_detect_state *st) {
  struct lw_detect_strings nt = {NULL, 0, 0};
  const char **refs;
  size_t n, k;
  int err;

  if (st->strings.count < 256)
    return;
  refs = lw__detect_referenced_strings(st, &n, &err);
  if (err != 0 || st->strings.count <= 4 * n)
    goto cleanup;
  for (k = 0; k < n; k++) {
    const char *p;
    if (lw__detect_intern(&nt, refs[k], &p) != 0) {
      strings_free(&nt);
      goto cleanup;
    }
  }
  /* Every pointer is re-pointed at its copy in the new table. */
  each_string_slot(st, repoint_string, &nt);
  strings_free(&st->strings);
  st->strings = nt;
cleanup:
  free((void *)refs);
}

void lw_detect_state_init(struct lw_detect_state *st) {
  memset(st, 0, sizeof *st);
  st->boot_time = UNKNOWN;
  st->last_poll = UNKNOWN;
  lw_alert_policy_init(&st->policy);
}

void lw_detect_state_free(struct lw_detect_state *st) {
  if (st == NULL)
    return;
  free(st->logons);
  free(st->wts);
  free(st->accum);
  strings_free(&st->strings);
  lw_detect_state_init(st);
}

/* ---- Leaked records by terminal session instance ---- */

static int cmp_leak_key(const void *a, const void *b) {
  const struct lw__leak_key *x = a, *y = b;
  if (x->ts != y->ts)
    return x->ts < y->ts ? -1 : 1;
  if (x->instance != y->instance)
    return x->instance < y->instance ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* The first key of (ts, instance) in k[0..n), sorted; n when none. */
size_t lw__detect_leak_key_find(const struct lw__leak_key *k, size_t n, uint32_t ts,
                                int64_t instance) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (k[mid].ts < ts || (k[mid].ts == ts && k[mid].instance < instance))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && k[lo].ts == ts && k[lo].instance == instance ? lo : n;
}

/* The leaked records of r[0..n) that are (system) or are not (!system) DWM/UMFD,
 * as sorted keys; *out NULL when none. Returns 0 or LW_ENOMEM. */
int lw__detect_leak_keys(const struct lw_detect_logon *r, size_t n, int system,
                         struct lw__leak_key **out, size_t *n_out) {
  size_t k, m = 0;
  *out = NULL;
  *n_out = 0;
  for (k = 0; k < n; k++)
    if (r[k].leaked_at != UNKNOWN && ((r[k].flags & LW_DETECT_LOGON_SYSTEM) != 0) == system)
      m++;
  if (m == 0)
    return 0;
  if ((*out = malloc(m * sizeof **out)) == NULL)
    return LW_ENOMEM;
  for (k = 0; k < n; k++)
    if (r[k].leaked_at != UNKNOWN && ((r[k].flags & LW_DETECT_LOGON_SYSTEM) != 0) == system) {
      struct lw__leak_key e = {r[k].terminal_session, r[k].instance, k};
      (*out)[(*n_out)++] = e;
    }
  qsort(*out, *n_out, sizeof **out, cmp_leak_key);
  return 0;
}

int lw__detect_cmp_pinned(const void *a, const void *b) {
  const struct lw_detect_logon *x = *(const struct lw_detect_logon *const *)a;
  const struct lw_detect_logon *y = *(const struct lw_detect_logon *const *)b;
  uint32_t sx = x->flags & LW_DETECT_LOGON_SYSTEM, sy = y->flags & LW_DETECT_LOGON_SYSTEM;
  if (x->terminal_session != y->terminal_session)
    return x->terminal_session < y->terminal_session ? -1 : 1;
  if (sx != sy)
    return sx < sy ? -1 : 1; /* user logons before DWM/UMFD */
  return (x->luid > y->luid) - (x->luid < y->luid);
}
