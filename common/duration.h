/*
 * duration.h - durations as operators write them in leakwatch.yaml.
 *
 * A duration is a non-negative integer immediately followed by one unit:
 * `ms` (milliseconds), `s`, `m` (minutes), `h` or `d` (days of 24 hours):
 * `500ms`, `30s`, `5m`, `2h`, `90d`. There is no bare number (`0` needs a unit
 * too, so `poll_interval: 30` is an error rather than a guess), no sign, no
 * spaces, no fractions and no compound forms (`1h30m` is written `90m`).
 * Inside LeakWatch a duration is an int64_t count of milliseconds.
 */
#ifndef LW_DURATION_H
#define LW_DURATION_H

#include <stddef.h>
#include <stdint.h>

#define LW_MS_PER_SECOND INT64_C(1000)
#define LW_MS_PER_MINUTE (60 * LW_MS_PER_SECOND)
#define LW_MS_PER_HOUR (60 * LW_MS_PER_MINUTE)
#define LW_MS_PER_DAY (24 * LW_MS_PER_HOUR)

/* Enough for any int64_t duration: "-9223372036854775808ms" and its NUL. */
#define LW_DURATION_BUFSIZE 24

/*
 * Parses the NUL-terminated `text` into milliseconds in *out_ms.
 * Returns 0 on success; LW_ESYNTAX if the text is not an integer followed by a
 * known unit; LW_ERANGE if it is negative (`-5s`) or does not fit in int64_t
 * milliseconds. On failure *out_ms is untouched and, if `why` is not NULL,
 * *why is set to a static phrase saying what is wrong ("missing unit", "unknown
 * unit", ...) for use in error messages; on success *why is left alone.
 */
int lw_duration_parse(const char *text, int64_t *out_ms, const char **why);

/*
 * Formats `ms` as the shortest text that lw_duration_parse reads back exactly,
 * using the largest unit that divides it: 600000 -> "10m", 1500 -> "1500ms",
 * 0 -> "0s". Negative values get a leading '-' (which lw_duration_parse
 * rejects; they are not valid configuration). Writes at most `n` bytes
 * including the NUL into `buf` (LW_DURATION_BUFSIZE always suffices).
 * Returns 0, or LW_EINVAL if `n` is too small (then buf holds "" if n > 0).
 */
int lw_duration_format(int64_t ms, char *buf, size_t n);

#endif /* LW_DURATION_H */
