/*
 * winutf.h - UTF-8 <-> UTF-16 at the Windows API edge.
 *
 * Everything inside LeakWatch is UTF-8; Windows wants UTF-16. These helpers
 * convert whole NUL-terminated strings with the Win32 converters (invalid input
 * becomes U+FFFD) and return malloc'd results the caller frees with free().
 */
#ifndef LW_WINUTF_H
#define LW_WINUTF_H

#include <wchar.h>

/* Returns a new UTF-16 copy of a UTF-8 string, or NULL (NULL input or out of
 * memory). */
wchar_t *lw_wide_from_utf8(const char *s);

/* Returns a new UTF-8 copy of a UTF-16 string, or NULL (NULL input or out of
 * memory). */
char *lw_utf8_from_wide(const wchar_t *w);

/* Returns a new UTF-8 copy of a Win32 error's message (no trailing newline),
 * "Win32 error N" when Windows has no text for it, or NULL when out of memory. */
char *lw_win32_error_text(unsigned long err);

#endif /* LW_WINUTF_H */
