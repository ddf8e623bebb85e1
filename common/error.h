/*
 * error.h - LeakWatch's error codes.
 *
 * Every fallible function in common/ and service/ returns an int: 0 (LW_OK) on
 * success or one of the negative codes below. OS, NTSTATUS, SQLite and libyaml
 * codes are translated once, where they enter, and the original code is kept by
 * the caller for the log. The list is an X-macro so that the names, the messages
 * and the enum never drift apart. Where a function also says why, it writes a
 * sentence into an err/errlen pair (lw_seterr).
 */
#ifndef LW_ERROR_H
#define LW_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define LW_ERROR_MAP(XX)                                                                           \
  XX(OK, 0, "success")                                                                             \
  XX(ENOMEM, -1, "out of memory")                                                                  \
  XX(EINVAL, -2, "invalid argument")                                                               \
  XX(ENOENT, -3, "no such file or object")                                                         \
  XX(EACCES, -4, "access denied")                                                                  \
  XX(EIO, -5, "input/output error")                                                                \
  XX(EBUSY, -6, "resource busy or locked")                                                         \
  XX(ENOSPC, -7, "no space left on device")                                                        \
  XX(ECORRUPT, -8, "data is corrupt")                                                              \
  XX(ETOONEW, -9, "data was written by a newer version")                                           \
  XX(ESYNTAX, -10, "syntax error")                                                                 \
  XX(ERANGE, -11, "value out of range")                                                            \
  XX(ETYPE, -12, "value has the wrong type")                                                       \
  XX(EUNKNOWN, -13, "unknown key or name")                                                         \
  XX(EOS, -14, "operating system call failed")                                                     \
  XX(ENOPRIV, -15, "a required privilege is not held")                                             \
  XX(ETIMEDOUT, -16, "timed out")                                                                  \
  XX(EEXIST, -17, "already exists")                                                                \
  XX(EGONE, -18, "object vanished")                                                                \
  XX(EDB, -19, "database error")

enum lw_error {
#define LW__ERR_ENUM(name, code, text) LW_##name = (code),
  LW_ERROR_MAP(LW__ERR_ENUM)
#undef LW__ERR_ENUM
};

/* Returns a static English sentence for an error code ("unknown error" for
 * codes not in the list). Never NULL. */
const char *lw_strerror(int err);

/* Returns the symbolic name of an error code ("LW_ENOMEM"), or "LW_UNKNOWN". */
const char *lw_err_name(int err);

/* Writes a sentence into err (errlen bytes, always terminated) printf-style,
 * for the modules that say why through an err/errlen pair; a NULL err or a
 * zero errlen is fine (nothing is written). */
void lw_seterr(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void lw_vseterr(char *err, size_t errlen, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 0)))
#endif
    ;

#endif /* LW_ERROR_H */
