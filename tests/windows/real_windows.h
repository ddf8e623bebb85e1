/*
 * real_windows.h - what the real-Windows tests (label `windows`, issue 18)
 * share: the Wine check that turns each into a visible skip (exit 77, ctest's
 * SKIP_RETURN_CODE) under Wine, where what they check cannot be true (every
 * token's AuthenticationId is 0:0, ReportEventW is a stub, file DACLs are not
 * kept, GetProcessHandleCount answers 0), and a failure counter that says
 * what failed. On Windows they must pass.
 */
#ifndef LW_REAL_WINDOWS_H
#define LW_REAL_WINDOWS_H

#include <windows.h>
#include <stdarg.h>
#include <stdio.h>

#define LW_SKIP_EXIT 77

typedef const char *(__cdecl *lw_wine_get_version_fn)(void);

/* Under Wine: prints "TEST: needs real Windows: running under Wine X" and
 * returns 1 (the caller exits LW_SKIP_EXIT); on Windows returns 0. */
static inline int lw_skip_under_wine(const char *test) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  FARPROC p = ntdll != NULL ? GetProcAddress(ntdll, "wine_get_version") : NULL;
  if (p == NULL)
    return 0;
  printf("%s: SKIPPED: needs real Windows: running under Wine %s\n", test,
         ((lw_wine_get_version_fn)(void (*)(void))p)());
  fflush(stdout);
  return 1;
}

/* Whether this process's token is in BUILTIN\Administrators (elevated). */
static inline int lw_is_elevated_admin(void) {
  SID_IDENTIFIER_AUTHORITY nt = {SECURITY_NT_AUTHORITY};
  PSID admins = NULL;
  BOOL member = FALSE;
  if (!AllocateAndInitializeSid(&nt, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS, 0, 0,
                                0, 0, 0, 0, &admins))
    return 0;
  if (!CheckTokenMembership(NULL, admins, &member))
    member = FALSE;
  FreeSid(admins);
  return member ? 1 : 0;
}

static int lw_failures;

#if defined(__GNUC__)
#define LW_REAL_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define LW_REAL_PRINTF_LIKE(f, a)
#endif

/* Records and prints one failed check: "FAIL: <what>". */
static inline void lw_fail(const char *fmt, ...) LW_REAL_PRINTF_LIKE(1, 2);
static inline void lw_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("FAIL: ", stdout);
  vprintf(fmt, ap);
  fputs("\n", stdout);
  va_end(ap);
  fflush(stdout);
  lw_failures++;
}

#endif /* LW_REAL_WINDOWS_H */
