/* out_buffer.c - the byte sink of the JSON and CSV writers (see out_buffer.h). */
#include "out_buffer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void lw_out_init(struct lw_out *o, FILE *f) {
  memset(o, 0, sizeof *o);
  o->file = f;
}

void lw_out_free(struct lw_out *o) {
  free(o->buf);
  o->buf = NULL;
  o->len = o->cap = 0;
}

const char *lw_out_buffer(const struct lw_out *o, size_t *len) {
  if (len != NULL)
    *len = o->len;
  return o->buf != NULL ? o->buf : "";
}

int lw_out_fail(struct lw_out *o, int err) {
  if (o->err == 0)
    o->err = err;
  return o->err;
}

int lw_out_flush(struct lw_out *o) {
  if (o->file != NULL && o->len > 0) {
    if (fwrite(o->buf, 1, o->len, o->file) != o->len)
      return lw_out_fail(o, LW_EIO);
    o->len = 0;
    o->buf[0] = '\0';
  }
  return o->err;
}

void lw_out_put(struct lw_out *o, const char *s, size_t n) {
  if (o->err != 0 || n == 0)
    return;
  if (n >= o->cap - o->len) { /* also true for cap == 0 */
    size_t cap = o->cap != 0 ? o->cap : 256;
    while (n >= cap - o->len) {
      if (cap > SIZE_MAX / 2) {
        lw_out_fail(o, LW_ENOMEM);
        return;
      }
      cap *= 2;
    }
    char *p = realloc(o->buf, cap);
    if (p == NULL) {
      lw_out_fail(o, LW_ENOMEM);
      return;
    }
    o->buf = p;
    o->cap = cap;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
  if (o->file != NULL && o->len >= LW_OUT_FLUSH_AT)
    lw_out_flush(o);
}
