/*
 * config_file.c - lw_config_load: a configuration file read by its UTF-8
 * path (also on Windows, where fopen would take the ANSI code page), at most
 * LW__CONFIG_LW__CONFIG_MAX_FILE_BYTES (+1 to say it is too big), then given to the
 * loader (config.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "error.h"

#ifdef _WIN32
#include <wchar.h>

/* fopen with a UTF-8 path: Windows' fopen would read it in the ANSI code
 * page, so convert to UTF-16 and use _wfopen. Sets errno on failure. */
static FILE *fopen_utf8(const char *path, const wchar_t *mode) {
  size_t len = strlen(path);
  wchar_t *wide = malloc((len + 1) * sizeof *wide);
  size_t o = 0;
  FILE *f = NULL;
  if (wide == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  for (size_t i = 0; i < len;) {
    uint32_t c;
    size_t n = lw__config_utf8_decode((const unsigned char *)path + i, len - i, &c);
    if (n == 0) {
      errno = EINVAL;
      goto cleanup;
    }
    if (c >= 0x10000) {
      c -= 0x10000;
      wide[o++] = (wchar_t)(0xD800 + (c >> 10));
      wide[o++] = (wchar_t)(0xDC00 + (c & 0x3FF));
    } else {
      wide[o++] = (wchar_t)c;
    }
    i += n;
  }
  wide[o] = L'\0';
  f = _wfopen(wide, mode);
cleanup:
  free(wide);
  return f;
}
#define FOPEN_READ(p) fopen_utf8((p), L"rb")
#else
#define FOPEN_READ(p) fopen((p), "rb")
#endif

static int errno_to_lw(int e) {
  switch (e) {
  case ENOENT:
  case ENOTDIR:
    return LW_ENOENT;
  case EACCES:
  case EPERM:
    return LW_EACCES;
  case ENOMEM:
    return LW_ENOMEM;
  default:
    return LW_EIO;
  }
}

int lw_config_load(const char *path, struct lw_config *out, char *err, size_t errlen) {
  FILE *f = NULL;
  char *data = NULL;
  size_t len = 0, cap = 0;
  int rc = 0;

  if (err != NULL && errlen > 0) {
    err[0] = '\0';
  }
  errno = 0;
  f = FOPEN_READ(path);
  if (f == NULL) {
    int e = errno;
    rc = errno_to_lw(e);
    if (err != NULL && errlen > 0) {
      (void)snprintf(err, errlen, "%s: cannot open: %s", path,
                     e != 0 ? strerror(e) : "unknown error");
    }
    goto cleanup;
  }
  /* Read in chunks (the size of a pipe or device is not known beforehand),
   * one byte past the limit so that an oversized file is reported as such. */
  for (;;) {
    size_t got;
    if (len == cap) {
      size_t ncap = cap == 0 ? 4096 : cap * 2;
      char *bigger;
      if (ncap > (size_t)LW__CONFIG_MAX_FILE_BYTES + 1) {
        ncap = (size_t)LW__CONFIG_MAX_FILE_BYTES + 1;
      }
      if (ncap == cap) {
        break; /* limit reached: load_string reports the size */
      }
      bigger = realloc(data, ncap);
      if (bigger == NULL) {
        rc = LW_ENOMEM;
        if (err != NULL && errlen > 0) {
          (void)snprintf(err, errlen, "%s: out of memory", path);
        }
        goto cleanup;
      }
      data = bigger;
      cap = ncap;
    }
    errno = 0;
    got = fread(data + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) {
        int e = errno;
        rc = errno_to_lw(e) == LW_EACCES ? LW_EACCES : LW_EIO;
        if (err != NULL && errlen > 0) {
          (void)snprintf(err, errlen, "%s: cannot read: %s", path,
                         e != 0 ? strerror(e) : "read error");
        }
        goto cleanup;
      }
      break;
    }
  }
  rc = lw_config_load_string(path, data != NULL ? data : "", len, out, err, errlen);

cleanup:
  if (f != NULL) {
    fclose(f);
  }
  free(data);
  return rc;
}
