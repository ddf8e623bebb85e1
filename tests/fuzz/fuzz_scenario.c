/*
 * fuzz_scenario.c - the fake host's scenario parser (tests/fakehost/scenario.h)
 * on any bytes: scenarios are a contract format, written by other tools.
 *
 * Oracle: an error names the file and a position; a loaded scenario answers
 * its finders consistently (each entry is found at its first step, and the
 * entries alive at a step are as many as the list says).
 */
#include <string.h>

#include "fuzz.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct lw_scenario *sc = NULL;
  char err[512];
  size_t i;
  int rc;

  err[0] = '\0';
  rc = lw_scenario_load_buffer("fuzz.yaml", (const char *)data, size, &sc, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc < 0 && sc == NULL, "rc %d", rc);
    FUZZ_CHECK(strncmp(err, "fuzz.yaml:", 10) == 0, "error without a position: '%s'", err);
    return 0;
  }
  for (i = 0; i < sc->n_logons; i++) {
    const struct lw_scenario_logon *e = &sc->logons[i];
    if (e->from < sc->steps)
      FUZZ_CHECK(lw_scenario_find_logon(sc, e->from, e->luid) == e, "logon %zu not found", i);
    (void)lw_scenario_logon_time(e);
  }
  for (i = 0; i < sc->n_wts; i++) {
    const struct lw_scenario_wts *e = &sc->wts[i];
    if (e->from < sc->steps)
      FUZZ_CHECK(lw_scenario_find_wts(sc, e->from, e->id) == e, "wts %zu not found", i);
    FUZZ_CHECK(lw_scenario_wts_logon_step(sc, e) <= e->from, "wts %zu logon step", i);
  }
  /* The first and last steps, as the fakes see them. */
  for (uint32_t step = 0; step < 2; step++) {
    uint32_t s = lw_scenario_clamp_step(sc, step == 0 ? 0 : UINT64_MAX);
    size_t n = lw_scenario_logons_at(sc, s, NULL, 0), m = 0;
    for (i = 0; i < sc->n_logons; i++)
      m += (size_t)lw_scenario_logon_alive(&sc->logons[i], s);
    FUZZ_CHECK(n == m, "step %u: %zu logons listed, %zu alive", s, n, m);
    n = lw_scenario_wts_at(sc, s, NULL, 0);
    m = 0;
    for (i = 0; i < sc->n_wts; i++)
      m += (size_t)lw_scenario_wts_alive(&sc->wts[i], s);
    FUZZ_CHECK(n == m, "step %u: %zu wts listed, %zu alive", s, n, m);
  }
  lw_scenario_free(sc);
  return 0;
}
