/*
 * fakehost_probe.c - a small LSA/WTS client for testing the fake DLLs
 * (tests/fakehost/test_fakehost.sh). It calls secur32/wtsapi32 the way a
 * collector would and prints one line per thing it got, so a shell test can
 * compare them with the scenario:
 *
 *   poll=N
 *   lsa status=0x00000000 count=N
 *   logon luid=HHHHHHHH:LLLLLLLL status=0x... user="..." domain="..." ...
 *   wts status=ok count=N
 *   wts id=N station="..." state=N user="..." ... step=N
 *
 * Strings are printed by their counted length, escaped (\" \\ \t \n \r \xHH);
 * `tails=garbage` says every LSA string was followed by non-zero bytes.
 *
 * usage: fakehost_probe [--polls N] [--cache] [--ex] [--leak] [--bad-free]
 *                       [--current] [--no-wts]
 *   --cache    data calls only for LUIDs not in the previous poll (as the
 *              product does); others print `cached`
 *   --ex       WTSEnumerateSessionsExW level 1 instead of W + Query
 *   --leak     never free LsaGetLogonSessionData buffers
 *   --bad-free after the polls, free foreign and already-freed pointers
 *   --current  also query WTS_CURRENT_SESSION
 * Exit status: 0, or 3 when an LSA enumeration failed, 2 for bad usage.
 */
#ifndef __USE_MINGW_ANSI_STDIO
#define __USE_MINGW_ANSI_STDIO 1
#endif
#include <windows.h>
#include <ntsecapi.h>
#include <sddl.h>
#include <wtsapi32.h>

#include <fcntl.h>
#include <io.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakehost_state.h" /* LW_WTS_SESSION_INFO_1W only */

typedef BOOL(WINAPI *enum_ex_fn)(HANDLE, DWORD *, DWORD, LW_WTS_SESSION_INFO_1W **, DWORD *);
typedef BOOL(WINAPI *free_ex_fn)(int, PVOID, ULONG);

static int opt_cache, opt_ex, opt_leak, opt_bad_free, opt_current, opt_no_wts;

/* Prints `len` UTF-16 units as an escaped, quoted UTF-8 string. */
static void print_w(const WCHAR *w, size_t len) {
  char *buf;
  int n = 0, i;
  if (w == NULL) {
    fputs("null", stdout);
    return;
  }
  if (len > 0) {
    n = WideCharToMultiByte(CP_UTF8, 0, w, (int)len, NULL, 0, NULL, NULL);
  }
  buf = malloc((size_t)n + 1);
  if (buf == NULL) {
    fputs("\"<oom>\"", stdout);
    return;
  }
  if (n > 0) {
    WideCharToMultiByte(CP_UTF8, 0, w, (int)len, buf, n, NULL, NULL);
  }
  putchar('"');
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)buf[i];
    if (ch == '"' || ch == '\\') {
      printf("\\%c", ch);
    } else if (ch == '\t') {
      fputs("\\t", stdout);
    } else if (ch == '\n') {
      fputs("\\n", stdout);
    } else if (ch == '\r') {
      fputs("\\r", stdout);
    } else if (ch < 0x20 || ch == 0x7f) {
      printf("\\x%02x", ch);
    } else {
      putchar(ch);
    }
  }
  putchar('"');
  free(buf);
}

static void print_wz(const WCHAR *w) {
  print_w(w, w != NULL ? wcslen(w) : 0);
}

/* Prints a counted string and checks what follows it: returns 1 when the two
 * bytes after Length are both non-zero, 0 when not, -1 for a NULL Buffer. */
static int print_lsa(const char *key, const LSA_UNICODE_STRING *s) {
  printf(" %s=", key);
  print_w(s->Buffer, s->Length / 2);
  if (s->Buffer == NULL) {
    return -1;
  }
  {
    const unsigned char *after = (const unsigned char *)s->Buffer + s->Length;
    return after[0] != 0 && after[1] != 0;
  }
}

static long long unix_time(LONGLONG filetime) {
  if (filetime == 0) {
    return 0;
  }
  return (long long)(filetime / 10000000 - INT64_C(11644473600));
}

struct luid_set {
  uint64_t *v;
  size_t n;
};

static int luid_in(const struct luid_set *s, uint64_t luid) {
  size_t i;
  for (i = 0; i < s->n; i++) {
    if (s->v[i] == luid) {
      return 1;
    }
  }
  return 0;
}

static int poll_lsa(struct luid_set *prev) {
  ULONG count = 0, i;
  PLUID list = NULL;
  NTSTATUS st = LsaEnumerateLogonSessions(&count, &list);
  struct luid_set now = {NULL, 0};
  printf("lsa status=0x%08lx count=%lu\n", (unsigned long)st, (unsigned long)count);
  if (st != 0) {
    return 3;
  }
  now.v = malloc((count ? count : 1) * sizeof *now.v);
  for (i = 0; i < count; i++) {
    uint64_t luid = ((uint64_t)(DWORD)list[i].HighPart << 32) | list[i].LowPart;
    PSECURITY_LOGON_SESSION_DATA d = NULL;
    NTSTATUS ds;
    if (now.v != NULL) {
      now.v[now.n++] = luid;
    }
    printf("logon luid=%08lx:%08lx", (unsigned long)(luid >> 32),
           (unsigned long)(luid & 0xffffffffu));
    if (opt_cache && luid_in(prev, luid)) {
      puts(" cached");
      continue;
    }
    ds = LsaGetLogonSessionData(&list[i], &d);
    printf(" status=0x%08lx", (unsigned long)ds);
    if (ds == 0 && d != NULL) {
      int tails_ok = 1;
      WCHAR *sid = NULL;
      const LSA_UNICODE_STRING *strs[6];
      const char *keys[6] = {"user", "domain", "auth", "server", "dns", "upn"};
      int k;
      strs[0] = &d->UserName;
      strs[1] = &d->LogonDomain;
      strs[2] = &d->AuthenticationPackage;
      strs[3] = &d->LogonServer;
      strs[4] = &d->DnsDomainName;
      strs[5] = &d->Upn;
      for (k = 0; k < 6; k++) {
        if (print_lsa(keys[k], strs[k]) == 0) {
          tails_ok = 0;
        }
      }
      printf(" type=%lu session=%lu", (unsigned long)d->LogonType, (unsigned long)d->Session);
      if (d->Sid == NULL) {
        fputs(" sid=null", stdout);
      } else if (IsValidSid(d->Sid) && ConvertSidToStringSidW(d->Sid, &sid)) {
        fputs(" sid=", stdout);
        print_wz(sid);
        LocalFree(sid);
      } else {
        fputs(" sid=invalid", stdout);
      }
      printf(" logon_time=%lld size=%s tails=%s\n", unix_time(d->LogonTime.QuadPart),
             d->Size == sizeof *d ? "ok" : "bad", tails_ok ? "garbage" : "nul");
      if (!opt_leak) {
        LsaFreeReturnBuffer(d);
      }
    } else {
      putchar('\n');
    }
  }
  LsaFreeReturnBuffer(list);
  free(prev->v);
  *prev = now;
  return 0;
}

static void query_print(DWORD id, WTS_INFO_CLASS cls, const char *key, int kind) {
  LPWSTR buf = NULL;
  DWORD bytes = 0;
  if (!WTSQuerySessionInformationW(WTS_CURRENT_SERVER_HANDLE, id, cls, &buf, &bytes)) {
    printf(" %s=error%lu", key, (unsigned long)GetLastError());
    return;
  }
  printf(" %s=", key);
  if (kind == 0) {
    print_w(buf, bytes / 2 > 0 ? bytes / 2 - 1 : 0); /* bytes include the NUL */
  } else if (kind == 4) {
    printf("%lu", (unsigned long)*(DWORD *)buf);
  } else {
    printf("%u", (unsigned)*(USHORT *)buf);
  }
  WTSFreeMemory(buf);
}

static void poll_wts(void) {
  PWTS_SESSION_INFOW info = NULL;
  DWORD count = 0, i;
  if (!WTSEnumerateSessionsW(WTS_CURRENT_SERVER_HANDLE, 0, 1, &info, &count)) {
    printf("wts status=error%lu\n", (unsigned long)GetLastError());
    return;
  }
  printf("wts status=ok count=%lu\n", (unsigned long)count);
  for (i = 0; i < count; i++) {
    DWORD id = info[i].SessionId, bytes = 0;
    LPWSTR buf = NULL;
    printf("wts id=%lu station=", (unsigned long)id);
    print_wz(info[i].pWinStationName);
    printf(" state=%d", (int)info[i].State);
    query_print(id, WTSUserName, "user", 0);
    query_print(id, WTSDomainName, "domain", 0);
    query_print(id, WTSClientName, "client", 0);
    query_print(id, WTSWinStationName, "q_station", 0);
    query_print(id, WTSConnectState, "q_state", 4);
    query_print(id, WTSSessionId, "q_id", 4);
    query_print(id, WTSClientProtocolType, "protocol", 2);
    if (WTSQuerySessionInformationW(WTS_CURRENT_SERVER_HANDLE, id, WTSClientAddress, &buf,
                                    &bytes)) {
      printf(" addr_family=%lu addr_bytes=%lu",
             (unsigned long)((WTS_CLIENT_ADDRESS *)buf)->AddressFamily, (unsigned long)bytes);
      WTSFreeMemory(buf);
    }
    if (WTSQuerySessionInformationW(WTS_CURRENT_SERVER_HANDLE, id, WTSSessionInfo, &buf, &bytes)) {
      WTSINFOW *w = (WTSINFOW *)buf;
      printf(" info_state=%d info_id=%lu info_station=", (int)w->State,
             (unsigned long)w->SessionId);
      print_wz(w->WinStationName);
      fputs(" info_user=", stdout);
      print_wz(w->UserName);
      fputs(" info_domain=", stdout);
      print_wz(w->Domain);
      printf(" logon_time=%lld connect_time=%lld disconnect_time=%lld current_time=%lld "
             "step=%lld bytes_ok=%d",
             unix_time(w->LogonTime.QuadPart), unix_time(w->ConnectTime.QuadPart),
             unix_time(w->DisconnectTime.QuadPart), unix_time(w->CurrentTime.QuadPart),
             (unix_time(w->CurrentTime.QuadPart) - 1795251600LL) / 60, bytes == sizeof(WTSINFOW));
      WTSFreeMemory(buf);
    }
    putchar('\n');
  }
  WTSFreeMemory(info);
}

static void poll_wts_ex(void) {
  HMODULE m = GetModuleHandleW(L"wtsapi32.dll");
  enum_ex_fn enum_ex = (enum_ex_fn)(void (*)(void))GetProcAddress(m, "WTSEnumerateSessionsExW");
  free_ex_fn free_ex = (free_ex_fn)(void (*)(void))GetProcAddress(m, "WTSFreeMemoryExW");
  LW_WTS_SESSION_INFO_1W *info = NULL;
  DWORD level = 1, count = 0, i;
  if (enum_ex == NULL || free_ex == NULL) {
    puts("wtsex status=missing");
    return;
  }
  if (!enum_ex(WTS_CURRENT_SERVER_HANDLE, &level, 0, &info, &count)) {
    printf("wtsex status=error%lu\n", (unsigned long)GetLastError());
    return;
  }
  printf("wtsex status=ok count=%lu\n", (unsigned long)count);
  for (i = 0; i < count; i++) {
    printf("wtsex id=%lu exec=%lu state=%lu station=", (unsigned long)info[i].SessionId,
           (unsigned long)info[i].ExecEnvId, (unsigned long)info[i].State);
    print_wz(info[i].pSessionName);
    fputs(" user=", stdout);
    print_wz(info[i].pUserName);
    fputs(" domain=", stdout);
    print_wz(info[i].pDomainName);
    fputs(" host=", stdout);
    print_wz(info[i].pHostName);
    fputs(" farm=", stdout);
    print_wz(info[i].pFarmName);
    putchar('\n');
  }
  printf("wtsex free=%d\n", free_ex(LW_WTS_TYPE_SESSION_INFO_LEVEL1, info, count) ? 1 : 0);
}

static void bad_frees(void) {
  int local = 0;
  PWTS_SESSION_INFOW info = NULL;
  DWORD count = 0;
  printf("badfree lsa_local=0x%08lx\n", (unsigned long)LsaFreeReturnBuffer(&local));
  WTSFreeMemory(&local);
  if (WTSEnumerateSessionsW(WTS_CURRENT_SERVER_HANDLE, 0, 1, &info, &count)) {
    /* a WTS buffer handed to LSA is not LSA's; then freed right, then twice */
    printf("badfree lsa_foreign=0x%08lx\n", (unsigned long)LsaFreeReturnBuffer(info));
    WTSFreeMemory(info);
    WTSFreeMemory(info);
  }
  puts("badfree done");
}

int main(int argc, char **argv) {
  struct luid_set prev = {NULL, 0};
  long polls = 1, p;
  int i, rc = 0;

  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--polls") && i + 1 < argc) {
      polls = strtol(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--cache")) {
      opt_cache = 1;
    } else if (!strcmp(argv[i], "--ex")) {
      opt_ex = 1;
    } else if (!strcmp(argv[i], "--leak")) {
      opt_leak = 1;
    } else if (!strcmp(argv[i], "--bad-free")) {
      opt_bad_free = 1;
    } else if (!strcmp(argv[i], "--current")) {
      opt_current = 1;
    } else if (!strcmp(argv[i], "--no-wts")) {
      opt_no_wts = 1;
    } else {
      fprintf(stderr, "fakehost_probe: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  _setmode(_fileno(stdout), _O_BINARY);
  for (p = 0; p < polls; p++) {
    printf("poll=%ld\n", p);
    if (poll_lsa(&prev) != 0) {
      rc = 3;
    }
    if (!opt_no_wts) {
      if (opt_ex) {
        poll_wts_ex();
      } else {
        poll_wts();
      }
    }
  }
  if (opt_current) {
    printf("current");
    query_print(WTS_CURRENT_SESSION, WTSSessionId, "id", 4);
    putchar('\n');
  }
  if (opt_bad_free) {
    bad_frees();
  }
  free(prev.v);
  fflush(stdout);
  return rc;
}
