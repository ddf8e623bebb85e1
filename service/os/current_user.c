/* current_user.c - the process's user as DOMAIN\user (see current_user.h). */
#include <windows.h>
#define SECURITY_WIN32
#include <security.h>

#include "current_user.h"
#include "winutf.h"

char *lw_current_user(void) {
  wchar_t name[512];
  ULONG n = (ULONG)(sizeof name / sizeof name[0]);
  if (!GetUserNameExW(NameSamCompatible, name, &n))
    return NULL;
  return lw_utf8_from_wide(name);
}
