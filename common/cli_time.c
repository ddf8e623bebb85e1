/*
 * cli_time.c - the times an operator types (see cli_time.h).
 */
#include "cli_time.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "timefmt.h"

#define MS_PER_MIN INT64_C(60000)
#define MS_PER_DAY INT64_C(86400000)

/* The day of month of a transition in year y (the last such weekday for 5). */
static unsigned transition_day(int64_t y, const struct lw_tz_transition *t) {
  static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  unsigned last = t->month == 2 && leap ? 29 : dim[t->month - 1];
  int64_t first = lw_time_days_from_civil(y, t->month, 1);
  /* 1970-01-01 was a Thursday (4). */
  unsigned wd1 = (unsigned)(((first + 4) % 7 + 7) % 7);
  unsigned day = 1 + (t->weekday % 7 + 7 - wd1) % 7 + (t->week > 0 ? t->week - 1 : 0) * 7;
  while (day > last)
    day -= 7;
  return day;
}

/* The local wall-clock time (as if UTC) of a transition in year y. */
static int64_t transition_local(int64_t y, const struct lw_tz_transition *t) {
  return lw_time_days_from_civil(y, t->month, transition_day(y, t)) * MS_PER_DAY +
         ((int64_t)t->hour * 60 + t->minute) * MS_PER_MIN;
}

static int has_dst(const struct lw_tz *tz) {
  return tz->to_dst.month >= 1 && tz->to_dst.month <= 12 && tz->to_std.month >= 1 &&
         tz->to_std.month <= 12;
}

/* Is the UTC instant utc in summer time (year y's rules)? */
static int in_dst(const struct lw_tz *tz, int64_t y, int64_t utc) {
  int64_t start, end;
  if (!has_dst(tz))
    return 0;
  /* DST starts at a standard-time wall clock and ends at a summer-time one. */
  start = transition_local(y, &tz->to_dst) + (int64_t)(tz->bias + tz->std_bias) * MS_PER_MIN;
  end = transition_local(y, &tz->to_std) + (int64_t)(tz->bias + tz->dst_bias) * MS_PER_MIN;
  if (start < end)
    return utc >= start && utc < end;
  return utc >= start || utc < end; /* the southern hemisphere: summer spans new year */
}

int64_t lw_tz_local_to_utc(const struct lw_tz *tz, int64_t year, int64_t local) {
  int64_t as_std = local + (int64_t)(tz->bias + tz->std_bias) * MS_PER_MIN;
  int64_t as_dst = local + (int64_t)(tz->bias + tz->dst_bias) * MS_PER_MIN;
  int std_ok = !in_dst(tz, year, as_std), dst_ok = has_dst(tz) && in_dst(tz, year, as_dst);
  if (std_ok && dst_ok) /* the repeated hour: the first of the two */
    return as_std < as_dst ? as_std : as_dst;
  if (dst_ok)
    return as_dst;
  return as_std; /* standard time, or the skipped hour read with the standard offset */
}

int64_t lw_tz_utc_to_local(const struct lw_tz *tz, int64_t year, int64_t utc) {
  int32_t b = tz->bias + (in_dst(tz, year, utc) ? tz->dst_bias : tz->std_bias);
  return utc - (int64_t)b * MS_PER_MIN;
}

static int64_t year_of(int64_t ms) {
  int64_t y;
  unsigned m, d;
  int64_t days = ms / MS_PER_DAY - (ms % MS_PER_DAY < 0);
  lw_time_civil_from_days(days, &y, &m, &d);
  return y;
}

/* Local time (as if UTC) to UTC by the clock's zone. */
static int local_to_utc(const struct lw_clock *c, int64_t local, int64_t *ms) {
  struct lw_tz tz;
  int64_t y = year_of(local);
  if (c->zone == NULL || c->zone(c->zone_ctx, y, &tz) != 0)
    return LW_EIO;
  *ms = lw_tz_local_to_utc(&tz, y, local);
  return 0;
}

/* "30m", "24h", "7d": that long before now. */
static int parse_relative(const char *text, const struct lw_clock *c, int64_t *ms) {
  int64_t n = 0, unit;
  const char *p = text;
  if (*p < '0' || *p > '9')
    return LW_ESYNTAX;
  for (; *p >= '0' && *p <= '9'; p++) {
    n = n * 10 + (*p - '0');
    if (n > LW_TIME_LIMIT_MS / 1000)
      return LW_ERANGE;
  }
  switch (*p) {
  case 's':
    unit = 1000;
    break;
  case 'm':
    unit = MS_PER_MIN;
    break;
  case 'h':
    unit = 60 * MS_PER_MIN;
    break;
  case 'd':
    unit = MS_PER_DAY;
    break;
  case 'w':
    unit = 7 * MS_PER_DAY;
    break;
  default:
    return LW_ESYNTAX;
  }
  if (p[1] != '\0')
    return LW_ESYNTAX;
  if (n > LW_TIME_LIMIT_MS / unit)
    return LW_ERANGE;
  *ms = c->now - n * unit;
  return 0;
}

/* Local midnight `back` days before today. */
static int local_midnight(const struct lw_clock *c, int back, int64_t *ms) {
  struct lw_tz tz;
  int64_t y = year_of(c->now), local, day;
  if (c->zone == NULL || c->zone(c->zone_ctx, y, &tz) != 0)
    return LW_EIO;
  local = lw_tz_utc_to_local(&tz, y, c->now);
  day = local / MS_PER_DAY - (local % MS_PER_DAY < 0);
  return local_to_utc(c, (day - back) * MS_PER_DAY, ms);
}

/* The offset at the end of text ("+01:00", "-0530", "+01"), in minutes east
 * of UTC; *at is where it starts. Returns 1 when there is one, 0 when there is
 * none, -1 when it is malformed. Only after a time of day (past index 11). */
static int find_offset(const char *text, size_t len, size_t *at, int *minutes) {
  size_t i = len;
  unsigned h = 0, m = 0;
  const char *p;
  while (i > 11 && text[i - 1] != '+' && text[i - 1] != '-')
    i--;
  if (i <= 11)
    return 0;
  p = text + i;
  if (len - i == 2 || len - i == 4 || len - i == 5) {
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
      return -1;
    h = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
    p += 2;
    if (*p == ':' && len - i == 5)
      p++;
    if (*p != '\0') {
      if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] != '\0')
        return -1;
      m = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
    }
  } else {
    return -1;
  }
  if (h > 14 || m > 59)
    return -1;
  *minutes = (int)(h * 60 + m) * (text[i - 1] == '-' ? -1 : 1);
  *at = i - 1;
  return 1;
}

int lw_cli_time_parse(const char *text, const struct lw_clock *c, int64_t *ms) {
  char buf[48];
  size_t len;
  int off = 0, has_off, rc;
  size_t off_at = 0;
  int64_t v;

  if (text == NULL || c == NULL || ms == NULL)
    return LW_EINVAL;
  if (strcmp(text, "now") == 0) {
    *ms = c->now;
    return 0;
  }
  if (strcmp(text, "today") == 0)
    return local_midnight(c, 0, ms);
  if (strcmp(text, "yesterday") == 0)
    return local_midnight(c, 1, ms);
  if (text[0] >= '0' && text[0] <= '9' && strchr(text, '-') == NULL)
    return parse_relative(text, c, ms);

  len = strlen(text);
  if (len + 4 > sizeof buf)
    return LW_ESYNTAX;
  has_off = find_offset(text, len, &off_at, &off);
  if (has_off < 0)
    return LW_ESYNTAX;
  memcpy(buf, text, has_off ? off_at : len);
  buf[has_off ? off_at : len] = '\0';
  len = strlen(buf);
  /* Seconds may be left out: "2026-11-21 10:00" (and "...T09:00Z"). */
  if (len == 16 && (buf[10] == 'T' || buf[10] == ' ')) {
    memcpy(buf + 16, ":00", 4);
  } else if (len == 17 && buf[16] == 'Z' && (buf[10] == 'T' || buf[10] == ' ')) {
    memcpy(buf + 16, ":00Z", 5);
  }
  len = strlen(buf);
  if (len > 0 && buf[len - 1] == 'Z' && has_off)
    return LW_ESYNTAX; /* both a Z and an offset */
  rc = lw_time_parse_iso(buf, &v);
  if (rc != 0)
    return rc;
  if (buf[len - 1] == 'Z') {
    *ms = v;
    return 0;
  }
  if (has_off) {
    *ms = v - (int64_t)off * MS_PER_MIN;
    return 0;
  }
  return local_to_utc(c, v, ms);
}
