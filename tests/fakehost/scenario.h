/*
 * scenario.h - the simulated RDS host's scenario file (tests/fakehost/).
 *
 * A scenario describes a host's LSA logon sessions and WTS sessions over
 * "steps" (one step per LsaEnumerateLogonSessions call); its format is the
 * contract in tests/scenarios/README.md. This parser is portable C (libyaml,
 * no windows.h): the fake secur32.dll / wtsapi32.dll use it under Wine, and
 * tests/unit/test_scenario.c runs it natively. Everything the format allows is
 * accepted; anything else is rejected with one `file:line:column: message`
 * (1-based line and column of the offending node).
 *
 * Typing follows YAML: integer fields take plain (unquoted) decimal or 0x-hex
 * scalars; string fields take any non-null scalar (`user: 1234` is "1234");
 * null (`~`, `null`, empty) is rejected for every field (an optional key is
 * left out instead). A `luid` is an integer, 0x-hex, or a "HIGH:LOW" hex
 * string (quoted or not). Names of logon types and states are matched
 * case-insensitively. Anchors, aliases and merge keys (`<<: *entry`) are
 * refused at their line and column: merges of aliases take time exponential
 * in the file's size, so every entry is written out (generators repeat it).
 * Required: `steps`; per logon session luid, user, domain, logon_type,
 * session; per WTS session id, station, state. `logon_sessions` and
 * `wts_sessions` may be left out (no sessions).
 *
 * Simulated time (what the fakes report; a test comparing the product's output
 * with a scenario uses the same rules, via lw_scenario_step_time() and
 * lw_scenario_logon_time()):
 *   - step N happens at LW_SCENARIO_EPOCH + N * LW_SCENARIO_STEP_SECONDS
 *     (step 0 = 2026-11-21T09:00:00Z, one minute per step);
 *   - a logon session's LogonTime is step 0's time + `logon_time` seconds, or,
 *     without `logon_time`, the time of its `from` step;
 *   - a WTS session with a `user` has ConnectTime = the time of its `from`
 *     step, DisconnectTime = that too when its state is Disconnected and 0
 *     otherwise, and LogonTime = the time of lw_scenario_wts_logon_step():
 *     entries of one ID and user that follow each other without a gap are
 *     one session changing state (a disconnect, a reconnect), whose LogonTime
 *     stays; a WTS session without a user reports 0 for all three (0 =
 *     "unknown", as Windows does).
 *
 * Not thread-safe while loading; a loaded scenario is read-only and may be
 * read from any number of threads.
 */
#ifndef LW_SCENARIO_H
#define LW_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#define LW_SCENARIO_EPOCH INT64_C(1795251600) /* 2026-11-21T09:00:00Z, Unix seconds */
#define LW_SCENARIO_STEP_SECONDS 60
#define LW_SCENARIO_FOREVER UINT32_MAX     /* `until` absent: never ends */
#define LW_SCENARIO_MAX_STRING_UNITS 32767 /* UTF-16 units in an LSA_UNICODE_STRING */

/* A SID in the parts of its binary form (S-1-<authority>-<sub>...). */
struct lw_scenario_sid {
  uint8_t revision;     /* always 1 */
  uint8_t sub_count;    /* 0..15 */
  uint8_t authority[6]; /* big-endian 48-bit identifier authority */
  uint32_t sub[15];
};

struct lw_scenario_logon {
  uint64_t luid;                    /* (HighPart << 32) | LowPart */
  char *user;                       /* never NULL (may be "") */
  char *domain;                     /* never NULL */
  char *sid;                        /* "S-1-..." as written, or NULL when absent */
  struct lw_scenario_sid sid_parts; /* valid when sid != NULL */
  uint32_t logon_type;
  char *auth_package; /* never NULL; "Negotiate" when absent */
  uint32_t session;   /* terminal session ID */
  int has_logon_time;
  int64_t logon_time; /* seconds relative to step 0, when has_logon_time */
  char *upn;          /* NULL when absent; likewise logon_server, dns_domain */
  char *logon_server;
  char *dns_domain;
  uint32_t data_status;  /* 0, or the NTSTATUS LsaGetLogonSessionData fails with */
  uint32_t from;         /* alive in from <= step < until */
  uint32_t until;        /* LW_SCENARIO_FOREVER when absent */
  uint32_t line, column; /* where the entry starts in the file, 1-based */
};

struct lw_scenario_wts {
  uint32_t id;
  uint32_t state; /* WTS_CONNECTSTATE_CLASS: Active = 0 ... Init = 9 */
  char *station;  /* never NULL */
  char *user;     /* NULL when absent; likewise domain, client */
  char *domain;
  char *client;
  uint32_t from;
  uint32_t until;
  uint32_t line, column;
};

struct lw_scenario {
  char *name; /* the path or name given to the loader */
  char *host; /* NULL when absent */
  uint32_t steps;
  struct lw_scenario_logon *logons; /* in file order */
  size_t n_logons;
  struct lw_scenario_wts *wts; /* in file order */
  size_t n_wts;
  /* private: indexes sorted by (luid, from) and (id, from) for the finders */
  size_t *logon_order;
  size_t *wts_order;
};

/* Loads the scenario file at `path` (a UTF-8 path, opened with fopen).
 * Returns 0 and sets *out to a scenario the caller frees with
 * lw_scenario_free(), or a negative LW_E* code (error.h) with *out = NULL and
 * `file:line:column: message` in err (always NUL-terminated when errlen > 0):
 * LW_ENOENT/LW_EIO the file could not be read (message "path: ..."),
 * LW_ESYNTAX not YAML, LW_ETYPE wrong type, LW_EUNKNOWN unknown key or name,
 * LW_ERANGE value out of range, LW_EINVAL missing key or conflicting entries,
 * LW_ENOMEM out of memory. */
int lw_scenario_load(const char *path, struct lw_scenario **out, char *err, size_t errlen);

/* As lw_scenario_load(), from `len` bytes of YAML in memory; `name` (not NULL)
 * is used in messages and kept as sc->name. The buffer is not kept. */
int lw_scenario_load_buffer(const char *name, const char *data, size_t len,
                            struct lw_scenario **out, char *err, size_t errlen);

/* Frees a scenario and every string in it. NULL is fine. */
void lw_scenario_free(struct lw_scenario *sc);

/* The step the host shows for poll number `step` (0-based): `step` itself, or
 * steps - 1 once past the end. */
uint32_t lw_scenario_clamp_step(const struct lw_scenario *sc, uint64_t step);

/* Returns 1 when the entry exists at `step` (from <= step < until), else 0. */
int lw_scenario_logon_alive(const struct lw_scenario_logon *e, uint32_t step);
int lw_scenario_wts_alive(const struct lw_scenario_wts *e, uint32_t step);

/* Lists the entries alive at `step` (not clamped), in file order: stores up to
 * `cap` pointers (into sc) in out[] (out may be NULL when cap is 0) and
 * returns how many are alive, which may exceed cap. */
size_t lw_scenario_logons_at(const struct lw_scenario *sc, uint32_t step,
                             const struct lw_scenario_logon **out, size_t cap);
size_t lw_scenario_wts_at(const struct lw_scenario *sc, uint32_t step,
                          const struct lw_scenario_wts **out, size_t cap);

/* The entry with that LUID / session ID alive at `step`, or NULL (O(log n)). */
const struct lw_scenario_logon *lw_scenario_find_logon(const struct lw_scenario *sc, uint32_t step,
                                                       uint64_t luid);
const struct lw_scenario_wts *lw_scenario_find_wts(const struct lw_scenario *sc, uint32_t step,
                                                   uint32_t id);

/* Simulated times in Unix seconds (see the top of this file). */
int64_t lw_scenario_step_time(uint32_t step);
int64_t lw_scenario_logon_time(const struct lw_scenario_logon *e);

/* The step a WTS entry's session began at: the `from` of the first of the
 * entries with its ID, user and domain that follow each other without a gap
 * (one's `until` is the next one's `from`), ending with `e`. */
uint32_t lw_scenario_wts_logon_step(const struct lw_scenario *sc, const struct lw_scenario_wts *e);

/* Names as the format spells them ("RemoteInteractive", "Disconnected"), or
 * NULL for a number without one. */
const char *lw_scenario_logon_type_name(uint32_t type);
const char *lw_scenario_state_name(uint32_t state);

#endif /* LW_SCENARIO_H */
