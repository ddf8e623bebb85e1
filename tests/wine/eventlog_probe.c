/*
 * eventlog_probe.exe - a test tool: writes one LeakWatch event through
 * service/os/eventlog.c and prints the text Event Viewer would show for it.
 *   eventlog_probe EVENT_ID [INSERT...]
 * EVENT_ID is the public decimal ID (2001); the inserts are taken as UTF-8
 * (the command line is read as UTF-16 and converted). Exit 0 on success,
 * 1 with a message on stderr otherwise. tests/wine/test_eventlog_trace.sh
 * runs it under WINEDEBUG=+eventlog to see what reached ReportEventW.
 */
#include <windows.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "eventlog.h"

#define MAX_ARGS 16
#define OUTSZ 131072

static char *utf8_of(const wchar_t *w) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
  char *s;
  if (n <= 0)
    return NULL;
  s = malloc((size_t)n);
  if (s != NULL && WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) != n) {
    free(s);
    s = NULL;
  }
  return s;
}

int main(void) {
  int argc = 0, i, rc = 1, err;
  wchar_t **wargv = CommandLineToArgvW(GetCommandLineW(), &argc);
  char *args[MAX_ARGS] = {0};
  char *out = malloc(OUTSZ);
  unsigned n;
  uint32_t msg_id;

  if (wargv == NULL || out == NULL || argc < 2 || argc - 2 > MAX_ARGS) {
    fprintf(stderr, "usage: eventlog_probe EVENT_ID [INSERT...] (at most %d)\n", MAX_ARGS);
    goto cleanup;
  }
  msg_id = lw_eventlog_message_id((unsigned)wcstoul(wargv[1], NULL, 10));
  if (msg_id == 0) {
    fprintf(stderr, "eventlog_probe: no LeakWatch event %ls\n", wargv[1]);
    goto cleanup;
  }
  n = (unsigned)(argc - 2);
  for (i = 0; i < argc - 2; i++) {
    args[i] = utf8_of(wargv[i + 2]);
    if (args[i] == NULL) {
      fprintf(stderr, "eventlog_probe: cannot convert argument %d\n", i + 2);
      goto cleanup;
    }
  }
  err = lw_eventlog_open();
  if (err == LW_OK)
    err = lw_eventlog_report(msg_id, n, (const char *const *)args);
  lw_eventlog_close();
  if (err != LW_OK) {
    fprintf(stderr, "eventlog_probe: report failed: %s\n", lw_err_name(err));
    goto cleanup;
  }
  err = lw_eventlog_render(msg_id, n, (const char *const *)args, out, OUTSZ);
  if (err != LW_OK) {
    fprintf(stderr, "eventlog_probe: render failed: %s\n", lw_err_name(err));
    goto cleanup;
  }
  printf("id=%u type=%s\n%s\n", (unsigned)(msg_id & 0xFFFFu), lw_eventlog_type_name(msg_id), out);
  rc = 0;

cleanup:
  for (i = 0; i < MAX_ARGS; i++)
    free(args[i]);
  free(out);
  if (wargv != NULL)
    LocalFree(wargv);
  return rc;
}
