/*
 * os_api.h - the operating system calls the collectors make, as small tables
 * of function pointers.
 *
 * Production passes the tables returned by the lw_*_api_system() functions
 * below, filled with the real functions of secur32, wtsapi32, ntdll, kernel32
 * and advapi32. Tests fill their own tables with fakes (tests/wine/
 * test_collect.c), so the collectors' rules (counted strings, every buffer and
 * handle freed, the LUID cache, failures of one source) are exercised without
 * wrapping the linker or compiling test hooks into the product. The
 * end-to-end tests go one level lower: the unchanged exe with these system
 * tables, on fake secur32.dll / wtsapi32.dll (tests/fakehost/).
 *
 * Every member has exactly the signature and calling convention of the
 * Windows function it stands for, and the same contract: what it allocates
 * must be freed with the table's free function, what it opens closed with the
 * table's close function.
 *
 * Windows only.
 */
#ifndef LW_OS_API_H
#define LW_OS_API_H

#include <windows.h>
#include <ntsecapi.h>
#include <wtsapi32.h>

/* LSA logon sessions (secur32.dll). */
struct lw_lsa_api {
  NTSTATUS(NTAPI *enumerate_logon_sessions)(PULONG count, PLUID *list);
  NTSTATUS(NTAPI *get_logon_session_data)(PLUID luid, PSECURITY_LOGON_SESSION_DATA *data);
  NTSTATUS(NTAPI *free_return_buffer)(PVOID buffer);
};

/* Remote Desktop (WTS) sessions of the local server (wtsapi32.dll). */
struct lw_wts_api {
  BOOL(WINAPI *enumerate_sessions)
  (HANDLE server, DWORD reserved, DWORD version, PWTS_SESSION_INFOW *info, DWORD *count);
  BOOL(WINAPI *query_session_information)
  (HANDLE server, DWORD session_id, WTS_INFO_CLASS info_class, LPWSTR *buffer, DWORD *bytes);
  void(WINAPI *free_memory)(PVOID memory);
};

/* Processes and their primary tokens. query_system_information is ntdll's
 * NtQuerySystemInformation (resolved with GetProcAddress): the collector uses
 * it for the one system-wide process list (SystemProcessInformation, 5) and
 * for the boot time (SystemTimeOfDayInformation, 3). */
struct lw_process_api {
  NTSTATUS(NTAPI *query_system_information)
  (ULONG info_class, PVOID buffer, ULONG length, PULONG return_length);
  HANDLE(WINAPI *open_process)(DWORD access, BOOL inherit, DWORD pid);
  BOOL(WINAPI *open_process_token)(HANDLE process, DWORD access, PHANDLE token);
  BOOL(WINAPI *get_token_information)
  (HANDLE token, TOKEN_INFORMATION_CLASS info_class, LPVOID info, DWORD length,
   PDWORD return_length);
  BOOL(WINAPI *close_handle)(HANDLE handle);
};

/* The real functions. Each returns a pointer to a static table (never NULL,
 * never to be freed), safe to call from any thread. In the process table,
 * query_system_information is a stub returning STATUS_NOT_IMPLEMENTED if
 * ntdll lacks NtQuerySystemInformation (it never does on Windows). */
const struct lw_lsa_api *lw_lsa_api_system(void);
const struct lw_wts_api *lw_wts_api_system(void);
const struct lw_process_api *lw_process_api_system(void);

#endif /* LW_OS_API_H */
