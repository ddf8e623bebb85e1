/* snapshot_json.c - a snapshot as JSON and CSV (field list in snapshot_json.h). */
#include "snapshot_json.h"

#include <stdlib.h>

#include "error.h"
#include "luid.h"
#include "timefmt.h"

/* "0xc000005f" */
static char *format_status(uint32_t status, char buf[11]) {
  static const char hex[] = "0123456789abcdef";
  int i;
  buf[0] = '0';
  buf[1] = 'x';
  for (i = 0; i < 8; i++)
    buf[2 + i] = hex[(status >> (28 - 4 * i)) & 0xF];
  buf[10] = '\0';
  return buf;
}

static void kv_time(struct lw_json *w, const char *key, int64_t ms) {
  lw_json_key(w, key);
  if (ms == LW_TIME_UNKNOWN) {
    lw_json_null(w);
  } else {
    char buf[LW_ISO_TIME_SIZE];
    lw_json_string(w, lw_time_format_iso(ms, buf));
  }
}

static void write_logon(struct lw_json *w, const struct lw_logon_session *l,
                        const struct lw_process *const *by_logon, size_t n_procs) {
  char luid[LW_LUID_TEXT_SIZE], status[11];
  size_t first, n, i;
  int ok = l->data_status == 0;

  lw_json_begin_object(w);
  lw_json_kv_string(w, "luid", lw_luid_format(l->luid, luid));
  lw_json_kv_string(w, "user", l->user);
  lw_json_kv_string(w, "domain", l->domain);
  lw_json_kv_string(w, "sid", l->sid);
  lw_json_kv_string(w, "logon_type", ok ? lw_logon_type_name(l->logon_type) : NULL);
  if (ok)
    lw_json_kv_uint64(w, "logon_type_id", l->logon_type);
  else
    lw_json_kv_null(w, "logon_type_id");
  lw_json_kv_string(w, "auth_package", l->auth_package);
  if (ok)
    lw_json_kv_uint64(w, "terminal_session", l->terminal_session);
  else
    lw_json_kv_null(w, "terminal_session");
  kv_time(w, "logon_time", l->logon_time);
  lw_json_kv_string(w, "logon_server", l->logon_server);
  lw_json_kv_string(w, "dns_domain", l->dns_domain);
  lw_json_kv_string(w, "upn", l->upn);
  lw_json_kv_string(w, "data_status", ok ? NULL : format_status(l->data_status, status));
  lw_json_kv_uint64(w, "process_count", l->process_count);
  lw_json_key(w, "processes");
  lw_json_begin_array_flat(w);
  n = lw_snapshot_procs_of_logon(by_logon, n_procs, l->luid, &first);
  for (i = 0; i < n; i++)
    lw_json_uint64(w, by_logon[first + i]->pid);
  lw_json_end_array(w);
  lw_json_end_object(w);
}

static void write_wts(struct lw_json *w, const struct lw_wts_session *t) {
  lw_json_begin_object(w);
  lw_json_kv_uint64(w, "id", t->id);
  lw_json_kv_string(w, "station", t->station);
  lw_json_kv_string(w, "state", lw_wts_state_name(t->state));
  lw_json_kv_string(w, "user", t->user);
  lw_json_kv_string(w, "domain", t->domain);
  lw_json_kv_string(w, "client", t->client);
  lw_json_kv_string(w, "client_address", t->client_address);
  kv_time(w, "logon_time", t->logon_time);
  kv_time(w, "connect_time", t->connect_time);
  kv_time(w, "disconnect_time", t->disconnect_time);
  lw_json_end_object(w);
}

static void write_process(struct lw_json *w, const struct lw_process *p) {
  char luid[LW_LUID_TEXT_SIZE];
  lw_json_begin_object(w);
  lw_json_kv_uint64(w, "pid", p->pid);
  lw_json_kv_string(w, "image", p->image);
  lw_json_kv_uint64(w, "session_id", p->session_id);
  lw_json_kv_string(w, "luid", p->luid != 0 ? lw_luid_format(p->luid, luid) : NULL);
  lw_json_end_object(w);
}

int lw_snapshot_json(const struct lw_snapshot *s, struct lw_json *w) {
  const struct lw_process **by_logon = NULL;
  size_t i;
  int rc;

  by_logon = lw_snapshot_procs_by_logon(s);
  if (by_logon == NULL) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  lw_json_begin_object(w);
  kv_time(w, "taken_at", s->taken_at);
  kv_time(w, "boot_time", s->boot_time);

  lw_json_key(w, "logon_sessions");
  lw_json_begin_array(w);
  for (i = 0; i < s->n_logons && w->out.err == 0; i++)
    write_logon(w, &s->logons[i], by_logon, s->n_procs);
  lw_json_end_array(w);

  lw_json_key(w, "wts_sessions");
  lw_json_begin_array(w);
  for (i = 0; i < s->n_wts && w->out.err == 0; i++)
    write_wts(w, &s->wts[i]);
  lw_json_end_array(w);

  lw_json_key(w, "processes");
  lw_json_begin_array(w);
  for (i = 0; i < s->n_procs && w->out.err == 0; i++)
    write_process(w, &s->procs[i]);
  lw_json_end_array(w);

  lw_json_key(w, "counts");
  lw_json_begin_object(w);
  lw_json_kv_uint64(w, "logons_without_data", s->logons_without_data);
  lw_json_kv_uint64(w, "processes_denied", s->processes_denied);
  lw_json_end_object(w);
  rc = lw_json_end_object(w);

cleanup:
  free((void *)by_logon);
  return rc;
}

int lw_snapshot_write_json(const struct lw_snapshot *s, FILE *f) {
  struct lw_json w;
  int rc;
  lw_json_init_file(&w, f, LW_JSON_PRETTY);
  rc = lw_snapshot_json(s, &w);
  if (rc == 0)
    rc = lw_json_finish(&w);
  lw_json_free(&w);
  if (rc == 0 && (fputc('\n', f) == EOF || fflush(f) != 0))
    rc = LW_EIO;
  return rc;
}

int lw_snapshot_csv(const struct lw_snapshot *s, struct lw_csv *w) {
  static const char *const header[] = {
      "luid",          "user",         "domain",           "sid",
      "logon_type",    "auth_package", "terminal_session", "logon_time",
      "process_count", "wts_state",    "data_status"};
  size_t i;

  for (i = 0; i < sizeof header / sizeof header[0]; i++)
    lw_csv_field(w, header[i]);
  lw_csv_end_row(w);

  for (i = 0; i < s->n_logons && w->out.err == 0; i++) {
    const struct lw_logon_session *l = &s->logons[i];
    char luid[LW_LUID_TEXT_SIZE], status[11], time[LW_ISO_TIME_SIZE];
    int ok = l->data_status == 0;

    lw_csv_field(w, lw_luid_format(l->luid, luid));
    lw_csv_field(w, l->user);
    lw_csv_field(w, l->domain);
    lw_csv_field(w, l->sid);
    if (!ok)
      lw_csv_field(w, NULL);
    else if (lw_logon_type_name(l->logon_type) != NULL)
      lw_csv_field(w, lw_logon_type_name(l->logon_type));
    else
      lw_csv_uint64(w, l->logon_type);
    lw_csv_field(w, l->auth_package);
    if (ok)
      lw_csv_uint64(w, l->terminal_session);
    else
      lw_csv_field(w, NULL);
    lw_csv_field(w,
                 l->logon_time == LW_TIME_UNKNOWN ? NULL : lw_time_format_iso(l->logon_time, time));
    lw_csv_uint64(w, l->process_count);
    if (!ok) {
      lw_csv_field(w, NULL);
    } else {
      const struct lw_wts_session *t = lw_snapshot_find_wts(s, l->terminal_session);
      if (t == NULL)
        lw_csv_field(w, "ended");
      else if (lw_wts_state_name(t->state) != NULL)
        lw_csv_field(w, lw_wts_state_name(t->state));
      else
        lw_csv_uint64(w, t->state);
    }
    lw_csv_field(w, ok ? NULL : format_status(l->data_status, status));
    lw_csv_end_row(w);
  }
  return w->out.err;
}

int lw_snapshot_write_csv(const struct lw_snapshot *s, FILE *f, unsigned flags) {
  struct lw_csv w;
  int rc;
  lw_csv_init_file(&w, f, flags);
  rc = lw_snapshot_csv(s, &w);
  if (rc == 0)
    rc = lw_csv_finish(&w);
  lw_csv_free(&w);
  return rc;
}
