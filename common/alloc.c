/* alloc.c - see alloc.h. */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

char *lw_strdup(const char *s) {
  size_t n;
  char *p;
  if (s == NULL)
    return NULL;
  n = strlen(s) + 1;
  p = malloc(n);
  if (p != NULL)
    memcpy(p, s, n);
  return p;
}
