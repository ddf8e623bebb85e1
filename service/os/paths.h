/*
 * paths.h - where LeakWatch keeps things on a Windows host.
 *
 * Operator data (configuration, history database) lives under
 * %ProgramData%\LeakWatch and is never owned by the MSI; the program and the
 * documented default configuration live beside the exe. All paths are UTF-8;
 * every returned string is malloc'd and freed by the caller with free().
 */
#ifndef LW_PATHS_H
#define LW_PATHS_H

#include <stddef.h>

/* Returns `path` with %VARIABLES% expanded (ExpandEnvironmentStringsW), or
 * NULL when out of memory or the expansion fails. */
char *lw_paths_expand(const char *path);

/* Returns %ProgramData%\LeakWatch\leakwatch.yaml, or NULL. */
char *lw_paths_default_config(void);

/* Returns the folder of leakwatch.exe (no trailing backslash), or NULL. */
char *lw_paths_exe_dir(void);

/* Returns the folder part of `path` (up to the last \ or /), or NULL when it
 * has none or out of memory. */
char *lw_paths_dirname(const char *path);

/* Creates `dir` and any missing parents. Returns 0 (also when it already
 * exists) or a negative LW_E* code; the Win32 error is left in *win32_err. */
int lw_paths_make_dirs(const char *dir, unsigned long *win32_err);

/* Returns 1 if `path` names an existing file or folder, else 0. */
int lw_paths_exists(const char *path);

/* Returns the history database a command should read (malloc'd, expanded):
 * `given` when not NULL (--db), else `database` from the configuration at
 * %ProgramData%\LeakWatch\leakwatch.yaml, else the built-in default. NULL
 * with a sentence in err when the configuration is invalid or out of memory. */
char *lw_paths_history_db(const char *given, char *err, size_t errlen);

#endif /* LW_PATHS_H */
