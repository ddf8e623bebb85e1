/*
 * Wine test for the collectors (service/os/collector.c, collect_lsa.c,
 * collect_wts.c, collect_processes.c), driven through fake OS tables
 * (service/os/os_api.h), so every rule is exercised exactly:
 *   - LSA counted strings: converted by Length only (no NUL, garbage after,
 *     a Length shorter than the text, an odd Length), NULL Buffer vs "",
 *     non-BMP and unpaired surrogates, 300+ characters, an old, short
 *     SECURITY_LOGON_SESSION_DATA;
 *   - a session that vanished mid-poll (STATUS_NO_SUCH_LOGON_SESSION) and one
 *     denying access: recorded in data_status, not a poll error, retried;
 *   - the LUID cache: no data call for a known LUID (5,000 sessions: one
 *     enumeration, zero data calls), eviction, re-appearance;
 *   - every LSA and WTS buffer freed and every process/token handle closed,
 *     on every path (the fakes count allocations and frees, and bad frees);
 *   - the privilege error (enumeration refused; SYSTEM's data refused);
 *   - one source failing while the others succeed;
 *   - LUIDs with a high part, in the snapshot and in the process join;
 *   - WTS fields (full names, client address, times, a vanished session);
 *   - processes: denied, exited, token failures, the buffer growing;
 *   - the boot time: from NtQuerySystemInformation, or derived, and stable.
 */
#include <windows.h>
#include <ntsecapi.h>
#include <sddl.h>
#include <winternl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collector.h"
#include "error.h"
#include "luid.h"
#include "snapshot.h"
#include "timefmt.h"

#define ST_ACCESS_DENIED ((NTSTATUS)0xC0000022L)
#define ST_NO_SUCH_LOGON_SESSION ((NTSTATUS)0xC000005FL)
#define ST_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#define ST_NOT_IMPLEMENTED ((NTSTATUS)0xC0000002L)
#define ST_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)
#define GARBAGE 0x5858 /* "XX": what follows every counted string */

/* ======================================================================
 * Buffer tracking shared by the fakes
 * ====================================================================== */

#define MAX_LIVE 20000

struct tracker {
  void *live[MAX_LIVE];
  size_t n_live;
  unsigned long allocated, freed, bad_frees;
};

static void *track_alloc(struct tracker *t, size_t size) {
  void *p;
  assert_true(t->n_live < MAX_LIVE);
  p = calloc(1, size);
  assert_non_null(p);
  t->live[t->n_live++] = p;
  t->allocated++;
  return p;
}

static int track_free(struct tracker *t, void *p) {
  size_t i;
  for (i = 0; i < t->n_live; i++) {
    if (t->live[i] == p) {
      t->live[i] = t->live[--t->n_live];
      t->freed++;
      free(p);
      return 1;
    }
  }
  t->bad_frees++;
  return 0;
}

/* ======================================================================
 * Fake LSA
 * ====================================================================== */

/* A string as the fake hands it out: `text` copied without its NUL, then
 * `extra` units of garbage; Length = `length` bytes (defaults to the text's). */
struct fstr {
  const wchar_t *text; /* NULL: Buffer NULL */
  int length;          /* -1: 2 * wcslen(text) */
};

struct fake_logon {
  uint64_t luid;
  NTSTATUS status; /* of the data call */
  ULONG type, session;
  LONGLONG logon_time; /* FILETIME */
  struct fstr user, domain, auth, server, dns, upn;
  const char *sid; /* "S-1-..." or NULL */
  ULONG size;      /* SECURITY_LOGON_SESSION_DATA.Size; 0 = sizeof */
  unsigned long data_calls;
};

#define MAX_LOGONS 6000

static struct {
  struct tracker t;
  struct fake_logon logons[MAX_LOGONS];
  size_t n;
  uint64_t order[MAX_LOGONS]; /* enumeration order (LUIDs), n_order of them */
  size_t n_order;
  NTSTATUS enum_status;
  int enum_buffer_on_failure; /* a failing enumeration still hands out a list */
  unsigned long enum_calls, data_calls;
} lsa;

static struct fake_logon *find_logon(uint64_t luid) {
  size_t i;
  for (i = 0; i < lsa.n; i++)
    if (lsa.logons[i].luid == luid)
      return &lsa.logons[i];
  return NULL;
}

static NTSTATUS NTAPI fake_enumerate(PULONG count, PLUID *list) {
  LUID *out;
  size_t i;
  lsa.enum_calls++;
  *count = 0;
  *list = NULL;
  if (lsa.enum_status != 0) {
    if (lsa.enum_buffer_on_failure)
      *list = track_alloc(&lsa.t, sizeof(LUID));
    return lsa.enum_status;
  }
  out = track_alloc(&lsa.t, (lsa.n_order + 1) * sizeof *out);
  for (i = 0; i < lsa.n_order; i++) {
    out[i].LowPart = (DWORD)(lsa.order[i] & 0xffffffffu);
    out[i].HighPart = (LONG)(DWORD)(lsa.order[i] >> 32);
  }
  *count = (ULONG)lsa.n_order;
  *list = out;
  return 0;
}

static size_t fstr_units(const struct fstr *s) {
  return s->text != NULL ? wcslen(s->text) : 0;
}

/* Lays a string out at *cursor: no NUL, 3 garbage units after it. */
static void put_fstr(LSA_UNICODE_STRING *dst, const struct fstr *s, WCHAR **cursor) {
  size_t n = fstr_units(s), i;
  memset(dst, 0, sizeof *dst);
  if (s->text == NULL)
    return;
  memcpy(*cursor, s->text, n * sizeof(WCHAR));
  for (i = 0; i < 3; i++)
    (*cursor)[n + i] = GARBAGE;
  dst->Buffer = *cursor;
  dst->Length = (USHORT)(s->length >= 0 ? s->length : (int)(n * 2));
  dst->MaximumLength = (USHORT)(n * 2);
  *cursor += n + 3;
}

static NTSTATUS NTAPI fake_data(PLUID id, PSECURITY_LOGON_SESSION_DATA *out) {
  uint64_t luid = lw_luid_from_parts((int32_t)id->HighPart, id->LowPart);
  struct fake_logon *e = find_logon(luid);
  SECURITY_LOGON_SESSION_DATA *d;
  size_t units;
  WCHAR *cursor;
  PSID sid = NULL;
  lsa.data_calls++;
  *out = NULL;
  if (e == NULL)
    return ST_NO_SUCH_LOGON_SESSION;
  e->data_calls++;
  if (e->status != 0)
    return e->status;
  units = fstr_units(&e->user) + fstr_units(&e->domain) + fstr_units(&e->auth) +
          fstr_units(&e->server) + fstr_units(&e->dns) + fstr_units(&e->upn) + 6 * 3;
  d = track_alloc(&lsa.t, sizeof *d + 128 + units * sizeof(WCHAR));
  memset(d, 0x58, sizeof *d + 128 + units * sizeof(WCHAR)); /* garbage everywhere */
  memset(d, 0, sizeof *d);
  d->Size = e->size != 0 ? e->size : (ULONG)sizeof *d;
  d->LogonId = *id;
  d->LogonType = e->type;
  d->Session = e->session;
  d->LogonTime.QuadPart = e->logon_time;
  if (e->sid != NULL) {
    wchar_t w[128];
    MultiByteToWideChar(CP_UTF8, 0, e->sid, -1, w, 128);
    assert_true(ConvertStringSidToSidW(w, &sid));
    assert_true(GetLengthSid(sid) <= 128);
    memcpy((char *)(d + 1), sid, GetLengthSid(sid));
    LocalFree(sid);
    d->Sid = (PSID)(d + 1);
  }
  cursor = (WCHAR *)((char *)(d + 1) + 128);
  put_fstr(&d->UserName, &e->user, &cursor);
  put_fstr(&d->LogonDomain, &e->domain, &cursor);
  put_fstr(&d->AuthenticationPackage, &e->auth, &cursor);
  put_fstr(&d->LogonServer, &e->server, &cursor);
  put_fstr(&d->DnsDomainName, &e->dns, &cursor);
  put_fstr(&d->Upn, &e->upn, &cursor);
  *out = d;
  return 0;
}

static NTSTATUS NTAPI fake_lsa_free(PVOID p) {
  return track_free(&lsa.t, p) ? 0 : (NTSTATUS)0xC000000DL;
}

static const struct lw_lsa_api fake_lsa_api = {fake_enumerate, fake_data, fake_lsa_free};

#define S(t)                                                                                       \
  { t, -1 }
#define NOSTR                                                                                      \
  { NULL, -1 }

static struct fake_logon *add_logon(uint64_t luid, const wchar_t *user) {
  struct fake_logon *e;
  assert_true(lsa.n < MAX_LOGONS);
  e = &lsa.logons[lsa.n++];
  memset(e, 0, sizeof *e);
  e->luid = luid;
  e->type = 10;
  e->session = 2;
  e->logon_time = lw_time_to_filetime(INT64_C(1795251600000));
  e->user = (struct fstr)S(user);
  e->domain = (struct fstr)S(L"CONTOSO");
  e->auth = (struct fstr)S(L"Kerberos");
  e->server = (struct fstr)NOSTR;
  e->dns = (struct fstr)NOSTR;
  e->upn = (struct fstr)NOSTR;
  lsa.order[lsa.n_order++] = luid;
  return e;
}

/* Drops a LUID from the enumeration (the fake still answers data calls). */
static void unlist(uint64_t luid) {
  size_t i;
  for (i = 0; i < lsa.n_order; i++) {
    if (lsa.order[i] == luid) {
      lsa.order[i] = lsa.order[--lsa.n_order];
      return;
    }
  }
  fail_msg("LUID not listed");
}

/* ======================================================================
 * Fake WTS
 * ====================================================================== */

struct fake_wts {
  DWORD id;
  WTS_CONNECTSTATE_CLASS state;
  const wchar_t *station, *user, *domain, *client;
  DWORD family;
  BYTE address[20];
  LONGLONG logon, connect, disconnect;
  int vanished; /* every query fails with ERROR_CTX_WINSTATION_NOT_FOUND */
};

static struct {
  struct tracker t;
  struct fake_wts s[64];
  size_t n;
  DWORD enum_error; /* 0: enumeration works */
  unsigned long enum_calls, query_calls;
} wts;

static BOOL WINAPI fake_wts_enumerate(HANDLE server, DWORD reserved, DWORD version,
                                      PWTS_SESSION_INFOW *info, DWORD *count) {
  WTS_SESSION_INFOW *out;
  size_t i;
  assert_ptr_equal(server, WTS_CURRENT_SERVER_HANDLE);
  assert_int_equal(reserved, 0);
  assert_int_equal(version, 1);
  wts.enum_calls++;
  *info = NULL;
  *count = 0;
  if (wts.enum_error != 0) {
    SetLastError(wts.enum_error);
    return FALSE;
  }
  out = track_alloc(&wts.t, (wts.n + 1) * sizeof *out);
  for (i = 0; i < wts.n; i++) {
    out[i].SessionId = wts.s[i].id;
    out[i].State = wts.s[i].state;
    out[i].pWinStationName = (LPWSTR)wts.s[i].station;
  }
  *info = out;
  *count = (DWORD)wts.n;
  return TRUE;
}

static BOOL give_wstring(const wchar_t *s, LPWSTR *buf, DWORD *bytes) {
  size_t n = wcslen(s ? s : L"") + 1;
  WCHAR *p = track_alloc(&wts.t, n * sizeof(WCHAR));
  memcpy(p, s ? s : L"", n * sizeof(WCHAR));
  *buf = p;
  *bytes = (DWORD)(n * sizeof(WCHAR));
  return TRUE;
}

static BOOL WINAPI fake_wts_query(HANDLE server, DWORD id, WTS_INFO_CLASS cls, LPWSTR *buf,
                                  DWORD *bytes) {
  struct fake_wts *e = NULL;
  size_t i;
  assert_ptr_equal(server, WTS_CURRENT_SERVER_HANDLE);
  wts.query_calls++;
  *buf = NULL;
  *bytes = 0;
  for (i = 0; i < wts.n; i++)
    if (wts.s[i].id == id)
      e = &wts.s[i];
  if (e == NULL || e->vanished) {
    SetLastError(ERROR_CTX_WINSTATION_NOT_FOUND);
    return FALSE;
  }
  switch (cls) {
  case WTSUserName:
    return give_wstring(e->user, buf, bytes);
  case WTSDomainName:
    return give_wstring(e->domain, buf, bytes);
  case WTSClientName:
    return give_wstring(e->client, buf, bytes);
  case WTSClientAddress: {
    WTS_CLIENT_ADDRESS *a = track_alloc(&wts.t, sizeof *a);
    a->AddressFamily = e->family;
    memcpy(a->Address, e->address, sizeof a->Address);
    *buf = (LPWSTR)a;
    *bytes = sizeof *a;
    return TRUE;
  }
  case WTSSessionInfo: {
    WTSINFOW *w = track_alloc(&wts.t, sizeof *w);
    w->State = e->state;
    w->SessionId = id;
    wcsncpy(w->UserName, e->user ? e->user : L"", 20); /* cut, as Windows does */
    w->LogonTime.QuadPart = e->logon;
    w->ConnectTime.QuadPart = e->connect;
    w->DisconnectTime.QuadPart = e->disconnect;
    *buf = (LPWSTR)w;
    *bytes = sizeof *w;
    return TRUE;
  }
  default:
    SetLastError(ERROR_NOT_SUPPORTED);
    return FALSE;
  }
}

static void WINAPI fake_wts_free(PVOID p) {
  track_free(&wts.t, p);
}

static const struct lw_wts_api fake_wts_api = {fake_wts_enumerate, fake_wts_query, fake_wts_free};

static struct fake_wts *add_wts(DWORD id, WTS_CONNECTSTATE_CLASS state, const wchar_t *station) {
  struct fake_wts *e = &wts.s[wts.n++];
  memset(e, 0, sizeof *e);
  e->id = id;
  e->state = state;
  e->station = station;
  e->user = L"";
  e->domain = L"";
  e->client = L"";
  return e;
}

/* ======================================================================
 * Fake processes
 * ====================================================================== */

struct fake_proc {
  DWORD pid, session;
  const wchar_t *image;
  DWORD open_error, token_error, info_error; /* 0: the call works */
  uint64_t luid;
};

static struct {
  struct fake_proc p[64];
  size_t n;
  NTSTATUS list_status; /* 0: the list query works */
  ULONG min_buffer;     /* the list query wants at least this many bytes */
  unsigned long list_calls, mismatches;
  int has_boot_time;
  LONGLONG boot_time; /* FILETIME answered for SystemTimeOfDayInformation */
  long open_handles;
  unsigned long opens, closes, bad_closes;
} pr;

#define PROC_HANDLE(pid) ((HANDLE)(uintptr_t)(0x100000 + (pid)*8))
#define TOKEN_HANDLE(pid) ((HANDLE)(uintptr_t)(0x900000 + (pid)*8))

static NTSTATUS NTAPI fake_query(ULONG cls, PVOID buf, ULONG len, PULONG ret) {
  if (cls == 3) {
    if (!pr.has_boot_time)
      return ST_NOT_IMPLEMENTED;
    assert_true(len >= sizeof(LARGE_INTEGER));
    memset(buf, 0, len);
    ((LARGE_INTEGER *)buf)->QuadPart = pr.boot_time;
    *ret = len;
    return 0;
  }
  assert_int_equal(cls, 5);
  pr.list_calls++;
  if (pr.list_status != 0)
    return pr.list_status;
  {
    size_t entry = (sizeof(SYSTEM_PROCESS_INFORMATION) + 7) & ~(size_t)7;
    size_t need = 0, i;
    unsigned char *p = buf;
    for (i = 0; i < pr.n; i++)
      need += entry + ((wcslen(pr.p[i].image ? pr.p[i].image : L"") * 2 + 8 + 7) & ~(size_t)7);
    if (need < pr.min_buffer)
      need = pr.min_buffer;
    *ret = (ULONG)need;
    if (len < need) {
      pr.mismatches++;
      return ST_INFO_LENGTH_MISMATCH;
    }
    memset(buf, 0x58, len);
    for (i = 0; i < pr.n; i++) {
      SYSTEM_PROCESS_INFORMATION *e = (SYSTEM_PROCESS_INFORMATION *)p;
      size_t nm = wcslen(pr.p[i].image ? pr.p[i].image : L"");
      size_t size = entry + ((nm * 2 + 8 + 7) & ~(size_t)7);
      memset(e, 0, sizeof *e);
      e->UniqueProcessId = (HANDLE)(uintptr_t)pr.p[i].pid;
      e->SessionId = pr.p[i].session;
      if (pr.p[i].image != NULL) {
        WCHAR *name = (WCHAR *)(p + entry);
        memcpy(name, pr.p[i].image, nm * 2);
        name[nm] = GARBAGE; /* counted, not terminated */
        e->ImageName.Buffer = name;
        e->ImageName.Length = (USHORT)(nm * 2);
        e->ImageName.MaximumLength = (USHORT)(nm * 2);
      }
      e->NextEntryOffset = i + 1 < pr.n ? (ULONG)size : 0;
      p += size;
    }
    return 0;
  }
}

static struct fake_proc *find_proc(DWORD pid) {
  size_t i;
  for (i = 0; i < pr.n; i++)
    if (pr.p[i].pid == pid)
      return &pr.p[i];
  return NULL;
}

static HANDLE WINAPI fake_open_process(DWORD access, BOOL inherit, DWORD pid) {
  struct fake_proc *p = find_proc(pid);
  assert_int_equal(access, PROCESS_QUERY_LIMITED_INFORMATION);
  assert_false(inherit);
  assert_non_null(p);
  if (p->open_error != 0) {
    SetLastError(p->open_error);
    return NULL;
  }
  pr.opens++;
  pr.open_handles++;
  return PROC_HANDLE(pid);
}

static BOOL WINAPI fake_open_token(HANDLE process, DWORD access, PHANDLE token) {
  DWORD pid = (DWORD)(((uintptr_t)process - 0x100000) / 8);
  struct fake_proc *p = find_proc(pid);
  assert_int_equal(access, TOKEN_QUERY);
  assert_non_null(p);
  assert_ptr_equal(process, PROC_HANDLE(pid));
  if (p->token_error != 0) {
    SetLastError(p->token_error);
    return FALSE;
  }
  pr.opens++;
  pr.open_handles++;
  *token = TOKEN_HANDLE(pid);
  return TRUE;
}

static BOOL WINAPI fake_token_info(HANDLE token, TOKEN_INFORMATION_CLASS cls, LPVOID info,
                                   DWORD len, PDWORD ret) {
  DWORD pid = (DWORD)(((uintptr_t)token - 0x900000) / 8);
  struct fake_proc *p = find_proc(pid);
  TOKEN_STATISTICS *ts = info;
  assert_int_equal(cls, TokenStatistics);
  assert_non_null(p);
  assert_true(len >= sizeof *ts);
  if (p->info_error != 0) {
    SetLastError(p->info_error);
    return FALSE;
  }
  memset(ts, 0, sizeof *ts);
  ts->AuthenticationId.LowPart = (DWORD)(p->luid & 0xffffffffu);
  ts->AuthenticationId.HighPart = (LONG)(DWORD)(p->luid >> 32);
  *ret = sizeof *ts;
  return TRUE;
}

static BOOL WINAPI fake_close(HANDLE h) {
  uintptr_t v = (uintptr_t)h;
  if ((v >= 0x100000 && v < 0x900000) || v >= 0x900000) {
    pr.closes++;
    pr.open_handles--;
    return TRUE;
  }
  pr.bad_closes++;
  return FALSE;
}

static const struct lw_process_api fake_proc_api = {fake_query, fake_open_process, fake_open_token,
                                                    fake_token_info, fake_close};

static struct fake_proc *add_proc(DWORD pid, const wchar_t *image, uint64_t luid) {
  struct fake_proc *p = &pr.p[pr.n++];
  memset(p, 0, sizeof *p);
  p->pid = pid;
  p->image = image;
  p->luid = luid;
  p->session = 2;
  return p;
}

/* ======================================================================
 * Fixture
 * ====================================================================== */

static const struct lw_collector_apis fake_apis = {&fake_lsa_api, &fake_wts_api, &fake_proc_api};

static int setup(void **state) {
  (void)state;
  memset(&lsa, 0, sizeof lsa);
  memset(&wts, 0, sizeof wts);
  memset(&pr, 0, sizeof pr);
  return 0;
}

/* Every buffer freed, every handle closed, nothing freed that was not ours. */
static void assert_all_released(void) {
  assert_int_equal(lsa.t.n_live, 0);
  assert_int_equal(lsa.t.allocated, lsa.t.freed);
  assert_int_equal(lsa.t.bad_frees, 0);
  assert_int_equal(wts.t.n_live, 0);
  assert_int_equal(wts.t.allocated, wts.t.freed);
  assert_int_equal(wts.t.bad_frees, 0);
  assert_int_equal(pr.open_handles, 0);
  assert_int_equal(pr.opens, pr.closes);
  assert_int_equal(pr.bad_closes, 0);
}

static int teardown(void **state) {
  (void)state;
  assert_all_released();
  return 0;
}

static struct lw_collector *open_fake(void) {
  struct lw_collector *c = NULL;
  assert_int_equal(lw_collector_open(&fake_apis, &c), 0);
  assert_non_null(c);
  return c;
}

/* Polls and checks the return code; returns the snapshot. */
static struct lw_snapshot *poll_expect(struct lw_collector *c, int want_rc,
                                       struct lw_collect_report *report) {
  struct lw_snapshot *s = NULL;
  struct lw_collect_report local;
  if (report == NULL)
    report = &local;
  assert_int_equal(lw_collector_poll(c, &s, report), want_rc);
  assert_non_null(s);
  assert_all_released();
  return s;
}

/* ======================================================================
 * Tests
 * ====================================================================== */

static void test_counted_strings(void **state) {
  static wchar_t long_name[400];
  char long_utf8[400];
  struct lw_collector *c = open_fake();
  struct lw_snapshot *s;
  struct fake_logon *e;
  const struct lw_logon_session *l;
  int i;
  (void)state;

  for (i = 0; i < 300; i++) {
    long_name[i] = (wchar_t)(L'a' + i % 26);
    long_utf8[i] = (char)('a' + i % 26);
  }
  long_name[300] = 0;
  long_utf8[300] = 0;

  e = add_logon(0x10001, L"alice");
  e->domain = (struct fstr){L"CONTOSOXYZ", 14};          /* Length shorter than the text */
  e->auth = (struct fstr){L"NTLM", 0};                   /* Length 0, Buffer set: "" */
  e->server = (struct fstr){L"DC01", 7};                 /* odd Length: the half unit dropped */
  e->dns = (struct fstr)S(L"\xD83D\xDE00 \x00E9\x4E2D"); /* non-BMP pair, BMP */
  e->upn = (struct fstr)S(L"bad\xD800x\xDC00y");         /* unpaired surrogates */
  e->sid = "S-1-5-21-1004336348-1177238915-682003330-1105";
  e->type = 10;
  e->session = 7;

  e = add_logon(0x10002, long_name);
  e->domain = (struct fstr)S(L"Q'uo\"te\t%1 %%");
  e->auth = (struct fstr)NOSTR;                                        /* Buffer NULL: no value */
  e->size = (ULONG)offsetof(SECURITY_LOGON_SESSION_DATA, LogonServer); /* an old, short struct */
  e->server = (struct fstr)S(L"IGNORED");
  e->upn = (struct fstr)S(L"IGNORED");
  e->logon_time = 0; /* unknown */

  s = poll_expect(c, 0, NULL);
  assert_int_equal(s->n_logons, 2);
  l = lw_snapshot_find_logon(s, 0x10001);
  assert_non_null(l);
  assert_int_equal(l->data_status, 0);
  assert_string_equal(l->user, "alice");
  assert_string_equal(l->domain, "CONTOSO");
  assert_string_equal(l->auth_package, "");
  assert_string_equal(l->logon_server, "DC0");
  assert_string_equal(l->dns_domain, "\xF0\x9F\x98\x80 \xC3\xA9\xE4\xB8\xAD");
  assert_string_equal(l->upn, "bad\xEF\xBF\xBDx\xEF\xBF\xBDy");
  assert_string_equal(l->sid, "S-1-5-21-1004336348-1177238915-682003330-1105");
  assert_int_equal(l->logon_type, 10);
  assert_int_equal(l->terminal_session, 7);
  assert_true(l->logon_time == INT64_C(1795251600000));

  l = lw_snapshot_find_logon(s, 0x10002);
  assert_non_null(l);
  assert_string_equal(l->user, long_utf8);
  assert_string_equal(l->domain, "Q'uo\"te\t%1 %%");
  assert_null(l->auth_package);
  assert_null(l->logon_server);
  assert_null(l->dns_domain);
  assert_null(l->upn);
  assert_null(l->sid);
  assert_true(l->logon_time == LW_TIME_UNKNOWN);
  lw_snapshot_free(s);

  /* The same strings come from the cache at the next poll. */
  s = poll_expect(c, 0, NULL);
  l = lw_snapshot_find_logon(s, 0x10001);
  assert_string_equal(l->domain, "CONTOSO");
  assert_string_equal(l->upn, "bad\xEF\xBF\xBDx\xEF\xBF\xBDy");
  assert_int_equal(lsa.data_calls, 2);
  lw_snapshot_free(s);
  lw_collector_close(c);
}

static void test_vanished_and_denied(void **state) {
  struct lw_collector *c = open_fake();
  struct lw_collect_report report;
  struct lw_snapshot *s;
  const struct lw_logon_session *l;
  (void)state;

  add_logon(0x3e7, L"SYSTEM");
  add_logon(0x20001, L"alice");
  add_logon(0x20002, L"bob")->status = ST_NO_SUCH_LOGON_SESSION; /* vanished mid-poll */
  add_logon(0x20003, L"carol")->status = ST_ACCESS_DENIED;
  add_logon(0x20004, L"dave")->status = ST_UNSUCCESSFUL;

  s = poll_expect(c, 0, &report);
  assert_int_equal(report.failed, 0);
  assert_int_equal(report.source[LW_COLLECT_LSA].code, 0);
  assert_int_equal(s->n_logons, 5);
  assert_int_equal(s->logons_without_data, 3);
  l = lw_snapshot_find_logon(s, 0x20002);
  assert_int_equal(l->data_status, 0xC000005Fu);
  assert_null(l->user);
  assert_null(l->domain);
  assert_null(l->sid);
  assert_true(l->logon_time == LW_TIME_UNKNOWN);
  assert_int_equal(lw_snapshot_find_logon(s, 0x20003)->data_status, 0xC0000022u);
  assert_int_equal(lw_snapshot_find_logon(s, 0x20004)->data_status, 0xC0000001u);
  assert_string_equal(lw_snapshot_find_logon(s, 0x20001)->user, "alice");
  lw_snapshot_free(s);

  /* Failures are not cached: asked again; successes are. carol is readable now. */
  find_logon(0x20003)->status = 0;
  s = poll_expect(c, 0, &report);
  assert_int_equal(find_logon(0x3e7)->data_calls, 1);
  assert_int_equal(find_logon(0x20001)->data_calls, 1);
  assert_int_equal(find_logon(0x20002)->data_calls, 2);
  assert_int_equal(find_logon(0x20003)->data_calls, 2);
  assert_int_equal(find_logon(0x20004)->data_calls, 2);
  assert_string_equal(lw_snapshot_find_logon(s, 0x20003)->user, "carol");
  assert_int_equal(s->logons_without_data, 2);
  lw_snapshot_free(s);

  /* A LUID enumerated but unknown to LSA by the data call (ended between). */
  lsa.order[lsa.n_order++] = 0x29999;
  s = poll_expect(c, 0, &report);
  assert_int_equal(lw_snapshot_find_logon(s, 0x29999)->data_status, 0xC000005Fu);
  assert_int_equal(find_logon(0x20003)->data_calls, 2); /* cached since it succeeded */
  lw_snapshot_free(s);
  lw_collector_close(c);
}

static void test_cache_5000(void **state) {
  struct lw_collector *c = open_fake();
  struct lw_snapshot *s;
  size_t i;
  unsigned long calls;
  (void)state;

  for (i = 0; i < 5000; i++)
    add_logon(0x100000 + i * 7, i % 2 ? L"user-odd" : L"user-even");
  s = poll_expect(c, 0, NULL);
  assert_int_equal(s->n_logons, 5000);
  assert_int_equal(lsa.data_calls, 5000);
  assert_int_equal(lsa.enum_calls, 1);
  lw_snapshot_free(s);

  /* A stable host: one enumeration, zero data calls, the same data. The
   * enumeration order changes; the cache does not care. */
  for (i = 0; i < lsa.n_order / 2; i++) {
    uint64_t t = lsa.order[i];
    lsa.order[i] = lsa.order[lsa.n_order - 1 - i];
    lsa.order[lsa.n_order - 1 - i] = t;
  }
  s = poll_expect(c, 0, NULL);
  assert_int_equal(lsa.enum_calls, 2);
  assert_int_equal(lsa.data_calls, 5000);
  assert_int_equal(s->n_logons, 5000);
  assert_int_equal(s->logons_without_data, 0);
  assert_string_equal(lw_snapshot_find_logon(s, 0x100000 + 7)->user, "user-odd");
  assert_string_equal(lw_snapshot_find_logon(s, 0x100000)->user, "user-even");
  for (i = 1; i < s->n_logons; i++)
    assert_true(s->logons[i - 1].luid < s->logons[i].luid);
  lw_snapshot_free(s);

  /* One ends, one starts: one data call. */
  unlist(0x100000 + 7 * 10);
  add_logon(0x900000, L"new");
  calls = lsa.data_calls;
  s = poll_expect(c, 0, NULL);
  assert_int_equal(lsa.data_calls, calls + 1);
  assert_int_equal(find_logon(0x900000)->data_calls, 1);
  assert_null(lw_snapshot_find_logon(s, 0x100000 + 7 * 10));
  assert_int_equal(s->n_logons, 5000);
  lw_snapshot_free(s);

  /* The ended LUID was evicted: if it is enumerated again, it is asked again. */
  lsa.order[lsa.n_order++] = 0x100000 + 7 * 10;
  s = poll_expect(c, 0, NULL);
  assert_int_equal(lsa.data_calls, calls + 2);
  assert_int_equal(find_logon(0x100000 + 7 * 10)->data_calls, 2);
  assert_int_equal(s->n_logons, 5001);
  lw_snapshot_free(s);

  /* An empty host empties the cache. */
  lsa.n_order = 0;
  s = poll_expect(c, 0, NULL);
  assert_int_equal(s->n_logons, 0);
  lw_snapshot_free(s);
  lsa.order[lsa.n_order++] = 0x100000;
  s = poll_expect(c, 0, NULL);
  assert_int_equal(find_logon(0x100000)->data_calls, 2);
  lw_snapshot_free(s);
  lw_collector_close(c);
}

static void test_duplicate_luids(void **state) {
  struct lw_collector *c = open_fake();
  struct lw_snapshot *s;
  (void)state;
  add_logon(0x30001, L"a");
  lsa.order[lsa.n_order++] = 0x30001; /* listed twice */
  s = poll_expect(c, 0, NULL);
  assert_int_equal(s->n_logons, 1);
  assert_int_equal(lsa.data_calls, 1);
  lw_snapshot_free(s);
  lw_collector_close(c);
}

static void test_high_part_luids(void **state) {
  struct lw_collector *c = open_fake();
  struct lw_snapshot *s;
  const struct lw_logon_session *l;
  char text[LW_LUID_TEXT_SIZE];
  (void)state;

  add_logon(UINT64_C(0xfffffffffffffffe), L"max")->session = 3;
  add_logon(UINT64_C(0x100000002), L"one");
  add_logon(UINT64_C(0x80000000000003e7), L"sign");
  add_logon(0x3e7, L"SYSTEM");
  add_proc(100, L"explorer.exe", UINT64_C(0xfffffffffffffffe));
  add_proc(101, L"rdpclip.exe", UINT64_C(0xfffffffffffffffe));
  add_proc(102, L"cmd.exe", UINT64_C(0x100000002));
  add_proc(103, L"svchost.exe", 0x3e7);

  s = poll_expect(c, 0, NULL);
  assert_int_equal(s->n_logons, 4);
  assert_true(s->logons[0].luid == 0x3e7);
  assert_true(s->logons[1].luid == UINT64_C(0x100000002));
  assert_true(s->logons[2].luid == UINT64_C(0x80000000000003e7));
  assert_true(s->logons[3].luid == UINT64_C(0xfffffffffffffffe));
  l = lw_snapshot_find_logon(s, UINT64_C(0xfffffffffffffffe));
  assert_string_equal(lw_luid_format(l->luid, text), "ffffffff:fffffffe");
  assert_string_equal(l->user, "max");
  assert_int_equal(l->process_count, 2);
  assert_int_equal(lw_snapshot_find_logon(s, UINT64_C(0x100000002))->process_count, 1);
  assert_int_equal(lw_snapshot_find_logon(s, 0x3e7)->process_count, 1);
  assert_int_equal(lw_snapshot_find_logon(s, UINT64_C(0x80000000000003e7))->process_count, 0);
  lw_snapshot_free(s);
  /* the cache keys on all 64 bits */
  s = poll_expect(c, 0, NULL);
  assert_int_equal(lsa.data_calls, 4);
  assert_string_equal(lw_snapshot_find_logon(s, UINT64_C(0x80000000000003e7))->user, "sign");
  assert_string_equal(lw_snapshot_find_logon(s, 0x3e7)->user, "SYSTEM");
  lw_snapshot_free(s);
  lw_collector_close(c);
}

static void test_privilege_enumerate_refused(void **state) {
  struct lw_collector *c = open_fake();
  struct lw_collect_report r;
  struct lw_snapshot *s;
  (void)state;
  add_logon(0x3e7, L"SYSTEM");
  add_wts(1, WTSActive, L"Console");
  add_proc(4, L"System", 0x3e7);
  lsa.enum_status = ST_ACCESS_DENIED;

  s = poll_expect(c, LW_ENOPRIV, &r);
  assert_int_equal(r.failed, 1);
  assert_int_equal(r.source[LW_COLLECT_LSA].code, LW_ENOPRIV);
  assert_string_equal(r.source[LW_COLLECT_LSA].what, "LsaEnumerateLogonSessions");
  assert_string_equal(r.source[LW_COLLECT_LSA].os_text, "0xC0000022");
  assert_true(r.source[LW_COLLECT_LSA].is_ntstatus);
  assert_string_equal(r.source[LW_COLLECT_LSA].message, LW_COLLECT_PRIVILEGE_MESSAGE);
  assert_non_null(strstr(r.source[LW_COLLECT_LSA].message, "administrative rights"));
  assert_non_null(strstr(r.source[LW_COLLECT_LSA].message, "SeDebugPrivilege"));
  /* not a list of empty sessions: none at all; the other sources still there */
  assert_int_equal(s->n_logons, 0);
  assert_int_equal(s->n_wts, 1);
  assert_int_equal(s->n_procs, 1);
  assert_int_equal(r.source[LW_COLLECT_WTS].code, 0);
  assert_int_equal(r.source[LW_COLLECT_PROCESSES].code, 0);
  lw_snapshot_free(s);

  /* STATUS_PRIVILEGE_NOT_HELD too */
  lsa.enum_status = (NTSTATUS)0xC0000061L;
  s = poll_expect(c, LW_ENOPRIV, &r);
  assert_string_equal(r.source[LW_COLLECT_LSA].os_text, "0xC0000061");
  lw_snapshot_free(s);
  lw_collector_close(c);
}

static void test_privilege_system_data_refused(void **state) {
  struct lw_collector *c = open_fake();
  struct lw_collect_report r;
  struct lw_snapshot *s;
  (void)state;
  add_logon(0x3e7, L"SYSTEM")->status = ST_ACCESS_DENIED;
  add_logon(0x50001, L"me");
  s = poll_expect(c, LW_ENOPRIV, &r);
  assert_int_equal(r.source[LW_COLLECT_LSA].code, LW_ENOPRIV);
  assert_string_equal(r.source[LW_COLLECT_LSA].what, "LsaGetLogonSessionData(00000000:000003e7)");
  assert_string_equal(r.source[LW_COLLECT_LSA].message, LW_COLLECT_PRIVILEGE_MESSAGE);
  lw_snapshot_free(s);
  lw_collector_close(c);
}

static void test_enumerate_fails(void **state) {
  struct lw_collector *c = open_fake();
  struct lw_collect_report r;
  struct lw_snapshot *s;
  (void)state;
  add_logon(0x60001, L"a");
  s = poll_expect(c, 0, &r);
  lw_snapshot_free(s);

  /* fails, and (wrongly) hands out a buffer anyway: still freed */
  lsa.enum_status = ST_UNSUCCESSFUL;
  lsa.enum_buffer_on_failure = 1;
  add_wts(2, WTSActive, L"RDP-Tcp#1");
  s = poll_expect(c, LW_EOS, &r);
  assert_int_equal(r.source[LW_COLLECT_LSA].code, LW_EOS);
  assert_string_equal(r.source[LW_COLLECT_LSA].os_text, "0xC0000001");
  assert_true(strlen(r.source[LW_COLLECT_LSA].message) > 0);
  assert_int_equal(s->n_wts, 1);
  assert_int_equal(s->n_logons, 0);
  lw_snapshot_free(s);

  /* the cache survived the failed poll: no data call when it works again */
  lsa.enum_status = 0;
  s = poll_expect(c, 0, &r);
  assert_int_equal(lsa.data_calls, 1);
  assert_string_equal(s->logons[0].user, "a");
  lw_snapshot_free(s);
  lw_collector_close(c);
}

static void test_wts_fails_others_succeed(void **state) {
  struct lw_collector *c = open_fake();
  struct lw_collect_report r;
  struct lw_snapshot *s;
  (void)state;
  add_logon(0x70001, L"alice");
  add_wts(2, WTSActive, L"RDP-Tcp#1");
  add_proc(200, L"explorer.exe", 0x70001);
  wts.enum_error = RPC_S_SERVER_UNAVAILABLE;

  s = poll_expect(c, LW_EOS, &r);
  assert_int_equal(r.failed, 1);
  assert_int_equal(r.source[LW_COLLECT_LSA].code, 0);
  assert_int_equal(r.source[LW_COLLECT_WTS].code, LW_EOS);
  assert_string_equal(r.source[LW_COLLECT_WTS].what, "WTSEnumerateSessionsW");
  assert_string_equal(r.source[LW_COLLECT_WTS].os_text, "1722");
  assert_false(r.source[LW_COLLECT_WTS].is_ntstatus);
  assert_int_equal(s->n_logons, 1);
  assert_int_equal(s->n_wts, 0);
  assert_int_equal(s->n_procs, 1);
  assert_int_equal(s->logons[0].process_count, 1);
  lw_snapshot_free(s);

  /* processes fail, LSA and WTS work */
  wts.enum_error = 0;
  pr.list_status = ST_ACCESS_DENIED;
  s = poll_expect(c, LW_EOS, &r);
  assert_int_equal(r.failed, 1);
  assert_int_equal(r.source[LW_COLLECT_PROCESSES].code, LW_EOS);
  assert_string_equal(r.source[LW_COLLECT_PROCESSES].os_text, "0xC0000022");
  assert_int_equal(s->n_logons, 1);
  assert_int_equal(s->n_wts, 1);
  assert_int_equal(s->n_procs, 0);
  lw_snapshot_free(s);

  /* all three fail: the first (LSA) decides the return code */
  lsa.enum_status = ST_UNSUCCESSFUL;
  wts.enum_error = ERROR_ACCESS_DENIED;
  s = poll_expect(c, LW_EOS, &r);
  assert_int_equal(r.failed, 3);
  assert_int_equal(r.source[LW_COLLECT_WTS].code, LW_ENOPRIV);
  lw_snapshot_free(s);
  lw_collector_close(c);
}

static void test_wts_fields(void **state) {
  struct lw_collector *c = open_fake();
  struct lw_snapshot *s;
  const struct lw_wts_session *w;
  struct fake_wts *e;
  static const BYTE v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  (void)state;

  add_wts(0, WTSDisconnected, L"Services");
  e = add_wts(2, WTSActive, L"RDP-Tcp#4");
  e->user = L"a-user-name-longer-than-twenty-characters";
  e->domain = L"A-DOMAIN-LONGER-THAN-17";
  e->client = L"LAPTOP-\xD83D\xDE00";
  e->family = 2; /* AF_INET */
  e->address[2] = 192;
  e->address[3] = 168;
  e->address[4] = 10;
  e->address[5] = 77;
  e->logon = lw_time_to_filetime(INT64_C(1795251600000));
  e->connect = lw_time_to_filetime(INT64_C(1795251660000));
  e = add_wts(3, WTSDisconnected, L"RDP-Tcp#5");
  e->user = L"bob";
  e->family = 23; /* AF_INET6 */
  memcpy(e->address + 2, v6, 16);
  e->disconnect = lw_time_to_filetime(INT64_C(1795251720000));
  e = add_wts(4, WTSActive, L"RDP-Tcp#6");
  e->vanished = 1; /* ended between the enumeration and the queries */
  add_wts(65536, WTSListen, L"RDP-Tcp");

  s = poll_expect(c, 0, NULL);
  assert_int_equal(s->n_wts, 5);
  w = lw_snapshot_find_wts(s, 0);
  assert_string_equal(w->station, "Services");
  assert_int_equal(w->state, LW_WTS_DISCONNECTED);
  assert_null(w->user); /* "" from Windows: no user */
  assert_null(w->domain);
  assert_null(w->client);
  assert_null(w->client_address);
  assert_true(w->logon_time == LW_TIME_UNKNOWN);
  w = lw_snapshot_find_wts(s, 2);
  assert_string_equal(w->user, "a-user-name-longer-than-twenty-characters");
  assert_string_equal(w->domain, "A-DOMAIN-LONGER-THAN-17");
  assert_string_equal(w->client, "LAPTOP-\xF0\x9F\x98\x80");
  assert_string_equal(w->client_address, "192.168.10.77");
  assert_true(w->logon_time == INT64_C(1795251600000));
  assert_true(w->connect_time == INT64_C(1795251660000));
  assert_true(w->disconnect_time == LW_TIME_UNKNOWN);
  w = lw_snapshot_find_wts(s, 3);
  assert_string_equal(w->client_address, "2001:db8::1");
  assert_true(w->disconnect_time == INT64_C(1795251720000));
  w = lw_snapshot_find_wts(s, 4);
  assert_string_equal(w->station, "RDP-Tcp#6");
  assert_int_equal(w->state, LW_WTS_ACTIVE);
  assert_null(w->user);
  assert_null(w->client_address);
  assert_int_equal(lw_snapshot_find_wts(s, 65536)->state, LW_WTS_LISTEN);
  assert_int_equal(wts.enum_calls, 1);
  lw_snapshot_free(s);
  lw_collector_close(c);
}

static void test_processes(void **state) {
  struct lw_collector *c = open_fake();
  struct lw_collect_report r;
  struct lw_snapshot *s;
  const struct lw_process *p;
  size_t i;
  (void)state;

  add_logon(0x80001, L"alice");
  add_proc(0, NULL, 0); /* idle: no token */
  add_proc(4, L"System", 0x3e7);
  add_proc(500, L"csrss.exe", 0)->token_error = ERROR_ACCESS_DENIED; /* protected */
  add_proc(600, L"lsass.exe", 0)->open_error = ERROR_ACCESS_DENIED;
  add_proc(700, L"gone.exe", 0)->open_error = ERROR_INVALID_PARAMETER; /* exited */
  add_proc(800, L"odd.exe", 0)->info_error = ERROR_BAD_LENGTH;
  add_proc(900, L"explorer.exe", 0x80001)->session = 3;
  pr.min_buffer = 300 * 1024; /* more than the first buffer: must grow */

  s = poll_expect(c, 0, &r);
  assert_int_equal(r.failed, 0);
  assert_int_equal(pr.mismatches, 1);
  assert_int_equal(s->n_procs, 6); /* all but the exited one */
  for (i = 0; i < s->n_procs; i++)
    assert_int_not_equal(s->procs[i].pid, 700);
  assert_int_equal(s->procs[0].pid, 0);
  assert_int_equal(s->procs[0].token_status, 0);
  assert_null(s->procs[0].image);
  p = &s->procs[1];
  assert_int_equal(p->pid, 4);
  assert_string_equal(p->image, "System");
  assert_true(p->luid == 0x3e7);
  assert_int_equal(s->procs[2].token_status, ERROR_ACCESS_DENIED);
  assert_int_equal(s->procs[3].token_status, ERROR_ACCESS_DENIED);
  assert_int_equal(s->procs[4].token_status, ERROR_BAD_LENGTH);
  assert_true(s->procs[4].luid == 0);
  p = &s->procs[5];
  assert_string_equal(p->image, "explorer.exe");
  assert_int_equal(p->session_id, 3);
  assert_int_equal(s->processes_denied, 3);
  assert_int_equal(lw_snapshot_find_logon(s, 0x80001)->process_count, 1);
  lw_snapshot_free(s);

  /* the grown buffer is kept: no second mismatch */
  s = poll_expect(c, 0, &r);
  assert_int_equal(pr.mismatches, 1);
  lw_snapshot_free(s);
  lw_collector_close(c);
}

static void test_boot_time(void **state) {
  struct lw_collector *c;
  struct lw_snapshot *s1, *s2;
  FILETIME now;
  int64_t now_ms, derived;
  (void)state;

  pr.has_boot_time = 1;
  pr.boot_time = lw_time_to_filetime(INT64_C(1795000000123)); /* with ms */
  c = open_fake();
  s1 = poll_expect(c, 0, NULL);
  s2 = poll_expect(c, 0, NULL);
  assert_true(s1->boot_time == INT64_C(1795000000000)); /* whole seconds */
  assert_true(s2->boot_time == s1->boot_time);
  assert_true(s1->taken_at != LW_TIME_UNKNOWN);
  lw_snapshot_free(s1);
  lw_snapshot_free(s2);
  lw_collector_close(c);

  /* no NtQuerySystemInformation class 3: now - tick count, still stable */
  pr.has_boot_time = 0;
  c = open_fake();
  s1 = poll_expect(c, 0, NULL);
  Sleep(20);
  s2 = poll_expect(c, 0, NULL);
  GetSystemTimeAsFileTime(&now);
  now_ms =
      lw_time_from_filetime((int64_t)(((uint64_t)now.dwHighDateTime << 32) | now.dwLowDateTime));
  derived = now_ms - (int64_t)GetTickCount64();
  assert_true(s1->boot_time == s2->boot_time);
  assert_int_equal(s1->boot_time % 1000, 0);
  assert_true(s1->boot_time > derived - 2000 && s1->boot_time < derived + 2000);
  assert_true(s2->taken_at >= s1->taken_at);
  lw_snapshot_free(s1);
  lw_snapshot_free(s2);
  lw_collector_close(c);
}

static void test_arguments(void **state) {
  struct lw_collector *c = open_fake();
  struct lw_snapshot *s = (struct lw_snapshot *)1;
  struct lw_collect_report r;
  (void)state;
  assert_int_equal(lw_collector_open(NULL, NULL), LW_EINVAL);
  assert_int_equal(lw_collector_poll(c, &s, NULL), LW_EINVAL);
  assert_null(s);
  assert_int_equal(lw_collector_poll(NULL, &s, &r), LW_EINVAL);
  assert_int_equal(lw_collector_poll(c, NULL, &r), LW_EINVAL);
  lw_collector_close(c);
  lw_collector_close(NULL);
  assert_string_equal(lw_collect_source_name(LW_COLLECT_WTS), "WTS sessions");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_counted_strings, setup, teardown),
      cmocka_unit_test_setup_teardown(test_vanished_and_denied, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cache_5000, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplicate_luids, setup, teardown),
      cmocka_unit_test_setup_teardown(test_high_part_luids, setup, teardown),
      cmocka_unit_test_setup_teardown(test_privilege_enumerate_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_privilege_system_data_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_enumerate_fails, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wts_fails_others_succeed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wts_fields, setup, teardown),
      cmocka_unit_test_setup_teardown(test_processes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_boot_time, setup, teardown),
      cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
