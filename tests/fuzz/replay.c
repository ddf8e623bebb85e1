/*
 * replay.c - a main() for the fuzz targets without libFuzzer: feeds every file
 * named on the command line (a directory: every file in it, in name order) to
 * LLVMFuzzerTestOneInput once. Built with gcc in the asan preset, so ctest
 * replays the committed corpora under ASan + UBSan deterministically and CI
 * needs no clang; a target reports a broken oracle by aborting.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0, n;
  if (f == NULL) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return -1;
  }
  do {
    if (len == cap) {
      uint8_t *p;
      cap = cap != 0 ? 2 * cap : 4096;
      p = realloc(buf, cap);
      if (p == NULL) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        free(buf);
        fclose(f);
        return -1;
      }
      buf = p;
    }
    n = fread(buf + len, 1, cap - len, f);
    len += n;
  } while (n != 0);
  if (ferror(f)) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    free(buf);
    fclose(f);
    return -1;
  }
  fclose(f);
  /* An exact-size copy, so ASan sees a read past the input's end. */
  uint8_t *exact = malloc(len != 0 ? len : 1);
  if (exact == NULL) {
    free(buf);
    return -1;
  }
  if (len != 0)
    memcpy(exact, buf, len);
  free(buf);
  fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  return 0;
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file in dir, sorted by name; returns how many, or -1. */
static long run_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, cap = 0, i;
  long count = 0;
  if (d == NULL) {
    fprintf(stderr, "replay: cannot open directory %s\n", dir);
    return -1;
  }
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (n == cap) {
      char **p;
      cap = cap != 0 ? 2 * cap : 64;
      p = realloc(names, cap * sizeof *names);
      if (p == NULL)
        break;
      names = p;
    }
    names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
    if (names[n] == NULL)
      break;
    sprintf(names[n], "%s/%s", dir, e->d_name);
    n++;
  }
  closedir(d);
  if (n > 1)
    qsort(names, n, sizeof *names, cmp_name);
  for (i = 0; i < n; i++) {
    struct stat sb;
    if (count >= 0 && stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode))
      count = run_file(names[i]) == 0 ? count + 1 : -1;
    free(names[i]);
  }
  free(names);
  return count;
}

int main(int argc, char **argv) {
  long total = 0;
  int i;
  for (i = 1; i < argc; i++) {
    struct stat sb;
    long n;
    if (stat(argv[i], &sb) != 0) {
      fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      return 1;
    }
    n = S_ISDIR(sb.st_mode) ? run_dir(argv[i]) : (run_file(argv[i]) == 0 ? 1 : -1);
    if (n < 0)
      return 1;
    total += n;
  }
  /* An empty corpus would pass without testing anything. */
  if (total == 0) {
    fprintf(stderr, "replay: no input files\n");
    return 1;
  }
  printf("replay: %ld inputs, no finding\n", total);
  return 0;
}
