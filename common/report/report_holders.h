/*
 * report_holders.h - `leakwatch holders`: one holder scan's result (holders.h)
 * as JSON, CSV and as a table. The scan and its one-line texts (lw_holder_format,
 * the alerts' summary) are holders.c's; only what an operator reads at the
 * command line is here, beside the other printers of common/report/.
 */
#ifndef LW_REPORT_HOLDERS_H
#define LW_REPORT_HOLDERS_H

#include <stdio.h>

#include "csv_writer.h"
#include "holders.h"
#include "json_writer.h"

/* Writes r as one JSON object (`leakwatch holders --json`; a public contract,
 * see README): scanned_at, complete, cost{...}, logon_sessions[{luid, tokens,
 * holders[{pid, image, services, tokens, primary_tokens, impersonation_tokens,
 * token_types, exited_process, held_open_by}]}]. Returns the writer's sticky
 * error (0 on success). */
int lw_holders_write_json(struct lw_json *w, const struct lw_holders_result *r);

/* Writes r as CSV (`leakwatch holders --csv`): a header row, then one row per
 * holder: luid, pid, image, services, tokens, primary_tokens,
 * impersonation_tokens, token_types, exited_process, held_open_by_pid,
 * held_open_by_image, held_open_by_services, process_handles (the held_open_by
 * fields empty unless exited_process is 1). Returns the writer's sticky error. */
int lw_holders_write_csv(struct lw_csv *w, const struct lw_holders_result *r);

/* Writes r as a table, one line per holder, then one line of cost. Returns 0
 * or LW_EIO. */
int lw_holders_write_table(FILE *f, const struct lw_holders_result *r);

#endif /* LW_REPORT_HOLDERS_H */
