/* data_acl.c - the data folder's DACL (see data_acl.h). */
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>

#include "data_acl.h"
#include "error.h"
#include "win_error.h"
#include "winutf.h"

int lw_data_acl_sddl(const char *readers_sid, char *out, size_t outlen) {
  /* P: protected (no inheritance from ProgramData, whose DACL lets Users read);
   * OICI: folders and files below inherit; FA full access, FR generic read. */
  int n;
  if (readers_sid != NULL && readers_sid[0] != 0)
    n = snprintf(out, outlen, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;%s)", readers_sid);
  else
    n = snprintf(out, outlen, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)");
  return n < 0 || (size_t)n >= outlen ? LW_ENOSPC : 0;
}

/* Resolves a local group name to its string SID (LocalFree'd by the caller). */
static int group_sid(const char *name, wchar_t **sid_text, char *err, size_t errlen) {
  wchar_t *wname = lw_wide_from_utf8(name);
  BYTE sid[SECURITY_MAX_SID_SIZE];
  DWORD sid_size = sizeof sid;
  wchar_t domain[256];
  DWORD domain_size = sizeof domain / sizeof domain[0];
  SID_NAME_USE use;
  int rc = 0;
  if (wname == NULL)
    return LW_ENOMEM;
  if (!LookupAccountNameW(NULL, wname, sid, &sid_size, domain, &domain_size, &use)) {
    snprintf(err, errlen, "readers: no local group '%s' (LookupAccountName error %lu)", name,
             GetLastError());
    rc = LW_EUNKNOWN;
  } else if (use != SidTypeGroup && use != SidTypeAlias && use != SidTypeWellKnownGroup) {
    snprintf(err, errlen, "readers: '%s' is not a group", name);
    rc = LW_EUNKNOWN;
  } else if (!ConvertSidToStringSidW(sid, sid_text)) {
    snprintf(err, errlen, "readers: cannot convert the SID of '%s'", name);
    rc = LW_EOS;
  }
  free(wname);
  return rc;
}

int lw_data_acl_apply(const char *dir, const char *readers, char *err, size_t errlen) {
  wchar_t *sid_text = NULL;
  char *sid_utf8 = NULL;
  wchar_t *wsddl = NULL, *wdir = NULL;
  PSECURITY_DESCRIPTOR sd = NULL;
  char sddl[512];
  int rc = 0;
  if (readers != NULL && readers[0] != 0) {
    rc = group_sid(readers, &sid_text, err, errlen);
    if (rc != 0)
      goto cleanup;
    sid_utf8 = lw_utf8_from_wide(sid_text);
  }
  rc = lw_data_acl_sddl(sid_utf8, sddl, sizeof sddl);
  if (rc != 0)
    goto cleanup;
  wsddl = lw_wide_from_utf8(sddl);
  wdir = lw_wide_from_utf8(dir);
  if (wsddl == NULL || wdir == NULL) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(wsddl, SDDL_REVISION_1, &sd, NULL)) {
    snprintf(err, errlen, "cannot build the security descriptor %s (error %lu)", sddl,
             GetLastError());
    rc = LW_EOS;
    goto cleanup;
  }
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = NULL;
  GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
  DWORD werr = SetNamedSecurityInfoW(
      wdir, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, NULL,
      NULL, dacl, NULL);
  if (werr != ERROR_SUCCESS) {
    char *why = lw_win32_error_text(werr);
    snprintf(err, errlen, "cannot set the access list of %s to %s: %s", dir, sddl, why ? why : "?");
    free(why);
    rc = lw_error_from_win32(werr);
  }
cleanup:
  if (sd != NULL)
    LocalFree(sd);
  if (sid_text != NULL)
    LocalFree(sid_text);
  free(sid_utf8);
  free(wsddl);
  free(wdir);
  return rc;
}
