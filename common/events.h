/*
 * events.h - the one table of LeakWatch's Event Log events: for each, its name,
 * public event ID, severity, category and number of insertion strings, and
 * whether the alert rate limit applies to it (alert_policy.h).
 *
 * service/os/messages.mc holds the texts. tests/lint/layering.sh checks that
 * every row here has a message there with the same ID, name (LW_MSG_NAME) and
 * severity whose text uses exactly %1..%INSERTS, and that the file has no
 * other message; service/os/eventlog.c builds its table from the rows and
 * checks each against the compiled messages.h; alert_policy.h's event IDs
 * and rate limit come from them. Portable: no Windows header.
 *
 * LW_EVENTS(X) calls X(NAME, ID, SEVERITY, CATEGORY, INSERTS, RATE_LIMITED)
 * once per event, SEVERITY one of INFORMATIONAL, WARNING, ERROR (messages.mc's
 * severity names) and CATEGORY an LW_CATEGORY_* suffix.
 */
#ifndef LW_EVENTS_H
#define LW_EVENTS_H

/* One row per event, aligned as a table. */
/* clang-format off */
#define LW_EVENTS(X)                                                  \
  X(SERVICE_STARTED,        1000, INFORMATIONAL, SERVICE,    4, 0)    \
  X(SERVICE_STOPPED,        1001, INFORMATIONAL, SERVICE,    2, 0)    \
  X(CONFIG_RELOADED,        1002, INFORMATIONAL, CONFIG,     2, 0)    \
  X(DATABASE_RESUMED,       1005, INFORMATIONAL, DATABASE,   3, 0)    \
  X(CONFIG_ERROR,           1100, ERROR,         CONFIG,     3, 0)    \
  X(DATABASE_ERROR,         1101, ERROR,         DATABASE,   3, 0)    \
  X(COLLECTION_ERROR,       1102, WARNING,       COLLECTION, 3, 0)    \
  X(HOLDER_SCAN_RETURNED,   1003, INFORMATIONAL, HOLDERS,    1, 0)    \
  X(POLLS_ON_TIME,          1004, INFORMATIONAL, SERVICE,    3, 0)    \
  X(HOLDER_SCAN_ABANDONED,  1103, WARNING,       HOLDERS,    5, 0)    \
  X(POLLING_STOPPED,        1104, ERROR,         SERVICE,    6, 0)    \
  X(POLLS_LATE,             1105, WARNING,       SERVICE,    3, 0)    \
  X(DATABASE_BUSY,          1106, WARNING,       DATABASE,   4, 0)    \
  X(SESSION_LEAKED,         2001, WARNING,       LEAK,       8, 1)    \
  X(SESSION_RELEASED,       2002, INFORMATIONAL, LEAK,       3, 1)    \
  X(SESSION_IDS_PINNED,     2003, WARNING,       LEAK,       4, 1)    \
  X(SESSION_IDS_CLEARED,    2004, INFORMATIONAL, LEAK,       2, 1)    \
  X(SESSIONS_ACCUMULATING,  2005, WARNING,       LEAK,       3, 1)    \
  X(LOGOFF_STUCK,           2006, WARNING,       LEAK,       3, 1)    \
  X(HOLDER_IDENTIFIED,      2007, WARNING,       HOLDERS,    8, 0)    \
  X(ALERTS_SUPPRESSED,      2009, WARNING,       ALERTS,     2, 0)
/* clang-format on */

#endif /* LW_EVENTS_H */
