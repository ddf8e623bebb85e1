/* utf16.c - counted UTF-16 <-> UTF-8 conversion (see utf16.h). */
#include "utf16.h"

#include <string.h>

#include "error.h"

#define REPLACEMENT 0xFFFDu

/* Decodes the UTF-16 character at s[*i] (i < n), advancing *i. Returns the code
 * point, U+FFFD for an unpaired surrogate. Reads s[*i + 1] only when it is
 * inside the counted range. */
static uint32_t utf16_next(const uint16_t *s, size_t n, size_t *i) {
  uint32_t u = s[*i];
  (*i)++;
  if (u >= 0xD800 && u <= 0xDBFF) {
    if (*i < n && s[*i] >= 0xDC00 && s[*i] <= 0xDFFF) {
      uint32_t lo = s[*i];
      (*i)++;
      return 0x10000u + ((u - 0xD800u) << 10) + (lo - 0xDC00u);
    }
    return REPLACEMENT;
  }
  if (u >= 0xDC00 && u <= 0xDFFF)
    return REPLACEMENT;
  return u;
}

/* Encodes cp (a scalar value) as UTF-8 into b; returns the byte count. */
static size_t utf8_encode(uint32_t cp, unsigned char b[4]) {
  if (cp < 0x80) {
    b[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    b[0] = (unsigned char)(0xC0 | (cp >> 6));
    b[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    b[0] = (unsigned char)(0xE0 | (cp >> 12));
    b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  b[0] = (unsigned char)(0xF0 | (cp >> 18));
  b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  b[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

int lw_utf16_to_utf8(const uint16_t *s, size_t n_units, char *out, size_t out_size,
                     size_t *out_len) {
  size_t i = 0, len = 0, written = 0;
  int fits = 1;
  unsigned char b[4];

  while (i < n_units && s[i] != 0) {
    size_t k = utf8_encode(utf16_next(s, n_units, &i), b);
    len += k;
    /* keep one byte for the NUL; stop writing at the first character that does
     * not fit so the output is never cut inside a character */
    if (fits && out_size > 0 && written + k < out_size) {
      memcpy(out + written, b, k);
      written += k;
    } else {
      fits = 0;
    }
  }
  if (out_size > 0)
    out[written] = '\0';
  if (out_len != NULL)
    *out_len = len;
  return out_size > len ? 0 : LW_ERANGE;
}

size_t lw_utf8_decode(const char *str, size_t n, uint32_t *cp) {
  const unsigned char *s = (const unsigned char *)str;
  unsigned char lo = 0x80, hi = 0xBF;
  size_t need, i;
  uint32_t v;

  if (n == 0)
    return 0;
  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  /* Table 3-7 of the Unicode standard: the lead byte fixes the length and the
   * range of the second byte (which rules out overlongs, surrogates and values
   * above U+10FFFF); later bytes are 80..BF. */
  if (s[0] >= 0xC2 && s[0] <= 0xDF) {
    need = 1;
    v = s[0] & 0x1Fu;
  } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    need = 2;
    v = s[0] & 0x0Fu;
    if (s[0] == 0xE0)
      lo = 0xA0;
    else if (s[0] == 0xED)
      hi = 0x9F;
  } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    need = 3;
    v = s[0] & 0x07u;
    if (s[0] == 0xF0)
      lo = 0x90;
    else if (s[0] == 0xF4)
      hi = 0x8F;
  } else {
    *cp = LW_UTF8_INVALID;
    return 1;
  }
  for (i = 1; i <= need; i++) {
    if (i >= n || s[i] < lo || s[i] > hi) {
      /* the maximal subpart is what we consumed so far */
      *cp = LW_UTF8_INVALID;
      return i;
    }
    v = (v << 6) | (s[i] & 0x3Fu);
    lo = 0x80;
    hi = 0xBF;
  }
  *cp = v;
  return need + 1;
}

int lw_utf8_to_utf16(const char *s, size_t n_bytes, uint16_t *out, size_t out_units,
                     size_t *out_len) {
  size_t i = 0, len = 0, written = 0;
  int fits = 1;

  while (i < n_bytes) {
    uint32_t cp;
    uint16_t u[2];
    size_t k;
    i += lw_utf8_decode(s + i, n_bytes - i, &cp);
    if (cp == LW_UTF8_INVALID)
      cp = REPLACEMENT;
    if (cp >= 0x10000) {
      u[0] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
      u[1] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
      k = 2;
    } else {
      u[0] = (uint16_t)cp;
      k = 1;
    }
    len += k;
    if (fits && out_units > 0 && written + k < out_units) {
      memcpy(out + written, u, k * sizeof u[0]);
      written += k;
    } else {
      fits = 0;
    }
  }
  if (out_units > 0)
    out[written] = 0;
  if (out_len != NULL)
    *out_len = len;
  return out_units > len ? 0 : LW_ERANGE;
}
