/*
 * fuzz_config.c - the configuration loader (config.h) on any bytes.
 *
 * Oracle: a file that loads writes an effective configuration
 * (lw_config_write_effective) that loads again to an equal configuration, and
 * a file that does not load leaves a `NAME:LINE:COLUMN: message` error.
 */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct lw_config cfg, back;
  char err[512];
  char *text = NULL;
  size_t text_len = 0;
  FILE *f;
  int rc;

  err[0] = '\0';
  rc = lw_config_load_string("fuzz.yaml", (const char *)data, size, &cfg, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc < 0, "rc %d", rc);
    FUZZ_CHECK(strncmp(err, "fuzz.yaml:", 10) == 0, "error without a position: '%s'", err);
    return 0;
  }
  f = open_memstream(&text, &text_len);
  if (f == NULL)
    abort();
  rc = lw_config_write_effective(&cfg, f);
  FUZZ_CHECK(fclose(f) == 0, "fclose");
  FUZZ_CHECK(rc == 0, "write_effective gave %d", rc);
  rc = lw_config_load_string("effective.yaml", text, text_len, &back, err, sizeof err);
  FUZZ_CHECK(rc == 0, "the effective configuration does not load: %s\n%s", err, text);
  FUZZ_CHECK(lw_config_equal(&cfg, &back), "the effective configuration differs:\n%s", text);
  lw_config_free(&back);
  lw_config_free(&cfg);
  free(text);
  return 0;
}
