/*
 * fuzz_parsers.c - the small text parsers of the portable core: durations
 * (duration.h), ISO times (timefmt.h), LUIDs (luid.h), logon type and WTS state
 * names (snapshot.h). The first byte picks the parser, the rest is its text.
 *
 * Oracle: what parses formats back to text that parses to the same value; any
 * int64 formats without harm, and a non-negative duration round-trips.
 */
#include <string.h>

#include "duration.h"
#include "error.h"
#include "fuzz.h"
#include "luid.h"
#include "snapshot.h"
#include "timefmt.h"

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void check_duration(const char *s) {
  int64_t ms = -1, back = -1;
  const char *why = NULL;
  char buf[LW_DURATION_BUFSIZE];
  int rc = lw_duration_parse(s, &ms, &why);
  if (rc != 0) {
    FUZZ_CHECK(rc == LW_ESYNTAX || rc == LW_ERANGE, "rc %d for '%s'", rc, s);
    FUZZ_CHECK(why != NULL, "no reason for '%s'", s);
    return;
  }
  FUZZ_CHECK(ms >= 0, "'%s' gave %lld", s, (long long)ms);
  FUZZ_CHECK(lw_duration_format(ms, buf, sizeof buf) == 0, "format %lld", (long long)ms);
  FUZZ_CHECK(lw_duration_parse(buf, &back, &why) == 0 && back == ms, "'%s' -> '%s'", s, buf);
}

static void check_time(const char *s) {
  int64_t ms = 0, back = 0;
  char buf[LW_ISO_TIME_SIZE];
  int rc = lw_time_parse_iso(s, &ms);
  if (rc != 0) {
    FUZZ_CHECK(rc == LW_ESYNTAX || rc == LW_ERANGE, "rc %d for '%s'", rc, s);
    return;
  }
  lw_time_format_iso(ms, buf);
  FUZZ_CHECK(strlen(buf) == 20, "'%s' formats as '%s'", s, buf);
  FUZZ_CHECK(lw_time_parse_iso(buf, &back) == 0, "'%s' -> '%s' does not parse", s, buf);
  FUZZ_CHECK(back == floor_div(ms, 1000) * 1000, "'%s' -> '%s' -> %lld", s, buf, (long long)back);
  /* Every time of years 0000-9999 after 1601 survives a FILETIME. */
  if (ms >= -LW_FILETIME_EPOCH_MS)
    FUZZ_CHECK(lw_time_from_filetime(lw_time_to_filetime(ms)) == ms, "'%s' via FILETIME", s);
}

static void check_luid(const char *s) {
  uint64_t v = 0, back = 0;
  char buf[LW_LUID_TEXT_SIZE];
  int rc = lw_luid_parse(s, &v);
  if (rc != 0) {
    FUZZ_CHECK(rc == LW_ESYNTAX || rc == LW_ERANGE, "rc %d for '%s'", rc, s);
    return;
  }
  lw_luid_format(v, buf);
  FUZZ_CHECK(strlen(buf) == LW_LUID_TEXT_SIZE - 1, "'%s' formats as '%s'", s, buf);
  FUZZ_CHECK(lw_luid_parse(buf, &back) == 0 && back == v, "'%s' -> '%s'", s, buf);
}

static void check_names(const char *s) {
  uint32_t v = 0, back = 0;
  if (lw_logon_type_parse(s, &v) == 0) {
    const char *name = lw_logon_type_name(v);
    FUZZ_CHECK(name != NULL && lw_logon_type_parse(name, &back) == 0 && back == v, "'%s'", s);
  }
  if (lw_wts_state_parse(s, &v) == 0) {
    const char *name = lw_wts_state_name(v);
    FUZZ_CHECK(name != NULL && lw_wts_state_parse(name, &back) == 0 && back == v, "'%s'", s);
  }
}

/* Formatting any 64-bit value: no overflow, no out-of-bounds write. */
static void check_int64(const uint8_t *data, size_t size) {
  uint64_t u = 0;
  int64_t v, back = -1;
  char iso[LW_ISO_TIME_SIZE], dur[LW_DURATION_BUFSIZE], luid[LW_LUID_TEXT_SIZE];
  for (size_t i = 0; i < size && i < 8; i++)
    u = u << 8 | data[i];
  v = (int64_t)u;
  lw_time_format_iso(v, iso);
  FUZZ_CHECK(strlen(iso) < LW_ISO_TIME_SIZE, "%lld", (long long)v);
  FUZZ_CHECK(lw_duration_format(v, dur, sizeof dur) == 0, "%lld", (long long)v);
  if (v >= 0)
    FUZZ_CHECK(lw_duration_parse(dur, &back, NULL) == 0 && back == v, "%lld -> '%s'", (long long)v,
               dur);
  lw_luid_format(u, luid);
  (void)lw_time_from_filetime(v);
  (void)lw_time_to_filetime(v);
  (void)lw_logon_type_name((uint32_t)u);
  (void)lw_wts_state_name((uint32_t)u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s;
  if (size == 0)
    return 0;
  s = fuzz_strdup(data + 1, size - 1);
  switch (data[0] % 5) {
  case 0:
    check_duration(s);
    break;
  case 1:
    check_time(s);
    break;
  case 2:
    check_luid(s);
    break;
  case 3:
    check_names(s);
    break;
  default:
    check_int64(data + 1, size - 1);
    break;
  }
  free(s);
  return 0;
}
