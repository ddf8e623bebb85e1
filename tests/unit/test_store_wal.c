/*
 * The WAL between polls (issue 17): a poll's commit leaves the WAL to
 * lw_store_checkpoint, which copies it back once it holds
 * LW_STORE_CHECKPOINT_PAGES pages; without it the commit does so past
 * LW_STORE_WAL_AUTOCHECKPOINT, so the WAL stays bounded either way.
 * argv[1]: a folder for temporary files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "store.h"
#include "store_internal.h"
#include "store_testlib.h"

static struct lw_store *open_store(const char *path) {
  struct lw_store *st = NULL;
  char err[512];
  if (lw_store_open(path, NULL, &st, NULL, err, sizeof err) != 0)
    fail_msg("open: %s", err);
  return st;
}

static void poll_once(struct lw_store *st, struct tl_host *h) {
  struct lw_store_poll_result res;
  struct lw_snapshot *s;
  assert_int_equal(tl_host_churn(h, 0.05, 60000, 1), 0);
  s = tl_host_snapshot(h);
  assert_non_null(s);
  assert_int_equal(lw_store_record_poll(st, s, &res), 0);
  lw_snapshot_free(s);
}

/* The WAL's size in pages as the file says (header 32 bytes, frames of a
 * 24-byte header and a page). */
static int64_t wal_frames(const char *path) {
  char wal[1100];
  int64_t size;
  snprintf(wal, sizeof wal, "%s-wal", path);
  size = tl_file_size(wal);
  return size <= 32 ? 0 : (size - 32) / (24 + 4096);
}

static void test_checkpoint_between_polls(void **state) {
  const char *path = tl_path("wal-between.db");
  struct lw_store *st = open_store(path);
  struct tl_host h;
  int pages = -1, k;
  (void)state;

  assert_int_equal(tl_host_init(&h, 2000, 200, 3), 0);
  /* Below the threshold: nothing to do. */
  poll_once(st, &h);
  assert_true(st->wal_pages > 0);
  assert_true(st->wal_pages < LW_STORE_CHECKPOINT_PAGES);
  assert_int_equal(lw_store_checkpoint(st, &pages), 0);
  assert_int_equal(pages, 0);
  /* Polls alone never copy back below the backstop: the WAL only grows. */
  for (k = 0; k < 500 && st->wal_pages < LW_STORE_CHECKPOINT_PAGES; k++)
    poll_once(st, &h);
  assert_true(st->wal_pages >= LW_STORE_CHECKPOINT_PAGES);
  assert_true(st->wal_pages < LW_STORE_WAL_AUTOCHECKPOINT);
  /* Between polls it is copied back, and the next poll starts the WAL over. */
  assert_int_equal(lw_store_checkpoint(st, &pages), 0);
  assert_true(pages >= LW_STORE_CHECKPOINT_PAGES);
  assert_int_equal(st->wal_pages, 0);
  poll_once(st, &h);
  assert_true(st->wal_pages < LW_STORE_CHECKPOINT_PAGES / 10);
  assert_int_equal(lw_store_close(st, NULL), 0);
  tl_host_free(&h);
}

static void test_backstop_bounds_the_wal(void **state) {
  const char *path = tl_path("wal-backstop.db");
  struct lw_store *st = open_store(path);
  struct tl_host h;
  int max_seen = 0, k;
  (void)state;

  assert_int_equal(tl_host_init(&h, 2000, 200, 5), 0);
  /* Nobody calls lw_store_checkpoint: the commit that crosses the backstop
   * copies the WAL back, so it never holds much more. */
  for (k = 0; k < 300; k++) {
    poll_once(st, &h);
    if (st->wal_pages > max_seen)
      max_seen = st->wal_pages;
  }
  assert_true(max_seen < LW_STORE_WAL_AUTOCHECKPOINT);
  assert_true(wal_frames(path) < LW_STORE_WAL_AUTOCHECKPOINT + 200);
  assert_int_equal(lw_store_close(st, NULL), 0);
  tl_host_free(&h);
}

static void test_checkpoint_arguments(void **state) {
  const char *path = tl_path("wal-args.db");
  struct lw_store *st = open_store(path), *ro = NULL;
  struct lw_store_options o;
  struct tl_host h;
  char err[512];
  int pages = -1;
  (void)state;

  assert_int_equal(lw_store_checkpoint(NULL, &pages), LW_EINVAL);
  assert_int_equal(pages, 0);
  assert_int_equal(tl_host_init(&h, 20, 4, 9), 0);
  poll_once(st, &h);
  memset(&o, 0, sizeof o);
  o.read_only = true;
  if (lw_store_open(path, &o, &ro, NULL, err, sizeof err) != 0)
    fail_msg("open read-only: %s", err);
  assert_int_equal(lw_store_checkpoint(ro, NULL), LW_EINVAL);
  assert_int_equal(lw_store_close(ro, NULL), 0);
  assert_int_equal(lw_store_checkpoint(st, NULL), 0);
  assert_int_equal(lw_store_close(st, NULL), 0);
  tl_host_free(&h);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checkpoint_between_polls),
      cmocka_unit_test(test_backstop_bounds_the_wal),
      cmocka_unit_test(test_checkpoint_arguments),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
