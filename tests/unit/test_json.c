/*
 * Unit tests for json_writer.c, csv_writer.c and snapshot_json.c: structure and
 * commas, escaping (quotes, %1, %%, tabs, control characters, non-BMP, long
 * strings, ill-formed UTF-8, unpaired UTF-16 surrogates), misuse, FILE output,
 * and the exact JSON and CSV a snapshot produces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csv_writer.h"
#include "error.h"
#include "json_writer.h"
#include "snapshot.h"
#include "snapshot_json.h"
#include "utf16.h"

/* ---- A tiny JSON reader, to check output parses back to its input -------- */

static void skip_ws(const char **p) {
  while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t')
    (*p)++;
}

static int hexval(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* Parses one JSON string at *p into out (UTF-8, may contain NUL; *out_len set).
 * Returns 0, or -1 on any syntax error, a raw control character or ill-formed
 * UTF-8 in the text. */
static int read_string(const char **p, char *out, size_t *out_len) {
  const char *s = *p;
  size_t n = 0;
  if (*s++ != '"')
    return -1;
  for (;;) {
    unsigned char c = (unsigned char)*s;
    if (c == '"')
      break;
    if (c < 0x20)
      return -1; /* includes the NUL at the end of the text */
    if (c == '\\') {
      s++;
      switch (*s) {
      case '"':
        out[n++] = '"';
        s++;
        break;
      case '\\':
        out[n++] = '\\';
        s++;
        break;
      case '/':
        out[n++] = '/';
        s++;
        break;
      case 'b':
        out[n++] = '\b';
        s++;
        break;
      case 'f':
        out[n++] = '\f';
        s++;
        break;
      case 'n':
        out[n++] = '\n';
        s++;
        break;
      case 'r':
        out[n++] = '\r';
        s++;
        break;
      case 't':
        out[n++] = '\t';
        s++;
        break;
      case 'u': {
        uint16_t u = 0;
        size_t len;
        for (int i = 1; i <= 4; i++) {
          int h = hexval(s[i]);
          if (h < 0)
            return -1;
          u = (uint16_t)(u * 16 + h);
        }
        s += 5;
        if (u >= 0xD800 && u <= 0xDFFF)
          return -1; /* our writer never escapes surrogates */
        if (u == 0) {
          out[n++] = '\0';
        } else {
          lw_utf16_to_utf8(&u, 1, out + n, 8, &len);
          n += len;
        }
        break;
      }
      default:
        return -1;
      }
    } else {
      uint32_t cp;
      /* 4 is safe on a NUL-terminated text: decoding stops at the first byte
       * that cannot continue the character, and NUL cannot */
      size_t k = lw_utf8_decode(s, 4, &cp);
      if (cp == LW_UTF8_INVALID)
        return -1;
      memcpy(out + n, s, k);
      n += k;
      s += k;
    }
  }
  *p = s + 1;
  *out_len = n;
  return 0;
}

/* Validates one JSON value (recursively); returns 0 or -1. */
static int read_value(const char **p) {
  static char scratch[1 << 20];
  size_t len;
  skip_ws(p);
  if (**p == '{' || **p == '[') {
    char close = **p == '{' ? '}' : ']';
    int first = 1;
    (*p)++;
    for (;;) {
      skip_ws(p);
      if (**p == close) {
        (*p)++;
        return 0;
      }
      if (!first) {
        if (**p != ',')
          return -1;
        (*p)++;
        skip_ws(p);
      }
      first = 0;
      if (close == '}') {
        if (read_string(p, scratch, &len) != 0)
          return -1;
        skip_ws(p);
        if (*(*p)++ != ':')
          return -1;
      }
      if (read_value(p) != 0)
        return -1;
    }
  }
  if (**p == '"')
    return read_string(p, scratch, &len);
  if (strncmp(*p, "true", 4) == 0 || strncmp(*p, "null", 4) == 0) {
    *p += 4;
    return 0;
  }
  if (strncmp(*p, "false", 5) == 0) {
    *p += 5;
    return 0;
  }
  if (**p == '-' || (**p >= '0' && **p <= '9')) {
    (*p)++;
    while (**p >= '0' && **p <= '9')
      (*p)++;
    return 0;
  }
  return -1;
}

static int is_valid_json(const char *text) {
  const char *p = text;
  if (read_value(&p) != 0)
    return 0;
  skip_ws(&p);
  return *p == '\0';
}

/* ---- Writer ---------------------------------------------------------------- */

static void test_compact_structure(void **state) {
  struct lw_json w;
  (void)state;
  lw_json_init_buffer(&w, LW_JSON_COMPACT);
  assert_string_equal(lw_json_buffer(&w, NULL), "");
  lw_json_begin_object(&w);
  lw_json_kv_int64(&w, "a", 1);
  lw_json_key(&w, "b");
  lw_json_begin_array(&w);
  lw_json_bool(&w, 1);
  lw_json_bool(&w, 0);
  lw_json_null(&w);
  lw_json_string(&w, NULL);
  lw_json_begin_object(&w);
  lw_json_end_object(&w);
  lw_json_begin_array(&w);
  lw_json_end_array(&w);
  lw_json_end_array(&w);
  lw_json_key(&w, "c");
  lw_json_begin_object(&w);
  lw_json_end_object(&w);
  lw_json_kv_uint64(&w, "max", UINT64_MAX);
  lw_json_kv_int64(&w, "min", INT64_MIN);
  lw_json_kv_int64(&w, "zero", 0);
  lw_json_kv_bool(&w, "t", 7);
  lw_json_kv_null(&w, "n");
  lw_json_kv_string(&w, "s", "x");
  lw_json_end_object(&w);
  assert_int_equal(lw_json_finish(&w), 0);
  assert_string_equal(lw_json_buffer(&w, NULL),
                      "{\"a\":1,\"b\":[true,false,null,null,{},[]],\"c\":{},"
                      "\"max\":18446744073709551615,\"min\":-9223372036854775808,\"zero\":0,"
                      "\"t\":true,\"n\":null,\"s\":\"x\"}");
  lw_json_free(&w);

  /* a bare top-level value is a document too */
  lw_json_init_buffer(&w, LW_JSON_PRETTY);
  lw_json_int64(&w, -42);
  assert_int_equal(lw_json_finish(&w), 0);
  assert_string_equal(lw_json_buffer(&w, NULL), "-42");
  lw_json_free(&w);
}

static void test_pretty_structure(void **state) {
  struct lw_json w;
  size_t len;
  (void)state;
  lw_json_init_buffer(&w, LW_JSON_PRETTY);
  lw_json_begin_object(&w);
  lw_json_kv_string(&w, "name", "a");
  lw_json_key(&w, "list");
  lw_json_begin_array(&w);
  lw_json_int64(&w, 1);
  lw_json_begin_object(&w);
  lw_json_kv_int64(&w, "x", 2);
  lw_json_end_object(&w);
  lw_json_end_array(&w);
  lw_json_key(&w, "pids");
  lw_json_begin_array_flat(&w);
  lw_json_int64(&w, 4);
  lw_json_int64(&w, 8);
  lw_json_begin_object(&w); /* inside a flat array everything stays flat */
  lw_json_kv_int64(&w, "y", 3);
  lw_json_kv_int64(&w, "z", 4);
  lw_json_end_object(&w);
  lw_json_end_array(&w);
  lw_json_key(&w, "none");
  lw_json_begin_array_flat(&w);
  lw_json_end_array(&w);
  lw_json_key(&w, "empty");
  lw_json_begin_object(&w);
  lw_json_end_object(&w);
  lw_json_kv_bool(&w, "after", 0);
  lw_json_end_object(&w);
  assert_int_equal(lw_json_finish(&w), 0);
  assert_string_equal(lw_json_buffer(&w, &len), "{\n"
                                                "  \"name\": \"a\",\n"
                                                "  \"list\": [\n"
                                                "    1,\n"
                                                "    {\n"
                                                "      \"x\": 2\n"
                                                "    }\n"
                                                "  ],\n"
                                                "  \"pids\": [4, 8, {\"y\": 3, \"z\": 4}],\n"
                                                "  \"none\": [],\n"
                                                "  \"empty\": {},\n"
                                                "  \"after\": false\n"
                                                "}");
  assert_int_equal(len, strlen(lw_json_buffer(&w, NULL)));
  lw_json_free(&w);
}

static const char *json_of_string(struct lw_json *w, const char *s, size_t n) {
  lw_json_free(w);
  lw_json_init_buffer(w, LW_JSON_COMPACT);
  lw_json_string_n(w, s, n);
  assert_int_equal(lw_json_finish(w), 0);
  return lw_json_buffer(w, NULL);
}

#define JSON_OF(lit) json_of_string(&w, lit, sizeof(lit) - 1)

static void test_escaping(void **state) {
  struct lw_json w;
  (void)state;
  lw_json_init_buffer(&w, LW_JSON_COMPACT);
  assert_string_equal(JSON_OF("plain"), "\"plain\"");
  assert_string_equal(JSON_OF(""), "\"\"");
  assert_string_equal(JSON_OF("say \"hi\""), "\"say \\\"hi\\\"\"");
  assert_string_equal(JSON_OF("C:\\Users\\x"), "\"C:\\\\Users\\\\x\"");
  assert_string_equal(JSON_OF("%1 %% %s %n"), "\"%1 %% %s %n\""); /* no format anywhere */
  assert_string_equal(JSON_OF("a\tb"), "\"a\\u0009b\"");
  assert_string_equal(JSON_OF("l1\nl2\r"), "\"l1\\u000al2\\u000d\"");
  assert_string_equal(JSON_OF("\x01\x1f\x7f/"), "\"\\u0001\\u001f\x7f/\"");
  assert_string_equal(JSON_OF("nul\0in"), "\"nul\\u0000in\"");
  /* valid UTF-8 passes through unchanged, non-BMP included */
  assert_string_equal(JSON_OF("J\xC3\xA9r\xC3\xB4me \xE7\x94\xB0 \xF0\x9F\x98\x80 \xEF\xBF\xBD"),
                      "\"J\xC3\xA9r\xC3\xB4me \xE7\x94\xB0 \xF0\x9F\x98\x80 \xEF\xBF\xBD\"");
  /* ill-formed UTF-8: one \ufffd per maximal subpart */
  assert_string_equal(JSON_OF("a\x80"
                              "b"),
                      "\"a\\ufffdb\"");
  assert_string_equal(JSON_OF("\xC0\xAF"), "\"\\ufffd\\ufffd\"");
  assert_string_equal(JSON_OF("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\""); /* CESU surrogate */
  assert_string_equal(JSON_OF("x\xE2\x82"), "\"x\\ufffd\"");
  assert_string_equal(JSON_OF("\xF0\x9F\x98\""), "\"\\ufffd\\\"\"");
  /* keys are escaped the same way */
  lw_json_free(&w);
  lw_json_init_buffer(&w, LW_JSON_COMPACT);
  lw_json_begin_object(&w);
  lw_json_kv_string(&w, "k\"\t\xFF", "v");
  lw_json_end_object(&w);
  assert_int_equal(lw_json_finish(&w), 0);
  assert_string_equal(lw_json_buffer(&w, NULL), "{\"k\\\"\\u0009\\ufffd\":\"v\"}");
  lw_json_free(&w);
}

static void test_long_strings(void **state) {
  enum { N = 300000 };
  struct lw_json w;
  char *s = malloc(N + 1), *back = malloc(N + 1);
  const char *out, *p;
  size_t len;
  (void)state;
  /* 256+ characters, exactly as given */
  memset(s, 'u', 300);
  s[300] = '\0';
  lw_json_init_buffer(&w, LW_JSON_COMPACT);
  out = json_of_string(&w, s, 300);
  assert_int_equal(strlen(out), 302);
  assert_int_equal(out[0], '"');
  assert_memory_equal(out + 1, s, 300);
  assert_int_equal(out[301], '"');
  /* far longer than the writer's initial buffer, with every kind of character */
  for (size_t i = 0; i < N; i++)
    s[i] = "ab\"\\\t%\xC3\xA9z"[i % 9];
  s[N - 1] = 'z'; /* do not end inside the 2-byte character */
  out = json_of_string(&w, s, N);
  p = out;
  assert_int_equal(read_string(&p, back, &len), 0);
  assert_int_equal(*p, '\0');
  assert_int_equal(len, N);
  assert_memory_equal(back, s, N);
  lw_json_free(&w);
  free(back);
  free(s);
}

/* Random bytes (ill-formed UTF-8, controls, quotes, NUL) always give valid JSON
 * that reads back as the input with each ill-formed subpart replaced by U+FFFD. */
static void test_random_strings_round_trip(void **state) {
  static char in[700], want[700 * 3], back[700 * 6];
  static const char alphabet[] = "a\"\\\t\n\x01\x7f%\0\x80\xBF\xC2\xE2\x82\xAC\xED\xA0\xF0\x9F\x98"
                                 "\x80\xF4\x90\xFF\xC0";
  uint64_t x = 0x2545F4914F6CDD1Du;
  struct lw_json w;
  (void)state;
  lw_json_init_buffer(&w, LW_JSON_COMPACT);
  for (int round = 0; round < 3000; round++) {
    size_t n, wn = 0, i = 0, blen;
    const char *out, *p;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    n = (size_t)(x % 700);
    for (size_t k = 0; k < n; k++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      /* mostly from the nasty alphabet, sometimes any byte */
      in[k] = (x & 0x100) ? (char)(x >> 32) : alphabet[(x >> 16) % (sizeof alphabet - 1)];
    }
    while (i < n) {
      uint32_t cp;
      size_t k = lw_utf8_decode(in + i, n - i, &cp);
      if (cp == LW_UTF8_INVALID) {
        memcpy(want + wn, "\xEF\xBF\xBD", 3);
        wn += 3;
      } else {
        memcpy(want + wn, in + i, k);
        wn += k;
      }
      i += k;
    }
    out = json_of_string(&w, in, n);
    assert_true(is_valid_json(out));
    p = out;
    assert_int_equal(read_string(&p, back, &blen), 0);
    assert_int_equal(blen, wn);
    assert_memory_equal(back, want, wn);
  }
  lw_json_free(&w);
}

static void test_misuse_is_sticky(void **state) {
  struct lw_json w;
  size_t len;
  (void)state;
  /* a value in an object without a key */
  lw_json_init_buffer(&w, LW_JSON_COMPACT);
  lw_json_begin_object(&w);
  assert_int_equal(lw_json_int64(&w, 1), LW_EINVAL);
  lw_json_buffer(&w, &len);
  assert_int_equal(lw_json_kv_int64(&w, "a", 1), LW_EINVAL); /* sticky */
  assert_int_equal(lw_json_end_object(&w), LW_EINVAL);
  assert_int_equal(lw_json_buffer(&w, NULL)[len], '\0');
  assert_string_equal(lw_json_buffer(&w, NULL), "{"); /* nothing more written */
  assert_int_equal(lw_json_finish(&w), LW_EINVAL);
  lw_json_free(&w);

  lw_json_init_buffer(&w, 0);
  lw_json_begin_array(&w);
  assert_int_equal(lw_json_key(&w, "k"), LW_EINVAL); /* key in an array */
  lw_json_free(&w);

  lw_json_init_buffer(&w, 0);
  assert_int_equal(lw_json_key(&w, "k"), LW_EINVAL); /* key at top level */
  lw_json_free(&w);

  lw_json_init_buffer(&w, 0);
  lw_json_begin_object(&w);
  assert_int_equal(lw_json_key(&w, NULL), LW_EINVAL);
  lw_json_free(&w);

  lw_json_init_buffer(&w, 0);
  lw_json_begin_object(&w);
  lw_json_key(&w, "k");
  assert_int_equal(lw_json_key(&w, "k2"), LW_EINVAL); /* two keys in a row */
  lw_json_free(&w);

  lw_json_init_buffer(&w, 0);
  lw_json_begin_object(&w);
  lw_json_key(&w, "k");
  assert_int_equal(lw_json_end_object(&w), LW_EINVAL); /* key without value */
  lw_json_free(&w);

  lw_json_init_buffer(&w, 0);
  lw_json_begin_object(&w);
  assert_int_equal(lw_json_end_array(&w), LW_EINVAL); /* mismatched end */
  lw_json_free(&w);

  lw_json_init_buffer(&w, 0);
  assert_int_equal(lw_json_end_object(&w), LW_EINVAL); /* nothing to end */
  lw_json_free(&w);

  lw_json_init_buffer(&w, 0);
  lw_json_null(&w);
  assert_int_equal(lw_json_null(&w), LW_EINVAL); /* two documents */
  lw_json_free(&w);

  lw_json_init_buffer(&w, 0);
  assert_int_equal(lw_json_finish(&w), LW_EINVAL); /* no value at all */
  lw_json_free(&w);

  lw_json_init_buffer(&w, 0);
  lw_json_begin_array(&w);
  assert_int_equal(lw_json_finish(&w), LW_EINVAL); /* unclosed */
  lw_json_free(&w);

  lw_json_init_buffer(&w, LW_JSON_COMPACT);
  for (int i = 0; i < LW_JSON_MAX_DEPTH; i++)
    assert_int_equal(lw_json_begin_array(&w), 0);
  assert_int_equal(lw_json_begin_array(&w), LW_EINVAL); /* too deep */
  lw_json_free(&w);
}

/* A file in the working directory (tmpfile() writes to the drive root on
 * Windows, which needs rights a test should not). */
static FILE *open_temp(const char *name) {
  FILE *f = fopen(name, "w+b");
  assert_non_null(f);
  return f;
}

static char *read_all(FILE *f, size_t *len) {
  long size;
  char *buf;
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  size = ftell(f);
  assert_true(size >= 0);
  rewind(f);
  buf = malloc((size_t)size + 1);
  assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
  buf[size] = '\0';
  *len = (size_t)size;
  return buf;
}

static void write_big_doc(struct lw_json *w) {
  char item[32];
  lw_json_begin_array(w);
  for (int i = 0; i < 5000; i++) {
    snprintf(item, sizeof item, "item \"%d\"", i);
    lw_json_string(w, item);
  }
  lw_json_end_array(w);
}

static void test_file_output(void **state) {
  struct lw_json wf, wb;
  FILE *f = open_temp("test_json_out.tmp");
  char *text;
  size_t len, blen;
  (void)state;
  lw_json_init_file(&wf, f, LW_JSON_PRETTY);
  lw_json_init_buffer(&wb, LW_JSON_PRETTY);
  write_big_doc(&wf);
  write_big_doc(&wb);
  assert_int_equal(lw_json_finish(&wf), 0);
  assert_int_equal(lw_json_finish(&wb), 0);
  text = read_all(f, &len);
  lw_json_buffer(&wb, &blen);
  assert_true(blen > 16384 * 3); /* several flushes happened */
  assert_int_equal(len, blen);
  assert_memory_equal(text, lw_json_buffer(&wb, NULL), len);
  assert_true(is_valid_json(text));
  free(text);
  lw_json_free(&wf);
  lw_json_free(&wb);
  fclose(f);
  remove("test_json_out.tmp");

  /* a stream that cannot be written: LW_EIO, not silence */
  f = open_temp("test_json_ro.tmp");
  fclose(f);
  f = fopen("test_json_ro.tmp", "rb");
  assert_non_null(f);
  lw_json_init_file(&wf, f, LW_JSON_COMPACT);
  lw_json_string(&wf, "x");
  assert_int_equal(lw_json_finish(&wf), LW_EIO);
  lw_json_free(&wf);
  fclose(f);
  remove("test_json_ro.tmp");
}

/* ---- CSV ------------------------------------------------------------------- */

/* Formula starts (issue 14): a text field beginning with = + - @ TAB or CR is
 * written quoted with a leading apostrophe, so a spreadsheet shows it and
 * does not run it; numbers are never changed; LW_CSV_EXACT keeps every byte. */
static void test_csv_formula_guard(void **state) {
  static const char *const starts[] = {"=cmd|' /C calc'!A0", "+1+2",  "-2+3+cmd|x",
                                       "@SUM(A1)",           "\tTAB", "\rCR"};
  static const char *const guarded[] = {"\"'=cmd|' /C calc'!A0\"", "\"'+1+2\"",  "\"'-2+3+cmd|x\"",
                                        "\"'@SUM(A1)\"",           "\"'\tTAB\"", "\"'\rCR\""};
  struct lw_csv w;
  (void)state;
  for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
    lw_csv_init_buffer(&w, LW_CSV_LF);
    lw_csv_field(&w, starts[i]);
    lw_csv_end_row(&w);
    assert_int_equal(lw_csv_finish(&w), 0);
    {
      char want[64];
      snprintf(want, sizeof want, "%s\n", guarded[i]);
      assert_string_equal(lw_csv_buffer(&w, NULL), want);
    }
    lw_csv_free(&w);
    /* Exact: as it is (quoted only for CR, as RFC 4180 wants). */
    lw_csv_init_buffer(&w, LW_CSV_LF | LW_CSV_EXACT);
    lw_csv_field(&w, starts[i]);
    lw_csv_end_row(&w);
    assert_int_equal(lw_csv_finish(&w), 0);
    assert_non_null(strstr(lw_csv_buffer(&w, NULL), starts[i]));
    assert_true(lw_csv_buffer(&w, NULL)[0] != '\'' && lw_csv_buffer(&w, NULL)[1] != '\'');
    lw_csv_free(&w);
  }
  /* Numbers and texts that merely contain a formula character stay bare. */
  lw_csv_init_buffer(&w, LW_CSV_LF);
  lw_csv_int64(&w, -42);
  lw_csv_field(&w, "a=b");
  lw_csv_field(&w, "x-1");
  lw_csv_field(&w, NULL);
  lw_csv_end_row(&w);
  assert_int_equal(lw_csv_finish(&w), 0);
  assert_string_equal(lw_csv_buffer(&w, NULL), "-42,a=b,x-1,\n");
  lw_csv_free(&w);
}

static void test_csv(void **state) {
  struct lw_csv w;
  (void)state;
  lw_csv_init_buffer(&w, LW_CSV_LF);
  assert_string_equal(lw_csv_buffer(&w, NULL), "");
  lw_csv_field(&w, "plain");
  lw_csv_field(&w, NULL);
  lw_csv_field(&w, "");
  lw_csv_field(&w, "a,b");
  lw_csv_field(&w, "say \"hi\"");
  lw_csv_field(&w, "\"");
  lw_csv_field(&w, "line1\nline2");
  lw_csv_field(&w, "cr\r");
  lw_csv_field(&w, " spaced ");
  lw_csv_field(&w, "=1+2");
  lw_csv_field(&w, "%1 %% \t \xF0\x9F\x98\x80 \xFF");
  lw_csv_int64(&w, INT64_MIN);
  lw_csv_uint64(&w, UINT64_MAX);
  lw_csv_end_row(&w);
  lw_csv_field(&w, NULL); /* a row of one empty field */
  lw_csv_end_row(&w);
  lw_csv_field_n(&w, "ab\0c", 4);
  lw_csv_field_n(&w, "x\"yz", 2);
  lw_csv_end_row(&w);
  assert_int_equal(lw_csv_finish(&w), 0);
  assert_memory_equal(lw_csv_buffer(&w, NULL),
                      "plain,,\"\",\"a,b\",\"say \"\"hi\"\"\",\"\"\"\",\"line1\nline2\","
                      "\"cr\r\", spaced ,\"'=1+2\",%1 %% \t \xF0\x9F\x98\x80 \xFF,"
                      "-9223372036854775808,18446744073709551615\n"
                      "\n"
                      "ab\0c,\"x\"\"\"\n",
                      sizeof("plain,,\"\",\"a,b\",\"say \"\"hi\"\"\",\"\"\"\",\"line1\nline2\","
                             "\"cr\r\", spaced ,\"'=1+2\",%1 %% \t \xF0\x9F\x98\x80 \xFF,"
                             "-9223372036854775808,18446744073709551615\n"
                             "\n"
                             "ab\0c,\"x\"\"\"\n"));
  lw_csv_free(&w);

  lw_csv_init_buffer(&w, LW_CSV_CRLF);
  lw_csv_field(&w, "a");
  lw_csv_field(&w, "b");
  lw_csv_end_row(&w);
  lw_csv_int64(&w, 5);
  lw_csv_end_row(&w);
  assert_int_equal(lw_csv_finish(&w), 0);
  assert_string_equal(lw_csv_buffer(&w, NULL), "a,b\r\n5\r\n");
  lw_csv_free(&w);

  lw_csv_init_buffer(&w, LW_CSV_LF);
  lw_csv_field(&w, "unended");
  assert_int_equal(lw_csv_finish(&w), LW_EINVAL);
  lw_csv_free(&w);
}

/* ---- Snapshot ------------------------------------------------------------- */

/* UTF-16 for: al"ice %1 %% <tab> 😀 and an unpaired high surrogate. */
static const uint16_t nasty_user[] = {'a', 'l', '"', 'i',  'c', 'e',    ' ',    '%', '1',    ' ',
                                      '%', '%', ' ', '\t', ' ', 0xD83D, 0xDE00, ' ', 0xD800, '!'};

static struct lw_snapshot *sample_snapshot(void) {
  struct lw_snapshot *s = lw_snapshot_new();
  struct lw_logon_session *l;
  struct lw_wts_session *t;
  struct lw_process *p;
  uint16_t *long_name;
  size_t i;

  assert_non_null(s);
  s->taken_at = 1795251600000;  /* 2026-11-21T09:00:00Z */
  s->boot_time = 1795165200000; /* 2026-11-20T09:00:00Z */
  s->duration_ms = 12;

  /* added out of order: finish sorts */
  l = lw_snapshot_add_logon(s);
  l->luid = UINT64_C(0x100004a1f2); /* non-zero high part */
  /* exact-size heap copy, so an over-read would be caught by ASan */
  long_name = malloc(sizeof nasty_user);
  memcpy(long_name, nasty_user, sizeof nasty_user);
  l->user = lw_snapshot_strdup_utf16(s, long_name, sizeof nasty_user / sizeof nasty_user[0]);
  free(long_name);
  l->domain = lw_snapshot_strdup(s, "CONTOSO");
  l->sid = lw_snapshot_strdup(s, "S-1-5-21-1004336348-1177238915-682003330-1105");
  l->logon_type = LW_LOGON_REMOTE_INTERACTIVE;
  l->auth_package = lw_snapshot_strdup(s, "Kerberos");
  l->terminal_session = 3;
  l->logon_time = 1795251480000; /* 08:58:00 */
  l->logon_server = lw_snapshot_strdup(s, "DC01");
  l->dns_domain = lw_snapshot_strdup(s, "contoso.com");
  l->upn = lw_snapshot_strdup(s, "alice@contoso.com");

  l = lw_snapshot_add_logon(s);
  l->luid = 0x3e7;
  l->user = lw_snapshot_strdup(s, "SYSTEM");
  l->domain = lw_snapshot_strdup(s, "NT AUTHORITY");
  l->sid = lw_snapshot_strdup(s, "S-1-5-18");
  l->logon_type = LW_LOGON_UNDEFINED;
  l->auth_package = lw_snapshot_strdup(s, "Negotiate");
  l->logon_time = 1795165200000;

  l = lw_snapshot_add_logon(s);
  l->luid = 0x4a300;
  l->data_status = 0xC000005Fu; /* vanished before the data call */

  l = lw_snapshot_add_logon(s);
  l->luid = 0x5000;
  long_name = malloc(300 * sizeof *long_name);
  for (i = 0; i < 300; i++)
    long_name[i] = (uint16_t)('a' + i % 26);
  l->user = lw_snapshot_strdup_utf16(s, long_name, 300);
  free(long_name);
  l->logon_type = 99;      /* no name */
  l->terminal_session = 7; /* no such WTS session: "ended" */
  l->auth_package = lw_snapshot_strdup(s, "");

  t = lw_snapshot_add_wts(s);
  t->id = 65536;
  t->station = lw_snapshot_strdup(s, "RDP-Tcp");
  t->state = LW_WTS_LISTEN;
  t = lw_snapshot_add_wts(s);
  t->id = 3;
  t->station = lw_snapshot_strdup(s, "RDP-Tcp#12");
  t->state = LW_WTS_ACTIVE;
  t->user = lw_snapshot_strdup(s, "alice");
  t->domain = lw_snapshot_strdup(s, "CONTOSO");
  t->client = lw_snapshot_strdup(s, "LAPTOP-17");
  t->client_address = lw_snapshot_strdup(s, "10.0.0.5");
  t->logon_time = 1795251480000;
  t->connect_time = 1795251481000;
  t = lw_snapshot_add_wts(s);
  t->id = 0;
  t->station = lw_snapshot_strdup(s, "Services");
  t->state = LW_WTS_DISCONNECTED;

  p = lw_snapshot_add_process(s);
  p->pid = 900;
  p->session_id = 3;
  p->luid = UINT64_C(0x100004a1f2);
  p->image = lw_snapshot_strdup(s, "explorer.exe");
  p = lw_snapshot_add_process(s);
  p->pid = 4;
  p->luid = 0x3e7;
  p->image = lw_snapshot_strdup(s, "System");
  p = lw_snapshot_add_process(s);
  p->pid = 1200;
  p->session_id = 3;
  p->token_status = 5; /* ERROR_ACCESS_DENIED */
  p->image = lw_snapshot_strdup(s, "protected.exe");
  p = lw_snapshot_add_process(s);
  p->pid = 120;
  p->session_id = 3;
  p->luid = UINT64_C(0x100004a1f2);
  p->image = lw_snapshot_strdup(s, "rdpclip.exe");

  lw_snapshot_finish(s);
  return s;
}

#define ALICE "al\\\"ice %1 %% \\u0009 \xF0\x9F\x98\x80 \xEF\xBF\xBD!"
#define LONG26 "abcdefghijklmnopqrstuvwxyz"
#define LONG300                                                                                    \
  LONG26 LONG26 LONG26 LONG26 LONG26 LONG26 LONG26 LONG26 LONG26 LONG26 LONG26 "abcdefghijklmn"

static void test_snapshot_json_compact(void **state) {
  struct lw_snapshot *s = sample_snapshot();
  struct lw_json w;
  (void)state;
  assert_int_equal(strlen(LONG300), 300);
  lw_json_init_buffer(&w, LW_JSON_COMPACT);
  assert_int_equal(lw_snapshot_json(s, &w), 0);
  assert_int_equal(lw_json_finish(&w), 0);
  assert_string_equal(
      lw_json_buffer(&w, NULL),
      "{\"taken_at\":\"2026-11-21T09:00:00Z\",\"boot_time\":\"2026-11-20T09:00:00Z\","
      "\"logon_sessions\":["
      "{\"luid\":\"00000000:000003e7\",\"user\":\"SYSTEM\",\"domain\":\"NT AUTHORITY\","
      "\"sid\":\"S-1-5-18\",\"logon_type\":\"Undefined\",\"logon_type_id\":0,"
      "\"auth_package\":\"Negotiate\",\"terminal_session\":0,"
      "\"logon_time\":\"2026-11-20T09:00:00Z\",\"logon_server\":null,\"dns_domain\":null,"
      "\"upn\":null,\"data_status\":null,\"process_count\":1,\"processes\":[4]},"
      "{\"luid\":\"00000000:00005000\",\"user\":\"" LONG300 "\",\"domain\":null,\"sid\":null,"
      "\"logon_type\":null,\"logon_type_id\":99,\"auth_package\":\"\",\"terminal_session\":7,"
      "\"logon_time\":null,\"logon_server\":null,\"dns_domain\":null,\"upn\":null,"
      "\"data_status\":null,\"process_count\":0,\"processes\":[]},"
      "{\"luid\":\"00000000:0004a300\",\"user\":null,\"domain\":null,\"sid\":null,"
      "\"logon_type\":null,\"logon_type_id\":null,\"auth_package\":null,"
      "\"terminal_session\":null,\"logon_time\":null,\"logon_server\":null,"
      "\"dns_domain\":null,\"upn\":null,\"data_status\":\"0xc000005f\",\"process_count\":0,"
      "\"processes\":[]},"
      "{\"luid\":\"00000010:0004a1f2\",\"user\":\"" ALICE "\",\"domain\":\"CONTOSO\","
      "\"sid\":\"S-1-5-21-1004336348-1177238915-682003330-1105\","
      "\"logon_type\":\"RemoteInteractive\",\"logon_type_id\":10,\"auth_package\":\"Kerberos\","
      "\"terminal_session\":3,\"logon_time\":\"2026-11-21T08:58:00Z\","
      "\"logon_server\":\"DC01\",\"dns_domain\":\"contoso.com\",\"upn\":\"alice@contoso.com\","
      "\"data_status\":null,\"process_count\":2,\"processes\":[120,900]}],"
      "\"wts_sessions\":["
      "{\"id\":0,\"station\":\"Services\",\"state\":\"Disconnected\",\"user\":null,"
      "\"domain\":null,\"client\":null,\"client_address\":null,\"logon_time\":null,"
      "\"connect_time\":null,\"disconnect_time\":null},"
      "{\"id\":3,\"station\":\"RDP-Tcp#12\",\"state\":\"Active\",\"user\":\"alice\","
      "\"domain\":\"CONTOSO\",\"client\":\"LAPTOP-17\",\"client_address\":\"10.0.0.5\","
      "\"logon_time\":\"2026-11-21T08:58:00Z\",\"connect_time\":\"2026-11-21T08:58:01Z\","
      "\"disconnect_time\":null},"
      "{\"id\":65536,\"station\":\"RDP-Tcp\",\"state\":\"Listen\",\"user\":null,"
      "\"domain\":null,\"client\":null,\"client_address\":null,\"logon_time\":null,"
      "\"connect_time\":null,\"disconnect_time\":null}],"
      "\"processes\":["
      "{\"pid\":4,\"image\":\"System\",\"session_id\":0,\"luid\":\"00000000:000003e7\"},"
      "{\"pid\":120,\"image\":\"rdpclip.exe\",\"session_id\":3,\"luid\":\"00000010:0004a1f2\"},"
      "{\"pid\":900,\"image\":\"explorer.exe\",\"session_id\":3,\"luid\":\"00000010:0004a1f2\"},"
      "{\"pid\":1200,\"image\":\"protected.exe\",\"session_id\":3,\"luid\":null}],"
      "\"counts\":{\"logons_without_data\":1,\"processes_denied\":1}}");
  assert_true(is_valid_json(lw_json_buffer(&w, NULL)));
  lw_json_free(&w);
  lw_snapshot_free(s);
}

static void test_snapshot_json_file(void **state) {
  struct lw_snapshot *s = lw_snapshot_new();
  struct lw_logon_session *l;
  FILE *f = open_temp("test_json_snap.tmp");
  char *text;
  size_t len;
  (void)state;
  s->taken_at = 0;
  l = lw_snapshot_add_logon(s);
  l->luid = 0x3e4;
  l->logon_type = LW_LOGON_SERVICE;
  l->user = lw_snapshot_strdup(s, "NETWORK SERVICE");
  lw_snapshot_add_process(s)->pid = 8; /* LUID unknown */
  s->procs[0].token_status = 5;
  lw_snapshot_add_process(s)->pid = 16;
  s->procs[1].luid = 0x3e4;
  lw_snapshot_add_process(s)->pid = 12;
  s->procs[2].luid = 0x3e4;
  lw_snapshot_finish(s);
  assert_int_equal(lw_snapshot_write_json(s, f), 0);
  text = read_all(f, &len);
  assert_string_equal(text, "{\n"
                            "  \"taken_at\": \"1970-01-01T00:00:00Z\",\n"
                            "  \"boot_time\": null,\n"
                            "  \"logon_sessions\": [\n"
                            "    {\n"
                            "      \"luid\": \"00000000:000003e4\",\n"
                            "      \"user\": \"NETWORK SERVICE\",\n"
                            "      \"domain\": null,\n"
                            "      \"sid\": null,\n"
                            "      \"logon_type\": \"Service\",\n"
                            "      \"logon_type_id\": 5,\n"
                            "      \"auth_package\": null,\n"
                            "      \"terminal_session\": 0,\n"
                            "      \"logon_time\": null,\n"
                            "      \"logon_server\": null,\n"
                            "      \"dns_domain\": null,\n"
                            "      \"upn\": null,\n"
                            "      \"data_status\": null,\n"
                            "      \"process_count\": 2,\n"
                            "      \"processes\": [12, 16]\n"
                            "    }\n"
                            "  ],\n"
                            "  \"wts_sessions\": [],\n"
                            "  \"processes\": [\n"
                            "    {\n"
                            "      \"pid\": 8,\n"
                            "      \"image\": null,\n"
                            "      \"session_id\": 0,\n"
                            "      \"luid\": null\n"
                            "    },\n"
                            "    {\n"
                            "      \"pid\": 12,\n"
                            "      \"image\": null,\n"
                            "      \"session_id\": 0,\n"
                            "      \"luid\": \"00000000:000003e4\"\n"
                            "    },\n"
                            "    {\n"
                            "      \"pid\": 16,\n"
                            "      \"image\": null,\n"
                            "      \"session_id\": 0,\n"
                            "      \"luid\": \"00000000:000003e4\"\n"
                            "    }\n"
                            "  ],\n"
                            "  \"counts\": {\n"
                            "    \"logons_without_data\": 0,\n"
                            "    \"processes_denied\": 1\n"
                            "  }\n"
                            "}\n");
  free(text);
  fclose(f);
  remove("test_json_snap.tmp");
  lw_snapshot_free(s);
}

static void test_snapshot_csv(void **state) {
  struct lw_snapshot *s = sample_snapshot();
  struct lw_csv w;
  FILE *f;
  char *text;
  size_t len;
  (void)state;
  lw_csv_init_buffer(&w, LW_CSV_LF);
  assert_int_equal(lw_snapshot_csv(s, &w), 0);
  assert_int_equal(lw_csv_finish(&w), 0);
  assert_string_equal(
      lw_csv_buffer(&w, NULL),
      "luid,user,domain,sid,logon_type,auth_package,terminal_session,logon_time,"
      "process_count,wts_state,data_status\n"
      "00000000:000003e7,SYSTEM,NT AUTHORITY,S-1-5-18,Undefined,Negotiate,0,"
      "2026-11-20T09:00:00Z,1,Disconnected,\n"
      "00000000:00005000," LONG300 ",,,99,\"\",7,,0,ended,\n"
      "00000000:0004a300,,,,,,,,0,,0xc000005f\n"
      "00000010:0004a1f2,\"al\"\"ice %1 %% \t \xF0\x9F\x98\x80 \xEF\xBF\xBD!\",CONTOSO,"
      "S-1-5-21-1004336348-1177238915-682003330-1105,RemoteInteractive,Kerberos,3,"
      "2026-11-21T08:58:00Z,2,Active,\n");
  lw_csv_free(&w);

  /* the FILE variant writes the same, here with CRLF */
  f = open_temp("test_csv_snap.tmp");
  assert_int_equal(lw_snapshot_write_csv(s, f, LW_CSV_CRLF), 0);
  text = read_all(f, &len);
  assert_int_equal(strncmp(text, "luid,user,", 10), 0);
  assert_non_null(strstr(text, "data_status\r\n00000000:000003e7,"));
  assert_int_equal(strcmp(text + len - 10, ",Active,\r\n"), 0);
  free(text);
  fclose(f);
  remove("test_csv_snap.tmp");
  lw_snapshot_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_compact_structure),
      cmocka_unit_test(test_pretty_structure),
      cmocka_unit_test(test_escaping),
      cmocka_unit_test(test_long_strings),
      cmocka_unit_test(test_random_strings_round_trip),
      cmocka_unit_test(test_misuse_is_sticky),
      cmocka_unit_test(test_file_output),
      cmocka_unit_test(test_csv),
      cmocka_unit_test(test_csv_formula_guard),
      cmocka_unit_test(test_snapshot_json_compact),
      cmocka_unit_test(test_snapshot_json_file),
      cmocka_unit_test(test_snapshot_csv),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
