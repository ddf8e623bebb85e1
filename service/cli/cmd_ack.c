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
#include "report_args.h"
#include "store.h"
#include "timefmt.h"

static void usage(FILE *f) {
  fputs("usage: leakwatch ack (--luid LUID | --user DOMAIN\\user | --image NAME)\n"
        "                     --reason TEXT [--expires TIME|DURATION] [--db PATH]\n"
        "       leakwatch ack --list [--json|--csv|--csv-exact] [--db PATH]\n"
        "       leakwatch ack --remove ID [--db PATH]\n\n"
        "Acknowledges a known leak: leaks of that logon session (LUID, as leakwatch leaks\n"
        "shows it), of that user, or held only by that holder image (a file name such as\n"
        "agent.exe) stay in the history and show as acknowledged, but raise no new event\n"
        "2001 or 2007 until the acknowledgement expires or is removed; then a leak still\n"
        "open alerts again. The service takes it up at its next poll (event 1007).\n"
        "--reason is required (say why, e.g. a vendor case number). --expires takes a UTC\n"
        "time (2026-12-31T00:00:00Z, 2026-12-31) or a duration from now (7d, 12h).\n"
        "--list prints them (--json, --csv as the other commands); --remove ID deletes one\n"
        "(event 1008). Writing needs an elevated prompt: only administrators and SYSTEM\n"
        "may change the history. The database is --db, else `database` from the\n"
        "configuration.\n",
        f);
}

enum ack_action { ACK_ADD, ACK_LIST, ACK_REMOVE };

struct ack_opts {
  enum ack_action action;
  int kind;            /* LW_ACK_* for ACK_ADD */
  const char *target;  /* its value as given */
  const char *reason;  /* NULL until given */
  const char *expires; /* NULL: never */
  const char *remove;  /* --remove's value */
  struct lw_report_args ra;
};

/* Reads argv into *o. Returns -1 to go on, or the exit status after saying
 * what is wrong (or printing --help). Kept to this one function: the CLI's
 * shared option parser takes it over (issue 15, item 7). */
static int parse_args(int argc, char **argv, struct ack_opts *o) {
  static const struct {
    const char *name;
    int kind;
  } targets[] = {{"--luid", LW_ACK_LUID}, {"--user", LW_ACK_USER}, {"--image", LW_ACK_IMAGE}};
  int targets_given = 0, actions = 0;
  memset(o, 0, sizeof *o);
  lw_report_args_init(&o->ra);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **value = NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return LW_EXIT_OK;
    }
    switch (lw_report_arg(&o->ra, LW_REPORT_OPT_FORMAT | LW_REPORT_OPT_DB | LW_REPORT_OPT_NONEMPTY,
                          argc, argv, &i)) {
    case LW_REPORT_ARG_TAKEN:
      if (o->ra.mixed_formats) {
        fputs("leakwatch ack: choose one of --json, --csv and --csv-exact\n", stderr);
        return LW_EXIT_USAGE;
      }
      continue;
    case LW_REPORT_ARG_NO_VALUE:
      fprintf(stderr, "leakwatch ack: %s needs a value\n\n", a);
      usage(stderr);
      return LW_EXIT_USAGE;
    case LW_REPORT_ARG_BAD_TIME:
    case LW_REPORT_ARG_OTHER:
      break;
    }
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++)
      if (strcmp(a, targets[t].name) == 0) {
        o->kind = targets[t].kind;
        value = &o->target;
        targets_given++;
      }
    if (strcmp(a, "--reason") == 0)
      value = &o->reason;
    else if (strcmp(a, "--expires") == 0)
      value = &o->expires;
    else if (strcmp(a, "--remove") == 0) {
      value = &o->remove;
      o->action = ACK_REMOVE;
      actions++;
    } else if (strcmp(a, "--list") == 0) {
      o->action = ACK_LIST;
      actions++;
      continue;
    }
    if (value == NULL) {
      fprintf(stderr, "leakwatch ack: unexpected argument '%s'\n\n", a);
      usage(stderr);
      return LW_EXIT_USAGE;
    }
    if (i + 1 >= argc || argv[i + 1][0] == '\0') {
      fprintf(stderr, "leakwatch ack: %s needs a value\n\n", a);
      usage(stderr);
      return LW_EXIT_USAGE;
    }
    *value = argv[++i];
  }
  if (actions > 1 || (actions == 1 && (targets_given > 0 || o->reason || o->expires))) {
    fputs("leakwatch ack: choose one of acknowledging (--luid, --user, --image), --list and "
          "--remove\n",
          stderr);
    return LW_EXIT_USAGE;
  }
  if (o->action != ACK_LIST && o->ra.formats > 0) {
    fputs("leakwatch ack: --json, --csv and --csv-exact go with --list\n", stderr);
    return LW_EXIT_USAGE;
  }
  if (actions == 0 && targets_given != 1) {
    fprintf(stderr, "leakwatch ack: %s\n\n",
            targets_given == 0 ? "say which leak: --luid, --user or --image"
                               : "give one of --luid, --user and --image");
    usage(stderr);
    return LW_EXIT_USAGE;
  }
  if (actions == 0 && (o->reason == NULL || o->reason[0] == '\0')) {
    fputs("leakwatch ack: --reason is required: say why this leak is known\n", stderr);
    return LW_EXIT_USAGE;
  }
  return -1;
}

/* --expires: a UTC time, or a duration from now. LW_TIME_UNKNOWN: never. */
static int parse_expires(const char *text, int64_t now, int64_t *out) {
  int64_t ms;
  const char *why = NULL;
  *out = LW_TIME_UNKNOWN;
  if (text == NULL)
    return 0;
  if (lw_time_parse_iso(text, &ms) == 0) {
    *out = ms;
  } else if (lw_duration_parse(text, &ms, &why) == 0 && ms > 0) {
    *out = now + ms;
  } else {
    fprintf(stderr,
            "leakwatch ack: --expires: '%s' is neither a UTC time such as 2026-12-31T00:00:00Z "
            "nor a duration such as 7d\n",
            text);
    return LW_EXIT_USAGE;
  }
  if (*out <= now) {
    fprintf(stderr, "leakwatch ack: --expires: '%s' is in the past\n", text);
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
                           stdout) != 0 ||
             fflush(stdout) != 0)
      fprintf(stderr, "leakwatch ack: cannot write the output: %s\n", lw_strerror(LW_EIO));
    else
      status = LW_EXIT_OK;
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
  if (status >= 0)
    return status;
  if (o.action == ACK_LIST)
    return list_acks(&o, now);

  struct lw_ack a;
  memset(&a, 0, sizeof a);
  if (o.action == ACK_ADD) {
    if (lw_ack_parse_target(o.kind, o.target, &a.luid, norm, sizeof norm, err, sizeof err) != 0) {
      fprintf(stderr, "leakwatch ack: %s: %s\n", lw_ack_kind_name(o.kind), err);
      return LW_EXIT_USAGE;
    }
    if (strlen(o.reason) >= LW_ACK_REASON_MAX) {
      fprintf(stderr, "leakwatch ack: --reason is longer than %d bytes\n", LW_ACK_REASON_MAX - 1);
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
      fprintf(stderr, "leakwatch ack: --remove: '%s' is not an acknowledgement id (see --list)\n",
              o.remove);
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
  return rc == 0 ? (fflush(stdout) == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE) : LW_EXIT_FAILURE;
}
