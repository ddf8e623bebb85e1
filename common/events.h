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
  X(METRICS_RESUMED,        1006, INFORMATIONAL, SERVICE,    2, 0)    \
  X(ACK_TAKEN_UP,           1007, INFORMATIONAL, ALERTS,     7, 0)    \
  X(ACK_REMOVED,            1008, INFORMATIONAL, ALERTS,     5, 0)    \
  X(ACK_EXPIRED,            1009, INFORMATIONAL, ALERTS,     5, 0)    \
  X(CONFIG_ERROR,           1100, ERROR,         CONFIG,     3, 0)    \
  X(DATABASE_ERROR,         1101, ERROR,         DATABASE,   3, 0)    \
  X(COLLECTION_ERROR,       1102, WARNING,       COLLECTION, 3, 0)    \
  X(HOLDER_SCAN_RETURNED,   1003, INFORMATIONAL, HOLDERS,    1, 0)    \
  X(POLLS_ON_TIME,          1004, INFORMATIONAL, SERVICE,    3, 0)    \
  X(HOLDER_SCAN_ABANDONED,  1103, WARNING,       HOLDERS,    5, 0)    \
  X(POLLING_STOPPED,        1104, ERROR,         SERVICE,    6, 0)    \
  X(POLLS_LATE,             1105, WARNING,       SERVICE,    3, 0)    \
  X(DATABASE_BUSY,          1106, WARNING,       DATABASE,   4, 0)    \
  X(METRICS_WRITE_FAILED,   1107, WARNING,       SERVICE,    2, 0)    \
  X(SESSION_LEAKED,         2001, WARNING,       LEAK,      14, 1)    \
  X(SESSION_RELEASED,       2002, INFORMATIONAL, LEAK,       6, 1)    \
  X(SESSION_IDS_PINNED,     2003, WARNING,       LEAK,       5, 1)    \
  X(SESSION_IDS_CLEARED,    2004, INFORMATIONAL, LEAK,       2, 1)    \
  X(SESSIONS_ACCUMULATING,  2005, WARNING,       LEAK,       5, 1)    \
  X(LOGOFF_STUCK,           2006, WARNING,       LEAK,       4, 1)    \
  X(HOLDER_IDENTIFIED,      2007, WARNING,       HOLDERS,    9, 0)    \
  X(ALERTS_SUPPRESSED,      2009, WARNING,       ALERTS,    11, 0)
/* clang-format on */

/*
 * The names of the alerts' insertion strings, in their order (%1 first): for each
 * row of the 2000s, LW_INSERTS_<ID>(F) calls F(ID, NAME) once per position.
 * alert_policy.h turns them into the constants LW_INSERT_<ID>_<NAME> (the index
 * into struct lw_alert's inserts[]: LW_INSERT_2001_LUID = 0 is %1) and checks at
 * compile time that each list has its row's INSERTS and that every row of the
 * 2000s has a list (LW_INSERT_LISTS). The positions are a public contract (README,
 * "Event Log and what LeakWatch alerts on"): SIEM rules select by %n.
 */
/* clang-format off */
#define LW_INSERT_LISTS(X)                                            \
  X(SESSION_LEAKED,        2001)                                      \
  X(SESSION_RELEASED,      2002)                                      \
  X(SESSION_IDS_PINNED,    2003)                                      \
  X(SESSION_IDS_CLEARED,   2004)                                      \
  X(SESSIONS_ACCUMULATING, 2005)                                      \
  X(LOGOFF_STUCK,          2006)                                      \
  X(HOLDER_IDENTIFIED,     2007)                                      \
  X(ALERTS_SUPPRESSED,     2009)

#define LW_INSERTS_2001(F)                                            \
  F(2001, LUID)           F(2001, USER)           F(2001, DOMAIN)     \
  F(2001, LOGON_TYPE)     F(2001, LOGON_TYPE_NAME)                    \
  F(2001, TERMINAL_SESSION) F(2001, LOGON_TIME)   F(2001, ENDED_AT)   \
  F(2001, END_SEEN)       F(2001, FIRST_SEEN_ENDED)                   \
  F(2001, MINUTES_PINNED) F(2001, SYSTEM_LOGONS)  F(2001, SYSTEM_LOGON_LIST) \
  F(2001, HOLDERS)
#define LW_INSERTS_2002(F)                                            \
  F(2002, LUID)           F(2002, USER)           F(2002, DOMAIN)     \
  F(2002, TERMINAL_SESSION) F(2002, MINUTES_PINNED) F(2002, END_SEEN)
#define LW_INSERTS_2003(F)                                            \
  F(2003, COUNT)          F(2003, ID_RANGES)      F(2003, HIGHEST_ID) \
  F(2003, LIVE_SESSIONS)  F(2003, PINNED_BY)
#define LW_INSERTS_2004(F)                                            \
  F(2004, COUNT)          F(2004, GAP_THRESHOLD)
#define LW_INSERTS_2005(F)                                            \
  F(2005, USER)           F(2005, DOMAIN)         F(2005, LOGON_TYPE) \
  F(2005, LOGON_TYPE_NAME) F(2005, COUNT)
#define LW_INSERTS_2006(F)                                            \
  F(2006, SESSION_ID)     F(2006, USER)           F(2006, DOMAIN)     \
  F(2006, MINUTES_DOWN)
#define LW_INSERTS_2007(F)                                            \
  F(2007, LUID)           F(2007, USER)           F(2007, DOMAIN)     \
  F(2007, IMAGE)          F(2007, PID)            F(2007, SERVICES)   \
  F(2007, TOKENS)         F(2007, TOKEN_TYPES)    F(2007, EXITED_PROCESS)
#define LW_INSERTS_2009(F)                                            \
  F(2009, HELD_BACK)      F(2009, MAX_PER_HOUR)   F(2009, SINCE)      \
  F(2009, REASON)         F(2009, OPEN_LEAKS)     F(2009, USER_COUNT) \
  F(2009, USERS)          F(2009, PINNED_COUNT)   F(2009, PINNED_RANGES) \
  F(2009, HIGHEST_ID)     F(2009, LIVE_SESSIONS)
/* clang-format on */

/* The acknowledgement events (issue 15) name their insertion strings too (for
 * README and messages.mc's comments); they are not alerts, so not in
 * LW_INSERT_LISTS. */
/* clang-format off */
#define LW_INSERTS_1007(F)                                            \
  F(1007, ACK_ID)         F(1007, KIND)           F(1007, TARGET)     \
  F(1007, REASON)         F(1007, EXPIRES)        F(1007, CREATED_BY) \
  F(1007, OPEN_LEAKS)
#define LW_INSERTS_1008(F)                                            \
  F(1008, ACK_ID)         F(1008, KIND)           F(1008, TARGET)     \
  F(1008, REASON)         F(1008, ALERTING_AGAIN)
#define LW_INSERTS_1009(F)                                            \
  F(1009, ACK_ID)         F(1009, KIND)           F(1009, TARGET)     \
  F(1009, EXPIRED_AT)     F(1009, ALERTING_AGAIN)
/* clang-format on */

#endif /* LW_EVENTS_H */
