/*
 * report_args.h - what the report commands (`leakwatch history`, `events`,
 * `sessions`) share on their command line: the output format.
 */
#ifndef LW_REPORT_ARGS_H
#define LW_REPORT_ARGS_H

/* The table (or Event Viewer's text) an operator reads, or a format for scripts. */
enum lw_report_format { LW_REPORT_TABLE, LW_REPORT_JSON, LW_REPORT_CSV };

#endif /* LW_REPORT_ARGS_H */
