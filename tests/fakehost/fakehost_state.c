/*
 * fakehost_state.c - scenario loading, the shared step, buffer tracking and
 * the stats file, for the fake secur32.dll and wtsapi32.dll (see
 * fakehost_state.h). Each DLL has its own copy of this file's globals.
 */
#ifndef __USE_MINGW_ANSI_STDIO
#define __USE_MINGW_ANSI_STDIO 1
#endif
#include "fakehost_state.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_UNITS 4096
#define FILETIME_UNIX_OFFSET INT64_C(11644473600) /* seconds from 1601 to 1970 */

/* ---------------------------------------------------------------- hash table */

/* Open addressing, keyed by a 64-bit value (a pointer or a LUID). */
struct slot {
  uint64_t key;
  uint32_t kind, count;
  uint8_t state; /* 0 empty, 1 used, 2 deleted */
};

struct table {
  struct slot *slots;
  size_t cap, used, dead;
};

static size_t slot_hash(uint64_t key, size_t cap) {
  key ^= key >> 33;
  key *= UINT64_C(0xff51afd7ed558ccd);
  key ^= key >> 33;
  return (size_t)key & (cap - 1);
}

static struct slot *table_lookup(const struct table *t, uint64_t key) {
  size_t i;
  if (t->cap == 0) {
    return NULL;
  }
  for (i = slot_hash(key, t->cap);; i = (i + 1) & (t->cap - 1)) {
    struct slot *s = &t->slots[i];
    if (s->state == 0) {
      return NULL;
    }
    if (s->state == 1 && s->key == key) {
      return s;
    }
  }
}

static int table_insert(struct table *t, uint64_t key, uint32_t kind, uint32_t count) {
  size_t i;
  if ((t->used + t->dead + 1) * 2 > t->cap) {
    size_t newcap = t->cap ? t->cap : 64, j;
    struct slot *old = t->slots, *fresh;
    while ((t->used + 1) * 4 > newcap) { /* a quarter full after the rehash */
      newcap *= 2;
    }
    fresh = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, newcap * sizeof *fresh);
    if (fresh == NULL) {
      return -1;
    }
    for (j = 0; j < t->cap; j++) {
      if (old[j].state == 1) {
        size_t k = slot_hash(old[j].key, newcap);
        while (fresh[k].state != 0) {
          k = (k + 1) & (newcap - 1);
        }
        fresh[k] = old[j];
      }
    }
    if (old != NULL) {
      HeapFree(GetProcessHeap(), 0, old);
    }
    t->slots = fresh;
    t->cap = newcap;
    t->dead = 0;
  }
  for (i = slot_hash(key, t->cap); t->slots[i].state == 1; i = (i + 1) & (t->cap - 1)) {
  }
  if (t->slots[i].state == 2) {
    t->dead--;
  }
  t->slots[i].key = key;
  t->slots[i].kind = kind;
  t->slots[i].count = count;
  t->slots[i].state = 1;
  t->used++;
  return 0;
}

static void table_remove(struct table *t, struct slot *s) {
  s->state = 2;
  t->used--;
  t->dead++;
}

static void table_free(struct table *t) {
  if (t->slots != NULL) {
    HeapFree(GetProcessHeap(), 0, t->slots);
  }
  memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------- globals */

static enum lw__fh_dll g_dll;
static CRITICAL_SECTION g_lock;
static int g_lock_ready;
static HANDLE g_map;
static struct lw__fh_shared *g_shared;
static struct lw__fh_shared g_private; /* if the mapping cannot be made */
static struct lw_scenario *g_sc;
static int g_load_done;
static DWORD g_load_error;
static uint32_t g_start_step;
static struct table g_buffers, g_luids;
static WCHAR g_scenario_path[PATH_UNITS];
static WCHAR g_stats_path[PATH_UNITS];

/* ---------------------------------------------------------------- helpers */

size_t lw__fh_utf16(const char *utf8, WCHAR *out, size_t cap) {
  size_t len = strlen(utf8);
  int n;
  if (len == 0) {
    return 0;
  }
  if (cap > INT_MAX) {
    cap = INT_MAX;
  }
  n = MultiByteToWideChar(CP_UTF8, 0, utf8, (int)len, out, out ? (int)cap : 0);
  return n > 0 ? (size_t)n : 0;
}

/* UTF-16 to UTF-8 into a fixed buffer, always NUL-terminated. */
static void to_utf8(const WCHAR *w, char *out, size_t cap) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)cap, NULL, NULL);
  if (n <= 0) {
    out[0] = '\0';
  }
  out[cap - 1] = '\0';
}

LONGLONG lw__fh_filetime(int64_t unix_seconds) {
  return (LONGLONG)((unix_seconds + FILETIME_UNIX_OFFSET) * INT64_C(10000000));
}

/* Reads an environment variable; returns 1 when set and non-empty and it fits. */
static int get_env(const WCHAR *name, WCHAR *buf, DWORD cap) {
  DWORD n = GetEnvironmentVariableW(name, buf, cap);
  return n > 0 && n < cap;
}

/* Directory of the exe, with a trailing backslash, into buf. */
static int exe_dir(WCHAR *buf, DWORD cap) {
  DWORD n = GetModuleFileNameW(NULL, buf, cap);
  WCHAR *slash = NULL, *p;
  if (n == 0 || n >= cap) {
    return 0;
  }
  for (p = buf; *p; p++) {
    if (*p == L'\\' || *p == L'/') {
      slash = p;
    }
  }
  if (slash == NULL) {
    return 0;
  }
  slash[1] = L'\0';
  return 1;
}

static void write_stderr(const char *text) {
  HANDLE h = GetStdHandle(STD_ERROR_HANDLE);
  DWORD done;
  if (h != NULL && h != INVALID_HANDLE_VALUE) {
    WriteFile(h, text, (DWORD)strlen(text), &done, NULL);
  }
  OutputDebugStringA(text);
}

/* ---------------------------------------------------------------- attach / detach */

void lw__fh_attach(enum lw__fh_dll dll) {
  WCHAR name[64] = L"Local\\leakwatch-fakehost-";
  WCHAR digits[16];
  DWORD pid = GetCurrentProcessId();
  size_t n = 0, base = wcslen(name);
  int from_exe_dir = 0;

  g_dll = dll;
  InitializeCriticalSection(&g_lock);
  g_lock_ready = 1;
  do {
    digits[n++] = (WCHAR)(L'0' + pid % 10);
    pid /= 10;
  } while (pid != 0);
  while (n > 0) {
    name[base++] = digits[--n];
  }
  name[base] = L'\0';
  g_map = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                             (DWORD)sizeof(struct lw__fh_shared), name);
  if (g_map != NULL) {
    g_shared = MapViewOfFile(g_map, FILE_MAP_ALL_ACCESS, 0, 0, sizeof(struct lw__fh_shared));
  }
  if (g_shared == NULL) {
    g_shared = &g_private; /* counts still work; the step is then per DLL */
  }

  /* Paths only; the file itself is read on the first API call. */
  if (!get_env(L"LEAKWATCH_FAKEHOST", g_scenario_path, PATH_UNITS)) {
    if (exe_dir(g_scenario_path, PATH_UNITS - 16)) {
      wcscat(g_scenario_path, L"fakehost.yaml");
      from_exe_dir = 1;
    } else {
      wcscpy(g_scenario_path, L"fakehost.yaml");
    }
  }
  if (!get_env(L"LEAKWATCH_FAKEHOST_STATS", g_stats_path, PATH_UNITS)) {
    g_stats_path[0] = L'\0';
    if (from_exe_dir && exe_dir(g_stats_path, PATH_UNITS - 16)) {
      wcscat(g_stats_path, L"fakehost.stats");
    }
  }
}

void lw__fh_detach(int process_ending) {
  lw__fh_write_stats();
  if (process_ending) {
    return; /* other threads are gone, maybe mid-call: touch nothing else */
  }
  lw_scenario_free(g_sc);
  g_sc = NULL;
  table_free(&g_buffers);
  table_free(&g_luids);
  if (g_shared != NULL && g_shared != &g_private) {
    UnmapViewOfFile(g_shared);
  }
  g_shared = NULL;
  if (g_map != NULL) {
    CloseHandle(g_map);
  }
  g_map = NULL;
  if (g_lock_ready) {
    DeleteCriticalSection(&g_lock);
    g_lock_ready = 0;
  }
}

struct lw__fh_shared *lw__fh_shared(void) {
  return g_shared != NULL ? g_shared : &g_private;
}

/* ---------------------------------------------------------------- loading */

/* Reads the whole file into a heap buffer. Returns 0, or a Win32 error. */
static DWORD read_file(const WCHAR *path, char **data, size_t *len) {
  HANDLE h;
  LARGE_INTEGER size;
  DWORD rc = 0, got;
  size_t done = 0;
  *data = NULL;
  *len = 0;
  h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                  OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) {
    return GetLastError();
  }
  if (!GetFileSizeEx(h, &size) || size.QuadPart > 256 * 1024 * 1024) {
    rc = ERROR_INVALID_DATA;
    goto cleanup;
  }
  *data = malloc((size_t)size.QuadPart + 1);
  if (*data == NULL) {
    rc = ERROR_OUTOFMEMORY;
    goto cleanup;
  }
  while (done < (size_t)size.QuadPart) {
    if (!ReadFile(h, *data + done, (DWORD)((size_t)size.QuadPart - done), &got, NULL)) {
      rc = GetLastError();
      goto cleanup;
    }
    if (got == 0) {
      break;
    }
    done += got;
  }
  *len = done;
cleanup:
  CloseHandle(h);
  if (rc != 0) {
    free(*data);
    *data = NULL;
  }
  return rc;
}

/* Parses LEAKWATCH_FAKEHOST_STEP. Returns 0, or -1 when set but not a number. */
static int read_start_step(uint32_t *out) {
  WCHAR buf[32];
  uint64_t v = 0;
  size_t i;
  *out = 0;
  if (!get_env(L"LEAKWATCH_FAKEHOST_STEP", buf, 32)) {
    return 0;
  }
  for (i = 0; buf[i]; i++) {
    if (buf[i] < L'0' || buf[i] > L'9' || v > 4294967294u / 10) {
      return -1;
    }
    v = v * 10 + (uint64_t)(buf[i] - L'0');
  }
  if (i == 0 || v > 4294967294u) {
    return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

static void load(void) {
  struct lw__fh_shared *sh = lw__fh_shared();
  char path8[sizeof sh->scenario], err[sizeof sh->error];
  char *data = NULL;
  size_t len = 0;
  DWORD rc;
  int r;

  to_utf8(g_scenario_path, path8, sizeof path8);
  err[0] = '\0';
  rc = read_file(g_scenario_path, &data, &len);
  if (rc != 0) {
    snprintf(err, sizeof err,
             "%s: cannot read the scenario (Windows error %lu); set LEAKWATCH_FAKEHOST or put "
             "fakehost.yaml beside the exe",
             path8, (unsigned long)rc);
    g_load_error = rc == ERROR_PATH_NOT_FOUND   ? ERROR_FILE_NOT_FOUND
                   : rc == ERROR_FILE_NOT_FOUND ? ERROR_FILE_NOT_FOUND
                                                : ERROR_INVALID_DATA;
  } else if (read_start_step(&g_start_step) != 0) {
    snprintf(err, sizeof err, "LEAKWATCH_FAKEHOST_STEP: not a step number (0..4294967294)");
    g_load_error = ERROR_INVALID_DATA;
  } else {
    r = lw_scenario_load_buffer(path8, data, len, &g_sc, err, sizeof err);
    if (r != 0) {
      g_load_error = ERROR_INVALID_DATA;
    }
  }
  free(data);

  if (InterlockedCompareExchange(&sh->load_state, 3, 0) == 0) {
    memcpy(sh->scenario, path8, sizeof sh->scenario);
    memcpy(sh->error, err, sizeof sh->error);
    sh->error[sizeof sh->error - 1] = '\0';
    sh->steps = g_sc != NULL ? g_sc->steps : 0;
    sh->start_step = g_start_step;
    MemoryBarrier();
    sh->load_state = g_sc != NULL ? 1 : 2;
  }
  if (g_sc == NULL && InterlockedExchange(&sh->error_printed, 1) == 0) {
    char line[2300];
    snprintf(line, sizeof line,
             "%s\nfakehost: the simulated host has no scenario; every LSA and WTS call fails\n",
             err);
    write_stderr(line);
  }
}

const struct lw_scenario *lw__fh_scenario(DWORD *win32_error) {
  const struct lw_scenario *sc;
  EnterCriticalSection(&g_lock);
  if (!g_load_done) {
    load();
    g_load_done = 1;
  }
  sc = g_sc;
  *win32_error = g_load_error;
  LeaveCriticalSection(&g_lock);
  if (sc == NULL) {
    InterlockedIncrement64(&lw__fh_shared()->api_errors);
  }
  return sc;
}

/* ---------------------------------------------------------------- steps */

static uint32_t step_for(const struct lw_scenario *sc, LONG64 calls) {
  uint64_t step = (uint64_t)g_start_step + (uint64_t)(calls > 0 ? calls - 1 : 0);
  return lw_scenario_clamp_step(sc, step);
}

uint32_t lw__fh_current_step(const struct lw_scenario *sc) {
  return step_for(sc, lw__fh_shared()->lsa_enumerate_calls);
}

/* ---------------------------------------------------------------- faults */

enum fault { FAULT_NONE, FAULT_EXIT_THREAD, FAULT_HANG, FAULT_DELAY };
static volatile LONG g_fault_read;
static enum fault g_fault;
static int64_t g_fault_call;
static DWORD g_fault_delay_ms;

static void read_fault(void) {
  WCHAR path[PATH_UNITS];
  char text[64] = "";
  if (get_env(L"LEAKWATCH_FAKEHOST_FAULT", path, 64)) {
    WideCharToMultiByte(CP_UTF8, 0, path, -1, text, (int)sizeof text - 1, NULL, NULL);
  } else if (exe_dir(path, PATH_UNITS - 16)) {
    HANDLE f;
    DWORD got = 0;
    wcscat(path, L"fakehost.fault");
    f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (f != INVALID_HANDLE_VALUE) {
      if (ReadFile(f, text, (DWORD)sizeof text - 1, &got, NULL)) {
        text[got] = '\0';
      }
      CloseHandle(f);
    }
  }
  if (strncmp(text, "exit-thread ", 12) == 0) {
    g_fault = FAULT_EXIT_THREAD;
    g_fault_call = _atoi64(text + 12);
  } else if (strncmp(text, "hang ", 5) == 0) {
    g_fault = FAULT_HANG;
    g_fault_call = _atoi64(text + 5);
  } else if (strncmp(text, "delay ", 6) == 0) {
    char *end = NULL;
    g_fault = FAULT_DELAY;
    g_fault_call = strtoll(text + 6, &end, 10);
    g_fault_delay_ms = (DWORD)strtoul(end, NULL, 10);
  }
}

void lw__fh_fault(int64_t call) {
  if (InterlockedCompareExchange(&g_fault_read, 1, 0) == 0) {
    read_fault();
  }
  if (g_fault == FAULT_NONE || call != g_fault_call) {
    return;
  }
  if (g_fault == FAULT_DELAY) {
    Sleep(g_fault_delay_ms);
    return;
  }
  lw__fh_write_stats(); /* the test reads how far the host got */
  if (g_fault == FAULT_EXIT_THREAD) {
    ExitThread(0);
  }
  Sleep(INFINITE);
}

uint32_t lw__fh_next_step(const struct lw_scenario *sc) {
  int64_t call = InterlockedIncrement64(&lw__fh_shared()->lsa_enumerate_calls);
  lw__fh_fault(call);
  return step_for(sc, call);
}

/* ---------------------------------------------------------------- buffers */

void *lw__fh_alloc(size_t size, enum lw__fh_kind kind, uint32_t count) {
  struct lw__fh_shared *sh = lw__fh_shared();
  void *p = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, size ? size : 1);
  int rc;
  if (p == NULL) {
    return NULL;
  }
  EnterCriticalSection(&g_lock);
  rc = table_insert(&g_buffers, (uint64_t)(uintptr_t)p, (uint32_t)kind, count);
  LeaveCriticalSection(&g_lock);
  if (rc != 0) {
    HeapFree(GetProcessHeap(), 0, p);
    return NULL;
  }
  InterlockedIncrement64(g_dll == LW__FH_SECUR32 ? &sh->lsa_buffers_allocated
                                                 : &sh->wts_buffers_allocated);
  return p;
}

int lw__fh_free(void *p, enum lw__fh_kind kind, int check_count, uint32_t count) {
  struct lw__fh_shared *sh = lw__fh_shared();
  struct slot *s;
  int ours = 0, right = 0;
  if (p == NULL) {
    return 1;
  }
  EnterCriticalSection(&g_lock);
  s = table_lookup(&g_buffers, (uint64_t)(uintptr_t)p);
  if (s != NULL) {
    ours = 1;
    right = s->kind == (uint32_t)kind && (!check_count || s->count == count);
    table_remove(&g_buffers, s);
  }
  LeaveCriticalSection(&g_lock);
  if (ours) {
    HeapFree(GetProcessHeap(), 0, p);
    InterlockedIncrement64(g_dll == LW__FH_SECUR32 ? &sh->lsa_buffers_freed
                                                   : &sh->wts_buffers_freed);
  }
  if (!right) {
    InterlockedIncrement64(g_dll == LW__FH_SECUR32 ? &sh->lsa_bad_frees : &sh->wts_bad_frees);
  }
  return right;
}

int lw__fh_note_luid(uint64_t luid) {
  int seen;
  EnterCriticalSection(&g_lock);
  seen = table_lookup(&g_luids, luid) != NULL;
  if (!seen) {
    (void)table_insert(&g_luids, luid, 0, 0); /* out of memory: only a missed repeat */
  }
  LeaveCriticalSection(&g_lock);
  return seen;
}

/* ---------------------------------------------------------------- stats */

/* One `key=value` line per counter; the keys are a stable interface used by
 * tests (tests/fakehost/README.md). */
void lw__fh_write_stats(void) {
  struct lw__fh_shared *sh = lw__fh_shared();
  WCHAR tmp[PATH_UNITS + 64];
  char text[8192];
  size_t o = 0;
  HANDLE h;
  DWORD done;
  LONG state = sh->load_state;
  LONG64 calls = sh->lsa_enumerate_calls;
  uint64_t step = 0;
  long long la = sh->lsa_buffers_allocated, lf = sh->lsa_buffers_freed;
  long long wa = sh->wts_buffers_allocated, wf = sh->wts_buffers_freed;

  if (g_stats_path[0] == L'\0' || wcslen(g_stats_path) > PATH_UNITS - 64) {
    return;
  }
  MemoryBarrier();
  if (state == 1 && sh->steps > 0) {
    step = (uint64_t)sh->start_step + (uint64_t)(calls > 0 ? calls - 1 : 0);
    if (step >= sh->steps) {
      step = sh->steps - 1;
    }
  }
#define LINE(...)                                                                                  \
  do {                                                                                             \
    int n_ = snprintf(text + o, sizeof text - o, __VA_ARGS__);                                     \
    if (n_ > 0 && (size_t)n_ < sizeof text - o) {                                                  \
      o += (size_t)n_;                                                                             \
    }                                                                                              \
  } while (0)
  LINE("status=%s\n", state == 1 ? "ok" : state == 2 ? "error" : "unloaded");
  if (state == 1 || state == 2) {
    LINE("scenario=%s\n", sh->scenario);
  }
  if (state == 2) {
    LINE("error=%s\n", sh->error);
  }
  LINE("steps=%lu\n", (unsigned long)(state == 1 ? sh->steps : 0));
  LINE("start_step=%lu\n", (unsigned long)(state == 1 ? sh->start_step : 0));
  LINE("step=%llu\n", (unsigned long long)step);
  LINE("lsa_enumerate_calls=%lld\n", (long long)calls);
  LINE("lsa_data_calls=%lld\n", (long long)sh->lsa_data_calls);
  LINE("lsa_repeat_data_calls=%lld\n", (long long)sh->lsa_repeat_data_calls);
  LINE("lsa_data_failed=%lld\n", (long long)sh->lsa_data_failed);
  LINE("lsa_data_unknown=%lld\n", (long long)sh->lsa_data_unknown);
  LINE("lsa_buffers_allocated=%lld\n", la);
  LINE("lsa_buffers_freed=%lld\n", lf);
  LINE("lsa_buffers_outstanding=%lld\n", la - lf);
  LINE("lsa_bad_frees=%lld\n", (long long)sh->lsa_bad_frees);
  LINE("wts_enumerate_calls=%lld\n", (long long)sh->wts_enumerate_calls);
  LINE("wts_enumerate_ex_calls=%lld\n", (long long)sh->wts_enumerate_ex_calls);
  LINE("wts_query_calls=%lld\n", (long long)sh->wts_query_calls);
  LINE("wts_query_failed=%lld\n", (long long)sh->wts_query_failed);
  LINE("wts_buffers_allocated=%lld\n", wa);
  LINE("wts_buffers_freed=%lld\n", wf);
  LINE("wts_buffers_outstanding=%lld\n", wa - wf);
  LINE("wts_bad_frees=%lld\n", (long long)sh->wts_bad_frees);
  LINE("bad_frees=%lld\n", (long long)(sh->lsa_bad_frees + sh->wts_bad_frees));
  LINE("api_errors=%lld\n", (long long)sh->api_errors);
#undef LINE

  /* Written beside and renamed over, so a reader never sees half a file. */
  wcscpy(tmp, g_stats_path);
  wcscat(tmp, g_dll == LW__FH_SECUR32 ? L".secur32.tmp" : L".wtsapi32.tmp");
  h = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) {
    return;
  }
  if (!WriteFile(h, text, (DWORD)o, &done, NULL) || done != o) {
    CloseHandle(h);
    DeleteFileW(tmp);
    return;
  }
  CloseHandle(h);
  if (!MoveFileExW(tmp, g_stats_path, MOVEFILE_REPLACE_EXISTING)) {
    DeleteFileW(tmp);
  }
}
