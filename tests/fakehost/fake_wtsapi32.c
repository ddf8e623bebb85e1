/*
 * fake_wtsapi32.c - a wtsapi32.dll that plays a scenario's WTS sessions
 * (tests/fakehost/; exports in wtsapi32.def).
 *
 * Only the local server exists: hServer must be WTS_CURRENT_SERVER_HANDLE
 * (NULL), anything else fails with ERROR_INVALID_HANDLE. The sessions are
 * those alive at the step of the latest LsaEnumerateLogonSessions call (the
 * start step before any). WTS strings are NUL-terminated, as Windows returns
 * them; an absent user/domain/client reads as "". Times follow scenario.h;
 * the client address is always AF_UNSPEC (the format has none). A session ID
 * not alive now fails with ERROR_CTX_WINSTATION_NOT_FOUND, as on Windows.
 * WTSEnumerateSessionsExW supports level 1 only, and its buffer must be
 * freed with WTSFreeMemoryExW(WTSTypeSessionInfoLevel1, p, count); everything
 * else with WTSFreeMemory. Wrong or unknown frees are counted as bad frees.
 */
#include "fakehost_state.h"

#include <wtsapi32.h>
#include <string.h>

#ifndef AF_UNSPEC
#define AF_UNSPEC 0
#endif

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved);

/* Exported as WTSEnumerateSessionsExW / WTSFreeMemoryExW (see wtsapi32.def):
 * defined under our own names so they never clash with a header that does
 * declare them with its own types. */
BOOL WINAPI lw_fake_WTSEnumerateSessionsExW(HANDLE hServer, DWORD *pLevel, DWORD Filter,
                                            LW_WTS_SESSION_INFO_1W **ppSessionInfo, DWORD *pCount);
BOOL WINAPI lw_fake_WTSFreeMemoryExW(int WTSTypeClass, PVOID pMemory, ULONG NumberOfEntries);
VOID WINAPI lw_fake_WTSCloseServer(HANDLE hServer);

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved) {
  if (reason == DLL_PROCESS_ATTACH) {
    DisableThreadLibraryCalls(inst);
    lw__fh_attach(LW__FH_WTSAPI32);
  } else if (reason == DLL_PROCESS_DETACH) {
    lw__fh_detach(reserved != NULL);
  }
  return TRUE;
}

static const char *or_empty(const char *s) {
  return s != NULL ? s : "";
}

/* UTF-16 units of a string plus its NUL. */
static size_t wlen(const char *s) {
  return lw__fh_utf16(or_empty(s), NULL, 0) + 1;
}

/* Writes a NUL-terminated copy at *cursor (room checked by the caller's
 * sizing) and returns where it starts. */
static WCHAR *put(WCHAR **cursor, const char *s) {
  WCHAR *start = *cursor;
  size_t n = lw__fh_utf16(or_empty(s), start, LW_SCENARIO_MAX_STRING_UNITS);
  start[n] = L'\0';
  *cursor = start + n + 1;
  return start;
}

/* Copies into a fixed WCHAR array, truncating (never inside a surrogate
 * pair) and always NUL-terminating, as the fixed-size WTS structs do. */
static void put_fixed(WCHAR *dst, size_t cap, const char *s) {
  size_t units = lw__fh_utf16(or_empty(s), NULL, 0), n = units;
  WCHAR *buf = HeapAlloc(GetProcessHeap(), 0, (units + 1) * sizeof(WCHAR));
  dst[0] = L'\0';
  if (buf == NULL) {
    return;
  }
  lw__fh_utf16(or_empty(s), buf, units);
  if (n > cap - 1) {
    n = cap - 1;
    if (n > 0 && buf[n - 1] >= 0xD800 && buf[n - 1] <= 0xDBFF) {
      n--;
    }
  }
  memcpy(dst, buf, n * sizeof(WCHAR));
  dst[n] = L'\0';
  HeapFree(GetProcessHeap(), 0, buf);
}

static int is_rdp(const struct lw_scenario_wts *e) {
  return _strnicmp(e->station, "RDP", 3) == 0;
}

static LONGLONG wts_time(const struct lw_scenario *sc, const struct lw_scenario_wts *e, int which) {
  /* which: 0 logon, 1 connect, 2 disconnect */
  if (e->user == NULL) {
    return 0;
  }
  if (which == 2 && e->state != WTSDisconnected) {
    return 0;
  }
  if (which == 0) {
    return lw__fh_filetime(lw_scenario_step_time(lw_scenario_wts_logon_step(sc, e)));
  }
  return lw__fh_filetime(lw_scenario_step_time(e->from));
}

/* Common checks; returns the scenario, or NULL with the last error set. */
static const struct lw_scenario *begin(HANDLE server) {
  const struct lw_scenario *sc;
  DWORD err = 0;
  if (server != WTS_CURRENT_SERVER_HANDLE) {
    SetLastError(ERROR_INVALID_HANDLE);
    return NULL;
  }
  sc = lw__fh_scenario(&err);
  if (sc == NULL) {
    SetLastError(err);
  }
  return sc;
}

/* The WTS sessions of the current step, in a heap array (HeapFree) with *n
 * entries; NULL (ERROR_NOT_ENOUGH_MEMORY set) when out of memory. */
static const struct lw_scenario_wts **alive_now(const struct lw_scenario *sc, size_t *n) {
  uint32_t step = lw__fh_current_step(sc);
  const struct lw_scenario_wts **alive;
  *n = lw_scenario_wts_at(sc, step, NULL, 0);
  alive = HeapAlloc(GetProcessHeap(), 0, (*n ? *n : 1) * sizeof *alive);
  if (alive == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  lw_scenario_wts_at(sc, step, alive, *n);
  return alive;
}

BOOL WINAPI WTSEnumerateSessionsW(HANDLE hServer, DWORD Reserved, DWORD Version,
                                  PWTS_SESSION_INFOW *ppSessionInfo, DWORD *pCount) {
  const struct lw_scenario *sc;
  const struct lw_scenario_wts **alive = NULL;
  WTS_SESSION_INFOW *out;
  WCHAR *cursor;
  size_t n, i, size;
  BOOL ok = FALSE;

  if (ppSessionInfo == NULL || pCount == NULL || Reserved != 0 || Version != 1) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  *ppSessionInfo = NULL;
  *pCount = 0;
  sc = begin(hServer);
  if (sc == NULL) {
    return FALSE;
  }
  InterlockedIncrement64(&lw__fh_shared()->wts_enumerate_calls);
  alive = alive_now(sc, &n);
  if (alive == NULL)
    goto cleanup;
  size = n * sizeof *out;
  for (i = 0; i < n; i++) {
    size += wlen(alive[i]->station) * sizeof(WCHAR);
  }
  out = lw__fh_alloc(size, LW__FH_KIND_WTS, 0);
  if (out == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    goto cleanup;
  }
  cursor = (WCHAR *)(out + n);
  for (i = 0; i < n; i++) {
    out[i].SessionId = alive[i]->id;
    out[i].State = (WTS_CONNECTSTATE_CLASS)alive[i]->state;
    out[i].pWinStationName = put(&cursor, alive[i]->station);
  }
  *ppSessionInfo = out;
  *pCount = (DWORD)n;
  ok = TRUE;
cleanup:
  if (alive != NULL) {
    HeapFree(GetProcessHeap(), 0, (void *)alive);
  }
  return ok;
}

BOOL WINAPI lw_fake_WTSEnumerateSessionsExW(HANDLE hServer, DWORD *pLevel, DWORD Filter,
                                            LW_WTS_SESSION_INFO_1W **ppSessionInfo, DWORD *pCount) {
  const struct lw_scenario *sc;
  const struct lw_scenario_wts **alive = NULL;
  LW_WTS_SESSION_INFO_1W *out;
  WCHAR *cursor;
  size_t n, i, size;
  BOOL ok = FALSE;

  if (pLevel == NULL || *pLevel != 1 || Filter != 0 || ppSessionInfo == NULL || pCount == NULL) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  *ppSessionInfo = NULL;
  *pCount = 0;
  sc = begin(hServer);
  if (sc == NULL) {
    return FALSE;
  }
  InterlockedIncrement64(&lw__fh_shared()->wts_enumerate_ex_calls);
  alive = alive_now(sc, &n);
  if (alive == NULL)
    goto cleanup;
  size = n * sizeof *out;
  for (i = 0; i < n; i++) {
    size +=
        (wlen(alive[i]->station) + wlen(alive[i]->user) + wlen(alive[i]->domain)) * sizeof(WCHAR);
    if (sc->host != NULL) {
      size += wlen(sc->host) * sizeof(WCHAR);
    }
  }
  out = lw__fh_alloc(size, LW__FH_KIND_WTS_EX1, (uint32_t)n);
  if (out == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    goto cleanup;
  }
  cursor = (WCHAR *)(out + n);
  for (i = 0; i < n; i++) {
    out[i].ExecEnvId = alive[i]->id;
    out[i].State = alive[i]->state;
    out[i].SessionId = alive[i]->id;
    out[i].pSessionName = put(&cursor, alive[i]->station);
    out[i].pHostName = sc->host != NULL ? put(&cursor, sc->host) : NULL;
    /* Windows gives NULL, not "", for a session without a user */
    out[i].pUserName = alive[i]->user != NULL ? put(&cursor, alive[i]->user) : NULL;
    out[i].pDomainName = alive[i]->user != NULL ? put(&cursor, alive[i]->domain) : NULL;
    out[i].pFarmName = NULL;
  }
  *ppSessionInfo = out;
  *pCount = (DWORD)n;
  *pLevel = 1; /* [in, out] in the API; it stays 1 */
  ok = TRUE;
cleanup:
  if (alive != NULL) {
    HeapFree(GetProcessHeap(), 0, (void *)alive);
  }
  return ok;
}

/* Hands out a copy of `len` bytes as a WTS buffer. */
static BOOL give(const void *data, size_t len, LPWSTR *ppBuffer, DWORD *pBytes) {
  void *p = lw__fh_alloc(len, LW__FH_KIND_WTS, 0);
  if (p == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return FALSE;
  }
  memcpy(p, data, len);
  *ppBuffer = p;
  *pBytes = (DWORD)len;
  return TRUE;
}

static BOOL give_string(const char *s, LPWSTR *ppBuffer, DWORD *pBytes) {
  size_t units = wlen(s);
  WCHAR *p = lw__fh_alloc(units * sizeof(WCHAR), LW__FH_KIND_WTS, 0);
  WCHAR *cursor = p;
  if (p == NULL) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return FALSE;
  }
  put(&cursor, s);
  *ppBuffer = p;
  *pBytes = (DWORD)(units * sizeof(WCHAR));
  return TRUE;
}

static BOOL give_dword(DWORD v, LPWSTR *ppBuffer, DWORD *pBytes) {
  return give(&v, sizeof v, ppBuffer, pBytes);
}

static BOOL give_ushort(USHORT v, LPWSTR *ppBuffer, DWORD *pBytes) {
  return give(&v, sizeof v, ppBuffer, pBytes);
}

BOOL WINAPI WTSQuerySessionInformationW(HANDLE hServer, DWORD SessionId,
                                        WTS_INFO_CLASS WTSInfoClass, LPWSTR *ppBuffer,
                                        DWORD *pBytesReturned) {
  struct lw__fh_shared *sh;
  const struct lw_scenario *sc;
  const struct lw_scenario_wts *e;
  uint32_t step;
  BOOL ok;

  if (ppBuffer == NULL || pBytesReturned == NULL) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  *ppBuffer = NULL;
  *pBytesReturned = 0;
  sc = begin(hServer);
  if (sc == NULL) {
    return FALSE;
  }
  sh = lw__fh_shared();
  InterlockedIncrement64(&sh->wts_query_calls);
  if (SessionId == WTS_CURRENT_SESSION) {
    DWORD own = 0;
    ProcessIdToSessionId(GetCurrentProcessId(), &own);
    SessionId = own;
  }
  step = lw__fh_current_step(sc);
  e = lw_scenario_find_wts(sc, step, SessionId);
  if (e == NULL) {
    InterlockedIncrement64(&sh->wts_query_failed);
    SetLastError(ERROR_CTX_WINSTATION_NOT_FOUND);
    return FALSE;
  }
  switch ((int)WTSInfoClass) {
  case WTSInitialProgram:
  case WTSApplicationName:
  case WTSWorkingDirectory:
  case WTSOEMId:
  case WTSClientDirectory:
    ok = give_string("", ppBuffer, pBytesReturned);
    break;
  case WTSSessionId:
    ok = give_dword(e->id, ppBuffer, pBytesReturned);
    break;
  case WTSUserName:
    ok = give_string(e->user, ppBuffer, pBytesReturned);
    break;
  case WTSWinStationName:
    ok = give_string(e->station, ppBuffer, pBytesReturned);
    break;
  case WTSDomainName:
    ok = give_string(e->domain, ppBuffer, pBytesReturned);
    break;
  case WTSConnectState:
    ok = give_dword(e->state, ppBuffer, pBytesReturned);
    break;
  case WTSClientBuildNumber:
  case WTSClientHardwareId:
    ok = give_dword(0, ppBuffer, pBytesReturned);
    break;
  case WTSClientName:
    ok = give_string(e->client, ppBuffer, pBytesReturned);
    break;
  case WTSClientProductId:
    ok = give_ushort(0, ppBuffer, pBytesReturned);
    break;
  case WTSClientProtocolType:
    ok = give_ushort(is_rdp(e) ? WTS_PROTOCOL_TYPE_RDP : WTS_PROTOCOL_TYPE_CONSOLE, ppBuffer,
                     pBytesReturned);
    break;
  case WTSClientAddress: {
    WTS_CLIENT_ADDRESS a;
    memset(&a, 0, sizeof a);
    a.AddressFamily = AF_UNSPEC;
    ok = give(&a, sizeof a, ppBuffer, pBytesReturned);
    break;
  }
  case WTSClientDisplay: {
    WTS_CLIENT_DISPLAY d;
    memset(&d, 0, sizeof d);
    ok = give(&d, sizeof d, ppBuffer, pBytesReturned);
    break;
  }
  case WTSClientInfo: {
    WTSCLIENTW c;
    memset(&c, 0, sizeof c);
    put_fixed(c.ClientName, CLIENTNAME_LENGTH + 1, e->client);
    put_fixed(c.Domain, DOMAIN_LENGTH + 1, e->domain);
    put_fixed(c.UserName, USERNAME_LENGTH + 1, e->user);
    c.ClientAddressFamily = AF_UNSPEC;
    ok = give(&c, sizeof c, ppBuffer, pBytesReturned);
    break;
  }
  case WTSSessionInfo: {
    WTSINFOW w;
    memset(&w, 0, sizeof w);
    w.State = (WTS_CONNECTSTATE_CLASS)e->state;
    w.SessionId = e->id;
    put_fixed(w.WinStationName, WINSTATIONNAME_LENGTH, e->station);
    put_fixed(w.Domain, DOMAIN_LENGTH, e->domain);
    put_fixed(w.UserName, USERNAME_LENGTH + 1, e->user);
    w.LogonTime.QuadPart = wts_time(sc, e, 0);
    w.ConnectTime.QuadPart = wts_time(sc, e, 1);
    w.DisconnectTime.QuadPart = wts_time(sc, e, 2);
    w.LastInputTime.QuadPart = 0;
    w.CurrentTime.QuadPart = lw__fh_filetime(lw_scenario_step_time(step));
    ok = give(&w, sizeof w, ppBuffer, pBytesReturned);
    break;
  }
  case LW_WTS_IS_REMOTE_SESSION: {
    BOOL remote = is_rdp(e);
    ok = give(&remote, sizeof remote, ppBuffer, pBytesReturned);
    break;
  }
  default:
    SetLastError(ERROR_NOT_SUPPORTED);
    ok = FALSE;
    break;
  }
  if (!ok) {
    InterlockedIncrement64(&sh->wts_query_failed);
  }
  return ok;
}

VOID WINAPI WTSFreeMemory(PVOID pMemory) {
  lw__fh_free(pMemory, LW__FH_KIND_WTS, 0, 0);
}

BOOL WINAPI lw_fake_WTSFreeMemoryExW(int WTSTypeClass, PVOID pMemory, ULONG NumberOfEntries) {
  if (WTSTypeClass != LW_WTS_TYPE_SESSION_INFO_LEVEL1) {
    /* process-info buffers never come from this fake: any such free is bad */
    lw__fh_free(pMemory, LW__FH_KIND_WTS_EX1, 1, (uint32_t)-1);
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  if (pMemory == NULL) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  if (!lw__fh_free(pMemory, LW__FH_KIND_WTS_EX1, 1, NumberOfEntries)) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  return TRUE;
}

/* An extra, harmless export: there is only the local server to close. */
VOID WINAPI lw_fake_WTSCloseServer(HANDLE hServer) {
  (void)hServer;
}
