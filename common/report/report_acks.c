/* report_acks.c - the acknowledgements as an operator reads them (see
 * report_acks.h). */
#include "report_acks.h"

#include <string.h>

#include "csv_writer.h"
#include "error.h"
#include "json_writer.h"
#include "text_safe.h"
#include "timefmt.h"

const char *lw_ack_state(const struct lw_ack *a, int64_t now) {
  return lw_ack_active(a, now) ? "active" : "expired";
}

static const char *iso_or(int64_t ms, char buf[LW_ISO_TIME_SIZE], const char *none) {
  return ms == LW_TIME_UNKNOWN ? none : lw_time_format_iso(ms, buf);
}

static const char *const k_head[] = {"id",         "kind",       "target", "reason", "created_at",
                                     "created_by", "expires_at", "state",  NULL};

static void print_table(const struct lw_ack_set *s, int64_t now, const char *db, FILE *out) {
  if (s->n == 0) {
    fputs("No acknowledgements in ", out);
    lw_text_safe_fputs(db != NULL ? db : "the history", out, LW_TEXT_ONE_LINE);
    fputs(".\n", out);
    return;
  }
  fprintf(out, "%5s  %-5s  %-24s  %-20s  %-7s  %s\n", "ID", "KIND", "TARGET", "EXPIRES", "STATE",
          "REASON (BY)");
  for (size_t i = 0; i < s->n; i++) {
    const struct lw_ack *a = &s->v[i];
    char target[1024], reason[2048], line[1200], t[LW_ISO_TIME_SIZE];
    lw_text_safe(a->target, target, sizeof target, LW_TEXT_ONE_LINE);
    snprintf(line, sizeof line, "%s (%s)", a->reason,
             a->created_by != NULL && a->created_by[0] != 0 ? a->created_by : "?");
    lw_text_safe(line, reason, sizeof reason, LW_TEXT_ONE_LINE);
    /* 71 columns before the reason, 49 + "..." for it: 120 at most. */
    fprintf(out, "%5lld  %-5s  %-24.24s  %-20s  %-7s  %.49s%s\n", (long long)a->id,
            lw_ack_kind_name(a->kind), target, iso_or(a->expires_at, t, "never"),
            lw_ack_state(a, now), reason, strlen(reason) > 49 ? "..." : "");
  }
  fprintf(out, "\n%zu acknowledgements. Remove one with: leakwatch ack --remove ID\n", s->n);
}

int lw_acks_print(const struct lw_ack_set *s, int64_t now, enum lw_report_format format,
                  unsigned csv_flags, const char *db, FILE *out) {
  char t[LW_ISO_TIME_SIZE];
  int rc = 0;
  if (format == LW_REPORT_JSON) {
    struct lw_json j;
    lw_json_init_file(&j, out, LW_JSON_PRETTY);
    lw_json_begin_array(&j);
    for (size_t i = 0; i < s->n; i++) {
      const struct lw_ack *a = &s->v[i];
      lw_json_begin_object(&j);
      lw_json_kv_int64(&j, "id", a->id);
      lw_json_kv_string(&j, "kind", lw_ack_kind_name(a->kind));
      lw_json_kv_string(&j, "target", a->target);
      lw_json_kv_string(&j, "reason", a->reason);
      lw_json_kv_string(&j, "created_at", iso_or(a->created_at, t, ""));
      lw_json_kv_string(&j, "created_by", a->created_by != NULL ? a->created_by : "");
      if (a->expires_at == LW_TIME_UNKNOWN)
        lw_json_kv_null(&j, "expires_at");
      else
        lw_json_kv_string(&j, "expires_at", lw_time_format_iso(a->expires_at, t));
      lw_json_kv_string(&j, "state", lw_ack_state(a, now));
      lw_json_end_object(&j);
    }
    lw_json_end_array(&j);
    rc = lw_json_finish(&j) != 0 ? LW_EIO : 0;
    lw_json_free(&j);
    fputc('\n', out);
  } else if (format == LW_REPORT_CSV) {
    struct lw_csv c;
    lw_csv_init_file(&c, out, csv_flags);
    for (const char *const *h = k_head; *h != NULL; h++)
      lw_csv_field(&c, *h);
    lw_csv_end_row(&c);
    for (size_t i = 0; i < s->n; i++) {
      const struct lw_ack *a = &s->v[i];
      lw_csv_int64(&c, a->id);
      lw_csv_field(&c, lw_ack_kind_name(a->kind));
      lw_csv_field(&c, a->target);
      lw_csv_field(&c, a->reason);
      lw_csv_field(&c, iso_or(a->created_at, t, ""));
      lw_csv_field(&c, a->created_by != NULL ? a->created_by : "");
      lw_csv_field(&c, iso_or(a->expires_at, t, ""));
      lw_csv_field(&c, lw_ack_state(a, now));
      lw_csv_end_row(&c);
    }
    rc = lw_csv_finish(&c) != 0 ? LW_EIO : 0;
    lw_csv_free(&c);
  } else {
    print_table(s, now, db, out);
  }
  return rc;
}
