/*
 * out_buffer.h - the byte sink the JSON and CSV writers share.
 *
 * Output goes either to a growable NUL-terminated memory buffer or, through
 * that buffer, to a FILE in chunks of LW_OUT_FLUSH_AT bytes. The first error
 * sticks: later writes do nothing and report it, so a writer's callers check
 * once at the end.
 */
#ifndef LW_OUT_BUFFER_H
#define LW_OUT_BUFFER_H

#include <stddef.h>
#include <stdio.h>

/* A FILE sink hands its buffer to fwrite once it holds this much. */
#define LW_OUT_FLUSH_AT 16384u

struct lw_out {
  FILE *file; /* NULL: memory buffer */
  char *buf;
  size_t len, cap;
  int err; /* the first error (LW_ENOMEM, LW_EIO), sticky; 0 while all is well */
};

/* Starts an empty sink writing to f (the caller's), or to memory if f is NULL. */
void lw_out_init(struct lw_out *o, FILE *f);

/* Frees the buffer and empties the sink (the FILE is not touched). */
void lw_out_free(struct lw_out *o);

/* The memory buffer ("" when empty; never NULL) and, if len is not NULL, its
 * length. Valid until the next write or lw_out_free. */
const char *lw_out_buffer(const struct lw_out *o, size_t *len);

/* Records err unless an error is already recorded; returns the recorded one. */
int lw_out_fail(struct lw_out *o, int err);

/* Writes what is buffered to the FILE (nothing for a memory sink). Returns the
 * sticky error (LW_EIO if fwrite fell short). */
int lw_out_flush(struct lw_out *o);

/* Appends n bytes (keeping the buffer NUL-terminated), flushing a FILE sink
 * past LW_OUT_FLUSH_AT. Out of memory is recorded as LW_ENOMEM. */
void lw_out_put(struct lw_out *o, const char *s, size_t n);

#endif /* LW_OUT_BUFFER_H */
