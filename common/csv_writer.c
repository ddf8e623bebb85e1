/* csv_writer.c - RFC 4180 CSV writer (see csv_writer.h). */
#include "csv_writer.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "out_buffer.h"

void lw_csv_init_file(struct lw_csv *w, FILE *f, unsigned flags) {
  memset(w, 0, sizeof *w);
  lw_out_init(&w->out, f);
  w->flags = flags;
}

void lw_csv_init_buffer(struct lw_csv *w, unsigned flags) {
  lw_csv_init_file(w, NULL, flags);
}

void lw_csv_free(struct lw_csv *w) {
  lw_out_free(&w->out);
}

const char *lw_csv_buffer(const struct lw_csv *w, size_t *len) {
  return lw_out_buffer(&w->out, len);
}

static int fail(struct lw_csv *w, int err) {
  return lw_out_fail(&w->out, err);
}

static void put(struct lw_csv *w, const char *s, size_t n) {
  lw_out_put(&w->out, s, n);
}

/* Whether a spreadsheet would take a cell beginning with s as a formula. */
static bool formula_start(const char *s, size_t n) {
  return n > 0 &&
         (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r');
}

/* One field; `guard` asks for the apostrophe before a formula start. */
static int field(struct lw_csv *w, const char *s, size_t n, bool guard) {
  size_t i, run;
  bool quote, tick;
  if (w->out.err != 0)
    return w->out.err;
  if (w->fields++ > 0)
    put(w, ",", 1);
  if (s == NULL)
    return w->out.err;
  tick = guard && !(w->flags & LW_CSV_EXACT) && formula_start(s, n);
  quote = n == 0 || tick;
  for (i = 0; i < n && !quote; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
  if (!quote) {
    put(w, s, n);
    return w->out.err;
  }
  put(w, tick ? "\"'" : "\"", tick ? 2 : 1);
  for (i = 0, run = 0; i < n; i++) {
    if (s[i] == '"') {
      put(w, s + run, i + 1 - run); /* up to and including the quote ... */
      run = i;                      /* ... which is written again */
    }
  }
  put(w, s + run, n - run);
  put(w, "\"", 1);
  return w->out.err;
}

int lw_csv_field_n(struct lw_csv *w, const char *s, size_t n) {
  return field(w, s, n, true);
}

int lw_csv_field(struct lw_csv *w, const char *s) {
  return lw_csv_field_n(w, s, s != NULL ? strlen(s) : 0);
}

int lw_csv_uint64(struct lw_csv *w, uint64_t v) {
  char digits[24];
  size_t i = sizeof digits;
  do {
    digits[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return field(w, digits + i, sizeof digits - i, false);
}

int lw_csv_int64(struct lw_csv *w, int64_t v) {
  char digits[24];
  size_t i = sizeof digits;
  uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    digits[--i] = (char)('0' + m % 10);
    m /= 10;
  } while (m != 0);
  if (v < 0)
    digits[--i] = '-';
  return field(w, digits + i, sizeof digits - i, false); /* a number, not a formula */
}

int lw_csv_end_row(struct lw_csv *w) {
  if (w->flags & LW_CSV_CRLF)
    put(w, "\r\n", 2);
  else
    put(w, "\n", 1);
  w->fields = 0;
  return w->out.err;
}

int lw_csv_finish(struct lw_csv *w) {
  if (w->out.err != 0)
    return w->out.err;
  if (w->fields != 0)
    return fail(w, LW_EINVAL);
  if (lw_out_flush(&w->out) != 0)
    return w->out.err;
  if (w->out.file != NULL && fflush(w->out.file) != 0)
    return fail(w, LW_EIO);
  return 0;
}
