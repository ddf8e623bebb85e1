/*
 * detect.h - the leak detector: from one snapshot to the next, which logon sessions
 * have leaked, which terminal session IDs they pin, and the alerts to raise.
 *
 * lw_detect_step() is a pure function of (state, snapshot, config): it updates the
 * state and returns the alerts of this poll (already passed through the rate limit of
 * alert_policy.h) and the leak episodes that opened or closed. It never reads a clock,
 * a file or the OS; all times come from the snapshot (taken_at, ms since epoch).
 *
 * The rules (issue 5), with the choices made where the text left room:
 *  1. Leaked logon session. Each WTS session *instance* is identified by (ID, the
 *     time LeakWatch first saw it). A WTS ID is a new instance when it was absent at
 *     the previous poll, or when its user changed from one non-empty name to another,
 *     or when its logon time changed by more than a second (a logoff and a new logon
 *     between two polls). A logon session belongs to the instance that had its
 *     terminal session ID when LeakWatch first saw it (or when its terminal session
 *     ID changed). It is *orphaned* when that ID is not 0 and no WTS session has it
 *     any more, or the ID now belongs to another (newer) instance. (One exception:
 *     a logon session first seen at the previous poll with no WTS session of its ID
 *     adopts a WTS session of that ID that appears now; the two enumerations
 *     straddled a logon.) DWM-n and UMFD-n (SID S-1-5-90-0-n / S-1-5-96-0-n, or
 *     user DWM-n / UMFD-n in domain "Window Manager" / "Font Driver Host") belong to
 *     session n whatever LSA's Session field says. They are tracked as logon
 *     sessions of their own (each has its v_leaks row), but one that leaks while a
 *     user logon session of the same terminal session instance is leaked is
 *     folded into that user's 2001 (listed there, no alert of its own; its release
 *     raises no 2002 while that user's leak is open); one that leaks alone gets its
 *     own 2001. Well-known LUIDs (0x3e3-0x3e7) are never
 *     orphaned. Sessions whose data cannot be read (data_status) are not tracked
 *     until it can; a tracked one keeps its state while unreadable. Orphaned for
 *     `grace_period` or longer (>=) -> leaked: one 2001 and a LW_LEAK_OPENED episode.
 *     A leaked session that disappears (or stops being orphaned) -> one 2002 and a
 *     LW_LEAK_RELEASED episode. "First seen ended" is the first poll at which its
 *     WTS instance was gone. The end was *seen* when LeakWatch had seen the logon
 *     session before that poll (then the end is that poll, within one interval);
 *     otherwise (a fresh start on a host that already leaks, or the first poll
 *     after a reboot) it ended before LeakWatch watched: the end time is unknown,
 *     said so in the alerts and v_leaks, and minutes pinned are a lower bound.
 *  2. Pinned IDs. An ID is pinned when no WTS session has it and a leaked logon
 *     session references it. At count >= gap_threshold: 2003; again at count >=
 *     last alerted count + gap_threshold; 2004 when 2 * count < gap_threshold,
 *     which also ends the episode. The listing: the IDs as ranges, then per ID (the
 *     first 50 IDs) the pinning user logon sessions as "LUID DOMAIN\user" (DWM-n /
 *     UMFD-n counted as "(+2 DWM/UMFD)", listed only when nothing else pins the ID),
 *     then "... and N more". Highest ID in use and live sessions count the WTS
 *     sessions that are not listeners (state Listen).
 *  3. Accumulating. Per (DOMAIN\user, logon type), compared ASCII case-insensitively:
 *     the logon sessions with no process, not orphaned (rule 1 covers those), first
 *     seen grace_period or longer ago. At count >= accumulation_threshold: 2005; again
 *     at count >= 2 x the last alerted count; the episode ends when 2 * count <
 *     accumulation_threshold (no alert; a later rise alerts again).
 *  4. Stuck logoff. A WTS instance in state Down for grace_period or longer: one 2006
 *     per instance.
 *  5. Reboot. A snapshot whose boot_time differs from the state's by more than
 *     LW_DETECT_BOOT_TOLERANCE_MS starts a new boot: the state is reset (the rate
 *     limit's state is kept: it counts Event Log traffic, not boots), the snapshot is
 *     the new boot's first poll, nothing from the old boot is alerted, and each leak
 *     episode still open in the old boot is closed by a LW_LEAK_BOOT_ENDED change
 *     (released_at = the new boot_time, no 2002: it was released by the reboot, not
 *     by its holder, so the database can say so but the Event Log need not).
 *
 * Call it only with complete snapshots: a poll whose collection failed must not be
 * passed in (a missing WTS list would orphan every logon session).
 *
 * Restart (the contract with the store): after each successful lw_detect_step,
 * lw_detect_state_save() gives a blob of the whole state (rate limit included); store
 * it, replacing the previous one, in the same transaction as that poll's rows and
 * alerts. At start, lw_detect_state_load() the latest blob, then keep calling
 * lw_detect_step: an episode open before the restart is neither alerted again nor
 * forgotten (its release is still reported), a Down instance already alerted stays
 * alerted, the gap and accumulation counts continue, and a blob from an earlier boot
 * is reset by the reboot rule at the first step. If there is no blob, or loading it
 * fails, start from lw_detect_state_init(): the detector is then correct but starts
 * afresh (an episode already alerted may be alerted once more after grace_period).
 * If the poll's transaction fails, nothing needs undoing: the next successful
 * transaction writes the newer blob. The blob is binary (not text), starts with
 * "LWDS" and a version byte, ends with a CRC-32, and takes about 7 bytes per
 * tracked logon session plus the names of orphans and WTS users (bench_detect: 7 KB
 * at 1,000 logon sessions, 34 KB at 5,000, 136 KB at 20,000). Its times are
 * relative to the boot (format version 2), so a session that did not change keeps
 * its bytes and two polls' blobs differ only near the sessions that came, went or
 * changed: the store writes that byte delta (blob_delta.h; about 2 KB a poll at
 * 20,000 logon sessions and 1 % churn). Saving the same state twice gives the
 * same bytes, so a caller may skip the write when the blob did not change.
 *
 * Threads: none; one owner per state.
 */
#ifndef LW_DETECT_H
#define LW_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "alert_policy.h"
#include "snapshot.h"

struct lw_config;  /* config.h: only lw_detect_config_from reads it */
struct lw_ack_set; /* ack.h */

/* Boot times that differ by at most this much are the same boot (the boot time is
 * derived from the clock and the tick count, which drift apart by milliseconds). */
#define LW_DETECT_BOOT_TOLERANCE_MS INT64_C(5000)

/* IDs listed one by one in the 2003 text; the rest are counted. */
#define LW_DETECT_PINNED_LISTED 50
/* The longest 2003 %2 text, in bytes (an insertion string may hold 31,839 chars). */
#define LW_DETECT_PINNED_TEXT_MAX 16000

/* 2001's HOLDERS until the token holder search (holders.c) fills it in; and
 * what it says when the search is switched off. */
#define LW_DETECT_HOLDERS_PENDING                                                                  \
  "not searched yet (holders found later are reported as event 2007)"
#define LW_DETECT_HOLDERS_OFF "not searched: the holder search is off (holders.enabled: false)"

struct lw_detect_config {
  int64_t grace_period_ms;         /* grace_period */
  uint32_t gap_threshold;          /* gap_threshold; 0 disables rule 2 */
  uint32_t accumulation_threshold; /* accumulation_threshold; 0 disables rule 3 */
  uint32_t alerts_max_per_hour;    /* alerts.max_per_hour; 0 = no limit */
  int holders_enabled;             /* holders.enabled: what 2001 says of its holders */
  /* Known leaks (ack.h): a 2001 of a leak an entry in force covers (by LUID or
   * user) is marked acknowledged: recorded, not logged, not counted by the rate
   * limit. NULL: none. Not owned; the caller keeps it alive during the step. */
  const struct lw_ack_set *acks;
};

/* ---- State (fields are internal: read them in tests, change them only through
 * the functions below) ---------------------------------------------------------- */

/* A live logon session LeakWatch tracks (all but the well-known LUIDs). */
struct lw_detect_logon {
  uint64_t luid;
  uint32_t terminal_session; /* effective: n for DWM-n / UMFD-n */
  uint32_t flags;            /* LW_DETECT_LOGON_* */
  int64_t first_seen;
  int64_t instance;       /* first_seen of the WTS instance it belongs to; UNKNOWN: none */
  int64_t orphaned_since; /* LW_TIME_UNKNOWN while not orphaned */
  int64_t leaked_at;      /* LW_TIME_UNKNOWN unless a leak episode is open */
  /* Kept while orphaned, for the 2001/2002 texts after the snapshot is gone. */
  uint32_t logon_type;
  int64_t logon_time;
  const char *user; /* interned in the state's string table; NULL unless orphaned */
  const char *domain;
};
#define LW_DETECT_LOGON_SYSTEM 1u /* DWM-n / UMFD-n */

/* A live WTS session instance. */
struct lw_detect_wts {
  uint32_t id;
  uint32_t state; /* enum lw_wts_state */
  int64_t first_seen;
  int64_t state_since; /* when it entered `state` (as far as LeakWatch saw) */
  int64_t logon_time;  /* WTS logon time, or LW_TIME_UNKNOWN */
  uint32_t down_alerted;
  const char *user; /* last non-empty user (interned), or NULL */
  const char *domain;
};

/* An open accumulation episode: the count last alerted for (user, logon type). */
struct lw_detect_accum {
  uint64_t hash;    /* of the key, case-folded (not saved: recomputed) */
  const char *user; /* interned */
  const char *domain;
  uint32_t logon_type;
  uint32_t last_alerted;
};

/* Interned strings: each distinct user or domain name once, so records copy
 * pointers and a failed step leaves nothing to undo. */
struct lw_detect_strings {
  char **slots; /* open addressing; NULL = empty */
  size_t cap, count;
};

struct lw_detect_state {
  int64_t boot_time;              /* LW_TIME_UNKNOWN before the first step */
  int64_t last_poll;              /* taken_at of the last step, or LW_TIME_UNKNOWN */
  uint64_t polls;                 /* steps since the state was made (or loaded, carried over) */
  struct lw_detect_logon *logons; /* sorted by luid */
  size_t n_logons;
  struct lw_detect_wts *wts; /* sorted by id */
  size_t n_wts;
  struct lw_detect_accum *accum; /* sorted by (hash, logon_type, domain, user) */
  size_t n_accum;
  uint32_t gap_active;       /* a 2003 episode is open */
  uint32_t gap_last_alerted; /* pinned count of the last 2003 */
  struct lw_alert_policy_state policy;
  struct lw_detect_strings strings;
};

/* ---- Output ------------------------------------------------------------------- */

enum lw_leak_change_kind {
  LW_LEAK_OPENED = 1,    /* became leaked (with its 2001) */
  LW_LEAK_RELEASED = 2,  /* a leaked session disappeared (with its 2002) */
  LW_LEAK_BOOT_ENDED = 3 /* the host rebooted while it was leaked (no alert) */
};

/* One row of v_leaks changing. Strings are heap copies owned by the output. */
struct lw_leak_change {
  int kind;               /* enum lw_leak_change_kind */
  int system;             /* 1: a DWM-n / UMFD-n logon session */
  uint64_t with_luid;     /* LW_LEAK_OPENED of a system one: the user logon session whose
                           * 2001 lists it; 0 when it leaked alone (or a user's) */
  int end_seen;           /* 1: LeakWatch saw its terminal session end */
  int64_t orphan_seen_at; /* when LeakWatch first saw its terminal session gone */
  int64_t boot_time;      /* of the boot the episode belongs to */
  uint64_t luid;
  char *user; /* NULL if unknown */
  char *domain;
  uint32_t logon_type;
  uint32_t terminal_session;
  int64_t logon_time;       /* LW_TIME_UNKNOWN if unknown */
  int64_t session_ended_at; /* = orphan_seen_at when end_seen, else LW_TIME_UNKNOWN */
  int64_t leaked_at;
  int64_t released_at; /* LW_TIME_UNKNOWN for LW_LEAK_OPENED */
};

struct lw_detect_output {
  /* In this order: a 2009 summary when due, 2003/2004, 2006s, 2005s, then 2002s and
   * 2001s, each by LUID (aggregates first: the rate limit lets the first ones through).
   * All are complete records for the database; log only those not .suppressed. */
  struct lw_alert *alerts;
  size_t n_alerts, cap_alerts;
  struct lw_leak_change *changes;
  size_t n_changes, cap_changes;
  int new_boot; /* 1: this snapshot began a new boot (or was the first ever) */
  /* Counts after this poll, for metrics and the CLI. */
  uint32_t orphaned;      /* orphaned logon sessions (leaked included) */
  uint32_t leaked;        /* logon sessions with an open leak episode */
  uint32_t leaked_system; /* of those, DWM-n / UMFD-n */
  uint32_t pinned_ids;    /* pinned terminal session IDs */
  uint32_t highest_id;    /* highest WTS session ID in use (not a listener) */
  uint32_t live_sessions; /* WTS sessions that are not listeners */
};

/* ---- Functions ---------------------------------------------------------------- */

/* Fills *dc from the effective configuration. Cannot fail. */
void lw_detect_config_from(struct lw_detect_config *dc, const struct lw_config *cfg);

/* Makes *st an empty state (no boot yet). It owns nothing until the first step. */
void lw_detect_state_init(struct lw_detect_state *st);

/* Frees everything *st owns and re-initialises it. NULL is fine. */
void lw_detect_state_free(struct lw_detect_state *st);

/* Makes *out empty; lw_detect_output_free releases it. */
void lw_detect_output_init(struct lw_detect_output *out);
void lw_detect_output_free(struct lw_detect_output *out);

/*
 * Takes one poll: `snap` must be finished (lw_snapshot_finish: sorted, process
 * counts set) and complete. Empties *out (freeing what it held), then fills it with
 * this poll's alerts (rate limit applied, a 2009 summary included when due) and leak
 * episode changes, and updates *st.
 * Returns 0; LW_EINVAL for NULL arguments or a snapshot without taken_at; LW_ENOMEM.
 * On failure *st is exactly as before the call (the string table may have gained
 * unused entries) and *out is empty, so the poll can be retried.
 * Cost: O(L log W + W) for L logon sessions and W WTS sessions (process-less
 * sessions are counted per key in a hash table; only pinned logon sessions and
 * new accumulation keys are sorted); it allocates arrays of L and W records per
 * call. About 1.2 ms at 20,000 logon sessions (tests/bench/bench_detect.c).
 */
int lw_detect_step(struct lw_detect_state *st, const struct lw_snapshot *snap,
                   const struct lw_detect_config *cfg, struct lw_detect_output *out);

/*
 * The 2009 summary of a rate-limit period cut short because the service stops:
 * when alerts are held back, fills *summary (owning nothing) with it, the leaks'
 * current state taken from *st, restarts the period in st's policy, and returns 1;
 * returns 0 when nothing is held back; LW_ENOMEM.
 */
int lw_detect_stop_summary(struct lw_detect_state *st, const struct lw_detect_config *cfg,
                           int64_t now, struct lw_alert *summary);

/*
 * Alerts again, when an acknowledgement ends (expired or removed), the open
 * leaks it covered: for each leaked user logon session of *st (and each
 * DWM-n/UMFD-n one that leaked alone) that an entry of `ended` covers by LUID
 * or user (pass copies of the ended entries, without their expiry) and that no
 * entry of cfg->acks in force at `now` covers, a 2001 raised at `now` (its
 * minutes pinned so far, its DWM/UMFD listed, HOLDERS pending) is appended to
 * out->alerts, through the rate limit of st's policy. Call it after
 * lw_detect_step with the same `now`. Leak changes are not touched: the
 * episodes are open already. Returns the number appended, or LW_ENOMEM /
 * LW_EINVAL (then out and *st are unchanged).
 */
int lw_detect_realert(struct lw_detect_state *st, const struct lw_detect_config *cfg,
                      const struct lw_ack_set *ended, int64_t now, struct lw_detect_output *out);

/*
 * Writes the whole state as a blob (format version 2, see the contract above;
 * version 1 differs only in the base of its times and still loads).
 * Returns 0 and sets *blob (heap; the caller frees it with free()) and *len; or
 * LW_EINVAL / LW_ENOMEM, leaving *blob and *len untouched.
 */
int lw_detect_state_save(const struct lw_detect_state *st, char **blob, size_t *len);

/*
 * Rebuilds a state from a blob written by lw_detect_state_save (of this or an older
 * format version). *st is overwritten without being freed: pass an initialised or
 * freed state. Returns 0; LW_ECORRUPT for a damaged or foreign blob (bad magic or
 * CRC, truncated, out-of-order records, bad indices) or one the saver would not
 * write (the format is canonical: over-long numbers, a record's flags that do not
 * match its fields, unused strings; so load -> save gives the same bytes) or a
 * time no clock gives (beyond LW_TIME_LIMIT_MS, which the detector's arithmetic
 * could not take);
 * LW_ETOONEW for a blob from a
 * newer LeakWatch; LW_EINVAL for NULL arguments; LW_ENOMEM. On failure *st is
 * untouched.
 */
int lw_detect_state_load(const char *blob, size_t len, struct lw_detect_state *st);

/* "RemoteInteractive (10)", or "14" for a type without a name; into buf (>= 40
 * bytes), which is returned. */
char *lw_detect_logon_type_text(uint32_t type, char *buf, size_t size);

/* 1 if the logon session is a per-session system logon (DWM-n, UMFD-n); then *n is
 * its terminal session. 0 otherwise. */
int lw_detect_system_logon(const struct lw_logon_session *l, uint32_t *n);

#endif /* LW_DETECT_H */
