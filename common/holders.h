/*
 * holders.h - who holds a logon session: the portable half of the holder scan.
 *
 * A logon session stays alive while any token of it exists. The holder scan
 * (service/os/holder_scan.c) walks the system handle table, duplicates every
 * Token handle of every other process and reads its AuthenticationId; it also
 * looks at Process handles to processes that have exited, whose primary token
 * lives as long as such a handle is open. This module is everything of that
 * scan that needs no Windows: the handle-table entry, the selection of Token
 * and Process handles, their grouping by owner process (each process is opened
 * once), the matching of the LUIDs read to the LUIDs of interest, the grouping
 * of what matched by LUID, and its one-line texts (the JSON and the table of
 * `leakwatch holders` are common/report/report_holders.c's).
 *
 * The OS work (open a process, read a handle) is done by callbacks
 * (struct lw_holders_probe), so the whole walk is unit-tested natively with
 * synthetic data and measured by tests/bench/bench_holders.c.
 *
 * Strings are UTF-8. Not thread-safe; one owner per matcher and per result.
 */
#ifndef LW_HOLDERS_H
#define LW_HOLDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TOKEN_TYPE (winnt.h). */
#define LW_TOKEN_PRIMARY 1u
#define LW_TOKEN_IMPERSONATION 2u

/* One entry of NtQuerySystemInformation(SystemExtendedHandleInformation),
 * laid out exactly as Windows x64's SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX (40
 * bytes), so the scanner walks the OS buffer in place. */
struct lw_handle_entry {
  uint64_t object;     /* kernel address of the object; 0 when hidden (Wine) */
  uint64_t pid;        /* UniqueProcessId: the process owning the handle */
  uint64_t handle;     /* HandleValue, in the owner's handle table */
  uint32_t access;     /* GrantedAccess */
  uint16_t back_trace; /* CreatorBackTraceIndex */
  uint16_t type_index; /* ObjectTypeIndex */
  uint32_t attributes; /* HandleAttributes */
  uint32_t reserved;
};

/* The handle-table type indices of the two object types the scan reads (they
 * differ between Windows versions and under Wine; the scanner resolves them by
 * name). 0 means "none": process 0 skips the search for exited processes. */
struct lw_holders_types {
  uint16_t token;
  uint16_t process;
};

/* One process that keeps a logon session alive.
 * - A token holder (exited_process false): `pid` holds `tokens` handles to
 *   tokens of the session.
 * - An exited process (exited_process true): process `pid` has exited, but
 *   `held_by_pid` keeps `process_handles` handles to it open, so its primary
 *   token (one token of the session: tokens = 1) lives on. */
struct lw_holder {
  uint32_t pid;
  const char *image;    /* full image path, or NULL when it could not be read */
  const char *services; /* services hosted, "A, B" (sorted), or NULL for none */
  uint32_t tokens;
  uint32_t primary_tokens;
  uint32_t impersonation_tokens;
  bool exited_process;
  uint32_t held_by_pid;         /* exited_process only, else 0 */
  const char *held_by_image;    /* exited_process only, may be NULL */
  const char *held_by_services; /* exited_process only, may be NULL */
  uint32_t process_handles;     /* exited_process only */
};

/* Everything found for one LUID. Holders: token holders first, most tokens
 * first (then by PID), then exited processes by PID. */
struct lw_holders_session {
  uint64_t luid;
  uint32_t tokens; /* sum of the holders' tokens */
  struct lw_holder *holders;
  size_t n_holders;
};

/* What a scan looked at and what it cost. */
struct lw_holders_cost {
  uint64_t handles_seen;              /* entries in the handle table */
  uint32_t token_handles;             /* Token handles of other processes */
  uint32_t token_handles_inspected;   /* duplicated and read */
  uint32_t token_handles_denied;      /* DuplicateHandle or the read refused */
  uint32_t process_handles;           /* Process handles of other processes */
  uint32_t process_handles_inspected; /* duplicated and read (not from the cache) */
  uint32_t process_handles_denied;    /* DuplicateHandle or a read refused */
  uint32_t processes;                 /* owner processes with such handles (not self) */
  uint32_t processes_inspected;       /* opened for PROCESS_DUP_HANDLE */
  uint32_t processes_not_inspectable; /* refused: protected, PPL, System, denied */
  uint32_t processes_gone;            /* exited between enumeration and opening */
  uint32_t processes_skipped;         /* not reached before the deadline */
  uint32_t handles_gone;              /* closed between enumeration and duplication */
  uint32_t errors;                    /* other failed calls (the scan went on) */
  uint32_t elapsed_ms;                /* set by the scanner */
  uint32_t buffer_bytes;              /* size of the handle-table buffer, ditto */
  bool partial;                       /* stopped at the deadline */
  bool debug_privilege;               /* SeDebugPrivilege was enabled for it */
};

/* The outcome of one scan: sessions sorted by LUID, each with its holders.
 * Only LUIDs with at least one holder appear. Owned by the caller; free with
 * lw_holders_result_free. */
struct lw__holders_store;

struct lw_holders_result {
  int64_t scanned_at; /* ms since epoch UTC (LW_TIME_UNKNOWN until set) */
  struct lw_holders_session *sessions;
  size_t n_sessions;
  struct lw_holders_cost cost;
  struct lw__holders_store *store; /* private: holders, strings, records */
};

/* ---- Results -------------------------------------------------------------- */

/* Returns 0 and a new empty result in *out, or LW_ENOMEM / LW_EINVAL (*out
 * NULL). */
int lw_holders_result_new(struct lw_holders_result **out);

/* Frees a result and every string it owns. NULL is fine. */
void lw_holders_result_free(struct lw_holders_result *r);

/* The session of `luid` in r, or NULL when the scan found no holder of it. */
const struct lw_holders_session *lw_holders_find(const struct lw_holders_result *r, uint64_t luid);

/* ---- The walk --------------------------------------------------------------- */

/* What the probe says about the process a Process handle refers to. */
struct lw_holders_target {
  uint32_t pid;      /* the process the handle refers to */
  bool exited;       /* it has exited (its object lives on) */
  uint64_t luid;     /* exited only: its primary token's AuthenticationId */
  const char *image; /* exited only: its image path or NULL; valid until the next probe call */
};

/* The OS side of the walk. The matcher calls, per owner process (in PID order,
 * each once): open_process, then read_token / read_process for each of its
 * Token / Process handles, describe_process if something in it matched, and
 * close_process whenever open_process returned 0. Return codes:
 *   0 success; LW_EACCES or LW_ENOPRIV refused (a process: "not inspectable";
 *   a token: counted denied); LW_EGONE the process exited or the handle was
 *   closed since the enumeration; LW_ENOMEM aborts the walk; anything else is
 *   counted in cost.errors and the walk goes on.
 * Strings returned stay valid until the next probe call; the matcher copies. */
struct lw_holders_probe {
  void *ctx;
  int (*open_process)(void *ctx, uint32_t pid);
  int (*read_token)(void *ctx, uint64_t handle, uint64_t *luid, uint32_t *token_type);
  int (*read_process)(void *ctx, uint64_t handle, struct lw_holders_target *target);
  /* Image path and services of the open process; either may be set to NULL. */
  int (*describe_process)(void *ctx, const char **image, const char **services);
  void (*close_process)(void *ctx);
  /* Returns true when the scan's deadline has passed; NULL: no deadline. */
  bool (*expired)(void *ctx);
};

/* Reusable buffers of the walk (selected handles, a cache of Process objects
 * already examined, the LUID set), kept between scans by the scanner. */
struct lw_holders_matcher;

/* Returns 0 and *out, or LW_ENOMEM / LW_EINVAL. Free with lw_holders_matcher_free. */
int lw_holders_matcher_new(struct lw_holders_matcher **out);
void lw_holders_matcher_free(struct lw_holders_matcher *m);

/* Walks `n` handle-table entries (read only, in place) and fills `res` (a new
 * or reused result: its sessions and cost are replaced, scanned_at kept).
 *  - Token entries (types->token) and Process entries (types->process, if not
 *    0) of every process but `self_pid` are selected and grouped by owner PID.
 *  - luids: the LUIDs of interest (any order, duplicates fine); NULL means
 *    every LUID. n_luids 0 with a non-NULL luids matches nothing (and calls
 *    no probe function).
 *  - A Process handle's verdict is cached by its `object` when that is not 0,
 *    so a process referred to by many handles is examined once per walk.
 * Returns 0 (a walk stopped by probe->expired is a success with cost.partial
 * set and cost.processes_skipped counted), LW_EINVAL for NULL arguments, or
 * LW_ENOMEM (res then holds no sessions). */
int lw_holders_match(struct lw_holders_matcher *m, const struct lw_handle_entry *entries, size_t n,
                     const struct lw_holders_types *types, uint32_t self_pid, const uint64_t *luids,
                     size_t n_luids, const struct lw_holders_probe *probe,
                     struct lw_holders_result *res);

/* ---- Text ----------------------------------------------------------------- */

/* Said when a scan found no holder of a leaked session. */
#define LW_HOLDERS_NONE_TEXT "no token handle found"
#define LW_HOLDERS_NONE_HINT                                                                       \
  "no token handle found: the session is likely held by an SSPI credential handle or a "           \
  "kernel reference, which a user-mode scan cannot see (README.md in the LeakWatch program "       \
  "folder, Runbook: SeTokenLeakDiag)"

/* The file name part of a Windows or POSIX path ("C:\x\a.exe" -> "a.exe"); the
 * path itself when it has no separator; "?" for NULL. Never NULL. */
const char *lw_holders_basename(const char *path);

/* "primary", "impersonation", "primary, impersonation", or "none" (static). */
const char *lw_holder_token_types(const struct lw_holder *h);

/* One holder in a sentence, e.g.
 *   TokenGrabber.exe (PID 4412, service TokenGrabber) holds 3 tokens
 *   exited X.exe (PID 96) held open by Y.exe (PID 7)
 * Writes at most `size` bytes including the NUL (size > 0). Returns 0, or
 * LW_ENOSPC when truncated (the text then ends with "..."); LW_EINVAL for NULL. */
int lw_holder_format(const struct lw_holder *h, char *buf, size_t size);

/* All holders of `luid` in r, joined with "; " (at most 5, then "and N more
 * processes"), or LW_HOLDERS_NONE_TEXT when r has none ("... (scan
 * incomplete)" when the scan stopped at its deadline). r NULL is "no scan".
 * Same return values as lw_holder_format. */
int lw_holders_format_summary(const struct lw_holders_result *r, uint64_t luid, char *buf,
                              size_t size);

#endif /* LW_HOLDERS_H */
