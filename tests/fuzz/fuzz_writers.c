/*
 * fuzz_writers.c - the JSON and CSV writers (json_writer.h, csv_writer.h)
 * driven by a byte program: the first byte picks the writer and its flags,
 * then each operation is one byte (its kind) followed by its operand.
 *
 * Oracle: a JSON document the writer finishes without error is read back by a
 * strict JSON reader (RFC 8259 grammar, well-formed UTF-8, no raw control
 * characters, no whitespace in compact mode), and every key, string and
 * number reads back as written
 * (ill-formed UTF-8 as U+FFFD); a failed call makes finish fail too. CSV is
 * read back by a strict RFC 4180 reader: same rows, same fields, NULL as an
 * empty bare field and "" as a quoted one; a text beginning with = + - @ TAB
 * or CR reads back with the leading apostrophe the writer adds (numbers never
 * get one), and with LW_CSV_EXACT as written. Bit 2 of the first byte asks
 * for LW_CSV_EXACT.
 */
#include <string.h>

#include "csv_writer.h"
#include "fuzz.h"
#include "json_writer.h"

/* ---- The program ---------------------------------------------------------- */

struct prog {
  const uint8_t *p;
  size_t n, off;
};

static int next(struct prog *g) {
  return g->off < g->n ? g->p[g->off++] : -1;
}

/* An operand: a length byte and that many bytes (fewer at the end). */
static const char *bytes(struct prog *g, size_t *len) {
  int l = next(g);
  size_t n = l < 0 ? 0 : (size_t)l;
  const char *s = (const char *)g->p + g->off;
  if (n > g->n - g->off)
    n = g->n - g->off;
  g->off += n;
  *len = n;
  return s;
}

static uint64_t u64(struct prog *g) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) {
    int b = next(g);
    v = v << 8 | (uint64_t)(b < 0 ? 0 : b);
  }
  return v;
}

/* ---- What was written, to compare with what is read ---------------------- */

/* One scalar or key: its kind ('s' string, 'k' key, 'i' number, 't'/'f' bool,
 * 'n' null, 'N' a CSV NULL field) and its expected text. */
struct item {
  char kind;
  char *text;
  size_t len;
};

struct items {
  struct item *v;
  size_t n, cap;
};

static void push(struct items *l, char kind, const char *text, size_t len) {
  if (l->n == l->cap) {
    l->cap = l->cap != 0 ? 2 * l->cap : 64;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    if (l->v == NULL)
      abort();
  }
  l->v[l->n].kind = kind;
  l->v[l->n].text = malloc(len + 1);
  if (l->v[l->n].text == NULL)
    abort();
  if (len != 0)
    memcpy(l->v[l->n].text, text, len);
  l->v[l->n].len = len;
  l->n++;
}

static void items_free(struct items *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i].text);
  free(l->v);
}

/* What the JSON writer promises for a string: well-formed UTF-8 as is, each
 * maximal ill-formed subsequence (Unicode's "substitution of maximal subparts")
 * as U+FFFD. Writes into out (4 * n bytes suffice). */
static size_t utf8_sanitize(const unsigned char *s, size_t n, char *out) {
  size_t i = 0, o = 0;
  while (i < n) {
    unsigned char c = s[i];
    /* Trailing bytes a lead byte needs, and the range of the first of them. */
    size_t need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0x80 ? 1 : 0, k = 1;
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    int lead_ok = c < 0x80 || (c >= 0xC2 && c <= 0xF4);
    while (lead_ok && k <= need && i + k < n && s[i + k] >= (k == 1 ? lo : 0x80) &&
           s[i + k] <= (k == 1 ? hi : 0xBF))
      k++;
    if (lead_ok && k == need + 1) {
      memcpy(out + o, s + i, k);
      o += k;
      i += k;
    } else {
      memcpy(out + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i += lead_ok ? k : 1;
    }
  }
  return o;
}

/* ---- A strict JSON reader ------------------------------------------------- */

struct reader {
  const char *p, *end;
  const struct items *want;
  size_t next; /* index in want of the next scalar or key */
  char *buf;   /* decoded string */
  int compact; /* LW_JSON_COMPACT: no whitespace between tokens */
};

static void ws(struct reader *r) {
  if (r->compact && r->p < r->end)
    FUZZ_CHECK(*r->p != ' ' && *r->p != '\n', "whitespace in compact JSON");
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r'))
    r->p++;
}

static int hex4(struct reader *r, unsigned *v) {
  *v = 0;
  for (int i = 0; i < 4; i++) {
    char c = r->p < r->end ? *r->p++ : '\0';
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0)
      return -1;
    *v = *v << 4 | (unsigned)d;
  }
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18);
  o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Reads a string into r->buf; returns its length, or -1 if it is not strict JSON
 * (raw control characters, bad escapes, lone surrogates, ill-formed UTF-8). */
static long read_string(struct reader *r) {
  size_t o = 0;
  if (r->p >= r->end || *r->p != '"')
    return -1;
  r->p++;
  while (r->p < r->end && *r->p != '"') {
    unsigned char c = (unsigned char)*r->p;
    if (c < 0x20)
      return -1;
    if (c == '\\') {
      unsigned cp, lo;
      char e;
      r->p++;
      if (r->p >= r->end)
        return -1;
      e = *r->p++;
      switch (e) {
      case '"':
      case '\\':
      case '/':
        r->buf[o++] = e;
        continue;
      case 'b':
        r->buf[o++] = '\b';
        continue;
      case 'f':
        r->buf[o++] = '\f';
        continue;
      case 'n':
        r->buf[o++] = '\n';
        continue;
      case 'r':
        r->buf[o++] = '\r';
        continue;
      case 't':
        r->buf[o++] = '\t';
        continue;
      case 'u':
        if (hex4(r, &cp) != 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
          return -1;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
            return -1;
          r->p += 2;
          if (hex4(r, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
            return -1;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        o += put_utf8(r->buf + o, cp);
        continue;
      default:
        return -1;
      }
    }
    /* Raw bytes must be well-formed UTF-8: sanitizing changes nothing. */
    size_t n = 1;
    if (c >= 0x80)
      n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if ((size_t)(r->end - r->p) < n)
      return -1;
    char tmp[16];
    if (utf8_sanitize((const unsigned char *)r->p, n, tmp) != n || memcmp(tmp, r->p, n) != 0)
      return -1;
    memcpy(r->buf + o, r->p, n);
    o += n;
    r->p += n;
  }
  if (r->p >= r->end)
    return -1;
  r->p++;
  return (long)o;
}

/* Compares a scalar or key read back with the next one written. */
static void expect(struct reader *r, char kind, const char *text, size_t len) {
  const struct item *it;
  FUZZ_CHECK(r->next < r->want->n, "more values read than written");
  it = &r->want->v[r->next++];
  FUZZ_CHECK(it->kind == kind, "read kind %c, wrote %c", kind, it->kind);
  FUZZ_CHECK(it->len == len && memcmp(it->text, text, len) == 0, "value %zu differs", r->next);
}

static int read_value(struct reader *r, int depth);

static int read_number(struct reader *r) {
  const char *s = r->p;
  if (r->p < r->end && *r->p == '-')
    r->p++;
  if (r->p >= r->end || *r->p < '0' || *r->p > '9')
    return -1;
  if (*r->p == '0')
    r->p++;
  else
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
      r->p++;
  /* The writer writes integers only: a fraction or exponent is not expected. */
  expect(r, 'i', s, (size_t)(r->p - s));
  return 0;
}

static int read_word(struct reader *r, const char *w, char kind) {
  size_t n = strlen(w);
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
    return -1;
  r->p += n;
  expect(r, kind, "", 0);
  return 0;
}

static int read_value(struct reader *r, int depth) {
  long n;
  if (depth > LW_JSON_MAX_DEPTH)
    return -1;
  ws(r);
  if (r->p >= r->end)
    return -1;
  switch (*r->p) {
  case '{':
  case '[': {
    char close = *r->p == '{' ? '}' : ']';
    int first = 1;
    r->p++;
    for (;;) {
      ws(r);
      if (r->p < r->end && *r->p == close && first) {
        r->p++;
        return 0;
      }
      if (!first) {
        if (r->p < r->end && *r->p == close) {
          r->p++;
          return 0;
        }
        if (r->p >= r->end || *r->p != ',')
          return -1;
        r->p++;
        ws(r);
      }
      first = 0;
      if (close == '}') {
        if ((n = read_string(r)) < 0)
          return -1;
        expect(r, 'k', r->buf, (size_t)n);
        ws(r);
        if (r->p >= r->end || *r->p != ':')
          return -1;
        r->p++;
      }
      if (read_value(r, depth + 1) != 0)
        return -1;
    }
  }
  case '"':
    if ((n = read_string(r)) < 0)
      return -1;
    expect(r, 's', r->buf, (size_t)n);
    return 0;
  case 't':
    return read_word(r, "true", 't');
  case 'f':
    return read_word(r, "false", 'f');
  case 'n':
    return read_word(r, "null", 'n');
  default:
    return read_number(r);
  }
}

/* ---- JSON ------------------------------------------------------------------ */

static void fuzz_json(struct prog *g, unsigned flags) {
  struct lw_json w;
  struct items want = {NULL, 0, 0};
  int failed = 0, rc, op;
  size_t max_string = 0;

  lw_json_init_buffer(&w, flags);
  while ((op = next(g)) >= 0) {
    size_t len;
    const char *s;
    char num[24];
    uint64_t v;
    char *clean;
    switch (op % 12) {
    case 0:
      rc = lw_json_begin_object(&w);
      break;
    case 1:
      rc = lw_json_begin_array(&w);
      break;
    case 2:
      rc = lw_json_begin_array_flat(&w);
      break;
    case 3:
      rc = lw_json_end_object(&w);
      break;
    case 4:
      rc = lw_json_end_array(&w);
      break;
    case 5:
    case 6:
      s = bytes(g, &len);
      clean = malloc(4 * len + 1);
      if (clean == NULL)
        abort();
      if (op % 12 == 5) {
        /* A key is NUL-terminated: it ends at the first NUL. */
        char *key = fuzz_strdup((const uint8_t *)s, len);
        rc = lw_json_key(&w, key);
        push(&want, 'k', clean, utf8_sanitize((const unsigned char *)key, strlen(key), clean));
        free(key);
      } else {
        rc = lw_json_string_n(&w, s, len);
        push(&want, 's', clean, utf8_sanitize((const unsigned char *)s, len, clean));
      }
      max_string = len > max_string ? len : max_string;
      free(clean);
      break;
    case 7:
      v = u64(g);
      rc = lw_json_int64(&w, (int64_t)v);
      push(&want, 'i', num, (size_t)snprintf(num, sizeof num, "%lld", (long long)(int64_t)v));
      break;
    case 8:
      v = u64(g);
      rc = lw_json_uint64(&w, v);
      push(&want, 'i', num, (size_t)snprintf(num, sizeof num, "%llu", (unsigned long long)v));
      break;
    case 9:
      v = (uint64_t)next(g);
      rc = lw_json_bool(&w, (int)(v & 1));
      push(&want, (v & 1) ? 't' : 'f', "", 0);
      break;
    case 10:
      rc = lw_json_null(&w);
      push(&want, 'n', "", 0);
      break;
    default:
      rc = lw_json_string(&w, NULL);
      push(&want, 'n', "", 0);
      break;
    }
    failed |= rc != 0;
  }
  rc = lw_json_finish(&w);
  if (failed)
    FUZZ_CHECK(rc != 0, "a call failed but finish did not");
  if (rc == 0) {
    size_t len;
    const char *text = lw_json_buffer(&w, &len);
    struct reader r = {text, text + len, &want, 0, NULL, (flags & LW_JSON_COMPACT) != 0};
    r.buf = malloc(4 * max_string + 1);
    if (r.buf == NULL)
      abort();
    FUZZ_CHECK(strlen(text) == len, "a NUL byte in the output");
    FUZZ_CHECK(read_value(&r, 1) == 0, "not strict JSON: %s", text);
    ws(&r);
    FUZZ_CHECK(r.p == r.end, "trailing text: %s", r.p);
    FUZZ_CHECK(r.next == want.n, "%zu values written, %zu read", want.n, r.next);
    free(r.buf);
  }
  lw_json_free(&w);
  items_free(&want);
}

/* ---- CSV ------------------------------------------------------------------- */

/* Reads one RFC 4180 field at *p (strict: a quote inside a bare field, or text
 * after a closing quote, is an error); appends it to got. Returns 0, or -1. */
static int csv_field(const char **p, const char *end, struct items *got) {
  const char *s = *p;
  if (s < end && *s == '"') {
    char *buf = malloc((size_t)(end - s) + 1);
    size_t o = 0;
    if (buf == NULL)
      abort();
    s++;
    for (;;) {
      if (s >= end) {
        free(buf);
        return -1;
      }
      if (*s == '"') {
        if (s + 1 < end && s[1] == '"') {
          buf[o++] = '"';
          s += 2;
          continue;
        }
        s++;
        break;
      }
      buf[o++] = *s++;
    }
    push(got, 's', buf, o);
    free(buf);
  } else {
    while (s < end && *s != ',' && *s != '\r' && *s != '\n') {
      if (*s == '"')
        return -1;
      s++;
    }
    /* A bare empty field is NULL; the writer quotes every empty string. */
    push(got, s == *p ? 'N' : 's', *p, (size_t)(s - *p));
  }
  *p = s;
  return 0;
}

static void fuzz_csv(struct prog *g, unsigned flags) {
  struct lw_csv w;
  struct items want = {NULL, 0, 0}, got = {NULL, 0, 0};
  int failed = 0, rc, op;
  size_t in_row = 0;

  lw_csv_init_buffer(&w, flags);
  while ((op = next(g)) >= 0) {
    size_t len;
    const char *s;
    char num[24];
    uint64_t v;
    switch (op % 6) {
    case 0:
    case 1:
      s = bytes(g, &len);
      rc = lw_csv_field_n(&w, s, len);
      if (!(flags & LW_CSV_EXACT) && len > 0 && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL) {
        char *ticked = malloc(len + 1);
        if (ticked == NULL)
          abort();
        ticked[0] = '\'';
        memcpy(ticked + 1, s, len);
        push(&want, 's', ticked, len + 1);
        free(ticked);
      } else {
        push(&want, 's', s, len);
      }
      in_row++;
      break;
    case 2:
      rc = lw_csv_field(&w, NULL);
      push(&want, 'N', "", 0);
      in_row++;
      break;
    case 3:
      v = u64(g);
      rc = (op & 0x80) ? lw_csv_uint64(&w, v) : lw_csv_int64(&w, (int64_t)v);
      if (op & 0x80)
        push(&want, 's', num, (size_t)snprintf(num, sizeof num, "%llu", (unsigned long long)v));
      else
        push(&want, 's', num, (size_t)snprintf(num, sizeof num, "%lld", (long long)(int64_t)v));
      in_row++;
      break;
    default:
      rc = lw_csv_end_row(&w);
      /* An empty row reads back as one NULL field. */
      if (in_row == 0)
        push(&want, 'N', "", 0);
      push(&want, 'r', "", 0);
      in_row = 0;
      break;
    }
    failed |= rc != 0;
  }
  rc = lw_csv_finish(&w);
  FUZZ_CHECK((in_row != 0) == (rc != 0), "finish gave %d with %zu fields in the row", rc, in_row);
  if (failed)
    FUZZ_CHECK(rc != 0, "a call failed but finish did not");
  if (rc == 0) {
    size_t len;
    const char *text = lw_csv_buffer(&w, &len);
    const char *p = text, *end = text + len;
    const char *eol = (flags & LW_CSV_CRLF) ? "\r\n" : "\n";
    size_t eol_len = strlen(eol);
    while (p < end) {
      FUZZ_CHECK(csv_field(&p, end, &got) == 0, "not strict CSV at offset %zu", (size_t)(p - text));
      if (p < end && *p == ',') {
        p++;
        continue;
      }
      FUZZ_CHECK((size_t)(end - p) >= eol_len && memcmp(p, eol, eol_len) == 0,
                 "a field not followed by a comma or the line end at offset %zu",
                 (size_t)(p - text));
      p += eol_len;
      push(&got, 'r', "", 0);
    }
    FUZZ_CHECK(got.n == want.n, "%zu fields and row ends written, %zu read", want.n, got.n);
    for (size_t i = 0; i < got.n; i++) {
      FUZZ_CHECK(got.v[i].kind == want.v[i].kind, "item %zu: read %c, wrote %c", i, got.v[i].kind,
                 want.v[i].kind);
      FUZZ_CHECK(got.v[i].len == want.v[i].len &&
                     memcmp(got.v[i].text, want.v[i].text, got.v[i].len) == 0,
                 "field %zu differs", i);
    }
  }
  lw_csv_free(&w);
  items_free(&want);
  items_free(&got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct prog g = {data, size, 1};
  if (size == 0)
    return 0;
  switch (data[0] & 3) {
  case 0:
    fuzz_json(&g, LW_JSON_PRETTY);
    break;
  case 1:
    fuzz_json(&g, LW_JSON_COMPACT);
    break;
  case 2:
    fuzz_csv(&g, LW_CSV_LF | ((data[0] & 4) ? LW_CSV_EXACT : 0u));
    break;
  default:
    fuzz_csv(&g, LW_CSV_CRLF | ((data[0] & 4) ? LW_CSV_EXACT : 0u));
    break;
  }
  return 0;
}
