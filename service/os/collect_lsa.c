/*
 * collect_lsa.c - the LSA logon sessions of one poll (LsaEnumerateLogonSessions
 * + LsaGetLogonSessionData), with the LUID cache, and the system LSA table.
 *
 * Rules (issue 3):
 *  - counted strings (LSA_UNICODE_STRING) are converted by their Length only,
 *    never by looking for a NUL; a NULL Buffer is "no value" (NULL), a zero
 *    Length with a Buffer is "";
 *  - a data call that fails (STATUS_NO_SUCH_LOGON_SESSION: the session
 *    vanished between the two calls; STATUS_ACCESS_DENIED; anything else) is
 *    recorded in the session's data_status, not an error of the poll;
 *  - both buffers are freed with LsaFreeReturnBuffer on every path: the LUID
 *    list is copied and freed right after the enumeration, each data buffer
 *    right after it has been converted;
 *  - session data is immutable for a LUID within a boot, so it is cached by
 *    LUID: a LUID enumerated at the previous poll is not asked about again;
 *    a LUID missing from an enumeration is evicted. A failed data call is NOT
 *    cached: the LUID is asked about again at the next poll (access can be
 *    granted later, and a status is cheap to retry but wrong to keep forever).
 *    The cache is a sorted array merged with the sorted enumeration: O(n log n)
 *    per poll for n sessions, no per-LUID allocation for known LUIDs.
 *  - not running with administrative rights gives one clear error (LW_ENOPRIV)
 *    instead of a list of empty sessions: when the enumeration is refused
 *    (STATUS_ACCESS_DENIED / STATUS_PRIVILEGE_NOT_HELD), or when the data of
 *    SYSTEM's own logon session (0x3e7), which exists on every host and only
 *    administrators and SYSTEM may read, is refused with STATUS_ACCESS_DENIED.
 */
#include <windows.h>
#include <ntsecapi.h>
#include <sddl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "error.h"
#include "luid.h"
#include "timefmt.h"
#include "utf16.h"
#include "win_error.h"

/* ---- The system table ----------------------------------------------------- */

static const struct lw_lsa_api system_lsa = {
    LsaEnumerateLogonSessions,
    LsaGetLogonSessionData,
    LsaFreeReturnBuffer,
};

const struct lw_lsa_api *lw_lsa_api_system(void) {
  return &system_lsa;
}

/* ---- The cache ------------------------------------------------------------ */

/* The strings of one session, in this order inside its `strings` block. */
enum { F_USER, F_DOMAIN, F_SID, F_AUTH, F_SERVER, F_DNS, F_UPN, F_COUNT };

struct cached_logon {
  uint64_t luid;
  uint32_t logon_type;
  uint32_t terminal_session;
  int64_t logon_time;
  char *strings;            /* one malloc'd block holding every non-NULL field */
  const char *str[F_COUNT]; /* into `strings`, or NULL for no value */
};

struct lw__lsa_cache {
  struct cached_logon *v; /* sorted by luid, unique */
  size_t n, cap;
  struct cached_logon *next; /* the next poll's cache, built by the merge */
  size_t next_cap;
  uint64_t *luids; /* this poll's enumeration, sorted */
  size_t luids_cap;
};

int lw__lsa_cache_new(struct lw__lsa_cache **out) {
  *out = calloc(1, sizeof **out);
  return *out != NULL ? 0 : LW_ENOMEM;
}

void lw__lsa_cache_free(struct lw__lsa_cache *c) {
  size_t i;
  if (c == NULL)
    return;
  for (i = 0; i < c->n; i++)
    free(c->v[i].strings);
  free(c->v);
  free(c->next);
  free(c->luids);
  free(c);
}

size_t lw__lsa_cache_size(const struct lw__lsa_cache *c) {
  return c->n;
}

/* Makes the array `arr` (*cap elements of `elem` bytes) hold at least n (and
 * at least 1, so it is never NULL). Returns the possibly moved array, or NULL
 * when out of memory (arr and *cap unchanged). */
static void *reserve(void *arr, size_t *cap, size_t n, size_t elem) {
  size_t new_cap;
  void *p;
  if (n == 0)
    n = 1;
  if (n <= *cap)
    return arr;
  new_cap = *cap != 0 ? *cap : 64;
  while (new_cap < n) {
    if (new_cap > SIZE_MAX / 2)
      return NULL;
    new_cap *= 2;
  }
  if (new_cap > SIZE_MAX / elem)
    return NULL;
  p = realloc(arr, new_cap * elem);
  if (p == NULL)
    return NULL;
  *cap = new_cap;
  return p;
}

static int cmp_luid(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* ---- Converting one SECURITY_LOGON_SESSION_DATA --------------------------- */

/* Does the structure, `size` bytes as its Size says, reach past `field`?
 * LogonServer, DnsDomainName and Upn came after the first version. */
#define HAS_FIELD(size, field)                                                                     \
  ((size) >= offsetof(SECURITY_LOGON_SESSION_DATA, field) +                                        \
                 sizeof(((SECURITY_LOGON_SESSION_DATA *)0)->field))

/* The SID as "S-1-5-...", as a NUL-terminated UTF-16 string the caller frees
 * with LocalFree, or NULL (no SID, an invalid one, or out of memory). */
static WCHAR *sid_text(PSID sid) {
  WCHAR *w = NULL;
  if (sid == NULL || !IsValidSid(sid))
    return NULL;
  if (!ConvertSidToStringSidW(sid, &w))
    return NULL;
  return w;
}

/* Converts the data into a cache entry (entry->luid already set). Returns 0 or
 * LW_ENOMEM (entry->strings NULL then). */
static int convert_data(const SECURITY_LOGON_SESSION_DATA *d, struct cached_logon *entry) {
  const uint16_t *src[F_COUNT] = {NULL};
  size_t units[F_COUNT] = {0}, len[F_COUNT] = {0}, total = 0, i;
  const LSA_UNICODE_STRING *lsa[F_COUNT] = {NULL};
  WCHAR *sid = sid_text(d->Sid);
  char *p;
  int rc = 0;

  entry->logon_type = (uint32_t)d->LogonType;
  entry->terminal_session = (uint32_t)d->Session;
  entry->logon_time = lw_time_from_filetime((int64_t)d->LogonTime.QuadPart);
  entry->strings = NULL;

  lsa[F_USER] = &d->UserName;
  lsa[F_DOMAIN] = &d->LogonDomain;
  lsa[F_AUTH] = &d->AuthenticationPackage;
  if (HAS_FIELD(d->Size, LogonServer))
    lsa[F_SERVER] = &d->LogonServer;
  if (HAS_FIELD(d->Size, DnsDomainName))
    lsa[F_DNS] = &d->DnsDomainName;
  if (HAS_FIELD(d->Size, Upn))
    lsa[F_UPN] = &d->Upn;
  for (i = 0; i < F_COUNT; i++) {
    if (lsa[i] != NULL && lsa[i]->Buffer != NULL) {
      src[i] = (const uint16_t *)lsa[i]->Buffer;
      units[i] = lw_lsa_string_units(lsa[i]->Length); /* by Length, never by NUL */
    }
  }
  if (sid != NULL) {
    src[F_SID] = (const uint16_t *)sid;
    units[F_SID] = wcslen(sid); /* our own NUL-terminated copy */
  }

  for (i = 0; i < F_COUNT; i++) {
    if (src[i] == NULL)
      continue;
    lw_utf16_to_utf8(src[i], units[i], NULL, 0, &len[i]);
    total += len[i] + 1;
  }
  p = malloc(total != 0 ? total : 1);
  if (p == NULL) {
    rc = LW_ENOMEM;
    goto cleanup;
  }
  entry->strings = p;
  for (i = 0; i < F_COUNT; i++) {
    entry->str[i] = NULL;
    if (src[i] == NULL)
      continue;
    lw_utf16_to_utf8(src[i], units[i], p, len[i] + 1, NULL);
    entry->str[i] = p;
    p += len[i] + 1;
  }

cleanup:
  if (sid != NULL)
    LocalFree(sid);
  return rc;
}

/* Adds a logon session with the entry's data to the snapshot. 0 or LW_ENOMEM. */
static int emit_cached(struct lw_snapshot *s, const struct cached_logon *e) {
  struct lw_logon_session *l = lw_snapshot_add_logon(s);
  const char *str[F_COUNT];
  size_t i;
  if (l == NULL)
    return LW_ENOMEM;
  l->luid = e->luid;
  l->logon_type = e->logon_type;
  l->terminal_session = e->terminal_session;
  l->logon_time = e->logon_time;
  for (i = 0; i < F_COUNT; i++) {
    str[i] = lw_snapshot_strdup(s, e->str[i]);
    if (e->str[i] != NULL && str[i] == NULL)
      return LW_ENOMEM;
  }
  l->user = str[F_USER];
  l->domain = str[F_DOMAIN];
  l->sid = str[F_SID];
  l->auth_package = str[F_AUTH];
  l->logon_server = str[F_SERVER];
  l->dns_domain = str[F_DNS];
  l->upn = str[F_UPN];
  return 0;
}

static int emit_failed(struct lw_snapshot *s, uint64_t luid, uint32_t status) {
  struct lw_logon_session *l = lw_snapshot_add_logon(s);
  if (l == NULL)
    return LW_ENOMEM;
  l->luid = luid;
  l->data_status = status;
  return 0;
}

/* Asks LSA about one new LUID. Returns the NTSTATUS of the data call (as
 * uint32), or 0 with *entry filled; *oom set when the data could not be
 * stored. The data buffer is freed here, on every path. */
static uint32_t fetch(const struct lw_lsa_api *api, uint64_t luid, struct cached_logon *entry,
                      int *oom) {
  LUID id;
  PSECURITY_LOGON_SESSION_DATA d = NULL;
  uint32_t st;

  id.LowPart = (DWORD)(luid & 0xffffffffu);
  id.HighPart = (LONG)(DWORD)(luid >> 32);
  st = (uint32_t)api->get_logon_session_data(&id, &d);
  if (st == 0 && d == NULL)
    st = LW_STATUS_UNSUCCESSFUL; /* success without data: nothing to show */
  if (st == 0) {
    entry->luid = luid;
    if (convert_data(d, entry) != 0) {
      *oom = 1;
      st = LW_STATUS_UNSUCCESSFUL;
    }
  }
  if (d != NULL)
    api->free_return_buffer(d); /* also when the call failed but handed out a buffer */
  return st;
}

/* ---- One poll ------------------------------------------------------------- */

int lw__collect_lsa(struct lw__lsa_cache *c, const struct lw_lsa_api *api, struct lw_snapshot *s,
                    struct lw_collect_error *err) {
  ULONG count = 0;
  PLUID list = NULL;
  uint32_t st;
  size_t n = 0, i, j, out = 0;
  int oom = 0, system_denied = 0, rc = 0;

  st = (uint32_t)api->enumerate_logon_sessions(&count, &list);
  if (st == 0 && count > 0 && list == NULL)
    st = LW_STATUS_UNSUCCESSFUL;
  if (st == 0) {
    uint64_t *v = reserve(c->luids, &c->luids_cap, count, sizeof *c->luids);
    if (v == NULL)
      oom = 1;
    else
      c->luids = v;
  }
  if (st == 0 && !oom) {
    for (i = 0; i < count; i++)
      c->luids[i] = lw_luid_from_parts((int32_t)list[i].HighPart, list[i].LowPart);
    n = count;
  }
  if (list != NULL)
    api->free_return_buffer(list); /* the LUIDs are copied: nothing below needs it */
  list = NULL;
  /* Denied here means this process is not an administrator: LW_ENOPRIV, which
   * the privilege message and `sessions`' exit status key on. */
  if (lw_error_from_ntstatus(st) == LW_EACCES)
    return lw__collect_fail(err, LW_ENOPRIV, "LsaEnumerateLogonSessions", st, true,
                            LW_COLLECT_PRIVILEGE_MESSAGE);
  if (st != 0)
    return lw__collect_fail(err, LW_EOS, "LsaEnumerateLogonSessions", st, true, NULL);
  if (!oom) {
    struct cached_logon *v = reserve(c->next, &c->next_cap, n, sizeof *c->next);
    if (v == NULL)
      oom = 1;
    else
      c->next = v;
  }
  if (oom)
    return lw__collect_fail(err, LW_ENOMEM, "LsaEnumerateLogonSessions", 0, false, "out of memory");

  if (n > 1)
    qsort(c->luids, n, sizeof *c->luids, cmp_luid);

  /* Merge the sorted enumeration with the sorted cache: a LUID in both is
   * known; one only in the enumeration is new (data call); one only in the
   * cache has ended (evicted). */
  for (i = 0, j = 0; i < n; i++) {
    uint64_t luid = c->luids[i];
    if (i > 0 && luid == c->luids[i - 1])
      continue; /* LSA never repeats a LUID; if it did, show it once */
    while (j < c->n && c->v[j].luid < luid)
      free(c->v[j++].strings); /* ended: evict */
    if (j < c->n && c->v[j].luid == luid) {
      c->next[out++] = c->v[j++]; /* known: moved, not asked again */
      if (emit_cached(s, &c->next[out - 1]) != 0)
        oom = 1;
      continue;
    }
    {
      struct cached_logon entry;
      memset(&entry, 0, sizeof entry);
      st = fetch(api, luid, &entry, &oom);
      if (st == 0) {
        c->next[out++] = entry;
        if (emit_cached(s, &entry) != 0)
          oom = 1;
      } else {
        /* not cached: asked again at the next poll */
        if (luid == LW_LUID_SYSTEM && st == LW_STATUS_ACCESS_DENIED)
          system_denied = 1;
        if (emit_failed(s, luid, st) != 0)
          oom = 1;
      }
    }
  }
  while (j < c->n)
    free(c->v[j++].strings);

  /* The merged array becomes the cache; the old one is reused next time. */
  {
    struct cached_logon *tmp = c->v;
    size_t tmp_cap = c->cap;
    c->v = c->next;
    c->cap = c->next_cap;
    c->n = out;
    c->next = tmp;
    c->next_cap = tmp_cap;
  }
  if (system_denied)
    rc = lw__collect_fail(err, LW_ENOPRIV, "LsaGetLogonSessionData(00000000:000003e7)",
                          LW_STATUS_ACCESS_DENIED, true, LW_COLLECT_PRIVILEGE_MESSAGE);
  else if (oom)
    rc = lw__collect_fail(err, LW_ENOMEM, "LsaGetLogonSessionData", 0, false, "out of memory");
  return rc;
}
