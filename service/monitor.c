/*
 * monitor.c - the engine: configuration, the poll loop, and one poll's work
 * (see monitor.h).
 */
#include <windows.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_out.h"
#include "collector.h"
#include "config.h"
#include "data_acl.h"
#include "detect.h"
#include "duration.h"
#include "error.h"
#include "eventlog.h"
#include "holder_watch.h"
#include "install_properties.h"
#include "known_leaks.h"
#include "messages.h"
#include "metrics.h"
#include "metrics_out.h"
#include "monitor.h"
#include "paths.h"
#include "store.h"
#include "timefmt.h"
#include "winutf.h"
#include "writer_lock.h"

/* Retention runs this often, in small batches (lw_store_prune). */
#define PRUNE_EVERY_MS (60 * 60 * 1000)
#define PRUNE_BATCH_ROWS 500

/* The watchdog looks this often, and calls a poll hung after this many poll
 * intervals, but never sooner than POLL_HUNG_MIN_MS: a poll legitimately
 * waits for a busy database (5 s a try) and for a holder scan (half an
 * interval), never for minutes. */
#define WATCHDOG_TICK_MS 1000
#define POLL_HUNG_INTERVALS 10
#define POLL_HUNG_MIN_MS (60 * 1000)
/* A poll this many intervals long is late (event 1105). */
#define POLL_LATE_INTERVALS 3

/* The parts of a poll, for the watchdog's and the late-poll events. */
enum poll_step {
  STEP_WAITING = 0,
  STEP_COLLECT,
  STEP_DETECT,
  STEP_HOLDERS,
  STEP_ALERTS,
  STEP_STORE,
  STEP_PRUNE,
  STEP_METRICS,
  STEP_COUNT
};
static const char *const k_step_names[STEP_COUNT] = {
    "waiting for the next poll",
    "collecting the logon and terminal sessions",
    "detecting leaks",
    "starting or collecting the holder scan",
    "writing alerts to the Event Log",
    "writing the history database",
    "pruning old history",
    "writing the metrics file",
};

struct lw_monitor {
  struct lw_monitor_options opts;
  char *config_path; /* resolved, UTF-8 */
  struct lw_config cfg;
  char *database_path; /* cfg.database with %VARS% expanded */
  char *metrics_path;  /* NULL when metrics_file is empty */
  struct lw_metrics metrics;
  struct lw_metrics_out metrics_out; /* 1107 once, then 1006 */
  struct lw_collector *collector;
  /* Per source, "what|code" of the collection error last reported (event
   * 1102), "" while it works: each distinct error is reported once. */
  char collect_error[LW_COLLECT_SOURCES][128];
  struct lw_store *store;
  /* "operation|message" of the database error last reported (event 1101), ""
   * while the database works: each distinct failure is reported once. */
  char db_error[512];
  /* The database is busy (locked by another program): event 1106 was raised
   * and 1005 is due when writes resume; polls_dropped when it began. */
  bool db_busy;
  uint32_t busy_dropped_base;
  struct lw_writer_lock *writer_lock; /* one writer per database */
  int64_t last_prune;
  struct lw_detect_state detect;
  struct lw_detect_output detected;
  struct lw_holder_watch *holders;
  struct lw_known_leaks known; /* acknowledgements and ignore: (issue 15); calloc'd empty */

  /* The poll thread's heartbeat, read by the watchdog thread: the step it is
   * in, when the current poll began (GetTickCount64, 0 between polls), when
   * the last one completed (ms since the epoch) and how many were made. */
  volatile LONG step;
  volatile LONG64 poll_began;
  volatile LONG64 hung_after_ms;
  volatile LONG64 last_poll_done;
  volatile LONG64 polls_made;
  HANDLE poll_thread;   /* a real handle to the thread running lw_monitor_run */
  HANDLE watchdog;      /* the watchdog thread */
  HANDLE watchdog_quit; /* set when lw_monitor_run returns */

  /* Pace: how long each step of the current poll took, and the late polls
   * in a row (event 1105 once when they start, 1004 when they end). */
  uint32_t step_ms[STEP_COUNT];
  uint64_t step_started;
  uint32_t late_in_row;
};

/* Reports an event to the Event Log and, from a console, to stderr as well
 * (rendered from the message table, as Event Viewer would show it). */
/* The service's own events (the 1000s) pass log_level: "warning" drops the
 * informational ones, "error" the warnings too. Alerts are not filtered. */
static int level_allows(const struct lw_monitor *m, uint32_t msg_id) {
  uint32_t severity = msg_id >> 30; /* 1 informational, 2 warning, 3 error */
  if (m->cfg.log_level == LW_LOG_ERROR)
    return severity == 3;
  if (m->cfg.log_level == LW_LOG_WARNING)
    return severity >= 2;
  return 1;
}

static void report_event(const struct lw_monitor *m, uint32_t msg_id, unsigned n,
                         const char *const strings[]) {
  if (!level_allows(m, msg_id))
    return;
  lw_eventlog_report(msg_id, n, strings);
  if (!m->opts.service) {
    char text[4096];
    if (lw_eventlog_render(msg_id, n, strings, text, sizeof text) == 0)
      fprintf(stderr, "leakwatch: %s\n", text);
  }
}

static int64_t now_ms(void) {
  FILETIME ft;
  GetSystemTimeAsFileTime(&ft);
  int64_t t = (int64_t)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime);
  return (t - 116444736000000000LL) / 10000;
}

/* Marks the start of a poll step: the watchdog names it if the poll hangs,
 * and the late-poll event names the longest. */
static void enter_step(struct lw_monitor *m, enum poll_step step) {
  uint64_t t = GetTickCount64();
  LONG prev = m->step;
  if (prev > STEP_WAITING && prev < STEP_COUNT && m->step_started != 0)
    m->step_ms[prev] += (uint32_t)(t - m->step_started);
  m->step_started = t;
  InterlockedExchange(&m->step, (LONG)step);
}

/* Copies the documented default beside the exe to a missing config file, so an
 * operator finds every key explained where they will edit it. */
static int create_config_from_default(const char *config_path, char *err, size_t errlen) {
  unsigned long werr = 0;
  char *dir = lw_paths_dirname(config_path);
  char *exe_dir = lw_paths_exe_dir();
  char *src = NULL;
  wchar_t *wsrc = NULL, *wdst = NULL;
  int rc = LW_ENOMEM;
  if (dir == NULL || exe_dir == NULL)
    goto cleanup;
  rc = lw_paths_make_dirs(dir, &werr);
  if (rc != 0) {
    char *why = lw_win32_error_text(werr);
    snprintf(err, errlen, "%s: cannot create the folder: %s", dir, why ? why : "?");
    free(why);
    goto cleanup;
  }
  size_t n = strlen(exe_dir) + sizeof "\\leakwatch.default.yaml";
  src = malloc(n);
  if (src == NULL)
    goto cleanup;
  snprintf(src, n, "%s\\leakwatch.default.yaml", exe_dir);
  wsrc = lw_wide_from_utf8(src);
  wdst = lw_wide_from_utf8(config_path);
  if (wsrc == NULL || wdst == NULL)
    goto cleanup;
  if (GetFileAttributesW(wsrc) != INVALID_FILE_ATTRIBUTES) {
    if (!CopyFileW(wsrc, wdst, TRUE) && GetLastError() != ERROR_FILE_EXISTS) {
      char *why = lw_win32_error_text(GetLastError());
      snprintf(err, errlen, "%s: cannot create it from %s: %s", config_path, src, why ? why : "?");
      free(why);
      rc = LW_EIO;
      goto cleanup;
    }
  } else {
    /* No default beside the exe (a bare copy of the exe): write the built-in
     * defaults, so the service still starts and says what it uses. */
    struct lw_config defaults;
    lw_config_defaults(&defaults);
    FILE *f = _wfopen(wdst, L"wx");
    if (f == NULL) {
      snprintf(err, errlen, "%s: cannot create it: %s", config_path, strerror(errno));
      rc = LW_EIO;
      goto cleanup;
    }
    fputs("# LeakWatch configuration, written with the built-in defaults.\n", f);
    rc = lw_config_write_effective(&defaults, f);
    if (fclose(f) != 0 && rc == 0)
      rc = LW_EIO;
    if (rc != 0) {
      snprintf(err, errlen, "%s: cannot write it", config_path);
      goto cleanup;
    }
  }
  rc = 0;
cleanup:
  free(dir);
  free(exe_dir);
  free(src);
  free(wsrc);
  free(wdst);
  return rc;
}

static const char *config_error_context(const struct lw_monitor *m, bool reload) {
  if (reload)
    return "The previous configuration stays in force.";
  return m->opts.service ? "The service did not start." : "LeakWatch did not start.";
}

/* Loads the config file into *cfg; on failure reports event 1100. */
static int load_config(struct lw_monitor *m, struct lw_config *cfg, bool reload) {
  char err[1024] = "";
  int rc = lw_config_load(m->config_path, cfg, err, sizeof err);
  if (rc != 0) {
    const char *s[] = {m->config_path, err, config_error_context(m, reload)};
    report_event(m, LW_MSG_CONFIG_ERROR, 3, s);
  }
  return rc;
}

/* Derives the paths that follow from the configuration. */
static int apply_paths(struct lw_monitor *m) {
  free(m->database_path);
  free(m->metrics_path);
  m->database_path = lw_paths_expand(m->cfg.database);
  m->metrics_path = NULL;
  if (m->cfg.metrics_file != NULL && m->cfg.metrics_file[0] != 0)
    m->metrics_path = lw_paths_expand(m->cfg.metrics_file);
  if (m->database_path == NULL)
    return LW_ENOMEM;
  if (m->cfg.metrics_file != NULL && m->cfg.metrics_file[0] != 0 && m->metrics_path == NULL)
    return LW_ENOMEM;
  return 0;
}

/* Reports a database failure (event 1101) once per distinct failure; the
 * service goes on polling and the store keeps what it could not write. */
static void database_problem(struct lw_monitor *m, const char *operation, const char *message) {
  char key[sizeof m->db_error];
  snprintf(key, sizeof key, "%s|%s", operation, message);
  if (strcmp(key, m->db_error) == 0)
    return;
  snprintf(m->db_error, sizeof m->db_error, "%s", key);
  const char *s[] = {m->database_path, operation, message};
  report_event(m, LW_MSG_DATABASE_ERROR, 3, s);
}

/* Reports what a poll's write did: event 1106 once when the database becomes
 * busy (the poll is kept in memory), 1005 when writes resume, 1101 for other
 * failures (once per distinct failure). */
static void store_written(struct lw_monitor *m, int rc, const struct lw_store_poll_result *res) {
  if (rc == LW_EBUSY) {
    if (!m->db_busy) {
      char queued[16];
      snprintf(queued, sizeof queued, "%u", (unsigned)res->polls_pending);
      const char *s[] = {m->database_path, "write the poll", queued, res->message};
      report_event(m, LW_MSG_DATABASE_BUSY, 4, s);
      m->db_busy = true;
      m->busy_dropped_base = res->polls_dropped;
    }
    return;
  }
  if (rc != 0) {
    database_problem(m, "write the poll", res->message);
    return;
  }
  m->db_error[0] = 0;
  if (m->db_busy) {
    char written[16], dropped[16];
    /* This poll is written too; the queued ones are the rest. */
    snprintf(written, sizeof written, "%u",
             (unsigned)(res->polls_written > 0 ? res->polls_written - 1 : 0));
    snprintf(dropped, sizeof dropped, "%u", (unsigned)(res->polls_dropped - m->busy_dropped_base));
    const char *s[] = {m->database_path, written, dropped};
    report_event(m, LW_MSG_DATABASE_RESUMED, 3, s);
    m->db_busy = false;
  }
}

/* Secures the data folder, opens the history database (moving a corrupt one
 * aside) and restores the detector's state from it. Failure is reported
 * (event 1101) and stops the start. */
static int open_history(struct lw_monitor *m) {
  char err[1024] = "";
  /* Before anything touches the database: a second writer stops here. */
  char holder[64];
  if (m->opts.service)
    snprintf(holder, sizeof holder, "LeakWatch service (PID %lu)", GetCurrentProcessId());
  else
    snprintf(holder, sizeof holder, "leakwatch run, PID %lu", GetCurrentProcessId());
  int lrc = lw_writer_lock_take(m->database_path, holder, &m->writer_lock, err, sizeof err);
  if (lrc != 0) {
    const char *s[] = {m->database_path, "take the writer lock", err};
    report_event(m, LW_MSG_DATABASE_ERROR, 3, s);
    return lrc;
  }
  char *data_dir = lw_paths_dirname(m->database_path);
  if (data_dir != NULL) {
    /* Not fatal: Wine and some file systems cannot store every ACL. */
    if (lw_data_acl_apply(data_dir, m->cfg.readers, err, sizeof err) != 0)
      database_problem(m, "secure the data folder", err);
    free(data_dir);
  }
  struct lw_store_open_info info;
  /* A database locked by another program (a GUI in exclusive mode) does not
   * stop the start: the store keeps the polls until it can open it. */
  struct lw_store_options so = {0};
  so.defer_when_busy = true;
  int rc = lw_store_open(m->database_path, &so, &m->store, &info, err, sizeof err);
  if (info.moved_aside_to[0] != 0) {
    char detail[LW_STORE_PATH_MAX + 512];
    snprintf(detail, sizeof detail,
             "The database was unusable (%s); it was moved aside to %s and a new one was "
             "created.",
             info.moved_reason, info.moved_aside_to);
    const char *s[] = {m->database_path, "open", detail};
    report_event(m, LW_MSG_DATABASE_ERROR, 3, s);
  }
  if (rc != 0) {
    const char *s[] = {m->database_path, "open", err};
    report_event(m, LW_MSG_DATABASE_ERROR, 3, s);
    return rc;
  }
  if (info.deferred) {
    /* Detection starts afresh: the stored detector state cannot be read. */
    const char *s[] = {m->database_path, "open the database", "0", err};
    report_event(m, LW_MSG_DATABASE_BUSY, 4, s);
    m->db_busy = true;
    return 0;
  }
  /* A restart in the middle of a leak episode must not alert it again. */
  void *blob = NULL;
  size_t len = 0;
  if (lw_store_get_detector_state(m->store, &blob, &len, NULL) == 0) {
    if (lw_detect_state_load(blob, len, &m->detect) != 0)
      database_problem(m, "restore the detector state",
                       "the stored state is unreadable; detection starts afresh");
    free(blob);
  }
  return 0;
}

int lw_monitor_open(const struct lw_monitor_options *opts, struct lw_monitor **out,
                    int *service_exit) {
  struct lw_monitor *m = calloc(1, sizeof *m);
  int rc = LW_ENOMEM;
  *service_exit = LW_SVC_EXIT_INTERNAL;
  *out = NULL;
  lw_eventlog_open();
  if (m == NULL)
    goto fail;
  m->opts = *opts;
  lw_config_defaults(&m->cfg);
  lw_detect_state_init(&m->detect);
  lw_detect_output_init(&m->detected);
  m->config_path = opts->config_path ? _strdup(opts->config_path) : lw_paths_default_config();
  if (m->config_path == NULL)
    goto fail;

  /* Only the default location is created: a path given on the command line
   * that does not exist is a mistake to report, not to paper over. */
  if (opts->config_path == NULL && !lw_paths_exists(m->config_path)) {
    char err[1024] = "";
    rc = create_config_from_default(m->config_path, err, sizeof err);
    /* A silent install's properties (POLL_INTERVAL, ...) go into the new file. */
    if (rc == 0)
      rc = lw_install_properties_apply(m->config_path, err, sizeof err);
    if (rc != 0) {
      const char *s[] = {m->config_path, err, config_error_context(m, false)};
      report_event(m, LW_MSG_CONFIG_ERROR, 3, s);
      *service_exit = LW_SVC_EXIT_CONFIG;
      goto fail;
    }
  }
  if (opts->progress)
    opts->progress(opts->progress_ctx);
  rc = load_config(m, &m->cfg, false);
  if (rc != 0) {
    *service_exit = LW_SVC_EXIT_CONFIG;
    goto fail;
  }
  rc = apply_paths(m);
  if (rc != 0)
    goto fail;

  char *data_dir = lw_paths_dirname(m->database_path);
  if (data_dir != NULL) {
    unsigned long werr = 0;
    rc = lw_paths_make_dirs(data_dir, &werr);
    if (rc != 0) {
      char *why = lw_win32_error_text(werr);
      char detail[1024];
      snprintf(detail, sizeof detail, "cannot create the folder %s: %s", data_dir, why ? why : "?");
      const char *s[] = {m->database_path, "open", detail};
      report_event(m, LW_MSG_DATABASE_ERROR, 3, s);
      free(why);
      free(data_dir);
      *service_exit = LW_SVC_EXIT_DATADIR;
      goto fail;
    }
    free(data_dir);
  }

  rc = open_history(m);
  if (rc != 0) {
    *service_exit = LW_SVC_EXIT_DATABASE;
    goto fail;
  }
  if (opts->progress)
    opts->progress(opts->progress_ctx);

  rc = lw_collector_open(NULL, &m->collector);
  if (rc == 0)
    rc = lw_holder_watch_open(NULL, &m->holders);
  if (rc != 0)
    goto fail;

  char interval[32];
  snprintf(interval, sizeof interval, "%.1f", (double)m->cfg.poll_interval_ms / 1000.0);
  const char *s[] = {LW_VERSION_STRING, m->config_path, m->database_path, interval};
  report_event(m, LW_MSG_SERVICE_STARTED, 4, s);
  *service_exit = 0;
  *out = m;
  return 0;

fail:
  if (m != NULL) {
    lw_collector_close(m->collector);
    lw_holder_watch_close(m->holders);
    lw_store_close(m->store, NULL);
    lw_writer_lock_release(m->writer_lock);
    lw_detect_state_free(&m->detect);
    lw_detect_output_free(&m->detected);
    lw_config_free(&m->cfg); /* m->known holds nothing before the first poll */
    free(m->config_path);
    free(m->database_path);
    free(m->metrics_path);
    free(m);
  }
  lw_eventlog_close();
  return rc != 0 ? rc : LW_ENOMEM;
}

/* metrics_out.c's and known_leaks.c's way to raise their events. */
static void report_metrics_event(void *ctx, uint32_t msg_id, unsigned n,
                                 const char *const strings[]) {
  report_event(ctx, msg_id, n, strings);
}

/* Writes the metrics file for windows_exporter (metrics_out.c), with the
 * settings the farm's rules compare against. */
static void write_metrics(struct lw_monitor *m) {
  if (m->metrics_path == NULL)
    return;
  m->metrics.history_busy = m->db_busy ? 1u : 0u;
  m->metrics.poll_interval_ms = m->cfg.poll_interval_ms;
  m->metrics.grace_period_ms = m->cfg.grace_period_ms;
  m->metrics.gap_threshold = m->cfg.gap_threshold;
  lw_metrics_out_write(&m->metrics_out, m->metrics_path, &m->metrics, report_metrics_event, m);
}

/* Reports what the holder scan's thread did (events 1103, 1003) and keeps
 * its figures for the metrics file. */
static void holder_scan_events(struct lw_monitor *m, const struct lw_holder_watch_status *hs) {
  char secs[32], timeout[32], count[32];
  snprintf(secs, sizeof secs, "%.1f", (double)hs->running_ms / 1000.0);
  snprintf(timeout, sizeof timeout, "%.1f", (double)m->cfg.holders_timeout_ms / 1000.0);
  snprintf(count, sizeof count, "%llu", (unsigned long long)hs->scans_abandoned_total);
  if (hs->abandoned || hs->thread_ended) {
    const char *s[] = {hs->thread_ended ? "ended its thread" : "has not returned", secs,
                       hs->activity, timeout, count};
    report_event(m, LW_MSG_HOLDER_SCAN_ABANDONED, 5, s);
  }
  if (hs->returned) {
    const char *s[] = {secs};
    report_event(m, LW_MSG_HOLDER_SCAN_RETURNED, 1, s);
  }
  m->metrics.holder_scans_total = hs->scans_total;
  m->metrics.holder_scans_abandoned_total = hs->scans_abandoned_total;
  m->metrics.holder_scan_running = hs->scan_running ? 1u : 0u;
}

/* Runs the leak rules on a complete snapshot; queues their verdict (alerts,
 * leak episodes, the detector's state) in the store for this poll's
 * transaction and sends the alerts to the Event Log. */
static void detect_and_alert(struct lw_monitor *m, struct lw_snapshot *snap) {
  struct lw_detect_config dc;
  enter_step(m, STEP_DETECT);
  lw_detect_config_from(&dc, &m->cfg);
  lw_known_refresh(&m->known, m->store, &m->cfg, &m->detect, snap->taken_at, report_metrics_event,
                   m);
  dc.acks = &m->known.in_force;
  if (lw_detect_step(&m->detect, snap, &dc, &m->detected) != 0) {
    database_problem(m, "detect leaks", "out of memory: this poll raised no alert");
    return;
  }
  /* Open leaks of an acknowledgement that ended alert again. */
  (void)lw_detect_realert(&m->detect, &dc, &m->known.ended, snap->taken_at, &m->detected);
  lw_holder_watch_set_known(m->holders, &m->known.in_force);
  const struct lw_detect_output *d = &m->detected;
  for (size_t i = 0; i < d->n_changes; i++) {
    const struct lw_leak_change *c = &d->changes[i];
    if (c->kind == LW_LEAK_OPENED) {
      struct lw_store_leak leak = {.luid = c->luid,
                                   .user = c->user,
                                   .domain = c->domain,
                                   .logon_type = c->logon_type,
                                   .terminal_session = c->terminal_session,
                                   .logon_time = c->logon_time,
                                   .session_ended_at = c->session_ended_at,
                                   .leaked_at = c->leaked_at,
                                   .system = c->system != 0,
                                   .with_luid = c->with_luid,
                                   .end_seen = c->end_seen,
                                   .orphan_seen_at = c->orphan_seen_at};
      lw_store_open_leak(m->store, &leak);
    } else if (c->kind == LW_LEAK_RELEASED) {
      lw_store_release_leak(m->store, c->luid, c->released_at);
    }
    /* LW_LEAK_BOOT_ENDED: the store closes the old boot's episodes itself. */
  }
  /* The holders of new leaks go into their 2001s; holders found later, 2007. */
  const struct lw_alert *extra = NULL;
  size_t n_extra = 0;
  struct lw_holder_watch_status hs;
  enter_step(m, STEP_HOLDERS);
  lw_holder_watch_poll(m->holders, &m->cfg, &m->detect, &m->detected, m->store, snap->taken_at,
                       &extra, &n_extra, &hs);
  holder_scan_events(m, &hs);
  enter_step(m, STEP_ALERTS);
  if (lw_alert_out_publish(m->store, d->alerts, d->n_alerts, !m->opts.service) != 0 ||
      lw_alert_out_publish(m->store, extra, n_extra, !m->opts.service) != 0)
    database_problem(m, "queue alerts", "out of memory: some alerts are missing from history");
  lw_metrics_out_alerts(&m->metrics, d->alerts, d->n_alerts);
  lw_metrics_out_alerts(&m->metrics, extra, n_extra);
  char *blob = NULL;
  size_t len = 0;
  if (lw_detect_state_save(&m->detect, &blob, &len) == 0)
    lw_store_set_detector_state(m->store, blob, len);
  free(blob);
  m->metrics.leaked_sessions = d->leaked;
  m->metrics.leaked_system_sessions = d->leaked_system;
  m->metrics.pinned_session_ids = d->pinned_ids;
  m->metrics.highest_session_id = d->highest_id;
  lw_metrics_out_leaks(&m->metrics, &m->detect, d, snap->taken_at);
  /* The same figures in this poll's row (v_polls): the gap over time. */
  struct lw_store_poll_figures f = {d->live_sessions, d->leaked, d->leaked_system, d->pinned_ids,
                                    d->highest_id};
  lw_store_set_poll_figures(m->store, &f);
}

/* Event 1105 when polls start taking POLL_LATE_INTERVALS intervals, 1004
 * when one fits in an interval again. */
static void check_pace(struct lw_monitor *m, uint32_t duration_ms) {
  int64_t interval = m->cfg.poll_interval_ms;
  char took[32], every[32];
  snprintf(took, sizeof took, "%.1f", (double)duration_ms / 1000.0);
  snprintf(every, sizeof every, "%.1f", (double)interval / 1000.0);
  if ((int64_t)duration_ms >= POLL_LATE_INTERVALS * interval) {
    m->metrics.polls_late_total++;
    if (m->late_in_row++ != 0)
      return;
    int longest = STEP_COLLECT;
    for (int i = STEP_COLLECT; i < STEP_COUNT; i++)
      if (m->step_ms[i] > m->step_ms[longest])
        longest = i;
    char part[160];
    snprintf(part, sizeof part, "%s (%.1f seconds)", k_step_names[longest],
             (double)m->step_ms[longest] / 1000.0);
    const char *s[] = {took, every, part};
    report_event(m, LW_MSG_POLLS_LATE, 3, s);
  } else if ((int64_t)duration_ms <= interval && m->late_in_row != 0) {
    char late[32];
    snprintf(late, sizeof late, "%u", m->late_in_row);
    const char *s[] = {took, every, late};
    report_event(m, LW_MSG_POLLS_ON_TIME, 3, s);
    m->late_in_row = 0;
  }
}

/* One poll: collect, detect, alert, remember. */
static void poll_once(struct lw_monitor *m) {
  int64_t start = now_ms();
  struct lw_snapshot *snap = NULL;
  struct lw_collect_report report;
  m->metrics.polls_total++;
  m->metrics.last_poll_time = start;

  enter_step(m, STEP_COLLECT);
  lw_collector_poll(m->collector, &snap, &report);
  if (report.failed != 0)
    m->metrics.poll_failures_total++;
  /* Event 1102 once per distinct error of a source, again only after it has
   * cleared: a host without rights must not flood the Event Log every poll. */
  for (int i = 0; i < LW_COLLECT_SOURCES; i++) {
    const struct lw_collect_error *e = &report.source[i];
    char key[sizeof m->collect_error[i]];
    if (e->code == 0) {
      m->collect_error[i][0] = 0;
      continue;
    }
    snprintf(key, sizeof key, "%s|%s", e->what, e->os_text);
    if (strcmp(key, m->collect_error[i]) != 0) {
      const char *s[] = {e->what, e->os_text, e->message};
      report_event(m, LW_MSG_COLLECTION_ERROR, 3, s);
      memcpy(m->collect_error[i], key, sizeof key);
    }
  }
  if (snap != NULL) {
    if (report.source[LW_COLLECT_LSA].code == 0)
      m->metrics.logon_sessions = (uint32_t)snap->n_logons;
    if (report.source[LW_COLLECT_WTS].code == 0)
      m->metrics.wts_sessions = (uint32_t)snap->n_wts;
    if (report.source[LW_COLLECT_PROCESSES].code == 0)
      m->metrics.processes = (uint32_t)snap->n_procs;
  }
  if (snap != NULL && report.failed == 0) {
    detect_and_alert(m, snap);
    struct lw_store_poll_result res;
    enter_step(m, STEP_STORE);
    snap->duration_ms = (uint32_t)(now_ms() - start);
    int wrc = lw_store_record_poll(m->store, snap, &res);
    if (wrc != 0)
      m->metrics.poll_failures_total++;
    store_written(m, wrc, &res);
  } else {
    /* A partial snapshot must not be taken for the truth: a failed source's
     * list is empty, and its sessions would look ended. Record the failure. */
    const char *why = "out of memory";
    for (int i = 0; i < LW_COLLECT_SOURCES; i++) {
      if (report.source[i].code != 0) {
        why = report.source[i].message;
        break;
      }
    }
    struct lw_store_poll_result res;
    enter_step(m, STEP_STORE);
    store_written(m,
                  lw_store_record_failed_poll(m->store, start,
                                              snap ? snap->boot_time : LW_TIME_UNKNOWN,
                                              (uint32_t)(now_ms() - start), why, &res),
                  &res);
  }
  if (start - m->last_prune >= PRUNE_EVERY_MS && !m->db_busy) {
    enter_step(m, STEP_PRUNE);
    m->last_prune = start;
    if (lw_store_prune(m->store, start - m->cfg.retention_ms, PRUNE_BATCH_ROWS, NULL) != 0)
      database_problem(m, "prune old history", "see the database's own error above");
  }
  /* After the poll's write, not in it: the WAL is copied back here once it is
   * big enough (passive, never waits for a reader), so no commit pays it. */
  if (!m->db_busy)
    (void)lw_store_checkpoint(m->store, NULL);
  lw_snapshot_free(snap);

  m->metrics.last_poll_duration_ms = (uint32_t)(now_ms() - start);
  enter_step(m, STEP_METRICS);
  check_pace(m, m->metrics.last_poll_duration_ms);
  write_metrics(m);
  enter_step(m, STEP_WAITING);
}

/* Describes what changed between two configurations, for event 1002. */
static void describe_changes(const struct lw_config *a, const struct lw_config *b, char *out,
                             size_t n) {
  size_t count = 0, len = 0;
  const struct lw_config_key *keys = lw_config_keys(&count);
  out[0] = 0;
  for (size_t i = 0; i < count; i++) {
    struct lw_config one = *a;
    /* Compare one key at a time: copy b's field into a's struct. */
    size_t sz = keys[i].type == LW_CONFIG_DURATION ? sizeof(int64_t)
                : keys[i].type == LW_CONFIG_UINT   ? sizeof(uint32_t)
                : keys[i].type == LW_CONFIG_ENUM   ? sizeof(int)
                : keys[i].type == LW_CONFIG_BOOL   ? sizeof(bool)
                                                   : sizeof(const char *);
    memcpy((char *)&one + keys[i].offset, (const char *)b + keys[i].offset, sz);
    if (!lw_config_equal(&one, a)) {
      int w = snprintf(out + len, n - len, "%s%s", len ? ", " : "", keys[i].name);
      if (w < 0 || (size_t)w >= n - len)
        break;
      len += (size_t)w;
    }
  }
  if (len == 0)
    snprintf(out, n, "none");
}

static void reload(struct lw_monitor *m) {
  struct lw_config cfg;
  if (load_config(m, &cfg, true) != 0)
    return;
  char changes[1024];
  describe_changes(&m->cfg, &cfg, changes, sizeof changes);
  lw_config_free(&m->cfg);
  m->cfg = cfg;
  if (apply_paths(m) != 0) {
    const char *s[] = {m->config_path, "out of memory", config_error_context(m, true)};
    report_event(m, LW_MSG_CONFIG_ERROR, 3, s);
    return;
  }
  const char *s[] = {m->config_path, changes};
  report_event(m, LW_MSG_CONFIG_RELOADED, 2, s);
}

/* ---- The watchdog ---------------------------------------------------------- */

static int64_t hung_after_ms(const struct lw_monitor *m) {
  int64_t t = m->cfg.poll_interval_ms * POLL_HUNG_INTERVALS;
  return t < POLL_HUNG_MIN_MS ? POLL_HUNG_MIN_MS : t;
}

/* Says why polling stopped and ends the process: never a service that looks
 * running while nothing polls. Runs on the watchdog thread. */
static void polling_stopped(struct lw_monitor *m, const char *what) {
  char secs[32], last[LW_ISO_TIME_SIZE], polls[32], code[16];
  LONG step = InterlockedCompareExchange(&m->step, 0, 0);
  LONG64 began = InterlockedCompareExchange64(&m->poll_began, 0, 0);
  LONG64 done = InterlockedCompareExchange64(&m->last_poll_done, 0, 0);
  snprintf(secs, sizeof secs, "%.1f", (double)(GetTickCount64() - (uint64_t)began) / 1000.0);
  if (done != 0)
    lw_time_format_iso(done, last);
  else
    snprintf(last, sizeof last, "(none yet)");
  snprintf(polls, sizeof polls, "%lld",
           (long long)InterlockedCompareExchange64(&m->polls_made, 0, 0));
  snprintf(code, sizeof code, "%d", LW_SVC_EXIT_STALLED);
  const char *s[] = {what, secs,  k_step_names[step >= 0 && step < STEP_COUNT ? step : 0],
                     last, polls, code};
  report_event(m, LW_MSG_POLLING_STOPPED, 6, s);
  if (m->opts.stalled != NULL)
    m->opts.stalled(m->opts.progress_ctx, LW_SVC_EXIT_STALLED);
  /* Not ExitProcess: the stuck thread may hold the loader lock or a CRT lock
   * that DLL detach would wait for. */
  TerminateProcess(GetCurrentProcess(), LW_SVC_EXIT_STALLED);
}

static DWORD WINAPI watchdog_main(LPVOID arg) {
  struct lw_monitor *m = arg;
  HANDLE waits[2] = {m->watchdog_quit, m->poll_thread};
  for (;;) {
    DWORD w = WaitForMultipleObjects(2, waits, FALSE, WATCHDOG_TICK_MS);
    if (w == WAIT_OBJECT_0)
      return 0;
    if (w == WAIT_OBJECT_0 + 1)
      polling_stopped(m, "the poll thread ended");
    LONG64 began = InterlockedCompareExchange64(&m->poll_began, 0, 0);
    LONG in_poll = InterlockedCompareExchange(&m->step, 0, 0) != STEP_WAITING;
    if (in_poll && began != 0 &&
        (LONG64)(GetTickCount64() - (uint64_t)began) >
            InterlockedCompareExchange64(&m->hung_after_ms, 0, 0))
      polling_stopped(m, "a poll has not finished");
  }
}

/* Starts the watchdog over the calling thread. Without one (no thread could
 * be made) polling goes on, and the failure is said on the debugger channel. */
static void watchdog_start(struct lw_monitor *m) {
  InterlockedExchange64(&m->hung_after_ms, hung_after_ms(m));
  if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(),
                       &m->poll_thread, SYNCHRONIZE, FALSE, 0))
    m->poll_thread = NULL;
  m->watchdog_quit = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (m->poll_thread != NULL && m->watchdog_quit != NULL)
    m->watchdog = CreateThread(NULL, 0, watchdog_main, m, 0, NULL);
  if (m->watchdog == NULL)
    OutputDebugStringA("LeakWatch: the watchdog thread could not start\n");
}

static void watchdog_stop(struct lw_monitor *m) {
  if (m->watchdog != NULL) {
    SetEvent(m->watchdog_quit);
    WaitForSingleObject(m->watchdog, INFINITE);
    CloseHandle(m->watchdog);
  }
  if (m->watchdog_quit != NULL)
    CloseHandle(m->watchdog_quit);
  if (m->poll_thread != NULL)
    CloseHandle(m->poll_thread);
  m->watchdog = m->watchdog_quit = m->poll_thread = NULL;
}

/* ---- The loop --------------------------------------------------------------- */

/* One poll, with the heartbeat the watchdog reads around it. */
static void poll_watched(struct lw_monitor *m) {
  memset(m->step_ms, 0, sizeof m->step_ms);
  m->step_started = 0;
  InterlockedExchange64(&m->poll_began, (LONG64)GetTickCount64());
  poll_once(m);
  InterlockedExchange64(&m->last_poll_done, now_ms());
  InterlockedIncrement64(&m->polls_made);
}

int lw_monitor_run(struct lw_monitor *m, HANDLE stop_event, HANDLE reload_event) {
  HANDLE waits[2] = {stop_event, reload_event};
  DWORD nwaits = reload_event != NULL ? 2 : 1;
  watchdog_start(m);
  for (;;) {
    int64_t started = now_ms();
    poll_watched(m);
    if (m->opts.max_polls != 0 && m->metrics.polls_total >= m->opts.max_polls)
      break;
    /* Sleep what is left of the interval; a reload does not restart it. */
    bool stop = false;
    for (;;) {
      int64_t left = m->cfg.poll_interval_ms - (now_ms() - started);
      if (left < 0)
        left = 0;
      DWORD w = WaitForMultipleObjects(nwaits, waits, FALSE, (DWORD)left);
      if (w == WAIT_OBJECT_0) {
        stop = true;
        break;
      }
      if (w == WAIT_OBJECT_0 + 1) {
        reload(m);
        InterlockedExchange64(&m->hung_after_ms, hung_after_ms(m));
        continue;
      }
      if (w == WAIT_FAILED)
        Sleep(100); /* a bad handle must not turn the loop into a spin */
      break;
    }
    if (stop)
      break;
  }
  watchdog_stop(m);
  return 0;
}

void lw_monitor_close(struct lw_monitor *m) {
  if (m == NULL)
    return;
  char why[64];
  snprintf(why, sizeof why, "after %llu polls", (unsigned long long)m->metrics.polls_total);
  const char *s[] = {LW_VERSION_STRING, why};
  uint32_t lost = 0;
  /* Alerts held back in a period the stop cuts short: their 2009 now, with
   * the state of the leaks, so the Event Log's last word is the truth. */
  struct lw_detect_config dc;
  struct lw_alert summary;
  lw_detect_config_from(&dc, &m->cfg);
  if (lw_detect_stop_summary(&m->detect, &dc, now_ms(), &summary) == 1) {
    lw_alert_out_publish(m->store, &summary, 1, !m->opts.service);
    lw_alert_clear(&summary);
    char *blob = NULL;
    size_t len = 0;
    if (lw_detect_state_save(&m->detect, &blob, &len) == 0)
      lw_store_set_detector_state(m->store, blob, len);
    free(blob);
  }
  /* A busy database is waited for (the store's close_timeout_ms, within the
   * SCM's stop wait hint); what still cannot be written is said. */
  if (m->opts.progress)
    m->opts.progress(m->opts.progress_ctx);
  if (lw_store_close(m->store, &lost) != 0 && lost > 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "%u polls could not be written before the stop%s", (unsigned)lost,
             m->db_busy ? " (the database stayed locked)" : "");
    const char *d[] = {m->database_path, "close", msg};
    report_event(m, LW_MSG_DATABASE_ERROR, 3, d);
  }
  lw_writer_lock_release(m->writer_lock);
  lw_detect_state_free(&m->detect);
  lw_detect_output_free(&m->detected);
  lw_known_free(&m->known);
  report_event(m, LW_MSG_SERVICE_STOPPED, 2, s);
  lw_collector_close(m->collector);
  lw_holder_watch_close(m->holders);
  lw_config_free(&m->cfg);
  free(m->config_path);
  free(m->database_path);
  free(m->metrics_path);
  free(m);
  lw_eventlog_close();
}
