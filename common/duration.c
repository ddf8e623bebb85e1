/*
 * duration.c - parsing and formatting of durations (`500ms`, `30s`, `5m`, `2h`,
 * `90d`) as int64_t milliseconds, with overflow checks. See duration.h.
 */
#include "duration.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

struct unit {
  const char *name;
  int64_t ms;
};

/* Largest first: lw_duration_format picks the first unit that divides. */
static const struct unit units[] = {
    {"d", LW_MS_PER_DAY},
    {"h", LW_MS_PER_HOUR},
    {"m", LW_MS_PER_MINUTE},
    {"s", LW_MS_PER_SECOND},
    {"ms", 1},
};

int lw_duration_parse(const char *text, int64_t *out_ms, const char **why) {
  const char *p = text;
  const char *problem = NULL;
  int64_t n = 0;
  int rc = LW_ESYNTAX;
  int overflow = 0;

  if (*p == '-') {
    /* A sign is never valid, but "-5m" deserves "negative", not "syntax". */
    rc = LW_ERANGE;
    problem = "must not be negative";
    goto done;
  }
  if (*p < '0' || *p > '9') {
    problem = (*p == '\0') ? "is empty" : "must start with a number";
    goto done;
  }
  for (; *p >= '0' && *p <= '9'; p++) {
    int digit = *p - '0';
    if (n > (INT64_MAX - digit) / 10) {
      overflow = 1; /* keep scanning so a bad unit still reads as syntax */
    } else {
      n = n * 10 + digit;
    }
  }
  if (*p == '\0') {
    problem = "has no unit; add one of ms, s, m, h, d";
    goto done;
  }
  if (*p == '.' || *p == ',') {
    problem = "must be a whole number; write 1500ms, not 1.5s";
    goto done;
  }
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strcmp(p, units[i].name) == 0) {
      if (overflow || n > INT64_MAX / units[i].ms) {
        rc = LW_ERANGE;
        problem = "is too large";
        goto done;
      }
      *out_ms = n * units[i].ms;
      return 0;
    }
  }
  problem = "has an unknown unit; use one of ms, s, m, h, d";
done:
  if (why != NULL) {
    *why = problem;
  }
  return rc;
}

int lw_duration_format(int64_t ms, char *buf, size_t n) {
  /* Magnitude as unsigned so that INT64_MIN has one too. */
  uint64_t mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
  const char *unit = "ms";
  int len;

  if (ms == 0) {
    unit = "s";
  } else {
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
      if (mag % (uint64_t)units[i].ms == 0) {
        mag /= (uint64_t)units[i].ms;
        unit = units[i].name;
        break;
      }
    }
  }
  if (buf == NULL || n == 0) {
    return LW_EINVAL;
  }
  len = snprintf(buf, n, "%s%" PRIu64 "%s", ms < 0 ? "-" : "", mag, unit);
  if (len < 0 || (size_t)len >= n) {
    buf[0] = '\0';
    return LW_EINVAL;
  }
  return 0;
}
