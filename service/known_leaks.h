/*
 * known_leaks.h - the known leaks the service applies at each poll (issue 15):
 * the history's acknowledgements (`leakwatch ack`, re-read only when another
 * connection changed the database) and the configuration's `ignore:` lists,
 * as one set for the detector (detect.h) and the holder watch; and the events
 * that say when an acknowledgement is taken up (1007), removed (1008) or
 * expires (1009).
 *
 * An acknowledgement that ends (removed, or its expiry passed) is handed to
 * lw_detect_realert for that poll, so a leak it covered that is still open
 * alerts again (a new 2001). One that expired while the service was stopped
 * (after the restored detector's last poll) ends at the first poll; one
 * removed meanwhile is gone from the table and cannot be told: its leaks
 * alert again only when they leak anew.
 */
#ifndef LW_KNOWN_LEAKS_H
#define LW_KNOWN_LEAKS_H

#include <stdint.h>

#include "ack.h"
#include "config.h"
#include "detect.h"
#include "store.h"

/* How events are reported (the poll loop's report_event). */
typedef void (*lw_known_report_fn)(void *ctx, uint32_t msg_id, unsigned n,
                                   const char *const strings[]);

struct lw_known_leaks {
  struct lw_ack_set db;       /* the acks table as last read */
  struct lw_ack_set in_force; /* db's entries, then the configuration's ignore: */
  struct lw_ack_set ended;    /* ended at this poll (copies without their expiry) */
  int64_t checked_at;         /* the last poll's time: expiries after it are new */
  int loaded;                 /* the table was read at least once */
  int old_schema_said;        /* a database without acks was reported once */
};

/* Empties *k; a zeroed struct is an empty one too. */
void lw_known_init(struct lw_known_leaks *k);
void lw_known_free(struct lw_known_leaks *k);

/*
 * Brings the set up to date for the poll at `now`: re-reads the acks table
 * when another connection wrote the database (or at the first call), adds the
 * ignore: entries of cfg, fills k->ended, and reports 1007, 1008 and 1009 (the
 * open leaks they concern counted on *det, the state before this poll). A
 * database that cannot be read keeps the last set. Cannot fail otherwise
 * (out of memory keeps the last set too).
 */
void lw_known_refresh(struct lw_known_leaks *k, struct lw_store *store, const struct lw_config *cfg,
                      const struct lw_detect_state *det, int64_t now, lw_known_report_fn report,
                      void *ctx);

#endif /* LW_KNOWN_LEAKS_H */
