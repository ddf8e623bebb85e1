/*
 * leakwatch_ca.c - the MSI's custom action DLL (leakwatch_ca.dll, carried in
 * the MSI's Binary table, never installed). LwCheckProperties checks the
 * silent-install properties POLL_INTERVAL, GRACE_PERIOD, DATABASE,
 * READERS_GROUP and METRICS_FILE before anything is installed, with the parser the service
 * itself uses for leakwatch.yaml (lw_config_load_string), so a value the
 * service would refuse fails the install instead: the MSI log gets one clear
 * message and msiexec returns 1603. Accepted values are published as
 * LW_POLL_INTERVAL, LW_GRACE_PERIOD, LW_DATABASE, LW_READERS_GROUP and
 * LW_METRICS_FILE ("" when not given), which the Registry table writes to
 * HKLM\SOFTWARE\LeakWatch\InstallProperties; the service applies them when
 * it creates its configuration at first start.
 *
 * DATABASE is also a property Windows Installer sets itself, to the path of
 * the cached package (C:\Windows\Installer\xxxx.msi): a value ending in
 * ".msi" is taken for that and means "not given".
 */
#include <windows.h>
#include <msi.h>
#include <msiquery.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"

/* The property and the leakwatch.yaml key it sets. */
struct checked_property {
  const wchar_t *property;
  const char *property_utf8;
  const char *key;
  const wchar_t *checked; /* where the accepted value is published */
};

static const struct checked_property k_properties[] = {
    {L"POLL_INTERVAL", "POLL_INTERVAL", "poll_interval", L"LW_POLL_INTERVAL"},
    {L"GRACE_PERIOD", "GRACE_PERIOD", "grace_period", L"LW_GRACE_PERIOD"},
    {L"DATABASE", "DATABASE", "database", L"LW_DATABASE"},
    {L"READERS_GROUP", "READERS_GROUP", "readers", L"LW_READERS_GROUP"},
    {L"METRICS_FILE", "METRICS_FILE", "metrics_file", L"LW_METRICS_FILE"},
};

__declspec(dllexport) UINT __stdcall LwCheckProperties(MSIHANDLE install);

/* Returns the property's value (malloc'ed, "" when unset) or NULL. */
static wchar_t *get_property(MSIHANDLE install, const wchar_t *name) {
  wchar_t empty[1] = {0};
  DWORD len = 0;
  wchar_t *buf;
  UINT rc = MsiGetPropertyW(install, name, empty, &len);
  if (rc != ERROR_MORE_DATA && rc != ERROR_SUCCESS)
    return NULL;
  len++;
  buf = calloc(len, sizeof *buf);
  if (buf == NULL)
    return NULL;
  if (MsiGetPropertyW(install, name, buf, &len) != ERROR_SUCCESS) {
    free(buf);
    return NULL;
  }
  return buf;
}

static char *utf8_of(const wchar_t *w) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
  char *s;
  if (n <= 0)
    return NULL;
  s = malloc((size_t)n);
  if (s != NULL && WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) != n) {
    free(s);
    s = NULL;
  }
  return s;
}

/* Writes one line into the MSI log (INSTALLMESSAGE_INFO) or reports an error
 * (INSTALLMESSAGE_ERROR: logged, and shown when there is a UI). */
static void msi_message(MSIHANDLE install, INSTALLMESSAGE kind, const char *utf8) {
  int n = MultiByteToWideChar(CP_UTF8, 0, utf8, -1, NULL, 0);
  wchar_t *w = n > 0 ? calloc((size_t)n, sizeof *w) : NULL;
  MSIHANDLE rec = MsiCreateRecord(1);
  if (w != NULL && rec != 0 && MultiByteToWideChar(CP_UTF8, 0, utf8, -1, w, n) == n) {
    /* Field 0 is the template; the text goes in as [1] so that brackets in
     * a property value are not taken for more MSI formatting. */
    MsiRecordSetStringW(rec, 0, L"[1]");
    MsiRecordSetStringW(rec, 1, w);
    MsiProcessMessage(install, kind | (kind == INSTALLMESSAGE_ERROR ? MB_OK | MB_ICONERROR : 0),
                      rec);
  }
  if (rec != 0)
    MsiCloseHandle(rec);
  free(w);
}

/* True for C:\..., \\server\... and %VAR%... */
static int full_path(const char *v) {
  return v[0] == '%' || (v[0] == '\\' && v[1] == '\\') ||
         (((v[0] | 0x20) >= 'a' && (v[0] | 0x20) <= 'z') && v[1] == ':' && v[2] == '\\');
}

/* Checks `key: 'value'` with the configuration loader. Returns 0 or an
 * LW_E* code with the reason in err. */
static int check_value(const struct checked_property *p, const char *value, char *err,
                       size_t errlen) {
  size_t vlen = strlen(value), i, n = 0;
  size_t cap = strlen(p->key) + 2 * vlen + 8;
  char *yaml = malloc(cap);
  struct lw_config cfg;
  int rc;

  if (yaml == NULL) {
    snprintf(err, errlen, "out of memory");
    return LW_ENOMEM;
  }
  /* A single-quoted YAML scalar: nothing in it is special but the quote,
   * written twice. */
  n = (size_t)snprintf(yaml, cap, "%s: '", p->key);
  for (i = 0; i < vlen; i++) {
    if (value[i] == '\'')
      yaml[n++] = '\'';
    yaml[n++] = value[i];
  }
  yaml[n++] = '\'';
  yaml[n++] = '\n';
  yaml[n] = '\0';

  rc = lw_config_load_string(p->property_utf8, yaml, n, &cfg, err, errlen);
  if (rc == LW_OK) {
    lw_config_free(&cfg);
  } else {
    /* Drop the "NAME:1:COL: " position, meaningless on a command line. */
    const char *msg = strstr(err, ": ");
    if (msg != NULL && strncmp(err, p->property_utf8, strlen(p->property_utf8)) == 0)
      memmove(err, msg + 2, strlen(msg + 2) + 1);
  }
  free(yaml);
  if (rc != LW_OK)
    return rc;

  /* The database and the metrics file are opened by a service whose working
   * directory means nothing to an operator: require a full path (or an
   * %VAR% one). */
  int is_path = strcmp(p->key, "database") == 0 || strcmp(p->key, "metrics_file") == 0;
  if (is_path && !full_path(value)) {
    snprintf(err, errlen,
             "%s: '%s' is not a full path (expected C:\\...\\%s, \\\\server\\... or "
             "%%ProgramData%%\\...)",
             p->key, value, strcmp(p->key, "database") == 0 ? "history.db" : "leakwatch.prom");
    return LW_EINVAL;
  }
  /* windows_exporter's textfile collector reads only *.prom files: any other
   * name would be written and never scraped. */
  if (strcmp(p->key, "metrics_file") == 0 &&
      (vlen < 5 || _stricmp(value + vlen - 5, ".prom") != 0)) {
    snprintf(err, errlen,
             "metrics_file: '%s' does not end in .prom (windows_exporter's textfile collector "
             "reads only *.prom files)",
             value);
    return LW_EINVAL;
  }
  return LW_OK;
}

/* READERS_GROUP must name an existing group: the service gives it read
 * access to the history at first start and would fail there otherwise. */
static int check_group(const wchar_t *name, const char *utf8, char *err, size_t errlen) {
  BYTE sid[SECURITY_MAX_SID_SIZE];
  DWORD sid_len = sizeof sid, dom_len = 256;
  wchar_t domain[256];
  SID_NAME_USE use;
  if (!LookupAccountNameW(NULL, name, sid, &sid_len, domain, &dom_len, &use)) {
    snprintf(err, errlen, "readers: no account named '%s' exists on this computer (error %lu)",
             utf8, (unsigned long)GetLastError());
    return LW_ENOENT;
  }
  if (use != SidTypeGroup && use != SidTypeAlias && use != SidTypeWellKnownGroup) {
    snprintf(err, errlen, "readers: '%s' is not a group", utf8);
    return LW_EINVAL;
  }
  return LW_OK;
}

/* True if DATABASE holds Windows Installer's own value (the package path). */
static int is_package_path(const char *v) {
  size_t n = strlen(v);
  return n >= 4 && _stricmp(v + n - 4, ".msi") == 0;
}

UINT __stdcall LwCheckProperties(MSIHANDLE install) {
  char err[512], line[1024];
  unsigned bad = 0, given = 0;
  size_t i;

  for (i = 0; i < sizeof k_properties / sizeof k_properties[0]; i++) {
    const struct checked_property *p = &k_properties[i];
    wchar_t *w = get_property(install, p->property);
    char *v = w != NULL ? utf8_of(w) : NULL;
    int rc;

    if (v != NULL && strcmp(p->key, "database") == 0 && is_package_path(v)) {
      snprintf(line, sizeof line, "LeakWatch: DATABASE=%s is the installer package, not given", v);
      msi_message(install, INSTALLMESSAGE_INFO, line);
      v[0] = '\0';
    }
    MsiSetPropertyW(install, p->checked, L"");
    if (v == NULL) {
      snprintf(line, sizeof line, "LeakWatch: cannot read the property %s", p->property_utf8);
      msi_message(install, INSTALLMESSAGE_ERROR, line);
      bad++;
    } else if (v[0] != '\0') {
      given++;
      err[0] = '\0';
      rc = check_value(p, v, err, sizeof err);
      if (rc == LW_OK && strcmp(p->key, "readers") == 0)
        rc = check_group(w, v, err, sizeof err);
      if (rc != LW_OK) {
        snprintf(line, sizeof line,
                 "LeakWatch: invalid %s=%s: %s. The installation stops before any change.",
                 p->property_utf8, v, err);
        msi_message(install, INSTALLMESSAGE_ERROR, line);
        bad++;
      } else if (MsiSetPropertyW(install, p->checked, w) != ERROR_SUCCESS) {
        snprintf(line, sizeof line, "LeakWatch: cannot set the property %ls", p->checked);
        msi_message(install, INSTALLMESSAGE_ERROR, line);
        bad++;
      } else {
        snprintf(line, sizeof line, "LeakWatch: %s=%s accepted (%s)", p->property_utf8, v, p->key);
        msi_message(install, INSTALLMESSAGE_INFO, line);
      }
    }
    free(v);
    free(w);
  }
  if (bad == 0) {
    snprintf(line, sizeof line, "LeakWatch: %u install propert%s given, all valid", given,
             given == 1 ? "y" : "ies");
    msi_message(install, INSTALLMESSAGE_INFO, line);
  }
  return bad == 0 ? ERROR_SUCCESS : ERROR_INSTALL_FAILURE;
}
