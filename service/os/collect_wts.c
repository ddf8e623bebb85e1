/*
 * collect_wts.c - the WTS (Remote Desktop) sessions of one poll, and the
 * system WTS table.
 *
 * WTSEnumerateSessionsW gives each session's ID, station name and state; for
 * each, WTSQuerySessionInformationW gives the user and domain (WTSUserName,
 * WTSDomainName: in full, where WTSINFOW's fixed arrays cut them at 20 and 17
 * characters), the client name (WTSClientName), the client address
 * (WTSClientAddress) and the times and the state (WTSSessionInfo). Every buffer
 * is freed with WTSFreeMemory right after it has been read.
 *
 * Only a failed enumeration fails the source. A query that fails (the session
 * ended between the enumeration and the query: ERROR_CTX_WINSTATION_NOT_FOUND;
 * a class this edition does not answer) leaves that field unknown (NULL). The
 * strings Windows gives as "" for a session without a user (user, domain,
 * client) are stored as NULL: there is no such value. Query buffers are
 * converted within their byte count and stop at the first NUL.
 */
#include <windows.h>
#include <wtsapi32.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "error.h"
#include "timefmt.h"
#include "utf16.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 23
#endif

/* The longest station name we accept from an enumeration entry (Windows'
 * WINSTATIONNAME is 32 characters; this only bounds a broken buffer). */
#define MAX_STATION_UNITS 256

static const struct lw_wts_api system_wts = {
    WTSEnumerateSessionsW,
    WTSQuerySessionInformationW,
    WTSFreeMemory,
};

const struct lw_wts_api *lw_wts_api_system(void) {
  return &system_wts;
}

/* Queries one class. Returns the buffer (free with api->free_memory) and its
 * size in *bytes, or NULL when the query failed or gave nothing. */
static void *query(const struct lw_wts_api *api, DWORD id, WTS_INFO_CLASS cls, DWORD *bytes) {
  LPWSTR buf = NULL;
  *bytes = 0;
  if (!api->query_session_information(WTS_CURRENT_SERVER_HANDLE, id, cls, &buf, bytes)) {
    if (buf != NULL)
      api->free_memory(buf); /* a failed call should hand out nothing; never leak it */
    *bytes = 0;
    return NULL;
  }
  if (buf != NULL && *bytes == 0) {
    api->free_memory(buf);
    return NULL;
  }
  return buf;
}

/* A string class into the snapshot: NULL when the query failed or the
 * string is empty; *oom set when the arena is full. */
static const char *query_string(const struct lw_wts_api *api, struct lw_snapshot *s, DWORD id,
                                WTS_INFO_CLASS cls, int *oom) {
  DWORD bytes;
  const char *text = NULL;
  void *buf = query(api, id, cls, &bytes);
  if (buf == NULL)
    return NULL;
  if (bytes >= sizeof(WCHAR) && *(const uint16_t *)buf != 0) {
    text = lw_snapshot_strdup_utf16(s, (const uint16_t *)buf, bytes / sizeof(WCHAR));
    if (text == NULL)
      *oom = 1;
  }
  api->free_memory(buf);
  return text;
}

/* RFC 5952 text of an IPv6 address: lowercase, the longest run (2 or more) of
 * zero groups as "::". */
static void format_ipv6(const BYTE a[16], char *out, size_t size) {
  unsigned g[8];
  int best = -1, best_len = 0, i, pos = 0;
  for (i = 0; i < 8; i++)
    g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
  for (i = 0; i < 8;) {
    int j = i;
    while (j < 8 && g[j] == 0)
      j++;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j > i ? j : i + 1;
  }
  out[0] = '\0';
  for (i = 0; i < 8; i++) {
    if (i == best) {
      pos += snprintf(out + pos, size - (size_t)pos, "::");
      i += best_len - 1;
      continue;
    }
    pos += snprintf(out + pos, size - (size_t)pos, "%s%x",
                    (i > 0 && !(best >= 0 && i == best + best_len)) ? ":" : "", g[i]);
  }
}

/* The client address as text, or NULL (none, unknown family, failed query). */
static const char *query_address(const struct lw_wts_api *api, struct lw_snapshot *s, DWORD id,
                                 int *oom) {
  DWORD bytes;
  const char *text = NULL;
  char buf[64];
  WTS_CLIENT_ADDRESS *a = query(api, id, WTSClientAddress, &bytes);
  if (a == NULL)
    return NULL;
  buf[0] = '\0';
  /* The address follows the family as in a sockaddr: 2 bytes of port, then
   * the address (bytes 2..5 for IPv4, 2..17 for IPv6). */
  if (bytes >= sizeof *a && a->AddressFamily == AF_INET)
    snprintf(buf, sizeof buf, "%u.%u.%u.%u", a->Address[2], a->Address[3], a->Address[4],
             a->Address[5]);
  else if (bytes >= sizeof *a && a->AddressFamily == AF_INET6)
    format_ipv6(a->Address + 2, buf, sizeof buf);
  if (buf[0] != '\0') {
    text = lw_snapshot_strdup(s, buf);
    if (text == NULL)
      *oom = 1;
  }
  api->free_memory(a);
  return text;
}

/* Times and state from WTSSessionInfo; leaves them as they are when the
 * query fails. */
static void query_info(const struct lw_wts_api *api, DWORD id, struct lw_wts_session *w) {
  DWORD bytes;
  WTSINFOW *info = query(api, id, WTSSessionInfo, &bytes);
  if (info == NULL)
    return;
  if (bytes >= sizeof *info) {
    w->state = (uint32_t)info->State;
    w->logon_time = lw_time_from_filetime((int64_t)info->LogonTime.QuadPart);
    w->connect_time = lw_time_from_filetime((int64_t)info->ConnectTime.QuadPart);
    w->disconnect_time = lw_time_from_filetime((int64_t)info->DisconnectTime.QuadPart);
  }
  api->free_memory(info);
}

int lw__collect_wts(const struct lw_wts_api *api, struct lw_snapshot *s,
                    struct lw_collect_error *err) {
  PWTS_SESSION_INFOW info = NULL;
  DWORD count = 0, i;
  int oom = 0, rc = 0;

  if (!api->enumerate_sessions(WTS_CURRENT_SERVER_HANDLE, 0, 1, &info, &count)) {
    DWORD e = GetLastError();
    if (info != NULL)
      api->free_memory(info);
    /* Kept here, not translated (win_error.h): access denied to the enumeration
     * means this process is not an administrator (LW_ENOPRIV, which the
     * privilege message and `sessions`' exit status key on); every other error,
     * ERROR_PRIVILEGE_NOT_HELD included, has always been LW_EOS. */
    return lw__collect_fail(err, e == ERROR_ACCESS_DENIED ? LW_ENOPRIV : LW_EOS,
                            "WTSEnumerateSessionsW", e, false, NULL);
  }
  if (info == NULL)
    count = 0;
  for (i = 0; i < count && !oom; i++) {
    struct lw_wts_session *w = lw_snapshot_add_wts(s);
    DWORD id = info[i].SessionId;
    const WCHAR *station = info[i].pWinStationName;
    if (w == NULL) {
      oom = 1;
      break;
    }
    w->id = id;
    w->state = (uint32_t)info[i].State;
    if (station != NULL) {
      w->station = lw_snapshot_strdup_utf16(s, (const uint16_t *)station,
                                            wcsnlen(station, MAX_STATION_UNITS));
      if (w->station == NULL)
        oom = 1;
    }
    w->user = query_string(api, s, id, WTSUserName, &oom);
    w->domain = query_string(api, s, id, WTSDomainName, &oom);
    w->client = query_string(api, s, id, WTSClientName, &oom);
    w->client_address = query_address(api, s, id, &oom);
    query_info(api, id, w);
  }
  if (info != NULL)
    api->free_memory(info);
  if (oom)
    rc = lw__collect_fail(err, LW_ENOMEM, "WTSEnumerateSessionsW", 0, false, "out of memory");
  return rc;
}
