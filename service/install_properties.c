/*
 * install_properties.c - the MSI's silent-install properties written into the
 * configuration file created at first start (see install_properties.h).
 */
#include <windows.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "install_properties.h"
#include "winutf.h"

/* Larger than any configuration lw_config_load accepts (1 MiB). */
#define MAX_CONFIG_BYTES (2u * 1024u * 1024u)

struct property {
  const wchar_t *value_name; /* registry value, also the leakwatch.yaml key */
  const char *key;
  const char *msi_name; /* the msiexec property, named in the comment */
  int duration;         /* written bare when it looks like one */
};

static const struct property k_props[LW_INSTALL_PROPERTY_COUNT] = {
    {L"poll_interval", "poll_interval", "POLL_INTERVAL", 1},
    {L"grace_period", "grace_period", "GRACE_PERIOD", 1},
    {L"database", "database", "DATABASE", 0},
    {L"readers", "readers", "READERS_GROUP", 0},
    {L"metrics_file", "metrics_file", "METRICS_FILE", 0},
};

/* ---- Text ------------------------------------------------------------------ */

/* A growing byte buffer; every append leaves it NUL-terminated. */
struct buf {
  char *p;
  size_t n, cap;
  int oom;
};

static void put(struct buf *b, const char *s, size_t n) {
  if (b->oom)
    return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (b->n + n + 1 > cap)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

static void puts_(struct buf *b, const char *s) {
  put(b, s, strlen(s));
}

/* True for "30s", "500ms": digits then lowercase letters, nothing else. The
 * loader has the last word; this only decides whether quotes are needed. */
static int bare_duration(const char *v) {
  size_t i = 0;
  while (v[i] >= '0' && v[i] <= '9')
    i++;
  if (i == 0 || v[i] == 0)
    return 0;
  while (v[i] >= 'a' && v[i] <= 'z')
    i++;
  return v[i] == 0;
}

/* Appends `key: VALUE  # set at installation (PROPERTY)` without a line end. */
static void put_setting(struct buf *b, const struct property *p, const char *v) {
  puts_(b, p->key);
  puts_(b, ": ");
  if (p->duration && bare_duration(v)) {
    puts_(b, v);
  } else {
    /* Single-quoted YAML: a backslash is ordinary, a quote is written twice. */
    put(b, "'", 1);
    for (const char *c = v; *c; c++) {
      if (*c == '\'')
        put(b, "'", 1);
      put(b, c, 1);
    }
    put(b, "'", 1);
  }
  puts_(b, "  # set at installation (");
  puts_(b, p->msi_name);
  puts_(b, ")");
}

/* The offset of the first line starting with `key:` (or `key :`) at column
 * 0, or (size_t)-1. */
static size_t find_key_line(const char *text, size_t len, const char *key) {
  size_t klen = strlen(key), pos = 0;
  while (pos < len) {
    size_t end = pos;
    while (end < len && text[end] != '\n')
      end++;
    if (end - pos > klen && memcmp(text + pos, key, klen) == 0) {
      size_t i = pos + klen;
      while (i < end && text[i] == ' ')
        i++;
      if (i < end && text[i] == ':')
        return pos;
    }
    pos = end + 1;
  }
  return (size_t)-1;
}

int lw__install_properties_rewrite(const char *text, size_t len,
                                   const char *const values[LW_INSTALL_PROPERTY_COUNT], char **out,
                                   size_t *outlen, char *err, size_t errlen) {
  struct buf b = {0};
  size_t at[LW_INSTALL_PROPERTY_COUNT];
  int i;

  *out = NULL;
  *outlen = 0;
  for (i = 0; i < LW_INSTALL_PROPERTY_COUNT; i++) {
    at[i] = (size_t)-1;
    if (values[i] == NULL || values[i][0] == 0)
      continue;
    for (const unsigned char *c = (const unsigned char *)values[i]; *c; c++) {
      if (*c < 0x20 || *c == 0x7f) {
        snprintf(err, errlen, "%s: the value has a control character (0x%02x)", k_props[i].key, *c);
        return LW_EINVAL;
      }
    }
    at[i] = find_key_line(text, len, k_props[i].key);
  }

  /* Copy line by line; a line found above is replaced, its end kept. */
  size_t pos = 0;
  while (pos < len) {
    size_t end = pos;
    while (end < len && text[end] != '\n')
      end++;
    size_t body_end = end > pos && text[end - 1] == '\r' ? end - 1 : end;
    int which = -1;
    for (i = 0; i < LW_INSTALL_PROPERTY_COUNT; i++)
      if (at[i] == pos)
        which = i;
    if (which >= 0)
      put_setting(&b, &k_props[which], values[which]);
    else
      put(&b, text + pos, body_end - pos);
    put(&b, text + body_end, (end < len ? end + 1 : end) - body_end);
    pos = end + 1;
  }

  /* Keys the file does not have go at its end. */
  for (i = 0; i < LW_INSTALL_PROPERTY_COUNT; i++) {
    if (values[i] == NULL || values[i][0] == 0 || at[i] != (size_t)-1)
      continue;
    if (b.n > 0 && b.p[b.n - 1] != '\n')
      put(&b, "\n", 1);
    put_setting(&b, &k_props[i], values[i]);
    put(&b, "\n", 1);
  }
  if (b.p == NULL)
    put(&b, "", 0); /* an empty text with nothing given: still a string */
  if (b.oom) {
    free(b.p);
    snprintf(err, errlen, "out of memory");
    return LW_ENOMEM;
  }
  *out = b.p;
  *outlen = b.n;
  return 0;
}

/* ---- Registry -------------------------------------------------------------- */

/* Reads one REG_SZ value as UTF-8 into *out (malloc'd; NULL = not given).
 * Returns 0 or an LW_E* code with the reason in err. */
static int read_value(HKEY key, const struct property *p, char **out, char *err, size_t errlen) {
  DWORD type = 0, size = 0;
  wchar_t *w = NULL;
  int rc = 0;
  *out = NULL;
  LSTATUS st = RegQueryValueExW(key, p->value_name, NULL, &type, NULL, &size);
  if (st == ERROR_FILE_NOT_FOUND)
    return 0;
  if (st != ERROR_SUCCESS) {
    snprintf(err, errlen, "cannot read the install property %s (error %ld)", p->key, (long)st);
    return LW_EOS;
  }
  if (type != REG_SZ && type != REG_EXPAND_SZ) {
    snprintf(err, errlen, "the install property %s is not a string (registry type %lu)", p->key,
             (unsigned long)type);
    return LW_EINVAL;
  }
  /* Room for a terminator the stored data may lack. */
  w = calloc(size / sizeof(wchar_t) + 2, sizeof(wchar_t));
  if (w == NULL) {
    snprintf(err, errlen, "out of memory");
    return LW_ENOMEM;
  }
  st = RegQueryValueExW(key, p->value_name, NULL, &type, (BYTE *)w, &size);
  if (st != ERROR_SUCCESS) {
    snprintf(err, errlen, "cannot read the install property %s (error %ld)", p->key, (long)st);
    rc = LW_EOS;
    goto cleanup;
  }
  w[size / sizeof(wchar_t)] = 0;
  if (w[0] != 0) {
    *out = lw_utf8_from_wide(w);
    if (*out == NULL) {
      snprintf(err, errlen, "out of memory");
      rc = LW_ENOMEM;
    }
  }
cleanup:
  free(w);
  return rc;
}

/* Fills values[] from root\subkey; *given = how many are non-empty. */
static int read_properties(HKEY root, const wchar_t *subkey,
                           char *values[LW_INSTALL_PROPERTY_COUNT], int *given, char *err,
                           size_t errlen) {
  HKEY key = NULL;
  int rc = 0, i;
  *given = 0;
  LSTATUS st = RegOpenKeyExW(root, subkey, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, &key);
  if (st == ERROR_FILE_NOT_FOUND)
    return 0; /* not installed by the MSI, or an older one */
  if (st != ERROR_SUCCESS) {
    snprintf(err, errlen, "cannot open the install properties' registry key (error %ld)", (long)st);
    return LW_EOS;
  }
  for (i = 0; i < LW_INSTALL_PROPERTY_COUNT && rc == 0; i++) {
    rc = read_value(key, &k_props[i], &values[i], err, errlen);
    if (rc == 0 && values[i] != NULL)
      (*given)++;
  }
  RegCloseKey(key);
  return rc;
}

/* ---- Files ----------------------------------------------------------------- */

static int read_file(const wchar_t *path, const char *path_utf8, char **out, size_t *outlen,
                     char *err, size_t errlen) {
  FILE *f = _wfopen(path, L"rb");
  struct buf b = {0};
  char chunk[8192];
  size_t n;
  int rc = 0;
  *out = NULL;
  *outlen = 0;
  if (f == NULL) {
    snprintf(err, errlen, "%s: cannot open: %s", path_utf8, strerror(errno));
    return errno == EACCES ? LW_EACCES : LW_EIO;
  }
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && !b.oom && b.n <= MAX_CONFIG_BYTES)
    put(&b, chunk, n);
  if (ferror(f)) {
    snprintf(err, errlen, "%s: cannot read it", path_utf8);
    rc = LW_EIO;
  } else if (b.oom) {
    snprintf(err, errlen, "out of memory");
    rc = LW_ENOMEM;
  } else if (b.n > MAX_CONFIG_BYTES) {
    snprintf(err, errlen, "%s: larger than a configuration file can be", path_utf8);
    rc = LW_ERANGE;
  }
  fclose(f);
  if (rc != 0) {
    free(b.p);
    return rc;
  }
  if (b.p == NULL)
    put(&b, "", 0);
  if (b.oom) {
    snprintf(err, errlen, "out of memory");
    return LW_ENOMEM;
  }
  *out = b.p;
  *outlen = b.n;
  return 0;
}

static int write_file(const wchar_t *path, const char *path_utf8, const char *text, size_t len,
                      char *err, size_t errlen) {
  FILE *f = _wfopen(path, L"wb");
  if (f == NULL) {
    snprintf(err, errlen, "%s: cannot create it: %s", path_utf8, strerror(errno));
    return errno == EACCES ? LW_EACCES : LW_EIO;
  }
  int ok = fwrite(text, 1, len, f) == len;
  ok = fflush(f) == 0 && ok;
  ok = fclose(f) == 0 && ok;
  if (!ok) {
    snprintf(err, errlen, "%s: cannot write it", path_utf8);
    return LW_EIO;
  }
  return 0;
}

int lw__install_properties_apply_from(HKEY root, const wchar_t *subkey, const char *config_path,
                                      char *err, size_t errlen) {
  char *values[LW_INSTALL_PROPERTY_COUNT] = {0};
  char *text = NULL, *rewritten = NULL, *tmp = NULL;
  wchar_t *wpath = NULL, *wtmp = NULL;
  size_t len = 0, newlen = 0;
  int given = 0, i, rc;
  struct lw_config cfg;
  char why[1024] = "";

  if (errlen > 0)
    err[0] = 0;
  rc = read_properties(root, subkey, values, &given, why, sizeof why);
  if (rc != 0 || given == 0)
    goto cleanup;

  size_t n = strlen(config_path) + sizeof ".new";
  tmp = malloc(n);
  wpath = lw_wide_from_utf8(config_path);
  if (tmp != NULL)
    snprintf(tmp, n, "%s.new", config_path);
  wtmp = lw_wide_from_utf8(tmp);
  if (tmp == NULL || wpath == NULL || wtmp == NULL) {
    snprintf(why, sizeof why, "out of memory");
    rc = LW_ENOMEM;
    goto cleanup;
  }
  rc = read_file(wpath, config_path, &text, &len, why, sizeof why);
  if (rc == 0)
    rc = lw__install_properties_rewrite(text, len, (const char *const *)values, &rewritten, &newlen,
                                        why, sizeof why);
  if (rc == 0)
    rc = write_file(wtmp, tmp, rewritten, newlen, why, sizeof why);
  if (rc != 0)
    goto cleanup;

  /* The service must be able to start with what the operator asked for. */
  rc = lw_config_load(tmp, &cfg, why, sizeof why);
  if (rc != 0)
    goto cleanup;
  lw_config_free(&cfg);
  if (!MoveFileExW(wtmp, wpath, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    DWORD werr = GetLastError();
    char *text_err = lw_win32_error_text(werr);
    snprintf(why, sizeof why, "cannot replace %s with %s: %s", config_path, tmp,
             text_err ? text_err : "?");
    free(text_err);
    /* Like this function's other file steps (errno's EACCES, else EIO), not
     * the translator's wider set (win_error.h). */
    rc = werr == ERROR_ACCESS_DENIED ? LW_EACCES : LW_EIO;
  }

cleanup:
  if (rc != 0) {
    /* Without the policy the file must not stay: the next start retries. */
    if (wtmp != NULL)
      DeleteFileW(wtmp);
    wchar_t *w = wpath != NULL ? wpath : lw_wide_from_utf8(config_path);
    int kept = w == NULL || (!DeleteFileW(w) && GetLastError() != ERROR_FILE_NOT_FOUND);
    if (w != wpath)
      free(w);
    snprintf(err, errlen, "cannot apply the install properties (%s%ls): %s%s",
             root == HKEY_LOCAL_MACHINE ? "HKLM\\" : "", subkey, why,
             kept ? "" : "; the configuration file was removed, the next start tries again");
  }
  for (i = 0; i < LW_INSTALL_PROPERTY_COUNT; i++)
    free(values[i]);
  free(text);
  free(rewritten);
  free(tmp);
  free(wpath);
  free(wtmp);
  return rc;
}

int lw_install_properties_apply(const char *config_path, char *err, size_t errlen) {
  return lw__install_properties_apply_from(HKEY_LOCAL_MACHINE, LW_INSTALL_PROPERTIES_KEY,
                                           config_path, err, errlen);
}
