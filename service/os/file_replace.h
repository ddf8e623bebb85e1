/*
 * file_replace.h - a file written whole or not at all: the metrics file
 * (metrics_file.h) and the HTML report (`leakwatch report --html`).
 */
#ifndef LW_FILE_REPLACE_H
#define LW_FILE_REPLACE_H

#include <stddef.h>

/* Writes the len bytes at data to path + ".tmp" (UTF-8 path) and renames it
 * over path, so that a reader never sees half a file. Returns 0, or a
 * negative LW_E* code with what failed, the file and Windows' reason in err
 * (NUL-terminated, errlen bytes); the temporary file is then removed and
 * path keeps what it held. */
int lw_file_replace(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif /* LW_FILE_REPLACE_H */
