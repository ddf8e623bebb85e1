/*
 * fuzz.h - what the fuzz targets in tests/fuzz/ share.
 *
 * Each fuzz_*.c defines LLVMFuzzerTestOneInput for one module of the portable
 * core. It is linked either with libFuzzer (clang, LW_FUZZ=ON: real fuzzing,
 * tests/fuzz/run.sh) or with replay.c (gcc, asan preset: ctest replays the
 * committed corpora). A broken oracle is a finding: FUZZ_CHECK prints what
 * broke and aborts, which both drivers report as a failure.
 */
#ifndef LW_FUZZ_H
#define LW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: oracle failed: %s: ", __FILE__, __LINE__, #cond);                    \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fputc('\n', stderr);                                                                         \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

/* A NUL-terminated heap copy of the input (for text parsers); aborts when out of
 * memory, which is not a finding of the code under test. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL)
    abort();
  for (size_t i = 0; i < size; i++)
    s[i] = (char)data[i];
  s[size] = '\0';
  return s;
}

#endif /* LW_FUZZ_H */
