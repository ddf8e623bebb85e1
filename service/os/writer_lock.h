/*
 * writer_lock.h - one writer per history database.
 *
 * The service and `leakwatch run` take the writer lock of their database
 * before opening it: the file `<database>.lock`, opened with write access and
 * shared for reading only (so a second writer's open fails with a sharing
 * violation), deleted when the last handle closes (FILE_FLAG_DELETE_ON_CLOSE;
 * a killed process leaves nothing that blocks). It holds one line naming the
 * holder ("LeakWatch service (PID n)", "leakwatch run, PID n"), which a second
 * writer reads to say who it is. Readers (`leakwatch history`, `events`,
 * sqlite3) never look at it and are never blocked by it.
 */
#ifndef LW_WRITER_LOCK_H
#define LW_WRITER_LOCK_H

#include <stddef.h>

struct lw_writer_lock;

/*
 * Takes the writer lock of the database at db_path (UTF-8), recording
 * `holder` (UTF-8, one line) in it. Returns 0 and *out; LW_EBUSY when another
 * writer holds it, with a sentence naming the lock file and that holder in
 * err; or another LW_E* code with err set (the lock file cannot be created).
 */
int lw_writer_lock_take(const char *db_path, const char *holder, struct lw_writer_lock **out,
                        char *err, size_t errlen);

/* Releases the lock (the file goes with it). NULL is fine. */
void lw_writer_lock_release(struct lw_writer_lock *lock);

#endif /* LW_WRITER_LOCK_H */
