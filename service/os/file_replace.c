/* file_replace.c - a file written whole or not at all (see file_replace.h). */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "file_replace.h"
#include "win_error.h"
#include "winutf.h"

/* "what PATH: Windows' text (error N)" into err. */
static void say(char *err, size_t errlen, const char *what, const char *path, DWORD code) {
  char *text = lw_win32_error_text(code);
  snprintf(err, errlen, "%s %s: %s (error %lu)", what, path, text != NULL ? text : "?",
           (unsigned long)code);
  free(text);
}

int lw_file_replace(const char *path, const void *data, size_t len, char *err, size_t errlen) {
  size_t n = strlen(path) + sizeof ".tmp";
  char *tmp = malloc(n);
  wchar_t *wtmp = NULL, *wdst = NULL;
  int rc = LW_ENOMEM;
  if (errlen > 0)
    err[0] = 0;
  if (tmp != NULL) {
    snprintf(tmp, n, "%s.tmp", path);
    wtmp = lw_wide_from_utf8(tmp);
    wdst = lw_wide_from_utf8(path);
  }
  if (wtmp == NULL || wdst == NULL) {
    snprintf(err, errlen, "out of memory");
    goto done;
  }
  HANDLE h = CreateFileW(wtmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    say(err, errlen, "cannot create", tmp, code);
    rc = lw_error_from_win32(code);
    goto done;
  }
  DWORD wrote = 0;
  /* The report and the metrics text are a few MB at most: one WriteFile. */
  BOOL ok = len <= MAXDWORD && WriteFile(h, data, (DWORD)len, &wrote, NULL) && wrote == (DWORD)len;
  DWORD code = ok ? 0 : GetLastError();
  if (!CloseHandle(h) && ok) {
    ok = FALSE;
    code = GetLastError();
  }
  if (!ok) {
    say(err, errlen, "cannot write", tmp, code != 0 ? code : ERROR_WRITE_FAULT);
    rc = LW_EIO;
  } else if (!MoveFileExW(wtmp, wdst, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    code = GetLastError();
    say(err, errlen, "cannot replace", path, code);
    rc = lw_error_from_win32(code);
  } else {
    rc = 0;
  }
  if (rc != 0)
    DeleteFileW(wtmp);
done:
  free(tmp);
  free(wtmp);
  free(wdst);
  return rc;
}
