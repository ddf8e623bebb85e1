/* luid.c - LUID text form: formatting, parsing, well-known LUIDs (see luid.h). */
#include "luid.h"

#include <stddef.h>

#include "error.h"

static const char hex_digits[] = "0123456789abcdef";

char *lw_luid_format(uint64_t luid, char buf[LW_LUID_TEXT_SIZE]) {
  int i;
  /* By hand rather than snprintf("%08x"): no format or locale surprises across
   * C libraries, and this runs once per session per poll. */
  for (i = 0; i < 8; i++) {
    buf[i] = hex_digits[(luid >> (60 - 4 * i)) & 0xf];
    buf[9 + i] = hex_digits[(luid >> (28 - 4 * i)) & 0xf];
  }
  buf[8] = ':';
  buf[17] = '\0';
  return buf;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Parses hex digits from *p up to a character that is not one, into a value
 * that must not exceed `max`. Returns 0 (and advances *p), LW_ESYNTAX when there
 * is no digit, LW_ERANGE when the value exceeds max. */
static int parse_hex(const char **p, uint64_t max, uint64_t *out) {
  const char *s = *p;
  uint64_t v = 0;
  int d, any = 0, range = 0;
  while ((d = hex_value(*s)) >= 0) {
    if (v > (max - (uint64_t)d) / 16)
      range = 1;
    else
      v = v * 16 + (uint64_t)d;
    any = 1;
    s++;
  }
  if (!any)
    return LW_ESYNTAX;
  *p = s;
  *out = v;
  return range ? LW_ERANGE : 0;
}

int lw_luid_parse(const char *text, uint64_t *out) {
  const char *p = text;
  uint64_t high, low, v = 0;
  int rc;

  if (text == NULL || out == NULL)
    return LW_EINVAL;

  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    p += 2;
    rc = parse_hex(&p, UINT64_MAX, &v);
    if (rc == LW_ESYNTAX || *p != '\0')
      return LW_ESYNTAX;
    if (rc != 0)
      return rc;
    *out = v;
    return 0;
  }

  /* "HIGH:LOW" if there is a colon after the first run of hex digits. */
  {
    const char *q = p;
    while (hex_value(*q) >= 0)
      q++;
    if (*q == ':') {
      rc = parse_hex(&p, UINT32_MAX, &high);
      if (rc == LW_ESYNTAX || *p != ':')
        return LW_ESYNTAX;
      p++;
      int rc2 = parse_hex(&p, UINT32_MAX, &low);
      if (rc2 == LW_ESYNTAX || *p != '\0')
        return LW_ESYNTAX;
      if (rc != 0 || rc2 != 0)
        return LW_ERANGE;
      *out = (high << 32) | low;
      return 0;
    }
  }

  /* Decimal. */
  if (*p < '0' || *p > '9')
    return LW_ESYNTAX;
  rc = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    uint64_t d = (uint64_t)(*p - '0');
    if (v > (UINT64_MAX - d) / 10)
      rc = LW_ERANGE;
    else
      v = v * 10 + d;
  }
  if (*p != '\0')
    return LW_ESYNTAX;
  if (rc != 0)
    return rc;
  *out = v;
  return 0;
}

int lw_luid_is_well_known(uint64_t luid) {
  return luid >= LW_LUID_IUSR && luid <= LW_LUID_SYSTEM;
}
