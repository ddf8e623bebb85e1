/* csv_stdout.c - CSV on the console's stdout (see commands.h). */
#include <fcntl.h>
#include <io.h>
#include <stdio.h>

#include "commands.h"

bool lw_cli_csv_stdout(void) {
  fflush(stdout);
  return _setmode(_fileno(stdout), _O_BINARY) != -1;
}
