/* history_db.c - the history database as the reading commands open it (see
 * commands.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ack.h"
#include "commands.h"
#include "config.h"
#include "csv_writer.h"
#include "error.h"
#include "paths.h"
#include "store.h"

struct lw_store *lw_cli_open_history(const char *cmd, const char *db_arg, char **db) {
  struct lw_store_options opts;
  struct lw_store *st = NULL;
  char err[1024] = "";

  *db = lw_paths_history_db(db_arg, err, sizeof err);
  if (*db == NULL) {
    fprintf(stderr, "leakwatch %s: %s\n", cmd, err[0] ? err : "out of memory");
    return NULL;
  }
  memset(&opts, 0, sizeof opts);
  opts.read_only = true;
  if (lw_store_open(*db, &opts, &st, NULL, err, sizeof err) != 0)
    fprintf(stderr, "leakwatch %s: %s\n", cmd, err);
  return st;
}

int lw_cli_print_history(const char *cmd, const char *db_arg, lw_cli_history_printer print,
                         void *query) {
  char *db = NULL;
  int status = LW_EXIT_FAILURE;
  struct lw_store *st = lw_cli_open_history(cmd, db_arg, &db);
  if (st != NULL) {
    char err[1024] = "";
    int rc = print(st, db, query, err, sizeof err);
    if (rc == LW_EIO && lw_cli_reader_gone())
      status = LW_EXIT_OK; /* `| head`: the rest is not wanted */
    else if (rc != 0)
      fprintf(stderr, "leakwatch %s: %s\n", cmd, err);
    else
      status = lw_cli_output_end(cmd) == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE;
  }
  lw_store_close(st, NULL);
  free(db);
  return status;
}

unsigned lw_cli_csv_flags(int csv, bool exact) {
  unsigned flags = exact ? LW_CSV_EXACT : LW_CSV_LF;
  if (csv && lw_cli_csv_stdout())
    flags |= LW_CSV_CRLF;
  return flags;
}

void lw_cli_config_ignores(struct lw_ack_set *out) {
  struct lw_config cfg;
  char err[512];
  char *path = lw_paths_default_config();
  lw_ack_set_init(out);
  if (path != NULL && lw_paths_exists(path) && lw_config_load(path, &cfg, err, sizeof err) == 0) {
    if (lw_ack_set_add_names(out, LW_ACK_USER, cfg.ignore_users) != 0 ||
        lw_ack_set_add_names(out, LW_ACK_IMAGE, cfg.ignore_images) != 0)
      lw_ack_set_free(out); /* out of memory: shown without them */
    lw_config_free(&cfg);
  }
  free(path);
}
