/*
 * snapshot.c - the snapshot model (see snapshot.h): an arena for its strings,
 * growing arrays for its three lists, sorting and joining them once collected,
 * lookups, and the names of logon types and WTS states.
 */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "utf16.h"

/* ---- Arena ----------------------------------------------------------------
 * Strings are never freed one by one, so they are bump-allocated from blocks of
 * ARENA_BLOCK bytes; a string bigger than a quarter of a block gets a block of
 * its own (linked behind the current one, which stays current), so one long
 * string never wastes most of a block. Strings need no alignment. */

#define ARENA_BLOCK ((size_t)16 * 1024)
#define ARENA_LARGE (ARENA_BLOCK / 4)

struct lw_arena {
  struct lw_arena *next;
  size_t used, size;
  char data[];
};

static struct lw_arena *arena_block_new(size_t size) {
  struct lw_arena *b;
  if (size > SIZE_MAX - sizeof *b)
    return NULL;
  b = malloc(sizeof *b + size);
  if (b == NULL)
    return NULL;
  b->next = NULL;
  b->used = 0;
  b->size = size;
  return b;
}

char *lw_snapshot_alloc(struct lw_snapshot *s, size_t size) {
  struct lw_arena *head = s->arena;
  struct lw_arena *b;

  if (head != NULL && head->size - head->used >= size) {
    char *p = head->data + head->used;
    head->used += size;
    return p;
  }
  if (size > ARENA_LARGE) {
    b = arena_block_new(size);
    if (b == NULL)
      return NULL;
    b->used = size;
    if (head != NULL) {
      b->next = head->next;
      head->next = b;
    } else {
      s->arena = b;
    }
    return b->data;
  }
  b = arena_block_new(ARENA_BLOCK);
  if (b == NULL)
    return NULL;
  b->next = head;
  b->used = size;
  s->arena = b;
  return b->data;
}

const char *lw_snapshot_strndup(struct lw_snapshot *s, const char *str, size_t n) {
  const char *nul;
  char *p;
  if (str == NULL)
    return NULL;
  /* memchr, not strlen: never read past the n bytes we were given. */
  nul = memchr(str, '\0', n);
  if (nul != NULL)
    n = (size_t)(nul - str);
  if (n == SIZE_MAX)
    return NULL;
  p = lw_snapshot_alloc(s, n + 1);
  if (p == NULL)
    return NULL;
  memcpy(p, str, n);
  p[n] = '\0';
  return p;
}

const char *lw_snapshot_strdup_utf16(struct lw_snapshot *s, const uint16_t *str, size_t n_units) {
  size_t len;
  char *p;
  if (str == NULL)
    return NULL;
  lw_utf16_to_utf8(str, n_units, NULL, 0, &len);
  if (len == SIZE_MAX)
    return NULL;
  p = lw_snapshot_alloc(s, len + 1);
  if (p == NULL)
    return NULL;
  lw_utf16_to_utf8(str, n_units, p, len + 1, NULL);
  return p;
}

const char *lw_snapshot_strdup(struct lw_snapshot *s, const char *str) {
  if (str == NULL)
    return NULL;
  return lw_snapshot_strndup(s, str, strlen(str));
}

/* ---- Life cycle and arrays ------------------------------------------------ */

struct lw_snapshot *lw_snapshot_new(void) {
  struct lw_snapshot *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->taken_at = LW_TIME_UNKNOWN;
  s->boot_time = LW_TIME_UNKNOWN;
  return s;
}

void lw_snapshot_free(struct lw_snapshot *s) {
  struct lw_arena *b, *next;
  if (s == NULL)
    return;
  for (b = s->arena; b != NULL; b = next) {
    next = b->next;
    free(b);
  }
  free(s->logons);
  free(s->wts);
  free(s->procs);
  free(s);
}

/* Makes room for one more element of `elem` bytes in *arr (n used of *cap),
 * doubling the capacity. Returns 0, or LW_ENOMEM (on overflow too); *arr and
 * *cap are unchanged on failure. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem) {
  size_t new_cap;
  void *p;
  if (n < *cap)
    return 0;
  new_cap = *cap != 0 ? *cap : 8;
  if (n >= new_cap) {
    if (new_cap > SIZE_MAX / 2)
      return LW_ENOMEM;
    new_cap *= 2;
  }
  if (new_cap > SIZE_MAX / elem)
    return LW_ENOMEM;
  p = realloc(*arr, new_cap * elem);
  if (p == NULL)
    return LW_ENOMEM;
  *arr = p;
  *cap = new_cap;
  return 0;
}

struct lw_logon_session *lw_snapshot_add_logon(struct lw_snapshot *s) {
  struct lw_logon_session *l;
  void *arr = s->logons;
  if (grow(&arr, &s->cap_logons, s->n_logons, sizeof *l) != 0)
    return NULL;
  s->logons = arr;
  l = &s->logons[s->n_logons++];
  memset(l, 0, sizeof *l);
  l->logon_time = LW_TIME_UNKNOWN;
  return l;
}

struct lw_wts_session *lw_snapshot_add_wts(struct lw_snapshot *s) {
  struct lw_wts_session *w;
  void *arr = s->wts;
  if (grow(&arr, &s->cap_wts, s->n_wts, sizeof *w) != 0)
    return NULL;
  s->wts = arr;
  w = &s->wts[s->n_wts++];
  memset(w, 0, sizeof *w);
  w->logon_time = LW_TIME_UNKNOWN;
  w->connect_time = LW_TIME_UNKNOWN;
  w->disconnect_time = LW_TIME_UNKNOWN;
  return w;
}

struct lw_process *lw_snapshot_add_process(struct lw_snapshot *s) {
  struct lw_process *p;
  void *arr = s->procs;
  if (grow(&arr, &s->cap_procs, s->n_procs, sizeof *p) != 0)
    return NULL;
  s->procs = arr;
  p = &s->procs[s->n_procs++];
  memset(p, 0, sizeof *p);
  return p;
}

/* ---- Sorting, joining, lookups -------------------------------------------- */

static int cmp_u64(uint64_t a, uint64_t b) {
  return (a > b) - (a < b);
}

static int cmp_logon(const void *a, const void *b) {
  return cmp_u64(((const struct lw_logon_session *)a)->luid,
                 ((const struct lw_logon_session *)b)->luid);
}

static int cmp_wts(const void *a, const void *b) {
  return cmp_u64(((const struct lw_wts_session *)a)->id, ((const struct lw_wts_session *)b)->id);
}

static int cmp_proc(const void *a, const void *b) {
  return cmp_u64(((const struct lw_process *)a)->pid, ((const struct lw_process *)b)->pid);
}

void lw_snapshot_finish(struct lw_snapshot *s) {
  size_t i;
  struct lw_logon_session *l;

  if (s->n_logons > 1)
    qsort(s->logons, s->n_logons, sizeof *s->logons, cmp_logon);
  if (s->n_wts > 1)
    qsort(s->wts, s->n_wts, sizeof *s->wts, cmp_wts);
  if (s->n_procs > 1)
    qsort(s->procs, s->n_procs, sizeof *s->procs, cmp_proc);

  /* Counts are derived, so finishing twice gives the same snapshot. */
  s->logons_without_data = 0;
  for (i = 0; i < s->n_logons; i++) {
    s->logons[i].process_count = 0;
    if (s->logons[i].data_status != 0)
      s->logons_without_data++;
  }
  /* One binary search per process: O(P log L), no allocation, so finish
   * cannot fail. A LUID of 0 means the token could not be read. */
  s->processes_denied = 0;
  for (i = 0; i < s->n_procs; i++) {
    const struct lw_process *p = &s->procs[i];
    if (p->token_status != 0)
      s->processes_denied++;
    if (p->luid == 0)
      continue;
    l = (struct lw_logon_session *)lw_snapshot_find_logon(s, p->luid);
    if (l != NULL)
      l->process_count++;
  }
}

const struct lw_logon_session *lw_snapshot_find_logon(const struct lw_snapshot *s, uint64_t luid) {
  size_t lo = 0, hi = s->n_logons;
  /* Hand-written rather than bsearch(): no key struct to build, and it is the
   * same lower-bound search the process index below uses. */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->logons[mid].luid < luid)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < s->n_logons && s->logons[lo].luid == luid ? &s->logons[lo] : NULL;
}

const struct lw_wts_session *lw_snapshot_find_wts(const struct lw_snapshot *s, uint32_t id) {
  size_t lo = 0, hi = s->n_wts;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->wts[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < s->n_wts && s->wts[lo].id == id ? &s->wts[lo] : NULL;
}

static int cmp_proc_by_logon(const void *a, const void *b) {
  const struct lw_process *pa = *(const struct lw_process *const *)a;
  const struct lw_process *pb = *(const struct lw_process *const *)b;
  int c = cmp_u64(pa->luid, pb->luid);
  return c != 0 ? c : cmp_u64(pa->pid, pb->pid);
}

const struct lw_process **lw_snapshot_procs_by_logon(const struct lw_snapshot *s) {
  const struct lw_process **v;
  size_t i, n = s->n_procs != 0 ? s->n_procs : 1;
  if (n > SIZE_MAX / sizeof *v)
    return NULL;
  v = malloc(n * sizeof *v);
  if (v == NULL)
    return NULL;
  for (i = 0; i < s->n_procs; i++)
    v[i] = &s->procs[i];
  if (s->n_procs > 1)
    qsort(v, s->n_procs, sizeof *v, cmp_proc_by_logon);
  return v;
}

size_t lw_snapshot_procs_of_logon(const struct lw_process *const *by_logon, size_t n, uint64_t luid,
                                  size_t *first) {
  size_t lo = 0, hi = n, start;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (by_logon[mid]->luid < luid)
      lo = mid + 1;
    else
      hi = mid;
  }
  start = lo;
  while (lo < n && by_logon[lo]->luid == luid)
    lo++;
  if (first != NULL)
    *first = start;
  return lo - start;
}

/* ---- Names ---------------------------------------------------------------- */

static const char *const logon_type_names[] = {
    [LW_LOGON_UNDEFINED] = "Undefined",
    [LW_LOGON_INTERACTIVE] = "Interactive",
    [LW_LOGON_NETWORK] = "Network",
    [LW_LOGON_BATCH] = "Batch",
    [LW_LOGON_SERVICE] = "Service",
    [LW_LOGON_PROXY] = "Proxy",
    [LW_LOGON_UNLOCK] = "Unlock",
    [LW_LOGON_NETWORK_CLEARTEXT] = "NetworkCleartext",
    [LW_LOGON_NEW_CREDENTIALS] = "NewCredentials",
    [LW_LOGON_REMOTE_INTERACTIVE] = "RemoteInteractive",
    [LW_LOGON_CACHED_INTERACTIVE] = "CachedInteractive",
    [LW_LOGON_CACHED_REMOTE_INTERACTIVE] = "CachedRemoteInteractive",
    [LW_LOGON_CACHED_UNLOCK] = "CachedUnlock",
};

static const char *const wts_state_names[] = {
    [LW_WTS_ACTIVE] = "Active",
    [LW_WTS_CONNECTED] = "Connected",
    [LW_WTS_CONNECT_QUERY] = "ConnectQuery",
    [LW_WTS_SHADOW] = "Shadow",
    [LW_WTS_DISCONNECTED] = "Disconnected",
    [LW_WTS_IDLE] = "Idle",
    [LW_WTS_LISTEN] = "Listen",
    [LW_WTS_RESET] = "Reset",
    [LW_WTS_DOWN] = "Down",
    [LW_WTS_INIT] = "Init",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ASCII-only case folding: names are ASCII, and the C library's tolower()
 * depends on the locale (and strcasecmp is not in Windows' C library). */
static int ascii_ieq(const char *a, const char *b) {
  for (;; a++, b++) {
    unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
    if (ca >= 'A' && ca <= 'Z')
      ca = (unsigned char)(ca - 'A' + 'a');
    if (cb >= 'A' && cb <= 'Z')
      cb = (unsigned char)(cb - 'A' + 'a');
    if (ca != cb)
      return 0;
    if (ca == '\0')
      return 1;
  }
}

static int parse_name(const char *const *names, size_t n, const char *name, uint32_t *out) {
  size_t i;
  if (name == NULL)
    return LW_EUNKNOWN;
  for (i = 0; i < n; i++) {
    if (names[i] != NULL && ascii_ieq(names[i], name)) {
      *out = (uint32_t)i;
      return 0;
    }
  }
  return LW_EUNKNOWN;
}

const char *lw_logon_type_name(uint32_t type) {
  return type < COUNT_OF(logon_type_names) ? logon_type_names[type] : NULL;
}

int lw_logon_type_parse(const char *name, uint32_t *out) {
  return parse_name(logon_type_names, COUNT_OF(logon_type_names), name, out);
}

const char *lw_wts_state_name(uint32_t state) {
  return state < COUNT_OF(wts_state_names) ? wts_state_names[state] : NULL;
}

int lw_wts_state_parse(const char *name, uint32_t *out) {
  return parse_name(wts_state_names, COUNT_OF(wts_state_names), name, out);
}
