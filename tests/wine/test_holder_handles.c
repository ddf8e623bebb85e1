/*
 * Wine test: the holder scan with the real OS functions must not leak what it
 * hunts. Starts tests/tools/token_grabber.exe (argv[1]) holding 5 tokens and
 * an exited child's process handle, runs one scan (warm-up: buffers, types),
 * counts this process's handles, runs 100 more scans, each of which must name
 * the grabber with its 5 tokens (so every scan really duplicates handles), and
 * counts again: the counts must be identical.
 *
 * Handles are counted two ways: GetProcessHandleCount (Wine always says 0) and
 * this process's entries in NtQuerySystemInformation(SystemExtendedHandle-
 * Information), which Wine fills. The second count is shown to see one extra
 * handle before it is trusted.
 */
#include <windows.h>
#include <winternl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "holder_scan.h"
#include "holders.h"

#define GRABBER_TOKENS 5
#define SCANS 100

static const char *grabber_path;
static HANDLE grabber;
static DWORD grabber_pid;

typedef NTSTATUS(NTAPI *qsi_fn)(ULONG, PVOID, ULONG, PULONG);

/* This process's entries in the system handle table, or -1. */
static long table_handles(void) {
  qsi_fn qsi = (qsi_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                      "NtQuerySystemInformation");
  ULONG size = 1u << 20, got = 0;
  unsigned char *buf = NULL;
  NTSTATUS st;
  long n = -1;
  for (int i = 0; i < 10; i++) {
    free(buf);
    buf = malloc(size);
    if (buf == NULL)
      return -1;
    st = qsi(64, buf, size, &got);
    if (st != (NTSTATUS)0xC0000004L)
      break;
    size = got > size ? got + got / 4 : size * 2;
  }
  if (st == 0) {
    ULONG_PTR count;
    const struct lw_handle_entry *e = (const struct lw_handle_entry *)(buf + 16);
    memcpy(&count, buf, sizeof count);
    n = 0;
    for (ULONG_PTR i = 0; i < count; i++)
      n += e[i].pid == GetCurrentProcessId();
  }
  free(buf);
  return n;
}

static DWORD api_handles(void) {
  DWORD n = 0;
  GetProcessHandleCount(GetCurrentProcess(), &n);
  return n;
}

/* Starts the grabber and reads its stdout until "ready". */
static int start_grabber(void **state) {
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
  HANDLE rd = NULL, wr = NULL;
  STARTUPINFOA si;
  PROCESS_INFORMATION pi;
  char cmd[1024], out[4096];
  size_t len = 0;
  (void)state;
  assert_true(CreatePipe(&rd, &wr, &sa, 0));
  SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdOutput = wr;
  si.hStdError = wr;
  snprintf(cmd, sizeof cmd, "\"%s\" --copies %d --child --seconds 300", grabber_path,
           GRABBER_TOKENS);
  assert_true(CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi));
  CloseHandle(wr);
  CloseHandle(pi.hThread);
  grabber = pi.hProcess;
  grabber_pid = pi.dwProcessId;
  out[0] = '\0';
  while (strstr(out, "ready") == NULL) {
    DWORD n = 0;
    if (len >= sizeof out - 1 ||
        !ReadFile(rd, out + len, (DWORD)(sizeof out - 1 - len), &n, NULL) || n == 0)
      break;
    len += n;
    out[len] = '\0';
  }
  out[len] = '\0';
  CloseHandle(rd);
  printf("grabber: %s", out);
  assert_non_null(strstr(out, "ready"));
  assert_non_null(strstr(out, "token 5 primary copies"));
  return 0;
}

static int stop_grabber(void **state) {
  (void)state;
  if (grabber != NULL) {
    TerminateProcess(grabber, 0);
    WaitForSingleObject(grabber, 5000);
    CloseHandle(grabber);
    grabber = NULL;
  }
  return 0;
}

/* The count used below sees one extra handle (else the test could not fail). */
static void test_counter_sees_a_handle(void **state) {
  (void)state;
  long before = table_handles();
  assert_true(before > 0);
  HANDLE ev = CreateEventW(NULL, FALSE, FALSE, NULL);
  assert_non_null(ev);
  assert_int_equal(table_handles(), before + 1);
  CloseHandle(ev);
  assert_int_equal(table_handles(), before);
}

static void scan_once(struct lw_holder_scanner *s) {
  struct lw_holders_result *r = NULL;
  int rc = lw_holder_scan_run(s, NULL, 0, 0, &r);
  if (rc != 0)
    fail_msg("scan failed: %d %s", rc, lw_holder_scan_error(s));
  /* the grabber is named with its tokens, whatever its LUID (0:0 on Wine) */
  uint32_t tokens = 0;
  for (size_t i = 0; i < r->n_sessions; i++)
    for (size_t j = 0; j < r->sessions[i].n_holders; j++)
      if (r->sessions[i].holders[j].pid == grabber_pid && !r->sessions[i].holders[j].exited_process)
        tokens += r->sessions[i].holders[j].tokens;
  assert_int_equal(tokens, GRABBER_TOKENS);
  assert_true(r->cost.token_handles_inspected >= GRABBER_TOKENS);
  lw_holders_result_free(r);
}

static void test_no_handle_leak(void **state) {
  struct lw_holder_scanner *s = NULL;
  (void)state;
  assert_int_equal(lw_holder_scanner_open(NULL, &s), 0);
  scan_once(s); /* warm-up: the handle-table buffer, the object types */
  long table_before = table_handles();
  DWORD api_before = api_handles();
  for (int i = 0; i < SCANS; i++)
    scan_once(s);
  long table_after = table_handles();
  DWORD api_after = api_handles();
  printf("handles before/after %d scans: table %ld/%ld, GetProcessHandleCount %lu/%lu\n", SCANS,
         table_before, table_after, api_before, api_after);
  assert_true(table_before > 0);
  assert_int_equal(table_after, table_before);
  assert_int_equal(api_after, api_before);
  lw_holder_scanner_close(s);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_holder_handles PATH\\token_grabber.exe\n");
    return 2;
  }
  grabber_path = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counter_sees_a_handle),
      cmocka_unit_test(test_no_handle_leak),
  };
  return cmocka_run_group_tests(tests, start_grabber, stop_grabber);
}
