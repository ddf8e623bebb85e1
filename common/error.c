/* error.c - names and messages of LeakWatch's error codes, and the sentence an
 * err/errlen pair says (see error.h). */
#include "error.h"

#include <stdio.h>

const char *lw_strerror(int err) {
  switch (err) {
#define LW__ERR_TEXT(name, code, text)                                                             \
  case LW_##name:                                                                                  \
    return text;
    LW_ERROR_MAP(LW__ERR_TEXT)
#undef LW__ERR_TEXT
  default:
    return "unknown error";
  }
}

const char *lw_err_name(int err) {
  switch (err) {
#define LW__ERR_NAME(name, code, text)                                                             \
  case LW_##name:                                                                                  \
    return "LW_" #name;
    LW_ERROR_MAP(LW__ERR_NAME)
#undef LW__ERR_NAME
  default:
    return "LW_UNKNOWN";
  }
}

void lw_vseterr(char *err, size_t errlen, const char *fmt, va_list ap) {
  if (err == NULL || errlen == 0)
    return;
  vsnprintf(err, errlen, fmt, ap);
}

void lw_seterr(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lw_vseterr(err, errlen, fmt, ap);
  va_end(ap);
}
