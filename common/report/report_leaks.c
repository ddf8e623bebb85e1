/*
 * report_leaks.c - `leakwatch leaks` (see report_leaks.h): the leak episodes
 * read, system logons folded into their user's row, holders attached, then
 * printed as a table, JSON or CSV.
 */
#include "report_leaks.h"

#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "alloc.h"
#include "csv_writer.h"
#include "error.h"
#include "holders.h"
#include "json_writer.h"
#include "luid.h"
#include "text_safe.h"
#include "timefmt.h"

static void item_free(struct lw_leak_item *it) {
  free((char *)it->leak.user);
  free((char *)it->leak.domain);
  free(it->system_luids);
  for (size_t i = 0; i < it->n_holders; i++) {
    free(it->holders[i].image);
    free(it->holders[i].services);
  }
  free(it->holders);
  memset(it, 0, sizeof *it);
}

void lw_leaks_free(struct lw_leaks *l) {
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->n; i++)
    item_free(&l->v[i]);
  free(l->v);
  lw_ack_set_free(&l->known);
  memset(l, 0, sizeof *l);
}

int lw_leaks_mark_known(struct lw_store *st, const struct lw_ack_set *ignores, int64_t now,
                        struct lw_leaks *l) {
  int rc = lw_store_acks_load(st, &l->known);
  if (rc == LW_ENOENT)
    rc = 0; /* a history older than acknowledgements */
  for (size_t i = 0; rc == 0 && ignores != NULL && i < ignores->n; i++)
    rc = lw_ack_set_add(&l->known, &ignores->v[i]);
  l->n_acknowledged = l->n_ignored = 0;
  for (size_t i = 0; rc == 0 && i < l->n; i++) {
    struct lw_leak_item *it = &l->v[i];
    const char **images = NULL;
    if (it->n_holders > 0 && (images = malloc(it->n_holders * sizeof *images)) == NULL) {
      rc = LW_ENOMEM;
      break;
    }
    for (size_t j = 0; j < it->n_holders; j++)
      images[j] = it->holders[j].image != NULL ? it->holders[j].image : "?";
    it->known = lw_ack_match(&l->known, now, it->leak.luid, it->leak.domain, it->leak.user, images,
                             it->n_holders);
    free(images);
    if (it->known != NULL && it->known->id > 0)
      l->n_acknowledged++;
    else if (it->known != NULL)
      l->n_ignored++;
  }
  if (rc != 0)
    for (size_t i = 0; i < l->n; i++)
      l->v[i].known = NULL;
  return rc;
}

const char *lw_leak_known_state(const struct lw_leak_item *it) {
  return it->known == NULL ? "" : it->known->id > 0 ? "acknowledged" : "ignored";
}

const char *lw_leak_known_text(const struct lw_leak_item *it, char *buf, size_t size) {
  const struct lw_ack *a = it->known;
  if (a->id > 0) {
    char t[LW_ISO_TIME_SIZE];
    snprintf(buf, size, "acknowledged (ack %lld, until %s): %s", (long long)a->id,
             a->expires_at == LW_TIME_UNKNOWN ? "removed" : lw_time_format_iso(a->expires_at, t),
             a->reason);
  } else {
    snprintf(buf, size, "ignored (%s %s in the configuration)",
             a->kind == LW_ACK_IMAGE ? "ignore.images" : "ignore.users", a->target);
  }
  return buf;
}

static int add_episode(void *ctx, const struct lw_store_leak_row *row) {
  struct lw_leaks *l = ctx;
  if (l->n == l->cap) {
    size_t cap = l->cap != 0 ? 2 * l->cap : 64;
    struct lw_leak_item *v = realloc(l->v, cap * sizeof *v);
    if (v == NULL)
      return LW_ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  struct lw_leak_item *it = &l->v[l->n];
  memset(it, 0, sizeof *it);
  it->boot_id = row->boot_id;
  it->leak = row->leak;
  it->released_at = row->released_at;
  it->leak.user = lw_strdup(row->leak.user);
  it->leak.domain = lw_strdup(row->leak.domain);
  l->n++;
  l->episodes++;
  if ((row->leak.user != NULL && it->leak.user == NULL) ||
      (row->leak.domain != NULL && it->leak.domain == NULL))
    return LW_ENOMEM;
  return 0;
}

static int cmp_u64(uint64_t a, uint64_t b) {
  return a < b ? -1 : a > b;
}

/* Users first, each part by (boot, LUID): the users, then the system ones,
 * are sorted runs that find_row searches. */
static int by_key(const void *a, const void *b) {
  const struct lw_leak_item *x = a, *y = b;
  if (x->leak.system != y->leak.system)
    return x->leak.system ? 1 : -1;
  if (x->boot_id != y->boot_id)
    return x->boot_id < y->boot_id ? -1 : 1;
  return cmp_u64(x->leak.luid, y->leak.luid);
}

/* What an operator reads first: oldest leak, then by terminal session. */
static int by_display(const void *a, const void *b) {
  const struct lw_leak_item *x = a, *y = b;
  if (x->leak.leaked_at != y->leak.leaked_at)
    return x->leak.leaked_at < y->leak.leaked_at ? -1 : 1;
  if (x->leak.terminal_session != y->leak.terminal_session)
    return x->leak.terminal_session < y->leak.terminal_session ? -1 : 1;
  if (x->boot_id != y->boot_id)
    return x->boot_id < y->boot_id ? -1 : 1;
  return cmp_u64(x->leak.luid, y->leak.luid);
}

/* The row of (boot, luid) in the sorted run v[0..n), or NULL. */
static struct lw_leak_item *find_row(struct lw_leak_item *v, size_t n, int64_t boot,
                                     uint64_t luid) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const struct lw_leak_item *it = &v[mid];
    int c = it->boot_id != boot ? (it->boot_id < boot ? -1 : 1) : cmp_u64(it->leak.luid, luid);
    if (c == 0)
      return &v[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* Folds each system episode whose with_luid names a user row of the list
 * into that row; the others stay rows of their own. */
static int fold_system(struct lw_leaks *l) {
  size_t n_users = 0, w;
  if (l->n == 0)
    return 0;
  qsort(l->v, l->n, sizeof *l->v, by_key);
  while (n_users < l->n && !l->v[n_users].leak.system)
    n_users++;
  w = n_users;
  for (size_t i = n_users; i < l->n; i++) {
    struct lw_leak_item *s = &l->v[i];
    struct lw_leak_item *u =
        s->leak.with_luid != 0 ? find_row(l->v, n_users, s->boot_id, s->leak.with_luid) : NULL;
    if (u == NULL) {
      l->v[w++] = *s;
      continue;
    }
    uint64_t *v = realloc(u->system_luids, (u->n_system + 1) * sizeof *v);
    if (v == NULL) {
      /* Keep it as a row so that lw_leaks_free finds everything. */
      l->v[w++] = *s;
      for (size_t j = i + 1; j < l->n; j++)
        l->v[w++] = l->v[j];
      l->n = w;
      return LW_ENOMEM;
    }
    u->system_luids = v;
    v[u->n_system++] = s->leak.luid;
    item_free(s);
  }
  l->n = w;
  return 0;
}

/* Attaches a holder row to the row of its (boot, LUID), if listed. The rows
 * are in by_key order while this runs. */
struct holder_ctx {
  struct lw_leaks *l;
  size_t n_users;
};

static int add_holder(void *ctx, const struct lw_store_holder_row *row) {
  struct holder_ctx *c = ctx;
  struct lw_leak_item *it = find_row(c->l->v, c->n_users, row->boot_id, row->holder.luid);
  if (it == NULL)
    it = find_row(c->l->v + c->n_users, c->l->n - c->n_users, row->boot_id, row->holder.luid);
  if (it == NULL)
    return 0;
  struct lw_leak_holder *v = realloc(it->holders, (it->n_holders + 1) * sizeof *v);
  if (v == NULL)
    return LW_ENOMEM;
  it->holders = v;
  struct lw_leak_holder *h = &v[it->n_holders++];
  memset(h, 0, sizeof *h);
  h->pid = row->holder.pid;
  h->tokens = row->holder.tokens;
  h->exited_process = row->holder.exited_process;
  h->image = lw_strdup(row->holder.image);
  h->services = lw_strdup(row->holder.services);
  if ((row->holder.image != NULL && h->image == NULL) ||
      (row->holder.services != NULL && h->services == NULL))
    return LW_ENOMEM;
  return 0;
}

int lw_leaks_load(struct lw_store *st, bool ranged, int64_t since, int64_t until,
                  struct lw_leaks *out) {
  int rc;
  memset(out, 0, sizeof *out);
  rc = ranged ? lw_store_each_leak_between(st, since, until, add_episode, out)
              : lw_store_each_leak(st, true, add_episode, out);
  if (rc == 0)
    rc = fold_system(out);
  if (rc == 0 && out->n > 0) {
    struct holder_ctx c = {out, 0};
    qsort(out->v, out->n, sizeof *out->v, by_key);
    while (c.n_users < out->n && !out->v[c.n_users].leak.system)
      c.n_users++;
    /* Open leaks are all of the latest boot: only its scans are read. */
    rc = lw_store_each_latest_holder(st, ranged ? 0 : out->v[0].boot_id, add_holder, &c);
  }
  if (rc != 0) {
    lw_leaks_free(out);
    return rc;
  }
  if (out->n > 0)
    qsort(out->v, out->n, sizeof *out->v, by_display);
  return 0;
}

const char *lw_leak_session_end(const struct lw_store_leak *leak) {
  return leak->end_seen == 1 ? "seen" : leak->end_seen == 0 ? "before LeakWatch" : "unknown";
}

static const char *iso_or(int64_t ms, char buf[LW_ISO_TIME_SIZE], const char *none) {
  if (ms == LW_TIME_UNKNOWN)
    return none;
  return lw_time_format_iso(ms, buf);
}

/* Writes already escaped text in at most `width` columns (a UTF-8 character
 * is one), cut with "..." when longer, padded with spaces when pad. */
static void put_cell(FILE *out, const char *text, size_t width, bool pad) {
  size_t chars = 0, cut = 0, i;
  for (i = 0; text[i] != '\0'; i++)
    if (((unsigned char)text[i] & 0xC0) != 0x80) {
      if (chars == width - 3)
        cut = i;
      chars++;
    }
  if (chars > width) {
    fwrite(text, 1, cut, out);
    fputs("...", out);
    return;
  }
  fputs(text, out);
  for (; pad && chars < width; chars++)
    fputc(' ', out);
}

/* DOMAIN\user (or user), escaped for the terminal into buf. */
static const char *who(const struct lw_store_leak *leak, char *buf, size_t size) {
  char raw[512];
  if (leak->domain != NULL && leak->domain[0] != '\0')
    snprintf(raw, sizeof raw, "%s\\%s", leak->domain, leak->user != NULL ? leak->user : "");
  else
    snprintf(raw, sizeof raw, "%s", leak->user != NULL ? leak->user : "-");
  return lw_text_safe(raw, buf, size, LW_TEXT_ONE_LINE);
}

/* "Image.exe (PID n), ..." of a row's holders, unescaped, into buf. */
static const char *holders_text(const struct lw_leak_item *it, char *buf, size_t size) {
  size_t n = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < it->n_holders && n < size; i++) {
    const struct lw_leak_holder *h = &it->holders[i];
    int k = snprintf(buf + n, size - n, "%s%s%s (PID %u)", i > 0 ? ", " : "",
                     h->exited_process ? "exited " : "",
                     h->image != NULL ? lw_holders_basename(h->image) : "(image unknown)", h->pid);
    if (k < 0)
      break;
    n += (size_t)k;
  }
  return buf;
}

static void print_table_head(FILE *out, const struct lw_leaks_query *q) {
  fprintf(out, "%-17s  %7s  %-20s  ", "LUID", "SESSION", "LEAKED AT");
  if (q->ranged)
    fprintf(out, "%-20s  ", "RELEASED");
  fprintf(out, "%-16s  %3s  %s\n", "SESSION END", "SYS", "USER");
}

static void print_table_row(FILE *out, const struct lw_leaks_query *q,
                            const struct lw_leak_item *it) {
  char luid[LW_LUID_TEXT_SIZE], leaked[LW_ISO_TIME_SIZE], name[1024];
  size_t used = 17 + 2 + 7 + 2 + 20 + 2 + 16 + 2 + 3 + 2;
  fprintf(out, "%-17s  %7u  %-20s  ", lw_luid_format(it->leak.luid, luid),
          (unsigned)it->leak.terminal_session, iso_or(it->leak.leaked_at, leaked, "-"));
  if (q->ranged) {
    char released[LW_ISO_TIME_SIZE];
    fprintf(out, "%-20s  ", iso_or(it->released_at, released, "(open)"));
    used += 22;
  }
  fprintf(out, "%-16s  ", lw_leak_session_end(&it->leak));
  if (it->leak.system && it->n_system == 0)
    fprintf(out, "%3s  ", "(s)"); /* a system logon that leaked alone */
  else
    fprintf(out, "%3zu  ", it->n_system);
  put_cell(out, who(&it->leak, name, sizeof name), LW_LEAKS_TABLE_WIDTH - used, false);
  fputc('\n', out);
  if (it->known != NULL) {
    char text[2048], safe[4096];
    fputs("    ", out);
    lw_text_safe(lw_leak_known_text(it, text, sizeof text), safe, sizeof safe, LW_TEXT_ONE_LINE);
    put_cell(out, safe, LW_LEAKS_TABLE_WIDTH - 4, false);
    fputc('\n', out);
  }
  if (it->n_holders > 0) {
    char held[2048], safe[4096];
    fputs("    held by: ", out);
    lw_text_safe(holders_text(it, held, sizeof held), safe, sizeof safe, LW_TEXT_ONE_LINE);
    put_cell(out, safe, LW_LEAKS_TABLE_WIDTH - 13, false);
    fputc('\n', out);
  }
}

static void json_time(struct lw_json *j, const char *key, int64_t ms) {
  lw_json_key(j, key);
  if (ms == LW_TIME_UNKNOWN) {
    lw_json_null(j);
  } else {
    char buf[LW_ISO_TIME_SIZE];
    lw_json_string(j, lw_time_format_iso(ms, buf));
  }
}

static void json_text(struct lw_json *j, const char *key, const char *s) {
  if (s != NULL)
    lw_json_kv_string(j, key, s);
  else
    lw_json_kv_null(j, key);
}

static void print_json_row(struct lw_json *j, const struct lw_leak_item *it) {
  char luid[LW_LUID_TEXT_SIZE];
  lw_json_begin_object(j);
  lw_json_kv_int64(j, "boot_id", it->boot_id);
  lw_json_kv_string(j, "luid", lw_luid_format(it->leak.luid, luid));
  json_text(j, "user", it->leak.user);
  json_text(j, "domain", it->leak.domain);
  lw_json_kv_string(j, "kind", it->leak.system ? "system" : "user");
  lw_json_kv_uint64(j, "terminal_session", it->leak.terminal_session);
  json_time(j, "logon_time", it->leak.logon_time);
  json_time(j, "leaked_at", it->leak.leaked_at);
  json_time(j, "released_at", it->released_at);
  lw_json_kv_string(j, "session_end", lw_leak_session_end(&it->leak));
  json_time(j, "session_ended_at", it->leak.session_ended_at);
  json_time(j, "first_seen_ended_at", it->leak.orphan_seen_at);
  lw_json_kv_uint64(j, "system_logons", it->n_system);
  lw_json_key(j, "system_luids");
  lw_json_begin_array(j);
  for (size_t i = 0; i < it->n_system; i++)
    lw_json_string(j, lw_luid_format(it->system_luids[i], luid));
  lw_json_end_array(j);
  lw_json_key(j, "holders");
  lw_json_begin_array(j);
  for (size_t i = 0; i < it->n_holders; i++) {
    const struct lw_leak_holder *h = &it->holders[i];
    lw_json_begin_object(j);
    lw_json_kv_uint64(j, "pid", h->pid);
    json_text(j, "image", h->image);
    json_text(j, "services", h->services);
    lw_json_kv_uint64(j, "tokens", h->tokens);
    lw_json_kv_bool(j, "exited_process", h->exited_process);
    lw_json_end_object(j);
  }
  lw_json_end_array(j);
  /* Issue 15, at the end: the known leak entry that covers it. */
  lw_json_kv_bool(j, "acknowledged", it->known != NULL && it->known->id > 0);
  if (it->known != NULL && it->known->id > 0) {
    lw_json_kv_int64(j, "ack_id", it->known->id);
    lw_json_kv_string(j, "ack_reason", it->known->reason);
    json_time(j, "ack_expires", it->known->expires_at);
  } else {
    lw_json_kv_null(j, "ack_id");
    lw_json_kv_null(j, "ack_reason");
    lw_json_kv_null(j, "ack_expires");
  }
  lw_json_kv_bool(j, "ignored", it->known != NULL && it->known->id == 0);
  lw_json_end_object(j);
}

static const char *const csv_head[] = {"boot_id",
                                       "luid",
                                       "user",
                                       "domain",
                                       "kind",
                                       "terminal_session",
                                       "leaked_at",
                                       "released_at",
                                       "session_end",
                                       "session_ended_at",
                                       "system_logons",
                                       "system_luids",
                                       "holders",
                                       "acknowledged",
                                       "ack_id",
                                       "ack_reason",
                                       "ack_expires",
                                       "ignored",
                                       NULL};

static void print_csv_row(struct lw_csv *c, const struct lw_leak_item *it) {
  char luid[LW_LUID_TEXT_SIZE], t[LW_ISO_TIME_SIZE], held[2048];
  /* A user's DWM-n and UMFD-n: two, a few after reconnections; 64 is plenty. */
  char luids[LW_LUID_TEXT_SIZE * 64 + 16];
  size_t n = 0;
  lw_csv_int64(c, it->boot_id);
  lw_csv_field(c, lw_luid_format(it->leak.luid, luid));
  lw_csv_field(c, it->leak.user != NULL ? it->leak.user : "");
  lw_csv_field(c, it->leak.domain != NULL ? it->leak.domain : "");
  lw_csv_field(c, it->leak.system ? "system" : "user");
  lw_csv_uint64(c, it->leak.terminal_session);
  lw_csv_field(c, iso_or(it->leak.leaked_at, t, ""));
  lw_csv_field(c, iso_or(it->released_at, t, ""));
  lw_csv_field(c, lw_leak_session_end(&it->leak));
  lw_csv_field(c, iso_or(it->leak.session_ended_at, t, ""));
  lw_csv_uint64(c, it->n_system);
  luids[0] = '\0';
  for (size_t i = 0; i < it->n_system && i < 64; i++)
    n += (size_t)snprintf(luids + n, sizeof luids - n, "%s%s", i > 0 ? " " : "",
                          lw_luid_format(it->system_luids[i], luid));
  lw_csv_field(c, luids);
  lw_csv_field(c, holders_text(it, held, sizeof held));
  {
    const struct lw_ack *a = it->known != NULL && it->known->id > 0 ? it->known : NULL;
    lw_csv_field(c, a != NULL ? "true" : "false");
    if (a != NULL)
      lw_csv_int64(c, a->id);
    else
      lw_csv_field(c, "");
    lw_csv_field(c, a != NULL ? a->reason : "");
    lw_csv_field(c, a != NULL ? iso_or(a->expires_at, t, "") : "");
    lw_csv_field(c, it->known != NULL && it->known->id == 0 ? "true" : "false");
  }
  lw_csv_end_row(c);
}

static void print_table(FILE *out, const struct lw_leaks_query *q, const struct lw_leaks *l) {
  if (l->n == 0) {
    if (q->ranged) {
      char a[LW_ISO_TIME_SIZE], b[LW_ISO_TIME_SIZE];
      fprintf(out, "No leak episodes between %s and %s in ", iso_or(q->since, a, "the start"),
              iso_or(q->until, b, "now"));
    } else {
      fputs("No open leaks in ", out);
    }
    lw_text_safe_fputs(q->db, out, LW_TEXT_ONE_LINE);
    fputs(".\n", out);
    return;
  }
  print_table_head(out, q);
  for (size_t i = 0; i < l->n; i++)
    print_table_row(out, q, &l->v[i]);
  fprintf(out,
          "\n%zu %s, %u leaked logon session%s in all (SYS: the DWM-n/UMFD-n logons folded "
          "into a row;\n(s): one that leaked alone).\n",
          l->n,
          q->ranged ? (l->n == 1 ? "leak row" : "leak rows")
                    : (l->n == 1 ? "open leak" : "open leaks"),
          l->episodes, l->episodes == 1 ? "" : "s");
  if (l->n_acknowledged + l->n_ignored > 0)
    fprintf(out,
            "%u acknowledged, %u ignored by the configuration: known leaks, no alert "
            "(leakwatch ack --list).\n",
            l->n_acknowledged, l->n_ignored);
}

/* Keeps the rows of one user (--user), with the system logons folded into
 * them; the count of leaked logon sessions follows. */
static void keep_user(struct lw_leaks *l, const char *user) {
  size_t i, n = 0;
  l->episodes = 0;
  for (i = 0; i < l->n; i++) {
    if (lw_cli_user_matches(user, l->v[i].leak.domain, l->v[i].leak.user)) {
      l->v[n++] = l->v[i];
      l->episodes += 1 + (uint32_t)l->v[i].n_system;
    } else {
      item_free(&l->v[i]);
    }
  }
  l->n = n;
}

int lw_leaks_print(struct lw_store *st, const struct lw_leaks_query *q, FILE *out, char *err,
                   size_t errlen) {
  struct lw_leaks l;
  int rc;
  if (errlen > 0)
    err[0] = '\0';
  rc = lw_leaks_load(st, q->ranged, q->since, q->until, &l);
  if (rc == 0)
    rc = lw_leaks_mark_known(st, q->ignores, q->now, &l);
  if (rc != 0) {
    snprintf(err, errlen, "reading the leaks failed: %s", lw_strerror(rc));
    return rc;
  }
  if (q->user != NULL)
    keep_user(&l, q->user);
  if (q->format == LW_REPORT_JSON) {
    struct lw_json j;
    lw_json_init_file(&j, out, LW_JSON_PRETTY);
    lw_json_begin_array(&j);
    for (size_t i = 0; i < l.n; i++)
      print_json_row(&j, &l.v[i]);
    lw_json_end_array(&j);
    rc = lw_json_finish(&j) != 0 ? LW_EIO : 0;
    lw_json_free(&j);
    fputc('\n', out);
  } else if (q->format == LW_REPORT_CSV) {
    struct lw_csv c;
    lw_csv_init_file(&c, out, q->csv_flags);
    for (const char *const *h = csv_head; *h != NULL; h++)
      lw_csv_field(&c, *h);
    lw_csv_end_row(&c);
    for (size_t i = 0; i < l.n; i++)
      print_csv_row(&c, &l.v[i]);
    rc = lw_csv_finish(&c) != 0 ? LW_EIO : 0;
    lw_csv_free(&c);
  } else {
    print_table(out, q, &l);
  }
  if (rc != 0)
    snprintf(err, errlen, "writing the leaks failed: %s", lw_strerror(rc));
  lw_leaks_free(&l);
  return rc;
}
