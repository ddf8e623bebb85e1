/*
 * config_text.c - the configuration loader's diagnostics (see config_internal.h):
 * a key's expected form and bounds, a bad value shown safely, and "did you
 * mean" for misspelt keys and names.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"
#include "duration.h"

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */
/* ------------------------------------------------------------------------ */

/* Formats a number in a key's unit: a duration for durations, else decimal. */
void lw__config_format_bound(const struct lw_config_key *k, int64_t n, char *buf, size_t len) {
  if (k->type == LW_CONFIG_DURATION) {
    (void)lw_duration_format(n, buf, len);
  } else {
    (void)snprintf(buf, len, "%lu", (unsigned long)n);
  }
}

/* Writes the expected form of a key's value, as said after a bad value. */
void lw__config_form_of(const struct lw_config_key *k, char *buf, size_t len) {
  char lo[LW_DURATION_BUFSIZE], hi[LW_DURATION_BUFSIZE];
  lw__config_format_bound(k, k->min, lo, sizeof lo);
  lw__config_format_bound(k, k->max, hi, sizeof hi);
  switch (k->type) {
  case LW_CONFIG_DURATION:
    (void)snprintf(buf, len, "a duration such as 500ms, 30s, 5m");
    break;
  case LW_CONFIG_UINT:
    (void)snprintf(buf, len, "an integer from %s to %s", lo, hi);
    break;
  case LW_CONFIG_STRING:
    (void)snprintf(buf, len,
                   "text of at most %s bytes, in single quotes if it has special "
                   "characters",
                   hi);
    break;
  case LW_CONFIG_PATH:
    (void)snprintf(buf, len, "a file path such as 'D:\\LeakWatch\\history.db'");
    break;
  case LW_CONFIG_ENUM: {
    size_t used = (size_t)snprintf(buf, len, "one of ");
    for (size_t i = 0; k->names[i] != NULL && used < len; i++) {
      used += (size_t)snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "", k->names[i]);
    }
    break;
  }
  case LW_CONFIG_BOOL:
    (void)snprintf(buf, len, "true or false");
    break;
  case LW_CONFIG_USERS:
    (void)snprintf(buf, len, "a list of users such as ['CONTOSO\\svc_agent'] (DOMAIN\\user)");
    break;
  case LW_CONFIG_IMAGES:
    (void)snprintf(buf, len, "a list of image file names such as ['agent.exe']");
    break;
  }
}

/* Copies a value for display: at most ~40 bytes (never cutting a UTF-8
 * character), control characters as \n, \t or \xNN, "..." if cut short. */
void lw__config_show_value(const char *s, size_t n, char *out, size_t outlen) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  size_t i = 0;
  assert(outlen >= 64);
  for (; i < n && o + 8 < outlen && i < 40; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n' || c == '\t' || c == '\r') {
      out[o++] = '\\';
      out[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
    } else if (c < 0x20 || c == 0x7f) {
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    } else {
      out[o++] = (char)c;
    }
  }
  /* Finish a UTF-8 character cut by the limit. */
  while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80 && o + 5 < outlen) {
    out[o++] = s[i++];
  }
  if (i < n) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

/* Optimal-string-alignment distance, ASCII case-insensitive, capped inputs. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb) {
  size_t d[33][33];
  if (la > 32 || lb > 32) {
    return (size_t)-1;
  }
  for (size_t i = 0; i <= la; i++) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= lb; j++) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      int ca = ascii_lower((unsigned char)a[i - 1]);
      int cb = ascii_lower((unsigned char)b[j - 1]);
      size_t best = d[i - 1][j - 1] + (ca == cb ? 0 : 1);
      if (d[i - 1][j] + 1 < best) {
        best = d[i - 1][j] + 1;
      }
      if (d[i][j - 1] + 1 < best) {
        best = d[i][j - 1] + 1;
      }
      if (i > 1 && j > 1 && ca == ascii_lower((unsigned char)b[j - 2]) &&
          ascii_lower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best) {
        best = d[i - 2][j - 2] + 1;
      }
      d[i][j] = best;
    }
  }
  return d[la][lb];
}

void lw__config_consider(struct lw__config_suggestion *sg, const char *word, size_t wlen,
                         const char *cand, size_t clen) {
  size_t dist = edit_distance(word, wlen, cand, clen);
  if (dist > 2 && wlen >= 3 && wlen < clen && edit_distance(word, wlen, cand, wlen) == 0) {
    dist = 2;
  }
  if (dist <= 2 && dist < clen && (sg->name == NULL || dist < sg->dist)) {
    sg->name = cand;
    sg->len = clen;
    sg->dist = dist;
  }
}
