/*
 * detect.c - the leak detector (see detect.h): WTS instance tracking, orphaned and
 * leaked logon sessions, pinned session IDs, accumulating logon sessions, stuck
 * logoffs, the alert texts of events 2001-2006, and the state's blob form.
 *
 * Sections: strings (interning), small helpers, output, the step (WTS merge, logon
 * merge, accumulation, gap, stuck logoff, commit), the pinned-IDs text, the blob.
 */
#include "detect.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "luid.h"
#include "timefmt.h"

#define MINUTE_MS INT64_C(60000)
#define UNKNOWN LW_TIME_UNKNOWN

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
static int strings_intern(struct lw_detect_strings *t, const char *s, const char **out) {
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

/* ---- Small helpers ---------------------------------------------------------- */

static int nonempty(const char *s) {
  return s != NULL && s[0] != '\0';
}

static unsigned char fold(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive compare (names are compared as Windows would for ASCII;
 * the C library's locale-dependent functions are avoided). NULL sorts first. */
static int casecmp(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return (a != NULL) - (b != NULL);
  for (;; a++, b++) {
    unsigned char ca = fold((unsigned char)*a), cb = fold((unsigned char)*b);
    if (ca != cb || ca == '\0')
      return (ca > cb) - (ca < cb);
  }
}

static int64_t minutes_between(int64_t from, int64_t to) {
  if (from == UNKNOWN || to == UNKNOWN || to <= from)
    return 0;
  return (to - from) / MINUTE_MS;
}

/* Parses 1-10 decimal digits that fill the rest of s and fit 32 bits. */
static int parse_u32_tail(const char *s, uint32_t *n) {
  uint64_t v = 0;
  int digits = 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    if (++digits > 10)
      return 0;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  if (digits == 0 || *s != '\0' || v > UINT32_MAX)
    return 0;
  *n = (uint32_t)v;
  return 1;
}

static int has_prefix_ci(const char *s, const char *prefix) {
  for (; *prefix != '\0'; s++, prefix++)
    if (fold((unsigned char)*s) != fold((unsigned char)*prefix))
      return 0;
  return 1;
}

int lw_detect_system_logon(const struct lw_logon_session *l, uint32_t *n) {
  /* The SID is the same in every language; the names are the fallback for a
   * collector that could not read it. */
  if (l->sid != NULL) {
    if (strncmp(l->sid, "S-1-5-90-0-", 11) == 0 || strncmp(l->sid, "S-1-5-96-0-", 11) == 0)
      return parse_u32_tail(l->sid + 11, n);
  }
  if (l->user != NULL && l->domain != NULL) {
    if (has_prefix_ci(l->user, "DWM-") && casecmp(l->domain, "Window Manager") == 0)
      return parse_u32_tail(l->user + 4, n);
    if (has_prefix_ci(l->user, "UMFD-") && casecmp(l->domain, "Font Driver Host") == 0)
      return parse_u32_tail(l->user + 5, n);
  }
  return 0;
}

char *lw_detect_logon_type_text(uint32_t type, char *buf, size_t size) {
  const char *name = lw_logon_type_name(type);
  if (name != NULL)
    snprintf(buf, size, "%s (%" PRIu32 ")", name, type);
  else
    snprintf(buf, size, "%" PRIu32, type);
  return buf;
}

void lw_detect_config_from(struct lw_detect_config *dc, const struct lw_config *cfg) {
  dc->grace_period_ms = cfg->grace_period_ms;
  dc->gap_threshold = cfg->gap_threshold;
  dc->accumulation_threshold = cfg->accumulation_threshold;
  dc->alerts_max_per_hour = cfg->alerts_max_per_hour;
}

/* A growing text buffer; `oom` is sticky so callers check once at the end. */
struct sbuf {
  char *p;
  size_t len, cap;
  int oom;
};

static void sb_add(struct sbuf *b, const char *s) {
  size_t n = strlen(s);
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap != 0 ? b->cap : 256;
    char *p;
    while (cap < b->len + n + 1)
      cap *= 2;
    p = realloc(b->p, cap);
    if (p == NULL) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n + 1);
  b->len += n;
}

static void sb_u64(struct sbuf *b, uint64_t v) {
  char num[24];
  snprintf(num, sizeof num, "%" PRIu64, v);
  sb_add(b, num);
}

/* DOMAIN\user, user, or "(unknown)". */
static void sb_who(struct sbuf *b, const char *user, const char *domain) {
  if (!nonempty(user)) {
    sb_add(b, "(unknown)");
    return;
  }
  if (nonempty(domain)) {
    sb_add(b, domain);
    sb_add(b, "\\");
  }
  sb_add(b, user);
}

/* ---- Output ----------------------------------------------------------------- */

void lw_detect_output_init(struct lw_detect_output *out) {
  memset(out, 0, sizeof *out);
}

void lw_detect_output_free(struct lw_detect_output *out) {
  size_t i;
  if (out == NULL)
    return;
  for (i = 0; i < out->n_alerts; i++)
    lw_alert_clear(&out->alerts[i]);
  free(out->alerts);
  for (i = 0; i < out->n_changes; i++) {
    free(out->changes[i].user);
    free(out->changes[i].domain);
  }
  free(out->changes);
  lw_detect_output_init(out);
}

/* A list of alerts under construction. */
struct alert_vec {
  struct lw_alert *v;
  size_t n, cap;
};

static void alert_vec_free(struct alert_vec *a) {
  size_t i;
  for (i = 0; i < a->n; i++)
    lw_alert_clear(&a->v[i]);
  free(a->v);
  a->v = NULL;
  a->n = a->cap = 0;
}

static int grow_array(void **arr, size_t *cap, size_t need, size_t elem) {
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

/* Appends an initialised alert; NULL when out of memory. */
static struct lw_alert *alert_new(struct alert_vec *a, uint32_t event_id, int64_t at) {
  void *v = a->v;
  if (grow_array(&v, &a->cap, a->n + 1, sizeof *a->v) != 0)
    return NULL;
  a->v = v;
  lw_alert_init(&a->v[a->n], event_id, at);
  return &a->v[a->n++];
}

static char *dup_or_null(const char *s) {
  size_t n;
  char *p;
  if (s == NULL)
    return NULL;
  n = strlen(s) + 1;
  p = malloc(n);
  if (p != NULL)
    memcpy(p, s, n);
  return p;
}

/* Copies optional strings; returns 0 or LW_ENOMEM (copies made so far stay with
 * their owner, which frees them). */
static int copy_who(char **user_out, char **domain_out, const char *user, const char *domain) {
  if (user != NULL && (*user_out = dup_or_null(user)) == NULL)
    return LW_ENOMEM;
  if (domain != NULL && (*domain_out = dup_or_null(domain)) == NULL)
    return LW_ENOMEM;
  return 0;
}

static int ins(struct lw_alert *a, const char *text) {
  return lw_alert_set_insert(a, a->n_inserts, text);
}

static int ins_u(struct lw_alert *a, uint64_t v) {
  char num[24];
  snprintf(num, sizeof num, "%" PRIu64, v);
  return ins(a, num);
}

static int ins_time(struct lw_alert *a, int64_t t) {
  char iso[LW_ISO_TIME_SIZE];
  return ins(a, t == UNKNOWN ? "unknown" : lw_time_format_iso(t, iso));
}

static int ins_who(struct lw_alert *a, const char *user, const char *domain) {
  struct sbuf b = {NULL, 0, 0, 0};
  int rc;
  sb_who(&b, user, domain);
  rc = b.oom ? LW_ENOMEM : ins(a, b.p);
  free(b.p);
  return rc;
}

static int ins_type(struct lw_alert *a, uint32_t type) {
  char buf[48];
  return ins(a, lw_detect_logon_type_text(type, buf, sizeof buf));
}

/* Adds a leak episode change; NULL when out of memory. */
static struct lw_leak_change *change_new(struct lw_detect_output *out, int kind, int64_t boot_time,
                                         const struct lw_detect_logon *r) {
  struct lw_leak_change *c;
  void *v = out->changes;
  if (grow_array(&v, &out->cap_changes, out->n_changes + 1, sizeof *out->changes) != 0)
    return NULL;
  out->changes = v;
  c = &out->changes[out->n_changes++];
  memset(c, 0, sizeof *c);
  c->kind = kind;
  c->boot_time = boot_time;
  c->luid = r->luid;
  c->logon_type = r->logon_type;
  c->terminal_session = r->terminal_session;
  c->logon_time = r->logon_time;
  c->session_ended_at = r->orphaned_since;
  c->leaked_at = r->leaked_at;
  c->released_at = UNKNOWN;
  if (copy_who(&c->user, &c->domain, r->user, r->domain) != 0)
    return NULL; /* the change stays in out, which frees it */
  return c;
}

/* 2001 and LW_LEAK_OPENED for a record that has just leaked. */
static int raise_leaked(struct alert_vec *av, struct lw_detect_output *out, int64_t boot_time,
                        const struct lw_detect_logon *r, int64_t now) {
  char luid[LW_LUID_TEXT_SIZE];
  struct lw_alert *a = alert_new(av, LW_EVENT_SESSION_LEAKED, now);
  int rc;
  if (a == NULL)
    return LW_ENOMEM;
  a->luid = r->luid;
  a->logon_type = r->logon_type;
  a->terminal_session = r->terminal_session;
  a->logon_time = r->logon_time;
  a->session_ended_at = r->orphaned_since;
  a->since = r->orphaned_since;
  a->minutes = minutes_between(r->orphaned_since, now);
  if ((rc = copy_who(&a->user, &a->domain, r->user, r->domain)) != 0 ||
      (rc = ins(a, lw_luid_format(r->luid, luid))) != 0 ||
      (rc = ins_who(a, r->user, r->domain)) != 0 || (rc = ins_type(a, r->logon_type)) != 0 ||
      (rc = ins_u(a, r->terminal_session)) != 0 || (rc = ins_time(a, r->logon_time)) != 0 ||
      (rc = ins_time(a, r->orphaned_since)) != 0 || (rc = ins_u(a, (uint64_t)a->minutes)) != 0 ||
      (rc = ins(a, LW_DETECT_HOLDERS_PENDING)) != 0)
    return rc;
  return change_new(out, LW_LEAK_OPENED, boot_time, r) != NULL ? 0 : LW_ENOMEM;
}

/* 2002 and LW_LEAK_RELEASED for a leaked record that is gone (or no longer
 * orphaned) at `now`. */
static int raise_released(struct alert_vec *av, struct lw_detect_output *out, int64_t boot_time,
                          const struct lw_detect_logon *r, int64_t now) {
  char luid[LW_LUID_TEXT_SIZE];
  struct lw_alert *a = alert_new(av, LW_EVENT_SESSION_RELEASED, now);
  struct lw_leak_change *c;
  int rc;
  if (a == NULL)
    return LW_ENOMEM;
  a->luid = r->luid;
  a->logon_type = r->logon_type;
  a->terminal_session = r->terminal_session;
  a->logon_time = r->logon_time;
  a->session_ended_at = r->orphaned_since;
  a->since = r->orphaned_since;
  a->minutes = minutes_between(r->orphaned_since, now);
  if ((rc = copy_who(&a->user, &a->domain, r->user, r->domain)) != 0 ||
      (rc = ins(a, lw_luid_format(r->luid, luid))) != 0 ||
      (rc = ins_who(a, r->user, r->domain)) != 0 || (rc = ins_u(a, (uint64_t)a->minutes)) != 0)
    return rc;
  c = change_new(out, LW_LEAK_RELEASED, boot_time, r);
  if (c == NULL)
    return LW_ENOMEM;
  c->released_at = now;
  return 0;
}

/* ---- Lookups ---------------------------------------------------------------- */

static const struct lw_detect_wts *find_wts(const struct lw_detect_wts *w, size_t n, uint32_t id) {
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
static int same_instance(const struct lw_detect_wts *old, const struct lw_wts_session *w) {
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

static int accum_key_cmp(uint32_t ta, const char *da, const char *ua, uint32_t tb, const char *db,
                         const char *ub) {
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
static uint64_t accum_hash(uint32_t type, const char *domain, const char *user) {
  uint64_t h = (UINT64_C(0xcbf29ce484222325) ^ type) * UINT64_C(0x100000001b3);
  h = hash_fold(h, domain);
  h = (h ^ '\\') * UINT64_C(0x100000001b3);
  return hash_fold(h, user);
}

/* ---- The step --------------------------------------------------------------- */

/* A rule-3 candidate with its (logon type, DOMAIN\user) key hashed, so that
 * counting per key compares names only when hashes are equal. */
struct cand {
  uint64_t hash;
  const struct lw_logon_session *l;
};

/* Everything a step builds before it commits. */
struct step {
  struct lw_detect_state *st;
  const struct lw_snapshot *snap;
  const struct lw_detect_config *cfg;
  struct lw_detect_output *out;
  int64_t now, prev_poll, boot_time;
  /* the previous state as this step sees it (empty after a reboot) */
  const struct lw_detect_logon *ol;
  size_t n_ol;
  const struct lw_detect_wts *ow;
  size_t n_ow;
  const struct lw_detect_accum *oa;
  size_t n_oa;
  uint32_t gap_active, gap_last;
  /* the new state */
  struct lw_detect_logon *nl;
  size_t n_nl;
  struct lw_detect_wts *nw;
  size_t n_nw;
  struct lw_detect_accum *na;
  size_t n_na, cap_na;
  struct cand *cands; /* process-less, for rule 3 */
  size_t n_cands;
  struct lw_detect_logon **pinned; /* leaked records on IDs no WTS session has */
  size_t n_pinned;
  struct alert_vec agg; /* 2003 2004 2006 2005: first, so a flood of 2001s
                         * cannot push them past the rate limit */
  struct alert_vec per; /* 2001 2002 */
};

static int merge_wts(struct step *s) {
  const struct lw_snapshot *snap = s->snap;
  size_t i = 0, j;
  struct lw_detect_strings *strs = &s->st->strings;

  if (snap->n_wts > 0) {
    s->nw = malloc(snap->n_wts * sizeof *s->nw);
    if (s->nw == NULL)
      return LW_ENOMEM;
  }
  for (j = 0; j < snap->n_wts; j++) {
    const struct lw_wts_session *w = &snap->wts[j];
    struct lw_detect_wts *r;
    if (j > 0 && w->id == snap->wts[j - 1].id)
      continue; /* one session per ID; a duplicate is ignored */
    while (i < s->n_ow && s->ow[i].id < w->id)
      i++;
    r = &s->nw[s->n_nw++];
    if (i < s->n_ow && s->ow[i].id == w->id && same_instance(&s->ow[i], w)) {
      *r = s->ow[i];
      if (r->state != w->state) {
        r->state = w->state;
        r->state_since = s->now;
      }
      if (w->logon_time != UNKNOWN)
        r->logon_time = w->logon_time;
    } else {
      memset(r, 0, sizeof *r);
      r->id = w->id;
      r->state = w->state;
      r->first_seen = s->now;
      r->state_since = s->now;
      r->logon_time = w->logon_time;
      r->user = r->domain = NULL;
    }
    /* Remember the last user: a session going Down may no longer report one. */
    if (nonempty(w->user) &&
        (r->user == NULL || strcmp(r->user, w->user) != 0 ||
         (w->domain != NULL && (r->domain == NULL || strcmp(r->domain, w->domain) != 0)))) {
      if (strings_intern(strs, w->user, &r->user) != 0 ||
          strings_intern(strs, w->domain, &r->domain) != 0)
        return LW_ENOMEM;
    }
  }
  return 0;
}

/* A tracked logon session that is not in this snapshot any more. */
static int vanished(struct step *s, const struct lw_detect_logon *o) {
  if (o->leaked_at == UNKNOWN)
    return 0;
  return raise_released(&s->per, s->out, s->boot_time, o, s->now);
}

static int capture_details(struct step *s, struct lw_detect_logon *r,
                           const struct lw_logon_session *l) {
  if (l->data_status != 0)
    return 0;
  r->logon_type = l->logon_type;
  r->logon_time = l->logon_time;
  if (strings_intern(&s->st->strings, l->user, &r->user) != 0 ||
      strings_intern(&s->st->strings, l->domain, &r->domain) != 0)
    return LW_ENOMEM;
  return 0;
}

static int64_t instance_of(const struct step *s, uint32_t ts) {
  const struct lw_detect_wts *w = ts != 0 ? find_wts(s->nw, s->n_nw, ts) : NULL;
  return w != NULL ? w->first_seen : UNKNOWN;
}

static int merge_logons(struct step *s) {
  const struct lw_snapshot *snap = s->snap;
  int64_t now = s->now, grace = s->cfg->grace_period_ms;
  size_t i = 0, j;
  int rc;

  if (snap->n_logons > 0) {
    s->nl = malloc(snap->n_logons * sizeof *s->nl);
    s->cands = malloc(snap->n_logons * sizeof *s->cands);
    if (s->nl == NULL || s->cands == NULL)
      return LW_ENOMEM;
  }
  for (j = 0; j < snap->n_logons; j++) {
    const struct lw_logon_session *l = &snap->logons[j];
    const struct lw_detect_wts *cur;
    struct lw_detect_logon *r;
    int have_old, orphaned;

    if ((j > 0 && l->luid == snap->logons[j - 1].luid) || lw_luid_is_well_known(l->luid))
      continue;
    while (i < s->n_ol && s->ol[i].luid < l->luid) {
      if ((rc = vanished(s, &s->ol[i])) != 0)
        return rc;
      i++;
    }
    have_old = i < s->n_ol && s->ol[i].luid == l->luid;
    if (!have_old && l->data_status != 0)
      continue; /* nothing known about it yet: wait for a poll that reads it */
    r = &s->nl[s->n_nl++];
    if (have_old) {
      *r = s->ol[i++];
    } else {
      memset(r, 0, sizeof *r);
      r->luid = l->luid;
      r->first_seen = now;
      r->instance = r->orphaned_since = r->leaked_at = r->logon_time = UNKNOWN;
    }
    if (l->data_status == 0) {
      uint32_t ts = l->terminal_session, n;
      int sys = lw_detect_system_logon(l, &n);
      if (sys)
        ts = n;
      r->flags = sys ? LW_DETECT_LOGON_SYSTEM : 0;
      if (!have_old || ts != r->terminal_session) {
        /* First sight, or LSA now reports another session (a reconnect): it
         * belongs to whatever session has that ID now. */
        r->terminal_session = ts;
        r->instance = instance_of(s, ts);
      }
    }

    cur = r->terminal_session != 0 ? find_wts(s->nw, s->n_nw, r->terminal_session) : NULL;
    orphaned = r->terminal_session != 0 && (cur == NULL || cur->first_seen != r->instance);
    /* Seen first at the previous poll with its ID free, and a session with that ID
     * appeared now: the two polls straddled its creation; it is not an orphan. */
    if (orphaned && cur != NULL && r->instance == UNKNOWN && r->leaked_at == UNKNOWN &&
        s->prev_poll != UNKNOWN && r->first_seen == s->prev_poll && cur->first_seen == now) {
      r->instance = cur->first_seen;
      orphaned = 0;
    }

    if (orphaned) {
      if (r->orphaned_since == UNKNOWN) {
        r->orphaned_since = now;
        if ((rc = capture_details(s, r, l)) != 0)
          return rc;
      } else if (r->user == NULL && (rc = capture_details(s, r, l)) != 0) {
        return rc;
      }
      if (r->leaked_at == UNKNOWN && now - r->orphaned_since >= grace) {
        r->leaked_at = now;
        if ((rc = raise_leaked(&s->per, s->out, s->boot_time, r, now)) != 0)
          return rc;
      }
      s->out->orphaned++;
      if (r->leaked_at != UNKNOWN)
        s->out->leaked++;
    } else {
      if (r->leaked_at != UNKNOWN &&
          (rc = raise_released(&s->per, s->out, s->boot_time, r, now)) != 0)
        return rc;
      r->orphaned_since = r->leaked_at = r->logon_time = UNKNOWN;
      r->logon_type = 0;
      r->user = r->domain = NULL;
      if (l->data_status == 0 && l->process_count == 0 && nonempty(l->user) &&
          now - r->first_seen >= grace) {
        s->cands[s->n_cands].hash = accum_hash(l->logon_type, l->domain, l->user);
        s->cands[s->n_cands++].l = l;
      }
    }
  }
  while (i < s->n_ol) {
    if ((rc = vanished(s, &s->ol[i])) != 0)
      return rc;
    i++;
  }
  return 0;
}

/* ---- Rule 3: accumulation ---------------------------------------------------- */

/* The order of open episodes: hash, then the key itself. */
static int accum_order(uint64_t ha, uint32_t ta, const char *da, const char *ua, uint64_t hb,
                       uint32_t tb, const char *db, const char *ub) {
  if (ha != hb)
    return ha < hb ? -1 : 1;
  return accum_key_cmp(ta, da, ua, tb, db, ub);
}

static int cmp_accum(const void *a, const void *b) {
  const struct lw_detect_accum *x = a, *y = b;
  return accum_order(x->hash, x->logon_type, x->domain, x->user, y->hash, y->logon_type, y->domain,
                     y->user);
}

/* One (logon type, DOMAIN\user) of this poll's candidates, counted. */
struct group {
  uint64_t hash;
  const struct lw_logon_session *l; /* its first candidate; NULL: empty slot */
  uint32_t count;
  uint32_t seen; /* an open episode has taken it */
};

/* Open addressing, at most half full: counting is O(candidates), no sort. */
static struct group *group_slot(struct group *tab, size_t mask, uint64_t hash, uint32_t type,
                                const char *domain, const char *user) {
  size_t i = (size_t)(hash & mask);
  while (tab[i].l != NULL &&
         (tab[i].hash != hash || accum_key_cmp(tab[i].l->logon_type, tab[i].l->domain,
                                               tab[i].l->user, type, domain, user) != 0))
    i = (i + 1) & mask;
  return &tab[i];
}

static int cmp_group(const void *a, const void *b) {
  const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
  return accum_order(x->hash, x->l->logon_type, x->l->domain, x->l->user, y->hash, y->l->logon_type,
                     y->l->domain, y->l->user);
}

static int raise_accum(struct step *s, const char *user, const char *domain, uint32_t type,
                       uint32_t count) {
  struct lw_alert *a = alert_new(&s->agg, LW_EVENT_SESSIONS_ACCUMULATING, s->now);
  int rc;
  if (a == NULL)
    return LW_ENOMEM;
  a->logon_type = type;
  a->count = count;
  a->threshold = s->cfg->accumulation_threshold;
  if ((rc = copy_who(&a->user, &a->domain, user, domain)) != 0 ||
      (rc = ins_who(a, user, domain)) != 0 || (rc = ins_type(a, type)) != 0 ||
      (rc = ins_u(a, count)) != 0)
    return rc;
  return 0;
}

static int accum_push(struct step *s, const struct lw_detect_accum *e) {
  void *v = s->na;
  if (grow_array(&v, &s->cap_na, s->n_na + 1, sizeof *s->na) != 0)
    return LW_ENOMEM;
  s->na = v;
  s->na[s->n_na++] = *e;
  return 0;
}

/* Decides one key's episode given its count now; keeps it in na while open. */
static int accum_decide(struct step *s, struct lw_detect_accum *e, uint64_t count) {
  uint64_t thr = s->cfg->accumulation_threshold;
  if ((e->last_alerted == 0 && count >= thr) ||
      (e->last_alerted != 0 && count >= 2 * (uint64_t)e->last_alerted)) {
    int rc;
    e->last_alerted = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
    if ((rc = raise_accum(s, e->user, e->domain, e->logon_type, e->last_alerted)) != 0)
      return rc;
  }
  if (e->last_alerted != 0 && 2 * count < thr)
    e->last_alerted = 0; /* the episode is over */
  if (e->last_alerted != 0)
    return accum_push(s, e);
  return 0;
}

static int rule_accumulation(struct step *s) {
  uint64_t thr = s->cfg->accumulation_threshold;
  struct group *tab = NULL, **fresh = NULL;
  size_t cap = 1, mask = 0, k, n_fresh = 0;
  int rc = 0;

  if (thr == 0)
    return 0; /* disabled: episodes (if any) are dropped */
  if (s->n_cands > 0) {
    while (cap < 2 * s->n_cands)
      cap *= 2;
    mask = cap - 1;
    tab = calloc(cap, sizeof *tab);
    if (tab == NULL)
      return LW_ENOMEM;
    for (k = 0; k < s->n_cands; k++) {
      const struct lw_logon_session *l = s->cands[k].l;
      struct group *g = group_slot(tab, mask, s->cands[k].hash, l->logon_type, l->domain, l->user);
      if (g->l == NULL) {
        g->hash = s->cands[k].hash;
        g->l = l;
      }
      g->count++;
    }
  }
  /* Open episodes first, in their order... */
  for (k = 0; k < s->n_oa; k++) {
    struct lw_detect_accum e = s->oa[k];
    struct group *g =
        tab != NULL ? group_slot(tab, mask, e.hash, e.logon_type, e.domain, e.user) : NULL;
    uint64_t count = 0;
    if (g != NULL && g->l != NULL) {
      count = g->count;
      g->seen = 1;
    }
    if ((rc = accum_decide(s, &e, count)) != 0)
      goto cleanup;
  }
  /* ...then new keys at the threshold, in key order. */
  for (k = 0; k < cap && tab != NULL; k++)
    if (tab[k].l != NULL && !tab[k].seen && tab[k].count >= thr)
      n_fresh++;
  if (n_fresh > 0) {
    size_t n = 0;
    fresh = malloc(n_fresh * sizeof *fresh);
    if (fresh == NULL) {
      rc = LW_ENOMEM;
      goto cleanup;
    }
    for (k = 0; k < cap; k++)
      if (tab[k].l != NULL && !tab[k].seen && tab[k].count >= thr)
        fresh[n++] = &tab[k];
    qsort(fresh, n_fresh, sizeof *fresh, cmp_group);
    for (k = 0; k < n_fresh; k++) {
      struct lw_detect_accum e;
      e.hash = fresh[k]->hash;
      e.logon_type = fresh[k]->l->logon_type;
      e.last_alerted = 0;
      if (strings_intern(&s->st->strings, fresh[k]->l->user, &e.user) != 0 ||
          strings_intern(&s->st->strings, fresh[k]->l->domain, &e.domain) != 0) {
        rc = LW_ENOMEM;
        goto cleanup;
      }
      if ((rc = accum_decide(s, &e, fresh[k]->count)) != 0)
        goto cleanup;
    }
  }
  if (s->n_na > 1)
    qsort(s->na, s->n_na, sizeof *s->na, cmp_accum);
cleanup:
  free(tab);
  free(fresh);
  return rc;
}

/* ---- Rule 2: pinned IDs ------------------------------------------------------- */

static int cmp_pinned(const void *a, const void *b) {
  const struct lw_detect_logon *x = *(const struct lw_detect_logon *const *)a;
  const struct lw_detect_logon *y = *(const struct lw_detect_logon *const *)b;
  uint32_t sx = x->flags & LW_DETECT_LOGON_SYSTEM, sy = y->flags & LW_DETECT_LOGON_SYSTEM;
  if (x->terminal_session != y->terminal_session)
    return x->terminal_session < y->terminal_session ? -1 : 1;
  if (sx != sy)
    return sx < sy ? -1 : 1; /* user logons before DWM/UMFD */
  return (x->luid > y->luid) - (x->luid < y->luid);
}

/* One ID's entry: "7: LUID DOMAIN\user, LUID DOMAIN\user (+2 DWM/UMFD)". */
static void pinned_entry(struct sbuf *b, struct lw_detect_logon *const *p, size_t n) {
  size_t users = 0, sys = 0, k, shown = 0, listed_kind;
  char luid[LW_LUID_TEXT_SIZE];
  for (k = 0; k < n; k++) {
    if (p[k]->flags & LW_DETECT_LOGON_SYSTEM)
      sys++;
    else
      users++;
  }
  sb_u64(b, p[0]->terminal_session);
  sb_add(b, ": ");
  /* The user logons are what an operator acts on; DWM/UMFD only when alone. */
  listed_kind = users > 0 ? users : sys;
  for (k = 0; k < listed_kind && shown < 3; k++, shown++) {
    if (shown > 0)
      sb_add(b, ", ");
    sb_add(b, lw_luid_format(p[k]->luid, luid));
    sb_add(b, " ");
    sb_who(b, p[k]->user, p[k]->domain);
  }
  if (listed_kind > shown) {
    sb_add(b, ", +");
    sb_u64(b, listed_kind - shown);
    sb_add(b, " more");
  }
  if (users > 0 && sys > 0) {
    sb_add(b, " (+");
    sb_u64(b, sys);
    sb_add(b, " DWM/UMFD)");
  }
}

/* The 2003 %2: "3-47, 49-152. 3: ...; 4: ...; ... and 102 more". p is sorted by
 * ID, n_ids distinct IDs. Returns 0 or LW_ENOMEM. */
static int pinned_text(struct sbuf *b, struct lw_detect_logon *const *p, size_t n, size_t n_ids) {
  size_t k = 0, ranges = 0, listed = 0, more_ranges = 0;
  struct sbuf e = {NULL, 0, 0, 0};
  int rc = 0;

  /* Ranges of consecutive IDs. */
  while (k < n) {
    uint32_t first = p[k]->terminal_session, last = first;
    while (k < n && p[k]->terminal_session - last <= 1) {
      last = p[k]->terminal_session;
      k++;
    }
    if (ranges < LW_DETECT_PINNED_LISTED) {
      if (ranges > 0)
        sb_add(b, ", ");
      sb_u64(b, first);
      if (last != first) {
        sb_add(b, "-");
        sb_u64(b, last);
      }
    } else {
      more_ranges++;
    }
    ranges++;
  }
  if (more_ranges > 0) {
    sb_add(b, ", ... and ");
    sb_u64(b, more_ranges);
    sb_add(b, " more ranges");
  }
  sb_add(b, ". ");

  /* Per ID, within the count and the byte budget. */
  k = 0;
  while (k < n && listed < LW_DETECT_PINNED_LISTED) {
    size_t end = k + 1;
    while (end < n && p[end]->terminal_session == p[k]->terminal_session)
      end++;
    e.len = 0;
    if (e.p != NULL)
      e.p[0] = '\0';
    pinned_entry(&e, p + k, end - k);
    if (e.oom) {
      rc = LW_ENOMEM;
      goto cleanup;
    }
    if (b->len + e.len + 48 > LW_DETECT_PINNED_TEXT_MAX)
      break;
    if (listed > 0)
      sb_add(b, "; ");
    sb_add(b, e.p);
    listed++;
    k = end;
  }
  if (listed < n_ids) {
    sb_add(b, "; ... and ");
    sb_u64(b, n_ids - listed);
    sb_add(b, " more");
  }
  if (b->oom)
    rc = LW_ENOMEM;
cleanup:
  free(e.p);
  return rc;
}

static int rule_gap(struct step *s) {
  uint64_t thr = s->cfg->gap_threshold;
  size_t k, n_ids = 0;
  uint32_t highest = 0, live = 0;
  int any_live = 0, rc = 0;
  struct lw_alert *a;
  struct sbuf b = {NULL, 0, 0, 0};

  for (k = 0; k < s->n_nw; k++) {
    if (s->nw[k].state == LW_WTS_LISTEN)
      continue;
    live++;
    any_live = 1;
    highest = s->nw[k].id; /* sorted: the last one is the highest */
  }
  s->out->highest_id = highest;
  s->out->live_sessions = live;

  if (s->n_nl > 0) {
    s->pinned = malloc(s->n_nl * sizeof *s->pinned);
    if (s->pinned == NULL)
      return LW_ENOMEM;
  }
  for (k = 0; k < s->n_nl; k++) {
    struct lw_detect_logon *r = &s->nl[k];
    if (r->leaked_at != UNKNOWN && r->terminal_session != 0 &&
        find_wts(s->nw, s->n_nw, r->terminal_session) == NULL)
      s->pinned[s->n_pinned++] = r;
  }
  if (s->n_pinned > 1)
    qsort(s->pinned, s->n_pinned, sizeof *s->pinned, cmp_pinned);
  for (k = 0; k < s->n_pinned; k++)
    if (k == 0 || s->pinned[k]->terminal_session != s->pinned[k - 1]->terminal_session)
      n_ids++;
  s->out->pinned_ids = (uint32_t)n_ids;
  if (thr == 0)
    return 0;

  if ((!s->gap_active && n_ids >= thr) || (s->gap_active && n_ids >= s->gap_last + thr)) {
    s->gap_active = 1;
    s->gap_last = (uint32_t)n_ids;
    a = alert_new(&s->agg, LW_EVENT_SESSION_IDS_PINNED, s->now);
    if (a == NULL)
      return LW_ENOMEM;
    a->count = (uint32_t)n_ids;
    a->threshold = (uint32_t)thr;
    a->terminal_session = any_live ? highest : LW_ALERT_NONE;
    a->live_sessions = live;
    if ((rc = pinned_text(&b, s->pinned, s->n_pinned, n_ids)) != 0 || (rc = ins_u(a, n_ids)) != 0 ||
        (rc = ins(a, b.p)) != 0 || (rc = any_live ? ins_u(a, highest) : ins(a, "none")) != 0 ||
        (rc = ins_u(a, live)) != 0)
      goto cleanup;
  } else if (s->gap_active && 2 * (uint64_t)n_ids < thr) {
    s->gap_active = 0;
    s->gap_last = 0;
    a = alert_new(&s->agg, LW_EVENT_SESSION_IDS_CLEARED, s->now);
    if (a == NULL)
      return LW_ENOMEM;
    a->count = (uint32_t)n_ids;
    a->threshold = (uint32_t)thr;
    if ((rc = ins_u(a, n_ids)) != 0 || (rc = ins_u(a, thr)) != 0)
      goto cleanup;
  }
cleanup:
  free(b.p);
  return rc;
}

/* ---- Rule 4: stuck logoff ----------------------------------------------------- */

static int rule_stuck(struct step *s) {
  size_t k;
  int rc;
  for (k = 0; k < s->n_nw; k++) {
    struct lw_detect_wts *w = &s->nw[k];
    struct lw_alert *a;
    if (w->state != LW_WTS_DOWN || w->down_alerted ||
        s->now - w->state_since < s->cfg->grace_period_ms)
      continue;
    w->down_alerted = 1;
    a = alert_new(&s->agg, LW_EVENT_LOGOFF_STUCK, s->now);
    if (a == NULL)
      return LW_ENOMEM;
    a->terminal_session = w->id;
    a->since = w->state_since;
    a->minutes = minutes_between(w->state_since, s->now);
    if ((rc = copy_who(&a->user, &a->domain, w->user, w->domain)) != 0 ||
        (rc = ins_u(a, w->id)) != 0 || (rc = ins_who(a, w->user, w->domain)) != 0 ||
        (rc = ins_u(a, (uint64_t)a->minutes)) != 0)
      return rc;
  }
  return 0;
}

/* ---- Step: assembling and committing ------------------------------------------ */

/* Moves agg then per (then the rate limit's summary, first) into out->alerts. */
static int assemble_alerts(struct step *s, struct lw_alert_policy_state *pol) {
  struct lw_detect_output *out = s->out;
  struct lw_alert summary;
  size_t n = s->agg.n + s->per.n, k, at = 0;
  int rc;

  rc =
      lw_alert_policy_apply(pol, s->cfg->alerts_max_per_hour, s->now, s->agg.v, s->agg.n, &summary);
  if (rc < 0)
    return rc;
  /* Both lists count against one window: apply to `per` after `agg`. A second
   * call in the same poll cannot produce another summary (the period was just
   * reset or is younger than an hour). */
  {
    struct lw_alert none;
    int rc2 =
        lw_alert_policy_apply(pol, s->cfg->alerts_max_per_hour, s->now, s->per.v, s->per.n, &none);
    if (rc2 < 0) {
      lw_alert_clear(&summary);
      return rc2;
    }
    lw_alert_clear(&none);
  }
  n += rc == 1;
  if (n > 0) {
    out->alerts = malloc(n * sizeof *out->alerts);
    if (out->alerts == NULL) {
      lw_alert_clear(&summary);
      return LW_ENOMEM;
    }
    out->cap_alerts = n;
  }
  if (rc == 1)
    lw_alert_move(&out->alerts[at++], &summary);
  for (k = 0; k < s->agg.n; k++)
    lw_alert_move(&out->alerts[at++], &s->agg.v[k]);
  for (k = 0; k < s->per.n; k++)
    lw_alert_move(&out->alerts[at++], &s->per.v[k]);
  out->n_alerts = at;
  s->agg.n = s->per.n = 0;
  return 0;
}

/* By content, so that a blob does not depend on where strings happen to be in
 * memory: saving a loaded state gives the same bytes. */
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
static const char **referenced_strings(const struct lw_detect_state *st, size_t *n, int *err) {
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
static void strings_compact(struct lw_detect_state *st) {
  struct lw_detect_strings nt = {NULL, 0, 0};
  const char **refs;
  size_t n, k;
  int err;

  if (st->strings.count < 256)
    return;
  refs = referenced_strings(st, &n, &err);
  if (err != 0 || st->strings.count <= 4 * n)
    goto cleanup;
  for (k = 0; k < n; k++) {
    const char *p;
    if (strings_intern(&nt, refs[k], &p) != 0) {
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

static int snapshot_sorted(const struct lw_snapshot *snap) {
  size_t k;
  for (k = 1; k < snap->n_logons; k++)
    if (snap->logons[k].luid < snap->logons[k - 1].luid)
      return 0;
  for (k = 1; k < snap->n_wts; k++)
    if (snap->wts[k].id < snap->wts[k - 1].id)
      return 0;
  return 1;
}

int lw_detect_step(struct lw_detect_state *st, const struct lw_snapshot *snap,
                   const struct lw_detect_config *cfg, struct lw_detect_output *out) {
  struct step s;
  struct lw_alert_policy_state pol;
  int reset, rc = 0;
  size_t k;

  if (st == NULL || snap == NULL || cfg == NULL || out == NULL)
    return LW_EINVAL;
  lw_detect_output_free(out);
  if (snap->taken_at == UNKNOWN || !snapshot_sorted(snap))
    return LW_EINVAL;

  memset(&s, 0, sizeof s);
  s.st = st;
  s.snap = snap;
  s.cfg = cfg;
  s.out = out;
  s.now = snap->taken_at;
  reset = 0;
  if (st->boot_time != UNKNOWN && snap->boot_time != UNKNOWN) {
    /* Unsigned difference: no overflow whatever the values. */
    uint64_t d = snap->boot_time >= st->boot_time
                     ? (uint64_t)snap->boot_time - (uint64_t)st->boot_time
                     : (uint64_t)st->boot_time - (uint64_t)snap->boot_time;
    reset = d > (uint64_t)LW_DETECT_BOOT_TOLERANCE_MS;
  }
  s.boot_time = (reset || st->boot_time == UNKNOWN) ? snap->boot_time : st->boot_time;
  out->new_boot = reset || st->last_poll == UNKNOWN;
  if (reset) {
    /* Episodes of the old boot end with it, without an alert. */
    for (k = 0; k < st->n_logons; k++) {
      struct lw_leak_change *c;
      if (st->logons[k].leaked_at == UNKNOWN)
        continue;
      c = change_new(out, LW_LEAK_BOOT_ENDED, st->boot_time, &st->logons[k]);
      if (c == NULL) {
        rc = LW_ENOMEM;
        goto cleanup;
      }
      c->released_at = snap->boot_time;
    }
    s.prev_poll = UNKNOWN;
  } else {
    s.ol = st->logons;
    s.n_ol = st->n_logons;
    s.ow = st->wts;
    s.n_ow = st->n_wts;
    s.oa = st->accum;
    s.n_oa = st->n_accum;
    s.gap_active = st->gap_active;
    s.gap_last = st->gap_last_alerted;
    s.prev_poll = st->last_poll;
  }

  if ((rc = merge_wts(&s)) != 0 || (rc = merge_logons(&s)) != 0 || (rc = rule_gap(&s)) != 0 ||
      (rc = rule_stuck(&s)) != 0 || (rc = rule_accumulation(&s)) != 0)
    goto cleanup;
  pol = st->policy;
  if ((rc = assemble_alerts(&s, &pol)) != 0)
    goto cleanup;

  /* Commit: nothing below can fail. */
  free(st->logons);
  free(st->wts);
  free(st->accum);
  st->logons = s.nl;
  st->n_logons = s.n_nl;
  st->wts = s.nw;
  st->n_wts = s.n_nw;
  st->accum = s.na;
  st->n_accum = s.n_na;
  s.nl = NULL;
  s.nw = NULL;
  s.na = NULL;
  st->gap_active = s.gap_active;
  st->gap_last_alerted = s.gap_last;
  st->policy = pol;
  st->boot_time = s.boot_time;
  st->last_poll = s.now;
  st->polls = reset ? 1 : st->polls + 1;
  strings_compact(st);

cleanup:
  free(s.nl);
  free(s.nw);
  free(s.na);
  free(s.cands);
  free(s.pinned);
  alert_vec_free(&s.agg);
  alert_vec_free(&s.per);
  if (rc != 0)
    lw_detect_output_free(out);
  return rc;
}

/* ---- Blob --------------------------------------------------------------------
 * "LWDS", version byte, then unsigned LEB128 varints; times as zigzag varints of
 * their difference from the state's last_poll (wrapping arithmetic, so every
 * int64 including LW_TIME_UNKNOWN round-trips); strings once, in a table, referred
 * to by index (0 = NULL); and a CRC-32 (IEEE) of everything before it, little
 * endian. Layout, version 1:
 *   magic version
 *   reserved(0) boot_time last_poll(both zigzag, absolute) polls gap_active gap_last
 *   n_strings { len bytes }
 *   n_wts { id state down_alerted first_seen state_since logon_time user domain }
 *   n_logons { luid_delta terminal_session flags mask first_seen [instance]
 *              [orphaned_since] [leaked_at] [logon_type logon_time user domain] }
 *   n_accum { user domain logon_type last_alerted }
 *   policy_len policy_blob (alert_policy.h's format)
 *   crc32
 * The format is canonical: the loader refuses every blob the saver would not
 * write (over-long varints, a mask the record does not call for, strings out of
 * order or unused, accumulation keys out of order), so load -> save gives the
 * same bytes and one state has one blob (issue 14; tests/fuzz/ checks it).
 */

#define BLOB_MAGIC "LWDS"
#define BLOB_VERSION 1
#define MASK_INSTANCE 1u
#define MASK_ORPHANED 2u
#define MASK_LEAKED 4u
#define MASK_DETAILS 8u
#define MASK_INST_LIVE 16u /* instance = first_seen of the live WTS instance with its ID */
#define MASK_ALL 31u

static uint32_t crc_table[256];
static int crc_ready;

static uint32_t crc32_of(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  size_t i;
  if (!crc_ready) {
    uint32_t k, b;
    for (k = 0; k < 256; k++) {
      uint32_t v = k;
      for (b = 0; b < 8; b++)
        v = (v & 1) ? 0xEDB88320u ^ (v >> 1) : v >> 1;
      crc_table[k] = v;
    }
    crc_ready = 1;
  }
  for (i = 0; i < n; i++)
    c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

struct wbuf {
  unsigned char *p;
  size_t len, cap;
  int oom;
};

static void w_bytes(struct wbuf *w, const void *src, size_t n) {
  if (w->oom)
    return;
  if (w->len + n > w->cap) {
    size_t cap = w->cap != 0 ? w->cap : 1024;
    unsigned char *p;
    while (cap < w->len + n)
      cap *= 2;
    p = realloc(w->p, cap);
    if (p == NULL) {
      w->oom = 1;
      return;
    }
    w->p = p;
    w->cap = cap;
  }
  memcpy(w->p + w->len, src, n);
  w->len += n;
}

static void w_var(struct wbuf *w, uint64_t v) {
  unsigned char b[10];
  size_t n = 0;
  do {
    b[n] = (unsigned char)(v & 0x7F);
    v >>= 7;
    if (v != 0)
      b[n] |= 0x80;
    n++;
  } while (v != 0);
  w_bytes(w, b, n);
}

static void w_time(struct wbuf *w, int64_t base, int64_t t) {
  uint64_t d = (uint64_t)t - (uint64_t)base;
  w_var(w, (d << 1) ^ (0 - (d >> 63)));
}

/* Index of p in the sorted unique table (1-based), 0 for NULL. */
static uint64_t str_index(const char **tab, size_t n, const char *p) {
  size_t lo = 0, hi = n;
  if (p == NULL)
    return 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(tab[mid], p) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (uint64_t)lo + 1;
}

/* A logon session record's mask: what the saver writes and the loader requires. */
static uint32_t logon_mask(const struct lw_detect_logon *l, const struct lw_detect_wts *wts,
                           size_t n_wts) {
  const struct lw_detect_wts *live =
      l->terminal_session != 0 ? find_wts(wts, n_wts, l->terminal_session) : NULL;
  uint32_t mask = 0;
  /* Most logon sessions belong to the live session with their ID: one bit. */
  if (live != NULL && l->instance == live->first_seen)
    mask |= MASK_INST_LIVE;
  else if (l->instance != UNKNOWN)
    mask |= MASK_INSTANCE;
  if (l->orphaned_since != UNKNOWN)
    mask |= MASK_ORPHANED | MASK_DETAILS;
  if (l->leaked_at != UNKNOWN)
    mask |= MASK_LEAKED;
  return mask;
}

int lw_detect_state_save(const struct lw_detect_state *st, char **blob, size_t *len) {
  struct wbuf w = {NULL, 0, 0, 0};
  const char **tab = NULL;
  char *pol = NULL;
  size_t n_tab = 0, pol_len = 0, k;
  int64_t base, prev_seen;
  uint64_t prev = 0;
  unsigned char crc[4];
  uint32_t c;
  int rc;

  if (st == NULL || blob == NULL || len == NULL)
    return LW_EINVAL;
  base = prev_seen = st->last_poll;
  tab = referenced_strings(st, &n_tab, &rc);
  if (rc != 0)
    goto cleanup;
  if ((rc = lw_alert_policy_save(&st->policy, &pol, &pol_len)) != 0)
    goto cleanup;

  w_bytes(&w, BLOB_MAGIC, 4);
  w_var(&w, BLOB_VERSION);
  w_var(&w, 0);
  w_time(&w, 0, st->boot_time);
  w_time(&w, 0, st->last_poll);
  w_var(&w, st->polls);
  w_var(&w, st->gap_active);
  w_var(&w, st->gap_last_alerted);

  w_var(&w, n_tab);
  for (k = 0; k < n_tab; k++) {
    size_t n = strlen(tab[k]);
    w_var(&w, n);
    w_bytes(&w, tab[k], n);
  }

  w_var(&w, st->n_wts);
  for (k = 0; k < st->n_wts; k++) {
    const struct lw_detect_wts *r = &st->wts[k];
    w_var(&w, r->id);
    w_var(&w, r->state);
    w_var(&w, r->down_alerted);
    w_time(&w, base, r->first_seen);
    w_time(&w, base, r->state_since);
    w_time(&w, base, r->logon_time);
    w_var(&w, str_index(tab, n_tab, r->user));
    w_var(&w, str_index(tab, n_tab, r->domain));
  }

  w_var(&w, st->n_logons);
  for (k = 0; k < st->n_logons; k++) {
    const struct lw_detect_logon *r = &st->logons[k];
    uint32_t mask = logon_mask(r, st->wts, st->n_wts);
    w_var(&w, r->luid - prev);
    prev = r->luid;
    w_var(&w, r->terminal_session);
    w_var(&w, r->flags);
    w_var(&w, mask);
    /* LUIDs grow with time, so neighbours were mostly first seen at one poll. */
    w_time(&w, prev_seen, r->first_seen);
    prev_seen = r->first_seen;
    if (mask & MASK_INSTANCE)
      w_time(&w, base, r->instance);
    if (mask & MASK_ORPHANED)
      w_time(&w, base, r->orphaned_since);
    if (mask & MASK_LEAKED)
      w_time(&w, base, r->leaked_at);
    if (mask & MASK_DETAILS) {
      w_var(&w, r->logon_type);
      w_time(&w, base, r->logon_time);
      w_var(&w, str_index(tab, n_tab, r->user));
      w_var(&w, str_index(tab, n_tab, r->domain));
    }
  }

  w_var(&w, st->n_accum);
  for (k = 0; k < st->n_accum; k++) {
    const struct lw_detect_accum *a = &st->accum[k];
    w_var(&w, str_index(tab, n_tab, a->user));
    w_var(&w, str_index(tab, n_tab, a->domain));
    w_var(&w, a->logon_type);
    w_var(&w, a->last_alerted);
  }

  w_var(&w, pol_len);
  w_bytes(&w, pol, pol_len);
  if (w.oom) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  c = crc32_of(w.p, w.len);
  for (k = 0; k < 4; k++)
    crc[k] = (unsigned char)(c >> (8 * k));
  w_bytes(&w, crc, 4);
  if (w.oom) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  *blob = (char *)w.p;
  *len = w.len;
  w.p = NULL;
  rc = 0;
cleanup:
  free(w.p);
  free((void *)tab);
  free(pol);
  return rc;
}

struct rbuf {
  const unsigned char *p;
  size_t len, off;
  int bad;
};

static uint64_t r_var(struct rbuf *r) {
  uint64_t v = 0;
  unsigned shift = 0;
  for (;;) {
    unsigned char b;
    if (r->off >= r->len || shift > 63) {
      r->bad = 1;
      return 0;
    }
    b = r->p[r->off++];
    if (shift == 63 && (b & 0x7E) != 0) { /* more than 64 bits */
      r->bad = 1;
      return 0;
    }
    if (b == 0 && shift != 0) { /* over-long: a last byte that adds nothing */
      r->bad = 1;
      return 0;
    }
    v |= (uint64_t)(b & 0x7F) << shift;
    if ((b & 0x80) == 0)
      return v;
    shift += 7;
  }
}

static uint32_t r_u32(struct rbuf *r) {
  uint64_t v = r_var(r);
  if (v > UINT32_MAX) {
    r->bad = 1;
    return 0;
  }
  return (uint32_t)v;
}

static int64_t r_time(struct rbuf *r, int64_t base) {
  uint64_t z = r_var(r);
  uint64_t d = (z >> 1) ^ (0 - (z & 1));
  int64_t t = (int64_t)((uint64_t)base + d);
  if (t != UNKNOWN && (t > LW_TIME_LIMIT_MS || t < -LW_TIME_LIMIT_MS))
    r->bad = 1;
  return t;
}

/* The blob's string table; `used` marks the entries a record refers to (the
 * saver writes no others). */
struct rstrings {
  const char **v;
  unsigned char *used;
  size_t n;
};

/* Reads a string index and returns the interned string (NULL for 0). */
static const char *r_str(struct rbuf *r, struct rstrings *tab) {
  uint64_t i = r_var(r);
  if (i > tab->n) {
    r->bad = 1;
    return NULL;
  }
  if (i == 0)
    return NULL;
  tab->used[i - 1] = 1;
  return tab->v[i - 1];
}

/* A count of records each at least `min_bytes` long: no more than the rest. */
static size_t r_count(struct rbuf *r, size_t min_bytes) {
  uint64_t n = r_var(r);
  if (r->bad || n > (r->len - r->off) / min_bytes) {
    r->bad = 1;
    return 0;
  }
  return (size_t)n;
}

int lw_detect_state_load(const char *blob, size_t len, struct lw_detect_state *st) {
  struct lw_detect_state t;
  struct rbuf r;
  struct rstrings tab = {NULL, NULL, 0};
  char *tmp = NULL;
  size_t k, pol_len;
  uint64_t luid = 0, version;
  int64_t base, prev_seen;
  uint32_t crc;
  int rc = LW_ECORRUPT;

  if (blob == NULL || st == NULL)
    return LW_EINVAL;
  lw_detect_state_init(&t);
  r.p = (const unsigned char *)blob;
  r.len = len;
  r.off = 4;
  r.bad = 0;
  if (len < 4 + 1 + 4 || memcmp(blob, BLOB_MAGIC, 4) != 0)
    return LW_ECORRUPT;
  version = r_var(&r);
  if (r.bad || version == 0)
    return LW_ECORRUPT;
  if (version > BLOB_VERSION)
    return LW_ETOONEW;
  crc = (uint32_t)r.p[len - 4] | (uint32_t)r.p[len - 3] << 8 | (uint32_t)r.p[len - 2] << 16 |
        (uint32_t)r.p[len - 1] << 24;
  if (crc32_of(r.p, len - 4) != crc)
    return LW_ECORRUPT;
  r.len = len - 4;

  if (r_var(&r) != 0) /* reserved */
    goto cleanup;
  t.boot_time = r_time(&r, 0);
  t.last_poll = r_time(&r, 0);
  t.polls = r_var(&r);
  t.gap_active = r_u32(&r);
  t.gap_last_alerted = r_u32(&r);
  base = prev_seen = t.last_poll;
  if (r.bad || t.gap_active > 1)
    goto cleanup;

  tab.n = r_count(&r, 1);
  if (r.bad)
    goto cleanup;
  if (tab.n > 0 &&
      ((tab.v = calloc(tab.n, sizeof *tab.v)) == NULL || (tab.used = calloc(tab.n, 1)) == NULL)) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  for (k = 0; k < tab.n; k++) {
    size_t n = r_count(&r, 1);
    if (r.bad || memchr(r.p + r.off, '\0', n) != NULL)
      goto cleanup;
    free(tmp);
    if ((tmp = malloc(n + 1)) == NULL) {
      rc = LW_ENOMEM;
      goto cleanup;
    }
    memcpy(tmp, r.p + r.off, n);
    tmp[n] = '\0';
    r.off += n;
    /* Sorted and unique, as referenced_strings() gives them. */
    if (k > 0 && strcmp(tab.v[k - 1], tmp) >= 0)
      goto cleanup;
    if (strings_intern(&t.strings, tmp, &tab.v[k]) != 0) {
      rc = LW_ENOMEM;
      goto cleanup;
    }
  }

  t.n_wts = r_count(&r, 8);
  if (r.bad)
    goto cleanup;
  if (t.n_wts > 0 && (t.wts = calloc(t.n_wts, sizeof *t.wts)) == NULL) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  for (k = 0; k < t.n_wts; k++) {
    struct lw_detect_wts *w = &t.wts[k];
    w->id = r_u32(&r);
    w->state = r_u32(&r);
    w->down_alerted = r_u32(&r);
    w->first_seen = r_time(&r, base);
    w->state_since = r_time(&r, base);
    w->logon_time = r_time(&r, base);
    w->user = r_str(&r, &tab);
    w->domain = r_str(&r, &tab);
    if (r.bad || w->down_alerted > 1 || (k > 0 && w->id <= t.wts[k - 1].id))
      goto cleanup;
  }

  t.n_logons = r_count(&r, 5);
  if (r.bad)
    goto cleanup;
  if (t.n_logons > 0 && (t.logons = calloc(t.n_logons, sizeof *t.logons)) == NULL) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  for (k = 0; k < t.n_logons; k++) {
    struct lw_detect_logon *l = &t.logons[k];
    uint64_t delta = r_var(&r);
    uint32_t mask;
    if (k > 0 && (delta == 0 || delta > UINT64_MAX - luid))
      goto cleanup; /* LUIDs strictly increasing */
    luid += delta;
    l->luid = luid;
    l->terminal_session = r_u32(&r);
    l->flags = r_u32(&r);
    mask = r_u32(&r);
    if (r.bad || (mask & ~MASK_ALL) != 0 || (l->flags & ~LW_DETECT_LOGON_SYSTEM) != 0 ||
        (mask & (MASK_INSTANCE | MASK_INST_LIVE)) == (MASK_INSTANCE | MASK_INST_LIVE))
      goto cleanup;
    l->first_seen = r_time(&r, prev_seen);
    prev_seen = l->first_seen;
    l->instance = (mask & MASK_INSTANCE) ? r_time(&r, base) : UNKNOWN;
    if (mask & MASK_INST_LIVE) {
      const struct lw_detect_wts *live =
          l->terminal_session != 0 ? find_wts(t.wts, t.n_wts, l->terminal_session) : NULL;
      if (live == NULL)
        goto cleanup;
      l->instance = live->first_seen;
    }
    l->orphaned_since = (mask & MASK_ORPHANED) ? r_time(&r, base) : UNKNOWN;
    l->leaked_at = (mask & MASK_LEAKED) ? r_time(&r, base) : UNKNOWN;
    l->logon_time = UNKNOWN;
    if (mask & MASK_DETAILS) {
      l->logon_type = r_u32(&r);
      l->logon_time = r_time(&r, base);
      l->user = r_str(&r, &tab);
      l->domain = r_str(&r, &tab);
    }
    /* A leak episode is of an orphan; the mask is the one the record calls for. */
    if (r.bad || (l->leaked_at != UNKNOWN && l->orphaned_since == UNKNOWN) ||
        mask != logon_mask(l, t.wts, t.n_wts))
      goto cleanup;
  }

  t.n_accum = r_count(&r, 4);
  if (r.bad)
    goto cleanup;
  if (t.n_accum > 0 && (t.accum = calloc(t.n_accum, sizeof *t.accum)) == NULL) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  for (k = 0; k < t.n_accum; k++) {
    struct lw_detect_accum *a = &t.accum[k];
    a->user = r_str(&r, &tab);
    a->domain = r_str(&r, &tab);
    a->logon_type = r_u32(&r);
    a->last_alerted = r_u32(&r);
    a->hash = accum_hash(a->logon_type, a->domain, a->user);
    /* In the state's order, each key once. */
    if (r.bad || a->last_alerted == 0 || (k > 0 && cmp_accum(a - 1, a) >= 0))
      goto cleanup;
  }
  for (k = 0; k < tab.n; k++)
    if (!tab.used[k])
      goto cleanup;

  pol_len = r_count(&r, 1);
  if (r.bad || r.off + pol_len != r.len)
    goto cleanup;
  rc = lw_alert_policy_load((const char *)r.p + r.off, pol_len, &t.policy);
  if (rc != 0)
    goto cleanup;

  *st = t;
  lw_detect_state_init(&t);
  rc = 0;
cleanup:
  free(tmp);
  free((void *)tab.v);
  free(tab.used);
  lw_detect_state_free(&t);
  return rc;
}
