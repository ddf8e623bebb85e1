/*
 * cmd_ack.c - `leakwatch ack`: say that a leak is known (an agent waiting for
 * a vendor fix), so that it raises no new event 2001 or 2007 until the
 * acknowledgement expires or is removed; list them; remove one.
 *
 * The acknowledgement is a row of the history's acks table (schema 6), written
 * on a short connection of its own beside the running service (store.h,
 * lw_store_ack_add): the database is never created or migrated from here, and
 * the data folder's ACL lets only administrators and SYSTEM write it. The
 * service takes it up at its next poll (event 1007). Listing reads the
 * history read-only, as the other reading commands do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ack.h"
#include "commands.h"
#include "current_user.h"
#include "duration.h"
#include "error.h"
#include "paths.h"
#include "report_acks.h"
#include "cli_args.h"
#include "store.h"
#include "timefmt.h"

static const char usage[] =
    "usage: leakwatch ack (--luid LUID | --user DOMAIN\\user | --image NAME)\n"
    "                     --reason TEXT [--expires TIME|DURATION] [--db PATH]\n"
    "       leakwatch ack --list [--json|--csv|--csv-exact] [--db PATH]\n"
    "       leakwatch ack --remove ID [--db PATH]\n\n"
    "Acknowledges a known leak: leaks of that logon session (LUID, as leakwatch leaks\n"
    "shows it), of that user, or held only by that holder image (a file name such as\n"
    "agent.exe) stay in the history and show as acknowledged, but raise no new event\n"
    "2001 or 2007 until the acknowledgement expires or is removed; then a leak still\n"
    "open alerts again. The service takes it up at its next poll (event 1007).\n"
    "--reason is required (say why, e.g. a vendor case number). --expires takes a\n"
    "duration from now (7d, 12h) or a time: 2026-12-31T00:00:00Z (UTC),\n"
    "2026-12-31T00:00:00+01:00, 2026-12-31 or 2026-12-31 08:00 (local time).\n"
    "--list prints them (--json, --csv as the other commands); --remove ID deletes one\n"
    "(event 1008). Writing needs an elevated prompt: only administrators and SYSTEM\n"
    "may change the history. The database is --db, else `database` from the\n"
    "configuration.\n";

static const struct lw_cli_opt cli_opts[] = {LW_CLI_FORMATS,
                                             LW_CLI_DB,
                                             {"--luid", NULL, LW_CLI_TEXT},
                                             LW_CLI_USER,
                                             {"--image", NULL, LW_CLI_TEXT},
                                             {"--reason", NULL, LW_CLI_TEXT},
                                             {"--expires", NULL, LW_CLI_TEXT},
                                             {"--list", NULL, LW_CLI_FLAG},
                                             {"--remove", NULL, LW_CLI_TEXT},
                                             LW_CLI_END};
/* The three actions exclude each other, and so do the three targets. */
static const char *const excludes[] = {
    "--list",   "--remove", "--list",   "--luid",    "--list",   "--user",    "--list",   "--image",
    "--list",   "--reason", "--list",   "--expires", "--remove", "--luid",    "--remove", "--user",
    "--remove", "--image",  "--remove", "--reason",  "--remove", "--expires", "--luid",   "--user",
    "--luid",   "--image",  "--user",   "--image",   NULL};
static const struct lw_cli_spec spec = {"ack", cli_opts, excludes, 0, 0};

enum ack_action { ACK_ADD, ACK_LIST, ACK_REMOVE };

struct ack_opts {
  enum ack_action action;
  int kind;            /* LW_ACK_* for ACK_ADD */
  const char *target;  /* its value as given */
  const char *reason;  /* NULL until given */
  const char *expires; /* NULL: never */
  const char *remove;  /* --remove's value */
  struct lw_cli_args ra;
};

/* Reads argv into *o with the one CLI grammar (cli_args.h), then what that
 * grammar cannot say: which action, one target, a reason. Returns LW_CLI_GO
 * to go on, or the exit status after saying what is wrong (or --help). */
static int parse_args(int argc, char **argv, struct ack_opts *o) {
  memset(o, 0, sizeof *o);
  int rc = lw_cli_parse_or_usage(&spec, usage, LW_EXIT_USAGE, argc, argv, &o->ra);
  if (rc != LW_CLI_GO)
    return rc;
  o->reason = lw_cli_text(&o->ra, "--reason", 0);
  o->expires = lw_cli_text(&o->ra, "--expires", 0);
  o->remove = lw_cli_text(&o->ra, "--remove", 0);
  if ((o->target = lw_cli_text(&o->ra, "--luid", 0)) != NULL)
    o->kind = LW_ACK_LUID;
  else if ((o->target = o->ra.user) != NULL)
    o->kind = LW_ACK_USER;
  else if ((o->target = lw_cli_text(&o->ra, "--image", 0)) != NULL)
    o->kind = LW_ACK_IMAGE;
  o->action = lw_cli_count(&o->ra, "--list") > 0 ? ACK_LIST
              : o->remove != NULL                ? ACK_REMOVE
                                                 : ACK_ADD;
  const char *why = NULL;
  if (o->action != ACK_LIST && lw_cli_count(&o->ra, "--json") + lw_cli_count(&o->ra, "--csv") +
                                       lw_cli_count(&o->ra, "--csv-exact") >
                                   0)
    why = "--json, --csv and --csv-exact go with --list";
  else if (o->action == ACK_ADD && o->target == NULL)
    why = "say which leak: --luid, --user or --image";
  else if (o->action == ACK_ADD && o->reason == NULL)
    why = "--reason is required: say why this leak is known";
  if (why != NULL) {
    lw_cli_usage_error("ack", why, usage);
    return LW_EXIT_USAGE;
  }
  return LW_CLI_GO;
}

/* --expires: a duration from now (7d), or a time as the other commands read
 * them (cli_time.h: UTC, an offset, local time). LW_TIME_UNKNOWN: never. */
static int parse_expires(const char *text, int64_t now, int64_t *out) {
  int64_t ms;
  const char *why = NULL;
  struct lw_clock clock;
  char msg[300];
  *out = LW_TIME_UNKNOWN;
  if (text == NULL)
    return 0;
  lw_cli_clock(&clock);
  if (lw_duration_parse(text, &ms, &why) == 0 && ms > 0) {
    *out = now + ms;
  } else if (lw_cli_time_parse(text, &clock, &ms) == 0) {
    *out = ms;
  } else {
    snprintf(msg, sizeof msg,
             "--expires: '%.120s' is neither a duration such as 7d nor a time such as "
             "2026-12-31T00:00:00Z",
             text);
    lw_cli_usage_error("ack", msg, usage);
    return LW_EXIT_USAGE;
  }
  if (*out <= now) {
    snprintf(msg, sizeof msg, "--expires: '%.120s' is in the past", text);
    lw_cli_usage_error("ack", msg, usage);
    return LW_EXIT_USAGE;
  }
  return 0;
}

static int list_acks(const struct ack_opts *o, int64_t now) {
  char *db = NULL;
  struct lw_ack_set s;
  int status = LW_EXIT_FAILURE;
  struct lw_store *st = lw_cli_open_history("ack", o->ra.db, &db);
  lw_ack_set_init(&s);
  if (st != NULL) {
    int rc = lw_store_acks_load(st, &s);
    if (rc == LW_ENOENT)
      rc = 0; /* a history older than acknowledgements has none */
    if (rc != 0)
      fprintf(stderr, "leakwatch ack: %s: reading the acknowledgements failed: %s\n", db,
              lw_strerror(rc));
    else if (lw_acks_print(&s, now, o->ra.format,
                           lw_cli_csv_flags(o->ra.format == LW_REPORT_CSV, o->ra.csv_exact), db,
                           stdout) != 0 &&
             !lw_cli_reader_gone())
      fprintf(stderr, "leakwatch ack: cannot write the output: %s\n", lw_strerror(LW_EIO));
    else if (lw_cli_output_end("ack") == 0)
      status = LW_EXIT_OK; /* also when the reader of a pipe has gone */
  }
  lw_ack_set_free(&s);
  lw_store_close(st, NULL);
  free(db);
  return status;
}

int lw_cmd_ack(int argc, char **argv) {
  struct ack_opts o;
  char err[1024] = "", norm[LW_ACK_TARGET_MAX];
  int64_t now = (int64_t)time(NULL) * 1000;
  int status = parse_args(argc, argv, &o);
  char *db;
  if (status != LW_CLI_GO)
    return status;
  if (o.action == ACK_LIST)
    return list_acks(&o, now);

  struct lw_ack a;
  memset(&a, 0, sizeof a);
  if (o.action == ACK_ADD) {
    if (lw_ack_parse_target(o.kind, o.target, &a.luid, norm, sizeof norm, err, sizeof err) != 0) {
      char why[1200];
      snprintf(why, sizeof why, "%s: %s", lw_ack_kind_name(o.kind), err);
      lw_cli_usage_error("ack", why, usage);
      return LW_EXIT_USAGE;
    }
    if (strlen(o.reason) >= LW_ACK_REASON_MAX) {
      snprintf(err, sizeof err, "--reason is longer than %d bytes", LW_ACK_REASON_MAX - 1);
      lw_cli_usage_error("ack", err, usage);
      return LW_EXIT_USAGE;
    }
    if ((status = parse_expires(o.expires, now, &a.expires_at)) != 0)
      return status;
  }
  int64_t id = 0;
  if (o.action == ACK_REMOVE) {
    char *end = NULL;
    long long v = strtoll(o.remove, &end, 10);
    if (end == o.remove || *end != '\0' || v <= 0) {
      snprintf(err, sizeof err, "--remove: '%.120s' is not an acknowledgement id (see --list)",
               o.remove);
      lw_cli_usage_error("ack", err, usage);
      return LW_EXIT_USAGE;
    }
    id = v;
  }
  db = lw_paths_history_db(o.ra.db, err, sizeof err);
  if (db == NULL) {
    fprintf(stderr, "leakwatch ack: %s\n", err[0] ? err : "out of memory");
    return LW_EXIT_FAILURE;
  }
  int rc;
  if (o.action == ACK_REMOVE) {
    rc = lw_store_ack_remove(db, id, LW_STORE_DEFAULT_BUSY_TIMEOUT_MS, NULL, err, sizeof err);
    if (rc == 0)
      printf("Removed acknowledgement %lld. The service says so at its next poll (event 1008); "
             "leaks it covered alert again.\n",
             (long long)id);
  } else {
    char *me = lw_current_user();
    a.kind = o.kind;
    a.target = norm;
    a.reason = (char *)o.reason;
    a.created_at = now;
    a.created_by = me;
    rc = lw_store_ack_add(db, &a, LW_STORE_DEFAULT_BUSY_TIMEOUT_MS, &id, err, sizeof err);
    if (rc == 0) {
      char t[LW_ISO_TIME_SIZE];
      printf("Acknowledgement %lld: leaks of the %s %s raise no event 2001 or 2007 until %s.\n"
             "The service takes it up at its next poll (event 1007). Remove it with: "
             "leakwatch ack --remove %lld\n",
             (long long)id, lw_ack_kind_name(a.kind), norm,
             a.expires_at == LW_TIME_UNKNOWN ? "it is removed"
                                             : lw_time_format_iso(a.expires_at, t),
             (long long)id);
    }
    free(me);
  }
  if (rc != 0)
    fprintf(stderr, "leakwatch ack: %s\n", err);
  free(db);
  return rc == 0 && lw_cli_output_end("ack") == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE;
}
