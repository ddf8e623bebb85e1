/*
 * data_acl.h - who may read LeakWatch's data folder.
 *
 * The history holds user and client names (personal data), so the data folder
 * (%ProgramData%\LeakWatch) gets a protected DACL: SYSTEM and Administrators
 * full control, nobody else anything, except the local group named by the
 * `readers` configuration key, which may read. Files created inside inherit it.
 */
#ifndef LW_DATA_ACL_H
#define LW_DATA_ACL_H

#include <stddef.h>

/* Applies that DACL to `dir` (UTF-8). `readers` may be NULL or "" (no group).
 * Returns 0, LW_EUNKNOWN when the group does not exist, or the translated
 * Win32 error (LW_EACCES, LW_EOS, ...: win_error.h); on failure writes a
 * sentence into err (errlen bytes). */
int lw_data_acl_apply(const char *dir, const char *readers, char *err, size_t errlen);

/* Writes the SDDL of that DACL into out (outlen bytes): what lw_data_acl_apply
 * sets, for tests and `leakwatch config check`. `readers_sid` is the group's
 * string SID or NULL. Returns 0 or LW_ENOSPC. */
int lw_data_acl_sddl(const char *readers_sid, char *out, size_t outlen);

#endif /* LW_DATA_ACL_H */
