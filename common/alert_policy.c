/*
 * alert_policy.c - alert records and the hourly rate limit with its 2009 summary
 * (see alert_policy.h): a sliding hour of one-minute slots, a held-back counter,
 * and the state's blob form.
 */
#include "alert_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ack.h"
#include "alloc.h"
#include "error.h"
#include "json_writer.h"
#include "luid.h"
#include "timefmt.h"

#define MINUTE_MS INT64_C(60000)
#define SLOT_EMPTY INT64_MIN /* a slot that counts nothing */

/* ---- Alert records ---------------------------------------------------------- */

void lw_alert_init(struct lw_alert *a, uint32_t event_id, int64_t raised_at) {
  memset(a, 0, sizeof *a);
  a->event_id = event_id;
  a->raised_at = raised_at;
  a->logon_type = LW_ALERT_NONE;
  a->terminal_session = LW_ALERT_NONE;
  a->count = LW_ALERT_NONE;
  a->threshold = LW_ALERT_NONE;
  a->live_sessions = LW_ALERT_NONE;
  a->logon_time = LW_TIME_UNKNOWN;
  a->session_ended_at = LW_TIME_UNKNOWN;
  a->since = LW_TIME_UNKNOWN;
  a->minutes = -1;
  a->end_seen = -1;
  a->orphan_seen_at = LW_TIME_UNKNOWN;
  a->system_logons = LW_ALERT_NONE;
}

void lw_alert_clear(struct lw_alert *a) {
  size_t i;
  if (a == NULL)
    return;
  for (i = 0; i < LW_ALERT_MAX_INSERTS; i++)
    free(a->inserts[i]);
  free(a->user);
  free(a->domain);
  lw_alert_init(a, 0, LW_TIME_UNKNOWN);
}

int lw_alert_set_insert(struct lw_alert *a, size_t index, const char *text) {
  char *copy;
  char *blanks[LW_ALERT_MAX_INSERTS] = {NULL};
  size_t i;
  int rc = 0;

  if (a == NULL || text == NULL || index >= LW_ALERT_MAX_INSERTS)
    return LW_EINVAL;
  copy = lw_strdup(text);
  if (copy == NULL)
    return LW_ENOMEM;
  /* Every insert below n_inserts must be a string: allocate the blanks first so a
   * failure leaves *a as it was. */
  for (i = a->n_inserts; i < index; i++) {
    blanks[i] = lw_strdup("");
    if (blanks[i] == NULL) {
      rc = LW_ENOMEM;
      goto cleanup;
    }
  }
  for (i = a->n_inserts; i < index; i++) {
    a->inserts[i] = blanks[i];
    blanks[i] = NULL;
  }
  free(a->inserts[index]);
  a->inserts[index] = copy;
  copy = NULL;
  if (a->n_inserts < index + 1)
    a->n_inserts = index + 1;
cleanup:
  free(copy);
  for (i = 0; i < LW_ALERT_MAX_INSERTS; i++)
    free(blanks[i]);
  return rc;
}

void lw_alert_move(struct lw_alert *dst, struct lw_alert *src) {
  *dst = *src;
  lw_alert_init(src, 0, LW_TIME_UNKNOWN);
}

static void kv_time(struct lw_json *w, const char *key, int64_t t) {
  if (t != LW_TIME_UNKNOWN) {
    char iso[LW_ISO_TIME_SIZE];
    lw_json_kv_string(w, key, lw_time_format_iso(t, iso));
  }
}

static void kv_u32(struct lw_json *w, const char *key, uint32_t v) {
  if (v != LW_ALERT_NONE)
    lw_json_kv_uint64(w, key, v);
}

int lw_alert_fields_json(const struct lw_alert *a, char **json, size_t *len) {
  struct lw_json w;
  size_t i, n;
  int rc;

  if (a == NULL || json == NULL)
    return LW_EINVAL;
  lw_json_init_buffer(&w, LW_JSON_COMPACT);
  lw_json_begin_object(&w);
  lw_json_kv_uint64(&w, "event_id", a->event_id);
  kv_time(&w, "raised_at", a->raised_at);
  lw_json_kv_bool(&w, "suppressed", a->suppressed);
  lw_json_key(&w, "inserts");
  lw_json_begin_array(&w);
  for (i = 0; i < a->n_inserts; i++)
    lw_json_string(&w, a->inserts[i] != NULL ? a->inserts[i] : "");
  lw_json_end_array(&w);
  if (a->luid != 0) {
    char luid[LW_LUID_TEXT_SIZE];
    lw_json_kv_string(&w, "luid", lw_luid_format(a->luid, luid));
  }
  if (a->user != NULL)
    lw_json_kv_string(&w, "user", a->user);
  if (a->domain != NULL)
    lw_json_kv_string(&w, "domain", a->domain);
  kv_u32(&w, "logon_type", a->logon_type);
  kv_u32(&w, "terminal_session", a->terminal_session);
  kv_time(&w, "logon_time", a->logon_time);
  kv_time(&w, "session_ended_at", a->session_ended_at);
  kv_time(&w, "since", a->since);
  if (a->minutes >= 0)
    lw_json_kv_int64(&w, "minutes", a->minutes);
  kv_u32(&w, "count", a->count);
  kv_u32(&w, "threshold", a->threshold);
  kv_u32(&w, "live_sessions", a->live_sessions);
  if (a->end_seen >= 0)
    lw_json_kv_bool(&w, "end_seen", a->end_seen != 0);
  kv_time(&w, "orphan_seen_at", a->orphan_seen_at);
  kv_u32(&w, "system_logons", a->system_logons);
  if (a->acknowledged == LW_ACK_BY_ACK) {
    lw_json_kv_bool(&w, "acknowledged", 1);
    lw_json_kv_int64(&w, "ack_id", a->ack_id);
  } else if (a->acknowledged == LW_ACK_BY_CONFIG) {
    lw_json_kv_bool(&w, "ignored", 1);
  }
  lw_json_end_object(&w);
  rc = lw_json_finish(&w);
  if (rc == 0) {
    char *copy;
    const char *text = lw_json_buffer(&w, &n);
    copy = malloc(n + 1);
    if (copy == NULL) {
      rc = LW_ENOMEM;
    } else {
      memcpy(copy, text, n + 1);
      *json = copy;
      if (len != NULL)
        *len = n;
    }
  }
  lw_json_free(&w);
  return rc;
}

int lw_alert_is_rate_limited(uint32_t event_id) {
  switch (event_id) {
#define LW_EVENT_RATE_CASE(name, id, severity, category, inserts, rate_limited)                    \
  case id:                                                                                         \
    return rate_limited;
    LW_EVENTS(LW_EVENT_RATE_CASE)
#undef LW_EVENT_RATE_CASE
  default:
    return 0;
  }
}

/* ---- Rate limit ------------------------------------------------------------- */

/* Floor division: minutes of times before 1970 still fall in the right slot. */
static int64_t minute_of(int64_t ms) {
  int64_t m = ms / MINUTE_MS;
  if (ms % MINUTE_MS < 0)
    m--;
  return m;
}

static size_t slot_of(int64_t minute) {
  int64_t s = minute % LW_ALERT_POLICY_SLOTS;
  if (s < 0)
    s += LW_ALERT_POLICY_SLOTS;
  return (size_t)s;
}

void lw_alert_policy_init(struct lw_alert_policy_state *st) {
  size_t i;
  for (i = 0; i < LW_ALERT_POLICY_SLOTS; i++) {
    st->slot_minute[i] = SLOT_EMPTY;
    st->slot_count[i] = 0;
  }
  st->held_since = LW_TIME_UNKNOWN;
  st->held = 0;
  st->state_pending = 0;
}

uint32_t lw_alert_policy_sent_in_window(const struct lw_alert_policy_state *st, int64_t now) {
  int64_t cur = minute_of(now);
  uint64_t sum = 0;
  size_t i;
  for (i = 0; i < LW_ALERT_POLICY_SLOTS; i++) {
    /* A slot counts when its minute is one of the 60 ending with the current one;
     * a slot from the future (the clock went back) counts too, conservatively. */
    if (st->slot_minute[i] != SLOT_EMPTY && st->slot_minute[i] > cur - LW_ALERT_POLICY_SLOTS)
      sum += st->slot_count[i];
  }
  return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

/* Fills *a with the 2009 summary. Returns 0 or LW_ENOMEM (then *a owns nothing). */
static int make_summary(struct lw_alert *a, uint32_t held, uint32_t max_per_hour, int64_t since,
                        int64_t now) {
  char num[16];
  int rc;
  lw_alert_init(a, LW_EVENT_ALERTS_SUPPRESSED, now);
  a->count = held;
  a->threshold = max_per_hour;
  a->since = since;
  snprintf(num, sizeof num, "%u", (unsigned)held);
  rc = lw_alert_set_insert(a, LW_INSERT_2009_HELD_BACK, num);
  if (rc == 0) {
    snprintf(num, sizeof num, "%u", (unsigned)max_per_hour);
    rc = lw_alert_set_insert(a, LW_INSERT_2009_MAX_PER_HOUR, num);
  }
  if (rc == 0) {
    char iso[LW_ISO_TIME_SIZE];
    rc = lw_alert_set_insert(a, LW_INSERT_2009_SINCE, lw_time_format_iso(since, iso));
  }
  /* The reason and the state of the leaks are the detector's to fill in. */
  if (rc == 0)
    rc = lw_alert_set_insert(a, LW_INSERT_2009_REASON, "the hour ended");
  if (rc != 0)
    lw_alert_clear(a);
  return rc;
}

/* The per-session alerts; the others of 2001-2006 are escalations and states. */
static int per_session(uint32_t event_id) {
  return event_id == LW_EVENT_SESSION_LEAKED || event_id == LW_EVENT_SESSION_RELEASED;
}

/* What alerts of event_id may use of the window's budget. */
static uint32_t budget_for(uint32_t max_per_hour, uint32_t event_id) {
  return per_session(event_id) ? max_per_hour - LW_ALERT_POLICY_RESERVE(max_per_hour)
                               : max_per_hour;
}

int lw_alert_policy_would_send(const struct lw_alert_policy_state *st, uint32_t max_per_hour,
                               int64_t now, uint32_t event_id) {
  if (max_per_hour == 0 || !lw_alert_is_rate_limited(event_id))
    return 1;
  return lw_alert_policy_sent_in_window(st, now) < budget_for(max_per_hour, event_id);
}

int lw_alert_policy_flush(struct lw_alert_policy_state *st, uint32_t max_per_hour, int64_t now,
                          struct lw_alert *summary) {
  int rc;
  if (st == NULL || summary == NULL)
    return LW_EINVAL;
  lw_alert_init(summary, 0, LW_TIME_UNKNOWN);
  if (st->held_since == LW_TIME_UNKNOWN)
    return 0;
  rc = make_summary(summary, st->held, max_per_hour, st->held_since, now);
  if (rc != 0)
    return rc;
  st->held_since = LW_TIME_UNKNOWN;
  st->held = 0;
  return 1;
}

int lw_alert_policy_apply(struct lw_alert_policy_state *st, uint32_t max_per_hour, int64_t now,
                          struct lw_alert *alerts, size_t n, struct lw_alert *summary) {
  int have_summary = 0;
  uint32_t sent;
  int64_t cur = minute_of(now);
  size_t i, slot = slot_of(cur);

  if (st == NULL || summary == NULL || (n > 0 && alerts == NULL))
    return LW_EINVAL;
  lw_alert_init(summary, 0, LW_TIME_UNKNOWN);

  /* The summary first (the only allocation), so a failure changes nothing. */
  if (st->held_since != LW_TIME_UNKNOWN && now - st->held_since >= LW_ALERT_POLICY_HOUR_MS) {
    int rc = make_summary(summary, st->held, max_per_hour, st->held_since, now);
    if (rc != 0)
      return rc;
    st->held_since = LW_TIME_UNKNOWN;
    st->held = 0;
    have_summary = 1;
  }

  if (st->slot_minute[slot] != cur) {
    st->slot_minute[slot] = cur;
    st->slot_count[slot] = 0;
  }
  sent = lw_alert_policy_sent_in_window(st, now);
  for (i = 0; i < n; i++) {
    if (!lw_alert_is_rate_limited(alerts[i].event_id) || alerts[i].acknowledged)
      continue;
    int state = alerts[i].event_id == LW_EVENT_SESSION_IDS_PINNED ||
                alerts[i].event_id == LW_EVENT_SESSION_IDS_CLEARED;
    if (max_per_hour == 0 || sent < budget_for(max_per_hour, alerts[i].event_id)) {
      alerts[i].suppressed = 0;
      st->slot_count[slot]++;
      sent++;
      if (state)
        st->state_pending = 0;
    } else {
      alerts[i].suppressed = 1;
      if (state)
        st->state_pending = 1;
      if (st->held_since == LW_TIME_UNKNOWN)
        st->held_since = now;
      if (st->held < UINT32_MAX)
        st->held++;
    }
  }
  return have_summary;
}

/* ---- Blob ------------------------------------------------------------------- */

#define POLICY_MAGIC "LWAP"
#define POLICY_VERSION 2 /* written only with a state pending; else version 1 */
#define POLICY_HEADER 5  /* magic + version */

static void put_le(unsigned char *p, uint64_t v, int bytes) {
  int i;
  for (i = 0; i < bytes; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < bytes; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

int lw_alert_policy_save(const struct lw_alert_policy_state *st, char **blob, size_t *len) {
  unsigned char *p;
  size_t i, n = 0, off;

  if (st == NULL || blob == NULL || len == NULL)
    return LW_EINVAL;
  for (i = 0; i < LW_ALERT_POLICY_SLOTS; i++)
    if (st->slot_minute[i] != SLOT_EMPTY && st->slot_count[i] > 0)
      n++;
  p = malloc(POLICY_HEADER + 13 + n * 12 + 1);
  if (p == NULL)
    return LW_ENOMEM;
  memcpy(p, POLICY_MAGIC, 4);
  /* One encoding per state (load -> save gives the same bytes): version 1
   * when nothing is pending, as every blob written before version 2. */
  p[4] = st->state_pending ? POLICY_VERSION : 1;
  off = POLICY_HEADER;
  put_le(p + off, (uint64_t)st->held_since, 8);
  put_le(p + off + 8, st->held, 4);
  p[off + 12] = (unsigned char)n;
  off += 13;
  for (i = 0; i < LW_ALERT_POLICY_SLOTS; i++) {
    if (st->slot_minute[i] != SLOT_EMPTY && st->slot_count[i] > 0) {
      put_le(p + off, (uint64_t)st->slot_minute[i], 8);
      put_le(p + off + 8, st->slot_count[i], 4);
      off += 12;
    }
  }
  if (st->state_pending)
    p[off++] = 1;
  *blob = (char *)p;
  *len = off;
  return 0;
}

int lw_alert_policy_load(const char *blob, size_t len, struct lw_alert_policy_state *st) {
  const unsigned char *p = (const unsigned char *)blob;
  struct lw_alert_policy_state tmp;
  size_t i, n, off, prev_slot = 0;

  if (blob == NULL || st == NULL)
    return LW_EINVAL;
  if (len < POLICY_HEADER || memcmp(p, POLICY_MAGIC, 4) != 0)
    return LW_ECORRUPT;
  if (p[4] > POLICY_VERSION)
    return LW_ETOONEW;
  if (p[4] == 0 || len < POLICY_HEADER + 13)
    return LW_ECORRUPT;
  lw_alert_policy_init(&tmp);
  off = POLICY_HEADER;
  tmp.held_since = (int64_t)get_le(p + off, 8);
  tmp.held = (uint32_t)get_le(p + off + 8, 4);
  n = p[off + 12];
  off += 13;
  if (n > LW_ALERT_POLICY_SLOTS || len != off + n * 12 + (p[4] >= 2 ? 1u : 0u))
    return LW_ECORRUPT;
  if (p[4] >= 2) {
    if (p[len - 1] != 1) /* version 2 exists only to say a state is pending */
      return LW_ECORRUPT;
    tmp.state_pending = 1;
  }
  /* Nothing held means no period; a period with nothing held is not one. */
  if ((tmp.held_since == LW_TIME_UNKNOWN) != (tmp.held == 0))
    return LW_ECORRUPT;
  if (tmp.held_since != LW_TIME_UNKNOWN &&
      (tmp.held_since > LW_TIME_LIMIT_MS || tmp.held_since < -LW_TIME_LIMIT_MS))
    return LW_ECORRUPT;
  /* Canonical, as the saver writes it: slots in increasing order (so each once),
   * none counting nothing; then load -> save gives the same bytes. */
  for (i = 0; i < n; i++, off += 12) {
    int64_t minute = (int64_t)get_le(p + off, 8);
    uint32_t count = (uint32_t)get_le(p + off + 8, 4);
    size_t slot;
    if (minute == SLOT_EMPTY || count == 0 || minute > LW_TIME_LIMIT_MS / MINUTE_MS ||
        minute < -LW_TIME_LIMIT_MS / MINUTE_MS)
      return LW_ECORRUPT;
    slot = slot_of(minute);
    if (i > 0 && slot <= prev_slot)
      return LW_ECORRUPT;
    prev_slot = slot;
    tmp.slot_minute[slot] = minute;
    tmp.slot_count[slot] = count;
  }
  *st = tmp;
  return 0;
}
