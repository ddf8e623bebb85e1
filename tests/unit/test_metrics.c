/* Unit tests for metrics.c: the Prometheus text the farm's rules and
 * dashboard read (names, labels, values, the alert counters). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "metrics.h"

/* The sample line of `series` (name with labels) in text, or fails. */
static const char *sample_value(const char *text, const char *series) {
  static char value[64];
  size_t n = strlen(series);
  for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    if (strncmp(p, series, n) == 0 && p[n] == ' ') {
      size_t len = strcspn(p + n + 1, "\n");
      if (len >= sizeof value)
        break;
      memcpy(value, p + n + 1, len);
      value[len] = 0;
      return value;
    }
  }
  fail_msg("no sample %s in:\n%s", series, text);
  return NULL;
}

static void test_alert_counters(void **state) {
  (void)state;
  static struct lw_metrics m;
  static char text[LW_METRICS_TEXT_MAX];
  memset(&m, 0, sizeof m);
  assert_int_equal(lw_metrics_count_alert(&m, 2001, 0), 0);
  assert_int_equal(lw_metrics_count_alert(&m, 2001, 0), 0);
  assert_int_equal(lw_metrics_count_alert(&m, 2001, 1), 0);
  assert_int_equal(lw_metrics_count_alert(&m, 2009, 0), 0);
  /* Service events and unknown IDs are not alerts. */
  assert_int_equal(lw_metrics_count_alert(&m, 1107, 0), -1);
  assert_int_equal(lw_metrics_count_alert(&m, 2999, 0), -1);
  assert_true(lw_metrics_format(&m, text, sizeof text) > 0);
  assert_string_equal(
      sample_value(text, "leakwatch_alerts_total{event_id=\"2001\",outcome=\"raised\"}"), "2");
  assert_string_equal(
      sample_value(text, "leakwatch_alerts_total{event_id=\"2001\",outcome=\"held_back\"}"), "1");
  assert_string_equal(
      sample_value(text, "leakwatch_alerts_total{event_id=\"2009\",outcome=\"raised\"}"), "1");
  /* Alerts never raised are there with 0, so increase() sees the first one. */
  assert_string_equal(
      sample_value(text, "leakwatch_alerts_total{event_id=\"2003\",outcome=\"held_back\"}"), "0");
  assert_null(strstr(text, "event_id=\"1107\""));
  assert_null(strstr(text, "event_id=\"1000\""));
  /* One HELP and TYPE for the family, before its first sample. */
  const char *help = strstr(text, "# HELP leakwatch_alerts_total ");
  assert_non_null(help);
  assert_null(strstr(help + 1, "# HELP leakwatch_alerts_total "));
  assert_true(help < strstr(text, "leakwatch_alerts_total{"));
}

static void test_farm_figures(void **state) {
  (void)state;
  static struct lw_metrics m;
  static char text[LW_METRICS_TEXT_MAX];
  memset(&m, 0, sizeof m);
  m.leak_episodes_total = 7;
  m.oldest_leak_age_ms = 3723042;
  m.history_busy = 1;
  m.poll_interval_ms = 500;
  m.grace_period_ms = 600000;
  m.gap_threshold = 10;
  m.last_poll_time = 1795000000123;
  m.leaked_sessions = 5; /* 3 users' logon sessions, 2 of their DWM/UMFD */
  m.leaked_system_sessions = 2;
  assert_true(lw_metrics_format(&m, text, sizeof text) > 0);
  assert_string_equal(sample_value(text, "leakwatch_leaked_logon_sessions{kind=\"user\"}"), "3");
  assert_string_equal(sample_value(text, "leakwatch_leaked_logon_sessions{kind=\"system\"}"), "2");
  assert_string_equal(sample_value(text, "leakwatch_leak_episodes_total"), "7");
  assert_string_equal(sample_value(text, "leakwatch_oldest_leak_age_seconds"), "3723.042");
  assert_string_equal(sample_value(text, "leakwatch_history_database_busy"), "1");
  assert_string_equal(sample_value(text, "leakwatch_poll_interval_seconds"), "0.500");
  assert_string_equal(sample_value(text, "leakwatch_grace_period_seconds"), "600.000");
  assert_string_equal(sample_value(text, "leakwatch_gap_threshold"), "10");
  assert_string_equal(sample_value(text, "leakwatch_last_poll_timestamp_seconds"),
                      "1795000000.123");
  char series[64];
  snprintf(series, sizeof series, "leakwatch_build_info{version=\"%s\"}", LW_VERSION_STRING);
  assert_string_equal(sample_value(text, series), "1");
  assert_non_null(strstr(text, "# TYPE leakwatch_leak_episodes_total counter\n"));
  assert_non_null(strstr(text, "# TYPE leakwatch_oldest_leak_age_seconds gauge\n"));
}

/* Every counter and gauge at its largest still fits LW_METRICS_TEXT_MAX; a
 * buffer too small gives LW_ENOSPC and "". */
static void test_sizes(void **state) {
  (void)state;
  static struct lw_metrics m;
  static char text[LW_METRICS_TEXT_MAX];
  memset(&m, 0xff, sizeof m);
  m.oldest_leak_age_ms = INT64_MAX;
  m.poll_interval_ms = INT64_MAX;
  m.grace_period_ms = INT64_MAX;
  m.last_poll_time = INT64_MAX;
  int n = lw_metrics_format(&m, text, sizeof text);
  assert_true(n > 0 && (size_t)n < sizeof text);
  assert_int_equal(strlen(text), (size_t)n);
  char small[256];
  assert_int_equal(lw_metrics_format(&m, small, sizeof small), LW_ENOSPC);
  assert_string_equal(small, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alert_counters),
      cmocka_unit_test(test_farm_figures),
      cmocka_unit_test(test_sizes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
