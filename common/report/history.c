/*
 * history.c - `leakwatch history` (see history.h): argument parsing and the
 * table, JSON and CSV output of a snapshot at a time or of a listing.
 */
#include "history.h"

#include <string.h>

#include "csv_writer.h"
#include "error.h"
#include "json_writer.h"
#include "luid.h"
#include "text_safe.h"
#include "timefmt.h"

const char *lw_history_usage(void) {
  return "usage: leakwatch history [--db PATH] [--at TIME] [--user NAME] [--since TIME]\n"
         "                         [--until TIME] [--json | --csv | --csv-exact]\n"
         "\n"
         "Prints the logon sessions and WTS sessions the history database holds.\n"
         "  --at TIME     those alive at the last poll at or before TIME, with the WTS\n"
         "                state they had then (a TIME to the second includes that second)\n"
         "  --user NAME   only NAME or DOMAIN\\NAME (case-insensitive)\n"
         "  --since TIME  only those still alive at or after TIME\n"
         "  --until TIME  only those first seen at or before TIME\n"
         "  --json, --csv machine-readable output (columns as in the views\n"
         "                v_logon_sessions and v_wts_sessions); --csv gives a text\n"
         "                beginning with = + - @ TAB or CR a leading ' so that\n"
         "                spreadsheets do not run it, --csv-exact keeps it as it is\n"
         "  --db PATH     the database (default: `database` in the configuration)\n"
         "TIME: 2026-11-21T09:00:00Z (UTC), 2026-11-21T10:00:00+01:00, 2026-11-21 10:00\n"
         "(local time), 30m, 24h, 7d (that long ago), today or yesterday.\n";
}

/* ---- Arguments ------------------------------------------------------------ */

static const struct lw_cli_opt history_opts[] = {
    LW_CLI_FORMATS, LW_CLI_DB, LW_CLI_RANGE, LW_CLI_USER, {"--at", NULL, LW_CLI_TIME}, LW_CLI_END};
static const char *const history_excludes[] = {"--at", "--since", "--at", "--until", NULL};
static const struct lw_cli_spec history_spec = {"history", history_opts, history_excludes, 0, 0};

const struct lw_cli_spec *lw_history_spec(void) {
  return &history_spec;
}

int lw_history_parse_args(int argc, char **argv, const struct lw_clock *clock,
                          struct lw_history_query *q, char *err, size_t errlen) {
  struct lw_cli_args a;
  int rc = lw_cli_parse(&history_spec, clock, argc, argv, &a, err, errlen);
  memset(q, 0, sizeof *q);
  if (rc != 0)
    return rc;
  q->help = a.help;
  q->db = a.db;
  q->user = a.user;
  q->since = a.since;
  q->until = a.until;
  q->at = lw_cli_time(&a, "--at");
  q->format = a.format;
  q->csv_exact = a.format == LW_REPORT_CSV && a.csv_exact;
  return 0;
}

/* ---- Output --------------------------------------------------------------- */

struct printer {
  FILE *out;
  enum lw_report_format format;
  struct lw_json json;
  struct lw_csv csv;
  size_t n_logons, n_wts;
};

static const char *iso(int64_t ms, char buf[LW_ISO_TIME_SIZE]) {
  return ms == LW_TIME_UNKNOWN ? NULL : lw_time_format_iso(ms, buf);
}

/* "DOMAIN\user", "user", or NULL. */
static const char *who(const char *domain, const char *user, char *buf, size_t size) {
  if (user == NULL || user[0] == '\0')
    return NULL;
  if (domain == NULL || domain[0] == '\0')
    return user;
  snprintf(buf, size, "%s\\%s", domain, user);
  return buf;
}

static const char *type_name(const struct lw_logon_session *s, char buf[16]) {
  const char *n;
  if (s->data_status != 0)
    return NULL;
  n = lw_logon_type_name(s->logon_type);
  if (n != NULL)
    return n;
  snprintf(buf, 16, "%u", s->logon_type);
  return buf;
}

static const char *state_name(uint32_t state, char buf[16]) {
  const char *n = lw_wts_state_name(state);
  if (n != NULL)
    return n;
  snprintf(buf, 16, "%u", state);
  return buf;
}

static const char *dash(const char *s) {
  return s != NULL ? s : "-";
}

/* A name for the table, terminal-safe (text_safe.h): a line break in a user
 * or client name must not forge a row, nor an ESC drive the terminal. Returns
 * buf (truncated to size) or "-" for NULL. */
static const char *clean(const char *s, char *buf, size_t size) {
  return s != NULL ? lw_text_safe(s, buf, size, LW_TEXT_ONE_LINE) : "-";
}

static void json_time(struct lw_json *w, const char *key, int64_t ms) {
  char buf[LW_ISO_TIME_SIZE];
  lw_json_kv_string(w, key, iso(ms, buf));
}

static void csv_time(struct lw_csv *w, int64_t ms) {
  char buf[LW_ISO_TIME_SIZE];
  lw_csv_field(w, iso(ms, buf));
}

/* What is left for USER in the logon sessions' table: 29 characters, less
 * what a logon type longer than its 17 ("CachedRemoteInteractive") takes. */
static unsigned user_columns(const char *type) {
  size_t n = type != NULL ? strlen(type) : 0;
  return LW_TABLE_COLUMNS - 91 - (n > 17 ? (unsigned)(n - 17) : 0u);
}

static int print_logon(void *ctx, const struct lw_store_logon_row *r) {
  struct printer *p = ctx;
  const struct lw_logon_session *s = &r->s;
  char luid[LW_LUID_TEXT_SIZE], type[16], name[512], shown[512], fit[128], t2[LW_ISO_TIME_SIZE],
      t3[LW_ISO_TIME_SIZE];
  bool ok = s->data_status == 0;

  lw_luid_format(s->luid, luid);
  p->n_logons++;
  switch (p->format) {
  case LW_REPORT_TABLE:
    /* 120 columns (LW_TABLE_COLUMNS): the boot, the logon time and the most
     * processes are in --json and --csv; the user comes last, cut to what is
     * left (29 characters). */
    if (p->n_logons == 1)
      fprintf(p->out, "%-17s  %7s  %-17s  %-20s  %-20s  %s\n", "LUID", "SESSION", "LOGON TYPE",
              "FIRST SEEN", "LAST SEEN", "USER");
    fprintf(p->out, "%-17s  ", luid);
    if (ok)
      fprintf(p->out, "%7u  ", s->terminal_session);
    else
      fprintf(p->out, "%7s  ", "-");
    fprintf(p->out, "%-17s  %-20s  %-20s  %s\n", dash(type_name(s, type)),
            dash(iso(r->first_seen, t2)),
            r->last_seen == LW_TIME_UNKNOWN ? "(alive)" : iso(r->last_seen, t3),
            lw_text_fit(clean(who(s->domain, s->user, name, sizeof name), shown, sizeof shown),
                        user_columns(type_name(s, type)), fit, sizeof fit));
    break;
  case LW_REPORT_JSON:
    lw_json_begin_object(&p->json);
    lw_json_kv_int64(&p->json, "boot_id", r->boot_id);
    lw_json_kv_string(&p->json, "luid", luid);
    lw_json_kv_string(&p->json, "user", s->user);
    lw_json_kv_string(&p->json, "domain", s->domain);
    lw_json_kv_string(&p->json, "sid", s->sid);
    lw_json_kv_string(&p->json, "logon_type", type_name(s, type));
    lw_json_kv_string(&p->json, "auth_package", s->auth_package);
    if (ok)
      lw_json_kv_uint64(&p->json, "terminal_session", s->terminal_session);
    else
      lw_json_kv_null(&p->json, "terminal_session");
    json_time(&p->json, "logon_time", s->logon_time);
    json_time(&p->json, "first_seen", r->first_seen);
    json_time(&p->json, "last_seen", r->last_seen);
    lw_json_kv_uint64(&p->json, "process_count_max", s->process_count);
    lw_json_end_object(&p->json);
    break;
  case LW_REPORT_CSV:
    lw_csv_field(&p->csv, "logon");
    lw_csv_int64(&p->csv, r->boot_id);
    lw_csv_field(&p->csv, luid);
    lw_csv_field(&p->csv, NULL); /* session_id */
    lw_csv_field(&p->csv, s->user);
    lw_csv_field(&p->csv, s->domain);
    lw_csv_field(&p->csv, s->sid);
    lw_csv_field(&p->csv, type_name(s, type));
    lw_csv_field(&p->csv, s->auth_package);
    if (ok)
      lw_csv_uint64(&p->csv, s->terminal_session);
    else
      lw_csv_field(&p->csv, NULL);
    lw_csv_field(&p->csv, NULL); /* state */
    lw_csv_field(&p->csv, NULL); /* station */
    lw_csv_field(&p->csv, NULL); /* client */
    csv_time(&p->csv, s->logon_time);
    csv_time(&p->csv, r->first_seen);
    csv_time(&p->csv, r->last_seen);
    lw_csv_uint64(&p->csv, s->process_count);
    lw_csv_end_row(&p->csv);
    break;
  }
  return 0;
}

static int print_wts(void *ctx, const struct lw_store_wts_row *r) {
  struct printer *p = ctx;
  const struct lw_wts_session *s = &r->s;
  char state[16], name[512], shown[3][512], fit[128], t1[LW_ISO_TIME_SIZE], t2[LW_ISO_TIME_SIZE];

  p->n_wts++;
  switch (p->format) {
  case LW_REPORT_TABLE:
    /* 120 columns: the boot is in --json and --csv; station, client and user
     * are cut to their columns. */
    if (p->n_wts == 1)
      fprintf(p->out, "%7s  %-12s  %-12s  %-15s  %-20s  %-20s  %s\n", "SESSION", "STATE", "STATION",
              "CLIENT", "FIRST SEEN", "LAST SEEN", "USER");
    fprintf(p->out, "%7u  %-12s  ", s->id, state_name(s->state, state));
    fprintf(p->out, "%-12s  ",
            lw_text_fit(clean(s->station, shown[0], sizeof shown[0]), 12, fit, sizeof fit));
    fprintf(p->out, "%-15s  ",
            lw_text_fit(clean(s->client, shown[2], sizeof shown[2]), 15, fit, sizeof fit));
    fprintf(
        p->out, "%-20s  %-20s  %s\n", dash(iso(r->first_seen, t1)),
        r->last_seen == LW_TIME_UNKNOWN ? "(alive)" : iso(r->last_seen, t2),
        lw_text_fit(clean(who(s->domain, s->user, name, sizeof name), shown[1], sizeof shown[1]),
                    LW_TABLE_COLUMNS - 98, fit, sizeof fit));
    break;
  case LW_REPORT_JSON:
    lw_json_begin_object(&p->json);
    lw_json_kv_int64(&p->json, "boot_id", r->boot_id);
    lw_json_kv_uint64(&p->json, "session_id", s->id);
    lw_json_kv_string(&p->json, "station", s->station);
    lw_json_kv_string(&p->json, "user", s->user);
    lw_json_kv_string(&p->json, "domain", s->domain);
    lw_json_kv_string(&p->json, "client", s->client);
    json_time(&p->json, "first_seen", r->first_seen);
    json_time(&p->json, "last_seen", r->last_seen);
    lw_json_kv_string(&p->json, "state", state_name(s->state, state));
    lw_json_end_object(&p->json);
    break;
  case LW_REPORT_CSV:
    lw_csv_field(&p->csv, "wts");
    lw_csv_int64(&p->csv, r->boot_id);
    lw_csv_field(&p->csv, NULL); /* luid */
    lw_csv_uint64(&p->csv, s->id);
    lw_csv_field(&p->csv, s->user);
    lw_csv_field(&p->csv, s->domain);
    lw_csv_field(&p->csv, NULL); /* sid */
    lw_csv_field(&p->csv, NULL); /* logon_type */
    lw_csv_field(&p->csv, NULL); /* auth_package */
    lw_csv_field(&p->csv, NULL); /* terminal_session */
    lw_csv_field(&p->csv, state_name(s->state, state));
    lw_csv_field(&p->csv, s->station);
    lw_csv_field(&p->csv, s->client);
    lw_csv_field(&p->csv, NULL); /* logon_time */
    csv_time(&p->csv, r->first_seen);
    csv_time(&p->csv, r->last_seen);
    lw_csv_field(&p->csv, NULL); /* process_count_max */
    lw_csv_end_row(&p->csv);
    break;
  }
  return 0;
}

static const char *const csv_header[] = {"kind",
                                         "boot_id",
                                         "luid",
                                         "session_id",
                                         "user",
                                         "domain",
                                         "sid",
                                         "logon_type",
                                         "auth_package",
                                         "terminal_session",
                                         "state",
                                         "station",
                                         "client",
                                         "logon_time",
                                         "first_seen",
                                         "last_seen",
                                         "process_count_max",
                                         NULL};

/* What comes before the logon sessions: for a TABLE the poll of --at and the
 * first heading, for JSON the opening and the "poll" object, for CSV the header. */
static void print_head(struct printer *p, const struct lw_history_query *q,
                       const struct lw_store_poll_info *poll) {
  size_t i;

  switch (p->format) {
  case LW_REPORT_TABLE:
    if (q->at != LW_TIME_UNKNOWN) {
      char t[LW_ISO_TIME_SIZE], t2[LW_ISO_TIME_SIZE];
      fprintf(p->out,
              "At the poll of %s (boot %lld, booted %s): %u logon sessions, %u WTS sessions%s\n",
              iso(poll->taken_at, t), (long long)poll->boot_id, dash(iso(poll->boot_time, t2)),
              poll->logon_sessions, poll->wts_sessions, q->user != NULL ? " (all users)" : "");
    }
    fprintf(p->out, "\nLogon sessions\n");
    break;
  case LW_REPORT_JSON:
    lw_json_init_file(&p->json, p->out, LW_JSON_PRETTY);
    lw_json_begin_object(&p->json);
    if (q->at != LW_TIME_UNKNOWN) {
      lw_json_key(&p->json, "poll");
      lw_json_begin_object(&p->json);
      json_time(&p->json, "polled_at", poll->taken_at);
      lw_json_kv_int64(&p->json, "boot_id", poll->boot_id);
      json_time(&p->json, "boot_time", poll->boot_time);
      lw_json_kv_uint64(&p->json, "logon_sessions", poll->logon_sessions);
      lw_json_kv_uint64(&p->json, "wts_sessions", poll->wts_sessions);
      lw_json_end_object(&p->json);
    }
    lw_json_key(&p->json, "logon_sessions");
    lw_json_begin_array(&p->json);
    break;
  case LW_REPORT_CSV:
    lw_csv_init_file(&p->csv, p->out,
                     (q->csv_exact ? LW_CSV_EXACT : 0u) | (q->csv_crlf ? LW_CSV_CRLF : 0u));
    for (i = 0; csv_header[i] != NULL; i++)
      lw_csv_field(&p->csv, csv_header[i]);
    lw_csv_end_row(&p->csv);
    break;
  }
}

int lw_history_print(struct lw_store *st, const struct lw_history_query *q, FILE *out, char *err,
                     size_t errlen) {
  struct printer p;
  struct lw_store_filter f;
  struct lw_store_poll_info poll;
  int rc = 0, wrc = 0;

  memset(&p, 0, sizeof p);
  p.out = out;
  p.format = q->format;
  if (errlen > 0)
    err[0] = '\0';
  lw_store_filter_init(&f);
  f.user = q->user;
  if (q->at != LW_TIME_UNKNOWN) {
    /* A TIME to the second names that whole second, as the views and this
     * output show poll times (floored): `--at` with a polled_at copied from
     * v_polls must find that poll, not the one before it. */
    rc = lw_store_find_poll(st, q->at % 1000 == 0 ? q->at + 999 : q->at, &poll);
    if (rc == LW_ENOENT) {
      char t[LW_ISO_TIME_SIZE];
      snprintf(err, errlen, "no poll at or before %s in the history", iso(q->at, t));
      return rc;
    }
    if (rc != 0) {
      snprintf(err, errlen, "cannot read the history: %s", lw_strerror(rc));
      return rc;
    }
    f.boot_id = poll.boot_id;
    f.alive_at = poll.taken_at;
  } else {
    f.since = q->since;
    f.until = q->until;
  }

  print_head(&p, q, &poll);

  rc = lw_store_each_logon(st, &f, print_logon, &p);
  if (rc == 0) {
    switch (p.format) {
    case LW_REPORT_TABLE:
      if (p.n_logons == 0)
        fprintf(out, "(none)\n");
      fprintf(out, "\nWTS sessions\n");
      break;
    case LW_REPORT_JSON:
      lw_json_end_array(&p.json);
      lw_json_key(&p.json, "wts_sessions");
      lw_json_begin_array(&p.json);
      break;
    case LW_REPORT_CSV:
      break;
    }
    rc = lw_store_each_wts(st, &f, print_wts, &p);
  }
  if (rc == 0) {
    switch (p.format) {
    case LW_REPORT_TABLE:
      if (p.n_wts == 0)
        fprintf(out, "(none)\n");
      break;
    case LW_REPORT_JSON:
      lw_json_end_array(&p.json);
      lw_json_end_object(&p.json);
      break;
    case LW_REPORT_CSV:
      break;
    }
  }
  if (p.format == LW_REPORT_JSON) {
    if (rc == 0) {
      wrc = lw_json_finish(&p.json);
      if (wrc == 0 && fputc('\n', out) == EOF)
        wrc = LW_EIO;
    }
    lw_json_free(&p.json);
  } else if (p.format == LW_REPORT_CSV) {
    if (rc == 0)
      wrc = lw_csv_finish(&p.csv);
    lw_csv_free(&p.csv);
  }
  if (rc != 0) {
    snprintf(err, errlen, "cannot read the history: %s", lw_strerror(rc));
    return rc;
  }
  if (wrc == 0 && (fflush(out) != 0 || ferror(out)))
    wrc = LW_EIO;
  if (wrc != 0)
    snprintf(err, errlen, "cannot write the output: %s", lw_strerror(wrc));
  return wrc;
}
