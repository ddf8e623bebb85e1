/*
 * token_grabber.c - a test program that leaks logon sessions on purpose, as
 * the grabber of Microsoft's AskDS article on LSA logon session leaks does:
 * it duplicates tokens and holds the copies, so their logon sessions cannot
 * end, until it is killed or its time is up. Used by the holder scan's Wine
 * tests (tests/wine/test_holders.sh, test_holder_handles.c), by the
 * real-Windows tests (tests/windows/: logon sessions of a temporary user) and
 * by hand.
 *
 *   token_grabber [--copies N] [--impersonation] [--pid PID]... [--child]
 *                 [--logon USER [--logons N] [--logon-type network|interactive|batch]]
 *                 [--seconds S] [--stop-file PATH]
 *
 *   --copies N       copies of each token taken (default 3)
 *   --impersonation  make impersonation tokens instead of primary ones
 *   --pid PID        also copy PID's primary token (OpenProcess +
 *                    OpenProcessToken + DuplicateTokenEx); repeatable. Without
 *                    any --pid, our own process token is copied.
 *   --self           copy our own token too when --pid is given (or --logon)
 *   --logon USER     log the local account USER on N times (LogonUserW, the
 *                    password from the environment variable
 *                    LW_GRABBER_PASSWORD, never the command line): each call
 *                    makes a logon session of its own; its token is copied
 *                    --copies times and the token LogonUserW gave is closed,
 *                    so only the copies keep the session alive
 *   --logons N       how many logons (default 1)
 *   --logon-type T   network (default: every user may, and no profile or
 *                    desktop is involved), interactive or batch
 *   --child          start a child (this program with --exit-now), let it
 *                    exit, and keep its process handle open: the exited child
 *                    still pins its logon session
 *   --seconds S      hold for S seconds, then exit (default: until killed)
 *   --stop-file PATH exit when PATH exists (checked every 100 ms)
 *
 * Prints, one fact per line (flushed), then "ready":
 *   pid 1234
 *   token 3 primary copies of pid 1234
 *   child 1240 exited, handle kept
 *   logon 00000000:0001a2b3 type 3 copies 3
 *   ready
 * Exit status: 0 after holding, 1 if a token could not be taken, 2 usage.
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SOURCES 16
#define MAX_COPIES 100000

static int usage(void) {
  fputs(
      "usage: token_grabber [--copies N] [--impersonation] [--pid PID]... [--self] [--child]\n"
      "                     [--logon USER [--logons N] [--logon-type network|interactive|batch]]\n"
      "                     [--seconds S] [--stop-file PATH]\n",
      stderr);
  return 2;
}

/* Copies `source` `copies` times into tokens[]; returns how many were taken,
 * printing what failed (`what` names the source). */
static unsigned long copy_token(HANDLE source, const char *what, unsigned long copies,
                                BOOL impersonation, HANDLE *tokens) {
  unsigned long n;
  for (n = 0; n < copies; n++) {
    if (!DuplicateTokenEx(source, TOKEN_QUERY | TOKEN_DUPLICATE | TOKEN_IMPERSONATE, NULL,
                          SecurityImpersonation, impersonation ? TokenImpersonation : TokenPrimary,
                          &tokens[n])) {
      printf("error DuplicateTokenEx(%s) failed: %lu\n", what, GetLastError());
      break;
    }
  }
  return n;
}

/* Copies the primary token of `process` `copies` times into tokens[]. Returns
 * the number taken (the caller closes them at exit), printing what failed. */
static unsigned long grab(HANDLE process, DWORD pid, unsigned long copies, BOOL impersonation,
                          HANDLE *tokens) {
  HANDLE source = NULL;
  unsigned long n = 0;
  char what[32];
  if (!OpenProcessToken(process, TOKEN_DUPLICATE | TOKEN_QUERY, &source)) {
    printf("error OpenProcessToken(pid %lu) failed: %lu\n", pid, GetLastError());
    return 0;
  }
  snprintf(what, sizeof what, "pid %lu", pid);
  n = copy_token(source, what, copies, impersonation, tokens);
  /* Only the copies stay: the count of token handles is exactly what we say. */
  CloseHandle(source);
  printf("token %lu %s copies of pid %lu\n", n, impersonation ? "impersonation" : "primary", pid);
  return n;
}

/* Logs the local account `user` on (a new logon session), copies its token
 * `copies` times into tokens[] and closes the one LogonUserW gave. Prints the
 * session's LUID. Returns the number of copies taken. */
static unsigned long grab_logon(const wchar_t *user, const wchar_t *password, DWORD type,
                                unsigned long copies, BOOL impersonation, HANDLE *tokens) {
  HANDLE token = NULL;
  TOKEN_STATISTICS st;
  DWORD len = 0;
  unsigned long n;
  if (!LogonUserW(user, L".", password, type, LOGON32_PROVIDER_DEFAULT, &token)) {
    printf("error LogonUserW(type %lu) failed: %lu\n", type, GetLastError());
    return 0;
  }
  if (!GetTokenInformation(token, TokenStatistics, &st, sizeof st, &len)) {
    printf("error GetTokenInformation(TokenStatistics) failed: %lu\n", GetLastError());
    CloseHandle(token);
    return 0;
  }
  n = copy_token(token, "LogonUserW token", copies, impersonation, tokens);
  CloseHandle(token);
  printf("logon %08lx:%08lx type %lu copies %lu\n", (unsigned long)st.AuthenticationId.HighPart,
         st.AuthenticationId.LowPart, type, n);
  return n;
}

/* Starts this program with --exit-now and waits for it to exit; returns its
 * process handle (kept open by the caller) or NULL. */
static HANDLE exited_child(void) {
  wchar_t path[MAX_PATH + 32], cmd[MAX_PATH + 64];
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  DWORD n = GetModuleFileNameW(NULL, path, MAX_PATH);
  if (n == 0 || n >= MAX_PATH)
    return NULL;
  _snwprintf(cmd, sizeof cmd / sizeof cmd[0], L"\"%ls\" --exit-now", path);
  cmd[sizeof cmd / sizeof cmd[0] - 1] = 0;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  if (!CreateProcessW(path, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
    printf("error CreateProcessW failed: %lu\n", GetLastError());
    return NULL;
  }
  CloseHandle(pi.hThread);
  WaitForSingleObject(pi.hProcess, INFINITE);
  printf("child %lu exited, handle kept\n", pi.dwProcessId);
  return pi.hProcess;
}

int main(int argc, char **argv) {
  unsigned long copies = 3, seconds = 0, held = 0, want = 0, logons = 1;
  const char *logon_user = NULL;
  DWORD logon_type = LOGON32_LOGON_NETWORK;
  DWORD pids[MAX_SOURCES];
  int n_pids = 0, child = 0, self = 0, status = 0;
  BOOL impersonation = FALSE;
  const char *stop_file = NULL;
  HANDLE *tokens = NULL, child_process = NULL;
  ULONGLONG until;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--exit-now") == 0)
      return 0;
    if (strcmp(argv[i], "--copies") == 0 && i + 1 < argc)
      copies = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--impersonation") == 0)
      impersonation = TRUE;
    else if (strcmp(argv[i], "--pid") == 0 && i + 1 < argc && n_pids < MAX_SOURCES)
      pids[n_pids++] = (DWORD)strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--self") == 0)
      self = 1;
    else if (strcmp(argv[i], "--child") == 0)
      child = 1;
    else if (strcmp(argv[i], "--logon") == 0 && i + 1 < argc)
      logon_user = argv[++i];
    else if (strcmp(argv[i], "--logons") == 0 && i + 1 < argc)
      logons = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--logon-type") == 0 && i + 1 < argc) {
      const char *t = argv[++i];
      if (strcmp(t, "network") == 0)
        logon_type = LOGON32_LOGON_NETWORK;
      else if (strcmp(t, "interactive") == 0)
        logon_type = LOGON32_LOGON_INTERACTIVE;
      else if (strcmp(t, "batch") == 0)
        logon_type = LOGON32_LOGON_BATCH;
      else
        return usage();
    } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--stop-file") == 0 && i + 1 < argc)
      stop_file = argv[++i];
    else
      return usage();
  }
  if (copies > MAX_COPIES || logons < 1 || logons > MAX_SOURCES)
    return usage();
  if (logon_user == NULL)
    logons = 0;
  if (n_pids == 0 && logon_user == NULL)
    self = 1;
  want = copies * ((unsigned long)(n_pids + self) + logons);
  tokens = calloc(want > 0 ? want : 1, sizeof *tokens);
  if (tokens == NULL)
    return 1;

  printf("pid %lu\n", GetCurrentProcessId());
  if (self)
    held += grab(GetCurrentProcess(), GetCurrentProcessId(), copies, impersonation, tokens);
  for (int i = 0; i < n_pids; i++) {
    HANDLE p = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pids[i]);
    if (p == NULL) {
      printf("error OpenProcess(pid %lu) failed: %lu\n", pids[i], GetLastError());
      continue;
    }
    held += grab(p, pids[i], copies, impersonation, tokens + held);
    CloseHandle(p);
  }
  if (logon_user != NULL) {
    wchar_t user[256], password[256];
    DWORD got = GetEnvironmentVariableW(L"LW_GRABBER_PASSWORD", password,
                                        (DWORD)(sizeof password / sizeof password[0]));
    if (MultiByteToWideChar(CP_ACP, 0, logon_user, -1, user, (int)(sizeof user / sizeof user[0])) ==
        0) {
      printf("error --logon: user name '%s' not understood\n", logon_user);
    } else if (got == 0 || got >= sizeof password / sizeof password[0]) {
      printf("error --logon: LW_GRABBER_PASSWORD is not set (or too long)\n");
    } else {
      for (unsigned long k = 0; k < logons; k++)
        held += grab_logon(user, password, logon_type, copies, impersonation, tokens + held);
    }
    SecureZeroMemory(password, sizeof password);
  }
  if (held < want)
    status = 1;
  if (child) {
    child_process = exited_child();
    if (child_process == NULL)
      status = 1;
  }
  printf("ready\n");
  fflush(stdout);

  until = GetTickCount64() + (ULONGLONG)seconds * 1000u;
  while (seconds == 0 || GetTickCount64() < until) {
    if (stop_file != NULL && GetFileAttributesA(stop_file) != INVALID_FILE_ATTRIBUTES)
      break;
    Sleep(100);
  }

  for (unsigned long i = 0; i < held; i++)
    CloseHandle(tokens[i]);
  if (child_process != NULL)
    CloseHandle(child_process);
  free(tokens);
  return status;
}
