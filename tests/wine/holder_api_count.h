/*
 * holder_api_count.h - a counting test double of the holder scan's OS function
 * table (struct lw_holder_api, holder_scan.h): every call is counted, by
 * member, then passed to an inner table (a fake, or lw_holder_api_system()).
 * Counts are behaviour, not timing: tests assert them (issue 17: system calls
 * only for the token handles of candidate processes, none per handle entry).
 * One inner table at a time (the counters are global); include in one file.
 */
#ifndef LW_HOLDER_API_COUNT_H
#define LW_HOLDER_API_COUNT_H

#include "holder_scan.h"

enum {
  CNT_QSI,
  CNT_QO,
  CNT_CURRENT,
  CNT_CURRENT_PID,
  CNT_OPEN_PROCESS,
  CNT_DUPLICATE,
  CNT_CLOSE,
  CNT_TOKEN_INFO,
  CNT_OPEN_TOKEN,
  CNT_IMAGE,
  CNT_EXIT_CODE,
  CNT_PROCESS_ID,
  CNT_LOOKUP_PRIV,
  CNT_ADJUST,
  CNT_OPEN_SCM,
  CNT_ENUM_SERVICES,
  CNT_CLOSE_SCM,
  CNT_TICK,
  CNT_MEMBERS
};

static const struct lw_holder_api *cnt_inner;
static unsigned long cnt_calls[CNT_MEMBERS];

/* The calls that reach the OS kernel: all but the two pseudo-handle getters
 * and the clock, which only read the process's own memory. */
static unsigned long cnt_system_calls(void) {
  unsigned long n = 0;
  for (int i = 0; i < CNT_MEMBERS; i++)
    if (i != CNT_CURRENT && i != CNT_CURRENT_PID && i != CNT_TICK)
      n += cnt_calls[i];
  return n;
}

static NTSTATUS NTAPI cnt_qsi(ULONG c, PVOID b, ULONG l, PULONG r) {
  cnt_calls[CNT_QSI]++;
  return cnt_inner->query_system_information(c, b, l, r);
}
static NTSTATUS NTAPI cnt_qo(HANDLE h, ULONG c, PVOID b, ULONG l, PULONG r) {
  cnt_calls[CNT_QO]++;
  return cnt_inner->query_object(h, c, b, l, r);
}
static HANDLE WINAPI cnt_current(void) {
  cnt_calls[CNT_CURRENT]++;
  return cnt_inner->get_current_process();
}
static DWORD WINAPI cnt_current_pid(void) {
  cnt_calls[CNT_CURRENT_PID]++;
  return cnt_inner->get_current_process_id();
}
static HANDLE WINAPI cnt_open_process(DWORD a, BOOL i, DWORD pid) {
  cnt_calls[CNT_OPEN_PROCESS]++;
  return cnt_inner->open_process(a, i, pid);
}
static BOOL WINAPI cnt_duplicate(HANDLE sp, HANDLE s, HANDLE tp, LPHANDLE t, DWORD a, BOOL i,
                                 DWORD o) {
  cnt_calls[CNT_DUPLICATE]++;
  return cnt_inner->duplicate_handle(sp, s, tp, t, a, i, o);
}
static BOOL WINAPI cnt_close(HANDLE h) {
  cnt_calls[CNT_CLOSE]++;
  return cnt_inner->close_handle(h);
}
static BOOL WINAPI cnt_token_info(HANDLE h, TOKEN_INFORMATION_CLASS c, LPVOID b, DWORD l,
                                  PDWORD r) {
  cnt_calls[CNT_TOKEN_INFO]++;
  return cnt_inner->get_token_information(h, c, b, l, r);
}
static BOOL WINAPI cnt_open_token(HANDLE p, DWORD a, PHANDLE t) {
  cnt_calls[CNT_OPEN_TOKEN]++;
  return cnt_inner->open_process_token(p, a, t);
}
static BOOL WINAPI cnt_image(HANDLE p, DWORD f, LPWSTR n, PDWORD s) {
  cnt_calls[CNT_IMAGE]++;
  return cnt_inner->query_full_process_image_name(p, f, n, s);
}
static BOOL WINAPI cnt_exit_code(HANDLE p, LPDWORD c) {
  cnt_calls[CNT_EXIT_CODE]++;
  return cnt_inner->get_exit_code_process(p, c);
}
static DWORD WINAPI cnt_process_id(HANDLE p) {
  cnt_calls[CNT_PROCESS_ID]++;
  return cnt_inner->get_process_id(p);
}
static BOOL WINAPI cnt_lookup_priv(LPCWSTR s, LPCWSTR n, PLUID l) {
  cnt_calls[CNT_LOOKUP_PRIV]++;
  return cnt_inner->lookup_privilege_value(s, n, l);
}
static BOOL WINAPI cnt_adjust(HANDLE t, BOOL d, PTOKEN_PRIVILEGES s, DWORD l, PTOKEN_PRIVILEGES p,
                              PDWORD r) {
  cnt_calls[CNT_ADJUST]++;
  return cnt_inner->adjust_token_privileges(t, d, s, l, p, r);
}
static SC_HANDLE WINAPI cnt_open_scm(LPCWSTR m, LPCWSTR d, DWORD a) {
  cnt_calls[CNT_OPEN_SCM]++;
  return cnt_inner->open_sc_manager(m, d, a);
}
static BOOL WINAPI cnt_enum_services(SC_HANDLE h, SC_ENUM_TYPE l, DWORD t, DWORD s, LPBYTE b,
                                     DWORD z, LPDWORD n, LPDWORD r, LPDWORD h2, LPCWSTR g) {
  cnt_calls[CNT_ENUM_SERVICES]++;
  return cnt_inner->enum_services_status_ex(h, l, t, s, b, z, n, r, h2, g);
}
static BOOL WINAPI cnt_close_scm(SC_HANDLE h) {
  cnt_calls[CNT_CLOSE_SCM]++;
  return cnt_inner->close_service_handle(h);
}
static ULONGLONG WINAPI cnt_tick(void) {
  cnt_calls[CNT_TICK]++;
  return cnt_inner->get_tick_count64();
}

/* The counting table over `inner`, counters zeroed. */
static const struct lw_holder_api *cnt_api(const struct lw_holder_api *inner) {
  static const struct lw_holder_api table = {
      .query_system_information = cnt_qsi,
      .query_object = cnt_qo,
      .get_current_process = cnt_current,
      .get_current_process_id = cnt_current_pid,
      .open_process = cnt_open_process,
      .duplicate_handle = cnt_duplicate,
      .close_handle = cnt_close,
      .get_token_information = cnt_token_info,
      .open_process_token = cnt_open_token,
      .query_full_process_image_name = cnt_image,
      .get_exit_code_process = cnt_exit_code,
      .get_process_id = cnt_process_id,
      .lookup_privilege_value = cnt_lookup_priv,
      .adjust_token_privileges = cnt_adjust,
      .open_sc_manager = cnt_open_scm,
      .enum_services_status_ex = cnt_enum_services,
      .close_service_handle = cnt_close_scm,
      .get_tick_count64 = cnt_tick,
  };
  cnt_inner = inner;
  memset(cnt_calls, 0, sizeof cnt_calls);
  return &table;
}

/* One scan of every logon session through the counting table over `inner`:
 * its result (NULL when the scan failed), *ms its wall time, *calls its system
 * calls beside reading the handle table (cnt_calls[CNT_QSI]: once, and again
 * while the buffer grows to the table's size). */
static struct lw_holders_result *cnt_scan(const struct lw_holder_api *inner, double *ms,
                                          unsigned long *calls) {
  struct lw_holder_scanner *s = NULL;
  struct lw_holders_result *r = NULL;
  LARGE_INTEGER f, t0, t1;
  if (lw_holder_scanner_open(cnt_api(inner), &s) != 0)
    return NULL;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&t0);
  if (lw_holder_scan_run(s, NULL, 0, 0, &r) != 0)
    r = NULL;
  QueryPerformanceCounter(&t1);
  *ms = (double)(t1.QuadPart - t0.QuadPart) * 1e3 / (double)f.QuadPart;
  lw_holder_scanner_close(s);
  *calls = cnt_system_calls() - cnt_calls[CNT_QSI];
  return r;
}

#endif /* LW_HOLDER_API_COUNT_H */
