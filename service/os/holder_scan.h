/*
 * holder_scan.h - the holder scan: which processes hold tokens of given logon
 * sessions, live, from user mode.
 *
 * One scan: enable SeDebugPrivilege (restored afterwards), read the system
 * handle table (NtQuerySystemInformation(SystemExtendedHandleInformation), into
 * a buffer kept between scans), keep the Token and Process handles of other
 * processes (type indices resolved by name once, with NtQueryObject
 * (ObjectTypesInformation), and checked against a Token handle of our own),
 * open each owner process once with PROCESS_DUP_HANDLE, duplicate each Token
 * handle with TOKEN_QUERY only and read TokenStatistics (AuthenticationId,
 * TokenType), and each Process handle with PROCESS_QUERY_LIMITED_INFORMATION to
 * find exited processes (GetExitCodeProcess != STILL_ACTIVE) whose primary
 * token belongs to a session of interest. Holders get their image path and
 * the services they host (EnumServicesStatusExW, SERVICE_WIN32). The matching
 * and grouping are common/holders.c's.
 *
 * Every duplicated handle, process handle, token handle and SCM handle is
 * closed on every path: the monitor must never become the leak it hunts.
 * Processes that refuse (protected, PPL, System) are counted as not
 * inspectable, not errors. A scan stops at its deadline and returns what it
 * found, marked partial. Its cost (handles seen, token handles inspected,
 * milliseconds) is in the result.
 *
 * The OS functions come from a table (struct lw_holder_api): production uses
 * lw_holder_api_system(), tests pass fakes. Windows only; one thread at a time
 * per scanner (lw_holder_scan_activity excepted).
 */
#ifndef LW_HOLDER_SCAN_H
#define LW_HOLDER_SCAN_H

#include <windows.h>
#include <winternl.h>
#include <stddef.h>
#include <stdint.h>

#include "holders.h"

/* The calls the scan makes. Every member has the signature, calling
 * convention and contract of the function it is named after;
 * query_system_information and query_object are ntdll's
 * NtQuerySystemInformation and NtQueryObject (information classes as ULONG). */
struct lw_holder_api {
  NTSTATUS(NTAPI *query_system_information)
  (ULONG info_class, PVOID buffer, ULONG length, PULONG return_length);
  NTSTATUS(NTAPI *query_object)
  (HANDLE handle, ULONG info_class, PVOID buffer, ULONG length, PULONG return_length);
  HANDLE(WINAPI *get_current_process)(void);
  DWORD(WINAPI *get_current_process_id)(void);
  HANDLE(WINAPI *open_process)(DWORD access, BOOL inherit, DWORD pid);
  BOOL(WINAPI *duplicate_handle)
  (HANDLE source_process, HANDLE source, HANDLE target_process, LPHANDLE target, DWORD access,
   BOOL inherit, DWORD options);
  BOOL(WINAPI *close_handle)(HANDLE handle);
  BOOL(WINAPI *get_token_information)
  (HANDLE token, TOKEN_INFORMATION_CLASS info_class, LPVOID info, DWORD length,
   PDWORD return_length);
  BOOL(WINAPI *open_process_token)(HANDLE process, DWORD access, PHANDLE token);
  BOOL(WINAPI *query_full_process_image_name)
  (HANDLE process, DWORD flags, LPWSTR name, PDWORD size);
  BOOL(WINAPI *get_exit_code_process)(HANDLE process, LPDWORD code);
  DWORD(WINAPI *get_process_id)(HANDLE process);
  BOOL(WINAPI *lookup_privilege_value)(LPCWSTR system, LPCWSTR name, PLUID luid);
  BOOL(WINAPI *adjust_token_privileges)
  (HANDLE token, BOOL disable_all, PTOKEN_PRIVILEGES state, DWORD length,
   PTOKEN_PRIVILEGES previous, PDWORD return_length);
  SC_HANDLE(WINAPI *open_sc_manager)(LPCWSTR machine, LPCWSTR database, DWORD access);
  BOOL(WINAPI *enum_services_status_ex)
  (SC_HANDLE scm, SC_ENUM_TYPE level, DWORD type, DWORD state, LPBYTE buffer, DWORD size,
   LPDWORD needed, LPDWORD returned, LPDWORD resume, LPCWSTR group);
  BOOL(WINAPI *close_service_handle)(SC_HANDLE handle);
  ULONGLONG(WINAPI *get_tick_count64)(void); /* the deadline's clock */
};

/* The real functions: a static table (never NULL, never freed). The ntdll
 * members are resolved once with GetProcAddress; if ntdll lacked one, its
 * member returns STATUS_NOT_IMPLEMENTED (never on Windows). Thread-safe. */
const struct lw_holder_api *lw_holder_api_system(void);

struct lw_holder_scanner;

/* Opens a scanner (no OS call yet). api NULL means lw_holder_api_system(); a
 * table passed must outlive the scanner. Returns 0 and *out (free with
 * lw_holder_scanner_close), LW_EINVAL (out NULL) or LW_ENOMEM. */
int lw_holder_scanner_open(const struct lw_holder_api *api, struct lw_holder_scanner **out);

/* Frees the scanner and its buffers. Holds no OS handle between scans. NULL is
 * fine. */
void lw_holder_scanner_close(struct lw_holder_scanner *s);

/* Runs one scan for the logon sessions `luids` (n of them, any order; NULL:
 * every logon session, as `leakwatch holders` does; n 0 with a non-NULL luids:
 * nothing to look for, an empty result without any OS call), stopping after
 * about deadline_ms milliseconds (0: no deadline).
 * Returns 0 and a new result in *out (the caller frees it with
 * lw_holders_result_free): complete, or cost.partial when the deadline
 * stopped it. Processes that refuse are counted, not errors. On failure
 * *out is NULL and the return is LW_ENOPRIV (the handle table was refused),
 * LW_EUNKNOWN (no "Token" object type found), LW_EOS (another call the scan
 * cannot do without failed), LW_ENOMEM or LW_EINVAL; lw_holder_scan_error()
 * then says what failed. Every handle opened by the scan is closed before it
 * returns, whatever the outcome. */
int lw_holder_scan_run(struct lw_holder_scanner *s, const uint64_t *luids, size_t n,
                       uint32_t deadline_ms, struct lw_holders_result **out);

/* The last failure of lw_holder_scan_run as a sentence (UTF-8; "" after a
 * success). Owned by the scanner; valid until its next scan. */
const char *lw_holder_scan_error(const struct lw_holder_scanner *s);

/* What a running scan is doing now ("reading the system handle table
 * (NtQuerySystemInformation)", "reading the handles of process 1234", ...), as
 * a sentence fragment into buf. Safe to call from another thread while the
 * scan runs: that is what it is for, naming the call a stuck scan is in. */
void lw_holder_scan_activity(const struct lw_holder_scanner *s, char *buf, size_t size);

/* The handle-table type indices the scanner uses ({0, 0} before its first
 * scan), for tests and diagnostics. */
struct lw_holders_types lw_holder_scan_types(const struct lw_holder_scanner *s);

#endif /* LW_HOLDER_SCAN_H */
