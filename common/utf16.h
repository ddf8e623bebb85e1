/*
 * utf16.h - counted UTF-16LE <-> UTF-8, the way Windows strings enter and leave.
 *
 * Windows hands out counted strings (LSA_UNICODE_STRING: Length in BYTES, no
 * terminating NUL required, and the bytes after Length may be anything), so the
 * conversion from UTF-16 takes a count of 16-bit units and never reads past it.
 * Nothing here searches for a NUL in UTF-16 input.
 *
 * Ill-formed input is repaired, never rejected: an unpaired surrogate becomes
 * U+FFFD, and in UTF-8 input each maximal ill-formed subpart (Unicode 15, 3.9
 * "U+FFFD Substitution of Maximal Subparts") becomes one U+FFFD. A user name
 * with a broken surrogate must still show up, not fail the poll.
 *
 * Input units are host-order uint16_t; every platform LeakWatch runs on is
 * little-endian, so a Windows WCHAR buffer can be passed as is.
 */
#ifndef LW_UTF16_H
#define LW_UTF16_H

#include <stddef.h>
#include <stdint.h>

/* Code point reported by lw_utf8_decode for an ill-formed sequence. */
#define LW_UTF8_INVALID UINT32_MAX

/* Number of UTF-16 units in an LSA_UNICODE_STRING whose Length (in bytes, not
 * characters) is `length_bytes`. An odd byte count cannot come from Windows; its
 * half unit is dropped rather than read. */
static inline size_t lw_lsa_string_units(uint16_t length_bytes) {
  return (size_t)(length_bytes / 2u);
}

/* Converts n_units UTF-16 units at s (s may be NULL when n_units is 0) to UTF-8.
 *
 * The conversion stops at the first U+0000 inside the counted range: the result
 * is a C string, so an embedded NUL would silently cut it for every later reader
 * (strlen, SQLite, the JSON writer) anyway, and some Windows APIs count a
 * terminating NUL in Length; stopping makes the length we report the length
 * everyone sees. Unpaired surrogates become U+FFFD (EF BF BD); surrogate pairs
 * become one 4-byte sequence.
 *
 * *out_len (if out_len is not NULL) receives the full UTF-8 length, excluding the
 * NUL, whether or not it fit. If out_size > that length, out gets the whole
 * string, NUL-terminated, and 0 is returned. Otherwise LW_ERANGE is returned and,
 * if out_size > 0, out holds as many whole characters as fit, NUL-terminated.
 * Pass out = NULL, out_size = 0 to measure. */
int lw_utf16_to_utf8(const uint16_t *s, size_t n_units, char *out, size_t out_size,
                     size_t *out_len);

/* Converts n_bytes of UTF-8 at s (s may be NULL when n_bytes is 0) to UTF-16.
 * Every byte is converted, a NUL byte included (U+0000): the input is counted.
 * Each maximal ill-formed subpart becomes U+FFFD; code points above U+FFFF
 * become surrogate pairs.
 * *out_len (if not NULL) receives the number of units needed, excluding the
 * terminating 0 unit. If out_units > that, out gets everything plus a 0 unit and
 * 0 is returned; otherwise LW_ERANGE, with as many whole characters as fit and a
 * 0 unit when out_units > 0. Pass out = NULL, out_units = 0 to measure. */
int lw_utf8_to_utf16(const char *s, size_t n_bytes, uint16_t *out, size_t out_units,
                     size_t *out_len);

/* Decodes one UTF-8 character from s (n > 0 bytes available). Returns the number
 * of bytes it takes (1 to 4) and sets *cp to the code point, or to
 * LW_UTF8_INVALID for an ill-formed maximal subpart (which the caller replaces
 * with U+FFFD); returns 0 when n is 0. Never reads more than n bytes. */
size_t lw_utf8_decode(const char *s, size_t n, uint32_t *cp);

#endif /* LW_UTF16_H */
