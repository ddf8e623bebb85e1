/*
 * console_io.h - what the command line needs of Windows beyond stdio: the
 * machine's time zone rules (for local times typed after --since, cli_time.h)
 * and whether a failed write to stdout met a reader that has gone (`leakwatch
 * events | head`), which the commands then end quietly.
 */
#ifndef LW_CONSOLE_IO_H
#define LW_CONSOLE_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "cli_time.h"

/* lw_tz_rules_fn for this machine's zone (GetTimeZoneInformationForYear;
 * ctx unused). Returns 0, or 1 when Windows cannot say. */
int lw_os_local_zone(void *ctx, int64_t year, struct lw_tz *tz);

/* After a write or flush of stdout failed: true when stdout is a pipe, whose
 * writes fail only when the reader has closed it (`| head -1`), so the output
 * is no longer wanted rather than failed. */
bool lw_os_stdout_reader_gone(void);

#endif /* LW_CONSOLE_IO_H */
