/*
 * text_safe.h - names, paths and messages made safe for a terminal.
 *
 * A user name, an RDP client name or a process image path is chosen by
 * whoever logs on or runs the program. Printed as is, an ESC sequence in it
 * drives the operator's terminal, a CR or LF forges a line, a C1 control
 * (U+0080-U+009F) acts as ESC on some terminals, and a bidirectional override
 * (U+202E) makes one name look like another. Every table and text printer
 * passes such text through here: each of those characters is written as a
 * visible escape, and everything else (printable ASCII, other Unicode) as is.
 *   \t \n \r          tab, line feed, carriage return
 *   \xHH              other C0 controls, DEL, and bytes that are not UTF-8
 *   \uHHHH            C1 controls and the bidirectional controls U+061C,
 *                     U+200E, U+200F, U+202A-U+202E, U+2066-U+2069, and the
 *                     line and paragraph separators U+2028, U+2029
 * A backslash itself is not escaped: Windows paths stay readable.
 */
#ifndef LW_TEXT_SAFE_H
#define LW_TEXT_SAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* flags */
#define LW_TEXT_ONE_LINE 0u /* every control escaped */
#define LW_TEXT_KEEP_LF 1u  /* LF kept as a line break (a message's own lines) */

/* Writes the n bytes at s to f, escaped as above. Returns 0, or EOF when f
 * failed. */
int lw_text_safe_write(FILE *f, const char *s, size_t n, unsigned flags);

/* lw_text_safe_write of a C string; NULL writes nothing. */
int lw_text_safe_fputs(const char *s, FILE *f, unsigned flags);

/* The escaped form of s into buf (size > 0), cut at a whole escape or
 * character when it does not fit. Returns buf. */
const char *lw_text_safe(const char *s, char *buf, size_t size, unsigned flags);

/* The width of a table: every table of `leakwatch` fits it (README). */
#define LW_TABLE_COLUMNS 120

/* s (already safe text, UTF-8) cut to at most cols characters into buf (size
 * > 0): a longer one keeps cols - 3 and ends with "..." (as `leaks` cuts), so
 * a table's column keeps the line within LW_TABLE_COLUMNS. Cut at a whole
 * character when buf is too small. Returns buf. */
const char *lw_text_fit(const char *s, unsigned cols, char *buf, size_t size);

/* Whether s (n bytes) holds anything this module would escape. */
bool lw_text_is_safe(const char *s, size_t n, unsigned flags);

#endif /* LW_TEXT_SAFE_H */
