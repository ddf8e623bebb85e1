/*
 * Wine test (issue 12): the holder scan's handle-table read when the table
 * does not fit the first 1 MiB buffer (26,213 entries). This process holds
 * 30,000 events, so the first call must answer STATUS_INFO_LENGTH_MISMATCH
 * and read_table must grow its buffer; the answer (20 bytes a handle in
 * Wine's protocol, ~600 KB) is also far larger than the 64 KiB reply pipe, so
 * the wineserver has to finish writing it in pieces. Scans run on a worker
 * thread, as in the service, which must come back by returning (its exit code
 * is ours): a thread that Wine ended in the call has another exit code. No
 * timing is asserted.
 */
#include <windows.h>
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

#define HELD 30000       /* more than a 1 MiB buffer holds (26,213 entries) */
#define SCANS 20         /* the first grows the buffer, the rest reuse it */
#define RETURNED 0x5CA7u /* the worker's exit code when it returned */
#define NO_SCANNER 0x5CA8u

static HANDLE held[HELD];

struct scans {
  int rc[SCANS];
  uint64_t seen[SCANS];
  char error[512];
};

static DWORD WINAPI scan_worker(LPVOID param) {
  struct scans *out = param;
  struct lw_holder_scanner *s = NULL;
  /* A LUID no session has: the table is read whole, nothing matches. */
  const uint64_t luid = 0x7FFFFFF0u;
  if (lw_holder_scanner_open(NULL, &s) != 0)
    return NO_SCANNER;
  for (int i = 0; i < SCANS; i++) {
    struct lw_holders_result *r = NULL;
    out->rc[i] = lw_holder_scan_run(s, &luid, 1, 0, &r);
    if (out->rc[i] != 0)
      snprintf(out->error, sizeof out->error, "%s", lw_holder_scan_error(s));
    else
      out->seen[i] = r->cost.handles_seen;
    lw_holders_result_free(r);
  }
  lw_holder_scanner_close(s);
  return RETURNED;
}

static int hold_events(void **state) {
  (void)state;
  for (int i = 0; i < HELD; i++) {
    held[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (held[i] == NULL) {
      fprintf(stderr, "CreateEventW #%d failed: %lu\n", i, GetLastError());
      return -1;
    }
  }
  return 0;
}

static int close_events(void **state) {
  (void)state;
  for (int i = 0; i < HELD; i++)
    if (held[i] != NULL)
      CloseHandle(held[i]);
  return 0;
}

static void test_table_grows_and_thread_returns(void **state) {
  struct scans *out = calloc(1, sizeof *out);
  DWORD code = 0;
  (void)state;
  assert_non_null(out);
  HANDLE t = CreateThread(NULL, 0, scan_worker, out, 0, NULL);
  assert_non_null(t);
  assert_int_equal(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
  assert_true(GetExitCodeThread(t, &code));
  CloseHandle(t);
  printf("worker exit code 0x%lX, handles seen by the first and last scans: %llu, %llu\n", code,
         (unsigned long long)out->seen[0], (unsigned long long)out->seen[SCANS - 1]);
  assert_int_equal(code, RETURNED);
  for (int i = 0; i < SCANS; i++) {
    if (out->rc[i] != 0)
      fail_msg("scan %d failed: %d %s", i, out->rc[i], out->error);
    /* Every scan saw our events: the buffer really grew past 1 MiB. */
    assert_true(out->seen[i] >= HELD);
  }
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_grows_and_thread_returns),
  };
  return cmocka_run_group_tests(tests, hold_events, close_events);
}
