/*
 * holder_scan.c - the Windows half of the holder scan (see holder_scan.h):
 * the handle table, the object types, SeDebugPrivilege, and the probe that
 * opens processes and reads their Token and Process handles for
 * common/holders.c's walk. Also the system table of OS functions.
 *
 * Handle discipline: the scan holds at most, at one time, our own token (for
 * SeDebugPrivilege, the whole scan), one owner process, one duplicated handle
 * and, for an exited process, its token, plus the SCM handle while services
 * are listed. Each is closed in the function that opened it, on every path.
 */
#include <windows.h>
#include <winternl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "holder_scan.h"
#include "luid.h"
#include "snapshot.h"
#include "timefmt.h"
#include "win_error.h"
#include "winutf.h"

/* The handle table is read in place as struct lw_handle_entry (x64 layout). */
_Static_assert(sizeof(ULONG_PTR) == 8, "the holder scan reads the x64 handle table layout");

#define SYSTEM_EXTENDED_HANDLE_INFORMATION 64u
#define OBJECT_TYPES_INFORMATION 3u

/* First handle-table buffer (grows on STATUS_INFO_LENGTH_MISMATCH, kept). */
#define TABLE_INITIAL_BYTES (1u << 20)
/* 25 million handles; more is a broken answer, not a host. */
#define TABLE_MAX_BYTES (1024u * 1024u * 1024u)
#define TABLE_ATTEMPTS 12
#define TYPES_INITIAL_BYTES (16u * 1024u)
#define TYPES_MAX_BYTES (4u * 1024u * 1024u)
/* QueryFullProcessImageNameW's longest answer, in WCHARs. */
#define IMAGE_CHARS 32768u
#define SERVICES_BUFFER_BYTES (64u * 1024u)
#define SERVICES_MAX_BYTES (256u * 1024u) /* EnumServicesStatusEx's own limit */

/* OBJECT_TYPE_INFORMATION (ntdll), as NtQueryObject(ObjectTypesInformation)
 * lists them. TypeIndex exists since Windows 8.1 (earlier: position + 2). */
struct object_type_info {
  UNICODE_STRING name;
  ULONG counts[12];
  ULONG invalid_attributes;
  GENERIC_MAPPING mapping;
  ULONG valid_access_mask;
  BOOLEAN security_required;
  BOOLEAN maintain_handle_count;
  UCHAR type_index;
  CHAR reserved_byte;
  ULONG pool_type;
  ULONG default_paged_pool_charge;
  ULONG default_non_paged_pool_charge;
};

/* ---- The system table ----------------------------------------------------- */

typedef NTSTATUS(NTAPI *query_system_information_fn)(ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS(NTAPI *query_object_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);

static NTSTATUS NTAPI missing_query_system_information(ULONG c, PVOID b, ULONG l, PULONG r) {
  (void)c, (void)b, (void)l, (void)r;
  return (NTSTATUS)LW_STATUS_NOT_IMPLEMENTED;
}

static NTSTATUS NTAPI missing_query_object(HANDLE h, ULONG c, PVOID b, ULONG l, PULONG r) {
  (void)h, (void)c, (void)b, (void)l, (void)r;
  return (NTSTATUS)LW_STATUS_NOT_IMPLEMENTED;
}

static struct lw_holder_api system_api = {
    missing_query_system_information,
    missing_query_object,
    GetCurrentProcess,
    GetCurrentProcessId,
    OpenProcess,
    DuplicateHandle,
    CloseHandle,
    GetTokenInformation,
    OpenProcessToken,
    QueryFullProcessImageNameW,
    GetExitCodeProcess,
    GetProcessId,
    LookupPrivilegeValueW,
    AdjustTokenPrivileges,
    OpenSCManagerW,
    EnumServicesStatusExW,
    CloseServiceHandle,
    GetTickCount64,
};
static INIT_ONCE system_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK resolve_ntdll(PINIT_ONCE once, PVOID param, PVOID *context) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  (void)once, (void)param, (void)context;
  if (ntdll != NULL) {
    /* Through void (*)(void): FARPROC's type is not the function's. */
    void (*qsi)(void) = (void (*)(void))GetProcAddress(ntdll, "NtQuerySystemInformation");
    void (*qo)(void) = (void (*)(void))GetProcAddress(ntdll, "NtQueryObject");
    if (qsi != NULL)
      system_api.query_system_information = (query_system_information_fn)qsi;
    if (qo != NULL)
      system_api.query_object = (query_object_fn)qo;
  }
  return TRUE;
}

const struct lw_holder_api *lw_holder_api_system(void) {
  InitOnceExecuteOnce(&system_once, resolve_ntdll, NULL, NULL);
  return &system_api;
}

/* ---- The scanner ------------------------------------------------------------ */

struct service_pid {
  uint32_t pid;
  char *name;
};

struct lw_holder_scanner {
  const struct lw_holder_api *api;
  struct lw_holders_matcher *matcher;
  void *table; /* the handle table, kept between scans */
  ULONG table_bytes;
  bool types_named;   /* resolved by name (once) */
  bool types_checked; /* checked against our own token handle (once) */
  struct lw_holders_types named, types;
  WCHAR *wide; /* IMAGE_CHARS, for image paths */
  char error[512];

  /* One scan's probe state. */
  HANDLE process; /* the owner process open now, or NULL */
  uint32_t pid;
  ULONGLONG deadline; /* 0: none */
  char *image;        /* the probe's last image string */
  char *services;     /* the probe's last services string */
  struct service_pid *svcs;
  size_t n_svcs;
  bool svcs_loaded;

  /* What the scan is doing now (enum activity) and the PID it is on, written
   * by the scanning thread and read by another one (lw_holder_scan_activity)
   * when a scan does not return: plain interlocked LONGs, no lock. */
  volatile LONG activity;
  volatile LONG activity_pid;
};

enum activity {
  ACT_IDLE = 0,
  ACT_PRIVILEGE, /* enabling SeDebugPrivilege */
  ACT_TYPES,     /* NtQueryObject(ObjectTypesInformation) */
  ACT_TABLE,     /* NtQuerySystemInformation(SystemExtendedHandleInformation) */
  ACT_PROCESS,   /* opening and reading the handles of one process */
  ACT_SERVICES,  /* EnumServicesStatusExW */
  ACT_RESTORE    /* restoring SeDebugPrivilege */
};

static void set_activity(struct lw_holder_scanner *s, enum activity a, uint32_t pid) {
  InterlockedExchange(&s->activity_pid, (LONG)pid);
  InterlockedExchange(&s->activity, (LONG)a);
}

static int fail(struct lw_holder_scanner *s, int code, const char *what, unsigned long os_code,
                bool ntstatus) {
  if (ntstatus)
    snprintf(s->error, sizeof s->error, "%s failed with NTSTATUS 0x%08lX", what, os_code);
  else
    snprintf(s->error, sizeof s->error, "%s failed with Win32 error %lu", what, os_code);
  return code;
}

int lw_holder_scanner_open(const struct lw_holder_api *api, struct lw_holder_scanner **out) {
  struct lw_holder_scanner *s;
  if (out == NULL)
    return LW_EINVAL;
  *out = NULL;
  s = calloc(1, sizeof *s);
  if (s == NULL)
    return LW_ENOMEM;
  s->api = api != NULL ? api : lw_holder_api_system();
  s->wide = malloc(IMAGE_CHARS * sizeof *s->wide);
  if (s->wide == NULL || lw_holders_matcher_new(&s->matcher) != 0) {
    free(s->wide);
    free(s);
    return LW_ENOMEM;
  }
  *out = s;
  return 0;
}

void lw_holder_scanner_close(struct lw_holder_scanner *s) {
  if (s == NULL)
    return;
  lw_holders_matcher_free(s->matcher);
  free(s->table);
  free(s->wide);
  free(s);
}

const char *lw_holder_scan_error(const struct lw_holder_scanner *s) {
  return s != NULL ? s->error : "";
}

void lw_holder_scan_activity(const struct lw_holder_scanner *s, char *buf, size_t size) {
  static const char *const what[] = {
      "not scanning",
      "enabling SeDebugPrivilege",
      "listing object types (NtQueryObject)",
      "reading the system handle table (NtQuerySystemInformation)",
      "reading the handles of process",
      "listing services (EnumServicesStatusExW)",
      "restoring SeDebugPrivilege",
  };
  if (buf == NULL || size == 0)
    return;
  LONG a = s != NULL ? InterlockedCompareExchange((volatile LONG *)&s->activity, 0, 0) : 0;
  LONG pid = s != NULL ? InterlockedCompareExchange((volatile LONG *)&s->activity_pid, 0, 0) : 0;
  if (a < 0 || (size_t)a >= sizeof what / sizeof what[0])
    a = 0;
  if (a == ACT_PROCESS)
    snprintf(buf, size, "%s %lu", what[a], (unsigned long)pid);
  else
    snprintf(buf, size, "%s", what[a]);
}

struct lw_holders_types lw_holder_scan_types(const struct lw_holder_scanner *s) {
  struct lw_holders_types none = {0, 0};
  return s != NULL && s->types_named ? s->types : none;
}

/* ---- Object types ------------------------------------------------------------ */

static bool name_is(const UNICODE_STRING *name, const WCHAR *want) {
  size_t n = wcslen(want);
  return name->Length == n * sizeof(WCHAR) && memcmp(name->Buffer, want, name->Length) == 0;
}

/* Finds the Token and Process types by name in NtQueryObject's list. Every
 * offset and name is checked against the bytes returned. */
static int parse_types(struct lw_holder_scanner *s, const unsigned char *buf, size_t len) {
  const size_t align = sizeof(void *);
  size_t off = (sizeof(ULONG) + align - 1) & ~(align - 1);
  ULONG count, i;
  memset(&s->named, 0, sizeof s->named);
  if (len < sizeof(ULONG))
    return LW_ECORRUPT;
  memcpy(&count, buf, sizeof count);
  for (i = 0; i < count && off + sizeof(struct object_type_info) <= len; i++) {
    struct object_type_info info;
    const unsigned char *name;
    unsigned index;
    memcpy(&info, buf + off, sizeof info);
    name = (const unsigned char *)info.name.Buffer;
    index = info.type_index != 0 ? info.type_index : (unsigned)i + 2u;
    if (name >= buf && name <= buf + len && info.name.Length <= (size_t)(buf + len - name) &&
        index <= 0xFFFFu) {
      if (name_is(&info.name, L"Token"))
        s->named.token = (uint16_t)index;
      else if (name_is(&info.name, L"Process"))
        s->named.process = (uint16_t)index;
    }
    off += sizeof info + (((size_t)info.name.MaximumLength + align - 1) & ~(align - 1));
  }
  return s->named.token != 0 ? 0 : LW_EUNKNOWN;
}

static bool too_small(NTSTATUS st) {
  return st == (NTSTATUS)LW_STATUS_INFO_LENGTH_MISMATCH ||
         st == (NTSTATUS)LW_STATUS_BUFFER_OVERFLOW || st == (NTSTATUS)LW_STATUS_BUFFER_TOO_SMALL;
}

static int resolve_types(struct lw_holder_scanner *s) {
  ULONG size = TYPES_INITIAL_BYTES, got = 0;
  unsigned char *buf = NULL;
  NTSTATUS st = (NTSTATUS)LW_STATUS_INFO_LENGTH_MISMATCH;
  int rc;
  while (too_small(st) && size <= TYPES_MAX_BYTES) {
    free(buf);
    buf = malloc(size);
    if (buf == NULL) {
      rc = LW_ENOMEM;
      goto cleanup;
    }
    got = 0;
    st = s->api->query_object(NULL, OBJECT_TYPES_INFORMATION, buf, size, &got);
    if (too_small(st))
      size = got > size ? got + 1024u : size * 2u;
  }
  if (!NT_SUCCESS(st)) {
    rc = fail(s, LW_EOS, "NtQueryObject(ObjectTypesInformation)", (unsigned long)st, true);
    goto cleanup;
  }
  rc = parse_types(s, buf, got != 0 && got < size ? got : size);
  if (rc != 0) {
    snprintf(s->error, sizeof s->error,
             "NtQueryObject(ObjectTypesInformation) lists no \"Token\" object type");
    rc = LW_EUNKNOWN;
    goto cleanup;
  }
  s->types = s->named;
  s->types_named = true;

cleanup:
  free(buf);
  return rc;
}

/* Our own token handle in the table says which index Token handles really
 * carry. Windows agrees with the type list; Wine's table is 2 lower. The
 * difference applies to Process too (one numbering). */
static void check_types(struct lw_holder_scanner *s, const struct lw_handle_entry *e, size_t n,
                        uint32_t self, HANDLE own_token) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (e[i].pid == self && e[i].handle == (uint64_t)(ULONG_PTR)own_token) {
      int shift = (int)e[i].type_index - (int)s->named.token;
      int process = (int)s->named.process + shift;
      s->types.token = e[i].type_index;
      s->types.process =
          s->named.process != 0 && process > 0 && process <= 0xFFFF ? (uint16_t)process : 0;
      s->types_checked = true;
      return;
    }
  }
}

/* ---- The handle table ---------------------------------------------------------- */

static int read_table(struct lw_holder_scanner *s, const struct lw_handle_entry **entries,
                      size_t *n) {
  const size_t header = 2 * sizeof(ULONG_PTR);
  ULONG_PTR count = 0;
  NTSTATUS st = (NTSTATUS)LW_STATUS_INFO_LENGTH_MISMATCH;
  int attempt;
  for (attempt = 0; attempt < TABLE_ATTEMPTS; attempt++) {
    ULONG got = 0;
    if (s->table == NULL) {
      s->table_bytes = s->table_bytes != 0 ? s->table_bytes : TABLE_INITIAL_BYTES;
      s->table = malloc(s->table_bytes);
      if (s->table == NULL) {
        s->table_bytes = 0;
        return fail(s, LW_ENOMEM, "allocating the handle table buffer", 0, false);
      }
    }
    st = s->api->query_system_information(SYSTEM_EXTENDED_HANDLE_INFORMATION, s->table,
                                          s->table_bytes, &got);
    if (!too_small(st))
      break;
    {
      /* Handles come and go between two calls: ask for a quarter more. */
      ULONG want = got > s->table_bytes ? got : s->table_bytes;
      if (want > TABLE_MAX_BYTES / 2)
        return fail(s, LW_ENOMEM, "NtQuerySystemInformation(SystemExtendedHandleInformation)",
                    (unsigned long)st, true);
      want = got > s->table_bytes ? want + want / 4u : want * 2u;
      free(s->table); /* no copy: the content is useless */
      s->table = NULL;
      s->table_bytes = want;
    }
  }
  /* Denied here means this process lacks SeDebugPrivilege or administrative
   * rights: LW_ENOPRIV, which `holders` explains with its own message. */
  if (lw_error_from_ntstatus((uint32_t)st) == LW_EACCES)
    return fail(s, LW_ENOPRIV, "NtQuerySystemInformation(SystemExtendedHandleInformation)",
                (unsigned long)st, true);
  if (!NT_SUCCESS(st))
    return fail(s, LW_EOS, "NtQuerySystemInformation(SystemExtendedHandleInformation)",
                (unsigned long)st, true);
  if (s->table_bytes < header)
    return fail(s, LW_EOS, "NtQuerySystemInformation(SystemExtendedHandleInformation)", 0, true);
  memcpy(&count, s->table, sizeof count);
  if (count > (s->table_bytes - header) / sizeof(struct lw_handle_entry))
    count = (s->table_bytes - header) / sizeof(struct lw_handle_entry);
  *entries =
      (const struct lw_handle_entry *)(const void *)((const unsigned char *)s->table + header);
  *n = (size_t)count;
  return 0;
}

/* ---- SeDebugPrivilege ------------------------------------------------------- */

struct privilege {
  HANDLE token; /* our own process token, or NULL */
  TOKEN_PRIVILEGES previous;
  bool enabled; /* enabled for the scan */
  bool changed; /* by us: to be restored */
};

static void debug_enable(struct lw_holder_scanner *s, struct privilege *p) {
  const struct lw_holder_api *api = s->api;
  TOKEN_PRIVILEGES tp;
  DWORD len = 0;
  memset(p, 0, sizeof *p);
  if (!api->open_process_token(api->get_current_process(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY,
                               &p->token)) {
    p->token = NULL;
    return;
  }
  tp.PrivilegeCount = 1;
  tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
  if (!api->lookup_privilege_value(NULL, L"SeDebugPrivilege", &tp.Privileges[0].Luid))
    return;
  SetLastError(ERROR_SUCCESS);
  if (!api->adjust_token_privileges(p->token, FALSE, &tp, sizeof p->previous, &p->previous, &len))
    return;
  /* TRUE with ERROR_NOT_ALL_ASSIGNED: the token does not hold it. */
  if (GetLastError() == ERROR_SUCCESS) {
    p->enabled = true;
    p->changed = p->previous.PrivilegeCount > 0; /* 0: it was enabled already */
  }
}

/* Puts the privilege back as it was and closes our token. */
static void debug_restore(struct lw_holder_scanner *s, struct privilege *p) {
  if (p->changed)
    s->api->adjust_token_privileges(p->token, FALSE, &p->previous, 0, NULL, NULL);
  if (p->token != NULL)
    s->api->close_handle(p->token);
  p->token = NULL;
}

/* ---- Services ------------------------------------------------------------------ */

static int cmp_service(const void *a, const void *b) {
  const struct service_pid *x = a, *y = b;
  if (x->pid != y->pid)
    return x->pid < y->pid ? -1 : 1;
  return strcmp(x->name, y->name);
}

static void free_services(struct lw_holder_scanner *s) {
  size_t i;
  for (i = 0; i < s->n_svcs; i++)
    free(s->svcs[i].name);
  free(s->svcs);
  s->svcs = NULL;
  s->n_svcs = 0;
  s->svcs_loaded = false;
}

static int add_services(struct lw_holder_scanner *s, const ENUM_SERVICE_STATUS_PROCESSW *v,
                        DWORD n) {
  struct service_pid *p;
  DWORD i;
  if (n == 0)
    return 0;
  p = realloc(s->svcs, (s->n_svcs + n) * sizeof *p);
  if (p == NULL)
    return LW_ENOMEM;
  s->svcs = p;
  for (i = 0; i < n; i++) {
    char *name = lw_utf8_from_wide(v[i].lpServiceName);
    if (name == NULL)
      return LW_ENOMEM;
    s->svcs[s->n_svcs].pid = v[i].ServiceStatusProcess.dwProcessId;
    s->svcs[s->n_svcs].name = name;
    s->n_svcs++;
  }
  return 0;
}

/* The PID -> services map of the running Win32 services, loaded at most once
 * per scan, when the first holder is described. A failure leaves it empty
 * (holders are then shown without services). */
static void load_services(struct lw_holder_scanner *s) {
  set_activity(s, ACT_SERVICES, 0);
  const struct lw_holder_api *api = s->api;
  SC_HANDLE scm;
  DWORD size = SERVICES_BUFFER_BYTES, resume = 0;
  unsigned char *buf = NULL;
  s->svcs_loaded = true;
  scm = api->open_sc_manager(NULL, NULL, SC_MANAGER_ENUMERATE_SERVICE);
  if (scm == NULL)
    return;
  buf = malloc(size);
  while (buf != NULL) {
    DWORD needed = 0, returned = 0;
    BOOL ok = api->enum_services_status_ex(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_ACTIVE,
                                           buf, size, &needed, &returned, &resume, NULL);
    DWORD err = ok ? ERROR_SUCCESS : GetLastError();
    if ((ok || err == ERROR_MORE_DATA) &&
        add_services(s, (const ENUM_SERVICE_STATUS_PROCESSW *)(const void *)buf, returned) != 0)
      break;
    if (ok || err != ERROR_MORE_DATA)
      break;
    if (returned == 0) { /* not even one fits: a bigger buffer */
      unsigned char *bigger;
      if (needed <= size || needed > SERVICES_MAX_BYTES)
        break;
      bigger = realloc(buf, needed);
      if (bigger == NULL)
        break;
      buf = bigger;
      size = needed;
    }
  }
  free(buf);
  api->close_service_handle(scm);
  if (s->n_svcs > 0)
    qsort(s->svcs, s->n_svcs, sizeof *s->svcs, cmp_service);
}

/* "A, B" for the services in `pid`, malloc'd, or NULL (none, or no memory). */
static char *services_of(const struct lw_holder_scanner *s, uint32_t pid) {
  size_t i, first = s->n_svcs, len = 0;
  char *text, *p;
  for (i = 0; i < s->n_svcs; i++) {
    if (s->svcs[i].pid == pid) {
      if (first == s->n_svcs)
        first = i;
      len += strlen(s->svcs[i].name) + 2;
    }
  }
  if (len == 0 || (text = malloc(len)) == NULL)
    return NULL;
  p = text;
  for (i = first; i < s->n_svcs && s->svcs[i].pid == pid; i++) {
    size_t n = strlen(s->svcs[i].name);
    if (p != text) {
      memcpy(p, ", ", 2);
      p += 2;
    }
    memcpy(p, s->svcs[i].name, n);
    p += n;
  }
  *p = '\0';
  return text;
}

/* ---- The probe -------------------------------------------------------------------- */

/* A probe's failure: the translator's code, except the two errors that mean,
 * for these calls, that the process or handle is gone (LW_EGONE). */
static int from_win32(DWORD err) {
  switch (err) {
  case ERROR_INVALID_PARAMETER: /* OpenProcess: no such process (any more) */
  case ERROR_INVALID_HANDLE:    /* DuplicateHandle: closed since the enumeration */
    return LW_EGONE;
  default:
    return lw_error_from_win32(err);
  }
}

/* The image path of a process handle, into s->image (replacing the last). */
static const char *image_of(struct lw_holder_scanner *s, HANDLE process) {
  DWORD chars = IMAGE_CHARS;
  free(s->image);
  s->image = NULL;
  if (s->api->query_full_process_image_name(process, 0, s->wide, &chars) && chars < IMAGE_CHARS) {
    s->wide[chars] = L'\0';
    s->image = lw_utf8_from_wide(s->wide);
  }
  return s->image;
}

static int p_open_process(void *ctx, uint32_t pid) {
  struct lw_holder_scanner *s = ctx;
  set_activity(s, ACT_PROCESS, pid);
  /* PROCESS_DUP_HANDLE to read its handles; QUERY_LIMITED for its image. */
  s->process =
      s->api->open_process(PROCESS_DUP_HANDLE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (s->process == NULL)
    return from_win32(GetLastError());
  s->pid = pid;
  return 0;
}

static void p_close_process(void *ctx) {
  struct lw_holder_scanner *s = ctx;
  if (s->process != NULL)
    s->api->close_handle(s->process);
  s->process = NULL;
}

/* Duplicates `handle` of the open process into ours with exactly `access`. */
static int duplicate(struct lw_holder_scanner *s, uint64_t handle, DWORD access, HANDLE *out) {
  *out = NULL;
  if (!s->api->duplicate_handle(s->process, (HANDLE)(ULONG_PTR)handle,
                                s->api->get_current_process(), out, access, FALSE, 0)) {
    *out = NULL;
    return from_win32(GetLastError());
  }
  return 0;
}

static int read_statistics(struct lw_holder_scanner *s, HANDLE token, uint64_t *luid,
                           uint32_t *type) {
  TOKEN_STATISTICS ts;
  DWORD len = 0;
  if (!s->api->get_token_information(token, TokenStatistics, &ts, sizeof ts, &len))
    return from_win32(GetLastError());
  *luid = lw_luid_from_parts(ts.AuthenticationId.HighPart, ts.AuthenticationId.LowPart);
  if (type != NULL)
    *type = (uint32_t)ts.TokenType;
  return 0;
}

static int p_read_token(void *ctx, uint64_t handle, uint64_t *luid, uint32_t *type) {
  struct lw_holder_scanner *s = ctx;
  HANDLE dup;
  int rc = duplicate(s, handle, TOKEN_QUERY, &dup);
  if (rc != 0)
    return rc;
  rc = read_statistics(s, dup, luid, type);
  s->api->close_handle(dup);
  return rc;
}

static int p_read_process(void *ctx, uint64_t handle, struct lw_holders_target *t) {
  struct lw_holder_scanner *s = ctx;
  HANDLE dup = NULL, token = NULL;
  DWORD code = 0;
  int rc = duplicate(s, handle, PROCESS_QUERY_LIMITED_INFORMATION, &dup);
  if (rc != 0)
    return rc;
  if (!s->api->get_exit_code_process(dup, &code)) {
    rc = from_win32(GetLastError());
    goto cleanup;
  }
  t->pid = s->api->get_process_id(dup);
  t->exited = code != STILL_ACTIVE;
  if (!t->exited)
    goto cleanup;
  /* An exited process keeps its primary token while its object lives. */
  if (!s->api->open_process_token(dup, TOKEN_QUERY, &token)) {
    token = NULL;
    rc = from_win32(GetLastError());
    goto cleanup;
  }
  rc = read_statistics(s, token, &t->luid, NULL);
  if (rc == 0)
    t->image = image_of(s, dup);

cleanup:
  if (token != NULL)
    s->api->close_handle(token);
  s->api->close_handle(dup);
  return rc;
}

static int p_describe(void *ctx, const char **image, const char **services) {
  struct lw_holder_scanner *s = ctx;
  *image = image_of(s, s->process);
  if (!s->svcs_loaded)
    load_services(s);
  free(s->services);
  s->services = services_of(s, s->pid);
  *services = s->services;
  return 0;
}

static bool p_expired(void *ctx) {
  const struct lw_holder_scanner *s = ctx;
  return s->deadline != 0 && s->api->get_tick_count64() >= s->deadline;
}

/* ---- One scan ------------------------------------------------------------------ */

static int64_t now_ms(void) {
  FILETIME ft;
  GetSystemTimeAsFileTime(&ft);
  return lw_time_from_filetime((int64_t)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime));
}

int lw_holder_scan_run(struct lw_holder_scanner *s, const uint64_t *luids, size_t n,
                       uint32_t deadline_ms, struct lw_holders_result **out) {
  struct lw_holders_result *res = NULL;
  struct privilege priv;
  const struct lw_handle_entry *entries = NULL;
  size_t n_entries = 0;
  ULONGLONG t0;
  uint32_t self;
  int rc;
  struct lw_holders_probe probe = {NULL,       p_open_process,  p_read_token, p_read_process,
                                   p_describe, p_close_process, p_expired};

  memset(&priv, 0, sizeof priv);
  if (s == NULL || out == NULL)
    return LW_EINVAL;
  *out = NULL;
  s->error[0] = '\0';
  rc = lw_holders_result_new(&res);
  if (rc != 0)
    return fail(s, rc, "allocating the scan result", 0, false);
  res->scanned_at = now_ms();
  if (luids != NULL && n == 0)
    goto cleanup; /* nothing to look for */

  t0 = s->api->get_tick_count64();
  s->deadline = deadline_ms != 0 ? t0 + deadline_ms : 0;
  self = s->api->get_current_process_id();
  probe.ctx = s;

  /* Our token stays open for the whole scan: SeDebugPrivilege is restored
   * through it, and its handle-table entry checks the Token type index. */
  set_activity(s, ACT_PRIVILEGE, 0);
  debug_enable(s, &priv);
  if (!s->types_named) {
    set_activity(s, ACT_TYPES, 0);
    rc = resolve_types(s);
    if (rc != 0)
      goto cleanup;
  }
  set_activity(s, ACT_TABLE, 0);
  rc = read_table(s, &entries, &n_entries);
  if (rc != 0)
    goto cleanup;
  if (!s->types_checked && priv.token != NULL)
    check_types(s, entries, n_entries, self, priv.token);

  rc = lw_holders_match(s->matcher, entries, n_entries, &s->types, self, luids, n, &probe, res);
  if (rc != 0)
    fail(s, rc, "matching the handles (out of memory)", 0, false);
  res->cost.buffer_bytes = s->table_bytes;
  res->cost.elapsed_ms = (uint32_t)(s->api->get_tick_count64() - t0);

cleanup:
  res->cost.debug_privilege = priv.enabled;
  set_activity(s, ACT_RESTORE, 0);
  debug_restore(s, &priv);
  p_close_process(s); /* already closed by the walk; kept as the rule */
  free_services(s);
  free(s->image);
  free(s->services);
  s->image = s->services = NULL;
  if (rc != 0) {
    lw_holders_result_free(res);
    res = NULL;
  }
  set_activity(s, ACT_IDLE, 0);
  *out = res;
  return rc;
}
