/*
 * snapshot_json.h - a snapshot as JSON (`leakwatch sessions --json`) and as a
 * flat CSV table (`--csv`). The field names below are a stable interface:
 * scripts and tests depend on them; add fields, never rename or remove.
 *
 * JSON: one object (times are ISO 8601 UTC text "2026-11-21T09:00:00Z"; every
 * string or time the OS did not give is null; arrays sorted as by
 * lw_snapshot_finish: logon sessions by LUID, WTS sessions by ID, processes by
 * PID):
 *
 *   taken_at          time the snapshot was taken
 *   boot_time         time the host booted (LUIDs and session IDs are per boot)
 *   logon_sessions    array, one object per LSA logon session:
 *     luid              "HHHHHHHH:LLLLLLLL" (lowercase hex, as logonsessions shows)
 *     user, domain, sid            strings (sid as "S-1-5-...")
 *     logon_type        name ("Interactive", "RemoteInteractive", "Service", ...;
 *                       "Undefined" for 0), null for a number without a name
 *     logon_type_id     the SECURITY_LOGON_TYPE number
 *     auth_package      "Kerberos", "NTLM", "Negotiate", ...
 *     terminal_session  terminal (WTS) session ID of the logon session
 *     logon_time        time
 *     logon_server, dns_domain, upn   strings
 *     data_status       null when LsaGetLogonSessionData succeeded, else its
 *                       NTSTATUS as "0xc000005f" (8 lowercase hex digits); then
 *                       logon_type, logon_type_id and terminal_session are null
 *                       along with every string and time above
 *     process_count     number of processes whose primary token is this session's
 *     processes         their PIDs, ascending
 *   wts_sessions      array, one object per WTS session:
 *     id                session ID
 *     station           "RDP-Tcp#12", "Console", "Services", ...
 *     state             "Active", "Connected", "ConnectQuery", "Shadow",
 *                       "Disconnected", "Idle", "Listen", "Reset", "Down", "Init"
 *                       (null for a number outside WTS_CONNECTSTATE_CLASS)
 *     user, domain      strings
 *     client            client computer name (WTSClientName)
 *     client_address    client IP address as text
 *     logon_time, connect_time, disconnect_time   times
 *   processes         array, one object per process:
 *     pid, image ("explorer.exe"), session_id (terminal session),
 *     luid              the primary token's logon session as "HHHHHHHH:LLLLLLLL",
 *                       null when the process or its token could not be opened
 *   counts            object:
 *     logons_without_data   logon sessions whose data could not be read
 *     processes_denied      processes whose token could not be read
 *
 * CSV: a header row, then one row per logon session, columns
 *   luid,user,domain,sid,logon_type,auth_package,terminal_session,logon_time,
 *   process_count,wts_state,data_status
 * logon_type is the name (the number when it has none); wts_state is the state
 * name of the WTS session whose ID is the logon session's terminal_session, or
 * `ended` when no WTS session has that ID; data_status is empty or "0xc000005f".
 * When data_status is set, every column but luid, process_count and data_status
 * is empty. Absent values are empty fields; the empty string is `""`.
 */
#ifndef LW_SNAPSHOT_JSON_H
#define LW_SNAPSHOT_JSON_H

#include <stdio.h>

#include "csv_writer.h"
#include "json_writer.h"
#include "snapshot.h"

/* Writes the finished snapshot s (lw_snapshot_finish) as one JSON document,
 * pretty-printed, followed by a newline. Returns 0, LW_ENOMEM, or LW_EIO when
 * writing to f fails; on failure f may hold part of the document. */
int lw_snapshot_write_json(const struct lw_snapshot *s, FILE *f);

/* Writes the finished snapshot s as one JSON value into w (which may already be
 * inside a document: as an array element or after a key). Returns 0 or w's
 * sticky error (LW_ENOMEM when the process index cannot be allocated). */
int lw_snapshot_json(const struct lw_snapshot *s, struct lw_json *w);

/* Writes the finished snapshot s as CSV, header row first, rows ending in LF
 * (CRLF with flags LW_CSV_CRLF). Returns 0 or LW_ENOMEM / LW_EIO. */
int lw_snapshot_write_csv(const struct lw_snapshot *s, FILE *f, unsigned flags);

/* The same rows into a CSV writer. Returns 0 or w's sticky error. */
int lw_snapshot_csv(const struct lw_snapshot *s, struct lw_csv *w);

#endif /* LW_SNAPSHOT_JSON_H */
