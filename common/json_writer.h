/*
 * json_writer.h - a small streaming JSON writer.
 *
 * Writes one JSON document, value by value, into a FILE* or a growable memory
 * buffer, adding the commas and (in pretty mode) newlines and two-space
 * indentation itself. Strings are expected to be UTF-8: valid UTF-8 is passed
 * through, `"` and `\` are escaped, control characters (U+0000..U+001F) are
 * written as \u00XX, and each ill-formed byte sequence becomes \ufffd, so the
 * output is always valid JSON in valid UTF-8.
 *
 * Errors are sticky: after the first failure (out of memory, a write error, or
 * a call that would make invalid JSON, such as a value in an object without a
 * key) every call does nothing and returns that error, and lw_json_finish
 * returns it too, so callers may check once at the end.
 *
 *   struct lw_json w;
 *   lw_json_init_file(&w, stdout, LW_JSON_PRETTY);
 *   lw_json_begin_object(&w);
 *   lw_json_kv_string(&w, "user", "alice");
 *   lw_json_end_object(&w);
 *   rc = lw_json_finish(&w);   (flushes; then lw_json_free)
 */
#ifndef LW_JSON_WRITER_H
#define LW_JSON_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "out_buffer.h"

#define LW_JSON_MAX_DEPTH 32

/* flags */
#define LW_JSON_PRETTY 0u  /* newlines and two-space indentation */
#define LW_JSON_COMPACT 1u /* no whitespace at all */

/* Treat as opaque; on the stack is fine. */
struct lw_json {
  struct lw_out out; /* where the text goes; its err is the sticky error */
  unsigned flags;
  unsigned depth;
  unsigned char is_array[LW_JSON_MAX_DEPTH];
  unsigned char has_items[LW_JSON_MAX_DEPTH];
  unsigned flat_from;       /* depth + 1 of the outermost flat container, or 0 */
  unsigned char want_value; /* a key was written, its value not yet */
  unsigned char done;       /* the top-level value is complete */
};

/* Starts a document written to f (flushed by lw_json_finish; f stays the
 * caller's) or to memory. Cannot fail: allocation happens on first write. */
void lw_json_init_file(struct lw_json *w, FILE *f, unsigned flags);
void lw_json_init_buffer(struct lw_json *w, unsigned flags);

/* Containers. Return 0 or the sticky error (LW_EINVAL for a mismatched end, a
 * missing key, or nesting deeper than LW_JSON_MAX_DEPTH). */
int lw_json_begin_object(struct lw_json *w);
int lw_json_end_object(struct lw_json *w);
int lw_json_begin_array(struct lw_json *w);
int lw_json_end_array(struct lw_json *w);

/* An array kept on one line even in pretty mode, `[1, 2, 3]` (everything inside
 * it too); for short lists of numbers such as a session's PIDs. Ended by
 * lw_json_end_array. */
int lw_json_begin_array_flat(struct lw_json *w);

/* An object member's name (escaped like a string); the next call writes its
 * value. */
int lw_json_key(struct lw_json *w, const char *key);

/* Values. A NULL string writes null. _string_n writes exactly n bytes
 * (a NUL byte becomes \u0000). Return 0 or the sticky error. */
int lw_json_string(struct lw_json *w, const char *s);
int lw_json_string_n(struct lw_json *w, const char *s, size_t n);
int lw_json_int64(struct lw_json *w, int64_t v);
int lw_json_uint64(struct lw_json *w, uint64_t v);
int lw_json_bool(struct lw_json *w, int v);
int lw_json_null(struct lw_json *w);

/* key + value in one call. */
int lw_json_kv_string(struct lw_json *w, const char *key, const char *s);
int lw_json_kv_int64(struct lw_json *w, const char *key, int64_t v);
int lw_json_kv_uint64(struct lw_json *w, const char *key, uint64_t v);
int lw_json_kv_bool(struct lw_json *w, const char *key, int v);
int lw_json_kv_null(struct lw_json *w, const char *key);

/* Ends the document: LW_EINVAL if it is incomplete (open containers, or no value
 * at all); otherwise flushes buffered output to the FILE (LW_EIO if that
 * fails). No newline is added. Returns 0 or the first error. Does not free. */
int lw_json_finish(struct lw_json *w);

/* The memory buffer's text (NUL-terminated; "" before any output) and, if len is
 * not NULL, its length. Owned by the writer; valid until the next call. For a
 * FILE writer: what is buffered but not yet written. */
const char *lw_json_buffer(const struct lw_json *w, size_t *len);

/* Frees the writer's memory (not the FILE). The writer may be reinitialised. */
void lw_json_free(struct lw_json *w);

#endif /* LW_JSON_WRITER_H */
