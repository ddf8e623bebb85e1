/*
 * report_sessions.h - `leakwatch sessions`: one snapshot (snapshot.h) as the
 * operator's table (LUID, logon type, terminal session and its WTS state,
 * logon time, process count, user; with --processes each logon session's
 * processes), as JSON or as CSV (snapshot_json.h).
 *
 * Portable; the reason shown for a logon session without data (an NTSTATUS)
 * comes from the caller, since the NT values are service/os/'s.
 */
#ifndef LW_REPORT_SESSIONS_H
#define LW_REPORT_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report_args.h"
#include "snapshot.h"

struct lw_sessions_query {
  enum lw_report_format format;
  unsigned csv_flags;  /* LW_CSV_* (csv_writer.h) */
  bool with_processes; /* --processes: the table only */
  /* A few words for a logon session's data_status, e.g. "access denied". */
  const char *(*status_reason)(uint32_t data_status);
};

/* Prints s to out as q says. Returns 0, LW_ENOMEM or LW_EIO. */
int lw_sessions_print(const struct lw_snapshot *s, const struct lw_sessions_query *q, FILE *out);

#endif /* LW_REPORT_SESSIONS_H */
