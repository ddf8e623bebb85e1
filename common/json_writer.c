/* json_writer.c - streaming JSON writer (see json_writer.h). */
#include "json_writer.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "out_buffer.h"
#include "utf16.h"

void lw_json_init_file(struct lw_json *w, FILE *f, unsigned flags) {
  memset(w, 0, sizeof *w);
  lw_out_init(&w->out, f);
  w->flags = flags;
}

void lw_json_init_buffer(struct lw_json *w, unsigned flags) {
  lw_json_init_file(w, NULL, flags);
}

void lw_json_free(struct lw_json *w) {
  lw_out_free(&w->out);
}

const char *lw_json_buffer(const struct lw_json *w, size_t *len) {
  return lw_out_buffer(&w->out, len);
}

static int fail(struct lw_json *w, int err) {
  return lw_out_fail(&w->out, err);
}

static void put(struct lw_json *w, const char *s, size_t n) {
  lw_out_put(&w->out, s, n);
}

static void put_c(struct lw_json *w, char c) {
  put(w, &c, 1);
}

/* Starts a line at `depth` in pretty mode. Inside a flat container it writes
 * one space instead, after a separator only (`sep`). */
static void newline_indent(struct lw_json *w, unsigned depth, int sep) {
  static const char spaces[] = "                                ";
  unsigned n = depth * 2;
  if (w->flags & LW_JSON_COMPACT)
    return;
  if (w->flat_from != 0) {
    if (sep)
      put_c(w, ' ');
    return;
  }
  put_c(w, '\n');
  while (n > 0) {
    unsigned k = n < sizeof spaces - 1 ? n : (unsigned)(sizeof spaces - 1);
    put(w, spaces, k);
    n -= k;
  }
}

/* Called before any value: checks the value is allowed here and writes the
 * separator an array element needs. Returns 0 or the sticky error. */
static int before_value(struct lw_json *w) {
  if (w->out.err != 0)
    return w->out.err;
  if (w->depth == 0) {
    if (w->done)
      return fail(w, LW_EINVAL);
    return 0;
  }
  if (w->is_array[w->depth - 1]) {
    if (w->has_items[w->depth - 1])
      put_c(w, ',');
    newline_indent(w, w->depth, w->has_items[w->depth - 1]);
    return w->out.err;
  }
  if (!w->want_value)
    return fail(w, LW_EINVAL);
  return 0;
}

/* Called after a complete value. */
static int after_value(struct lw_json *w) {
  if (w->depth == 0) {
    w->done = 1;
  } else {
    w->has_items[w->depth - 1] = 1;
    w->want_value = 0;
  }
  return w->out.err;
}

static int begin(struct lw_json *w, int array, int flat) {
  if (before_value(w) != 0)
    return w->out.err;
  if (w->depth >= LW_JSON_MAX_DEPTH)
    return fail(w, LW_EINVAL);
  put_c(w, array ? '[' : '{');
  if (flat && w->flat_from == 0)
    w->flat_from = w->depth + 1;
  w->is_array[w->depth] = (unsigned char)array;
  w->has_items[w->depth] = 0;
  w->want_value = 0;
  w->depth++;
  return w->out.err;
}

static int end(struct lw_json *w, int array) {
  if (w->out.err != 0)
    return w->out.err;
  if (w->depth == 0 || w->is_array[w->depth - 1] != array || w->want_value)
    return fail(w, LW_EINVAL);
  w->depth--;
  if (w->has_items[w->depth])
    newline_indent(w, w->depth, 0);
  put_c(w, array ? ']' : '}');
  if (w->flat_from == w->depth + 1)
    w->flat_from = 0;
  return after_value(w);
}

int lw_json_begin_object(struct lw_json *w) {
  return begin(w, 0, 0);
}

int lw_json_end_object(struct lw_json *w) {
  return end(w, 0);
}

int lw_json_begin_array(struct lw_json *w) {
  return begin(w, 1, 0);
}

int lw_json_begin_array_flat(struct lw_json *w) {
  return begin(w, 1, 1);
}

int lw_json_end_array(struct lw_json *w) {
  return end(w, 1);
}

/* Writes s (n bytes) as a quoted, escaped JSON string. */
static void put_string(struct lw_json *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t i = 0, run = 0;
  put_c(w, '"');
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      i++; /* plain ASCII: copied in runs */
      continue;
    }
    put(w, s + run, i - run);
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      put(w, esc, 2);
      i++;
    } else if (c < 0x20) {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
      put(w, esc, 6);
      i++;
    } else {
      uint32_t cp;
      size_t k = lw_utf8_decode(s + i, n - i, &cp);
      if (cp == LW_UTF8_INVALID)
        put(w, "\\ufffd", 6);
      else
        put(w, s + i, k);
      i += k;
    }
    run = i;
  }
  put(w, s + run, i - run);
  put_c(w, '"');
}

int lw_json_key(struct lw_json *w, const char *key) {
  if (w->out.err != 0)
    return w->out.err;
  if (key == NULL || w->depth == 0 || w->is_array[w->depth - 1] || w->want_value)
    return fail(w, LW_EINVAL);
  if (w->has_items[w->depth - 1])
    put_c(w, ',');
  newline_indent(w, w->depth, w->has_items[w->depth - 1]);
  put_string(w, key, strlen(key));
  if (w->flags & LW_JSON_COMPACT)
    put_c(w, ':');
  else
    put(w, ": ", 2);
  w->want_value = 1;
  return w->out.err;
}

int lw_json_string_n(struct lw_json *w, const char *s, size_t n) {
  if (s == NULL)
    return lw_json_null(w);
  if (before_value(w) != 0)
    return w->out.err;
  put_string(w, s, n);
  return after_value(w);
}

int lw_json_string(struct lw_json *w, const char *s) {
  if (s == NULL)
    return lw_json_null(w);
  return lw_json_string_n(w, s, strlen(s));
}

static int put_raw_value(struct lw_json *w, const char *text, size_t n) {
  if (before_value(w) != 0)
    return w->out.err;
  put(w, text, n);
  return after_value(w);
}

int lw_json_uint64(struct lw_json *w, uint64_t v) {
  char digits[24];
  size_t i = sizeof digits;
  do {
    digits[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return put_raw_value(w, digits + i, sizeof digits - i);
}

int lw_json_int64(struct lw_json *w, int64_t v) {
  char digits[24];
  size_t i = sizeof digits;
  /* magnitude as unsigned, so INT64_MIN does not overflow */
  uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    digits[--i] = (char)('0' + m % 10);
    m /= 10;
  } while (m != 0);
  if (v < 0)
    digits[--i] = '-';
  return put_raw_value(w, digits + i, sizeof digits - i);
}

int lw_json_bool(struct lw_json *w, int v) {
  return v ? put_raw_value(w, "true", 4) : put_raw_value(w, "false", 5);
}

int lw_json_null(struct lw_json *w) {
  return put_raw_value(w, "null", 4);
}

int lw_json_kv_string(struct lw_json *w, const char *key, const char *s) {
  lw_json_key(w, key);
  return lw_json_string(w, s);
}

int lw_json_kv_int64(struct lw_json *w, const char *key, int64_t v) {
  lw_json_key(w, key);
  return lw_json_int64(w, v);
}

int lw_json_kv_uint64(struct lw_json *w, const char *key, uint64_t v) {
  lw_json_key(w, key);
  return lw_json_uint64(w, v);
}

int lw_json_kv_bool(struct lw_json *w, const char *key, int v) {
  lw_json_key(w, key);
  return lw_json_bool(w, v);
}

int lw_json_kv_null(struct lw_json *w, const char *key) {
  lw_json_key(w, key);
  return lw_json_null(w);
}

int lw_json_finish(struct lw_json *w) {
  if (w->out.err != 0)
    return w->out.err;
  if (w->depth != 0 || !w->done)
    return fail(w, LW_EINVAL);
  if (lw_out_flush(&w->out) != 0)
    return w->out.err;
  if (w->out.file != NULL && fflush(w->out.file) != 0)
    return fail(w, LW_EIO);
  return 0;
}
