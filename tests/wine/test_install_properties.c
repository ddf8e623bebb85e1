/*
 * Wine test for service/install_properties.c: the MSI's silent-install
 * properties written into the configuration created at first start.
 *   - the text rewrite on the real documented default (config/leakwatch.yaml,
 *     argv[1]): exactly the four key lines change, every comment and other
 *     line stays byte for byte, the result loads with the given values and
 *     every other key at its default; quoting (backslashes, a quote, spaces),
 *     CRLF files, a key the file lacks (appended), a file without a final
 *     newline, partial and empty values, a control character refused;
 *   - apply against a registry key of its own under HKCU (the product reads
 *     HKLM\SOFTWARE\LeakWatch\InstallProperties): no key or only "" values
 *     leave the file untouched; given values rewrite it and leave no .new;
 *     a value the loader refuses, or a REG_DWORD, fails with the reason and
 *     removes the file (the next start retries).
 */
#include <windows.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "error.h"
#include "install_properties.h"

static const char *default_config_path; /* argv[1] */
static char dir[MAX_PATH];              /* this run's temporary folder */
static char cfg_path[MAX_PATH];         /* dir\leakwatch.yaml */
static wchar_t reg_key[128];            /* HKCU\Software\LeakWatchTest\... */

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *p = NULL;
  long n;
  if (f == NULL)
    return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  p = malloc((size_t)n + 1);
  if (p != NULL && fread(p, 1, (size_t)n, f) == (size_t)n) {
    p[n] = 0;
    *len = (size_t)n;
  } else {
    free(p);
    p = NULL;
  }
  fclose(f);
  return p;
}

static void spew(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
  assert_int_equal(fclose(f), 0);
}

static int exists(const char *path) {
  return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES;
}

/* Splits text into lines (without their ends) in a NULL-terminated array. */
static char **lines_of(const char *text, size_t *count) {
  size_t n = 0, cap = 16;
  char **v = malloc(cap * sizeof *v);
  assert_non_null(v);
  const char *p = text;
  while (*p) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (n + 2 > cap) {
      char **bigger = realloc(v, (cap *= 2) * sizeof *v);
      assert_non_null(bigger);
      v = bigger;
    }
    v[n] = malloc(len + 1);
    memcpy(v[n], p, len);
    v[n][len] = 0;
    n++;
    p += len + (e ? 1 : 0);
  }
  v[n] = NULL;
  *count = n;
  return v;
}

static void free_lines(char **v) {
  for (size_t i = 0; v[i]; i++)
    free(v[i]);
  free(v);
}

static char *rewrite(const char *text, const char *const values[LW_INSTALL_PROPERTY_COUNT],
                     int *rc) {
  char *out = NULL, err[256] = "";
  size_t len = 0;
  *rc = lw__install_properties_rewrite(text, strlen(text), values, &out, &len, err, sizeof err);
  if (*rc == 0) {
    assert_non_null(out);
    assert_int_equal(strlen(out), len);
  }
  return out;
}

/* ---- The text rewrite --------------------------------------------------- */

static void test_default_file(void **state) {
  (void)state;
  size_t len = 0, n_in, n_out, i;
  char *def = slurp(default_config_path, &len);
  assert_non_null(def);
  const char *values[LW_INSTALL_PROPERTY_COUNT] = {
      "1s", "5m", "D:\\Data\\LeakWatch's\\history.db", "LeakWatch Readers",
      "C:\\Program Files\\windows_exporter\\textfile_inputs\\leakwatch.prom"};
  int rc;
  char *out = rewrite(def, values, &rc);
  assert_int_equal(rc, 0);

  /* Line for line: only the five keys' lines differ, in place. */
  char **a = lines_of(def, &n_in), **b = lines_of(out, &n_out);
  assert_int_equal(n_in, n_out);
  int changed = 0;
  for (i = 0; i < n_in; i++) {
    if (strcmp(a[i], b[i]) == 0)
      continue;
    changed++;
    if (strncmp(a[i], "poll_interval:", 14) == 0)
      assert_string_equal(b[i], "poll_interval: 1s  # set at installation (POLL_INTERVAL)");
    else if (strncmp(a[i], "grace_period:", 13) == 0)
      assert_string_equal(b[i], "grace_period: 5m  # set at installation (GRACE_PERIOD)");
    else if (strncmp(a[i], "database:", 9) == 0)
      assert_string_equal(
          b[i], "database: 'D:\\Data\\LeakWatch''s\\history.db'  # set at installation (DATABASE)");
    else if (strncmp(a[i], "metrics_file:", 13) == 0)
      assert_string_equal(b[i],
                          "metrics_file: 'C:\\Program Files\\windows_exporter\\textfile_inputs\\"
                          "leakwatch.prom'  # set at installation (METRICS_FILE)");
    else if (strncmp(a[i], "readers:", 8) == 0)
      assert_string_equal(b[i],
                          "readers: 'LeakWatch Readers'  # set at installation (READERS_GROUP)");
    else
      fail_msg("unexpected change of line %zu: '%s' -> '%s'", i + 1, a[i], b[i]);
  }
  assert_int_equal(changed, 5);

  /* It loads, with the values given and every other key at its default. */
  struct lw_config cfg, expect;
  char err[512] = "";
  assert_int_equal(lw_config_load_string("out", out, strlen(out), &cfg, err, sizeof err), 0);
  assert_int_equal(cfg.poll_interval_ms, 1000);
  assert_int_equal(cfg.grace_period_ms, 300000);
  assert_string_equal(cfg.database, "D:\\Data\\LeakWatch's\\history.db");
  assert_string_equal(cfg.readers, "LeakWatch Readers");
  assert_string_equal(cfg.metrics_file,
                      "C:\\Program Files\\windows_exporter\\textfile_inputs\\leakwatch.prom");
  lw_config_defaults(&expect); /* static strings: nothing to free */
  expect.poll_interval_ms = cfg.poll_interval_ms;
  expect.grace_period_ms = cfg.grace_period_ms;
  expect.database = cfg.database;
  expect.readers = cfg.readers;
  expect.metrics_file = cfg.metrics_file;
  assert_true(lw_config_equal(&cfg, &expect));
  free_lines(a);
  free_lines(b);
  free(out);
  lw_config_free(&cfg);
  free(def);
}

static void test_crlf_partial_and_nothing(void **state) {
  (void)state;
  int rc;
  const char *text = "# c\r\npoll_interval: 60s\r\n# keep\r\ngrace_period: 10m\r\n";
  const char *some[LW_INSTALL_PROPERTY_COUNT] = {NULL, "2h", "", NULL};
  char *out = rewrite(text, some, &rc);
  assert_int_equal(rc, 0);
  assert_string_equal(
      out, "# c\r\npoll_interval: 60s\r\n# keep\r\ngrace_period: 2h  # set at installation "
           "(GRACE_PERIOD)\r\n");
  free(out);

  const char *none[LW_INSTALL_PROPERTY_COUNT] = {NULL, "", NULL, ""};
  out = rewrite(text, none, &rc);
  assert_int_equal(rc, 0);
  assert_string_equal(out, text);
  free(out);

  out = rewrite("", none, &rc);
  assert_int_equal(rc, 0);
  assert_string_equal(out, "");
  free(out);
}

static void test_missing_keys_appended(void **state) {
  (void)state;
  int rc;
  /* No final newline; `# poll_interval:` and an indented key are not the key's line. */
  const char *text = "# poll_interval: 60s\nholders:\n  readers_x: 1\npoll_intervalx: 3";
  const char *values[LW_INSTALL_PROPERTY_COUNT] = {"30s", NULL, NULL, "Administrators", NULL};
  char *out = rewrite(text, values, &rc);
  assert_int_equal(rc, 0);
  assert_string_equal(out, "# poll_interval: 60s\nholders:\n  readers_x: 1\npoll_intervalx: 3\n"
                           "poll_interval: 30s  # set at installation (POLL_INTERVAL)\n"
                           "readers: 'Administrators'  # set at installation (READERS_GROUP)\n");
  free(out);

  /* `key :` is the key's line too (YAML allows the space). */
  out = rewrite("poll_interval : 5s\n", values, &rc);
  assert_int_equal(rc, 0);
  assert_string_equal(out, "poll_interval: 30s  # set at installation (POLL_INTERVAL)\n"
                           "readers: 'Administrators'  # set at installation (READERS_GROUP)\n");
  free(out);
}

static void test_quoting_and_refusals(void **state) {
  (void)state;
  int rc;
  char *out, err[256] = "";
  size_t len;
  /* Not "number unit": quoted, and left for the loader to judge. */
  const char *odd[LW_INSTALL_PROPERTY_COUNT] = {"1 s", "5m#x", NULL, NULL};
  out = rewrite("poll_interval: 60s\ngrace_period: 10m\n", odd, &rc);
  assert_int_equal(rc, 0);
  assert_string_equal(out, "poll_interval: '1 s'  # set at installation (POLL_INTERVAL)\n"
                           "grace_period: '5m#x'  # set at installation (GRACE_PERIOD)\n");
  free(out);

  /* A line break would smuggle in a key of its own. */
  const char *evil[LW_INSTALL_PROPERTY_COUNT] = {NULL, NULL, "C:\\x.db\nlog_level: debug", NULL};
  rc = lw__install_properties_rewrite("database: ''\n", 13, evil, &out, &len, err, sizeof err);
  assert_int_equal(rc, LW_EINVAL);
  assert_null(out);
  assert_non_null(strstr(err, "database: the value has a control character (0x0a)"));
}

/* ---- Applying from the registry ------------------------------------------ */

static void set_value(const wchar_t *name, const wchar_t *value) {
  HKEY k;
  assert_int_equal(
      RegCreateKeyExW(HKEY_CURRENT_USER, reg_key, 0, NULL, 0, KEY_SET_VALUE, NULL, &k, NULL),
      ERROR_SUCCESS);
  assert_int_equal(RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)value,
                                  (DWORD)((wcslen(value) + 1) * sizeof(wchar_t))),
                   ERROR_SUCCESS);
  RegCloseKey(k);
}

static int setup(void **state) {
  (void)state;
  char tmp[MAX_PATH];
  GetTempPathA(sizeof tmp, tmp);
  snprintf(dir, sizeof dir, "%slw_install_props_%lu", tmp, GetCurrentProcessId());
  CreateDirectoryA(dir, NULL);
  snprintf(cfg_path, sizeof cfg_path, "%s\\leakwatch.yaml", dir);
  swprintf(reg_key, sizeof reg_key / sizeof reg_key[0],
           L"Software\\LeakWatchTest\\InstallProperties_%lu", GetCurrentProcessId());
  RegDeleteTreeW(HKEY_CURRENT_USER, reg_key);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char p[MAX_PATH];
  DeleteFileA(cfg_path);
  snprintf(p, sizeof p, "%s.new", cfg_path);
  DeleteFileA(p);
  RemoveDirectoryA(dir);
  RegDeleteTreeW(HKEY_CURRENT_USER, reg_key);
  return 0;
}

static int apply(char *err, size_t errlen) {
  return lw__install_properties_apply_from(HKEY_CURRENT_USER, reg_key, cfg_path, err, errlen);
}

static void test_apply_nothing_given(void **state) {
  (void)state;
  char err[512] = "x", *text, newp[MAX_PATH];
  size_t len;
  const char *orig = "# doc\npoll_interval: 60s\n";
  spew(cfg_path, orig);
  /* No key at all. */
  assert_int_equal(apply(err, sizeof err), 0);
  assert_string_equal(err, "");
  /* The MSI's "" for properties not given. */
  set_value(L"poll_interval", L"");
  set_value(L"grace_period", L"");
  set_value(L"database", L"");
  set_value(L"readers", L"");
  set_value(L"metrics_file", L"");
  assert_int_equal(apply(err, sizeof err), 0);
  text = slurp(cfg_path, &len);
  assert_non_null(text);
  assert_string_equal(text, orig);
  free(text);
  snprintf(newp, sizeof newp, "%s.new", cfg_path);
  assert_false(exists(newp));
}

static void test_apply_values(void **state) {
  (void)state;
  char err[512] = "", *text, newp[MAX_PATH];
  size_t len;
  struct lw_config cfg;
  spew(cfg_path, "# doc\npoll_interval: 60s\n# grace\ngrace_period: 10m\ndatabase: 'x.db'\n");
  set_value(L"poll_interval", L"1s");
  set_value(L"grace_period", L"5m");
  set_value(L"database", L"%ProgramData%\\LeakWatch\\h\u00e9.db");
  set_value(L"readers", L"");
  set_value(L"metrics_file", L"C:\\exporter\\leakwatch.prom");
  assert_int_equal(apply(err, sizeof err), 0);
  text = slurp(cfg_path, &len);
  assert_non_null(text);
  assert_string_equal(text, "# doc\npoll_interval: 1s  # set at installation (POLL_INTERVAL)\n"
                            "# grace\ngrace_period: 5m  # set at installation (GRACE_PERIOD)\n"
                            "database: '%ProgramData%\\LeakWatch\\h\xc3\xa9.db'  # set at "
                            "installation (DATABASE)\n"
                            "metrics_file: 'C:\\exporter\\leakwatch.prom'  # set at "
                            "installation (METRICS_FILE)\n");
  free(text);
  assert_int_equal(lw_config_load(cfg_path, &cfg, err, sizeof err), 0);
  assert_int_equal(cfg.poll_interval_ms, 1000);
  assert_string_equal(cfg.metrics_file, "C:\\exporter\\leakwatch.prom");
  lw_config_free(&cfg);
  snprintf(newp, sizeof newp, "%s.new", cfg_path);
  assert_false(exists(newp));
}

static void test_apply_invalid_removes_file(void **state) {
  (void)state;
  char err[512] = "", newp[MAX_PATH];
  snprintf(newp, sizeof newp, "%s.new", cfg_path);
  spew(cfg_path, "poll_interval: 60s\n");
  set_value(L"poll_interval", L"abc");
  int rc = apply(err, sizeof err);
  assert_true(rc < 0);
  assert_non_null(strstr(err, "cannot apply the install properties"));
  assert_non_null(strstr(err, "poll_interval"));
  assert_non_null(strstr(err, "abc"));
  assert_non_null(strstr(err, "the next start tries again"));
  assert_false(exists(cfg_path));
  assert_false(exists(newp));

  /* A value of the wrong registry type. */
  HKEY k;
  DWORD v = 30;
  spew(cfg_path, "poll_interval: 60s\n");
  set_value(L"poll_interval", L"");
  assert_int_equal(
      RegCreateKeyExW(HKEY_CURRENT_USER, reg_key, 0, NULL, 0, KEY_SET_VALUE, NULL, &k, NULL),
      ERROR_SUCCESS);
  assert_int_equal(RegSetValueExW(k, L"grace_period", 0, REG_DWORD, (const BYTE *)&v, sizeof v),
                   ERROR_SUCCESS);
  RegCloseKey(k);
  rc = apply(err, sizeof err);
  assert_int_equal(rc, LW_EINVAL);
  assert_non_null(strstr(err, "grace_period is not a string"));
  assert_false(exists(cfg_path));
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_install_properties DEFAULT_CONFIG\n");
    return 2;
  }
  default_config_path = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_file),
      cmocka_unit_test(test_crlf_partial_and_nothing),
      cmocka_unit_test(test_missing_keys_appended),
      cmocka_unit_test(test_quoting_and_refusals),
      cmocka_unit_test_setup_teardown(test_apply_nothing_given, setup, teardown),
      cmocka_unit_test_setup_teardown(test_apply_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_apply_invalid_removes_file, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
