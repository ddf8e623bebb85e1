/*
 * Unit tests for report_html.c (`leakwatch report --html`) and its parts
 * (report_series.c, svg_chart.c, html_text.c), on histories written through
 * the store: the key figures equal what was stored, every host text is
 * escaped and nothing can be fetched, long histories are shrunk to at most
 * LW_HTML_MAX_BUCKETS buckets that keep their peaks, a range narrows the
 * polls, and the leaks table stops at LW_HTML_MAX_LEAK_ROWS rows. argv[1]: a folder for temporary
 * files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "ack.h"
#include "alloc.h"
#include "error.h"
#include "html_text.h"
#include "out_buffer.h"
#include "report_html.h"
#include "report_series.h"
#include "store.h"
#include "store_testlib.h"

#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */
#define MIN_MS INT64_C(60000)

/* A poll at t with the detector's figures (highest ID, live, pinned, leaked)
 * and `logons` logon sessions (none are in the snapshot: the figure is the
 * poll row's logon_sessions, which counts the snapshot's rows, so they are
 * added as bare logon sessions). */
static void poll_at(struct lw_store *st, int64_t t, uint32_t highest, uint32_t live,
                    uint32_t pinned, uint32_t leaked, uint32_t logons) {
  struct lw_store_poll_result res;
  struct lw_store_poll_figures f = {live, leaked, 0, pinned, highest};
  struct lw_snapshot *s = lw_snapshot_new();
  assert_non_null(s);
  s->taken_at = t;
  s->boot_time = T0 - 3600000;
  for (uint32_t i = 0; i < logons; i++) {
    struct lw_logon_session *l = lw_snapshot_add_logon(s);
    assert_non_null(l);
    l->luid = 0x1000 + i;
    l->logon_type = 10;
    l->terminal_session = 1;
  }
  lw_snapshot_finish(s);
  assert_int_equal(lw_store_set_poll_figures(st, &f), 0);
  if (lw_store_record_poll(st, s, &res) != 0)
    fail_msg("record: %s", res.message);
  lw_snapshot_free(s);
}

static void leak(struct lw_store *st, uint64_t luid, const char *domain, const char *user,
                 uint32_t session, int64_t at, bool system, uint64_t with) {
  struct lw_store_leak l;
  memset(&l, 0, sizeof l);
  l.luid = luid;
  l.user = user;
  l.domain = domain;
  l.logon_type = system ? 2 : 10;
  l.terminal_session = session;
  l.logon_time = T0 - 3600000;
  l.orphan_seen_at = at - 5 * MIN_MS;
  l.session_ended_at = l.orphan_seen_at;
  l.leaked_at = at;
  l.system = system;
  l.with_luid = with;
  l.end_seen = 1;
  assert_int_equal(lw_store_open_leak(st, &l), 0);
}

static void holder(struct lw_store *st, uint64_t luid, int64_t at, uint32_t pid,
                   const char *image) {
  struct lw_store_holder h;
  memset(&h, 0, sizeof h);
  h.luid = luid;
  h.scanned_at = at;
  h.pid = pid;
  h.image = image;
  h.tokens = 3;
  assert_int_equal(lw_store_add_holder(st, &h), 0);
}

static void alert(struct lw_store *st, uint32_t id, int64_t at, bool suppressed) {
  struct lw_store_alert a;
  memset(&a, 0, sizeof a);
  a.raised_at = at;
  a.event_id = id;
  a.message = "m";
  a.suppressed = suppressed;
  a.terminal_session = -1;
  assert_int_equal(lw_store_add_alert(st, &a), 0);
}

#define HOSTILE_USER                                                                               \
  "<script>alert(1)</script>\x1b[31m\xe2\x80\xae"                                                  \
  "exe.txt"
#define HOSTILE_DOMAIN "\"onmouseover=\"x"
#define HOSTILE_IMAGE "C:\\Tools\\<img src=http://evil/x>&'.exe"

/* Three leaked users (one with DWM and UMFD folded in, one with hostile
 * names), a released one, holders (one hostile image path), alerts of three
 * IDs, and 4 polls whose last figures are highest 152, live 2, pinned 150. */
static const char *make_history(void) {
  static char path[1100];
  struct lw_store *st = NULL;
  char err[256];
  snprintf(path, sizeof path, "%s", tl_path("html.db"));
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  poll_at(st, T0, 10, 8, 0, 0, 3);
  leak(st, 0x500, "CONTOSO", "carol", 4, T0, false, 0);
  leak(st, 0x4a1f2, "CONTOSO", "alice", 2, T0 + MIN_MS, false, 0);
  leak(st, 0x4a200, "Window Manager", "DWM-2", 2, T0 + MIN_MS, true, 0x4a1f2);
  leak(st, 0x4a201, "Font Driver Host", "UMFD-2", 2, T0 + MIN_MS, true, 0x4a1f2);
  leak(st, 0x600, HOSTILE_DOMAIN, HOSTILE_USER, 3, T0 + MIN_MS, false, 0);
  holder(st, 0x4a1f2, T0 + MIN_MS, 4412, "C:\\Tools\\TokenGrabber.exe");
  holder(st, 0x600, T0 + MIN_MS, 4412, "C:\\Tools\\TokenGrabber.exe");
  holder(st, 0x600, T0 + MIN_MS, 77, HOSTILE_IMAGE);
  alert(st, 2001, T0 + MIN_MS, false);
  alert(st, 2001, T0 + MIN_MS, false);
  alert(st, 2001, T0 + MIN_MS, true);
  alert(st, 2003, T0 + MIN_MS, false);
  poll_at(st, T0 + MIN_MS, 80, 5, 60, 5, 9);
  assert_int_equal(lw_store_release_leak(st, 0x500, T0 + 2 * MIN_MS), 0);
  alert(st, 2002, T0 + 2 * MIN_MS, false);
  poll_at(st, T0 + 2 * MIN_MS, 200, 3, 120, 4, 8);
  poll_at(st, T0 + 3 * MIN_MS, 152, 2, 150, 4, 7);
  assert_int_equal(lw_store_close(st, NULL), 0);
  return path;
}

static const struct lw_ack_set *build_ignores; /* the next build's ignore: entries */

static char *build(const char *db, int64_t since, int64_t until, size_t *len) {
  char err[256] = "";
  struct lw_html_query q;
  struct lw_out o;
  struct lw_store *st = tl_open_read_only(db);
  char *page;
  int rc;
  size_t n;

  assert_non_null(st);
  memset(&q, 0, sizeof q);
  q.since = since;
  q.until = until;
  q.db = "C:\\ProgramData\\LeakWatch\\history.db";
  q.now = T0 + 10 * MIN_MS;
  q.version = "9.9.9";
  q.ignores = build_ignores;
  lw_out_init(&o, NULL);
  rc = lw_report_html(st, &q, &o, err, sizeof err);
  lw_store_close(st, NULL);
  if (rc != 0)
    fail_msg("lw_report_html = %d (%s)", rc, err);
  page = lw_strdup(lw_out_buffer(&o, &n));
  lw_out_free(&o);
  assert_non_null(page);
  if (len != NULL)
    *len = n;
  return page;
}

/* The data-value of the element with data-figure="name" ("" unknown). */
static const char *figure(const char *page, const char *name, char *buf, size_t size) {
  char key[96];
  const char *p, *v, *end;
  snprintf(key, sizeof key, "data-figure=\"%s\" data-value=\"", name);
  p = strstr(page, key);
  if (p == NULL)
    fail_msg("no figure %s in the page", name);
  v = p + strlen(key);
  end = strchr(v, '"');
  assert_non_null(end);
  snprintf(buf, size, "%.*s", (int)(end - v), v);
  return buf;
}

static void expect_figure(const char *page, const char *name, const char *want) {
  char got[64];
  figure(page, name, got, sizeof got);
  if (strcmp(got, want) != 0)
    fail_msg("figure %s = '%s', want '%s'", name, got, want);
}

static void expect_in(const char *page, const char *text) {
  if (strstr(page, text) == NULL)
    fail_msg("the page does not hold '%s'", text);
}

static void expect_not_in(const char *page, const char *text) {
  if (strstr(page, text) != NULL)
    fail_msg("the page holds '%s'", text);
}

static void test_figures(void **state) {
  (void)state;
  char *page = build(make_history(), LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, NULL);
  /* alice (DWM-2, UMFD-2 folded in) and the hostile user; carol released. */
  expect_figure(page, "open_leaks", "2");
  expect_figure(page, "leaked_logon_sessions", "4");
  expect_figure(page, "highest_session_id", "152");
  expect_figure(page, "live_sessions", "2");
  expect_figure(page, "pinned_ids", "150");
  expect_figure(page, "gap", "150");
  expect_figure(page, "logon_sessions", "7");
  expect_figure(page, "peak_highest_session_id", "200");
  expect_figure(page, "polls", "4");
  expect_figure(page, "failed_polls", "0");
  expect_figure(page, "alerts", "5");
  expect_figure(page, "oldest_leak", "2026-11-21T09:01:00Z");
  expect_figure(page, "figures_at", "2026-11-21T09:03:00Z");
  expect_in(page, "id=\"lw-fig-open_leaks\"");
  expect_in(page, "id=\"lw-fig-highest_session_id\"");
  /* The tables: two leak rows, alice's folded system logons, the images
   * by sessions held, the alerts by ID with the suppressed one counted. */
  expect_in(page, "<table id=\"lw-leaks-table\" data-rows=\"2\">");
  expect_in(page, "<tr data-luid=\"00000000:0004a1f2\" data-session=\"2\">");
  expect_in(page, "CONTOSO\\alice");
  expect_in(page, "TokenGrabber.exe (PID 4412)");
  expect_in(page, "<table id=\"lw-holders-table\" data-rows=\"2\">");
  expect_in(page, "<b>TokenGrabber.exe</b><br><code>C:\\Tools\\TokenGrabber.exe</code></td>"
                  "<td class=\"n\">2</td><td class=\"n\">1</td>");
  expect_in(page, "<tr data-event-id=\"2001\" data-count=\"3\">");
  expect_in(page, "<tr data-event-id=\"2002\" data-count=\"1\">");
  expect_in(page, "<tr data-event-id=\"2003\" data-count=\"1\">");
  expect_in(page, "session leaked");
  expect_in(page, "<td class=\"n\">3</td><td><span class=\"lw-bar\" style=\"width:201px\"></span>"
                  "</td><td class=\"n\">1</td>");
  expect_in(page, "<svg id=\"lw-chart-gap\"");
  expect_in(page, "<svg id=\"lw-chart-logons\"");
  free(page);
}

static void test_escaping(void **state) {
  (void)state;
  char *page = build(make_history(), LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, NULL);
  /* The names are there, escaped as text, never markup. */
  expect_in(page, "&quot;onmouseover=&quot;x\\&lt;script&gt;alert(1)&lt;/script&gt;"
                  "\\x1b[31m\\u202eexe.txt");
  expect_in(page, "C:\\Tools\\&lt;img src=http://evil/x&gt;&amp;&#39;.exe");
  expect_not_in(page, "<script");
  expect_not_in(page, "<img");
  expect_not_in(page, "\"onmouseover");
  /* No control character, no bidirectional override, raw. */
  for (const unsigned char *c = (const unsigned char *)page; *c != '\0'; c++) {
    if (*c < 0x20 && *c != '\n')
      fail_msg("a raw control 0x%02x at offset %td", *c, (const char *)c - page);
    if (c[0] == 0xe2 && c[1] == 0x80 && c[2] == 0xae)
      fail_msg("a raw U+202E at offset %td", (const char *)c - page);
  }
  /* Self-contained: nothing to fetch, nothing to run. */
  expect_in(page, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                  "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">");
  expect_not_in(page, "<link");
  expect_not_in(page, "@import");
  expect_not_in(page, "url(");
  expect_not_in(page, " src=\"");
  expect_not_in(page, " href=");
  free(page);
}

static void test_html_text(void **state) {
  (void)state;
  struct lw_out o;
  char longer[2000];
  lw_out_init(&o, NULL);
  lw_html_text(&o, "a&b<c>d\"e'f\x07g\r\n");
  lw_html_text(&o, NULL);
  assert_string_equal(lw_out_buffer(&o, NULL), "a&amp;b&lt;c&gt;d&quot;e&#39;f\\x07g\\r\\n");
  lw_out_free(&o);
  /* Longer than the stack buffer: the same escaping. */
  memset(longer, '<', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  lw_out_init(&o, NULL);
  lw_html_text(&o, longer);
  size_t n = 0;
  const char *text = lw_out_buffer(&o, &n);
  assert_int_equal(n, 4 * (sizeof longer - 1));
  assert_int_equal(strncmp(text, "&lt;&lt;", 8), 0);
  lw_out_free(&o);
}

/* N polls a minute apart with steady figures but one spike of the highest
 * ID (999) at poll `spike` and a dip of live sessions (0) at poll `dip`. */
static const char *make_long_history(uint32_t n, uint32_t spike, uint32_t dip) {
  static char path[1100];
  struct lw_store *st = NULL;
  char err[256];
  snprintf(path, sizeof path, "%s", tl_path("html-long.db"));
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  for (uint32_t i = 0; i < n; i++)
    poll_at(st, T0 + (int64_t)i * MIN_MS, i == spike ? 999 : 40 + i % 7, i == dip ? 0 : 30, 10, 12,
            0);
  assert_int_equal(lw_store_close(st, NULL), 0);
  return path;
}

static void test_downsampling(void **state) {
  (void)state;
  const uint32_t n = 5000, spike = 3333, dip = 1234;
  const char *db = make_long_history(n, spike, dip);
  struct lw_store *st = tl_open_read_only(db);
  struct lw_series s;
  uint64_t polls = 0;
  size_t at_spike = 0, at_dip = 0;
  assert_non_null(st);
  assert_int_equal(lw_series_load(st, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, LW_HTML_MAX_BUCKETS, &s),
                   0);
  lw_store_close(st, NULL);
  assert_int_equal(s.n, LW_HTML_MAX_BUCKETS);
  assert_int_equal(s.polls, n);
  assert_true(s.width_ms * (int64_t)s.n >= s.to - s.from + 1);
  for (size_t i = 0; i < s.n; i++) {
    const struct lw_series_bucket *b = &s.b[i];
    /* Every bucket of an evenly polled range holds polls, none too many. */
    assert_true(b->polls >= n / LW_HTML_MAX_BUCKETS && b->polls <= n / LW_HTML_MAX_BUCKETS + 1);
    assert_true(b->first >= s.from + (int64_t)i * s.width_ms);
    assert_true(b->last < s.from + (int64_t)(i + 1) * s.width_ms);
    polls += b->polls;
    if (b->max[LW_SERIES_HIGHEST_ID] == 999)
      at_spike++;
    if (b->min[LW_SERIES_LIVE] == 0)
      at_dip++;
    assert_true(b->min[LW_SERIES_HIGHEST_ID] >= 40);
    assert_int_equal(b->n[LW_SERIES_LOGONS], b->polls);
  }
  assert_int_equal(polls, n);
  /* The spike and the dip survive, each in exactly one bucket. */
  assert_int_equal(at_spike, 1);
  assert_int_equal(at_dip, 1);
  assert_int_equal(s.peak[LW_SERIES_HIGHEST_ID], 999);
  lw_series_free(&s);

  /* The page: 720 buckets in each chart, peak shown, small. */
  size_t len = 0;
  char *page = build(db, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, &len);
  expect_in(page, "<svg id=\"lw-chart-gap\" class=\"lw-chart\" viewBox=\"0 0 960 280\" "
                  "role=\"img\" data-buckets=\"720\" data-polls=\"5000\"");
  expect_figure(page, "peak_highest_session_id", "999");
  expect_figure(page, "polls", "5000");
  expect_in(page, ">1000</text>"); /* the y axis reaches past the spike */
  if (len > 200000)
    fail_msg("a 5,000-poll page is %zu bytes", len);
  free(page);
}

static void test_few_polls_and_range(void **state) {
  (void)state;
  const char *db = make_long_history(5, 99, 99);
  struct lw_store *st = tl_open_read_only(db);
  struct lw_series s;
  assert_non_null(st);
  /* Fewer polls than buckets: one bucket per poll. */
  assert_int_equal(lw_series_load(st, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, LW_HTML_MAX_BUCKETS, &s),
                   0);
  assert_int_equal(s.n, 5);
  for (size_t i = 0; i < s.n; i++)
    assert_int_equal(s.b[i].polls, 1);
  lw_series_free(&s);
  /* A range: polls 1..3. */
  assert_int_equal(lw_series_load(st, T0 + MIN_MS, T0 + 3 * MIN_MS, LW_HTML_MAX_BUCKETS, &s), 0);
  assert_int_equal(s.polls, 3);
  assert_int_equal(s.from, T0 + MIN_MS);
  assert_int_equal(s.to, T0 + 3 * MIN_MS);
  lw_series_free(&s);
  lw_store_close(st, NULL);

  char *page = build(db, T0 + MIN_MS, T0 + 3 * MIN_MS, NULL);
  expect_figure(page, "polls", "3");
  expect_figure(page, "figures_at", "2026-11-21T09:03:00Z");
  expect_in(page, "range 2026-11-21T09:01:00Z to 2026-11-21T09:03:00Z");
  expect_in(page, "<p id=\"lw-leaks-none\">No leak episode in this range.</p>");
  expect_in(page, "<p id=\"lw-alerts-none\">");
  free(page);
  /* A range with no poll: figures unknown, an empty chart. */
  page = build(db, T0 + 100 * MIN_MS, LW_TIME_UNKNOWN, NULL);
  expect_figure(page, "polls", "0");
  expect_figure(page, "highest_session_id", "");
  expect_in(page, "no polls in this range");
  free(page);
}

/* More open leaks than the table shows: the first LW_HTML_MAX_LEAK_ROWS rows,
 * the rest counted, the figure whole. */
static void test_leak_rows_capped(void **state) {
  (void)state;
  const uint32_t n = LW_HTML_MAX_LEAK_ROWS + 5;
  struct lw_store *st = NULL;
  char err[256], path[1100], want[128];
  size_t rows = 0;
  snprintf(path, sizeof path, "%s", tl_path("html-many.db"));
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  poll_at(st, T0, 2, 2, 0, 0, 0);
  for (uint32_t i = 0; i < n; i++)
    leak(st, 0x10000 + i, "CONTOSO", "u", 2 + i, T0 + MIN_MS, false, 0);
  poll_at(st, T0 + MIN_MS, n + 2, 2, n, n, 0);
  assert_int_equal(lw_store_close(st, NULL), 0);
  char *page = build(path, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, NULL);
  snprintf(want, sizeof want, "%u", (unsigned)n);
  expect_figure(page, "open_leaks", want);
  snprintf(want, sizeof want, "<table id=\"lw-leaks-table\" data-rows=\"%u\">", (unsigned)n);
  expect_in(page, want);
  expect_in(page, "id=\"lw-leaks-more\">5 more rows are not shown");
  for (const char *p = strstr(page, "<tr data-luid="); p != NULL;
       p = strstr(p + 1, "<tr data-luid="))
    rows++;
  assert_int_equal(rows, LW_HTML_MAX_LEAK_ROWS);
  free(page);
}

/* The lines of the first chart's first figure (highest ID): its path's
 * subpaths ("M" starts one). */
static int line_runs(const char *page) {
  const char *d = strstr(page, "<path class=\"lw-line\" d=\"");
  int runs = 0;
  assert_non_null(d);
  for (d += strlen("<path class=\"lw-line\" d=\""); *d != '"'; d++)
    runs += *d == 'M';
  return runs;
}

/* Ten polls, a day without any, ten more: the lines break over the gap;
 * without the gap, one line. */
static void test_line_breaks(void **state) {
  (void)state;
  struct lw_store *st = NULL;
  char err[256], path[1100];
  snprintf(path, sizeof path, "%s", tl_path("html-gap.db"));
  assert_int_equal(lw_store_open(path, NULL, &st, NULL, err, sizeof err), 0);
  for (int i = 0; i < 20; i++)
    poll_at(st, T0 + (i < 10 ? 0 : INT64_C(86400000)) + i * MIN_MS, 5, 4, 1, 1, 0);
  assert_int_equal(lw_store_close(st, NULL), 0);
  char *page = build(path, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, NULL);
  assert_int_equal(line_runs(page), 2);
  free(page);
  page = build(make_long_history(20, 99, 99), LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, NULL);
  assert_int_equal(line_runs(page), 1);
  free(page);
}

/* A history written before schema 5 (no figures in polls): the detector's
 * figures are unknown, the polls and the logon sessions are still there. */
static void test_before_schema_5(void **state) {
  (void)state;
  const char *db = make_long_history(10, 99, 99);
  sqlite3 *h = NULL;
  assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
  assert_int_equal(sqlite3_exec(h,
                                "DROP VIEW v_polls; ALTER TABLE polls DROP COLUMN live_sessions; "
                                "ALTER TABLE polls DROP COLUMN open_leaks; "
                                "ALTER TABLE polls DROP COLUMN open_leaks_system; "
                                "ALTER TABLE polls DROP COLUMN pinned_ids; "
                                "ALTER TABLE polls DROP COLUMN highest_session_id; "
                                "PRAGMA user_version = 4",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(h);
  char *page = build(db, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, NULL);
  expect_figure(page, "polls", "10");
  expect_figure(page, "highest_session_id", "");
  expect_figure(page, "pinned_ids", "");
  expect_figure(page, "peak_highest_session_id", "");
  expect_figure(page, "figures_at", "");
  /* The logon sessions chart still has its line; the gap chart none. */
  expect_in(page, "data-figure=\"3\"><path class=\"lw-band\" d=\"\"/><path class=\"lw-line\" "
                  "d=\"M");
  expect_in(page, "data-figure=\"0\"><path class=\"lw-band\" d=\"\"/><path class=\"lw-line\" "
                  "d=\"\"/>");
  free(page);
}

/* Known leaks (issue 15): alice acknowledged (her row says so, with the
 * reason escaped; the figure counts her), the hostile user ignored by the
 * configuration, an expired acknowledgement of nobody's effect. */
static void test_known_leaks(void **state) {
  struct lw_ack a;
  struct lw_ack_set ignores;
  char err[512];
  int64_t id = 0;
  const char *db = make_history();
  (void)state;
  memset(&a, 0, sizeof a);
  a.kind = LW_ACK_LUID;
  a.luid = 0x4a1f2;
  a.target = (char *)"00000000:0004a1f2";
  a.reason = (char *)"vendor case <4711>";
  a.created_at = T0;
  a.expires_at = T0 + 60 * MIN_MS;
  assert_int_equal(lw_store_ack_add(db, &a, 1000, &id, err, sizeof err), 0);
  char *page = build(db, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, NULL);
  expect_figure(page, "open_leaks", "2");
  expect_figure(page, "acknowledged_leaks", "1");
  expect_figure(page, "ignored_leaks", "0");
  expect_in(page, "<td class=\"lw-name\" data-known=\"acknowledged\">acknowledged (ack 1, until "
                  "2026-11-21T10:00:00Z): vendor case &lt;4711&gt;</td>");
  expect_in(page, "<td class=\"lw-name\" data-known=\"\"></td>");
  free(page);
  lw_ack_set_init(&ignores);
  assert_int_equal(lw_ack_set_add_names(&ignores, LW_ACK_USER, HOSTILE_DOMAIN "\\" HOSTILE_USER),
                   0);
  build_ignores = &ignores;
  page = build(db, LW_TIME_UNKNOWN, LW_TIME_UNKNOWN, NULL);
  build_ignores = NULL;
  expect_figure(page, "acknowledged_leaks", "1");
  expect_figure(page, "ignored_leaks", "1");
  expect_in(page, "data-known=\"ignored\">ignored (ignore.users ");
  expect_not_in(page, "<script>");
  free(page);
  lw_ack_set_free(&ignores);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_figures),
      cmocka_unit_test(test_escaping),
      cmocka_unit_test(test_html_text),
      cmocka_unit_test(test_downsampling),
      cmocka_unit_test(test_few_polls_and_range),
      cmocka_unit_test(test_leak_rows_capped),
      cmocka_unit_test(test_line_breaks),
      cmocka_unit_test(test_before_schema_5),
      cmocka_unit_test(test_known_leaks),
  };
  tl_set_dir(argc > 1 ? argv[1] : ".");
  return cmocka_run_group_tests(tests, NULL, NULL);
}
