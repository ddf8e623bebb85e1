/*
 * collect_error.c - the per-source error report of a poll (struct
 * lw_collect_error, collector.h): the code, the OS code and its system text.
 * Its own file, below collector.c and collect_*.c, which all fill reports:
 * so the per-source collectors do not call back into collector.c.
 */
#include <windows.h>
#include <ntsecapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "error.h"
#include "winutf.h"

/* Copies UTF-8 text into a fixed buffer, cutting at a character boundary. */
static void copy_text(char *dst, size_t size, const char *src) {
  size_t n = strlen(src);
  if (n >= size) {
    n = size - 1;
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* The system's text for an NTSTATUS: ntdll's message table, else the text of
 * the Win32 error LSA maps it to. Returns a malloc'd string or NULL. */
static char *ntstatus_text(uint32_t st) {
  WCHAR msg[512];
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  DWORD n = 0;
  if (ntdll != NULL)
    n = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_IGNORE_INSERTS, ntdll, st, 0,
                       msg, (DWORD)(sizeof msg / sizeof msg[0]), NULL);
  if (n > 0) {
    while (n > 0 && (msg[n - 1] == L'\r' || msg[n - 1] == L'\n' || msg[n - 1] == L' '))
      msg[--n] = 0;
    for (DWORD i = 0; i < n; i++)
      if (msg[i] == L'\r' || msg[i] == L'\n')
        msg[i] = L' ';
    return lw_utf8_from_wide(msg);
  }
  return lw_win32_error_text(LsaNtStatusToWinError((NTSTATUS)st));
}

int lw__collect_fail(struct lw_collect_error *err, int code, const char *what, uint32_t os_code,
                     bool is_ntstatus, const char *message) {
  err->code = code;
  err->os_code = os_code;
  err->is_ntstatus = is_ntstatus;
  copy_text(err->what, sizeof err->what, what);
  if (is_ntstatus)
    snprintf(err->os_text, sizeof err->os_text, "0x%08lX", (unsigned long)os_code);
  else if (os_code != 0)
    snprintf(err->os_text, sizeof err->os_text, "%lu", (unsigned long)os_code);
  else
    copy_text(err->os_text, sizeof err->os_text, lw_err_name(code));
  if (message != NULL) {
    copy_text(err->message, sizeof err->message, message);
  } else {
    char *text = is_ntstatus ? ntstatus_text(os_code) : lw_win32_error_text(os_code);
    copy_text(err->message, sizeof err->message, text != NULL ? text : lw_strerror(code));
    free(text);
  }
  return code;
}
