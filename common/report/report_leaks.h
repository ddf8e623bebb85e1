/*
 * report_leaks.h - `leakwatch leaks`: what is leaked now, or the leak
 * episodes of a time range, one row per leaked user logon session.
 *
 * The rows come from the history database (leak_episodes, schema 4): a user
 * episode is a row; a system one (DWM-n, UMFD-n) whose with_luid names a user
 * episode of the list is folded into that row (counted, its LUID listed), one
 * that leaked alone is a row of its own. Each row carries the token holders
 * the latest holder scan of its LUID found (table holders), when known.
 *
 * lw_leaks_load is shared with `leakwatch status` (report_status.h), which
 * counts and summarises the same rows. Portable: the store is read through
 * store.h; service/cli/cmd_leaks.c only finds and opens the database.
 */
#ifndef LW_REPORT_LEAKS_H
#define LW_REPORT_LEAKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ack.h"
#include "report_args.h"
#include "store.h"

/* A process the latest scan found holding a row's logon session. */
struct lw_leak_holder {
  uint32_t pid;
  char *image;    /* path, or NULL */
  char *services; /* "A, B", or NULL */
  uint32_t tokens;
  bool exited_process;
};

/* One row: a leaked user logon session (or a system one that leaked alone). */
struct lw_leak_item {
  int64_t boot_id;
  struct lw_store_leak leak; /* strings owned by the item */
  int64_t released_at;       /* LW_TIME_UNKNOWN while pinned */
  uint64_t *system_luids;    /* the system logons folded in */
  size_t n_system;
  struct lw_leak_holder *holders;
  size_t n_holders;
  /* Issue 15: the acknowledgement (id > 0) or ignore: entry (id 0) in force
   * that covers it (lw_leaks_mark_known), in the list's `known`; or NULL. */
  const struct lw_ack *known;
};

struct lw_leaks {
  struct lw_leak_item *v; /* by leaked_at, terminal session, LUID */
  size_t n, cap;
  uint32_t episodes;                  /* leak episodes read (folded ones included) */
  struct lw_ack_set known;            /* lw_leaks_mark_known's entries */
  uint32_t n_acknowledged, n_ignored; /* rows covered by each kind of entry */
};

/* Reads the rows: with ranged false, the open leaks now (the latest boot's
 * episodes with released_at NULL); with ranged true, the episodes open at some
 * time in [since, until] (LW_TIME_UNKNOWN: open-ended). Returns 0 or an LW_E*
 * code (*out then empty). Free with lw_leaks_free. */
int lw_leaks_load(struct lw_store *st, bool ranged, int64_t since, int64_t until,
                  struct lw_leaks *out);
void lw_leaks_free(struct lw_leaks *l);

/* Marks the rows that a known leak entry in force at `now` covers (ack.h: by
 * LUID, user, or every holder of the latest scan by image): the history's
 * acknowledgements (none in a history older than schema 6) and `ignores` (the
 * configuration's ignore: entries; may be NULL). Returns 0 or an LW_E* code
 * (rows then unmarked). */
int lw_leaks_mark_known(struct lw_store *st, const struct lw_ack_set *ignores, int64_t now,
                        struct lw_leaks *l);

/* "acknowledged", "ignored" or "" for a row (the JSON and CSV columns). */
const char *lw_leak_known_state(const struct lw_leak_item *it);

/* What covers a row (it->known not NULL), in words, into buf: "acknowledged
 * (ack 3, until ...): reason" or "ignored (ignore.users X in the
 * configuration)". Returns buf. */
const char *lw_leak_known_text(const struct lw_leak_item *it, char *buf, size_t size);

/* "seen", "before LeakWatch" or "unknown" (v_leaks' session_end). */
const char *lw_leak_session_end(const struct lw_store_leak *leak);

struct lw_leaks_query {
  bool ranged;          /* --since or --until given: episodes, not open leaks */
  int64_t since, until; /* LW_TIME_UNKNOWN: open-ended */
  enum lw_report_format format;
  unsigned csv_flags; /* LW_CSV_LF or LW_CSV_EXACT, maybe | LW_CSV_CRLF */
  const char *db;     /* named when there is nothing to show */
  /* Issue 15: rows covered by known leak entries at `now` (ms) are shown as
   * acknowledged or ignored; ignores are the configuration's (may be NULL). */
  int64_t now;
  const struct lw_ack_set *ignores;
  const char *user; /* --user NAME or DOMAIN\NAME: only that user's rows; NULL: all */
};

/* The table is this wide at most: names and holders are cut to fit. */
#define LW_LEAKS_TABLE_WIDTH 120

/*
 * Prints what q asks of the open store st (read-only is enough) to out: a
 * table that fits LW_LEAKS_TABLE_WIDTH columns (names escaped for the
 * terminal, text_safe.h), a JSON array, or CSV with a header row. Returns 0,
 * or an LW_E* code with err saying "reading the leaks failed: ...".
 */
int lw_leaks_print(struct lw_store *st, const struct lw_leaks_query *q, FILE *out, char *err,
                   size_t errlen);

#endif /* LW_REPORT_LEAKS_H */
