/*
 * html_text.c - escaped text and markup into the report (see html_text.h).
 */
#include "html_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "text_safe.h"

void lw_html_raw(struct lw_out *o, const char *s) {
  lw_out_put(o, s, strlen(s));
}

void lw_html_printf(struct lw_out *o, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof buf) {
    lw_out_fail(o, LW_EINVAL); /* a caller's bug: markup is short */
    return;
  }
  lw_out_put(o, buf, (size_t)n);
}

/* Writes t with the five characters that matter in HTML as references. */
static void put_escaped(struct lw_out *o, const char *t) {
  const char *run = t;
  for (const char *c = t;; c++) {
    const char *ref = NULL;
    switch (*c) {
    case '&':
      ref = "&amp;";
      break;
    case '<':
      ref = "&lt;";
      break;
    case '>':
      ref = "&gt;";
      break;
    case '"':
      ref = "&quot;";
      break;
    case '\'':
      ref = "&#39;";
      break;
    case '\0':
      lw_out_put(o, run, (size_t)(c - run));
      return;
    default:
      continue;
    }
    lw_out_put(o, run, (size_t)(c - run));
    lw_html_raw(o, ref);
    run = c + 1;
  }
}

void lw_html_text(struct lw_out *o, const char *s) {
  char small[512];
  size_t n;
  char *buf;
  if (s == NULL)
    return;
  n = strlen(s);
  /* The longest escape, \u202e (6 bytes), stands for 3 bytes, \xHH (4) for 1. */
  if (4 * n + 1 <= sizeof small) {
    put_escaped(o, lw_text_safe(s, small, sizeof small, LW_TEXT_ONE_LINE));
    return;
  }
  buf = malloc(4 * n + 1);
  if (buf == NULL) {
    lw_out_fail(o, LW_ENOMEM);
    return;
  }
  put_escaped(o, lw_text_safe(s, buf, 4 * n + 1, LW_TEXT_ONE_LINE));
  free(buf);
}
