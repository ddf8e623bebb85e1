/*
 * writer_lock.c - the writer lock of a history database (see writer_lock.h):
 * CreateFileW share modes on `<database>.lock`, the holder's name inside.
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "win_error.h"
#include "winutf.h"
#include "writer_lock.h"

struct lw_writer_lock {
  HANDLE file;
};

/* Reads who holds the lock: the one line its holder wrote, or a fallback when
 * it cannot be read (or was not written yet). */
static void read_holder(const wchar_t *wpath, char *out, size_t outlen) {
  char buf[256];
  DWORD got = 0;
  HANDLE h =
      CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                  OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  snprintf(out, outlen, "another LeakWatch process (it has not said which yet)");
  if (h == INVALID_HANDLE_VALUE)
    return;
  if (ReadFile(h, buf, sizeof buf - 1, &got, NULL) && got > 0) {
    buf[got] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (buf[0] != '\0')
      snprintf(out, outlen, "%s", buf);
  }
  CloseHandle(h);
}

int lw_writer_lock_take(const char *db_path, const char *holder, struct lw_writer_lock **out,
                        char *err, size_t errlen) {
  size_t n = strlen(db_path) + sizeof ".lock";
  char *path = malloc(n);
  wchar_t *wpath = NULL;
  struct lw_writer_lock *lock = NULL;
  int rc = LW_ENOMEM;

  *out = NULL;
  if (path == NULL)
    goto done;
  snprintf(path, n, "%s.lock", db_path);
  wpath = lw_wide_from_utf8(path);
  lock = calloc(1, sizeof *lock);
  if (wpath == NULL || lock == NULL) {
    snprintf(err, errlen, "%s: out of memory", path);
    goto done;
  }
  /* Write access, others may only read: a second writer's open (write
   * access) is a sharing violation while this handle lives. */
  lock->file = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE | DELETE, FILE_SHARE_READ, NULL,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_DELETE_ON_CLOSE, NULL);
  if (lock->file == INVALID_HANDLE_VALUE) {
    DWORD e = GetLastError();
    if (e == ERROR_SHARING_VIOLATION || e == ERROR_LOCK_VIOLATION) {
      char who[256];
      read_holder(wpath, who, sizeof who);
      snprintf(err, errlen,
               "another LeakWatch writer is using this history database: %s holds its "
               "writer lock %s. "
               "Only one writer may use a database at a time; stop that one first, or give "
               "this one another `database`. Nothing was written",
               who, path);
      rc = LW_EBUSY;
    } else {
      char *why = lw_win32_error_text(e);
      snprintf(err, errlen, "cannot create the writer lock %s: %s", path, why ? why : "?");
      free(why);
      rc = lw_error_from_win32(e);
    }
    goto done;
  }
  {
    char line[300];
    DWORD wrote = 0;
    int len = snprintf(line, sizeof line, "%s\r\n", holder);
    if (len < 0 || (size_t)len >= sizeof line)
      len = (int)strlen(line);
    /* The name is for the next writer's message; the lock works without it. */
    SetEndOfFile(lock->file);
    (void)WriteFile(lock->file, line, (DWORD)len, &wrote, NULL);
  }
  *out = lock;
  lock = NULL;
  rc = 0;
done:
  free(lock);
  free(path);
  free(wpath);
  return rc;
}

void lw_writer_lock_release(struct lw_writer_lock *lock) {
  if (lock == NULL)
    return;
  CloseHandle(lock->file);
  free(lock);
}
