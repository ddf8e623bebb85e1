/*
 * token_grabber.c - a test program that leaks logon sessions on purpose, as
 * the grabber of Microsoft's AskDS article on LSA logon session leaks does:
 * it duplicates tokens and holds the copies, so their logon sessions cannot
 * end, until it is killed or its time is up. Used by the holder scan's Wine
 * tests (tests/wine/test_holders.sh, test_holder_handles.c) and by hand.
 *
 *   token_grabber [--copies N] [--impersonation] [--pid PID]... [--child]
 *                 [--seconds S] [--stop-file PATH]
 *
 *   --copies N       copies of each token taken (default 3)
 *   --impersonation  make impersonation tokens instead of primary ones
 *   --pid PID        also copy PID's primary token (OpenProcess +
 *                    OpenProcessToken + DuplicateTokenEx); repeatable. Without
 *                    any --pid, our own process token is copied.
 *   --self           copy our own token too when --pid is given
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
  fputs("usage: token_grabber [--copies N] [--impersonation] [--pid PID]... [--self] [--child]\n"
        "                     [--seconds S] [--stop-file PATH]\n",
        stderr);
  return 2;
}

/* Copies the primary token of `process` `copies` times into tokens[]. Returns
 * the number taken (the caller closes them at exit), printing what failed. */
static unsigned long grab(HANDLE process, DWORD pid, unsigned long copies, BOOL impersonation,
                          HANDLE *tokens) {
  HANDLE source = NULL;
  unsigned long n = 0;
  if (!OpenProcessToken(process, TOKEN_DUPLICATE | TOKEN_QUERY, &source)) {
    printf("error OpenProcessToken(pid %lu) failed: %lu\n", pid, GetLastError());
    return 0;
  }
  for (n = 0; n < copies; n++) {
    if (!DuplicateTokenEx(source, TOKEN_QUERY | TOKEN_DUPLICATE | TOKEN_IMPERSONATE, NULL,
                          SecurityImpersonation, impersonation ? TokenImpersonation : TokenPrimary,
                          &tokens[n])) {
      printf("error DuplicateTokenEx(pid %lu) failed: %lu\n", pid, GetLastError());
      break;
    }
  }
  /* Only the copies stay: the count of token handles is exactly what we say. */
  CloseHandle(source);
  printf("token %lu %s copies of pid %lu\n", n, impersonation ? "impersonation" : "primary", pid);
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
  unsigned long copies = 3, seconds = 0, held = 0, want = 0;
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
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--stop-file") == 0 && i + 1 < argc)
      stop_file = argv[++i];
    else
      return usage();
  }
  if (copies > MAX_COPIES)
    return usage();
  if (n_pids == 0)
    self = 1;
  want = copies * (unsigned long)(n_pids + self);
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
