/*
 * eventlog.c - the Event Log wrapper: RegisterEventSourceW / ReportEventW /
 * DeregisterEventSource around a table of LeakWatch's events (insertion
 * string count and category per message), and FormatMessageW rendering from
 * the exe's own message table. UTF-8 in, UTF-16 to Windows.
 */
#include <windows.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "eventlog.h"
#include "events.h"
#include "messages.h"

/* No LeakWatch message takes more; keeps the argument arrays fixed-size. */
#define MAX_INSERTS 16

struct event_def {
  DWORD id;       /* full message ID from messages.h */
  WORD category;  /* LW_CATEGORY_* */
  unsigned nargs; /* insertion strings the text uses: %1..%nargs */
};

/* One row per event of events.h (texts: service/os/messages.mc, which
 * tests/lint/layering.sh checks against the table; tests/wine/test_eventlog.c
 * renders every entry and checks that each %1..%n lands in the text). */
#define LW_EVENT_DEF_ROW(name, id, severity, category, inserts, rate_limited)                      \
  {LW_MSG_##name, LW_CATEGORY_##category, inserts},
static const struct event_def k_events[] = {LW_EVENTS(LW_EVENT_DEF_ROW)};
#undef LW_EVENT_DEF_ROW

/* Each row's ID and severity are those windmc compiled into messages.h. */
#define LW_EVENT_CHECK_ROW(name, id, severity, category, inserts, rate_limited)                    \
  _Static_assert(LW_MSG_##name == (((DWORD)LW_SEVERITY_##severity << 30) | (DWORD)(id)),           \
                 "events.h and messages.mc disagree on " #name);
LW_EVENTS(LW_EVENT_CHECK_ROW)
#undef LW_EVENT_CHECK_ROW

static HANDLE g_source;

static const struct event_def *find_event(uint32_t msg_id) {
  size_t i;
  for (i = 0; i < sizeof k_events / sizeof k_events[0]; i++) {
    if (k_events[i].id == msg_id)
      return &k_events[i];
  }
  return NULL;
}

/* The event type is the message's severity (its top two bits). */
static WORD event_type(uint32_t msg_id) {
  switch (msg_id >> 30) {
  case 1:
    return EVENTLOG_INFORMATION_TYPE;
  case 2:
    return EVENTLOG_WARNING_TYPE;
  case 3:
    return EVENTLOG_ERROR_TYPE;
  default:
    return EVENTLOG_SUCCESS;
  }
}

static int check_args(const struct event_def *def, unsigned n, const char *const strings[]) {
  unsigned i;
  if (def == NULL || n != def->nargs || n > MAX_INSERTS || (n > 0 && strings == NULL))
    return LW_EINVAL;
  for (i = 0; i < n; i++) {
    if (strings[i] == NULL)
      return LW_EINVAL;
  }
  return LW_OK;
}

/* UTF-8 -> freshly malloc'ed, NUL-terminated UTF-16, cut to at most
 * LW_EVENTLOG_MAX_INSERT_CHARS characters (never inside a surrogate pair). */
static int to_wide(const char *s, wchar_t **out) {
  size_t len = strlen(s);
  int wlen = 0;
  wchar_t *w;

  *out = NULL;
  if (len > INT_MAX)
    return LW_EINVAL;
  if (len > 0) {
    wlen = MultiByteToWideChar(CP_UTF8, 0, s, (int)len, NULL, 0);
    if (wlen <= 0)
      return LW_EOS;
  }
  w = malloc(((size_t)wlen + 1) * sizeof *w);
  if (w == NULL)
    return LW_ENOMEM;
  if (len > 0 && MultiByteToWideChar(CP_UTF8, 0, s, (int)len, w, wlen) != wlen) {
    free(w);
    return LW_EOS;
  }
  if (wlen > LW_EVENTLOG_MAX_INSERT_CHARS) {
    wlen = LW_EVENTLOG_MAX_INSERT_CHARS;
    if (w[wlen - 1] >= 0xD800 && w[wlen - 1] <= 0xDBFF)
      wlen--;
  }
  w[wlen] = L'\0';
  *out = w;
  return LW_OK;
}

static void free_wide(wchar_t **w, unsigned n) {
  unsigned i;
  for (i = 0; i < n; i++) {
    free(w[i]);
    w[i] = NULL;
  }
}

/* Converts strings[0..n-1]; on failure nothing stays allocated. */
static int convert_all(unsigned n, const char *const strings[], wchar_t **wide) {
  unsigned i;
  for (i = 0; i < n; i++) {
    int rc = to_wide(strings[i], &wide[i]);
    if (rc != LW_OK) {
      free_wide(wide, i);
      return rc;
    }
  }
  return LW_OK;
}

int lw_eventlog_open(void) {
  if (g_source != NULL)
    return LW_OK;
  g_source = RegisterEventSourceW(NULL, L"" LW_EVENTLOG_SOURCE);
  return g_source != NULL ? LW_OK : LW_EOS;
}

void lw_eventlog_close(void) {
  if (g_source != NULL) {
    DeregisterEventSource(g_source);
    g_source = NULL;
  }
}

int lw_eventlog_report(uint32_t msg_id, unsigned n, const char *const strings[]) {
  const struct event_def *def = find_event(msg_id);
  wchar_t *wide[MAX_INSERTS] = {0};
  LPCWSTR cwide[MAX_INSERTS] = {0};
  unsigned i;
  int rc;

  if (g_source == NULL)
    return LW_EINVAL;
  rc = check_args(def, n, strings);
  if (rc != LW_OK)
    return rc;
  rc = convert_all(n, strings, wide);
  if (rc != LW_OK)
    return rc;
  for (i = 0; i < n; i++)
    cwide[i] = wide[i];

  if (!ReportEventW(g_source, event_type(msg_id), def->category, msg_id, NULL, (WORD)n, 0,
                    n > 0 ? cwide : NULL, NULL))
    rc = LW_EOS;

  free_wide(wide, n);
  return rc;
}

/* In place: CRLF -> LF, and no trailing line ends or blanks. */
static size_t normalise_text(wchar_t *t, size_t len) {
  size_t r, w = 0;
  for (r = 0; r < len; r++) {
    if (t[r] == L'\r' && r + 1 < len && t[r + 1] == L'\n')
      continue;
    t[w++] = t[r];
  }
  while (w > 0 && (t[w - 1] == L'\n' || t[w - 1] == L'\r' || t[w - 1] == L' '))
    w--;
  t[w] = L'\0';
  return w;
}

int lw_eventlog_render(uint32_t msg_id, unsigned n, const char *const strings[], char *out,
                       size_t outlen) {
  const struct event_def *def = find_event(msg_id);
  wchar_t *wide[MAX_INSERTS] = {0};
  DWORD_PTR args[MAX_INSERTS] = {0};
  wchar_t *text = NULL;
  DWORD tlen;
  size_t len;
  int need;
  unsigned i;
  int rc;

  if (out == NULL || outlen == 0 || outlen > INT_MAX)
    return LW_EINVAL;
  out[0] = '\0';
  rc = check_args(def, n, strings);
  if (rc != LW_OK)
    return rc;
  rc = convert_all(n, strings, wide);
  if (rc != LW_OK)
    return rc;
  for (i = 0; i < n; i++)
    args[i] = (DWORD_PTR)wide[i];

  /* One pass over the template: FormatMessageW never expands a %1 that
   * arrives inside an insertion string. */
  tlen = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY |
                            FORMAT_MESSAGE_ALLOCATE_BUFFER,
                        GetModuleHandleW(NULL), msg_id, 0, (LPWSTR)&text, 0, (va_list *)args);
  if (tlen == 0) {
    DWORD err = GetLastError();
    rc = (err == ERROR_MR_MID_NOT_FOUND || err == ERROR_RESOURCE_DATA_NOT_FOUND ||
          err == ERROR_RESOURCE_TYPE_NOT_FOUND || err == ERROR_RESOURCE_LANG_NOT_FOUND)
             ? LW_ENOENT
             : LW_EOS;
    goto cleanup;
  }

  len = normalise_text(text, tlen);
  if (len == 0)
    goto cleanup;
  need = WideCharToMultiByte(CP_UTF8, 0, text, (int)len, NULL, 0, NULL, NULL);
  if (need <= 0) {
    rc = LW_EOS;
    goto cleanup;
  }
  if ((size_t)need >= outlen) {
    rc = LW_ENOSPC;
    goto cleanup;
  }
  if (WideCharToMultiByte(CP_UTF8, 0, text, (int)len, out, need, NULL, NULL) != need) {
    rc = LW_EOS;
    goto cleanup;
  }
  out[need] = '\0';

cleanup:
  if (text != NULL)
    LocalFree(text);
  free_wide(wide, n);
  return rc;
}

int lw_eventlog_insert_count(uint32_t msg_id) {
  const struct event_def *def = find_event(msg_id);
  return def != NULL ? (int)def->nargs : LW_ENOENT;
}

uint32_t lw_eventlog_message_id(unsigned event_id) {
  size_t i;
  for (i = 0; i < sizeof k_events / sizeof k_events[0]; i++) {
    if ((k_events[i].id & 0xFFFFu) == event_id)
      return k_events[i].id;
  }
  return 0;
}

const char *lw_eventlog_type_name(uint32_t msg_id) {
  switch (event_type(msg_id)) {
  case EVENTLOG_INFORMATION_TYPE:
    return "information";
  case EVENTLOG_WARNING_TYPE:
    return "warning";
  case EVENTLOG_ERROR_TYPE:
    return "error";
  default:
    return "success";
  }
}
