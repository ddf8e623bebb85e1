/*
 * html_text.h - text written into the HTML report (report_html.h).
 *
 * A user name, a domain or an image path comes from the host: whoever logs
 * on or runs a program chooses it. lw_html_text first makes it terminal-safe
 * (text_safe.h: controls and bidirectional overrides become visible escapes
 * such as \x1b or \u202e, so no name can look like another) and then writes
 * & < > " ' as character references, so it is text in an element and in a
 * quoted attribute alike, never markup. Everything the report writes from
 * the database goes through here; lw_html_raw is for the report's own markup.
 */
#ifndef LW_HTML_TEXT_H
#define LW_HTML_TEXT_H

#include "out_buffer.h"

/* s (may be NULL: nothing) as escaped text. */
void lw_html_text(struct lw_out *o, const char *s);

/* The report's own markup, as it is. */
void lw_html_raw(struct lw_out *o, const char *s);

/* printf-style markup (numbers, fixed words; never host text). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void lw_html_printf(struct lw_out *o, const char *fmt, ...);

#endif /* LW_HTML_TEXT_H */
