/*
 * blob_delta.h - a byte delta that turns one blob into the next: copies of
 * runs of the old blob and literal bytes.
 *
 * The store keeps the detector's state (detect.h's blob, about 7 bytes per
 * logon session) as a base and the deltas written since (issue 17): between
 * two polls only the records of the sessions that came, went or changed
 * differ, so a poll writes those bytes instead of the whole blob. A copy is
 * looked for where the last ones were going (and up to 48 bytes either side:
 * a record that came or went moves the rest a little), then by a hash of
 * 8-byte blocks of the old blob, and extended both ways. The records are much
 * alike, so following that course matters: a block alone often matches a
 * wrong one. Time O(old + new), plus about 100 compares per byte that is not
 * copied; at 20,000 logon sessions and 1 % churn a poll's delta is about 2 KB
 * of a 136 KB state (tests/bench/bench_detect.c).
 *
 * Format: "LWBD", version 1, then unsigned LEB128 varints: the old length, the
 * new length, then operations to the end: (len << 1) followed by len literal
 * bytes, or (len << 1 | 1) and an offset into the old blob (copy len bytes).
 * It carries no checksum of its own: what it rebuilds (the detector's blob)
 * has one.
 */
#ifndef LW_BLOB_DELTA_H
#define LW_BLOB_DELTA_H

#include <stddef.h>

/* Makes the delta from old[0..old_len) to new_blob[0..new_len) (old may be
 * NULL when old_len is 0). Returns 0 with *out (free() it) and *out_len, or
 * LW_EINVAL / LW_ENOMEM with *out untouched. */
int lw_blob_delta_make(const void *old, size_t old_len, const void *new_blob, size_t new_len,
                       unsigned char **out, size_t *out_len);

/* Applies a delta to old[0..old_len). Returns 0 with *out (malloc'd, at least
 * one byte; free() it) and *out_len; LW_ECORRUPT when the delta is malformed,
 * made for an old blob of another length, or reads outside either; LW_EINVAL;
 * LW_ENOMEM. *out is untouched on failure. */
int lw_blob_delta_apply(const void *old, size_t old_len, const void *delta, size_t delta_len,
                        unsigned char **out, size_t *out_len);

#endif /* LW_BLOB_DELTA_H */
