/*
 * install_properties.h - the MSI's silent-install properties, applied to the
 * configuration file the service creates at first start.
 *
 * `msiexec /i LeakWatch-x64.msi /qn POLL_INTERVAL=30s GRACE_PERIOD=5m
 * DATABASE=D:\LeakWatch\history.db READERS_GROUP="LeakWatch Readers"
 * METRICS_FILE=C:\...\leakwatch.prom` checks the values
 * (installer/leakwatch_ca.c) and stores them as REG_SZ values poll_interval,
 * grace_period, database, readers and metrics_file under
 * HKLM\SOFTWARE\LeakWatch\InstallProperties ("" = not given). When the
 * service creates %ProgramData%\LeakWatch\leakwatch.yaml from the documented
 * default, it calls lw_install_properties_apply on the new file: the line of
 * each given key is rewritten in place, every comment stays, and the result
 * is checked with lw_config_load before it replaces the file. An existing
 * configuration is never touched: the properties matter only on a machine
 * that has none yet (first install, or after the operator deleted it).
 *
 * Windows only.
 */
#ifndef LW_INSTALL_PROPERTIES_H
#define LW_INSTALL_PROPERTIES_H

#include <windows.h>
#include <stddef.h>

/* Where the MSI writes the properties (under HKEY_LOCAL_MACHINE, 64-bit view). */
#define LW_INSTALL_PROPERTIES_KEY L"SOFTWARE\\LeakWatch\\InstallProperties"

/* The properties, in this order wherever an array of values is passed. */
enum lw_install_property {
  LW_INSTALL_POLL_INTERVAL, /* POLL_INTERVAL -> poll_interval (duration) */
  LW_INSTALL_GRACE_PERIOD,  /* GRACE_PERIOD  -> grace_period (duration) */
  LW_INSTALL_DATABASE,      /* DATABASE      -> database (path, quoted) */
  LW_INSTALL_READERS,       /* READERS_GROUP -> readers (text, quoted) */
  LW_INSTALL_METRICS_FILE,  /* METRICS_FILE  -> metrics_file (path, quoted) */
  LW_INSTALL_PROPERTY_COUNT
};

/*
 * Applies the install properties to the configuration file at config_path
 * (UTF-8), which the caller has just created from the default. Reads
 * HKLM\SOFTWARE\LeakWatch\InstallProperties; a missing key, a missing value
 * or an empty one means "not given", and with nothing given the file is left
 * as it is. Otherwise writes config_path + ".new" with the given keys'
 * lines replaced (or appended when the file has no such line), loads it with
 * lw_config_load and, if valid, moves it over config_path.
 *
 * Returns 0 when the file holds the given values (or nothing was given).
 * On failure returns a negative LW_E* code (LW_EOS: the registry could not be
 * read; LW_EINVAL: a value with a control character or of a non-string type;
 * a code of lw_config_load when the result is not a valid configuration;
 * LW_EIO/LW_EACCES: the file could not be read, written or replaced;
 * LW_ENOMEM), writes the reason into err (NUL-terminated, errlen bytes) and
 * DELETES config_path, so that the next start creates it again and retries
 * rather than run silently without the operator's policy.
 */
int lw_install_properties_apply(const char *config_path, char *err, size_t errlen);

/* lw_install_properties_apply reading the properties from root\subkey
 * instead of HKLM\LW_INSTALL_PROPERTIES_KEY (tests use HKEY_CURRENT_USER). */
int lw__install_properties_apply_from(HKEY root, const wchar_t *subkey, const char *config_path,
                                      char *err, size_t errlen);

/*
 * The text half, without files or registry: rewrites the configuration text
 * (len bytes at text, UTF-8) with values[i] (UTF-8, NULL or "" = not given)
 * set for property i of enum lw_install_property. Each given key's first
 * top-level line (`key:` at column 0) becomes `key: VALUE  # set at
 * installation (PROPERTY)`, keeping the line's end (CRLF or LF); a key with
 * no such line is appended. Durations are written bare when they are a
 * number and a unit, other values single-quoted ('' for a quote). Returns 0
 * and a malloc'd NUL-terminated *out (length in *outlen) the caller frees;
 * LW_EINVAL (message in err) for a value with a control character; LW_ENOMEM.
 * The result is not validated here.
 */
int lw__install_properties_rewrite(const char *text, size_t len,
                                   const char *const values[LW_INSTALL_PROPERTY_COUNT], char **out,
                                   size_t *outlen, char *err, size_t errlen);

#endif /* LW_INSTALL_PROPERTIES_H */
