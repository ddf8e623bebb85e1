/*
 * alert_policy.h - alerts as records, and the rate limit that keeps the Event Log
 * readable during a flood.
 *
 * An alert (struct lw_alert) is one event LeakWatch raises: its event ID (the public
 * contract of service/os/messages.mc), the time it was raised, the insertion strings
 * %1, %2, ... exactly as the message table numbers them, and the same facts as
 * structured fields for the database. The detector (detect.h) produces them; the
 * service writes them to the Event Log and the store records every one.
 *
 * The rate limit: at most `alerts.max_per_hour` alerts of events 2001-2006 reach the
 * Event Log in any sliding hour, counted in one-minute slots (a slot is the minute of
 * the poll that raised the alert; the window is the current minute and the 59 before
 * it). A sliding window, not a fixed clock hour, so that no 60-minute span ever shows
 * more than the limit (a fixed window lets twice the limit through across its edge).
 * A quarter of the budget (LW_ALERT_POLICY_RESERVE) is kept for the escalations and
 * state alerts (2003-2006): the per-session alerts (2001, 2002) may use only the
 * rest, so a flood of leaked users cannot silence the gap. Alerts over the limit are
 * kept but marked `suppressed`: the store records them, the Event Log does not get
 * them. A held-back 2003/2004 sets `state_pending`: the detector then raises the
 * current gap state again as soon as the budget allows, so the newest state replaces
 * the one held back. The first held-back alert opens a period; at the first call one
 * hour or more after that, one 2009 summary with the count held back in that period
 * is produced (never rate-limited; the detector adds the current state of the leaks
 * to it), and the next held-back alert opens a new period. So there is at most one
 * 2009 per hour, and none when nothing was held back. Other event IDs pass untouched.
 *
 * The policy state is a fixed-size struct (no heap); it can be saved to and loaded
 * from a small versioned binary blob so a restart keeps counting. detect.h embeds it
 * in the detector's state and blob, so a service using lw_detect_step needs nothing
 * from this file but struct lw_alert.
 */
#ifndef LW_ALERT_POLICY_H
#define LW_ALERT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"

/* Event IDs (the low 16 bits of the message IDs in messages.mc), one per row of
 * events.h: LW_EVENT_SESSION_LEAKED = 2001, ... The alerts are the 2000s. */
#define LW_EVENT_ENUM_ROW(name, id, severity, category, inserts, rate_limited) LW_EVENT_##name = id,
enum lw_event_id { LW_EVENTS(LW_EVENT_ENUM_ROW) };
#undef LW_EVENT_ENUM_ROW

/* Each event's number of insertion strings (events.h):
 * LW_EVENT_INSERTS_SESSION_LEAKED = 8, ... */
#define LW_EVENT_INSERTS_ROW(name, id, severity, category, inserts, rate_limited)                  \
  LW_EVENT_INSERTS_##name = inserts,
enum lw_event_inserts { LW_EVENTS(LW_EVENT_INSERTS_ROW) };
#undef LW_EVENT_INSERTS_ROW

/* The most insertion strings any alert may have (2001 has 14). */
#define LW_ALERT_MAX_INSERTS 16

/* Each insertion string's position by name (events.h's LW_INSERTS_<ID>), one enum
 * per event of the 2000s: enum lw_insert_2001 { LW_INSERT_2001_LUID (0, %1), ...,
 * LW_INSERT_2001_HOLDERS (7, %8), LW_INSERT_2001_N }. 2001's HOLDERS: the detector
 * leaves it pending, the service fills it in once the holder scan has named them.
 * Checked here: each list names an event with that ID and has its number of
 * insertion strings (at most LW_ALERT_MAX_INSERTS); every 2000s event has a list. */
#define LW_INSERT_ENUM_ITEM(id, field) LW_INSERT_##id##_##field,
#define LW_INSERT_ENUM_ROW(name, id)                                                               \
  enum lw_insert_##id{LW_INSERTS_##id(LW_INSERT_ENUM_ITEM) LW_INSERT_##id##_N};                    \
  _Static_assert(LW_EVENT_##name == (id), #name " is not event " #id);                             \
  _Static_assert((int)LW_INSERT_##id##_N == (int)LW_EVENT_INSERTS_##name,                          \
                 "LW_INSERTS_" #id " does not name every insertion string of " #name);             \
  _Static_assert(LW_INSERT_##id##_N <= LW_ALERT_MAX_INSERTS, #name " has too many inserts");
LW_INSERT_LISTS(LW_INSERT_ENUM_ROW)
#undef LW_INSERT_ENUM_ROW
#undef LW_INSERT_ENUM_ITEM

#define LW_INSERT_COUNT_ALERT_ROW(name, id, severity, category, inserts, rate_limited)             \
  +((id) >= 2000)
#define LW_INSERT_COUNT_LIST_ROW(name, id) +1
_Static_assert(0 LW_EVENTS(LW_INSERT_COUNT_ALERT_ROW) ==
                   0 LW_INSERT_LISTS(LW_INSERT_COUNT_LIST_ROW),
               "every event of the 2000s needs its LW_INSERTS_<ID> list in events.h");
#undef LW_INSERT_COUNT_ALERT_ROW
#undef LW_INSERT_COUNT_LIST_ROW

/* A uint32_t field that does not apply to this alert. */
#define LW_ALERT_NONE UINT32_MAX

/* One hour, the window of the rate limit and the period of the 2009 summary. */
#define LW_ALERT_POLICY_HOUR_MS INT64_C(3600000)

/*
 * One alert. Every string is UTF-8, NUL-terminated, heap-allocated and owned by the
 * alert (lw_alert_clear frees them). Fields that do not apply are NULL,
 * LW_ALERT_NONE or LW_TIME_UNKNOWN (timefmt.h); which apply per event:
 *   2001: luid user domain logon_type terminal_session logon_time session_ended_at
 *         since (= session_ended_at) minutes (pinned so far)
 *   2002: luid user domain logon_type terminal_session logon_time session_ended_at
 *         since (= session_ended_at) minutes (how long it was pinned)
 *   2003: count (pinned IDs) threshold (gap_threshold) terminal_session (highest ID
 *         in use) live_sessions
 *   2004: count (still pinned) threshold
 *   2005: user domain logon_type count
 *   2006: terminal_session user domain since (Down since) minutes
 *   2009: count (held back) threshold (max_per_hour) since (start of the period)
 *         terminal_session (highest ID in use) live_sessions
 * and the fields of issue 13: end_seen (2001, 2002: 1 when LeakWatch saw the terminal
 * session end, 0 when it ended before LeakWatch watched; -1 elsewhere),
 * orphan_seen_at (2001, 2002: when LeakWatch first saw it ended), system_logons
 * (2001: the session's DWM-n/UMFD-n logon sessions that leaked with it).
 * 2001/2002's session_ended_at is LW_TIME_UNKNOWN when end_seen is 0.
 */
struct lw_alert {
  uint32_t event_id;                   /* enum lw_event_id */
  int64_t raised_at;                   /* ms since epoch: the taken_at of the poll that raised it */
  int suppressed;                      /* 1: held back by the rate limit (stored, not logged) */
  size_t n_inserts;                    /* how many of inserts[] the message uses (%1..%n) */
  char *inserts[LW_ALERT_MAX_INSERTS]; /* inserts[0] is %1; never NULL below n */

  uint64_t luid; /* 0 when none */
  char *user;
  char *domain;
  uint32_t logon_type;
  uint32_t terminal_session;
  uint32_t count;
  uint32_t threshold;
  uint32_t live_sessions;
  int64_t logon_time;
  int64_t session_ended_at;
  int64_t since;
  int64_t minutes; /* whole minutes, rounded down; -1 when it does not apply */
  int end_seen;    /* 1, 0, or -1 when it does not apply */
  int64_t orphan_seen_at;
  uint32_t system_logons;
  /* Issue 15: a known leak's alert (ack.h) is recorded but withheld from the
   * Event Log and from the rate limit's count: enum lw_ack_by, and the
   * acknowledgement's id (0 for the configuration's ignore: or none). */
  int acknowledged;
  int64_t ack_id;
};

/* Sets every field of *a to "none" (no strings) with the given event and time.
 * Cannot fail; *a owns nothing afterwards. */
void lw_alert_init(struct lw_alert *a, uint32_t event_id, int64_t raised_at);

/* Frees the strings *a owns and re-initialises it (event 0). NULL is fine. */
void lw_alert_clear(struct lw_alert *a);

/* Replaces insertion string `index` (0 is %1) with a copy of `text` and raises
 * n_inserts to index + 1 if needed (lower unset inserts become ""). The service uses
 * it to fill 2001's %8 (token holders) when it knows them. Returns 0, LW_EINVAL for
 * an index >= LW_ALERT_MAX_INSERTS or NULL text, LW_ENOMEM (then *a is unchanged). */
int lw_alert_set_insert(struct lw_alert *a, size_t index, const char *text);

/* Moves the contents of *src into *dst (which must own nothing) and re-initialises
 * *src. Cannot fail. */
void lw_alert_move(struct lw_alert *dst, struct lw_alert *src);

/*
 * Writes the alert as one compact JSON object, for the database's fields column:
 *   {"event_id":2001,"raised_at":"2026-11-21T09:00:00Z","suppressed":false,
 *    "inserts":["00000000:002a03e6","CONTOSO\\user001",...],
 *    "luid":"00000000:002a03e6","user":"user001","domain":"CONTOSO",
 *    "logon_type":10,"terminal_session":2,"logon_time":"...","session_ended_at":"...",
 *    "since":"...","minutes":10,"count":..,"threshold":..,"live_sessions":..}
 * with only the fields that apply (times as ISO 8601 UTC text). Returns 0 and sets
 * *json (heap, NUL-terminated; free() it) and *len (may be NULL); LW_EINVAL for NULL
 * arguments or LW_ENOMEM, leaving *json untouched.
 */
int lw_alert_fields_json(const struct lw_alert *a, char **json, size_t *len);

/* Returns 1 for the events the rate limit counts (events.h's RATE_LIMITED:
 * 2001-2006), 0 otherwise. */
int lw_alert_is_rate_limited(uint32_t event_id);

/* ---- Rate limit ------------------------------------------------------------ */

#define LW_ALERT_POLICY_SLOTS 60

/* The share of max_per_hour only 2003-2006 may use: a quarter, rounded down. */
#define LW_ALERT_POLICY_RESERVE(max_per_hour) ((max_per_hour) / 4u)

struct lw_alert_policy_state {
  int64_t slot_minute[LW_ALERT_POLICY_SLOTS]; /* minute (ms / 60000), INT64_MIN: empty */
  uint32_t slot_count[LW_ALERT_POLICY_SLOTS]; /* alerts let through in that minute */
  int64_t held_since;     /* first held-back alert of the open period, LW_TIME_UNKNOWN if none */
  uint32_t held;          /* alerts held back since held_since */
  uint32_t state_pending; /* 1: a 2003/2004 was held back and not yet restated */
};

/* Empties the policy state: nothing sent, nothing held. Cannot fail. */
void lw_alert_policy_init(struct lw_alert_policy_state *st);

/*
 * Applies the rate limit to the n alerts raised at time `now` (ms since epoch), in
 * order: sets alerts[i].suppressed to 0 or 1 for events 2001-2006 and leaves other
 * events alone, and alerts withheld as known leaks (acknowledged) too: they
 * never reach the Event Log, so they take nothing of the budget. max_per_hour
 * 0 means no limit. If a period of held-back alerts began one hour or more
 * before `now`, *summary (which must own nothing) is filled with
 * the 2009 alert for it (raised at `now`; %1 count held back, %2 max_per_hour) before
 * this call's alerts are counted, and 1 is returned; otherwise 0 (and *summary is
 * left initialised as event 0). A pure function of (state, alerts, now): the same
 * inputs always give the same outputs.
 * Returns 1 or 0 as above, LW_EINVAL for NULL arguments (n > 0 with NULL alerts), or
 * LW_ENOMEM while building the summary; on failure *st and the alerts are unchanged.
 */
int lw_alert_policy_apply(struct lw_alert_policy_state *st, uint32_t max_per_hour, int64_t now,
                          struct lw_alert *alerts, size_t n, struct lw_alert *summary);

/* How many rate-limited alerts were let through in the hour window ending at `now`. */
uint32_t lw_alert_policy_sent_in_window(const struct lw_alert_policy_state *st, int64_t now);

/* 1 if an alert of event_id raised at `now` would reach the Event Log now. */
int lw_alert_policy_would_send(const struct lw_alert_policy_state *st, uint32_t max_per_hour,
                               int64_t now, uint32_t event_id);

/* Ends the open period early (the service is stopping): fills *summary (owning
 * nothing) with its 2009 and returns 1, or returns 0 when nothing is held back.
 * LW_ENOMEM: *st unchanged. */
int lw_alert_policy_flush(struct lw_alert_policy_state *st, uint32_t max_per_hour, int64_t now,
                          struct lw_alert *summary);

/*
 * Saves the state as a blob: "LWAP", a version byte, then little-endian fixed
 * fields (held_since, held, the non-empty slots); version 2 adds a byte 1 at the end
 * for state_pending, version 1 (also every blob of older LeakWatch) has none and
 * means nothing is pending. One encoding per state, so load -> save gives the same
 * bytes. At most 4 + 1 + 13 + 60 * 12 + 1 bytes.
 * Returns 0 and sets *blob (heap, the caller frees it with free()) and *len, or
 * LW_EINVAL / LW_ENOMEM (then *blob and *len are untouched).
 */
int lw_alert_policy_save(const struct lw_alert_policy_state *st, char **blob, size_t *len);

/*
 * Loads a blob written by lw_alert_policy_save into *st. Returns 0; LW_ECORRUPT for
 * a blob that is not one (wrong magic, truncated, trailing bytes, bad values) or
 * that the saver would not write (slots out of order, a slot counting nothing) or
 * with a time beyond LW_TIME_LIMIT_MS (timefmt.h);
 * LW_ETOONEW for a version newer than this code knows; LW_EINVAL for NULL arguments.
 * On failure *st is untouched.
 */
int lw_alert_policy_load(const char *blob, size_t len, struct lw_alert_policy_state *st);

#endif /* LW_ALERT_POLICY_H */
