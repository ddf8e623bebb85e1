/* store_testlib.c - the synthetic host and file helpers of store_testlib.h. */
#include "store_testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* 2026-11-21T09:00:00Z */
#define TL_START_MS INT64_C(1795251600000)

uint64_t tl_rand(struct tl_host *h, uint64_t n) {
  /* xorshift64*: deterministic across platforms (rand() is not). */
  uint64_t x = h->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  h->rng = x;
  x *= UINT64_C(2685821657736338717);
  return n != 0 ? (x >> 11) % n : 0;
}

static const char *const domains[] = {"CONTOSO", "FABRIKAM", "NT AUTHORITY", "Window Manager"};
static const char *const stations[] = {"RDP-Tcp#", "Console", "Services"};

static void make_logon(struct tl_host *h, struct tl_logon *l) {
  uint64_t r = tl_rand(h, 1000);
  memset(l, 0, sizeof *l);
  l->luid = h->next_luid;
  h->next_luid += 1 + tl_rand(h, 7);
  if (h->mid_one_in != 0) {
    /* In steps of 8 the two series never meet: 0 and 1 modulo 8. */
    h->next_luid = (l->luid | 7u) + 1;
    if (tl_rand(h, h->mid_one_in) == 0) {
      l->luid = h->mid_luid;
      h->mid_luid += 8;
      h->n_mid++;
    }
  }
  l->type = r < 600 ? 10 : r < 800 ? 3 : r < 900 ? 2 : 4; /* RDP, network, ... */
  l->session = (uint32_t)(l->type == 10 || l->type == 2 ? 1 + tl_rand(h, 200) : 0);
  l->logon_time = h->now - (int64_t)tl_rand(h, 3600) * 1000;
  l->procs = (uint32_t)tl_rand(h, 40);
  /* 1 in 50 without data (LsaGetLogonSessionData failed): strings NULL. */
  l->data_status = tl_rand(h, 50) == 0 ? 0xC000005Fu : 0;
  if (l->data_status == 0) {
    snprintf(l->user, sizeof l->user, "user%05u", (unsigned)tl_rand(h, 30000));
    snprintf(l->domain, sizeof l->domain, "%s", domains[tl_rand(h, 2)]);
    snprintf(l->sid, sizeof l->sid, "S-1-5-21-1004336348-1177238915-682003330-%u",
             (unsigned)(1000 + tl_rand(h, 50000)));
  }
}

static void make_wts(struct tl_host *h, struct tl_wts *w) {
  memset(w, 0, sizeof *w);
  w->id = h->next_wts_id++;
  w->state = tl_rand(h, 4) == 0 ? 4 /* Disconnected */ : 0 /* Active */;
  w->logon_time = h->now - (int64_t)tl_rand(h, 3600) * 1000;
  snprintf(w->station, sizeof w->station, "%s%u", stations[0], (unsigned)tl_rand(h, 9999));
  snprintf(w->user, sizeof w->user, "user%05u", (unsigned)tl_rand(h, 30000));
  snprintf(w->domain, sizeof w->domain, "CONTOSO");
  if (tl_rand(h, 5) != 0)
    snprintf(w->client, sizeof w->client, "LAPTOP-%u", (unsigned)tl_rand(h, 999));
}

static int grow(void **arr, size_t *cap, size_t want, size_t elem) {
  size_t n = *cap ? *cap : 16;
  void *p;
  if (want <= *cap)
    return 0;
  while (n < want)
    n *= 2;
  p = realloc(*arr, n * elem);
  if (p == NULL)
    return -1;
  *arr = p;
  *cap = n;
  return 0;
}

static int fill(struct tl_host *h, size_t n_logons, size_t n_wts) {
  size_t i;
  if (grow((void **)&h->l, &h->capl, n_logons, sizeof *h->l) != 0 ||
      grow((void **)&h->w, &h->capw, n_wts, sizeof *h->w) != 0)
    return -1;
  for (i = 0; i < n_logons; i++)
    make_logon(h, &h->l[i]);
  h->nl = n_logons;
  for (i = 0; i < n_wts; i++)
    make_wts(h, &h->w[i]);
  h->nw = n_wts;
  return 0;
}

int tl_host_init(struct tl_host *h, size_t n_logons, size_t n_wts, uint64_t seed) {
  memset(h, 0, sizeof *h);
  h->rng = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
  h->now = TL_START_MS;
  h->boot_time = TL_START_MS - INT64_C(86400000);
  h->next_luid = UINT64_C(0x3e8);
  h->next_wts_id = 1;
  return fill(h, n_logons, n_wts);
}

void tl_host_free(struct tl_host *h) {
  free(h->l);
  free(h->w);
  memset(h, 0, sizeof *h);
}

int tl_host_churn(struct tl_host *h, double rate, int64_t step_ms, int at_least_one) {
  size_t k, i, n;
  h->now += step_ms;
  if (rate <= 0)
    return 0;
  n = (size_t)(rate * (double)h->nl + 0.5);
  if (n == 0 && at_least_one && h->nl > 0)
    n = 1;
  for (k = 0; k < n; k++) {
    i = (size_t)tl_rand(h, h->nl);
    make_logon(h, &h->l[i]); /* ends the old one, starts a new one */
  }
  n = (size_t)(rate * (double)h->nw + 0.5);
  if (n == 0 && at_least_one && h->nw > 0)
    n = 1;
  for (k = 0; k < n; k++) {
    i = (size_t)tl_rand(h, h->nw);
    if (tl_rand(h, 2) == 0) {
      /* Ends it; half the time Windows reuses its ID for the next session. */
      uint32_t old_id = h->w[i].id;
      make_wts(h, &h->w[i]);
      if (tl_rand(h, 2) == 0)
        h->w[i].id = old_id;
    } else {
      /* A state change of the same instance: disconnect / reconnect. */
      h->w[i].state = h->w[i].state == 0 ? 4 : 0;
      if (h->w[i].state == 0)
        snprintf(h->w[i].client, sizeof h->w[i].client, "PC-%u", (unsigned)tl_rand(h, 999));
    }
  }
  return 0;
}

void tl_host_set_mid(struct tl_host *h, unsigned one_in) {
  h->mid_one_in = one_in;
  h->next_luid = (h->next_luid | 7u) + 1; /* above every LUID in use */
  h->mid_luid = h->next_luid + 1;
}

int tl_host_reboot(struct tl_host *h) {
  size_t nl = h->nl, nw = h->nw;
  h->now += 120000;
  h->boot_time = h->now - 30000;
  h->next_luid = UINT64_C(0x3e8) + tl_rand(h, 100); /* LUIDs restart */
  if (h->mid_one_in != 0)
    tl_host_set_mid(h, h->mid_one_in); /* both series anew */
  h->next_wts_id = 1;
  return fill(h, nl, nw);
}

static int cmp_logon(const void *a, const void *b) {
  uint64_t x = ((const struct lw_logon_session *)a)->luid;
  uint64_t y = ((const struct lw_logon_session *)b)->luid;
  return (x > y) - (x < y);
}

static int cmp_wts(const void *a, const void *b) {
  uint32_t x = ((const struct lw_wts_session *)a)->id;
  uint32_t y = ((const struct lw_wts_session *)b)->id;
  return (x > y) - (x < y);
}

struct lw_snapshot *tl_host_snapshot(const struct tl_host *h) {
  struct lw_snapshot *s = lw_snapshot_new();
  size_t i;
  if (s == NULL)
    return NULL;
  s->taken_at = h->now;
  s->boot_time = h->boot_time;
  s->duration_ms = 12;
  for (i = 0; i < h->nl; i++) {
    const struct tl_logon *t = &h->l[i];
    struct lw_logon_session *l = lw_snapshot_add_logon(s);
    if (l == NULL)
      goto fail;
    l->luid = t->luid;
    l->data_status = t->data_status;
    l->process_count = t->procs;
    if (t->data_status == 0) {
      l->logon_type = t->type;
      l->terminal_session = t->session;
      l->logon_time = t->logon_time;
      l->user = lw_snapshot_strdup(s, t->user);
      l->domain = lw_snapshot_strdup(s, t->domain);
      l->sid = lw_snapshot_strdup(s, t->sid);
      l->auth_package = lw_snapshot_strdup(s, t->type == 3 ? "NTLM" : "Kerberos");
      l->upn = NULL;
    }
  }
  for (i = 0; i < h->nw; i++) {
    const struct tl_wts *t = &h->w[i];
    struct lw_wts_session *w = lw_snapshot_add_wts(s);
    if (w == NULL)
      goto fail;
    w->id = t->id;
    w->state = t->state;
    w->logon_time = t->logon_time;
    w->station = lw_snapshot_strdup(s, t->station);
    w->user = lw_snapshot_strdup(s, t->user);
    w->domain = lw_snapshot_strdup(s, t->domain);
    w->client = t->client[0] ? lw_snapshot_strdup(s, t->client) : NULL;
  }
  /* Sorted as lw_snapshot_finish would, but without recomputing the process
   * counts (this host has counts, not processes). */
  if (s->n_logons > 1)
    qsort(s->logons, s->n_logons, sizeof *s->logons, cmp_logon);
  if (s->n_wts > 1)
    qsort(s->wts, s->n_wts, sizeof *s->wts, cmp_wts);
  return s;
fail:
  lw_snapshot_free(s);
  return NULL;
}

static int str_diff(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return a != b;
  return strcmp(a, b) != 0;
}

#define DIFF(cond, ...)                                                                            \
  do {                                                                                             \
    if (cond) {                                                                                    \
      fprintf(stderr, "%s: ", what);                                                               \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fprintf(stderr, "\n");                                                                       \
      return 1;                                                                                    \
    }                                                                                              \
  } while (0)

int tl_snapshot_diff(const char *what, const struct lw_snapshot *a, const struct lw_snapshot *b) {
  size_t i;
  DIFF(a->taken_at != b->taken_at, "taken_at %lld != %lld", (long long)a->taken_at,
       (long long)b->taken_at);
  DIFF(a->boot_time != b->boot_time, "boot_time %lld != %lld", (long long)a->boot_time,
       (long long)b->boot_time);
  DIFF(a->n_logons != b->n_logons, "n_logons %zu != %zu", a->n_logons, b->n_logons);
  DIFF(a->n_wts != b->n_wts, "n_wts %zu != %zu", a->n_wts, b->n_wts);
  for (i = 0; i < a->n_logons; i++) {
    const struct lw_logon_session *x = &a->logons[i], *y = &b->logons[i];
    DIFF(x->luid != y->luid, "logon %zu: luid %llx != %llx", i, (unsigned long long)x->luid,
         (unsigned long long)y->luid);
    DIFF(x->data_status != y->data_status || x->logon_type != y->logon_type ||
             x->terminal_session != y->terminal_session || x->logon_time != y->logon_time,
         "logon %llx: numbers differ", (unsigned long long)x->luid);
    DIFF(str_diff(x->user, y->user) || str_diff(x->domain, y->domain) || str_diff(x->sid, y->sid) ||
             str_diff(x->auth_package, y->auth_package) ||
             str_diff(x->logon_server, y->logon_server) || str_diff(x->dns_domain, y->dns_domain) ||
             str_diff(x->upn, y->upn),
         "logon %llx: strings differ (%s / %s)", (unsigned long long)x->luid,
         x->user ? x->user : "(null)", y->user ? y->user : "(null)");
  }
  for (i = 0; i < a->n_wts; i++) {
    const struct lw_wts_session *x = &a->wts[i], *y = &b->wts[i];
    DIFF(x->id != y->id, "wts %zu: id %u != %u", i, x->id, y->id);
    DIFF(x->state != y->state, "wts %u: state %u != %u", x->id, x->state, y->state);
    DIFF(x->logon_time != y->logon_time || x->connect_time != y->connect_time ||
             x->disconnect_time != y->disconnect_time,
         "wts %u: times differ", x->id);
    DIFF(str_diff(x->station, y->station) || str_diff(x->user, y->user) ||
             str_diff(x->domain, y->domain) || str_diff(x->client, y->client) ||
             str_diff(x->client_address, y->client_address),
         "wts %u: strings differ", x->id);
  }
  return 0;
}

/* ---- Files ---------------------------------------------------------------- */

static char tl_dir[1024] = ".";

void tl_set_dir(const char *dir) {
  snprintf(tl_dir, sizeof tl_dir, "%s", dir);
}

void tl_remove_db(const char *path) {
  char p[1100];
  remove(path);
  snprintf(p, sizeof p, "%s-wal", path);
  remove(p);
  snprintf(p, sizeof p, "%s-shm", path);
  remove(p);
}

const char *tl_path(const char *name) {
  static char bufs[4][1100];
  static int next;
  char *b = bufs[next++ % 4];
  snprintf(b, sizeof bufs[0], "%s/%s", tl_dir, name);
  tl_remove_db(b);
  return b;
}

int64_t tl_file_size(const char *path) {
  FILE *f = fopen(path, "rb");
  long n;
  if (f == NULL)
    return -1;
  if (fseek(f, 0, SEEK_END) != 0) {
    fclose(f);
    return -1;
  }
  n = ftell(f);
  fclose(f);
  return n;
}

unsigned char *tl_read_file(const char *path, size_t *len) {
  int64_t n = tl_file_size(path);
  unsigned char *buf;
  FILE *f;
  if (n < 0)
    return NULL;
  buf = malloc((size_t)n + 1);
  f = fopen(path, "rb");
  if (buf == NULL || f == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    if (f)
      fclose(f);
    return NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

int tl_write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  int ok;
  if (f == NULL)
    return -1;
  ok = fwrite(data, 1, len, f) == len;
  ok = fclose(f) == 0 && ok;
  return ok ? 0 : -1;
}

struct lw_store *tl_open_read_only(const char *db) {
  struct lw_store_options o;
  struct lw_store *st = NULL;
  char err[256];
  memset(&o, 0, sizeof o);
  o.read_only = true;
  if (lw_store_open(db, &o, &st, NULL, err, sizeof err) != 0) {
    fprintf(stderr, "tl_open_read_only %s: %s\n", db, err);
    return NULL;
  }
  return st;
}

static char tl_out_path[1100];

FILE *tl_out_begin(const char *name) {
  snprintf(tl_out_path, sizeof tl_out_path, "%s", tl_path(name));
  return fopen(tl_out_path, "wb");
}

char *tl_out_end(FILE *f) {
  unsigned char *text;
  size_t len = 0;
  if (f == NULL || fclose(f) != 0)
    return NULL;
  text = tl_read_file(tl_out_path, &len);
  if (text != NULL)
    text[len] = '\0';
  return (char *)text;
}
