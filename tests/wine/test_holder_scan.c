/*
 * Tests for service/os/holder_scan.c through its OS table (struct
 * lw_holder_api) filled with fakes over a synthetic host: processes, their
 * handles, tokens and services. Covers: the object types resolved by name
 * (indices that differ between hosts, the pre-8.1 list, Wine's shifted
 * table), a process exiting mid-scan (OpenProcess fails), a handle closed
 * between enumeration and duplication (DuplicateHandle fails), protected
 * processes, STATUS_INFO_LENGTH_MISMATCH growth and the buffer kept between
 * scans, 1,000,000 handle entries, the deadline, SeDebugPrivilege enabled
 * only during the scan, and every handle the fakes hand out closed exactly
 * once (each fake handle is tracked from open to close).
 */
#include <windows.h>
#include <winternl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "holder_api_count.h"
#include "holder_scan.h"
#include "holders.h"

#define SELF_PID 4242u
#define CURRENT ((HANDLE)(LONG_PTR)-1)
#define LUID_A UINT64_C(0x0000000000a1b2c3)
#define LUID_B UINT64_C(0x0000000000b00000)
#define ST_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)
#define ST_ACCESS_DENIED ((NTSTATUS)0xC0000022L)

/* ---- The synthetic host -------------------------------------------------------- */

enum { H_OTHER, H_TOKEN, H_PROCESS };

struct fake_handle { /* an entry of the handle table */
  uint32_t pid;
  int kind;
  uint64_t luid;   /* H_TOKEN */
  DWORD type;      /* H_TOKEN: TokenPrimary / TokenImpersonation */
  uint32_t target; /* H_PROCESS */
  bool closed_after_enum;
};

struct fake_proc {
  uint32_t pid;
  DWORD open_error; /* 0: opens */
  const wchar_t *image;
  bool exited;   /* exited, kept alive by handles */
  uint64_t luid; /* of its primary token */
};

struct fake_type {
  const wchar_t *name;
  UCHAR index_field; /* OBJECT_TYPE_INFORMATION.TypeIndex (0 before 8.1) */
};

struct fake_service {
  const wchar_t *name;
  uint32_t pid;
};

/* What the fakes handed out. */
enum { L_FREE, L_PROCESS, L_DUP_TOKEN, L_DUP_PROCESS, L_OWN_TOKEN, L_TOKEN_OF, L_SCM };
struct live {
  int kind;
  uint32_t pid;
  uint64_t luid;
  DWORD type;
};

#define MAX_LIVE 65536
#define LIVE_BASE 0x10000u

static struct world {
  const struct fake_proc *procs;
  size_t n_procs;
  struct fake_handle *handles; /* handle value = 4 * (index + 1) */
  size_t n_handles;
  const struct fake_type *types;
  size_t n_types;
  int table_shift; /* the table's type index = list index + shift (Wine: -2) */
  const struct fake_service *services;
  size_t n_services;
  size_t grow_per_call; /* entries appearing at each handle-table call */
  size_t grow_calls;    /* for this many calls */
  NTSTATUS table_status;
  bool debug_enabled;
  int debug_changes;
  int opens_without_debug;
  int qsi_calls, qsi_mismatches, qo_calls, opens, dups, enums;
  ULONGLONG tick, tick_per_open;
  struct live live[MAX_LIVE];
  size_t next_live;
  int handed_out, closed;
  DWORD fail_token_info_for_luid_b; /* GetTokenInformation error for LUID_B tokens */
  bool fail_image;
} W;

static HANDLE give(int kind, uint32_t pid, uint64_t luid, DWORD type) {
  size_t i = W.next_live++;
  assert_true(i < MAX_LIVE);
  W.live[i].kind = kind;
  W.live[i].pid = pid;
  W.live[i].luid = luid;
  W.live[i].type = type;
  W.handed_out++;
  return (HANDLE)(ULONG_PTR)(LIVE_BASE + 4 * i);
}

static struct live *lookup(HANDLE h) {
  ULONG_PTR v = (ULONG_PTR)h;
  if (v < LIVE_BASE || (v - LIVE_BASE) % 4 != 0 || (v - LIVE_BASE) / 4 >= W.next_live)
    return NULL;
  return W.live[(v - LIVE_BASE) / 4].kind != L_FREE ? &W.live[(v - LIVE_BASE) / 4] : NULL;
}

static size_t live_count(void) {
  size_t n = 0;
  for (size_t i = 0; i < W.next_live; i++)
    n += W.live[i].kind != L_FREE;
  return n;
}

static const struct fake_proc *find_proc(uint32_t pid) {
  for (size_t i = 0; i < W.n_procs; i++)
    if (W.procs[i].pid == pid)
      return &W.procs[i];
  return NULL;
}

static uint16_t table_index(const wchar_t *name) {
  for (size_t i = 0; i < W.n_types; i++)
    if (wcscmp(W.types[i].name, name) == 0) {
      int idx = (W.types[i].index_field != 0 ? W.types[i].index_field : (int)i + 2) + W.table_shift;
      return (uint16_t)idx;
    }
  return 0xFFFF;
}

/* The handle entries' layout (x64 SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX). */
static NTSTATUS NTAPI f_qsi(ULONG cls, PVOID buf, ULONG len, PULONG ret) {
  size_t own = 0, n, k = 0;
  ULONG need;
  assert_int_equal(cls, 64);
  W.qsi_calls++;
  if (W.table_status != 0)
    return W.table_status;
  if (W.grow_calls > 0) {
    W.grow_calls--;
    W.n_handles += W.grow_per_call; /* the array was allocated large enough */
  }
  for (size_t i = 0; i < W.next_live; i++)
    own += W.live[i].kind != L_FREE;
  n = W.n_handles + own;
  need = (ULONG)(16 + n * sizeof(struct lw_handle_entry));
  if (ret != NULL)
    *ret = need;
  if (len < need) {
    W.qsi_mismatches++;
    return ST_INFO_LENGTH_MISMATCH;
  }
  struct lw_handle_entry *e = (struct lw_handle_entry *)((unsigned char *)buf + 16);
  uint16_t tok = table_index(L"Token"), proc = table_index(L"Process"), ev = table_index(L"Event");
  for (size_t i = 0; i < W.n_handles; i++) {
    const struct fake_handle *h = &W.handles[i];
    memset(&e[k], 0, sizeof e[k]);
    e[k].pid = h->pid;
    e[k].handle = 4 * (i + 1);
    e[k].type_index = h->kind == H_TOKEN ? tok : h->kind == H_PROCESS ? proc : ev;
    k++;
  }
  /* our own handles, as Windows lists them */
  for (size_t i = 0; i < W.next_live; i++) {
    if (W.live[i].kind == L_FREE)
      continue;
    memset(&e[k], 0, sizeof e[k]);
    e[k].pid = SELF_PID;
    e[k].handle = LIVE_BASE + 4 * i;
    e[k].type_index = W.live[i].kind == L_OWN_TOKEN || W.live[i].kind == L_DUP_TOKEN ? tok : proc;
    k++;
  }
  ULONG_PTR count = k, zero = 0;
  memcpy(buf, &count, sizeof count);
  memcpy((unsigned char *)buf + 8, &zero, sizeof zero);
  return 0;
}

struct type_info { /* OBJECT_TYPE_INFORMATION */
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
  ULONG paged, non_paged;
};

static NTSTATUS NTAPI f_qo(HANDLE h, ULONG cls, PVOID buf, ULONG len, PULONG ret) {
  size_t need = 8;
  assert_null(h);
  assert_int_equal(cls, 3);
  W.qo_calls++;
  for (size_t i = 0; i < W.n_types; i++)
    need += sizeof(struct type_info) + ((wcslen(W.types[i].name) + 1) * 2 + 7) / 8 * 8;
  if (ret != NULL)
    *ret = (ULONG)need;
  if (len < need)
    return ST_INFO_LENGTH_MISMATCH;
  unsigned char *p = buf;
  ULONG count = (ULONG)W.n_types;
  memset(buf, 0, need);
  memcpy(p, &count, sizeof count);
  p += 8;
  for (size_t i = 0; i < W.n_types; i++) {
    struct type_info ti;
    size_t chars = wcslen(W.types[i].name);
    memset(&ti, 0, sizeof ti);
    ti.name.Length = (USHORT)(chars * 2);
    ti.name.MaximumLength = (USHORT)(chars * 2 + 2);
    ti.name.Buffer = (PWSTR)(p + sizeof ti);
    ti.type_index = W.types[i].index_field;
    memcpy(p, &ti, sizeof ti);
    memcpy(p + sizeof ti, W.types[i].name, chars * 2 + 2);
    p += sizeof ti + ((chars + 1) * 2 + 7) / 8 * 8;
  }
  return 0;
}

static HANDLE WINAPI f_current(void) {
  return CURRENT;
}

static DWORD WINAPI f_current_pid(void) {
  return SELF_PID;
}

static HANDLE WINAPI f_open_process(DWORD access, BOOL inherit, DWORD pid) {
  const struct fake_proc *p = find_proc(pid);
  assert_int_equal(access, PROCESS_DUP_HANDLE | PROCESS_QUERY_LIMITED_INFORMATION);
  assert_false(inherit);
  assert_int_not_equal(pid, SELF_PID);
  W.opens++;
  W.tick += W.tick_per_open;
  if (!W.debug_enabled)
    W.opens_without_debug++;
  if (p == NULL || p->exited) { /* exited (mid-scan) or unknown: Windows says 87 */
    SetLastError(ERROR_INVALID_PARAMETER);
    return NULL;
  }
  if (p->open_error != 0) {
    SetLastError(p->open_error);
    return NULL;
  }
  return give(L_PROCESS, pid, 0, 0);
}

static BOOL WINAPI f_duplicate(HANDLE sp, HANDLE src, HANDLE tp, LPHANDLE out, DWORD access,
                               BOOL inherit, DWORD options) {
  struct live *owner = lookup(sp);
  ULONG_PTR v = (ULONG_PTR)src;
  assert_non_null(owner);
  assert_int_equal(owner->kind, L_PROCESS);
  assert_ptr_equal(tp, CURRENT);
  assert_false(inherit);
  assert_int_equal(options, 0); /* never DUPLICATE_SAME_ACCESS or _CLOSE_SOURCE */
  W.dups++;
  if (v == 0 || v % 4 != 0 || v / 4 > W.n_handles || W.handles[v / 4 - 1].pid != owner->pid ||
      W.handles[v / 4 - 1].closed_after_enum) {
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
  }
  const struct fake_handle *h = &W.handles[v / 4 - 1];
  if (h->kind == H_TOKEN) {
    assert_int_equal(access, TOKEN_QUERY);
    *out = give(L_DUP_TOKEN, 0, h->luid, h->type);
  } else {
    assert_int_equal(h->kind, H_PROCESS); /* nothing else is ever duplicated */
    assert_int_equal(access, PROCESS_QUERY_LIMITED_INFORMATION);
    *out = give(L_DUP_PROCESS, h->target, 0, 0);
  }
  return TRUE;
}

static BOOL WINAPI f_close(HANDLE h) {
  struct live *l = lookup(h);
  assert_non_null(l); /* never a double close, never a foreign value */
  assert_int_not_equal(l->kind, L_SCM);
  l->kind = L_FREE;
  W.closed++;
  return TRUE;
}

static BOOL WINAPI f_token_info(HANDLE h, TOKEN_INFORMATION_CLASS cls, LPVOID info, DWORD len,
                                PDWORD ret) {
  struct live *l = lookup(h);
  TOKEN_STATISTICS ts;
  assert_non_null(l);
  assert_true(l->kind == L_DUP_TOKEN || l->kind == L_TOKEN_OF);
  assert_int_equal(cls, TokenStatistics);
  assert_true(len >= sizeof ts);
  if (W.fail_token_info_for_luid_b != 0 && l->luid == LUID_B) {
    SetLastError(W.fail_token_info_for_luid_b);
    return FALSE;
  }
  memset(&ts, 0, sizeof ts);
  ts.AuthenticationId.LowPart = (DWORD)(l->luid & 0xFFFFFFFFu);
  ts.AuthenticationId.HighPart = (LONG)(l->luid >> 32);
  ts.TokenType = (TOKEN_TYPE)l->type;
  memcpy(info, &ts, sizeof ts);
  *ret = sizeof ts;
  return TRUE;
}

static BOOL WINAPI f_open_token(HANDLE process, DWORD access, PHANDLE out) {
  if (process == CURRENT) {
    assert_true((access & TOKEN_ADJUST_PRIVILEGES) != 0);
    *out = give(L_OWN_TOKEN, SELF_PID, 0, 0);
    return TRUE;
  }
  struct live *l = lookup(process);
  assert_non_null(l);
  assert_int_equal(l->kind, L_DUP_PROCESS);
  assert_int_equal(access, TOKEN_QUERY);
  const struct fake_proc *p = find_proc(l->pid);
  if (p == NULL) {
    SetLastError(ERROR_ACCESS_DENIED);
    return FALSE;
  }
  *out = give(L_TOKEN_OF, l->pid, p->luid, TokenPrimary);
  return TRUE;
}

static BOOL WINAPI f_image(HANDLE h, DWORD flags, LPWSTR name, PDWORD size) {
  struct live *l = lookup(h);
  const struct fake_proc *p;
  assert_non_null(l);
  assert_true(l->kind == L_PROCESS || l->kind == L_DUP_PROCESS);
  assert_int_equal(flags, 0);
  p = find_proc(l->pid);
  if (W.fail_image || p == NULL || p->image == NULL || wcslen(p->image) + 1 > *size) {
    SetLastError(ERROR_GEN_FAILURE);
    return FALSE;
  }
  wcscpy(name, p->image);
  *size = (DWORD)wcslen(p->image);
  return TRUE;
}

static BOOL WINAPI f_exit_code(HANDLE h, LPDWORD code) {
  struct live *l = lookup(h);
  const struct fake_proc *p;
  assert_non_null(l);
  assert_int_equal(l->kind, L_DUP_PROCESS);
  p = find_proc(l->pid);
  *code = p != NULL && p->exited ? 0 : STILL_ACTIVE;
  return TRUE;
}

static DWORD WINAPI f_pid_of(HANDLE h) {
  struct live *l = lookup(h);
  assert_non_null(l);
  return l->pid;
}

static BOOL WINAPI f_lookup_priv(LPCWSTR sys, LPCWSTR name, PLUID luid) {
  assert_null(sys);
  assert_true(wcscmp(name, L"SeDebugPrivilege") == 0);
  luid->LowPart = 20;
  luid->HighPart = 0;
  return TRUE;
}

static BOOL WINAPI f_adjust(HANDLE token, BOOL disable_all, PTOKEN_PRIVILEGES state, DWORD len,
                            PTOKEN_PRIVILEGES prev, PDWORD ret) {
  struct live *l = lookup(token);
  assert_non_null(l);
  assert_int_equal(l->kind, L_OWN_TOKEN);
  assert_false(disable_all);
  assert_int_equal(state->PrivilegeCount, 1);
  assert_int_equal(state->Privileges[0].Luid.LowPart, 20);
  bool enable = (state->Privileges[0].Attributes & SE_PRIVILEGE_ENABLED) != 0;
  if (prev != NULL) {
    assert_true(len >= sizeof *prev);
    prev->PrivilegeCount = 0;
    if (enable != W.debug_enabled) { /* only changed privileges are reported */
      prev->PrivilegeCount = 1;
      prev->Privileges[0].Luid = state->Privileges[0].Luid;
      prev->Privileges[0].Attributes = W.debug_enabled ? SE_PRIVILEGE_ENABLED : 0;
    }
    if (ret != NULL)
      *ret = sizeof *prev;
  }
  if (enable != W.debug_enabled)
    W.debug_changes++;
  W.debug_enabled = enable;
  SetLastError(ERROR_SUCCESS);
  return TRUE;
}

static SC_HANDLE WINAPI f_open_scm(LPCWSTR machine, LPCWSTR db, DWORD access) {
  assert_null(machine);
  assert_null(db);
  assert_int_equal(access, SC_MANAGER_ENUMERATE_SERVICE);
  return (SC_HANDLE)give(L_SCM, 0, 0, 0);
}

/* Two calls, like Windows when the buffer is small: ERROR_MORE_DATA with
 * the first service, then the rest through the resume handle. */
static BOOL WINAPI f_enum_services(SC_HANDLE scm, SC_ENUM_TYPE level, DWORD type, DWORD state,
                                   LPBYTE buf, DWORD size, LPDWORD needed, LPDWORD returned,
                                   LPDWORD resume, LPCWSTR group) {
  struct live *l = lookup((HANDLE)scm);
  assert_non_null(l);
  assert_int_equal(l->kind, L_SCM);
  assert_int_equal(level, SC_ENUM_PROCESS_INFO);
  assert_int_equal(type, SERVICE_WIN32);
  assert_int_equal(state, SERVICE_ACTIVE);
  assert_null(group);
  W.enums++;
  size_t first = *resume, last = first == 0 && W.n_services > 1 ? 1 : W.n_services;
  ENUM_SERVICE_STATUS_PROCESSW *v = (ENUM_SERVICE_STATUS_PROCESSW *)buf;
  wchar_t *strings = (wchar_t *)(buf + (last - first) * sizeof *v);
  assert_true(size >= 4096);
  for (size_t i = first; i < last; i++) {
    memset(&v[i - first], 0, sizeof v[0]);
    wcscpy(strings, W.services[i].name);
    v[i - first].lpServiceName = strings;
    v[i - first].lpDisplayName = strings;
    v[i - first].ServiceStatusProcess.dwProcessId = W.services[i].pid;
    strings += wcslen(strings) + 1;
  }
  *returned = (DWORD)(last - first);
  *resume = (DWORD)last;
  *needed = last < W.n_services ? 512 : 0;
  if (last < W.n_services) {
    SetLastError(ERROR_MORE_DATA);
    return FALSE;
  }
  return TRUE;
}

static BOOL WINAPI f_close_scm(SC_HANDLE h) {
  struct live *l = lookup((HANDLE)h);
  assert_non_null(l);
  assert_int_equal(l->kind, L_SCM);
  l->kind = L_FREE;
  W.closed++;
  return TRUE;
}

static ULONGLONG WINAPI f_tick(void) {
  return W.tick;
}

static const struct lw_holder_api fake_api = {
    .query_system_information = f_qsi,
    .query_object = f_qo,
    .get_current_process = f_current,
    .get_current_process_id = f_current_pid,
    .open_process = f_open_process,
    .duplicate_handle = f_duplicate,
    .close_handle = f_close,
    .get_token_information = f_token_info,
    .open_process_token = f_open_token,
    .query_full_process_image_name = f_image,
    .get_exit_code_process = f_exit_code,
    .get_process_id = f_pid_of,
    .lookup_privilege_value = f_lookup_priv,
    .adjust_token_privileges = f_adjust,
    .open_sc_manager = f_open_scm,
    .enum_services_status_ex = f_enum_services,
    .close_service_handle = f_close_scm,
    .get_tick_count64 = f_tick,
};

/* ---- Worlds ------------------------------------------------------------------- */

static const struct fake_type windows_types[] = {
    {L"Type", 2}, {L"Directory", 3}, {L"SymbolicLink", 4}, {L"Token", 5},
    {L"Job", 6},  {L"Process", 7},   {L"Thread", 8},       {L"Event", 16},
};

static const struct fake_proc host_procs[] = {
    {100, 0, L"C:\\Tools\\TokenGrabber.exe", false, LUID_A},
    {200, 0, L"C:\\Windows\\System32\\svchost.exe", false, 0x3e7},
    {300, ERROR_ACCESS_DENIED, L"C:\\Windows\\System32\\csrss.exe", false, 0x3e7},
    /* 400 has handles in the table but exits before it is opened: absent */
    {500, 0, L"C:\\Apps\\Half.exe", false, LUID_B},
    {600, 0, L"C:\\Apps\\Keeper.exe", false, LUID_B},
    {700, 0, L"C:\\Apps\\Worker.exe", true, LUID_A},
    {800, 0, L"C:\\Apps\\Alive.exe", false, LUID_A},
};

static const struct fake_service host_services[] = {
    {L"TokenGrabber", 100},
    {L"seclogon", 200},
    {L"Appinfo", 200},
    {L"Other", 900},
};

static struct fake_handle host_handles_init[] = {
    {100, H_TOKEN, LUID_A, TokenPrimary, 0, false},
    {100, H_OTHER, 0, 0, 0, false},
    {100, H_TOKEN, LUID_A, TokenPrimary, 0, false},
    {100, H_TOKEN, LUID_A, TokenImpersonation, 0, false},
    {200, H_TOKEN, LUID_A, TokenImpersonation, 0, false},
    {200, H_TOKEN, LUID_B, TokenPrimary, 0, false},
    {300, H_TOKEN, LUID_A, TokenPrimary, 0, false},
    {400, H_TOKEN, LUID_A, TokenPrimary, 0, false},
    {500, H_TOKEN, LUID_A, TokenPrimary, 0, true}, /* closed before duplication */
    {500, H_TOKEN, LUID_A, TokenPrimary, 0, false},
    {600, H_PROCESS, 0, 0, 700, false}, /* the exited worker */
    {600, H_PROCESS, 0, 0, 800, false}, /* a live one */
    {600, H_OTHER, 0, 0, 0, false},
};
static struct fake_handle host_handles[16];

static void world_host(void) {
  memset(&W, 0, sizeof W);
  memcpy(host_handles, host_handles_init, sizeof host_handles_init);
  W.procs = host_procs;
  W.n_procs = sizeof host_procs / sizeof host_procs[0];
  W.handles = host_handles;
  W.n_handles = sizeof host_handles_init / sizeof host_handles_init[0];
  W.types = windows_types;
  W.n_types = sizeof windows_types / sizeof windows_types[0];
  W.services = host_services;
  W.n_services = sizeof host_services / sizeof host_services[0];
  W.next_live = 1; /* value LIVE_BASE is never handed out */
}

static void assert_all_closed(void) {
  assert_int_equal(live_count(), 0);
  assert_int_equal(W.handed_out, W.closed);
  assert_false(W.debug_enabled); /* disabled again */
  assert_int_equal(W.opens_without_debug, 0);
}

static struct lw_holders_result *scan(struct lw_holder_scanner *s, const uint64_t *luids, size_t n,
                                      uint32_t deadline, int want_rc) {
  struct lw_holders_result *r = NULL;
  int rc = lw_holder_scan_run(s, luids, n, deadline, &r);
  if (rc != want_rc)
    fail_msg("lw_holder_scan_run = %d (%s); want %d", rc, lw_holder_scan_error(s), want_rc);
  if (rc != 0)
    assert_null(r);
  return r;
}

/* The host above, scanned for LUID A. */
static void check_host_result(const struct lw_holders_result *r) {
  const struct lw_holders_session *s = lw_holders_find(r, LUID_A);
  assert_non_null(s);
  assert_int_equal(r->n_sessions, 1);
  assert_int_equal(s->n_holders, 4);
  assert_int_equal(s->holders[0].pid, 100);
  assert_int_equal(s->holders[0].tokens, 3);
  assert_int_equal(s->holders[0].primary_tokens, 2);
  assert_int_equal(s->holders[0].impersonation_tokens, 1);
  assert_string_equal(s->holders[0].image, "C:\\Tools\\TokenGrabber.exe");
  assert_string_equal(s->holders[0].services, "TokenGrabber");
  assert_int_equal(s->holders[1].pid, 200);
  assert_string_equal(s->holders[1].services, "Appinfo, seclogon");
  assert_string_equal(lw_holder_token_types(&s->holders[1]), "impersonation");
  assert_int_equal(s->holders[2].pid, 500);
  assert_int_equal(s->holders[2].tokens, 1);
  assert_null(s->holders[2].services);
  assert_true(s->holders[3].exited_process);
  assert_int_equal(s->holders[3].pid, 700);
  assert_string_equal(s->holders[3].image, "C:\\Apps\\Worker.exe");
  assert_int_equal(s->holders[3].held_by_pid, 600);
  assert_string_equal(s->holders[3].held_by_image, "C:\\Apps\\Keeper.exe");

  const struct lw_holders_cost *c = &r->cost;
  assert_int_equal(c->processes, 6);
  assert_int_equal(c->processes_inspected, 4);
  assert_int_equal(c->processes_not_inspectable, 1); /* 300 */
  assert_int_equal(c->processes_gone, 1);            /* 400 */
  assert_int_equal(c->handles_gone, 1);              /* 500's first */
  assert_int_equal(c->token_handles, 9);
  assert_int_equal(c->token_handles_inspected, 6);
  assert_int_equal(c->process_handles, 2);
  assert_int_equal(c->process_handles_inspected, 2);
  assert_int_equal(c->errors, 0);
  assert_true(c->debug_privilege);
  assert_false(c->partial);
}

static void test_finds_holders(void **state) {
  struct lw_holder_scanner *s = NULL;
  const uint64_t want = LUID_A;
  char buf[512];
  (void)state;
  world_host();
  assert_int_equal(lw_holder_scanner_open(&fake_api, &s), 0);
  struct lw_holders_result *r = scan(s, &want, 1, 0, 0);
  check_host_result(r);
  assert_int_equal(lw_holder_scan_types(s).token, 5);
  assert_int_equal(lw_holder_scan_types(s).process, 7);
  assert_int_equal(W.debug_changes, 2); /* enabled, then disabled */
  assert_int_equal(W.enums, 2);         /* services listed once, in two calls */
  assert_int_equal(lw_holders_format_summary(r, LUID_A, buf, sizeof buf), 0);
  assert_string_equal(buf, "TokenGrabber.exe (PID 100, service TokenGrabber) holds 3 tokens; "
                           "svchost.exe (PID 200, services Appinfo, seclogon) holds 1 token; "
                           "Half.exe (PID 500) holds 1 token; exited Worker.exe (PID 700) "
                           "held open by Keeper.exe (PID 600)");
  lw_holders_result_free(r);
  assert_all_closed();
  assert_int_equal(W.qo_calls, 1);

  /* A second scan: the types are not asked for again, the buffer is kept. */
  W.qsi_calls = W.qsi_mismatches = 0;
  r = scan(s, &want, 1, 0, 0);
  check_host_result(r);
  assert_int_equal(W.qo_calls, 1);
  assert_int_equal(W.qsi_calls, 1);
  lw_holders_result_free(r);
  assert_all_closed();
  lw_holder_scanner_close(s);
}

static void test_all_sessions(void **state) {
  struct lw_holder_scanner *s = NULL;
  (void)state;
  world_host();
  assert_int_equal(lw_holder_scanner_open(&fake_api, &s), 0);
  struct lw_holders_result *r = scan(s, NULL, 0, 0, 0);
  assert_int_equal(r->n_sessions, 2);
  const struct lw_holders_session *b = lw_holders_find(r, LUID_B);
  assert_non_null(b);
  assert_int_equal(b->n_holders, 1);
  assert_int_equal(b->holders[0].pid, 200);
  lw_holders_result_free(r);
  assert_all_closed();

  /* Nothing to look for: no OS call at all. */
  const uint64_t none = 0;
  W.qsi_calls = W.opens = 0;
  int changes = W.debug_changes;
  r = scan(s, &none, 0, 0, 0);
  assert_int_equal(r->n_sessions, 0);
  assert_int_equal(W.qsi_calls, 0);
  assert_int_equal(W.opens, 0);
  assert_int_equal(W.debug_changes, changes);
  lw_holders_result_free(r);
  assert_all_closed();
  lw_holder_scanner_close(s);
}

/* Another host numbers its types differently: Token is 36, and index 5 is
 * now "Event" (which must never be duplicated as a token). */
static const struct fake_type other_types[] = {
    {L"Type", 2},    {L"Directory", 3}, {L"Event", 5},  {L"Process", 9},
    {L"Thread", 10}, {L"Job", 11},      {L"Token", 36},
};

/* Before Windows 8.1 the list has no TypeIndex: position + 2. */
static const struct fake_type old_types[] = {
    {L"Type", 0}, {L"Directory", 0}, {L"SymbolicLink", 0}, {L"Token", 0},
    {L"Job", 0},  {L"Process", 0},   {L"Thread", 0},       {L"Event", 0},
};

static void test_type_index_differs(void **state) {
  const struct fake_type *lists[] = {other_types, old_types, windows_types};
  const size_t sizes[] = {sizeof other_types / sizeof other_types[0],
                          sizeof old_types / sizeof old_types[0],
                          sizeof windows_types / sizeof windows_types[0]};
  const uint16_t want_token[] = {36, 5, 3}, want_process[] = {9, 7, 5};
  const uint64_t want = LUID_A;
  (void)state;
  for (size_t i = 0; i < 3; i++) {
    struct lw_holder_scanner *s = NULL;
    world_host();
    W.types = lists[i];
    W.n_types = sizes[i];
    if (i == 2)
      W.table_shift = -2; /* Wine: the table is 2 below the list */
    assert_int_equal(lw_holder_scanner_open(&fake_api, &s), 0);
    struct lw_holders_result *r = scan(s, &want, 1, 0, 0);
    check_host_result(r);
    assert_int_equal(lw_holder_scan_types(s).token, want_token[i]);
    assert_int_equal(lw_holder_scan_types(s).process, want_process[i]);
    lw_holders_result_free(r);
    assert_all_closed();
    lw_holder_scanner_close(s);
  }
}

static const struct fake_type no_token_types[] = {{L"Type", 2}, {L"Tokens", 5}, {L"Toke", 6}};

static void test_no_token_type(void **state) {
  struct lw_holder_scanner *s = NULL;
  (void)state;
  world_host();
  W.types = no_token_types;
  W.n_types = 3;
  assert_int_equal(lw_holder_scanner_open(&fake_api, &s), 0);
  scan(s, NULL, 0, 0, LW_EUNKNOWN);
  assert_non_null(strstr(lw_holder_scan_error(s), "Token"));
  assert_all_closed();
  lw_holder_scanner_close(s);
}

static void test_table_refused(void **state) {
  struct lw_holder_scanner *s = NULL;
  (void)state;
  world_host();
  W.table_status = ST_ACCESS_DENIED;
  assert_int_equal(lw_holder_scanner_open(&fake_api, &s), 0);
  scan(s, NULL, 0, 0, LW_ENOPRIV);
  assert_non_null(strstr(lw_holder_scan_error(s), "0xC0000022"));
  assert_all_closed();
  lw_holder_scanner_close(s);
}

/* Failures of reads inside the walk still close what they opened. */
static void test_read_failures_close(void **state) {
  struct lw_holder_scanner *s = NULL;
  (void)state;
  world_host();
  W.fail_token_info_for_luid_b = ERROR_ACCESS_DENIED;
  W.fail_image = true;
  assert_int_equal(lw_holder_scanner_open(&fake_api, &s), 0);
  struct lw_holders_result *r = scan(s, NULL, 0, 0, 0);
  assert_null(lw_holders_find(r, LUID_B));
  assert_int_equal(r->cost.token_handles_denied, 1);
  const struct lw_holders_session *a = lw_holders_find(r, LUID_A);
  assert_non_null(a);
  assert_null(a->holders[0].image); /* no image, still named by PID */
  lw_holders_result_free(r);
  assert_all_closed();
  lw_holder_scanner_close(s);
}

/* More entries than the first 1 MB buffer, growing while it is read. */
static void test_length_mismatch_growth(void **state) {
  struct lw_holder_scanner *s = NULL;
  const size_t base = 40000, grow = 3000, calls = 3;
  const uint64_t want = LUID_A;
  struct fake_handle *h = calloc(base + grow * calls, sizeof *h);
  (void)state;
  world_host();
  assert_non_null(h);
  memcpy(h, host_handles_init, sizeof host_handles_init);
  for (size_t i = sizeof host_handles_init / sizeof host_handles_init[0]; i < base + grow * calls;
       i++)
    h[i].pid = 900, h[i].kind = H_OTHER;
  W.handles = h;
  W.n_handles = base;
  W.grow_per_call = grow;
  W.grow_calls = calls;
  assert_int_equal(lw_holder_scanner_open(&fake_api, &s), 0);
  struct lw_holders_result *r = scan(s, &want, 1, 0, 0);
  assert_true(W.qsi_mismatches >= 1);
  assert_int_equal(W.qsi_calls, W.qsi_mismatches + 1);
  assert_true(r->cost.handles_seen >= base + grow);
  assert_true(r->cost.buffer_bytes > (1u << 20));
  assert_int_equal(lw_holders_find(r, LUID_A)->n_holders, 4);
  lw_holders_result_free(r);

  /* Kept: the next scan of the same host reads the table in one call. */
  W.qsi_calls = W.qsi_mismatches = 0;
  r = scan(s, &want, 1, 0, 0);
  assert_int_equal(W.qsi_calls, 1);
  lw_holders_result_free(r);
  assert_all_closed();
  lw_holder_scanner_close(s);
  free(h);
}

/* 1,000,000 entries, 1 % tokens in 100 processes (correctness, not speed),
 * through the counting table (the calls are asserted, the time printed). */
static void test_million_entries(void **state) {
  const size_t n = 1000000, tokens = n / 100;
  struct fake_handle *h = calloc(n, sizeof *h);
  struct fake_proc *procs = calloc(100, sizeof *procs);
  unsigned long all, fewer;
  double ms_all, ms_fewer;
  (void)state;
  assert_non_null(h);
  assert_non_null(procs);
  world_host();
  for (size_t i = 0; i < 100; i++) {
    procs[i].pid = (uint32_t)(1000 + 4 * i);
    procs[i].image = L"C:\\Apps\\Many.exe";
  }
  for (size_t i = 0; i < n; i++) {
    h[i].pid = (uint32_t)(1000 + 4 * (i / 10000)); /* grouped, as Windows lists them */
    h[i].kind = i % 100 == 7 ? H_TOKEN : H_OTHER;
    h[i].luid = i % 300 == 7 ? LUID_B : LUID_A;
    h[i].type = TokenPrimary;
  }
  W.procs = procs;
  W.n_procs = 100;
  W.handles = h;
  W.n_handles = n;
  struct lw_holders_result *r = cnt_scan(&fake_api, &ms_all, &all);
  assert_non_null(r);
  assert_int_equal(r->cost.handles_seen, n + 1); /* and our own token */
  assert_int_equal(r->cost.token_handles, tokens);
  assert_int_equal(r->cost.token_handles_inspected, tokens);
  assert_int_equal(r->cost.processes, 100);
  assert_int_equal(W.opens, 100);
  /* Issue 17: per token handle a duplicate, a read and a close; none for any
   * other entry (no process handles here), a few per process. */
  assert_int_equal(cnt_calls[CNT_DUPLICATE], tokens);
  assert_true(cnt_calls[CNT_QSI] <= 2); /* again only if the buffer grows */
  assert_true(all <= 3 * tokens + 8 * 100 + 20);
  const struct lw_holders_session *a = lw_holders_find(r, LUID_A), *b = lw_holders_find(r, LUID_B);
  assert_non_null(a);
  assert_non_null(b);
  assert_int_equal(a->tokens + b->tokens, tokens);
  assert_int_equal(b->tokens, (n + 299 - 7) / 300);
  assert_int_equal(a->n_holders, 100);
  lw_holders_result_free(r);
  assert_all_closed();
  /* The same tokens among a hundred times fewer other entries: the same calls. */
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (h[i].kind == H_TOKEN || i % 1000 == 0)
      h[k++] = h[i];
  W.n_handles = k;
  lw_holders_result_free(cnt_scan(&fake_api, &ms_fewer, &fewer));
  assert_int_equal(all, fewer);
  assert_all_closed();
  print_message("holder scan: %lu system calls for %lu token handles of 100 processes, %.2f a "
                "token; %.1f ms for %lu entries, %.1f ms for %lu\n",
                all, (unsigned long)tokens, (double)all / (double)tokens, ms_all, (unsigned long)n,
                ms_fewer, (unsigned long)k);
  free(h);
  free(procs);
}

static void test_deadline(void **state) {
  struct lw_holder_scanner *s = NULL;
  const uint64_t want = LUID_A;
  (void)state;
  world_host();
  W.tick = 1000;
  W.tick_per_open = 10; /* each OpenProcess takes 10 ms */
  assert_int_equal(lw_holder_scanner_open(&fake_api, &s), 0);
  struct lw_holders_result *r = scan(s, &want, 1, 25, 0);
  assert_true(r->cost.partial);
  assert_int_equal(W.opens, 3);
  assert_int_equal(r->cost.processes_skipped, 3);
  assert_int_equal(r->cost.elapsed_ms, 30);
  assert_non_null(lw_holders_find(r, LUID_A)); /* 100 and 200 were reached */
  lw_holders_result_free(r);
  assert_all_closed();
  lw_holder_scanner_close(s);
}

/* Enabled before the scan (by someone else): left enabled. */
static void test_debug_privilege_already_enabled(void **state) {
  struct lw_holder_scanner *s = NULL;
  (void)state;
  world_host();
  W.debug_enabled = true;
  assert_int_equal(lw_holder_scanner_open(&fake_api, &s), 0);
  struct lw_holders_result *r = scan(s, NULL, 0, 0, 0);
  assert_true(r->cost.debug_privilege);
  assert_true(W.debug_enabled);
  assert_int_equal(W.debug_changes, 0);
  lw_holders_result_free(r);
  assert_int_equal(live_count(), 0);
  lw_holder_scanner_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_finds_holders),
      cmocka_unit_test(test_all_sessions),
      cmocka_unit_test(test_type_index_differs),
      cmocka_unit_test(test_no_token_type),
      cmocka_unit_test(test_table_refused),
      cmocka_unit_test(test_read_failures_close),
      cmocka_unit_test(test_length_mismatch_growth),
      cmocka_unit_test(test_million_entries),
      cmocka_unit_test(test_deadline),
      cmocka_unit_test(test_debug_privilege_already_enabled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
