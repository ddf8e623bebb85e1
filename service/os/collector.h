/*
 * collector.h - one poll of the host: LSA logon sessions, WTS sessions and
 * processes, joined into a snapshot (common/snapshot.h).
 *
 * A collector lives as long as the service (or one `leakwatch sessions`
 * run). It keeps what must survive between polls: the LUID cache (session
 * data is immutable for a LUID within a boot, so LsaGetLogonSessionData is
 * called only for LUIDs not seen at the previous poll; a stable host costs one
 * enumeration and no data calls per poll), the process-list buffer, and the
 * boot time (read once, so every snapshot of this boot carries the same one).
 *
 * The three sources are collected independently: one failing never loses the
 * others. Each poll returns a snapshot of whatever could be collected plus a
 * report saying, per source, what failed (the call, its NTSTATUS or Win32
 * code, a sentence), from which the monitor writes event 1102 and
 * `leakwatch sessions` its error. A logon session whose data could not be read
 * (vanished between the two LSA calls, access denied) is not a failure: it is
 * in the snapshot with data_status set.
 *
 * The OS functions come from tables (os_api.h): NULL means the real ones;
 * tests pass fakes. Windows only; one thread at a time per collector.
 */
#ifndef LW_COLLECTOR_H
#define LW_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os_api.h"
#include "snapshot.h"

/* Where the tables come from; a NULL member means that source's system table
 * (lw_lsa_api_system() ...). The tables must outlive the collector. */
struct lw_collector_apis {
  const struct lw_lsa_api *lsa;
  const struct lw_wts_api *wts;
  const struct lw_process_api *proc;
};

enum lw_collect_source {
  LW_COLLECT_LSA = 0,   /* LSA logon sessions */
  LW_COLLECT_WTS,       /* WTS sessions */
  LW_COLLECT_PROCESSES, /* processes and their tokens */
  LW_COLLECT_SOURCES    /* how many */
};

/* What went wrong with one source in one poll. */
struct lw_collect_error {
  int code;          /* 0: collected; else LW_ENOPRIV, LW_EOS or LW_ENOMEM */
  char what[96];     /* the failing call and its object, e.g. "LsaEnumerateLogonSessions" */
  uint32_t os_code;  /* its NTSTATUS or Win32 error; 0 for LW_ENOMEM */
  bool is_ntstatus;  /* os_code is an NTSTATUS (else a Win32 error) */
  char os_text[16];  /* os_code as shown: "0xC0000022" (NTSTATUS) or "1722" (Win32) */
  char message[512]; /* one sentence, UTF-8, for the operator */
};

/* One poll's outcome, per source (indexed by enum lw_collect_source). */
struct lw_collect_report {
  struct lw_collect_error source[LW_COLLECT_SOURCES];
  unsigned failed; /* sources with code != 0 */
};

/* The sentence of the privilege error (LW_ENOPRIV), also used by the CLI. */
#define LW_COLLECT_PRIVILEGE_MESSAGE                                                               \
  "LeakWatch needs administrative rights (SeDebugPrivilege / member of Administrators) to "        \
  "enumerate logon sessions: run it elevated, or as the LeakWatch service (LocalSystem)"

struct lw_collector;

/* Opens a collector. apis may be NULL (every source uses the system table).
 * Reads the boot time once (NtQuerySystemInformation(SystemTimeOfDayInformation),
 * else now - GetTickCount64(); whole seconds). Returns 0 and *out (free with
 * lw_collector_close), LW_EINVAL for NULL out, or LW_ENOMEM (*out = NULL). */
int lw_collector_open(const struct lw_collector_apis *apis, struct lw_collector **out);

/* Takes one snapshot: LSA first (its enumeration is "the poll"), then WTS, then
 * processes; the snapshot is finished (lw_snapshot_finish: sorted, joined).
 * *report (required) is filled for every source.
 * Returns 0 when every source was collected. Otherwise returns the code of the
 * first source that failed, in the order LSA, WTS, processes (LW_ENOPRIV when
 * the caller lacks the rights, LW_EOS when a call failed, LW_ENOMEM), and *out
 * still holds a snapshot of what could be collected: the failed source's list
 * is empty or incomplete, so a caller must not conclude that its sessions
 * ended (see report). *out is NULL only when no snapshot could be allocated
 * (LW_ENOMEM) or on LW_EINVAL (NULL arguments). The caller owns *out and frees
 * it with lw_snapshot_free(). */
int lw_collector_poll(struct lw_collector *c, struct lw_snapshot **out,
                      struct lw_collect_report *report);

/* The boot time every snapshot of this collector carries (ms since epoch). */
int64_t lw_collector_boot_time(const struct lw_collector *c);

/* Frees the collector and its cache. NULL is fine. */
void lw_collector_close(struct lw_collector *c);

/* "LSA logon sessions", "WTS sessions", "processes" (static; "?" if unknown). */
const char *lw_collect_source_name(enum lw_collect_source source);

/* ---- Internal (lw__): the per-source collectors, used by collector.c ---- */

/* The LUID cache of collect_lsa.c. */
struct lw__lsa_cache;
int lw__lsa_cache_new(struct lw__lsa_cache **out);
void lw__lsa_cache_free(struct lw__lsa_cache *cache);
size_t lw__lsa_cache_size(const struct lw__lsa_cache *cache);

/* A reusable buffer for the process list. */
struct lw__proc_buffer {
  void *data;
  unsigned long size;
};

/* Each appends its source's elements to s and returns 0, or fills *err (and
 * returns its code) when the source failed; the cache is then left as it was
 * for LSA. Every OS buffer and handle is released before returning. */
int lw__collect_lsa(struct lw__lsa_cache *cache, const struct lw_lsa_api *api,
                    struct lw_snapshot *s, struct lw_collect_error *err);
int lw__collect_wts(const struct lw_wts_api *api, struct lw_snapshot *s,
                    struct lw_collect_error *err);
int lw__collect_processes(struct lw__proc_buffer *buf, const struct lw_process_api *api,
                          struct lw_snapshot *s, struct lw_collect_error *err);

/* Fills err (collect_error.c): code, what, the OS code and its text (message NULL: the
 * system's text for the code). Returns code. */
int lw__collect_fail(struct lw_collect_error *err, int code, const char *what, uint32_t os_code,
                     bool is_ntstatus, const char *message);

#endif /* LW_COLLECTOR_H */
