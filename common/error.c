/* error.c - names and messages of LeakWatch's error codes (see error.h). */
#include "error.h"

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
