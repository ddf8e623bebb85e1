/*
 * eventlog.h - LeakWatch's one door to the Windows Event Log.
 *
 * Events go to the Application log under the source "LeakWatch", whose
 * message table (service/os/messages.mc, compiled by windmc/mc.exe) is embedded
 * in leakwatch.exe; the MSI registers the exe as EventMessageFile and
 * CategoryMessageFile. Callers pass a message ID from the generated
 * messages.h (LW_MSG_SESSION_LEAKED, ...) and the insertion strings in UTF-8;
 * this module knows how many strings each message takes, its category and,
 * from the severity bits of the ID, its event type. The same table renders
 * the text Event Viewer would show (lw_eventlog_render), for `leakwatch
 * events` and the database.
 *
 * Windows only. lw_eventlog_open/close must not race with each other or with
 * lw_eventlog_report; reports from several threads at once are fine.
 */
#ifndef LW_EVENTLOG_H
#define LW_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

/* The event source name, as registered under
 * HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application. */
#define LW_EVENTLOG_SOURCE "LeakWatch"

/* ReportEventW takes at most this many characters per insertion string;
 * lw_eventlog_report cuts longer strings there rather than lose the event. */
#define LW_EVENTLOG_MAX_INSERT_CHARS 31839

/* Registers the event source (RegisterEventSourceW). Calling it again while
 * open does nothing. Returns 0, or LW_EOS if Windows refused (the Win32 error
 * is left in GetLastError()). */
int lw_eventlog_open(void);

/* Deregisters the event source. Safe to call when not open. */
void lw_eventlog_close(void);

/* Writes one event. msg_id is a LW_MSG_* constant from messages.h; n must be
 * the number of insertion strings the message takes (lw_eventlog_insert_count)
 * and strings[0..n-1] non-NULL UTF-8 strings (invalid sequences become
 * U+FFFD; strings longer than LW_EVENTLOG_MAX_INSERT_CHARS are cut). The
 * caller keeps ownership of the strings. Returns 0; LW_EINVAL if the source is
 * not open, the ID is unknown, n is wrong or a string is NULL; LW_ENOMEM;
 * LW_EOS if ReportEventW failed. */
int lw_eventlog_report(uint32_t msg_id, unsigned n, const char *const strings[]);

/* Renders the text of msg_id with its insertion strings from this exe's own
 * message table (FormatMessageW, as Event Viewer does), as UTF-8 into out
 * (outlen bytes, NUL-terminated). Insertion strings are inserted verbatim:
 * a "%1" inside one stays "%1". Line ends are "\n"; no trailing newline.
 * Arguments as for lw_eventlog_report. Returns 0; LW_EINVAL (bad arguments);
 * LW_ENOENT if the message is missing from the exe's table; LW_ENOSPC if the
 * text does not fit (out is then ""); LW_ENOMEM; LW_EOS. */
int lw_eventlog_render(uint32_t msg_id, unsigned n, const char *const strings[], char *out,
                       size_t outlen);

/* Returns the number of insertion strings msg_id takes, or LW_ENOENT if it
 * is not a LeakWatch event. */
int lw_eventlog_insert_count(uint32_t msg_id);

/* Returns the full message ID (with severity bits) of a public event ID
 * (1000, 2001, ...: what Event Viewer shows), or 0 if there is no such event. */
uint32_t lw_eventlog_message_id(unsigned event_id);

/* Returns "information", "warning" or "error" from the severity bits of
 * msg_id (a static string, never NULL; "success" for severity 0). */
const char *lw_eventlog_type_name(uint32_t msg_id);

#endif /* LW_EVENTLOG_H */
