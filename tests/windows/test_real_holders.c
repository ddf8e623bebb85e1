/*
 * test_real_holders.c - real Windows only (label `windows`, issue 18): a
 * second logon session, held by a helper process, is named by `leakwatch
 * holders` and released when the helper lets go.
 *
 *   test_real_holders LEAKWATCH_EXE TOKEN_GRABBER_EXE
 *
 *  1. creates a temporary local user (NetUserAdd, a random password; deleted
 *     at the end whatever happened);
 *  2. starts token_grabber --logon USER (LogonUserW, network logon: every
 *     local user may, no profile or desktop involved; the password passed in
 *     its environment), which keeps 2 duplicates of that logon's token and
 *     closes the one LogonUserW gave: the session is held by the helper only;
 *  3. checks with the product's collector that LSA lists that LUID, with the
 *     temporary user's name, logon type 3 and no process of its own;
 *  4. `leakwatch holders --luid LUID --json` names the helper's PID (with its
 *     two tokens) under that LUID;
 *  5. stops the helper (its stop file): it closes the copies and exits 0;
 *  6. LsaEnumerateLogonSessions no longer lists the LUID, polled for up to
 *     60 s (LSA deletes a session shortly after its last token goes).
 * Needs an elevated administrator (NetUserAdd, the holder scan's
 * SeDebugPrivilege). Under Wine: skipped (77): every token's LUID is 0:0.
 */
#define _CRT_RAND_S /* rand_s: RtlGenRandom, in MSVC's CRT and mingw's */
#include <windows.h>
#include <lm.h>
#include <ntsecapi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "luid.h"
#include "real_windows.h"
#include "snapshot.h"

#define GRABBER_COPIES 2

struct run {
  wchar_t user[32];
  wchar_t password[40];
  int user_created;
  wchar_t dir[MAX_PATH];  /* our temporary folder */
  wchar_t out[MAX_PATH];  /* the grabber's stdout */
  wchar_t stop[MAX_PATH]; /* its stop file */
  wchar_t json[MAX_PATH]; /* `leakwatch holders --json` */
  PROCESS_INFORMATION grabber;
};

/* n random bytes (rand_s), or 0. */
static int random_bytes(unsigned char *buf, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned int v = 0;
    if (rand_s(&v) != 0)
      return 0;
    buf[i] = (unsigned char)(v & 0xffu);
  }
  return 1;
}

/* A user name "lwt" + 8 hex digits and a 32-character password with every
 * class the complexity policy asks for. */
static int make_credentials(struct run *r) {
  static const wchar_t set[] = L"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.!";
  unsigned char rnd[36];
  if (!random_bytes(rnd, sizeof rnd))
    return 0;
  _snwprintf(r->user, sizeof r->user / sizeof r->user[0], L"lwt%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3]);
  r->user[sizeof r->user / sizeof r->user[0] - 1] = 0;
  wcscpy(r->password, L"Lw9!");
  for (size_t i = 4; i < 32; i++)
    r->password[i] = set[rnd[i] % (sizeof set / sizeof set[0] - 1)];
  r->password[32] = 0;
  SecureZeroMemory(rnd, sizeof rnd);
  return 1;
}

static int create_user(struct run *r) {
  USER_INFO_1 ui;
  DWORD parm_err = 0;
  NET_API_STATUS st;
  memset(&ui, 0, sizeof ui);
  ui.usri1_name = r->user;
  ui.usri1_password = r->password;
  ui.usri1_priv = USER_PRIV_USER;
  ui.usri1_comment = L"LeakWatch test_real_holders (temporary; deleted by the test)";
  ui.usri1_flags = UF_SCRIPT | UF_DONT_EXPIRE_PASSWD;
  st = NetUserAdd(NULL, 1, (LPBYTE)&ui, &parm_err);
  if (st != NERR_Success) {
    lw_fail("NetUserAdd(%ls) failed: %lu (parameter %lu)", r->user, st, parm_err);
    return 0;
  }
  r->user_created = 1;
  printf("created the temporary user %ls\n", r->user);
  return 1;
}

/* The whole content of `path` (malloc'd, NUL-terminated), or NULL. Opened with
 * every sharing mode: the grabber may still be writing it. */
static char *read_all(const wchar_t *path) {
  HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  LARGE_INTEGER size;
  char *buf = NULL;
  DWORD got = 0;
  if (f == INVALID_HANDLE_VALUE)
    return NULL;
  if (GetFileSizeEx(f, &size) && size.QuadPart < (1 << 24)) {
    buf = malloc((size_t)size.QuadPart + 1);
    if (buf != NULL && ReadFile(f, buf, (DWORD)size.QuadPart, &got, NULL))
      buf[got] = 0;
    else if (buf != NULL)
      buf[0] = 0;
  }
  CloseHandle(f);
  return buf;
}

/* Starts `cmd` with stdout and stderr into `out` (a new file); fills *pi. */
static int start(wchar_t *cmd, const wchar_t *out, PROCESS_INFORMATION *pi) {
  SECURITY_ATTRIBUTES sa = {(DWORD)sizeof(SECURITY_ATTRIBUTES), NULL, TRUE};
  STARTUPINFOW si;
  HANDLE f = CreateFileW(out, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, CREATE_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, NULL);
  BOOL ok;
  if (f == INVALID_HANDLE_VALUE) {
    lw_fail("cannot create %ls: error %lu", out, GetLastError());
    return 0;
  }
  memset(&si, 0, sizeof si);
  si.cb = (DWORD)sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  si.hStdOutput = f;
  si.hStdError = f;
  ok = CreateProcessW(NULL, cmd, NULL, NULL, TRUE, CREATE_NO_WINDOW, NULL, NULL, &si, pi);
  if (!ok)
    lw_fail("CreateProcessW(%ls) failed: %lu", cmd, GetLastError());
  CloseHandle(f);
  return ok ? 1 : 0;
}

/* Starts the grabber and waits (60 s) for its "ready"; returns the LUID it
 * logged on, or 0. */
static uint64_t start_grabber(struct run *r, const char *grabber_exe) {
  wchar_t cmd[2048];
  char *text = NULL, *p, luid_text[24];
  uint64_t luid = 0;
  unsigned long pid = 0;
  _snwprintf(cmd, sizeof cmd / sizeof cmd[0],
             L"\"%hs\" --logon %ls --logons 1 --logon-type network --copies %d --seconds 600 "
             L"--stop-file \"%ls\"",
             grabber_exe, r->user, GRABBER_COPIES, r->stop);
  cmd[sizeof cmd / sizeof cmd[0] - 1] = 0;
  /* The password goes by the environment the grabber inherits, then is gone. */
  SetEnvironmentVariableW(L"LW_GRABBER_PASSWORD", r->password);
  if (!start(cmd, r->out, &r->grabber)) {
    SetEnvironmentVariableW(L"LW_GRABBER_PASSWORD", NULL);
    return 0;
  }
  SetEnvironmentVariableW(L"LW_GRABBER_PASSWORD", NULL);
  for (int i = 0; i < 600; i++) {
    free(text);
    text = read_all(r->out);
    if (text != NULL && strstr(text, "ready") != NULL)
      break;
    if (WaitForSingleObject(r->grabber.hProcess, 100) == WAIT_OBJECT_0)
      break;
  }
  printf("--- token_grabber says:\n%s---\n", text != NULL ? text : "(nothing)");
  if (text == NULL || strstr(text, "ready") == NULL) {
    lw_fail("token_grabber did not get ready in 60 s");
  } else if (strstr(text, "error ") != NULL) {
    lw_fail("token_grabber reported an error");
  } else if ((p = strstr(text, "\nlogon ")) == NULL || sscanf(p + 7, "%23s", luid_text) != 1 ||
             lw_luid_parse(luid_text, &luid) != 0) {
    lw_fail("token_grabber printed no 'logon LUID' line");
    luid = 0;
  }
  if (text != NULL && strncmp(text, "pid ", 4) == 0)
    pid = strtoul(text + 4, NULL, 10);
  if (luid != 0 && pid != r->grabber.dwProcessId) {
    lw_fail("token_grabber says pid %lu, CreateProcessW said %lu", pid, r->grabber.dwProcessId);
    luid = 0;
  }
  free(text);
  return luid;
}

/* The product's collector: the LUID is listed, as the temporary user's
 * network logon with no process of its own. */
static void check_listed(const struct run *r, uint64_t luid) {
  struct lw_collector *c = NULL;
  struct lw_snapshot *s = NULL;
  struct lw_collect_report report;
  const struct lw_logon_session *l;
  char text[LW_LUID_TEXT_SIZE], user[64] = "";
  lw_luid_format(luid, text);
  WideCharToMultiByte(CP_UTF8, 0, r->user, -1, user, (int)sizeof user, NULL, NULL);
  if (lw_collector_open(NULL, &c) != 0) {
    lw_fail("lw_collector_open failed");
    return;
  }
  if (lw_collector_poll(c, &s, &report) != 0 && report.source[LW_COLLECT_LSA].code != 0)
    lw_fail("the collector could not read LSA: %s", report.source[LW_COLLECT_LSA].message);
  if (s == NULL) {
    lw_fail("the collector made no snapshot");
    lw_collector_close(c);
    return;
  }
  l = lw_snapshot_find_logon(s, luid);
  if (l == NULL) {
    lw_fail("LSA does not list the grabber's logon session %s", text);
  } else {
    printf("LSA lists %s: %s\\%s, type %u, processes %u\n", text, l->domain ? l->domain : "(null)",
           l->user ? l->user : "(null)", l->logon_type, l->process_count);
    if (l->user == NULL || _stricmp(l->user, user) != 0)
      lw_fail("%s: user '%s', expected '%s'", text, l->user ? l->user : "(null)", user);
    if (l->logon_type != LW_LOGON_NETWORK)
      lw_fail("%s: logon type %u, expected 3 (Network)", text, l->logon_type);
    if (l->process_count != 0)
      lw_fail("%s: %u processes, expected none (only token copies hold it)", text,
              l->process_count);
  }
  lw_snapshot_free(s);
  lw_collector_close(c);
}

/* `leakwatch holders --luid LUID --json` names the grabber under that LUID. */
static void check_holders(struct run *r, const char *leakwatch_exe, uint64_t luid) {
  wchar_t cmd[2048];
  char text[LW_LUID_TEXT_SIZE], want_luid[64], want_pid[64], *json = NULL, *sess;
  PROCESS_INFORMATION pi;
  DWORD code = 1;
  lw_luid_format(luid, text);
  _snwprintf(cmd, sizeof cmd / sizeof cmd[0], L"\"%hs\" holders --luid %hs --json", leakwatch_exe,
             text);
  cmd[sizeof cmd / sizeof cmd[0] - 1] = 0;
  if (!start(cmd, r->json, &pi))
    return;
  if (WaitForSingleObject(pi.hProcess, 120000) != WAIT_OBJECT_0) {
    lw_fail("leakwatch holders did not finish in 120 s");
    TerminateProcess(pi.hProcess, 1);
    WaitForSingleObject(pi.hProcess, 5000);
  }
  GetExitCodeProcess(pi.hProcess, &code);
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
  json = read_all(r->json);
  printf("--- leakwatch holders --luid %s --json (exit %lu):\n%s---\n", text, code,
         json != NULL ? json : "(nothing)");
  if (code != 0)
    lw_fail("leakwatch holders exited %lu", code);
  snprintf(want_luid, sizeof want_luid, "\"luid\": \"%s\"", text);
  snprintf(want_pid, sizeof want_pid, "\"pid\": %lu", r->grabber.dwProcessId);
  sess = json != NULL ? strstr(json, want_luid) : NULL;
  if (sess == NULL) {
    lw_fail("the JSON has no session %s", want_luid);
  } else {
    char *next = strstr(sess + 1, "\"luid\": \"");
    const char *h;
    if (next != NULL)
      *next = 0; /* only this session's holders */
    h = strstr(sess, want_pid);
    if (h == NULL || (h[strlen(want_pid)] >= '0' && h[strlen(want_pid)] <= '9'))
      lw_fail("session %s does not name the grabber (%s)", text, want_pid);
    else if (strstr(h, "token_grabber") == NULL)
      lw_fail("the grabber's entry does not name its image token_grabber.exe");
    else if (strstr(h, "\"tokens\": ") == NULL ||
             strtoul(strstr(h, "\"tokens\": ") + 10, NULL, 10) != (unsigned long)GRABBER_COPIES)
      lw_fail("the grabber's entry does not count its %d token copies", GRABBER_COPIES);
  }
  free(json);
}

/* Whether LsaEnumerateLogonSessions lists `luid`; -1 when it failed. */
static int lsa_lists(uint64_t luid) {
  ULONG n = 0;
  PLUID list = NULL;
  int found = 0;
  NTSTATUS st = LsaEnumerateLogonSessions(&n, &list);
  if (st != 0) {
    lw_fail("LsaEnumerateLogonSessions: NTSTATUS 0x%08lx", (unsigned long)st);
    return -1;
  }
  for (ULONG i = 0; i < n; i++)
    if (lw_luid_from_parts(list[i].HighPart, list[i].LowPart) == luid)
      found = 1;
  LsaFreeReturnBuffer(list);
  return found;
}

/* Stops the grabber and waits for its logon session to go. */
static void check_released(struct run *r, uint64_t luid) {
  char text[LW_LUID_TEXT_SIZE];
  HANDLE f;
  DWORD code = 1;
  int listed = 1;
  lw_luid_format(luid, text);
  f = CreateFileW(r->stop, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (f == INVALID_HANDLE_VALUE) {
    lw_fail("cannot create the stop file %ls: error %lu", r->stop, GetLastError());
    return;
  }
  CloseHandle(f);
  if (WaitForSingleObject(r->grabber.hProcess, 30000) != WAIT_OBJECT_0) {
    lw_fail("token_grabber did not exit within 30 s of its stop file");
    return;
  }
  GetExitCodeProcess(r->grabber.hProcess, &code);
  if (code != 0)
    lw_fail("token_grabber exited %lu", code);
  for (int i = 0; i < 240 && listed == 1; i++) {
    listed = lsa_lists(luid);
    if (listed == 1)
      Sleep(250);
  }
  if (listed == 1)
    lw_fail("logon session %s is still listed 60 s after its last token was closed", text);
  else if (listed == 0)
    printf("logon session %s is gone after the grabber closed its tokens\n", text);
}

static void cleanup(struct run *r) {
  if (r->grabber.hProcess != NULL) {
    if (WaitForSingleObject(r->grabber.hProcess, 0) != WAIT_OBJECT_0) {
      TerminateProcess(r->grabber.hProcess, 1);
      WaitForSingleObject(r->grabber.hProcess, 10000);
    }
    CloseHandle(r->grabber.hProcess);
    CloseHandle(r->grabber.hThread);
  }
  if (r->user_created) {
    NET_API_STATUS st = NetUserDel(NULL, r->user);
    if (st != NERR_Success)
      lw_fail("NetUserDel(%ls) failed: %lu: remove the user by hand", r->user, st);
    else
      printf("deleted the temporary user %ls\n", r->user);
  }
  SecureZeroMemory(r->password, sizeof r->password);
  DeleteFileW(r->out);
  DeleteFileW(r->stop);
  DeleteFileW(r->json);
  RemoveDirectoryW(r->dir);
}

int main(int argc, char **argv) {
  static struct run r;
  wchar_t tmp[MAX_PATH];
  uint64_t luid;

  if (lw_skip_under_wine("test_real_holders"))
    return LW_SKIP_EXIT;
  if (argc != 3) {
    fprintf(stderr, "usage: test_real_holders LEAKWATCH_EXE TOKEN_GRABBER_EXE\n");
    return 2;
  }
  if (!lw_is_elevated_admin()) {
    printf("FAIL: test_real_holders needs an elevated administrator (NetUserAdd, "
           "SeDebugPrivilege)\n");
    return 1;
  }
  GetTempPathW(MAX_PATH, tmp);
  _snwprintf(r.dir, MAX_PATH, L"%lslw-real-holders-%lu", tmp, GetCurrentProcessId());
  _snwprintf(r.out, MAX_PATH, L"%ls\\grabber.out", r.dir);
  _snwprintf(r.stop, MAX_PATH, L"%ls\\stop", r.dir);
  _snwprintf(r.json, MAX_PATH, L"%ls\\holders.json", r.dir);
  if (!CreateDirectoryW(r.dir, NULL)) {
    printf("FAIL: cannot create %ls: error %lu\n", r.dir, GetLastError());
    return 1;
  }
  if (!make_credentials(&r)) {
    lw_fail("rand_s failed");
  } else if (create_user(&r)) {
    luid = start_grabber(&r, argv[2]);
    if (luid != 0) {
      check_listed(&r, luid);
      check_holders(&r, argv[1], luid);
      check_released(&r, luid);
    }
  }
  cleanup(&r);
  if (lw_failures != 0) {
    printf("test_real_holders: %d check(s) failed\n", lw_failures);
    return 1;
  }
  printf("test_real_holders: PASS\n");
  return 0;
}
