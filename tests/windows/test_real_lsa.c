/*
 * test_real_lsa.c - real Windows only (label `windows`, issue 18): one poll of
 * the product's own collector (service/os/collector.c with the system tables,
 * as the service polls) against the real LSA, checked for
 *   - 00000000:000003e7 (SYSTEM: SID S-1-5-18; LSA names it after the
 *     computer account, MACHINE$, or SYSTEM), 00000000:000003e5 (LOCAL
 *     SERVICE, S-1-5-19) and 00000000:000003e4 (NETWORK SERVICE, S-1-5-20),
 *     with their data read (data_status 0) and the user names Windows gives
 *     those SIDs (LookupAccountSidW: right on a localized Windows too);
 *   - the logon session of this process's own token (TokenStatistics.
 *     AuthenticationId, never 0:0 on Windows) with this process's user (SID
 *     from TokenUser, name from GetUserNameW), and this process listed among
 *     its processes (the process collector read our token's LUID).
 * Needs administrative rights (the collector reports LW_ENOPRIV otherwise:
 * that is a failure here, the runner is elevated). Under Wine: skipped (77),
 * every token's LUID is 0:0 there.
 */
#include <windows.h>
#include <sddl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "luid.h"
#include "real_windows.h"
#include "snapshot.h"

/* Whether UTF-8 `a` equals wide `b`, ignoring case (both NULL-safe). */
static int same_name(const char *a, const wchar_t *b) {
  wchar_t wa[512];
  if (a == NULL || b == NULL)
    return 0;
  if (MultiByteToWideChar(CP_UTF8, 0, a, -1, wa, (int)(sizeof wa / sizeof wa[0])) == 0)
    return 0;
  return CompareStringOrdinal(wa, -1, b, -1, TRUE) == CSTR_EQUAL;
}

/* The account name Windows gives the SID `sid_text` ("S-1-5-19"), or "". */
static void name_of_sid(const wchar_t *sid_text, wchar_t *name, DWORD name_len) {
  PSID sid = NULL;
  wchar_t domain[256];
  DWORD domain_len = (DWORD)(sizeof domain / sizeof domain[0]);
  SID_NAME_USE use;
  name[0] = 0;
  if (!ConvertStringSidToSidW(sid_text, &sid))
    return;
  if (!LookupAccountSidW(NULL, sid, name, &name_len, domain, &domain_len, &use))
    name[0] = 0;
  LocalFree(sid);
}

static const struct lw_logon_session *expect_logon(const struct lw_snapshot *s, uint64_t luid,
                                                   const char *sid) {
  char text[LW_LUID_TEXT_SIZE];
  const struct lw_logon_session *l = lw_snapshot_find_logon(s, luid);
  lw_luid_format(luid, text);
  if (l == NULL) {
    lw_fail("logon session %s is not in the LSA enumeration", text);
    return NULL;
  }
  printf("%s  %s\\%s  sid %s  type %u  terminal session %u  data_status 0x%08x  processes %u\n",
         text, l->domain ? l->domain : "(null)", l->user ? l->user : "(null)",
         l->sid ? l->sid : "(null)", l->logon_type, l->terminal_session, l->data_status,
         l->process_count);
  if (l->data_status != 0) {
    lw_fail("%s: LsaGetLogonSessionData failed with 0x%08x", text, l->data_status);
    return NULL;
  }
  if (sid != NULL && (l->sid == NULL || strcmp(l->sid, sid) != 0))
    lw_fail("%s: SID %s, expected %s", text, l->sid ? l->sid : "(null)", sid);
  if (l->user == NULL || l->user[0] == 0)
    lw_fail("%s: no user name", text);
  return l;
}

/* The well-known service sessions: LUID, SID, and the names accepted. */
static void check_well_known(const struct lw_snapshot *s) {
  static const struct {
    uint64_t luid;
    const char *sid;
    const wchar_t *wsid;
  } wk[] = {
      {LW_LUID_SYSTEM, "S-1-5-18", L"S-1-5-18"},
      {LW_LUID_LOCAL_SERVICE, "S-1-5-19", L"S-1-5-19"},
      {LW_LUID_NETWORK_SERVICE, "S-1-5-20", L"S-1-5-20"},
  };
  wchar_t computer[MAX_COMPUTERNAME_LENGTH + 2];
  DWORD computer_len = MAX_COMPUTERNAME_LENGTH + 1;
  if (!GetComputerNameW(computer, &computer_len))
    computer[0] = 0;
  wcscat(computer, L"$");
  for (size_t i = 0; i < sizeof wk / sizeof wk[0]; i++) {
    wchar_t name[256];
    char text[LW_LUID_TEXT_SIZE];
    const struct lw_logon_session *l = expect_logon(s, wk[i].luid, wk[i].sid);
    if (l == NULL)
      continue;
    lw_luid_format(wk[i].luid, text);
    name_of_sid(wk[i].wsid, name, (DWORD)(sizeof name / sizeof name[0]));
    /* SYSTEM's own session carries the computer account's name in LSA. */
    if (!same_name(l->user, name) &&
        !(wk[i].luid == LW_LUID_SYSTEM && same_name(l->user, computer)))
      lw_fail("%s: user '%s', expected '%ls'%s", text, l->user, name,
              wk[i].luid == LW_LUID_SYSTEM ? " or the computer account" : "");
  }
}

/* This process's token: its logon session, user and SID. */
static void check_own_session(const struct lw_snapshot *s) {
  HANDLE token = NULL;
  TOKEN_STATISTICS st;
  union {
    TOKEN_USER tu;
    BYTE raw[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)];
  } user;
  DWORD len = 0;
  wchar_t *wsid = NULL, name[256];
  DWORD name_len = (DWORD)(sizeof name / sizeof name[0]);
  char sid[256] = "", text[LW_LUID_TEXT_SIZE];
  uint64_t luid;
  const struct lw_logon_session *l;
  int listed = 0;

  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
    lw_fail("OpenProcessToken: error %lu", GetLastError());
    return;
  }
  if (!GetTokenInformation(token, TokenStatistics, &st, sizeof st, &len) ||
      !GetTokenInformation(token, TokenUser, &user, sizeof user, &len)) {
    lw_fail("GetTokenInformation: error %lu", GetLastError());
    CloseHandle(token);
    return;
  }
  CloseHandle(token);
  luid = lw_luid_from_parts(st.AuthenticationId.HighPart, st.AuthenticationId.LowPart);
  lw_luid_format(luid, text);
  if (ConvertSidToStringSidW(user.tu.User.Sid, &wsid)) {
    WideCharToMultiByte(CP_UTF8, 0, wsid, -1, sid, (int)sizeof sid, NULL, NULL);
    LocalFree(wsid);
  }
  if (!GetUserNameW(name, &name_len))
    name[0] = 0;
  printf("own token: logon session %s, user %ls, SID %s, pid %lu\n", text, name, sid,
         GetCurrentProcessId());
  if (luid == 0) {
    lw_fail("own token's AuthenticationId is 0:0 (what Wine says, never Windows)");
    return;
  }
  l = expect_logon(s, luid, sid);
  if (l == NULL)
    return;
  if (!same_name(l->user, name))
    lw_fail("%s: user '%s', expected '%ls' (GetUserNameW)", text, l->user, name);
  for (size_t i = 0; i < s->n_procs; i++)
    if (s->procs[i].pid == GetCurrentProcessId()) {
      listed = 1;
      if (s->procs[i].luid != luid)
        lw_fail("our process %lu is listed with token status %u under another logon session",
                GetCurrentProcessId(), s->procs[i].token_status);
    }
  if (!listed)
    lw_fail("our process %lu is not in the process list", GetCurrentProcessId());
  if (l->process_count < 1)
    lw_fail("%s: process_count %u, expected at least 1 (this process)", text, l->process_count);
}

int main(void) {
  struct lw_collector *c = NULL;
  struct lw_snapshot *s = NULL;
  struct lw_collect_report report;
  int rc;

  if (lw_skip_under_wine("test_real_lsa"))
    return LW_SKIP_EXIT;
  if (lw_collector_open(NULL, &c) != 0) {
    printf("FAIL: lw_collector_open\n");
    return 1;
  }
  rc = lw_collector_poll(c, &s, &report);
  for (int i = 0; i < LW_COLLECT_SOURCES; i++)
    if (report.source[i].code != 0)
      lw_fail("%s: %s failed (%s): %s", lw_collect_source_name((enum lw_collect_source)i),
              report.source[i].what, report.source[i].os_text, report.source[i].message);
  if (s == NULL) {
    printf("FAIL: no snapshot (rc %d)\n", rc);
    lw_collector_close(c);
    return 1;
  }
  printf("LSA: %zu logon sessions (%u without data), %zu WTS sessions, %zu processes (%u denied)\n",
         s->n_logons, s->logons_without_data, s->n_wts, s->n_procs, s->processes_denied);
  check_well_known(s);
  check_own_session(s);
  lw_snapshot_free(s);
  lw_collector_close(c);
  if (lw_failures != 0) {
    printf("test_real_lsa: %d check(s) failed\n", lw_failures);
    return 1;
  }
  printf("test_real_lsa: PASS\n");
  return 0;
}
