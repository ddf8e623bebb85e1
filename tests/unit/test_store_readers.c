/*
 * Readers always read (issue 14), native only (fork, setuid): after the
 * service closed the history cleanly, a member of the `readers` group - who
 * may read the folder but not write it - opens it read-only and reads every
 * poll. SQLite opens a WAL database read-only only when its -wal and -shm
 * exist (it cannot make them in a folder it cannot write), so the store keeps
 * them at close (SQLITE_FCNTL_PERSIST_WAL). Before that, such a reader got
 * "attempt to write a readonly database".
 * The reader is a child process: as root it becomes nobody (root ignores
 * file modes), otherwise the folder's mode alone shuts it out.
 * argv[1]: a folder for temporary files.
 */
#define _POSIX_C_SOURCE 200809L /* fork, mkdtemp under -std=c11 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "store.h"
#include "store_internal.h"
#include "store_testlib.h"

#define POLLS 12
#define NOBODY 65534

/* The reader, in the child: 0 when it read POLLS polls, else a status that
 * says what failed (its message goes to stderr). */
static int read_as_reader(const char *path) {
  struct lw_store *st = NULL;
  struct lw_store_options o;
  sqlite3_stmt *s = NULL;
  char err[512];
  int polls = -1;
  if (geteuid() == 0 && (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)) {
    perror("setuid(nobody)");
    return 2;
  }
  memset(&o, 0, sizeof o);
  o.read_only = true;
  if (lw_store_open(path, &o, &st, NULL, err, sizeof err) != 0) {
    fprintf(stderr, "reader: %s\n", err);
    return 3;
  }
  if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM v_polls", -1, &s, NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    polls = sqlite3_column_int(s, 0);
  else
    fprintf(stderr, "reader: v_polls: %s\n", sqlite3_errmsg(st->db));
  sqlite3_finalize(s);
  lw_store_close(st, NULL);
  if (polls != POLLS) {
    fprintf(stderr, "reader: %d polls, expected %d\n", polls, POLLS);
    return 4;
  }
  return 0;
}

static void test_reader_in_read_only_folder(void **state) {
  char dir[1024], path[1100], wal[1200], shm[1200];
  struct lw_store *st = NULL;
  struct lw_store_options o;
  struct lw_store_poll_result res;
  struct tl_host h;
  char err[256];
  struct stat sb;
  pid_t pid;
  int status = -1;
  (void)state;

  snprintf(dir, sizeof dir, "%s", tl_path("readers.XXXXXX"));
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/history.db", dir);
  snprintf(wal, sizeof wal, "%s-wal", path);
  snprintf(shm, sizeof shm, "%s-shm", path);

  memset(&o, 0, sizeof o);
  if (lw_store_open(path, &o, &st, NULL, err, sizeof err) != 0)
    fail_msg("open: %s", err);
  assert_int_equal(tl_host_init(&h, 20, 4, 7), 0);
  for (int k = 0; k < POLLS; k++) {
    struct lw_snapshot *s;
    tl_host_churn(&h, 0.2, 60000, 1);
    s = tl_host_snapshot(&h);
    assert_int_equal(lw_store_record_poll(st, s, &res), 0);
    lw_snapshot_free(s);
  }
  tl_host_free(&h);
  assert_int_equal(lw_store_close(st, NULL), 0);
  /* A clean close keeps both files. */
  assert_int_equal(stat(wal, &sb), 0);
  assert_int_equal(stat(shm, &sb), 0);

  /* The folder as the readers group sees it: read and list, no write. */
  assert_int_equal(chmod(path, 0644), 0);
  assert_int_equal(chmod(wal, 0644), 0);
  assert_int_equal(chmod(shm, 0644), 0);
  assert_int_equal(chmod(dir, 0555), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    _exit(read_as_reader(path));
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_int_equal(chmod(dir, 0755), 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail_msg("the reader could not read the history (status %d)", status);
  /* And the writer opens it again as before. */
  if (lw_store_open(path, &o, &st, NULL, err, sizeof err) != 0)
    fail_msg("reopen: %s", err);
  assert_int_equal(lw_store_close(st, NULL), 0);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reader_in_read_only_folder),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
