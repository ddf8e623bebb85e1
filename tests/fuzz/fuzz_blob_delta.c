/*
 * fuzz_blob_delta.c - the byte delta the store writes the detector state with
 * (blob_delta.h, issue 17), read back from the database at every start.
 *
 * The input is an old blob and a delta (the first byte says where the old one
 * ends). Oracles: applying never reads or writes outside either (ASan); a
 * delta that applies gives exactly its promised length; and any two blobs
 * round-trip: the delta made from the old one to the rest of the input, and
 * to what the hostile delta made, rebuilds them.
 */
#include <string.h>

#include "blob_delta.h"
#include "error.h"
#include "fuzz.h"

static void round_trip(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len) {
  unsigned char *d = NULL, *back = NULL;
  size_t dl = 0, bl = 0;
  FUZZ_CHECK(lw_blob_delta_make(old, old_len, nw, new_len, &d, &dl) == 0, "make failed");
  FUZZ_CHECK(lw_blob_delta_apply(old, old_len, d, dl, &back, &bl) == 0, "own delta refused");
  FUZZ_CHECK(bl == new_len && (new_len == 0 || memcmp(back, nw, new_len) == 0),
             "own delta rebuilt %zu bytes, not the %zu given", bl, new_len);
  free(back);
  free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t old_len;
  const uint8_t *old, *rest;
  unsigned char *out = NULL;
  size_t out_len = 0, rest_len;
  int rc;
  if (size == 0)
    return 0;
  old_len = data[0] < size - 1 ? data[0] : size - 1;
  old = data + 1;
  rest = data + 1 + old_len;
  rest_len = size - 1 - old_len;
  rc = lw_blob_delta_apply(old, old_len, rest, rest_len, &out, &out_len);
  FUZZ_CHECK(rc == 0 || rc == LW_ECORRUPT || rc == LW_ETOONEW || rc == LW_ENOMEM, "apply gave %d",
             rc);
  if (rc == 0) {
    round_trip(old, old_len, out, out_len);
    free(out);
  } else {
    FUZZ_CHECK(out == NULL, "a refused delta gave a result");
  }
  round_trip(old, old_len, rest, rest_len);
  return 0;
}
