/*
 * win_error.c - the Win32 and NTSTATUS -> LW_* translator (see win_error.h).
 */
#include <windows.h>

#include "error.h"
#include "win_error.h"

int lw_error_from_win32(unsigned long err) {
  switch (err) {
  case ERROR_ACCESS_DENIED:
  case ERROR_PRIVILEGE_NOT_HELD:
    return LW_EACCES;
  case ERROR_PATH_NOT_FOUND:
  case ERROR_FILE_NOT_FOUND:
  case ERROR_INVALID_DRIVE:
  case ERROR_BAD_NETPATH:
    return LW_ENOENT;
  case ERROR_DISK_FULL:
  case ERROR_HANDLE_DISK_FULL:
    return LW_ENOSPC;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
    return LW_ENOMEM;
  default:
    return LW_EOS;
  }
}

int lw_error_from_ntstatus(uint32_t status) {
  switch (status) {
  case LW_STATUS_ACCESS_DENIED:
  case LW_STATUS_PRIVILEGE_NOT_HELD:
    return LW_EACCES;
  default:
    return LW_EOS;
  }
}
