/*
 * Crash test for the history store (native only: fork + SIGKILL): a child
 * process polls a file database in a loop - churn, alerts, episodes, detector
 * state, prunes - and is killed with SIGKILL at a random moment, 50 times over
 * the same database. After each kill: PRAGMA integrity_check is ok, foreign
 * keys hold, every poll the child reported as recorded is there (at most the
 * poll in flight is lost), the rows agree with the poll counts, and the store
 * opens it again (not moved aside) and goes on recording.
 * argv[1]: a folder for temporary files.
 */
#define _POSIX_C_SOURCE 200809L /* fork, kill, nanosleep under -std=c11 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "store.h"
#include "store_internal.h"
#include "store_testlib.h"

#define KILLS 50
#define MIN_MS INT64_C(60000)
#define ROUND_MS INT64_C(100000000) /* each round starts ~1.2 days later */

/* The sessions with their end, wherever it is written (schema 8). */
#define LOGONS                                                                                     \
  "(SELECT l.id, l.boot_id, l.first_seen, COALESCE(l.last_seen, e.last_seen) AS last_seen "        \
  "FROM logon_sessions l LEFT JOIN logon_session_ends e ON e.logon_id = l.id)"
#define WTSS                                                                                       \
  "(SELECT w.id, w.boot_id, w.first_seen, COALESCE(w.last_seen, e.last_seen) AS last_seen "        \
  "FROM wts_sessions w LEFT JOIN wts_session_ends e ON e.wts_id = w.id)"

static int64_t q_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = NULL;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
    fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
  if (sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

/* The child: polls until killed, writing the time of each poll recorded to fd
 * after it. Never returns. */
static void child(const char *path, int round, int fd) {
  struct lw_store *st = NULL;
  struct lw_store_options o;
  struct lw_store_poll_result res;
  struct tl_host h;
  char err[256];
  int64_t base;
  size_t i;

  memset(&o, 0, sizeof o);
  o.busy_timeout_ms = 2000;
  if (lw_store_open(path, &o, &st, NULL, err, sizeof err) != 0) {
    fprintf(stderr, "child: open: %s\n", err);
    _exit(3);
  }
  if (tl_host_init(&h, 200 + (size_t)round * 7, 25, (uint64_t)round + 1000) != 0)
    _exit(4);
  /* LUIDs are unique within a boot: this round's are new. */
  for (i = 0; i < h.nl; i++)
    h.l[i].luid += (uint64_t)(round + 1) << 24;
  h.next_luid += (uint64_t)(round + 1) << 24;
  base = h.now + round * ROUND_MS;
  h.now = base;
  h.boot_time += (round / 10) * ROUND_MS * 10; /* a reboot every 10 rounds */
  for (;;) {
    struct lw_snapshot *s;
    tl_host_churn(&h, 0.05, MIN_MS, 1);
    s = tl_host_snapshot(&h);
    if (s == NULL)
      _exit(5);
    if (tl_rand(&h, 4) == 0) {
      struct lw_store_alert a;
      struct lw_store_leak l;
      memset(&a, 0, sizeof a);
      a.raised_at = h.now;
      a.event_id = 2001;
      a.message = "leaked";
      (void)lw_store_add_alert(st, &a);
      memset(&l, 0, sizeof l);
      l.luid = h.l[0].luid;
      l.user = "someone";
      l.leaked_at = h.now;
      l.logon_time = LW_TIME_UNKNOWN;
      l.session_ended_at = LW_TIME_UNKNOWN;
      (void)lw_store_open_leak(st, &l);
      (void)lw_store_release_leak(st, h.l[1].luid, h.now);
    }
    (void)lw_store_set_detector_state(st, "LWDS-blob-blob-blob", 19);
    if (lw_store_record_poll(st, s, &res) != 0) {
      fprintf(stderr, "child: poll: %s\n", res.message);
      _exit(6);
    }
    lw_snapshot_free(s);
    if (write(fd, &h.now, sizeof h.now) != (ssize_t)sizeof h.now)
      _exit(7);
    if (tl_rand(&h, 25) == 0)
      (void)lw_store_prune(st, h.now - 30 * MIN_MS, 100, NULL);
  }
}

static void check_database(const char *path, int round, int64_t reported) {
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;

  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(s), SQLITE_ROW);
  if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
    fail_msg("round %d: integrity_check: %s", round, sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  assert_int_equal(q_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
  /* Killed while creating it: no schema yet (the migration is one
   * transaction), and then nothing can have been recorded. */
  if (q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'polls'") == 0) {
    assert_int_equal(q_int(db, "PRAGMA user_version"), 0);
    assert_int_equal(reported, 0);
    sqlite3_close(db);
    return;
  }
  assert_int_equal(q_int(db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);

  /* The last poll the child was told was recorded is there, and at most one
   * more (the poll in flight, committed but not yet reported). */
  if (reported != 0) {
    char sql[512];
    int64_t polls;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM polls WHERE t = %lld", (long long)reported);
    if (q_int(db, sql) != 1)
      fail_msg("round %d: the last recorded poll (%lld) is missing", round, (long long)reported);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM polls WHERE t > %lld", (long long)reported);
    polls = q_int(db, sql);
    if (polls > 1)
      fail_msg("round %d: %lld polls after the last recorded one", round, (long long)polls);
  }

  /* The rows agree with the counts of the last polls (the rebuild is exact).
   * A session's end is in its row or in the end tables (schema 8). */
  assert_int_equal(
      q_int(db, "SELECT count(*) FROM (SELECT * FROM polls ORDER BY t DESC LIMIT 30) p "
                "WHERE p.logon_sessions <> (SELECT count(*) FROM " LOGONS " l "
                "WHERE l.boot_id = p.boot_id AND l.first_seen <= p.t AND (l.last_seen IS NULL "
                "OR l.last_seen >= p.t)) OR p.wts_sessions <> (SELECT count(*) FROM " WTSS
                " w WHERE w.boot_id = p.boot_id AND w.first_seen <= p.t AND "
                "(w.last_seen IS NULL OR w.last_seen >= p.t))"),
      0);
  /* Nothing alive outside the latest boot; every instance has a state. */
  assert_int_equal(q_int(db, "SELECT count(*) FROM " LOGONS " x WHERE last_seen IS NULL AND "
                             "boot_id <> (SELECT MAX(id) FROM boots)"),
                   0);
  assert_int_equal(q_int(db, "SELECT count(*) FROM wts_sessions w WHERE NOT EXISTS (SELECT 1 "
                             "FROM wts_transitions t WHERE t.wts_id = w.id)"),
                   0);
  assert_int_equal(q_int(db, "SELECT count(*) FROM " LOGONS " x WHERE last_seen < first_seen"), 0);
  sqlite3_close(db);
}

static void test_kill_during_polls(void **state) {
  const char *path = tl_path("crash.db");
  uint64_t rng = (uint64_t)time(NULL);
  int round, mid_poll = 0;
  long total = 0;
  (void)state;

  for (round = 0; round < KILLS; round++) {
    int fds[2];
    pid_t pid;
    int64_t reported = 0, v;
    int status = 0;
    struct timespec ts;
    long delay_us;

    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      child(path, round, fds[1]);
    }
    close(fds[1]);
    /* Every other round waits for the child's first poll before its delay,
     * so half the kills land among the polls however slow the machine is
     * (a loaded CI core made the child slow to open); the others may land
     * anywhere from during open on. */
    if (round % 2 == 0 && read(fds[0], &v, sizeof v) == (ssize_t)sizeof v) {
      reported = v;
      total++;
    }
    /* Kill it anywhere from during open to well into the polls. */
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    delay_us = 1000 + (long)((rng >> 33) % 120000);
    ts.tv_sec = delay_us / 1000000;
    ts.tv_nsec = (delay_us % 1000000) * 1000;
    nanosleep(&ts, NULL);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status))
      fail_msg("round %d: the child exited by itself (status %d)", round, status);
    while (read(fds[0], &v, sizeof v) == (ssize_t)sizeof v) {
      reported = v;
      total++;
    }
    close(fds[0]);
    if (reported != 0)
      mid_poll++;
    check_database(path, round, reported);
  }
  /* Most kills must land among the polls, not all during open. */
  printf("%d kills, %d after the first poll, %ld polls recorded in all\n", KILLS, mid_poll, total);
  assert_true(mid_poll >= KILLS / 2);

  /* The store opens what the kills left and goes on. */
  {
    struct lw_store *st = NULL;
    struct lw_store_open_info info;
    struct lw_store_poll_result res;
    struct tl_host h;
    struct lw_snapshot *s, *got = NULL;
    char err[256];
    assert_int_equal(lw_store_open(path, NULL, &st, &info, err, sizeof err), 0);
    assert_string_equal(info.moved_aside_to, "");
    assert_int_equal(tl_host_init(&h, 50, 5, 99), 0);
    h.now += (KILLS + 1) * ROUND_MS;
    s = tl_host_snapshot(&h);
    assert_int_equal(lw_store_record_poll(st, s, &res), 0);
    assert_int_equal(lw_store_snapshot_at(st, s->taken_at, &got), 0);
    assert_int_equal(tl_snapshot_diff("after kills", s, got), 0);
    lw_snapshot_free(got);
    lw_snapshot_free(s);
    assert_int_equal(lw_store_close(st, NULL), 0);
    tl_host_free(&h);
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kill_during_polls),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
