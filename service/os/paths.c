/* paths.c - LeakWatch's locations on a Windows host (see paths.h). */
#include <windows.h>
#include <knownfolders.h>
#include <shlobj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "paths.h"
#include "win_error.h"
#include "winutf.h"

/* %ProgramData% from the shell's known folder, not the environment: a service's
 * environment may say otherwise (Wine gives services C:\users\Public), and
 * the service and an operator's console must agree on where the data lives. */
static void pin_programdata(void) {
  PWSTR known = NULL;
  if (SUCCEEDED(SHGetKnownFolderPath(&FOLDERID_ProgramData, 0, NULL, &known)) && known != NULL)
    SetEnvironmentVariableW(L"ProgramData", known);
  CoTaskMemFree(known);
}

char *lw_paths_expand(const char *path) {
  static int pinned;
  if (!pinned) {
    pin_programdata();
    pinned = 1;
  }
  wchar_t *w = lw_wide_from_utf8(path);
  char *out = NULL;
  if (w == NULL)
    return NULL;
  DWORD n = ExpandEnvironmentStringsW(w, NULL, 0);
  if (n > 0) {
    wchar_t *x = malloc(n * sizeof *x);
    if (x != NULL && ExpandEnvironmentStringsW(w, x, n) > 0)
      out = lw_utf8_from_wide(x);
    free(x);
  }
  free(w);
  return out;
}

char *lw_paths_default_config(void) {
  return lw_paths_expand("%ProgramData%\\LeakWatch\\leakwatch.yaml");
}

char *lw_paths_exe_dir(void) {
  wchar_t buf[MAX_PATH * 4] = {0};
  DWORD n = GetModuleFileNameW(NULL, buf, (DWORD)(sizeof buf / sizeof buf[0]));
  if (n == 0 || n >= sizeof buf / sizeof buf[0])
    return NULL;
  wchar_t *slash = wcsrchr(buf, L'\\');
  if (slash != NULL)
    *slash = 0;
  return lw_utf8_from_wide(buf);
}

char *lw_paths_dirname(const char *path) {
  const char *end = NULL;
  for (const char *p = path; *p; p++)
    if (*p == '\\' || *p == '/')
      end = p;
  if (end == NULL)
    return NULL;
  size_t n = (size_t)(end - path);
  char *d = malloc(n + 1);
  if (d != NULL) {
    memcpy(d, path, n);
    d[n] = 0;
  }
  return d;
}

int lw_paths_exists(const char *path) {
  wchar_t *w = lw_wide_from_utf8(path);
  if (w == NULL)
    return 0;
  DWORD attr = GetFileAttributesW(w);
  free(w);
  return attr != INVALID_FILE_ATTRIBUTES;
}

int lw_paths_make_dirs(const char *dir, unsigned long *win32_err) {
  *win32_err = 0;
  wchar_t *w = lw_wide_from_utf8(dir);
  if (w == NULL)
    return LW_ENOMEM;
  int rc = 0;
  /* Create each prefix in turn; "C:\" and "\\server\share" prefixes exist or
   * fail harmlessly with ERROR_ALREADY_EXISTS / ACCESS_DENIED on the root. */
  size_t len = wcslen(w);
  for (size_t i = 1; i <= len && rc == 0; i++) {
    if (i < len && w[i] != L'\\' && w[i] != L'/')
      continue;
    wchar_t saved = w[i];
    w[i] = 0;
    if (!(i == 2 && w[1] == L':') && !CreateDirectoryW(w, NULL)) {
      DWORD err = GetLastError();
      DWORD attr = GetFileAttributesW(w);
      int is_dir = attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY);
      if (err != ERROR_ALREADY_EXISTS && !is_dir) {
        *win32_err = err;
        rc = lw_error_from_win32(err);
      } else if (err == ERROR_ALREADY_EXISTS && !is_dir && i == len) {
        *win32_err = ERROR_DIRECTORY;
        rc = LW_EEXIST;
      }
    }
    w[i] = saved;
  }
  free(w);
  return rc;
}

char *lw_paths_history_db(const char *given, char *err, size_t errlen) {
  if (given != NULL) {
    char *db = lw_paths_expand(given);
    if (db == NULL)
      snprintf(err, errlen, "cannot expand the database path '%s'", given);
    return db;
  }
  struct lw_config cfg;
  char *config_path = lw_paths_default_config();
  char *db = NULL;
  if (config_path == NULL) {
    snprintf(err, errlen, "cannot find %%ProgramData%%");
    return NULL;
  }
  if (lw_paths_exists(config_path)) {
    if (lw_config_load(config_path, &cfg, err, errlen) != 0) {
      free(config_path);
      return NULL;
    }
  } else {
    lw_config_defaults(&cfg);
  }
  db = lw_paths_expand(cfg.database);
  if (db == NULL)
    snprintf(err, errlen, "cannot expand the database path '%s'", cfg.database);
  lw_config_free(&cfg);
  free(config_path);
  return db;
}
