/*
 * fake_secur32.c - a secur32.dll that plays a scenario's LSA logon sessions
 * (tests/fakehost/; exports in secur32.def).
 *
 * LsaEnumerateLogonSessions moves the simulated host one step on and returns
 * the LUIDs alive there (file order). LsaGetLogonSessionData answers for a
 * LUID alive at the current step with one heap block holding the
 * SECURITY_LOGON_SESSION_DATA, the binary SID and the strings; every
 * LSA_UNICODE_STRING is counted (MaximumLength == Length), NOT NUL-terminated
 * and followed by non-zero garbage (0x5858 units), as Windows is allowed to
 * return it. An optional string the scenario leaves out (upn, logon_server,
 * dns_domain) comes back as Length 0 with a NULL Buffer; an empty string
 * written in the scenario as Length 0 with a non-NULL Buffer. A missing `sid`
 * gives Sid == NULL. Every buffer is tracked: LsaFreeReturnBuffer of anything
 * else is a counted bad free.
 */
#include "fakehost_state.h"

#include <ntsecapi.h>
#include <string.h>

#define ST_SUCCESS ((NTSTATUS)0x00000000L)
#define ST_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#define ST_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define ST_NO_MEMORY ((NTSTATUS)0xC0000017L)
#define ST_NO_SUCH_LOGON_SESSION ((NTSTATUS)0xC000005FL)

#define GARBAGE_BYTES 8   /* after each string */
#define GARBAGE_BYTE 0x58 /* 'X': units of 0x5858, never 0 */

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved);

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved) {
  if (reason == DLL_PROCESS_ATTACH) {
    DisableThreadLibraryCalls(inst);
    lw__fh_attach(LW__FH_SECUR32);
  } else if (reason == DLL_PROCESS_DETACH) {
    lw__fh_detach(reserved != NULL);
  }
  return TRUE;
}

static size_t align8(size_t n) {
  return (n + 7) & ~(size_t)7;
}

NTSTATUS NTAPI LsaEnumerateLogonSessions(PULONG LogonSessionCount, PLUID *LogonSessionList) {
  const struct lw_scenario *sc;
  const struct lw_scenario_logon **alive = NULL;
  LUID *list;
  DWORD err;
  size_t n, i;
  uint32_t step;
  NTSTATUS st = ST_SUCCESS;

  if (LogonSessionCount == NULL || LogonSessionList == NULL) {
    return ST_INVALID_PARAMETER;
  }
  *LogonSessionCount = 0;
  *LogonSessionList = NULL;
  sc = lw__fh_scenario(&err);
  if (sc == NULL) {
    return ST_UNSUCCESSFUL;
  }
  lw__fh_write_stats(); /* what the previous poll left behind */
  step = lw__fh_next_step(sc);
  n = lw_scenario_logons_at(sc, step, NULL, 0);
  alive = HeapAlloc(GetProcessHeap(), 0, (n ? n : 1) * sizeof *alive);
  list = lw__fh_alloc((n ? n : 1) * sizeof *list, LW__FH_KIND_LSA, 0);
  if (alive == NULL || list == NULL) {
    lw__fh_free(list, LW__FH_KIND_LSA, 0, 0);
    st = ST_NO_MEMORY;
    goto cleanup;
  }
  lw_scenario_logons_at(sc, step, alive, n);
  for (i = 0; i < n; i++) {
    list[i].LowPart = (DWORD)(alive[i]->luid & 0xffffffffu);
    list[i].HighPart = (LONG)(DWORD)(alive[i]->luid >> 32);
  }
  *LogonSessionCount = (ULONG)n;
  *LogonSessionList = list;
cleanup:
  if (alive != NULL) {
    HeapFree(GetProcessHeap(), 0, (void *)alive);
  }
  return st;
}

/* The strings of one session, in the order they are laid out. */
enum { S_USER, S_DOMAIN, S_AUTH, S_SERVER, S_DNS, S_UPN, S_COUNT };

NTSTATUS NTAPI LsaGetLogonSessionData(PLUID LogonId,
                                      PSECURITY_LOGON_SESSION_DATA *ppLogonSessionData) {
  struct lw__fh_shared *sh;
  const struct lw_scenario *sc;
  const struct lw_scenario_logon *e;
  const char *text[S_COUNT];
  size_t units[S_COUNT], off[S_COUNT], sid_off = 0, size, i;
  LSA_UNICODE_STRING *dst[S_COUNT];
  SECURITY_LOGON_SESSION_DATA *d;
  unsigned char *base;
  uint64_t luid;
  DWORD err;

  if (LogonId == NULL || ppLogonSessionData == NULL) {
    return ST_INVALID_PARAMETER;
  }
  *ppLogonSessionData = NULL;
  sc = lw__fh_scenario(&err);
  if (sc == NULL) {
    return ST_UNSUCCESSFUL;
  }
  sh = lw__fh_shared();
  luid = ((uint64_t)(DWORD)LogonId->HighPart << 32) | LogonId->LowPart;
  InterlockedIncrement64(&sh->lsa_data_calls);
  if (lw__fh_note_luid(luid)) {
    InterlockedIncrement64(&sh->lsa_repeat_data_calls);
  }
  e = lw_scenario_find_logon(sc, lw__fh_current_step(sc), luid);
  if (e == NULL) {
    InterlockedIncrement64(&sh->lsa_data_unknown);
    return ST_NO_SUCH_LOGON_SESSION;
  }
  if (e->data_status != 0) {
    InterlockedIncrement64(&sh->lsa_data_failed);
    return (NTSTATUS)e->data_status;
  }

  text[S_USER] = e->user;
  text[S_DOMAIN] = e->domain;
  text[S_AUTH] = e->auth_package;
  text[S_SERVER] = e->logon_server;
  text[S_DNS] = e->dns_domain;
  text[S_UPN] = e->upn;
  size = align8(sizeof *d);
  if (e->sid != NULL) {
    sid_off = size;
    size = align8(size + 8 + 4 * (size_t)e->sid_parts.sub_count);
  }
  for (i = 0; i < S_COUNT; i++) {
    units[i] = text[i] != NULL ? lw__fh_utf16(text[i], NULL, 0) : 0;
    off[i] = size;
    if (text[i] != NULL) {
      size += units[i] * 2 + GARBAGE_BYTES;
    }
  }
  size += GARBAGE_BYTES;

  base = lw__fh_alloc(size, LW__FH_KIND_LSA, 0);
  if (base == NULL) {
    return ST_NO_MEMORY;
  }
  memset(base, GARBAGE_BYTE, size);
  d = (SECURITY_LOGON_SESSION_DATA *)base;
  memset(d, 0, sizeof *d);
  d->Size = (ULONG)sizeof *d;
  d->LogonId = *LogonId;
  d->LogonType = e->logon_type;
  d->Session = e->session;
  d->LogonTime.QuadPart = lw__fh_filetime(lw_scenario_logon_time(e));
  d->LogoffTime.QuadPart = MAXLONGLONG; /* "never", as for most sessions */
  d->KickOffTime.QuadPart = MAXLONGLONG;
  d->PasswordMustChange.QuadPart = MAXLONGLONG;
  if (e->sid != NULL) {
    unsigned char *sid = base + sid_off;
    sid[0] = e->sid_parts.revision;
    sid[1] = e->sid_parts.sub_count;
    memcpy(sid + 2, e->sid_parts.authority, 6);
    memcpy(sid + 8, e->sid_parts.sub, 4 * (size_t)e->sid_parts.sub_count);
    d->Sid = (PSID)sid;
  }
  dst[S_USER] = &d->UserName;
  dst[S_DOMAIN] = &d->LogonDomain;
  dst[S_AUTH] = &d->AuthenticationPackage;
  dst[S_SERVER] = &d->LogonServer;
  dst[S_DNS] = &d->DnsDomainName;
  dst[S_UPN] = &d->Upn;
  for (i = 0; i < S_COUNT; i++) {
    if (text[i] == NULL) {
      continue; /* Length 0, Buffer NULL */
    }
    dst[i]->Buffer = (PWSTR)(base + off[i]);
    lw__fh_utf16(text[i], dst[i]->Buffer, units[i]);
    dst[i]->Length = (USHORT)(units[i] * 2);
    dst[i]->MaximumLength = dst[i]->Length;
  }
  *ppLogonSessionData = d;
  return ST_SUCCESS;
}

NTSTATUS NTAPI LsaFreeReturnBuffer(PVOID Buffer) {
  return lw__fh_free(Buffer, LW__FH_KIND_LSA, 0, 0) ? ST_SUCCESS : ST_INVALID_PARAMETER;
}
