/*
 * service_config.h - the service's own SCM settings that the MSI cannot set
 * (wixl has no element for them), kept in place by the service at each start.
 *
 * Four settings, each read with QueryServiceConfig2W and written with
 * ChangeServiceConfig2W only when it differs:
 *   - recovery (SERVICE_CONFIG_FAILURE_ACTIONS): restart after 60 s, restart
 *     after 60 s, then nothing; the failure count resets after one day;
 *   - SERVICE_CONFIG_FAILURE_ACTIONS_FLAG: TRUE, so a stop with an error exit
 *     code (a configuration error: service-specific code 10, ...) counts as a
 *     failure too, not only a crash;
 *   - SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO: SeChangeNotifyPrivilege and
 *     SeDebugPrivilege only, so the SCM strips LocalSystem's other
 *     privileges from the process token. Why exactly these:
 *       SeDebugPrivilege   the holder scan and the process collector open
 *                          other users' processes (PROCESS_DUP_HANDLE,
 *                          PROCESS_QUERY_LIMITED_INFORMATION);
 *       SeChangeNotifyPrivilege  traverse checking on every path (the SCM
 *                          adds it anyway; listed to be explicit).
 *     Not needed: SeSecurityPrivilege (only SACLs need it; data_acl.c sets a
 *     DACL on our own folder, which needs WRITE_DAC, not a privilege),
 *     SeTcbPrivilege (LsaEnumerateLogonSessions / LsaGetLogonSessionData
 *     need an administrator, i.e. the Administrators group LocalSystem has),
 *     SeImpersonatePrivilege (nothing impersonates; the WTS and LSA calls
 *     are RPC clients), SeAuditPrivilege (the Application log needs none),
 *     SeAssignPrimaryToken/SeIncreaseQuota (no process is started),
 *     SeBackup/SeRestore/SeTakeOwnership (only our own files are touched);
 *   - SERVICE_CONFIG_SERVICE_SID_INFO: SERVICE_SID_TYPE_UNRESTRICTED, so the
 *     token carries NT SERVICE\LeakWatch (usable in ACLs).
 * Windows applies the privileges and the SID type at the next start of the
 * service: the first run after installation still has LocalSystem's full
 * token. Settings an administrator changes by hand are put back at the next
 * start: the product owns them.
 *
 * Failures are reported to the caller, never fatal: the service runs on.
 * Wine 8 implements none of the four levels in QueryServiceConfig2W and only
 * accepts (and ignores) SERVICE_CONFIG_FAILURE_ACTIONS in
 * ChangeServiceConfig2W; the other three fail there with
 * ERROR_INVALID_LEVEL (124).
 *
 * Windows only. The OS calls go through a table (struct
 * lw_service_config_api) so tests can drive the logic with fakes.
 */
#ifndef LW_SERVICE_CONFIG_H
#define LW_SERVICE_CONFIG_H

#include <windows.h>
#include <stddef.h>

/* The settings, in the order they are ensured and reported. */
enum lw_service_setting {
  LW_SVCCFG_FAILURE_ACTIONS, /* SERVICE_CONFIG_FAILURE_ACTIONS */
  LW_SVCCFG_FAILURE_FLAG,    /* SERVICE_CONFIG_FAILURE_ACTIONS_FLAG */
  LW_SVCCFG_PRIVILEGES,      /* SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO */
  LW_SVCCFG_SID_TYPE,        /* SERVICE_CONFIG_SERVICE_SID_INFO */
  LW_SVCCFG_COUNT
};

/* What happened to one setting. */
enum lw_service_setting_outcome {
  LW_SVCCFG_FAILED = 0, /* not written: change_error[] (or the service could not be opened) */
  LW_SVCCFG_ALREADY,    /* read back as wanted: nothing written */
  LW_SVCCFG_CHANGED,    /* read back different: written */
  LW_SVCCFG_UNREAD_SET  /* could not be read (query_error[]), written anyway */
};

struct lw_service_config_result {
  enum lw_service_setting_outcome outcome[LW_SVCCFG_COUNT];
  unsigned long query_error[LW_SVCCFG_COUNT];  /* QueryServiceConfig2W's error, or 0 */
  unsigned long change_error[LW_SVCCFG_COUNT]; /* ChangeServiceConfig2W's error, or 0 */
  unsigned long open_error;                    /* OpenSCManagerW/OpenServiceW's error, or 0 */
};

/* The SCM functions used, with the signatures of advapi32's. */
struct lw_service_config_api {
  SC_HANDLE(WINAPI *open_sc_manager)(LPCWSTR machine, LPCWSTR database, DWORD access);
  SC_HANDLE(WINAPI *open_service)(SC_HANDLE scm, LPCWSTR name, DWORD access);
  BOOL(WINAPI *query_config2)
  (SC_HANDLE service, DWORD level, LPBYTE buffer, DWORD size, LPDWORD needed);
  BOOL(WINAPI *change_config2)(SC_HANDLE service, DWORD level, LPVOID info);
  BOOL(WINAPI *close_service_handle)(SC_HANDLE handle);
};

/* Returns the table of the real advapi32 functions (static, never NULL). */
const struct lw_service_config_api *lw_service_config_api_system(void);

/*
 * Ensures the four settings above on the service `service_name` of this
 * machine. api may be NULL for lw_service_config_api_system(). Every
 * setting is tried even when another fails. Fills *result (always).
 * Returns 0 when all four are in place (already, changed, or written after a
 * failed read); LW_EOS when the service could not be opened or a setting could
 * not be written (see *result); LW_ENOMEM. Holds no handle afterwards.
 */
int lw_service_config_ensure(const struct lw_service_config_api *api, const wchar_t *service_name,
                             struct lw_service_config_result *result);

/*
 * Writes a one-line English summary of *result into out (outlen bytes,
 * NUL-terminated, cut if longer), e.g. "recovery actions: set; recovery on
 * error exits: not set (ChangeServiceConfig2W error 124); ...". Returns 0,
 * or LW_ENOSPC when it had to be cut.
 */
int lw_service_config_describe(const struct lw_service_config_result *result, char *out,
                               size_t outlen);

#endif /* LW_SERVICE_CONFIG_H */
