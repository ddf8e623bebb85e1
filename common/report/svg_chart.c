/*
 * svg_chart.c - a series' figures as an inline SVG line chart (see
 * svg_chart.h). Coordinates are written with one decimal: a 720-bucket
 * chart of four lines stays under 100 KB.
 */
#include "svg_chart.h"

#include <string.h>

#include "html_text.h"
#include "timefmt.h"

/* The drawing, in SVG user units (the page scales it to its width). */
#define W 960.0
#define H 280.0
#define LEFT 64.0
#define RIGHT 16.0
#define TOP 30.0
#define BOTTOM 34.0
#define PLOT_W (W - LEFT - RIGHT)
#define PLOT_H (H - TOP - BOTTOM)

struct frame {
  const struct lw_series *s;
  double top; /* the value at the top of the plot */
};

static double x_of(const struct frame *fr, int64_t t) {
  const struct lw_series *s = fr->s;
  if (s->to <= s->from)
    return LEFT + PLOT_W / 2;
  return LEFT + (double)(t - s->from) / (double)(s->to - s->from) * PLOT_W;
}

static double y_of(const struct frame *fr, uint32_t v) {
  return TOP + PLOT_H - (double)v / fr->top * PLOT_H;
}

static double bucket_x(const struct frame *fr, const struct lw_series_bucket *b) {
  return x_of(fr, b->first + (b->last - b->first) / 2);
}

/* A step of 1, 2 or 5 times a power of ten giving at most 5 steps to peak. */
static uint32_t nice_step(uint32_t peak) {
  uint32_t mag = 1;
  while (mag <= UINT32_MAX / 10 && (uint64_t)mag * 10 * 5 <= peak)
    mag *= 10;
  if ((uint64_t)mag * 5 >= peak)
    return mag;
  if ((uint64_t)mag * 2 * 5 >= peak)
    return mag * 2;
  return mag * 5;
}

/* Whether bucket i continues the line of figure f from bucket prev. */
static bool joins(const struct lw_series *s, size_t prev, size_t i) {
  return s->b[i].first - s->b[prev].last <= 3 * s->width_ms;
}

static void draw_axes(struct lw_out *o, const struct frame *fr, uint32_t step) {
  const struct lw_series *s = fr->s;
  char iso[LW_ISO_TIME_SIZE];
  /* Labels as long as the span needs: dates, days and minutes, or times. */
  int64_t span = s->to - s->from;
  int kind = span >= INT64_C(3) * 86400000 ? 0 : span >= 3600000 ? 1 : 2;
  lw_html_raw(o, "<g class=\"lw-axis\">");
  for (uint64_t v = 0; v <= (uint64_t)fr->top; v += step) {
    double y = y_of(fr, (uint32_t)v);
    lw_html_printf(o,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%llu</text>",
                   LEFT, y, LEFT + PLOT_W, y, LEFT - 6, y + 4, (unsigned long long)v);
  }
  for (int i = 0; i <= 4; i++) {
    int64_t t = s->from + (s->to - s->from) / 4 * i;
    double x = x_of(fr, t);
    const char *text = lw_time_format_iso(i == 4 ? s->to : t, iso);
    char label[24];
    if (kind == 0)
      snprintf(label, sizeof label, "%.10s", text);
    else if (kind == 1)
      snprintf(label, sizeof label, "%.5s %.5s", text + 5, text + 11);
    else
      snprintf(label, sizeof label, "%.8s", text + 11);
    lw_html_printf(o,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>",
                   x, TOP + PLOT_H, x, TOP + PLOT_H + 5, x, TOP + PLOT_H + 20,
                   i == 0   ? "start"
                   : i == 4 ? "end"
                            : "middle",
                   label);
  }
  lw_html_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">UTC</text></g>", W - RIGHT,
                 H - 2);
}

/* The band (lowest to highest) and the line (highest) of figure f. */
static void draw_line(struct lw_out *o, const struct frame *fr, enum lw_series_figure f,
                      int colour) {
  const struct lw_series *s = fr->s;
  size_t i = 0;
  lw_html_printf(o, "<g class=\"lw-c%d\" data-figure=\"%d\">", colour, (int)f);
  /* Bands first, each run of joined buckets one closed shape. */
  lw_html_raw(o, "<path class=\"lw-band\" d=\"");
  while (i < s->n) {
    size_t start, end, prev;
    bool flat = true;
    if (s->b[i].n[f] == 0) {
      i++;
      continue;
    }
    start = end = prev = i;
    for (i++; i < s->n; i++) {
      if (s->b[i].n[f] == 0)
        continue;
      if (!joins(s, prev, i))
        break;
      end = prev = i;
    }
    for (size_t j = start; j <= end; j++)
      if (s->b[j].n[f] > 0 && s->b[j].min[f] != s->b[j].max[f])
        flat = false;
    if (flat)
      continue;
    for (size_t j = start; j <= end; j++)
      if (s->b[j].n[f] > 0)
        lw_html_printf(o, "%c%.1f %.1f", j == start ? 'M' : 'L', bucket_x(fr, &s->b[j]),
                       y_of(fr, s->b[j].max[f]));
    for (size_t j = end + 1; j-- > start;)
      if (s->b[j].n[f] > 0)
        lw_html_printf(o, "L%.1f %.1f", bucket_x(fr, &s->b[j]), y_of(fr, s->b[j].min[f]));
    lw_html_raw(o, "Z");
  }
  lw_html_raw(o, "\"/><path class=\"lw-line\" d=\"");
  size_t prev = s->n;
  for (i = 0; i < s->n; i++) {
    if (s->b[i].n[f] == 0)
      continue;
    bool cont = prev < s->n && joins(s, prev, i);
    lw_html_printf(o, "%c%.1f %.1f", cont ? 'L' : 'M', bucket_x(fr, &s->b[i]),
                   y_of(fr, s->b[i].max[f]));
    /* A lone point: a short tick, so that it shows. */
    size_t next = i + 1;
    while (next < s->n && s->b[next].n[f] == 0)
      next++;
    if (!cont && (next == s->n || !joins(s, i, next)))
      lw_html_printf(o, "h0.1");
    prev = i;
  }
  lw_html_raw(o, "\"/></g>");
}

void lw_svg_chart(struct lw_out *o, const struct lw_series *s, const struct lw_chart *c) {
  struct frame fr = {s, 1.0};
  uint32_t peak = 0, step;
  for (size_t k = 0; k < c->n_lines; k++)
    if (s->peak[c->lines[k].figure] > peak)
      peak = s->peak[c->lines[k].figure];
  step = nice_step(peak);
  fr.top = (double)((uint64_t)(peak + step - 1) / step * step);
  if (fr.top < (double)step)
    fr.top = (double)step;
  lw_html_printf(o, "<svg id=\"%s\" class=\"lw-chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" ",
                 c->id, W, H);
  lw_html_printf(o, "data-buckets=\"%llu\" data-polls=\"%llu\" data-bucket-ms=\"%lld\">",
                 (unsigned long long)s->n, (unsigned long long)s->polls, (long long)s->width_ms);
  lw_html_raw(o, "<title>");
  lw_html_text(o, c->title);
  lw_html_raw(o, "</title>");
  /* The legend, above the plot. */
  double lx = LEFT;
  for (size_t k = 0; k < c->n_lines; k++) {
    lw_html_printf(o,
                   "<g class=\"lw-c%d\"><rect class=\"lw-key\" x=\"%.1f\" y=\"8\" width=\"14\" "
                   "height=\"10\"/><text x=\"%.1f\" y=\"17\">",
                   (int)k, lx, lx + 20);
    lw_html_text(o, c->lines[k].label);
    lw_html_raw(o, "</text></g>");
    lx += 40 + 7.5 * (double)strlen(c->lines[k].label);
  }
  if (s->n == 0) {
    lw_html_printf(
        o,
        "<rect class=\"lw-frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no polls in this range</text>"
        "</svg>",
        LEFT, TOP, PLOT_W, PLOT_H, LEFT + PLOT_W / 2, TOP + PLOT_H / 2);
    return;
  }
  draw_axes(o, &fr, step);
  for (size_t k = 0; k < c->n_lines; k++)
    draw_line(o, &fr, c->lines[k].figure, (int)k);
  lw_html_raw(o, "</svg>");
}
