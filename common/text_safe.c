/* text_safe.c - terminal-safe text (see text_safe.h). */
#include "text_safe.h"

#include <stdint.h>
#include <string.h>

#include "utf16.h"

static bool is_bidi_or_separator(uint32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

/* The escape for the character of len bytes at s (cp decoded), into esc
 * (at least 8 bytes): its length, or 0 when the character is written as is. */
static size_t escape_of(const char *s, uint32_t cp, unsigned flags, char esc[8]) {
  static const char hex[] = "0123456789abcdef";
  if (cp == LW_UTF8_INVALID) {
    unsigned char b = (unsigned char)s[0]; /* one byte at a time: each is shown */
    esc[0] = '\\';
    esc[1] = 'x';
    esc[2] = hex[b >> 4];
    esc[3] = hex[b & 15];
    return 4;
  }
  if (cp == '\n' && (flags & LW_TEXT_KEEP_LF))
    return 0;
  if (cp == '\t' || cp == '\n' || cp == '\r') {
    esc[0] = '\\';
    esc[1] = cp == '\t' ? 't' : cp == '\n' ? 'n' : 'r';
    return 2;
  }
  if (cp < 0x20 || cp == 0x7F) {
    esc[0] = '\\';
    esc[1] = 'x';
    esc[2] = hex[cp >> 4];
    esc[3] = hex[cp & 15];
    return 4;
  }
  if ((cp >= 0x80 && cp <= 0x9F) || is_bidi_or_separator(cp)) {
    esc[0] = '\\';
    esc[1] = 'u';
    for (int i = 0; i < 4; i++)
      esc[2 + i] = hex[(cp >> (12 - 4 * i)) & 15];
    return 6;
  }
  return 0;
}

/* Calls emit(ctx, bytes, n, is_escape) for each piece of the escaped text: a
 * run of characters written as they are, or one escape. Stops and returns
 * false when emit does. */
typedef bool (*emit_fn)(void *ctx, const char *p, size_t n, bool is_escape);

static bool escape_all(const char *s, size_t n, unsigned flags, emit_fn emit, void *ctx) {
  size_t i = 0, run = 0;
  while (i < n) {
    uint32_t cp;
    char esc[8];
    size_t len = lw_utf8_decode(s + i, n - i, &cp);
    size_t elen;
    if (cp == LW_UTF8_INVALID)
      len = 1; /* show each byte of an ill-formed sequence */
    elen = escape_of(s + i, cp, flags, esc);
    if (elen == 0) {
      i += len;
      continue;
    }
    if (i > run && !emit(ctx, s + run, i - run, false))
      return false;
    if (!emit(ctx, esc, elen, true))
      return false;
    i += len;
    run = i;
  }
  return i <= run || emit(ctx, s + run, i - run, false);
}

static bool emit_file(void *ctx, const char *p, size_t n, bool is_escape) {
  (void)is_escape;
  return fwrite(p, 1, n, (FILE *)ctx) == n;
}

int lw_text_safe_write(FILE *f, const char *s, size_t n, unsigned flags) {
  return escape_all(s, n, flags, emit_file, f) ? 0 : EOF;
}

int lw_text_safe_fputs(const char *s, FILE *f, unsigned flags) {
  return s != NULL ? lw_text_safe_write(f, s, strlen(s), flags) : 0;
}

struct buf_sink {
  char *buf;
  size_t size, len;
};

/* A run that does not fit is cut at a character boundary; an escape that
 * does not fit is left out whole. */
static bool emit_buf(void *ctx, const char *p, size_t n, bool is_escape) {
  struct buf_sink *b = ctx;
  size_t room = b->size - 1 - b->len;
  if (n > room) {
    size_t keep = 0;
    while (!is_escape && keep < room) {
      uint32_t cp;
      size_t len = lw_utf8_decode(p + keep, n - keep, &cp);
      if (len == 0 || keep + len > room)
        break;
      keep += len;
    }
    memcpy(b->buf + b->len, p, keep);
    b->len += keep;
    return false;
  }
  memcpy(b->buf + b->len, p, n);
  b->len += n;
  return true;
}

const char *lw_text_safe(const char *s, char *buf, size_t size, unsigned flags) {
  struct buf_sink b = {buf, size, 0};
  if (size == 0)
    return buf;
  if (s != NULL)
    (void)escape_all(s, strlen(s), flags, emit_buf, &b);
  buf[b.len] = '\0';
  return buf;
}

static bool emit_flag(void *ctx, const char *p, size_t n, bool is_escape) {
  (void)p;
  (void)n;
  if (is_escape)
    *(bool *)ctx = true;
  return !is_escape; /* the first escape settles it */
}

bool lw_text_is_safe(const char *s, size_t n, unsigned flags) {
  bool escaped = false;
  (void)escape_all(s, n, flags, emit_flag, &escaped);
  return !escaped;
}

const char *lw_text_fit(const char *s, unsigned cols, char *buf, size_t size) {
  size_t i, cut = 0, n;
  unsigned chars = 0, keep;
  bool dots;
  if (size == 0)
    return buf;
  buf[0] = '\0';
  if (s == NULL || cols == 0)
    return buf;
  for (i = 0; s[i] != '\0'; i++)
    chars += ((unsigned char)s[i] & 0xc0) != 0x80;
  /* A longer text keeps cols - 3 characters and "..." (a narrow column: cols). */
  dots = chars > cols && cols > 3;
  keep = chars <= cols ? chars : dots ? cols - 3 : cols;
  for (i = 0, chars = 0; s[i] != '\0'; i++) {
    if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == keep)
      break;
  }
  cut = i;
  n = dots ? 3 : 0;
  if (cut + n + 1 > size)
    cut = size > n + 1 ? size - n - 1 : 0;
  while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
    cut--; /* not in the middle of a character */
  memcpy(buf, s, cut);
  memcpy(buf + cut, "...", n);
  buf[cut + n] = '\0';
  return buf;
}
