/*
 * metrics_file.h - the metrics file written for windows_exporter's textfile
 * collector: complete or not at all.
 */
#ifndef LW_METRICS_FILE_H
#define LW_METRICS_FILE_H

#include <stddef.h>

/* Writes text to path + ".tmp" and renames it over path, so that a scrape
 * never reads half a file. Returns 0, or a negative LW_E* code with what
 * failed and Windows' reason in err (NUL-terminated, errlen bytes); the
 * temporary file is then removed and path keeps its last complete text. */
int lw_metrics_file_write(const char *path, const char *text, char *err, size_t errlen);

#endif /* LW_METRICS_FILE_H */
