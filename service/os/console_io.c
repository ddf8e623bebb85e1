/*
 * console_io.c - the time zone and stdout's pipe (see console_io.h).
 */
#include <windows.h>

#include "console_io.h"

static void transition(const SYSTEMTIME *st, struct lw_tz_transition *t) {
  t->month = st->wMonth;
  t->week = st->wDay;
  t->weekday = st->wDayOfWeek;
  t->hour = st->wHour;
  t->minute = st->wMinute;
}

int lw_os_local_zone(void *ctx, int64_t year, struct lw_tz *tz) {
  TIME_ZONE_INFORMATION tzi;
  (void)ctx;
  /* The year's own rules where Windows knows them (zones change their DST). */
  if (year < 1601 || year > 30827 || !GetTimeZoneInformationForYear((USHORT)year, NULL, &tzi)) {
    if (GetTimeZoneInformation(&tzi) == TIME_ZONE_ID_INVALID)
      return 1;
  }
  tz->bias = tzi.Bias;
  tz->std_bias = tzi.StandardBias;
  tz->dst_bias = tzi.DaylightBias;
  transition(&tzi.StandardDate, &tz->to_std);
  transition(&tzi.DaylightDate, &tz->to_dst);
  /* Only the yearly "day-in-month" form is read; a dated rule (wYear set) is
   * taken as standard time all year. */
  if (tzi.StandardDate.wYear != 0 || tzi.DaylightDate.wYear != 0)
    tz->to_dst.month = 0;
  return 0;
}

bool lw_os_stdout_reader_gone(void) {
  HANDLE h = GetStdHandle(STD_OUTPUT_HANDLE);
  /* A write to a pipe fails only when its reader has gone (msvcrt says EPIPE,
   * or EINVAL for ERROR_NO_DATA, but errno is long overwritten by the time a
   * printer's sticky error is seen): the pipe's type is the answer. */
  return h != NULL && h != INVALID_HANDLE_VALUE && GetFileType(h) == FILE_TYPE_PIPE;
}
