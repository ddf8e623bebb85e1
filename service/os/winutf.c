/* winutf.c - UTF-8 <-> UTF-16 conversion at the Windows API edge (winutf.h). */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

#include "winutf.h"

wchar_t *lw_wide_from_utf8(const char *s) {
  if (s == NULL)
    return NULL;
  int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
  if (n <= 0)
    return NULL;
  wchar_t *w = malloc((size_t)n * sizeof *w);
  if (w != NULL && MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n) != n) {
    free(w);
    w = NULL;
  }
  return w;
}

char *lw_utf8_from_wide(const wchar_t *w) {
  if (w == NULL)
    return NULL;
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
  if (n <= 0)
    return NULL;
  char *s = malloc((size_t)n);
  if (s != NULL && WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) != n) {
    free(s);
    s = NULL;
  }
  return s;
}

char *lw_win32_error_text(unsigned long err) {
  wchar_t msg[1024];
  DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                           (DWORD)err, 0, msg, (DWORD)(sizeof msg / sizeof msg[0]), NULL);
  if (n > 0) {
    /* FormatMessage ends system texts with ".\r\n"; a log line wants none. */
    while (n > 0 && (msg[n - 1] == L'\r' || msg[n - 1] == L'\n' || msg[n - 1] == L' '))
      msg[--n] = 0;
    return lw_utf8_from_wide(msg);
  }
  char *text = malloc(32);
  if (text != NULL)
    snprintf(text, 32, "Win32 error %lu", err);
  return text;
}
