/*
 * svc_control.c - `svc_control NAME paramchange|interrogate`: sends a control to
 * a service, as `sc control NAME paramchange` does on Windows (Wine's sc has no
 * `control` command). Exits 0, or prints the Win32 error and exits 1.
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: svc_control NAME paramchange|interrogate\n");
    return 2;
  }
  DWORD control = strcmp(argv[2], "paramchange") == 0   ? SERVICE_CONTROL_PARAMCHANGE
                  : strcmp(argv[2], "interrogate") == 0 ? SERVICE_CONTROL_INTERROGATE
                                                        : 0;
  if (control == 0) {
    fprintf(stderr, "svc_control: unknown control '%s'\n", argv[2]);
    return 2;
  }
  SC_HANDLE scm = OpenSCManagerA(NULL, NULL, SC_MANAGER_CONNECT);
  SC_HANDLE svc = scm ? OpenServiceA(scm, argv[1],
                                     SERVICE_USER_DEFINED_CONTROL | SERVICE_PAUSE_CONTINUE |
                                         SERVICE_INTERROGATE)
                      : NULL;
  SERVICE_STATUS status;
  int rc = 0;
  if (svc == NULL || !ControlService(svc, control, &status)) {
    fprintf(stderr, "svc_control: %s %s failed: error %lu\n", argv[1], argv[2], GetLastError());
    rc = 1;
  }
  if (svc != NULL)
    CloseServiceHandle(svc);
  if (scm != NULL)
    CloseServiceHandle(scm);
  return rc;
}
