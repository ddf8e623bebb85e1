/*
 * svg_chart.h - a line chart of a series' figures (report_series.h) as
 * inline SVG, for the HTML report: no script, no external style or font;
 * the colours are the page's CSS classes (lw-c0, lw-c1, ...).
 *
 * Each figure is drawn as a line through each bucket's highest value and a
 * pale band down to its lowest, so the peaks of a shrunk history stay where
 * they were. A line breaks where no poll had the figure for longer than
 * three buckets (the service stopped, or the figures did not exist yet).
 * The time axis is UTC.
 */
#ifndef LW_SVG_CHART_H
#define LW_SVG_CHART_H

#include <stddef.h>

#include "out_buffer.h"
#include "report_series.h"

#define LW_CHART_MAX_LINES 4

struct lw_chart {
  const char *id;    /* the <svg>'s element id (the report's constant) */
  const char *title; /* what it shows, for screen readers (<title>) */
  size_t n_lines;
  struct {
    enum lw_series_figure figure;
    const char *label; /* the legend's text */
  } lines[LW_CHART_MAX_LINES];
};

/* Draws chart c of series s into o. An empty series draws a frame that says
 * so. */
void lw_svg_chart(struct lw_out *o, const struct lw_series *s, const struct lw_chart *c);

#endif /* LW_SVG_CHART_H */
