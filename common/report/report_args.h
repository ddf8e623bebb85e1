/*
 * report_args.h - the output formats of the report commands: the table (or
 * Event Viewer's text) an operator reads, or JSON / CSV for scripts. The
 * options that choose them are parsed by cli_args.h, for every command alike.
 */
#ifndef LW_REPORT_ARGS_H
#define LW_REPORT_ARGS_H

enum lw_report_format { LW_REPORT_TABLE, LW_REPORT_JSON, LW_REPORT_CSV };

#endif /* LW_REPORT_ARGS_H */
