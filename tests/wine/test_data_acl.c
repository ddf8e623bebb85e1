/*
 * Wine test of data_acl.c: the data folder gets exactly the protected DACL
 * (SYSTEM and Administrators full control, the readers group read, nobody
 * else), read back with GetNamedSecurityInfoW; an unknown group is refused.
 * Wine 8 accepts SetNamedSecurityInfoW on a file but keeps nothing (it reads
 * back its default DACL): there the exact read-back is replaced by a check of
 * that known behaviour, which fails the day Wine starts storing file DACLs.
 */
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "data_acl.h"
#include "error.h"

static char dir[MAX_PATH];

static int under_wine(void) {
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

/* Asserts the folder's DACL is `want` (on Windows) or Wine's unchanged default. */
static char *read_dacl(void);
static void assert_dacl(const char *want) {
  char *got = read_dacl();
  if (under_wine())
    assert_true(strncmp(got, "D:P", 3) != 0 && strstr(got, ";;;BA)") == NULL);
  else
    assert_string_equal(got, want);
  free(got);
}

static int make_dir(void **state) {
  (void)state;
  char tmp[MAX_PATH];
  GetTempPathA(sizeof tmp, tmp);
  snprintf(dir, sizeof dir, "%slw-acl-%lu", tmp, GetCurrentProcessId());
  CreateDirectoryA(dir, NULL);
  return 0;
}

static int remove_dir(void **state) {
  (void)state;
  RemoveDirectoryA(dir);
  return 0;
}

/* The folder's DACL as SDDL (malloc'd). */
static char *read_dacl(void) {
  PSECURITY_DESCRIPTOR sd = NULL;
  PACL dacl = NULL;
  char *sddl = NULL, *out = NULL;
  DWORD rc = GetNamedSecurityInfoA(dir, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL,
                                   &dacl, NULL, &sd);
  assert_int_equal(rc, ERROR_SUCCESS);
  assert_true(ConvertSecurityDescriptorToStringSecurityDescriptorA(
      sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &sddl, NULL));
  out = _strdup(sddl);
  LocalFree(sddl);
  LocalFree(sd);
  return out;
}

static void test_admins_and_system_only(void **state) {
  char err[512] = "";
  (void)state;
  assert_int_equal(lw_data_acl_apply(dir, "", err, sizeof err), 0);
  assert_dacl("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)");
}

static void test_readers_group_reads(void **state) {
  char err[512] = "";
  (void)state;
  assert_int_equal(lw_data_acl_apply(dir, "Users", err, sizeof err), 0);
  assert_dacl("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;BU)");
}

static void test_unknown_group_refused(void **state) {
  char err[512] = "";
  (void)state;
  assert_int_equal(lw_data_acl_apply(dir, "No Such Group 42", err, sizeof err), LW_EUNKNOWN);
  assert_non_null(strstr(err, "readers: no local group 'No Such Group 42'"));
}

static void test_sddl_text(void **state) {
  char out[128];
  (void)state;
  assert_int_equal(lw_data_acl_sddl("S-1-5-32-545", out, sizeof out), 0);
  assert_string_equal(out, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;S-1-5-32-545)");
  assert_int_equal(lw_data_acl_sddl(NULL, out, 10), LW_ENOSPC);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sddl_text),
      cmocka_unit_test(test_admins_and_system_only),
      cmocka_unit_test(test_readers_group_reads),
      cmocka_unit_test(test_unknown_group_refused),
  };
  return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
