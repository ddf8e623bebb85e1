/*
 * fakehost_state.h - what the fake secur32.dll and wtsapi32.dll share.
 *
 * Both DLLs link fakehost_state.c statically, so each has its own copy of the
 * scenario (loaded on its first API call, never inside DllMain) and its own
 * table of the buffers it handed out. What must be one per process lives in a
 * named, pagefile-backed mapping `Local\leakwatch-fakehost-<pid>` that the
 * first DLL to attach creates and the other opens: the number of
 * LsaEnumerateLogonSessions calls (which is the step), the start step, the
 * counters of both DLLs and the load result. So the DLLs agree on the step
 * whatever order they load in, and either can write the whole stats file.
 *
 * Scenario: env LEAKWATCH_FAKEHOST, else `fakehost.yaml` beside the exe.
 * Start step: env LEAKWATCH_FAKEHOST_STEP (decimal, default 0).
 * Stats: env LEAKWATCH_FAKEHOST_STATS names a file rewritten, as `key=value`
 * lines, at the start of every LsaEnumerateLogonSessions call and when each
 * DLL detaches; without that variable, and when the scenario came from beside
 * the exe (a service, which gets no environment), `fakehost.stats` beside the
 * exe. The keys are listed in tests/fakehost/README.md.
 *
 * Also declares the WTSEnumerateSessionsExW types older mingw headers lack.
 * Windows-only; internal to tests/fakehost (lw__ names).
 */
#ifndef LW_FAKEHOST_STATE_H
#define LW_FAKEHOST_STATE_H

#include <windows.h>
#include <stdint.h>

#include "scenario.h"

/* WTS_SESSION_INFO_1W (wtsapi32.h, Windows 7+), under our own name. */
typedef struct lw_wts_session_info_1w {
  DWORD ExecEnvId;
  DWORD State; /* WTS_CONNECTSTATE_CLASS */
  DWORD SessionId;
  LPWSTR pSessionName;
  LPWSTR pHostName;
  LPWSTR pUserName;
  LPWSTR pDomainName;
  LPWSTR pFarmName;
} LW_WTS_SESSION_INFO_1W;

#define LW_WTS_TYPE_SESSION_INFO_LEVEL1 2 /* WTS_TYPE_CLASS WTSTypeSessionInfoLevel1 */
#define LW_WTS_IS_REMOTE_SESSION 29       /* WTS_INFO_CLASS WTSIsRemoteSession */

/* Which DLL this copy of the state belongs to. */
enum lw__fh_dll { LW__FH_SECUR32 = 0, LW__FH_WTSAPI32 = 1 };

/* Kinds of buffers handed out, so each is freed by the right function. */
enum lw__fh_kind {
  LW__FH_KIND_LSA = 1,    /* LsaFreeReturnBuffer */
  LW__FH_KIND_WTS = 2,    /* WTSFreeMemory */
  LW__FH_KIND_WTS_EX1 = 3 /* WTSFreeMemoryExW(WTSTypeSessionInfoLevel1, p, count) */
};

/* Per-process counters and state in the shared mapping. */
struct lw__fh_shared {
  volatile LONG64 lsa_enumerate_calls;
  volatile LONG64 lsa_data_calls;
  volatile LONG64 lsa_repeat_data_calls; /* data call for a LUID asked about before */
  volatile LONG64 lsa_data_failed;       /* scenario data_status returned */
  volatile LONG64 lsa_data_unknown;      /* LUID not alive: STATUS_NO_SUCH_LOGON_SESSION */
  volatile LONG64 lsa_buffers_allocated;
  volatile LONG64 lsa_buffers_freed;
  volatile LONG64 lsa_bad_frees;
  volatile LONG64 wts_enumerate_calls;    /* WTSEnumerateSessionsW */
  volatile LONG64 wts_enumerate_ex_calls; /* WTSEnumerateSessionsExW */
  volatile LONG64 wts_query_calls;
  volatile LONG64 wts_query_failed;
  volatile LONG64 wts_buffers_allocated;
  volatile LONG64 wts_buffers_freed;
  volatile LONG64 wts_bad_frees;
  volatile LONG64 api_errors; /* calls failed because the scenario did not load */
  /* Load result, set once by the first DLL that tries: 0 untried, 1 ok, 2 failed. */
  volatile LONG load_state;
  volatile LONG error_printed;
  uint32_t steps;
  uint32_t start_step;
  char scenario[1024]; /* UTF-8 path */
  char error[2048];    /* file:line:column: message, when load_state == 2 */
};

/* DllMain glue: attach creates/opens the shared mapping (no file access);
 * detach writes the stats file and, when the DLL is unloaded rather than the
 * process ending, frees everything. */
void lw__fh_attach(enum lw__fh_dll dll);
void lw__fh_detach(int process_ending);

/* Loads the scenario on first use. Returns it, or NULL after printing the
 * load error to stderr (once per process); then *win32_error is
 * ERROR_FILE_NOT_FOUND (no file) or ERROR_INVALID_DATA (bad file). */
const struct lw_scenario *lw__fh_scenario(DWORD *win32_error);

/* The shared counters (never NULL after attach, but may point at a private
 * fallback block when the mapping could not be made). */
struct lw__fh_shared *lw__fh_shared(void);

/* Step of the latest enumeration (the start step before the first), clamped
 * to the scenario's last step. Needs a loaded scenario. */
uint32_t lw__fh_current_step(const struct lw_scenario *sc);

/* Counts one LsaEnumerateLogonSessions call and returns the step it sees.
 * Before returning, plays the fault asked for at that call (see
 * lw__fh_fault), so the caller may never get the step. */
uint32_t lw__fh_next_step(const struct lw_scenario *sc);

/* Faults a test can ask of the host, outside the scenario (whose format is
 * fixed): `LEAKWATCH_FAKEHOST_FAULT`, or for a service (which gets no
 * environment) a file `fakehost.fault` beside the exe, holding
 * "exit-thread N" (the Nth LsaEnumerateLogonSessions call ends the calling
 * thread, as Wine's server does to a thread it drops), "hang N" (that call
 * never returns) or "delay N MS" (that call takes MS milliseconds more).
 * Read once per process. */
void lw__fh_fault(int64_t call);

/* Allocates `size` zeroed bytes from the process heap and records them as
 * handed out (kind, and for LW__FH_KIND_WTS_EX1 the entry count). Counts the
 * buffer for this DLL. Returns NULL when out of memory. */
void *lw__fh_alloc(size_t size, enum lw__fh_kind kind, uint32_t count);

/* Frees a buffer this DLL handed out, if `p` is one of kind `kind` (and, for
 * EX1, of `count` entries). Returns 1 when freed as asked; 0 when it was not
 * ours, already freed, or of another kind (a bad free, counted; a buffer of
 * ours freed the wrong way is still released so it is not also reported as
 * outstanding). NULL returns 1 and counts nothing. */
int lw__fh_free(void *p, enum lw__fh_kind kind, int check_count, uint32_t count);

/* Records that LsaGetLogonSessionData was asked about `luid`; returns 1 when
 * it had been asked before in this process. */
int lw__fh_note_luid(uint64_t luid);

/* (Re)writes the stats file, if there is one to write. */
void lw__fh_write_stats(void);

/* UTF-8 (NUL-terminated) to UTF-16: returns the number of units written to
 * `out` (no NUL added), at most `cap`; with out == NULL just counts. */
size_t lw__fh_utf16(const char *utf8, WCHAR *out, size_t cap);

/* FILETIME value (100 ns since 1601) of a Unix time in seconds. */
LONGLONG lw__fh_filetime(int64_t unix_seconds);

#endif /* LW_FAKEHOST_STATE_H */
