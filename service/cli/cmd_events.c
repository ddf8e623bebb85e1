/*
 * cmd_events.c - `leakwatch events`: the alert history as Event Viewer shows it.
 *
 * Every alert is kept in the database with the text rendered, when it was
 * raised, from this exe's own message table (FormatMessageW), including those
 * the rate limit held back from the Event Log. This prints them oldest first,
 * in Event Viewer's "copy details" layout, or as JSON / CSV.
 *
 * The text layout ends with the token holders LeakWatch's scans found (issue 7,
 * table holders): per leaked LUID, each process's latest scan. --json keeps its
 * contract (an array of alerts) and only gains each alert's "luid"; --holders
 * prints the holders alone, as text, a JSON array or CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "csv_writer.h"
#include "error.h"
#include "eventlog.h"
#include "json_writer.h"
#include "luid.h"
#include "paths.h"
#include "store.h"
#include "text_safe.h"
#include "timefmt.h"

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV };

struct printer {
  enum format format;
  struct lw_json json;
  struct lw_csv csv;
  unsigned count;
  /* The holder summary: the (boot, LUID, PID) being read and its latest row
   * (image and services copied: the reader's strings die with each call). */
  bool have_holder;
  int64_t holder_boot;
  struct lw_store_holder holder;
  char *image, *services;
  unsigned holders;
  int64_t last_boot;
  uint64_t last_luid;
};

static char *dup_or_null(const char *s) {
  char *copy = NULL;
  if (s != NULL) {
    size_t n = strlen(s) + 1;
    copy = malloc(n);
    if (copy != NULL)
      memcpy(copy, s, n);
  }
  return copy;
}

/* The LUID in an alert's fields JSON (alert_policy.c writes it compact, as
 * "luid":"HHHHHHHH:LLLLLLLL"; a quote inside a string value is always escaped,
 * so this pattern only matches the key itself). Returns false when absent. */
static bool alert_luid(const char *fields_json, uint64_t *luid) {
  static const char key[] = "\"luid\":\"";
  char text[LW_LUID_TEXT_SIZE];
  const char *v = fields_json != NULL ? strstr(fields_json, key) : NULL;
  if (v == NULL)
    return false;
  v += sizeof key - 1;
  if (strlen(v) < LW_LUID_TEXT_SIZE || v[LW_LUID_TEXT_SIZE - 1] != '"')
    return false;
  memcpy(text, v, LW_LUID_TEXT_SIZE - 1);
  text[LW_LUID_TEXT_SIZE - 1] = '\0';
  return lw_luid_parse(text, luid) == 0;
}

static const char *level_of(uint32_t event_id) {
  uint32_t msg = lw_eventlog_message_id(event_id);
  return msg != 0 ? lw_eventlog_type_name(msg) : "unknown";
}

static int print_alert(void *ctx, const struct lw_store_alert_row *row) {
  struct printer *p = ctx;
  const struct lw_store_alert *a = &row->alert;
  char when[LW_ISO_TIME_SIZE];
  lw_time_format_iso(a->raised_at, when);
  p->count++;
  switch (p->format) {
  case FORMAT_TEXT:
    printf("Log Name:      Application\n"
           "Source:        LeakWatch\n"
           "Date:         %s%s\n"
           "Event ID:      %u\n"
           "Level:         %c%s\n"
           "Description:\n",
           when, a->suppressed ? " (held back by alerts.max_per_hour: not in the Event Log)" : "",
           a->event_id, level_of(a->event_id)[0] - 32, level_of(a->event_id) + 1);
    /* The message keeps its own lines; names in it are escaped (text_safe.h). */
    lw_text_safe_fputs(a->message, stdout, LW_TEXT_KEEP_LF);
    fputs("\n\n", stdout);
    break;
  case FORMAT_JSON:
    lw_json_begin_object(&p->json);
    lw_json_kv_string(&p->json, "raised_at", when);
    lw_json_kv_uint64(&p->json, "event_id", a->event_id);
    lw_json_kv_string(&p->json, "level", level_of(a->event_id));
    lw_json_kv_bool(&p->json, "suppressed", a->suppressed);
    lw_json_kv_string(&p->json, "message", a->message);
    uint64_t luid;
    if (alert_luid(a->fields_json, &luid)) {
      char text[LW_LUID_TEXT_SIZE];
      lw_json_kv_string(&p->json, "luid", lw_luid_format(luid, text));
    } else {
      lw_json_kv_null(&p->json, "luid");
    }
    lw_json_end_object(&p->json);
    break;
  case FORMAT_CSV:
    lw_csv_field(&p->csv, when);
    lw_csv_uint64(&p->csv, a->event_id);
    lw_csv_field(&p->csv, level_of(a->event_id));
    lw_csv_field(&p->csv, a->suppressed ? "yes" : "no");
    lw_csv_field(&p->csv, a->message);
    lw_csv_end_row(&p->csv);
    break;
  }
  return 0;
}

static const char *basename_of(const char *path) {
  const char *b = path;
  for (const char *c = path; *c != '\0'; c++)
    if (*c == '\\' || *c == '/')
      b = c + 1;
  return b;
}

/* Prints the finished (boot, LUID, PID) group p->holder, then forgets it. */
static void print_holder(struct printer *p) {
  const struct lw_store_holder *h = &p->holder;
  char luid[LW_LUID_TEXT_SIZE], when[LW_ISO_TIME_SIZE];
  if (!p->have_holder)
    return;
  lw_luid_format(h->luid, luid);
  lw_time_format_iso(h->scanned_at, when);
  switch (p->format) {
  case FORMAT_TEXT:
    if (p->holders == 0)
      printf("Token holders found by LeakWatch's scans\n"
             "(latest scan of each process; `leakwatch holders` scans now)\n");
    if (p->holders == 0 || p->last_boot != p->holder_boot || p->last_luid != h->luid)
      printf("\nLogon session %s (boot %lld):\n", luid, (long long)p->holder_boot);
    fputs(h->exited_process ? "  exited " : "  ", stdout);
    lw_text_safe_fputs(p->image != NULL ? basename_of(p->image) : "(image unknown)", stdout,
                       LW_TEXT_ONE_LINE);
    printf(" (PID %u)", h->pid);
    if (h->exited_process)
      printf(", held open by PID %u", h->held_by_pid);
    fputs(", services: ", stdout);
    lw_text_safe_fputs(p->services != NULL && p->services[0] != '\0' ? p->services : "-", stdout,
                       LW_TEXT_ONE_LINE);
    printf(", tokens: %u, scanned %s\n", h->tokens, when);
    break;
  case FORMAT_JSON:
    lw_json_begin_object(&p->json);
    lw_json_kv_int64(&p->json, "boot_id", p->holder_boot);
    lw_json_kv_string(&p->json, "luid", luid);
    lw_json_kv_uint64(&p->json, "pid", h->pid);
    if (p->image != NULL)
      lw_json_kv_string(&p->json, "image", p->image);
    else
      lw_json_kv_null(&p->json, "image");
    if (p->services != NULL)
      lw_json_kv_string(&p->json, "services", p->services);
    else
      lw_json_kv_null(&p->json, "services");
    lw_json_kv_uint64(&p->json, "tokens", h->tokens);
    lw_json_kv_bool(&p->json, "exited_process", h->exited_process);
    if (h->exited_process)
      lw_json_kv_uint64(&p->json, "held_by_pid", h->held_by_pid);
    else
      lw_json_kv_null(&p->json, "held_by_pid");
    lw_json_kv_string(&p->json, "scanned_at", when);
    lw_json_end_object(&p->json);
    break;
  case FORMAT_CSV:
    lw_csv_int64(&p->csv, p->holder_boot);
    lw_csv_field(&p->csv, luid);
    lw_csv_uint64(&p->csv, h->pid);
    lw_csv_field(&p->csv, p->image != NULL ? p->image : "");
    lw_csv_field(&p->csv, p->services != NULL ? p->services : "");
    lw_csv_uint64(&p->csv, h->tokens);
    lw_csv_field(&p->csv, h->exited_process ? "yes" : "no");
    if (h->exited_process)
      lw_csv_uint64(&p->csv, h->held_by_pid);
    else
      lw_csv_field(&p->csv, "");
    lw_csv_field(&p->csv, when);
    lw_csv_end_row(&p->csv);
    break;
  }
  p->holders++;
  p->last_boot = p->holder_boot;
  p->last_luid = h->luid;
  free(p->image);
  free(p->services);
  p->image = p->services = NULL;
  p->have_holder = false;
}

/* Rows come grouped by (boot, LUID, PID), latest scan last: keep the latest,
 * print the group when the next one begins. */
static int add_holder(void *ctx, const struct lw_store_holder_row *row) {
  struct printer *p = ctx;
  if (p->have_holder && (p->holder_boot != row->boot_id || p->holder.luid != row->holder.luid ||
                         p->holder.pid != row->holder.pid))
    print_holder(p);
  free(p->image);
  free(p->services);
  p->image = dup_or_null(row->holder.image);
  p->services = dup_or_null(row->holder.services);
  if ((row->holder.image != NULL && p->image == NULL) ||
      (row->holder.services != NULL && p->services == NULL))
    return LW_ENOMEM;
  p->holder = row->holder;
  p->holder.image = p->holder.services = NULL;
  p->holder_boot = row->boot_id;
  p->have_holder = true;
  return 0;
}

static int print_holders(struct lw_store *st, int64_t since, int64_t until, struct printer *p) {
  int rc = lw_store_each_holder(st, since, until, add_holder, p);
  if (rc == 0)
    print_holder(p);
  return rc;
}

static void usage(FILE *f) {
  fputs("usage: leakwatch events [--db PATH] [--since TIME] [--until TIME] [--holders]\n"
        "                        [--json|--csv|--csv-exact]\n\n"
        "Prints the alerts LeakWatch raised, oldest first, as Event Viewer shows them\n"
        "(also those the rate limit held back from the Event Log), then the token\n"
        "holders its scans found: per leaked logon session, each process's latest scan\n"
        "(image, PID, services, token count, exited). --json prints the alerts only, an\n"
        "array (each with the \"luid\" it is about, or null); --csv the alerts only.\n"
        "--holders prints only the holders (as text, --json array or --csv).\n"
        "--csv gives a text beginning with = + - @ TAB or CR a leading ' so that\n"
        "spreadsheets do not run it; --csv-exact writes every text as it is.\n"
        "TIME is ISO 8601 UTC, e.g. 2026-11-21T09:00:00Z or 2026-11-21; --since and\n"
        "--until select holders by scan time. The database is read-only here.\n",
        f);
}

int lw_cmd_events(int argc, char **argv) {
  struct printer p;
  const char *db_arg = NULL;
  int64_t since = LW_TIME_UNKNOWN, until = LW_TIME_UNKNOWN;
  bool holders_only = false;
  unsigned csv_flags = LW_CSV_LF;
  memset(&p, 0, sizeof p);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return LW_EXIT_OK;
    } else if (strcmp(a, "--json") == 0) {
      p.format = FORMAT_JSON;
    } else if (strcmp(a, "--csv") == 0 || strcmp(a, "--csv-exact") == 0) {
      p.format = FORMAT_CSV;
      csv_flags = a[5] != '\0' ? LW_CSV_EXACT : LW_CSV_LF;
    } else if (strcmp(a, "--holders") == 0) {
      holders_only = true;
    } else if ((strcmp(a, "--db") == 0 || strcmp(a, "--since") == 0 || strcmp(a, "--until") == 0) &&
               i + 1 < argc) {
      const char *v = argv[++i];
      if (strcmp(a, "--db") == 0) {
        db_arg = v;
      } else if (lw_time_parse_iso(v, strcmp(a, "--since") == 0 ? &since : &until) != 0) {
        fprintf(stderr, "leakwatch events: %s: '%s' is not a time such as 2026-11-21T09:00:00Z\n",
                a, v);
        return LW_EXIT_USAGE;
      }
    } else {
      fprintf(stderr, "leakwatch events: unexpected argument '%s'\n\n", a);
      usage(stderr);
      return LW_EXIT_USAGE;
    }
  }

  char err[1024] = "";
  char *db = lw_paths_history_db(db_arg, err, sizeof err);
  if (db == NULL) {
    fprintf(stderr, "leakwatch events: %s\n", err);
    return LW_EXIT_FAILURE;
  }
  struct lw_store_options opts;
  memset(&opts, 0, sizeof opts);
  opts.read_only = true;
  struct lw_store *st = NULL;
  int status = LW_EXIT_FAILURE;
  if (lw_store_open(db, &opts, &st, NULL, err, sizeof err) != 0) {
    fprintf(stderr, "leakwatch events: %s\n", err);
    goto cleanup;
  }
  if (p.format == FORMAT_JSON) {
    lw_json_init_file(&p.json, stdout, LW_JSON_PRETTY);
    lw_json_begin_array(&p.json);
  } else if (p.format == FORMAT_CSV) {
    lw_csv_init_file(&p.csv, stdout, csv_flags);
    static const char *const alert_head[] = {"raised_at",  "event_id", "level",
                                             "suppressed", "message",  NULL};
    static const char *const holder_head[] = {
        "boot_id", "luid",           "pid",         "image",      "services",
        "tokens",  "exited_process", "held_by_pid", "scanned_at", NULL};
    for (const char *const *h = holders_only ? holder_head : alert_head; *h != NULL; h++)
      lw_csv_field(&p.csv, *h);
    lw_csv_end_row(&p.csv);
  }
  int rc = holders_only ? print_holders(st, since, until, &p)
                        : lw_store_each_alert(st, since, until, print_alert, &p);
  if (p.format == FORMAT_JSON) {
    lw_json_end_array(&p.json);
    if (lw_json_finish(&p.json) != 0 && rc == 0)
      rc = LW_EIO;
    putchar('\n');
  } else if (p.format == FORMAT_CSV && lw_csv_finish(&p.csv) != 0 && rc == 0) {
    rc = LW_EIO;
  }
  if (rc != 0) {
    fprintf(stderr, "leakwatch events: reading the %s failed: %s\n",
            holders_only ? "holders" : "alerts", lw_strerror(rc));
    goto cleanup;
  }
  if (p.format == FORMAT_TEXT && !holders_only) {
    if (p.count == 0)
      printf("No alerts in %s.\n", db);
    rc = print_holders(st, since, until, &p);
    if (rc != 0) {
      fprintf(stderr, "leakwatch events: reading the holders failed: %s\n", lw_strerror(rc));
      goto cleanup;
    }
  } else if (p.format == FORMAT_TEXT && p.holders == 0) {
    printf("No token holders in %s.\n", db);
  }
  status = LW_EXIT_OK;
cleanup:
  free(p.image);
  free(p.services);
  lw_store_close(st, NULL);
  free(db);
  return status;
}
