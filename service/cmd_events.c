/*
 * cmd_events.c - `leakwatch events`: the alert history as Event Viewer shows it.
 *
 * Every alert is kept in the database with the text rendered, when it was
 * raised, from this exe's own message table (FormatMessageW), including those
 * the rate limit held back from the Event Log. This prints them oldest first,
 * in Event Viewer's "copy details" layout, or as JSON / CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "csv_writer.h"
#include "error.h"
#include "eventlog.h"
#include "json_writer.h"
#include "paths.h"
#include "store.h"
#include "timefmt.h"

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV };

struct printer {
  enum format format;
  struct lw_json json;
  struct lw_csv csv;
  unsigned count;
};

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
           "Description:\n%s\n\n",
           when, a->suppressed ? " (held back by alerts.max_per_hour: not in the Event Log)" : "",
           a->event_id, level_of(a->event_id)[0] - 32, level_of(a->event_id) + 1, a->message);
    break;
  case FORMAT_JSON:
    lw_json_begin_object(&p->json);
    lw_json_kv_string(&p->json, "raised_at", when);
    lw_json_kv_uint64(&p->json, "event_id", a->event_id);
    lw_json_kv_string(&p->json, "level", level_of(a->event_id));
    lw_json_kv_bool(&p->json, "suppressed", a->suppressed);
    lw_json_kv_string(&p->json, "message", a->message);
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

static void usage(FILE *f) {
  fputs("usage: leakwatch events [--db PATH] [--since TIME] [--until TIME] [--json|--csv]\n\n"
        "Prints the alerts LeakWatch raised, oldest first, as Event Viewer shows them\n"
        "(also those the rate limit held back from the Event Log). TIME is ISO 8601 UTC,\n"
        "e.g. 2026-11-21T09:00:00Z or 2026-11-21. The database is read-only here.\n",
        f);
}

int lw_cmd_events(int argc, char **argv) {
  struct printer p;
  const char *db_arg = NULL;
  int64_t since = LW_TIME_UNKNOWN, until = LW_TIME_UNKNOWN;
  memset(&p, 0, sizeof p);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return LW_EXIT_OK;
    } else if (strcmp(a, "--json") == 0) {
      p.format = FORMAT_JSON;
    } else if (strcmp(a, "--csv") == 0) {
      p.format = FORMAT_CSV;
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
    lw_csv_init_file(&p.csv, stdout, LW_CSV_LF);
    const char *head[] = {"raised_at", "event_id", "level", "suppressed", "message"};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
      lw_csv_field(&p.csv, head[i]);
    lw_csv_end_row(&p.csv);
  }
  int rc = lw_store_each_alert(st, since, until, print_alert, &p);
  if (p.format == FORMAT_JSON) {
    lw_json_end_array(&p.json);
    if (lw_json_finish(&p.json) != 0 && rc == 0)
      rc = LW_EIO;
    putchar('\n');
  } else if (p.format == FORMAT_CSV && lw_csv_finish(&p.csv) != 0 && rc == 0) {
    rc = LW_EIO;
  }
  if (rc != 0) {
    fprintf(stderr, "leakwatch events: reading the alerts failed: %s\n", lw_strerror(rc));
    goto cleanup;
  }
  if (p.format == FORMAT_TEXT && p.count == 0)
    printf("No alerts in %s.\n", db);
  status = LW_EXIT_OK;
cleanup:
  lw_store_close(st, NULL);
  free(db);
  return status;
}
