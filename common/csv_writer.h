/*
 * csv_writer.h - RFC 4180 CSV rows, for `--csv` output that sqlite3's .import,
 * spreadsheets and scripts read back exactly.
 *
 * A field is written bare unless it contains a comma, a double quote, CR or LF,
 * or is the empty string; then it is enclosed in double quotes and its quotes
 * are doubled. A NULL field is written as nothing at all, so NULL (``) and ""
 * (`""`) stay distinguishable. No trimming, no re-encoding.
 * Spreadsheets run a cell that begins with = + - @ TAB or CR as a formula, and
 * user and client names are chosen by whoever logs on: by default such a text
 * field is written quoted with a leading apostrophe ('=1+2 shows as =1+2 and
 * is not run; OWASP's "CSV injection" advice). Numbers from lw_csv_int64 are
 * never changed. LW_CSV_EXACT writes every field exactly as it is, for
 * scripts that want the data byte for byte.
 * Rows end with LF, or CRLF with LW_CSV_CRLF (RFC 4180's choice). On Windows
 * a text-mode FILE already turns LF into CRLF: use the default there.
 *
 * Errors are sticky as in json_writer.h: check lw_csv_finish's result.
 */
#ifndef LW_CSV_WRITER_H
#define LW_CSV_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "out_buffer.h"

/* flags */
#define LW_CSV_LF 0u
#define LW_CSV_CRLF 1u
#define LW_CSV_EXACT 2u /* no apostrophe before a formula start */

/* Treat as opaque; on the stack is fine. */
struct lw_csv {
  struct lw_out out; /* where the text goes; its err is the sticky error */
  unsigned flags;
  size_t fields; /* fields written in the current row */
};

/* Start writing to f (the caller's; flushed by lw_csv_finish) or to memory.
 * Cannot fail. */
void lw_csv_init_file(struct lw_csv *w, FILE *f, unsigned flags);
void lw_csv_init_buffer(struct lw_csv *w, unsigned flags);

/* One field of the current row (NUL-terminated, or exactly n bytes). NULL writes
 * an empty, unquoted field. Return 0 or the sticky error (LW_ENOMEM, LW_EIO). */
int lw_csv_field(struct lw_csv *w, const char *s);
int lw_csv_field_n(struct lw_csv *w, const char *s, size_t n);
int lw_csv_int64(struct lw_csv *w, int64_t v);
int lw_csv_uint64(struct lw_csv *w, uint64_t v);

/* Ends the current row. Returns 0 or the sticky error. */
int lw_csv_end_row(struct lw_csv *w);

/* Flushes buffered output to the FILE (LW_EIO on failure); LW_EINVAL if a row
 * was left unended. Returns 0 or the first error. Does not free. */
int lw_csv_finish(struct lw_csv *w);

/* The memory buffer's text (NUL-terminated, "" before any output) and its length.
 * Owned by the writer; valid until the next call. */
const char *lw_csv_buffer(const struct lw_csv *w, size_t *len);

/* Frees the writer's memory (not the FILE). */
void lw_csv_free(struct lw_csv *w);

#endif /* LW_CSV_WRITER_H */
