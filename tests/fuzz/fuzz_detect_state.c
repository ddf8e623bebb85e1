/*
 * fuzz_detect_state.c - the saved detector state (detect.h's blob), read back
 * from the database at every start, on hostile bytes.
 *
 * Oracle: the format is canonical, so a blob that loads saves to the same
 * bytes (one of format version 1 saves as version 2, which saves to itself); and a loaded state
 * goes on working: one poll of the same boot (a host where every WTS session has ended) and one of
 * a new boot succeed. The CRC would stop almost every mutation at the door, so the target fixes it
 * up first: libFuzzer mutates the content, not the checksum.
 */
#include <string.h>

#include "detect.h"
#include "error.h"
#include "fuzz.h"
#include "snapshot.h"

static uint32_t crc32_ieee(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int b = 0; b < 8; b++)
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

static void poll_once(struct lw_detect_state *st, int64_t at, int64_t boot) {
  struct lw_detect_config cfg = {60000, 2, 2, 10, 1, NULL};
  struct lw_detect_output out;
  struct lw_snapshot *snap = lw_snapshot_new();
  struct lw_logon_session *l;
  char *blob = NULL;
  size_t len = 0;
  if (snap == NULL)
    abort();
  snap->taken_at = at;
  snap->boot_time = boot;
  l = lw_snapshot_add_logon(snap);
  if (l == NULL)
    abort();
  l->luid = 0x10000;
  l->terminal_session = 2;
  l->logon_type = 10;
  l->user = "alice";
  l->domain = "CONTOSO";
  lw_snapshot_finish(snap);
  lw_detect_output_init(&out);
  FUZZ_CHECK(lw_detect_step(st, snap, &cfg, &out) == 0, "a step on a loaded state failed");
  FUZZ_CHECK(lw_detect_state_save(st, &blob, &len) == 0, "save after a step failed");
  free(blob);
  lw_detect_output_free(&out);
  lw_snapshot_free(snap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct lw_detect_state st;
  uint8_t *blob;
  char *again = NULL;
  size_t len = 0;
  uint32_t crc;
  int rc;

  /* As given (a wrong CRC must be refused), then with its CRC made right. */
  lw_detect_state_init(&st);
  rc = lw_detect_state_load((const char *)data, size, &st);
  lw_detect_state_free(&st);
  if (size < 9)
    return 0;
  blob = malloc(size);
  if (blob == NULL)
    abort();
  memcpy(blob, data, size);
  crc = crc32_ieee(blob, size - 4);
  for (int k = 0; k < 4; k++)
    blob[size - 4 + k] = (uint8_t)(crc >> (8 * k));
  if (rc == 0)
    FUZZ_CHECK(memcmp(blob, data, size) == 0, "a blob with a wrong CRC loaded");

  lw_detect_state_init(&st);
  rc = lw_detect_state_load((const char *)blob, size, &st);
  if (rc != 0) {
    FUZZ_CHECK(rc == LW_ECORRUPT || rc == LW_ETOONEW, "load gave %d", rc);
    free(blob);
    return 0;
  }
  FUZZ_CHECK(lw_detect_state_save(&st, &again, &len) == 0, "save of a loaded state failed");
  if (blob[4] == 1) {
    /* Version 1 (times from the last poll) saves as version 2 (issue 17):
     * that blob must load and save to itself. */
    struct lw_detect_state v2;
    char *third = NULL;
    size_t len3 = 0;
    lw_detect_state_init(&v2);
    FUZZ_CHECK(lw_detect_state_load(again, len, &v2) == 0, "a version 1 blob saved unloadable");
    FUZZ_CHECK(lw_detect_state_save(&v2, &third, &len3) == 0, "save of a version 2 state failed");
    FUZZ_CHECK(len3 == len && memcmp(third, again, len) == 0,
               "a version 1 blob saved as version 2 did not save to itself");
    free(third);
    lw_detect_state_free(&v2);
  } else {
    FUZZ_CHECK(len == size && memcmp(again, blob, size) == 0,
               "load then save changed the blob (%zu bytes -> %zu): the loader accepted a "
               "non-canonical encoding",
               size, len);
  }
  free(again);
  /* A state only a hostile blob gives must not break the detector. */
  if (st.last_poll > INT64_MIN / 2 && st.last_poll < INT64_MAX / 2 &&
      st.boot_time > INT64_MIN / 2 && st.boot_time < INT64_MAX / 2) {
    struct lw_detect_state copy;
    int64_t at = st.last_poll + 60000, boot = st.boot_time;
    lw_detect_state_init(&copy);
    FUZZ_CHECK(lw_detect_state_load((const char *)blob, size, &copy) == 0, "second load");
    poll_once(&st, at, boot);
    poll_once(&copy, at, boot + 86400000);
    lw_detect_state_free(&copy);
  }
  lw_detect_state_free(&st);
  free(blob);
  return 0;
}
