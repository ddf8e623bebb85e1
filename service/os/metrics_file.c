/* metrics_file.c - the atomic metrics file write (see metrics_file.h). */
#include <string.h>

#include "file_replace.h"
#include "metrics_file.h"

int lw_metrics_file_write(const char *path, const char *text, char *err, size_t errlen) {
  return lw_file_replace(path, text, strlen(text), err, errlen);
}
