/*
 * timefmt.c - ISO 8601 UTC text and FILETIME conversion (see timefmt.h).
 * The calendar algorithms are Howard Hinnant's days_from_civil/civil_from_days
 * (http://howardhinnant.github.io/date_algorithms.html), exact for every int64
 * day count we can meet.
 */
#include "timefmt.h"

#include <stddef.h>

#include "error.h"

#define MS_PER_DAY INT64_C(86400000)
/* 30000-01-01T00:00:00Z as a FILETIME: days_from_civil(30000,1,1) = 10237747. */
#define FILETIME_MAX (INT64_C(10237747) * MS_PER_DAY * 10000 + LW_FILETIME_EPOCH_MS * 10000)

int64_t lw_time_days_from_civil(int64_t y, unsigned m, unsigned d) {
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * ((int64_t)m + (m > 2 ? -3 : 9)) + 2) / 5 + (int64_t)d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void lw_time_civil_from_days(int64_t z, int64_t *year, unsigned *month, unsigned *day) {
  int64_t era, doe, yoe, doy, mp, y;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  *month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  *year = y + (*month <= 2);
}

/* Writes v as exactly `width` decimal digits at p (v < 10^width). */
static char *put_digits(char *p, unsigned v, int width) {
  int i;
  for (i = width - 1; i >= 0; i--) {
    p[i] = (char)('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

char *lw_time_format_iso(int64_t ms, char buf[LW_ISO_TIME_SIZE]) {
  int64_t days, rem, year;
  uint64_t uyear;
  unsigned month, day, secs, ndig;
  char digits[24];
  char *p = buf;

  if (ms == LW_TIME_UNKNOWN) {
    buf[0] = '\0';
    return buf;
  }
  days = ms / MS_PER_DAY;
  rem = ms % MS_PER_DAY;
  if (rem < 0) { /* C division truncates toward zero; we want floor */
    rem += MS_PER_DAY;
    days--;
  }
  lw_time_civil_from_days(days, &year, &month, &day);
  secs = (unsigned)(rem / 1000);

  if (year < 0) {
    *p++ = '-';
    uyear = (uint64_t)0 - (uint64_t)year;
  } else {
    uyear = (uint64_t)year;
  }
  ndig = 0;
  do {
    digits[ndig++] = (char)('0' + uyear % 10);
    uyear /= 10;
  } while (uyear != 0);
  while (ndig < 4)
    digits[ndig++] = '0';
  while (ndig > 0)
    *p++ = digits[--ndig];
  *p++ = '-';
  p = put_digits(p, month, 2);
  *p++ = '-';
  p = put_digits(p, day, 2);
  *p++ = 'T';
  p = put_digits(p, secs / 3600, 2);
  *p++ = ':';
  p = put_digits(p, secs / 60 % 60, 2);
  *p++ = ':';
  p = put_digits(p, secs % 60, 2);
  *p++ = 'Z';
  *p = '\0';
  return buf;
}

/* Reads exactly n decimal digits at *p into *v. Returns 1, or 0 if any of
 * them is not a digit (stopping at the first non-digit, so never reading past a
 * NUL). */
static int get_digits(const char **p, int n, unsigned *v) {
  const char *s = *p;
  unsigned r = 0;
  int i;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return 0;
    r = r * 10 + (unsigned)(s[i] - '0');
  }
  *p = s + n;
  *v = r;
  return 1;
}

static unsigned days_in_month(unsigned y, unsigned m) {
  static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dim[m - 1];
}

int lw_time_parse_iso(const char *text, int64_t *ms) {
  const char *p = text;
  unsigned year, month, day, hour = 0, min = 0, sec = 0, frac = 0;
  int64_t v;

  if (text == NULL || ms == NULL)
    return LW_EINVAL;
  if (!get_digits(&p, 4, &year) || *p++ != '-' || !get_digits(&p, 2, &month) || *p++ != '-' ||
      !get_digits(&p, 2, &day))
    return LW_ESYNTAX;
  if (*p == 'T' || *p == ' ') {
    p++;
    if (!get_digits(&p, 2, &hour) || *p++ != ':' || !get_digits(&p, 2, &min) || *p++ != ':' ||
        !get_digits(&p, 2, &sec))
      return LW_ESYNTAX;
    if (*p == '.') {
      int n = 0;
      p++;
      while (*p >= '0' && *p <= '9') {
        if (n < 3)
          frac = frac * 10 + (unsigned)(*p - '0');
        n++;
        p++;
      }
      if (n == 0 || n > 9)
        return LW_ESYNTAX;
      for (; n < 3; n++)
        frac *= 10;
    }
    if (*p == 'Z')
      p++;
  }
  if (*p != '\0')
    return LW_ESYNTAX;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      min > 59 || sec > 59)
    return LW_ERANGE;
  v = lw_time_days_from_civil(year, month, day) * MS_PER_DAY;
  v += (int64_t)((hour * 60 + min) * 60 + sec) * 1000 + frac;
  *ms = v;
  return 0;
}

int64_t lw_time_from_filetime(int64_t ft100ns) {
  int64_t t;
  if (ft100ns <= 0 || ft100ns > FILETIME_MAX)
    return LW_TIME_UNKNOWN;
  t = ft100ns - LW_FILETIME_EPOCH_MS * 10000;
  /* floor division: before 1970 the remainder is negative */
  return t / 10000 - (t % 10000 < 0);
}

int64_t lw_time_to_filetime(int64_t ms) {
  if (ms == LW_TIME_UNKNOWN || ms < -LW_FILETIME_EPOCH_MS ||
      ms > (INT64_MAX - LW_FILETIME_EPOCH_MS * 10000) / 10000)
    return 0;
  return ms * 10000 + LW_FILETIME_EPOCH_MS * 10000;
}
