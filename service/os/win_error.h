/*
 * win_error.h - the one translator from Win32 errors and NTSTATUS values to
 * LW_* codes (error.h), and the NTSTATUS values the adapters test for.
 *
 * As libuv's uv_translate_sys_error: one switch per kind, in win_error.c; an
 * adapter whose call gives an error a meaning of its own (access denied to
 * the LSA or WTS enumeration means "not an administrator", LW_ENOPRIV) says
 * so at its call site, beside the translation. Needs no Windows header.
 */
#ifndef LW_WIN_ERROR_H
#define LW_WIN_ERROR_H

#include <stdint.h>

/* NTSTATUS values (ntstatus.h clashes with windows.h; these are all we use),
 * unsigned as the collectors keep them; cast to NTSTATUS where one is typed. */
#define LW_STATUS_UNSUCCESSFUL 0xC0000001u
#define LW_STATUS_NOT_IMPLEMENTED 0xC0000002u
#define LW_STATUS_INFO_LENGTH_MISMATCH 0xC0000004u
#define LW_STATUS_BUFFER_OVERFLOW 0x80000005u
#define LW_STATUS_ACCESS_DENIED 0xC0000022u
#define LW_STATUS_BUFFER_TOO_SMALL 0xC0000023u
#define LW_STATUS_NO_SUCH_LOGON_SESSION 0xC000005Fu
#define LW_STATUS_PRIVILEGE_NOT_HELD 0xC0000061u

/* A Win32 error (GetLastError, or a returned DWORD) as an LW_E* code: denied
 * (LW_EACCES), not found (LW_ENOENT), disk full (LW_ENOSPC), out of memory
 * (LW_ENOMEM), anything else LW_EOS. Never 0: call it only on failure. */
int lw_error_from_win32(unsigned long err);

/* A failed NTSTATUS as an LW_E* code: denied (LW_EACCES), anything else LW_EOS. */
int lw_error_from_ntstatus(uint32_t status);

#endif /* LW_WIN_ERROR_H */
