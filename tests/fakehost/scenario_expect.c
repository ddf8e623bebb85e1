/*
 * scenario_expect.c - what `leakwatch sessions --json` must show for a step of
 * a scenario, and what the fake host's counters must say after
 * `leakwatch run --polls N`, computed from the scenario alone.
 *
 * The end-to-end test (tests/e2e/test_sessions_fakehost.sh) compares the
 * product's output with this tool's field by field
 * (tests/e2e/compare_sessions.py). It reads the scenario with the fake host's
 * own parser (scenario.c) and applies the format's rules
 * (tests/scenarios/README.md, the time rules in scenario.h) and the JSON
 * contract (common/report/snapshot_json.h); it uses none of the product's code (its
 * own JSON escaping, time formatting and names), so a bug there cannot hide
 * itself.
 *
 * usage:
 *   scenario_expect SCENARIO STEP        expected JSON for a run started at STEP
 *   scenario_expect --steps SCENARIO     the scenario's step count
 *   scenario_expect --run SCENARIO START POLLS
 *       the fake's counters after POLLS polls from step START by a product
 *       that asks LsaGetLogonSessionData only for LUIDs it has no data for
 *       (cached after a successful call, evicted when not enumerated; failed
 *       calls retried), as key=value lines, plus the counts of the last step:
 *         lsa_enumerate_calls, lsa_data_calls, lsa_repeat_data_calls,
 *         lsa_data_failed, last_logon_sessions, last_wts_sessions
 *
 * JSON printed (a subset of the product's; the comparer knows the rest):
 *   {"step": N, "privilege_error": bool,
 *    "logon_sessions": [...sorted by LUID, every field but process_count and
 *                       processes...],
 *    "wts_sessions": [...sorted by id, every field...],
 *    "counts": {"logons_without_data": N}}
 * privilege_error: SYSTEM's session (0x3e7) is alive with data_status
 * 0xC0000022, which the product must report as missing rights.
 * WTS user, domain and client are null when the scenario leaves them out or
 * gives "" (Windows hands out "" for "none"; the product shows null).
 *
 * Exit status: 0, 1 when the scenario does not load, 2 for bad usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

#include "scenario.h"

#define WTS_DISCONNECTED 4
#define STATUS_ACCESS_DENIED 0xC0000022u

static const char *const logon_type_names[] = {"Undefined",
                                               NULL,
                                               "Interactive",
                                               "Network",
                                               "Batch",
                                               "Service",
                                               "Proxy",
                                               "Unlock",
                                               "NetworkCleartext",
                                               "NewCredentials",
                                               "RemoteInteractive",
                                               "CachedInteractive",
                                               "CachedRemoteInteractive",
                                               "CachedUnlock"};

static const char *const state_names[] = {"Active",       "Connected", "ConnectQuery", "Shadow",
                                          "Disconnected", "Idle",      "Listen",       "Reset",
                                          "Down",         "Init"};

static void put_string(const char *s) {
  const unsigned char *p;
  if (s == NULL) {
    fputs("null", stdout);
    return;
  }
  putchar('"');
  for (p = (const unsigned char *)s; *p != 0; p++) {
    if (*p == '"' || *p == '\\')
      printf("\\%c", *p);
    else if (*p < 0x20 || *p == 0x7f)
      printf("\\u%04x", *p);
    else
      putchar(*p);
  }
  putchar('"');
}

static void kv_string(const char *key, const char *value, int comma) {
  printf("\"%s\": ", key);
  put_string(value);
  if (comma)
    fputs(", ", stdout);
}

/* Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (civil-from-days, H. Hinnant). */
static void put_time(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t secs = t - days * 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2)
    y++;
  printf("\"%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ\"", (long long)y, (long long)m, (long long)d,
         (long long)(secs / 3600), (long long)(secs / 60 % 60), (long long)(secs % 60));
}

static int cmp_logon(const void *a, const void *b) {
  uint64_t x = (*(const struct lw_scenario_logon *const *)a)->luid;
  uint64_t y = (*(const struct lw_scenario_logon *const *)b)->luid;
  return (x > y) - (x < y);
}

static int cmp_wts(const void *a, const void *b) {
  uint32_t x = (*(const struct lw_scenario_wts *const *)a)->id;
  uint32_t y = (*(const struct lw_scenario_wts *const *)b)->id;
  return (x > y) - (x < y);
}

static const char *none_if_empty(const char *s) {
  return s != NULL && s[0] != '\0' ? s : NULL;
}

static void print_logon(const struct lw_scenario_logon *e) {
  int ok = e->data_status == 0;
  printf("    {\"luid\": \"%08lx:%08lx\", ", (unsigned long)(e->luid >> 32),
         (unsigned long)(e->luid & 0xffffffffu));
  kv_string("user", ok ? e->user : NULL, 1);
  kv_string("domain", ok ? e->domain : NULL, 1);
  kv_string("sid", ok ? e->sid : NULL, 1);
  kv_string("logon_type",
            ok && e->logon_type < sizeof logon_type_names / sizeof logon_type_names[0]
                ? logon_type_names[e->logon_type]
                : NULL,
            1);
  if (ok)
    printf("\"logon_type_id\": %lu, ", (unsigned long)e->logon_type);
  else
    fputs("\"logon_type_id\": null, ", stdout);
  kv_string("auth_package", ok ? e->auth_package : NULL, 1);
  if (ok)
    printf("\"terminal_session\": %lu, ", (unsigned long)e->session);
  else
    fputs("\"terminal_session\": null, ", stdout);
  fputs("\"logon_time\": ", stdout);
  if (ok)
    put_time(lw_scenario_logon_time(e));
  else
    fputs("null", stdout);
  fputs(", ", stdout);
  kv_string("logon_server", ok ? e->logon_server : NULL, 1);
  kv_string("dns_domain", ok ? e->dns_domain : NULL, 1);
  kv_string("upn", ok ? e->upn : NULL, 1);
  if (ok)
    fputs("\"data_status\": null}", stdout);
  else
    printf("\"data_status\": \"0x%08lx\"}", (unsigned long)e->data_status);
}

static void print_wts(const struct lw_scenario *sc, const struct lw_scenario_wts *e) {
  int has_user = e->user != NULL;
  printf("    {\"id\": %lu, ", (unsigned long)e->id);
  kv_string("station", e->station, 1);
  kv_string("state", e->state < 10 ? state_names[e->state] : NULL, 1);
  kv_string("user", none_if_empty(e->user), 1);
  kv_string("domain", none_if_empty(e->domain), 1);
  kv_string("client", none_if_empty(e->client), 1);
  fputs("\"client_address\": null, \"logon_time\": ", stdout);
  if (has_user)
    put_time(lw_scenario_step_time(lw_scenario_wts_logon_step(sc, e)));
  else
    fputs("null", stdout);
  fputs(", \"connect_time\": ", stdout);
  if (has_user)
    put_time(lw_scenario_step_time(e->from));
  else
    fputs("null", stdout);
  fputs(", \"disconnect_time\": ", stdout);
  if (has_user && e->state == WTS_DISCONNECTED)
    put_time(lw_scenario_step_time(e->from));
  else
    fputs("null", stdout);
  putchar('}');
}

static int print_step(const struct lw_scenario *sc, uint64_t start) {
  uint32_t step = lw_scenario_clamp_step(sc, start);
  size_t nl = lw_scenario_logons_at(sc, step, NULL, 0);
  size_t nw = lw_scenario_wts_at(sc, step, NULL, 0);
  const struct lw_scenario_logon **l = calloc(nl + 1, sizeof *l);
  const struct lw_scenario_wts **w = calloc(nw + 1, sizeof *w);
  size_t i, without = 0;
  int privilege = 0;
  if (l == NULL || w == NULL) {
    free((void *)l);
    free((void *)w);
    fputs("scenario_expect: out of memory\n", stderr);
    return 1;
  }
  lw_scenario_logons_at(sc, step, l, nl);
  lw_scenario_wts_at(sc, step, w, nw);
  qsort((void *)l, nl, sizeof *l, cmp_logon);
  qsort((void *)w, nw, sizeof *w, cmp_wts);
  for (i = 0; i < nl; i++) {
    if (l[i]->data_status != 0)
      without++;
    if (l[i]->luid == 0x3e7 && l[i]->data_status == STATUS_ACCESS_DENIED)
      privilege = 1;
  }
  printf("{\"step\": %lu, \"privilege_error\": %s,\n  \"logon_sessions\": [\n", (unsigned long)step,
         privilege ? "true" : "false");
  for (i = 0; i < nl; i++) {
    print_logon(l[i]);
    fputs(i + 1 < nl ? ",\n" : "\n", stdout);
  }
  fputs("  ],\n  \"wts_sessions\": [\n", stdout);
  for (i = 0; i < nw; i++) {
    print_wts(sc, w[i]);
    fputs(i + 1 < nw ? ",\n" : "\n", stdout);
  }
  printf("  ],\n  \"counts\": {\"logons_without_data\": %lu}}\n", (unsigned long)without);
  free((void *)l);
  free((void *)w);
  return 0;
}

/* ---- --run: the counters of a caching product ---------------------------- */

struct set {
  uint64_t *v;
  size_t n, cap;
};

static int set_has(const struct set *s, uint64_t x) {
  size_t i;
  for (i = 0; i < s->n; i++)
    if (s->v[i] == x)
      return 1;
  return 0;
}

static int set_add(struct set *s, uint64_t x) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    uint64_t *p = realloc(s->v, cap * sizeof *p);
    if (p == NULL)
      return -1;
    s->v = p;
    s->cap = cap;
  }
  s->v[s->n++] = x;
  return 0;
}

static int print_run(const struct lw_scenario *sc, uint64_t start, uint64_t polls) {
  struct set cache = {0}, next = {0}, asked = {0};
  unsigned long long data_calls = 0, repeats = 0, failed = 0;
  size_t last_logons = 0, last_wts = 0;
  uint64_t p;
  int rc = 0;

  for (p = 0; p < polls && rc == 0; p++) {
    uint32_t step = lw_scenario_clamp_step(sc, start + p);
    size_t n = lw_scenario_logons_at(sc, step, NULL, 0), i;
    const struct lw_scenario_logon **l = calloc(n + 1, sizeof *l);
    if (l == NULL) {
      fputs("scenario_expect: out of memory\n", stderr);
      return 1;
    }
    lw_scenario_logons_at(sc, step, l, n);
    next.n = 0;
    for (i = 0; i < n && rc == 0; i++) {
      uint64_t luid = l[i]->luid;
      if (set_has(&cache, luid)) {
        rc = set_add(&next, luid);
        continue;
      }
      data_calls++;
      if (set_has(&asked, luid))
        repeats++;
      else
        rc = set_add(&asked, luid);
      if (l[i]->data_status != 0)
        failed++;
      else if (rc == 0)
        rc = set_add(&next, luid);
    }
    {
      struct set t = cache;
      cache = next;
      next = t;
    }
    last_logons = n;
    last_wts = lw_scenario_wts_at(sc, step, NULL, 0);
    free((void *)l);
  }
  printf("lsa_enumerate_calls=%llu\nlsa_data_calls=%llu\nlsa_repeat_data_calls=%llu\n"
         "lsa_data_failed=%llu\nlast_logon_sessions=%lu\nlast_wts_sessions=%lu\n",
         (unsigned long long)polls, data_calls, repeats, failed, (unsigned long)last_logons,
         (unsigned long)last_wts);
  free(cache.v);
  free(next.v);
  free(asked.v);
  if (rc != 0)
    fputs("scenario_expect: out of memory\n", stderr);
  return rc != 0;
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end = NULL;
  unsigned long long v;
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  v = strtoull(s, &end, 10);
  if (*end != '\0')
    return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  struct lw_scenario *sc = NULL;
  char err[2048];
  const char *path;
  uint64_t a = 0, b = 0;
  int mode, rc;

#ifdef _WIN32
  _setmode(_fileno(stdout), _O_BINARY);
#endif
  if (argc == 3 && strcmp(argv[1], "--steps") == 0) {
    mode = 0;
    path = argv[2];
  } else if (argc == 5 && strcmp(argv[1], "--run") == 0 && parse_u64(argv[3], &a) == 0 &&
             parse_u64(argv[4], &b) == 0) {
    mode = 1;
    path = argv[2];
  } else if (argc == 3 && parse_u64(argv[2], &a) == 0) {
    mode = 2;
    path = argv[1];
  } else {
    fputs("usage: scenario_expect SCENARIO STEP | --steps SCENARIO | "
          "--run SCENARIO START POLLS\n",
          stderr);
    return 2;
  }
  if (lw_scenario_load(path, &sc, err, sizeof err) != 0) {
    fprintf(stderr, "scenario_expect: %s\n", err);
    return 1;
  }
  if (mode == 0) {
    printf("%lu\n", (unsigned long)sc->steps);
    rc = 0;
  } else if (mode == 1) {
    rc = print_run(sc, a, b);
  } else {
    rc = print_step(sc, a);
  }
  lw_scenario_free(sc);
  /* Every failure says why: wine-exec.sh takes a silent one for Wine's. */
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fputs("scenario_expect: cannot write the output\n", stderr);
    rc = 1;
  }
  return rc;
}
