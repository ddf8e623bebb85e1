/*
 * timefmt.h - times as ISO 8601 UTC text and as Windows FILETIMEs.
 *
 * LeakWatch keeps times as int64 milliseconds since 1970-01-01T00:00:00Z
 * (LW_TIME_UNKNOWN when absent) and shows them as
 * `2026-11-21T09:00:00Z`, text that sorts as it compares, which is what the SQLite
 * history stores. Everything here is integer arithmetic on the proleptic
 * Gregorian calendar (days-from-civil), never gmtime/timegm, so the results are
 * the same on Linux and Windows and do not depend on the local time zone.
 */
#ifndef LW_TIMEFMT_H
#define LW_TIMEFMT_H

#include <stdint.h>

/* A time that is not known (no value from the OS, not yet seen). */
#define LW_TIME_UNKNOWN INT64_MIN

/* No clock gives a time this far from 1970 (2^50 ms, about 35,700 years; FILETIMEs
 * end in 30828). Saved states refuse times beyond it, so that the difference of
 * two times never overflows int64 (issue 14). */
#define LW_TIME_LIMIT_MS (INT64_C(1) << 50)

/* Big enough for any int64 ms: years 0..9999 give the 20-character
 * "YYYY-MM-DDTHH:MM:SSZ"; others a sign and/or more year digits. */
#define LW_ISO_TIME_SIZE 32

/* Milliseconds between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
#define LW_FILETIME_EPOCH_MS INT64_C(11644473600000)

/* Writes `ms` as "YYYY-MM-DDTHH:MM:SSZ" into buf and returns buf. Seconds
 * precision: the milliseconds are dropped, rounding toward negative infinity
 * (-1 ms is 1969-12-31T23:59:59Z). LW_TIME_UNKNOWN gives "". Cannot fail. */
char *lw_time_format_iso(int64_t ms, char buf[LW_ISO_TIME_SIZE]);

/* Parses a UTC time, one of
 *   YYYY-MM-DDTHH:MM:SSZ       YYYY-MM-DDTHH:MM:SS.fffZ
 *   YYYY-MM-DD HH:MM:SS        YYYY-MM-DD HH:MM:SS.fff   (sqlite's datetime())
 *   YYYY-MM-DD                 (midnight)
 * The final Z is optional (every time LeakWatch shows or reads is UTC); the
 * fraction has 1 to 9 digits, of which the first 3 count (truncated). Fields are
 * validated: year 0000-9999, month 01-12, the day within its month (leap years
 * included), hour 00-23, minute and second 00-59.
 * Returns 0 and sets *ms; LW_ESYNTAX for another shape, LW_ERANGE for a field out
 * of range, LW_EINVAL for NULL arguments. *ms is untouched on failure. */
int lw_time_parse_iso(const char *text, int64_t *ms);

/* Converts a FILETIME (100 ns intervals since 1601-01-01 UTC, as a signed 64-bit
 * number) to ms since 1970, rounding toward negative infinity. 0, negative values
 * and values after 30000-01-01 (Windows uses 0 and 0x7fff... for "never") give
 * LW_TIME_UNKNOWN. */
int64_t lw_time_from_filetime(int64_t ft100ns);

/* The inverse: ms since 1970 to a FILETIME. LW_TIME_UNKNOWN, times before
 * 1601-01-01 and times whose FILETIME would not fit in int64 give 0 (Windows'
 * "no time"). */
int64_t lw_time_to_filetime(int64_t ms);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31, not
 * validated); exposed for the store and tests. */
int64_t lw_time_days_from_civil(int64_t year, unsigned month, unsigned day);

/* The inverse: the date of day z since 1970-01-01. */
void lw_time_civil_from_days(int64_t z, int64_t *year, unsigned *month, unsigned *day);

#endif /* LW_TIMEFMT_H */
