/*
 * cli_time.h - the times an operator types after --since, --until and --at.
 *
 * Accepted (README: Times on the command line):
 *   2026-11-21T09:00:00Z, 2026-11-21T09:00Z      UTC
 *   2026-11-21T10:00:00+01:00 (+0100, +01)       with an offset from UTC
 *   2026-11-21T10:00:00, 2026-11-21 10:00, 2026-11-21
 *                                                the machine's local time
 *   30s, 30m, 24h, 7d, 2w                        that long before now
 *   now, today, yesterday                        today: local midnight
 * An optional .fff fraction follows the seconds, as lw_time_parse_iso takes.
 *
 * The local zone is given as Windows describes it (TIME_ZONE_INFORMATION:
 * a bias and the two yearly transitions), so the DST arithmetic is portable
 * and tested with a fixed zone; service/os/ asks Windows for the year's rules.
 * A local time the clocks skip (spring forward) is read with the standard
 * offset (02:30 is 03:30 summer time); one that happens twice (fall back) is
 * read as the first, summer-time one. An offset or Z chooses exactly.
 */
#ifndef LW_CLI_TIME_H
#define LW_CLI_TIME_H

#include <stdint.h>

/* A yearly transition in Windows' "day-in-month" form (SYSTEMTIME with wYear
 * 0): the `week`th (1-4; 5 = last) `weekday` (0 = Sunday) of `month`, at
 * hour:minute of the local time then in force. month 0: no transition. */
struct lw_tz_transition {
  unsigned month, week, weekday, hour, minute;
};

/* A zone's rules for one year; UTC = local + bias + (std|dst)_bias, minutes. */
struct lw_tz {
  int32_t bias, std_bias, dst_bias;
  struct lw_tz_transition to_std, to_dst; /* to_dst.month 0: no DST */
};

/* Fills *tz with the local zone's rules for year; returns 0, or not 0 when they
 * cannot be read (the time is then refused). */
typedef int (*lw_tz_rules_fn)(void *ctx, int64_t year, struct lw_tz *tz);

/* What a relative or local time is read against. */
struct lw_clock {
  int64_t now;         /* ms since 1970, UTC */
  lw_tz_rules_fn zone; /* the local zone */
  void *zone_ctx;
};

/* Local wall-clock ms (as if UTC) to UTC ms under the rules above. */
int64_t lw_tz_local_to_utc(const struct lw_tz *tz, int64_t year, int64_t local);

/* UTC ms to local wall-clock ms (as if UTC). */
int64_t lw_tz_utc_to_local(const struct lw_tz *tz, int64_t year, int64_t utc);

/* Parses text as above. Returns 0 and sets *ms; LW_ESYNTAX for any other
 * text, LW_ERANGE for a field out of range, LW_EIO when the zone's rules
 * cannot be read. *ms is untouched on failure. */
int lw_cli_time_parse(const char *text, const struct lw_clock *clock, int64_t *ms);

/* The forms, for messages ("--since: 'x' is not a time such as ..."). */
#define LW_CLI_TIME_FORMS "2026-11-21T09:00:00Z, 2026-11-21 10:00 (local time), 24h or yesterday"

#endif /* LW_CLI_TIME_H */
