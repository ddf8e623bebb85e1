/*
 * report_acks.h - `leakwatch ack --list`: the acknowledgements kept in the
 * history (table, JSON, CSV), and what an operator reads of one (its state,
 * its expiry) wherever a leak shows it (leaks, status, the HTML report).
 */
#ifndef LW_REPORT_ACKS_H
#define LW_REPORT_ACKS_H

#include <stdint.h>
#include <stdio.h>

#include "ack.h"
#include "report_args.h"

/* "active" or "expired" at `now` (v_acks' state). */
const char *lw_ack_state(const struct lw_ack *a, int64_t now);

/*
 * Prints the set (in its order) to out: a table (reasons cut to fit 120
 * columns, text escaped for the terminal), a JSON array of objects (id, kind,
 * target, reason, created_at, created_by, expires_at (null: never), state), or
 * CSV with a header row of the same names. csv_flags as csv_writer.h's.
 * `db` is named when there is none. Returns 0 or LW_EIO.
 */
int lw_acks_print(const struct lw_ack_set *s, int64_t now, enum lw_report_format format,
                  unsigned csv_flags, const char *db, FILE *out);

#endif /* LW_REPORT_ACKS_H */
