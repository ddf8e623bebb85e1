/*
 * snapshot.h - what one poll saw: logon sessions, WTS sessions and processes.
 *
 * A snapshot is the time it was taken, the boot it belongs to (LUIDs and session
 * IDs are only unique within a boot) and three arrays. All strings are UTF-8,
 * NUL-terminated and owned by the snapshot's arena: they live exactly as long as
 * the snapshot, so collectors copy into it with lw_snapshot_strdup*() and nothing
 * is freed piecemeal. A string field is NULL when the OS gave no value.
 *
 * Times are int64 milliseconds since the Unix epoch, UTC (LW_TIME_UNKNOWN when
 * absent). LUIDs are 64-bit: (HighPart << 32) | LowPart, see luid.h for the
 * `HHHHHHHH:LLLLLLLL` text form.
 *
 * Not thread-safe; one owner at a time.
 */
#ifndef LW_SNAPSHOT_H
#define LW_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "timefmt.h" /* LW_TIME_UNKNOWN, LW_TIME_LIMIT_MS */

/* SECURITY_LOGON_TYPE values (ntsecapi.h); stored as numbers, shown as names. */
enum lw_logon_type {
  LW_LOGON_UNDEFINED = 0,
  LW_LOGON_INTERACTIVE = 2,
  LW_LOGON_NETWORK = 3,
  LW_LOGON_BATCH = 4,
  LW_LOGON_SERVICE = 5,
  LW_LOGON_PROXY = 6,
  LW_LOGON_UNLOCK = 7,
  LW_LOGON_NETWORK_CLEARTEXT = 8,
  LW_LOGON_NEW_CREDENTIALS = 9,
  LW_LOGON_REMOTE_INTERACTIVE = 10,
  LW_LOGON_CACHED_INTERACTIVE = 11,
  LW_LOGON_CACHED_REMOTE_INTERACTIVE = 12,
  LW_LOGON_CACHED_UNLOCK = 13
};

/* WTS_CONNECTSTATE_CLASS, in its order. */
enum lw_wts_state {
  LW_WTS_ACTIVE = 0,
  LW_WTS_CONNECTED,
  LW_WTS_CONNECT_QUERY,
  LW_WTS_SHADOW,
  LW_WTS_DISCONNECTED,
  LW_WTS_IDLE,
  LW_WTS_LISTEN,
  LW_WTS_RESET,
  LW_WTS_DOWN,
  LW_WTS_INIT
};

struct lw_logon_session {
  uint64_t luid;
  /* 0 when LsaGetLogonSessionData succeeded; otherwise the NTSTATUS it failed
   * with (e.g. 0xC000005F STATUS_NO_SUCH_LOGON_SESSION when the session vanished
   * between enumeration and the data call, 0xC0000022 access denied) and every
   * field below but process_count is unknown. */
  uint32_t data_status;
  /* Beside the LUID and status: the store's diff of every entry of every poll
   * reads these three only, the entry's first 16 bytes (issue 17). */
  uint32_t process_count;    /* processes whose primary token is of this LUID */
  uint32_t logon_type;       /* enum lw_logon_type, or any other number */
  uint32_t terminal_session; /* SECURITY_LOGON_SESSION_DATA.Session */
  int64_t logon_time;        /* ms since epoch, or LW_TIME_UNKNOWN */
  const char *user;
  const char *domain;
  const char *sid; /* S-1-5-... */
  const char *auth_package;
  const char *logon_server;
  const char *dns_domain;
  const char *upn;
};

struct lw_wts_session {
  uint32_t id;
  uint32_t state; /* enum lw_wts_state */
  const char *station;
  const char *user;
  const char *domain;
  const char *client;         /* WTSClientName */
  const char *client_address; /* dotted IPv4 / IPv6 text, or NULL */
  int64_t logon_time;         /* ms since epoch, or LW_TIME_UNKNOWN */
  int64_t connect_time;
  int64_t disconnect_time;
};

struct lw_process {
  uint32_t pid;
  uint32_t session_id;   /* terminal session */
  uint64_t luid;         /* TokenStatistics.AuthenticationId, 0 if unknown */
  uint32_t token_status; /* 0 ok; else the Win32 error opening process/token */
  const char *image;     /* e.g. "explorer.exe" */
};

struct lw_arena; /* private: blocks of string storage */

struct lw_snapshot {
  int64_t taken_at;     /* ms since epoch, UTC */
  int64_t boot_time;    /* ms since epoch, UTC, of the boot this host is in */
  uint32_t duration_ms; /* how long the collection took */

  struct lw_logon_session *logons;
  size_t n_logons, cap_logons;
  struct lw_wts_session *wts;
  size_t n_wts, cap_wts;
  struct lw_process *procs;
  size_t n_procs, cap_procs;

  /* Counts of things that could not be read; not errors for the poll. */
  uint32_t logons_without_data; /* data_status != 0 */
  uint32_t processes_denied;    /* process or token would not open */

  struct lw_arena *arena;
};

/* Returns a new empty snapshot (taken_at and boot_time LW_TIME_UNKNOWN), or NULL
 * when out of memory. */
struct lw_snapshot *lw_snapshot_new(void);

/* Frees the snapshot, its arrays and every string it owns. NULL is fine. */
void lw_snapshot_free(struct lw_snapshot *s);

/* Appends a zeroed element (times LW_TIME_UNKNOWN) and returns it, or NULL when
 * out of memory. The pointer is valid until the next add to the same array. */
struct lw_logon_session *lw_snapshot_add_logon(struct lw_snapshot *s);
struct lw_wts_session *lw_snapshot_add_wts(struct lw_snapshot *s);
struct lw_process *lw_snapshot_add_process(struct lw_snapshot *s);

/* Copies a NUL-terminated UTF-8 string (or n bytes of one) into the snapshot's
 * arena. Returns NULL for a NULL input or when out of memory. */
const char *lw_snapshot_strdup(struct lw_snapshot *s, const char *str);
const char *lw_snapshot_strndup(struct lw_snapshot *s, const char *str, size_t n);

/* Converts n_units UTF-16 units (as utf16.h's lw_utf16_to_utf8) into a
 * NUL-terminated UTF-8 string owned by the snapshot's arena. Returns it; NULL
 * when str is NULL (the OS gave no value; an empty counted string gives "") or
 * when out of memory. */
const char *lw_snapshot_strdup_utf16(struct lw_snapshot *s, const uint16_t *str, size_t n_units);

/* Returns `size` bytes of uninitialised, unaligned storage in the snapshot's
 * arena (for collectors that build a string in place, e.g.
 * lw_snapshot_strdup_utf16), or NULL when out of memory. Freed with the snapshot. */
char *lw_snapshot_alloc(struct lw_snapshot *s, size_t size);

/* Sorts logons by LUID, WTS sessions by ID and processes by PID, then sets every
 * logon's process_count from the processes. Collectors call it last.
 * It also recomputes logons_without_data (logons with data_status != 0) and
 * processes_denied (processes with token_status != 0), so collectors record a
 * denied process as an element with token_status set (luid 0) rather than only
 * counting it. Cannot fail (no allocation); finishing twice changes nothing. */
void lw_snapshot_finish(struct lw_snapshot *s);

/* Binary search in a finished snapshot; NULL when absent. */
const struct lw_logon_session *lw_snapshot_find_logon(const struct lw_snapshot *s, uint64_t luid);
const struct lw_wts_session *lw_snapshot_find_wts(const struct lw_snapshot *s, uint32_t id);

/* Returns a new array of s->n_procs pointers into s->procs ordered by (luid, pid),
 * for listing each logon session's processes (`logonsessions -p`); the caller
 * frees it with free(). Valid until the process array changes. NULL when out of
 * memory (an empty snapshot gives a non-NULL array). */
const struct lw_process **lw_snapshot_procs_by_logon(const struct lw_snapshot *s);

/* In `by_logon` (n entries, from lw_snapshot_procs_by_logon), finds the processes
 * of `luid`: returns how many there are and sets *first (if not NULL) to the
 * index of the first of them. O(log n). */
size_t lw_snapshot_procs_of_logon(const struct lw_process *const *by_logon, size_t n, uint64_t luid,
                                  size_t *first);

/* Names: "RemoteInteractive", "Active", ... ; a number not in the enum gives
 * NULL from the _name functions (type 0 is "Undefined", the type LSA reports for
 * SYSTEM's own session). The _parse functions accept the names
 * (case-insensitive) and return 0, or LW_EUNKNOWN. */
const char *lw_logon_type_name(uint32_t type);
int lw_logon_type_parse(const char *name, uint32_t *out);
const char *lw_wts_state_name(uint32_t state);
int lw_wts_state_parse(const char *name, uint32_t *out);

#endif /* LW_SNAPSHOT_H */
