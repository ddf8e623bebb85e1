/*
 * alloc.h - allocation primitives common/ would otherwise write in each file:
 * a heap copy of a string. Portable; no state.
 */
#ifndef LW_ALLOC_H
#define LW_ALLOC_H

/* A malloc'd copy of s (free it), or NULL when s is NULL or out of memory. */
char *lw_strdup(const char *s);

#endif /* LW_ALLOC_H */
