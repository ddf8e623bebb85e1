/* current_user.c - the process's user as DOMAIN\user (see current_user.h).
 * advapi32's GetUserNameW with %USERDOMAIN%, not secur32's GetUserNameExW:
 * one fewer library at the CLI's start, and the simulated host's secur32
 * (tests/fakehost) has only the LSA functions. */
#include <windows.h>
#include <stdlib.h>

#include "current_user.h"
#include "winutf.h"

char *lw_current_user(void) {
  wchar_t name[600];
  DWORD n = 256;
  DWORD d = GetEnvironmentVariableW(L"USERDOMAIN", name, 256);
  if (d == 0 || d >= 256)
    d = 0;
  else
    name[d++] = L'\\';
  n = (DWORD)(sizeof name / sizeof name[0]) - d;
  if (!GetUserNameW(name + d, &n))
    return NULL;
  return lw_utf8_from_wide(name);
}
