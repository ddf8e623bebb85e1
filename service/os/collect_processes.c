/*
 * collect_processes.c - the processes of one poll and the logon session of
 * each one's primary token, and the system process table.
 *
 * One system-wide enumeration: NtQuerySystemInformation(SystemProcessInformation)
 * gives every process's PID, image name (a counted string) and terminal
 * session ID in one call, with no handle and no per-process call for the
 * session (CreateToolhelp32Snapshot is built on the same call and would need
 * ProcessIdToSessionId for each process). Its buffer is kept by the collector
 * and grown when Windows says it is too small, so a steady host allocates
 * nothing here.
 *
 * For each process: OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION),
 * OpenProcessToken(TOKEN_QUERY), GetTokenInformation(TokenStatistics) for
 * AuthenticationId, the LUID of the logon session the process runs in; both
 * handles closed on every path. A process that denies access is recorded
 * with its Win32 error in token_status (counted, not fatal); one that exited
 * since the enumeration (OpenProcess: ERROR_INVALID_PARAMETER) is left out.
 * The idle process (PID 0) has no token: it is listed with LUID 0, status 0.
 */
#include <windows.h>
#include <winternl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "error.h"
#include "luid.h"
#include "utf16.h"
#include "win_error.h"

#define SYSTEM_PROCESS_INFORMATION_CLASS 5
#define FIRST_BUFFER_SIZE (256ul * 1024)
#define MAX_BUFFER_SIZE (256ul * 1024 * 1024)
#define MAX_TRIES 8 /* processes start between the calls; it settles fast */

/* ---- The system table ----------------------------------------------------- */

typedef NTSTATUS(NTAPI *nt_query_fn)(ULONG, PVOID, ULONG, PULONG);

static nt_query_fn nt_query;
static INIT_ONCE nt_query_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK resolve_nt_query(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  (void)once;
  (void)param;
  (void)ctx;
  if (ntdll != NULL)
    nt_query = (nt_query_fn)(void (*)(void))GetProcAddress(ntdll, "NtQuerySystemInformation");
  return TRUE;
}

static NTSTATUS NTAPI system_query(ULONG cls, PVOID buf, ULONG len, PULONG ret) {
  InitOnceExecuteOnce(&nt_query_once, resolve_nt_query, NULL, NULL);
  if (nt_query == NULL)
    return (NTSTATUS)LW_STATUS_NOT_IMPLEMENTED;
  return nt_query(cls, buf, len, ret);
}

static const struct lw_process_api system_process = {
    system_query, OpenProcess, OpenProcessToken, GetTokenInformation, CloseHandle,
};

const struct lw_process_api *lw_process_api_system(void) {
  return &system_process;
}

/* ---- One poll ------------------------------------------------------------- */

/* A Win32 error that is never 0 (a failing call that set none still failed). */
static uint32_t last_error(void) {
  DWORD e = GetLastError();
  return e != 0 ? (uint32_t)e : (uint32_t)ERROR_GEN_FAILURE;
}

/* Reads the LUID of pid's primary token into *luid. Returns 0, or the Win32
 * error of the call that failed. Every handle opened here is closed here. */
static uint32_t read_token(const struct lw_process_api *api, DWORD pid, uint64_t *luid) {
  HANDLE process, token = NULL;
  TOKEN_STATISTICS ts;
  DWORD got = 0;
  uint32_t rc = 0;

  *luid = 0;
  process = api->open_process(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (process == NULL)
    return last_error();
  if (!api->open_process_token(process, TOKEN_QUERY, &token)) {
    rc = last_error();
    token = NULL;
    goto cleanup;
  }
  if (!api->get_token_information(token, TokenStatistics, &ts, (DWORD)sizeof ts, &got)) {
    rc = last_error();
    goto cleanup;
  }
  *luid = lw_luid_from_parts((int32_t)ts.AuthenticationId.HighPart, ts.AuthenticationId.LowPart);

cleanup:
  if (token != NULL)
    api->close_handle(token);
  api->close_handle(process);
  return rc;
}

/* Fills buf with the process list. Returns the NTSTATUS (0 with *got bytes). */
static uint32_t query_list(struct lw__proc_buffer *buf, const struct lw_process_api *api,
                           ULONG *got, int *oom) {
  uint32_t st = LW_STATUS_INFO_LENGTH_MISMATCH;
  int tries;
  for (tries = 0; tries < MAX_TRIES; tries++) {
    ULONG need = 0;
    if (buf->data == NULL) {
      buf->data = malloc(FIRST_BUFFER_SIZE);
      if (buf->data == NULL) {
        *oom = 1;
        return LW_STATUS_INFO_LENGTH_MISMATCH;
      }
      buf->size = FIRST_BUFFER_SIZE;
    }
    *got = 0;
    st = (uint32_t)api->query_system_information(SYSTEM_PROCESS_INFORMATION_CLASS, buf->data,
                                                 (ULONG)buf->size, &need);
    if (st == 0) {
      *got = need <= buf->size ? need : (ULONG)buf->size;
      return 0;
    }
    if (st != LW_STATUS_INFO_LENGTH_MISMATCH && st != LW_STATUS_BUFFER_TOO_SMALL)
      return st;
    {
      /* Room for what Windows asked plus processes started meanwhile. */
      unsigned long want = buf->size * 2;
      void *p;
      if (need > buf->size && need < MAX_BUFFER_SIZE - 64ul * 1024 && need + 64ul * 1024 > want)
        want = need + 64ul * 1024;
      if (want > MAX_BUFFER_SIZE)
        return st;
      p = realloc(buf->data, want);
      if (p == NULL) {
        *oom = 1;
        return st;
      }
      buf->data = p;
      buf->size = want;
    }
  }
  return st;
}

int lw__collect_processes(struct lw__proc_buffer *buf, const struct lw_process_api *api,
                          struct lw_snapshot *s, struct lw_collect_error *err) {
  ULONG got = 0, off = 0;
  int oom = 0;
  uint32_t st = query_list(buf, api, &got, &oom);
  const unsigned char *base = buf->data;

  if (oom)
    return lw__collect_fail(err, LW_ENOMEM, "NtQuerySystemInformation(SystemProcessInformation)", 0,
                            false, "out of memory");
  if (st != 0)
    return lw__collect_fail(err, LW_EOS, "NtQuerySystemInformation(SystemProcessInformation)", st,
                            true, NULL);

  /* Entries are chained by NextEntryOffset; every offset is checked against
   * what was returned, so a broken list ends the walk instead of a crash. */
  while (got >= sizeof(SYSTEM_PROCESS_INFORMATION) &&
         off <= got - sizeof(SYSTEM_PROCESS_INFORMATION)) {
    const SYSTEM_PROCESS_INFORMATION *e = (const SYSTEM_PROCESS_INFORMATION *)(base + off);
    DWORD pid = (DWORD)(ULONG_PTR)e->UniqueProcessId;
    const unsigned char *name = (const unsigned char *)e->ImageName.Buffer;
    uint64_t luid = 0;
    uint32_t status = pid != 0 ? read_token(api, pid, &luid) : 0;

    if (status != ERROR_INVALID_PARAMETER) { /* else it exited meanwhile */
      struct lw_process *p = lw_snapshot_add_process(s);
      if (p == NULL) {
        oom = 1;
        break;
      }
      p->pid = (uint32_t)pid;
      p->session_id = (uint32_t)e->SessionId;
      p->luid = luid;
      p->token_status = status;
      /* The name lives inside the returned buffer; anything else is ignored. */
      if (name != NULL && name >= base && name <= base + got &&
          e->ImageName.Length <= (size_t)(base + got - name)) {
        p->image = lw_snapshot_strdup_utf16(s, (const uint16_t *)(const void *)name,
                                            lw_lsa_string_units(e->ImageName.Length));
        if (p->image == NULL) {
          oom = 1;
          break;
        }
      }
    }
    if (e->NextEntryOffset == 0 || e->NextEntryOffset > got - off ||
        e->NextEntryOffset % sizeof(void *) != 0)
      break;
    off += e->NextEntryOffset;
  }
  if (oom)
    return lw__collect_fail(err, LW_ENOMEM, "NtQuerySystemInformation(SystemProcessInformation)", 0,
                            false, "out of memory");
  return 0;
}
