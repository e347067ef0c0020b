"""The admin's charts, drawn on the server as inline SVG by pygal.

No JavaScript and nothing fetched: pygal's tooltips script (which it would load from
its site) is switched off with `js=[]`; every value is printed on or beside its bar
instead, and a table under each chart repeats the figures. `explicit_size=False`
leaves the size to the page's CSS (a viewBox), so a chart scales to the column it is
in. pygal is imported on the first chart a process draws (about 0.1 s), and a chart
takes about 20 ms (bench/bench_sales.py)."""

from django.utils.safestring import mark_safe

BLUE, GREEN, ORANGE, GREY = "#417690", "#5b8c3a", "#d97b29", "#c8d3da"


def _style(colors):
    from pygal.style import Style

    return Style(
        background="transparent", plot_background="#ffffff", foreground="#333333", foreground_strong="#333333",
        foreground_subtle="#999999", colors=colors, font_family="system-ui, -apple-system, sans-serif",
        label_font_size=13, major_label_font_size=13, value_font_size=12, value_label_font_size=12,
        legend_font_size=13, title_font_size=15, tooltip_font_size=12,
    )


def _render(chart, css_class):
    svg = chart.render(is_unicode=True, disable_xml_declaration=True)
    return mark_safe(f'<div class="sales-chart {css_class}">{svg}</div>')


def _labels(starts, interval):
    fmt = {"hour": "%d %b %H:%M", "day": "%d %b", "week": "%d %b"}[interval]
    return [start.strftime(fmt) for start in starts]


def sales_over_time(series, *, interval, title, value="tickets", css_class="chart-sales", width=1000, height=320):
    """One bar per bucket of a sales series (analytics.selectors): its tickets, bookings or
    revenue (`value`), the figure printed on each bar when there are few."""
    import pygal

    revenue = value == "revenue"
    chart = pygal.Bar(
        js=[], explicit_size=False, width=width, height=height, style=_style([GREEN if revenue else BLUE]), title=title,
        show_legend=False, x_label_rotation=-45 if len(series) > 14 else 0,
        show_minor_x_labels=len(series) <= width // 60, x_labels_major_every=max(1, len(series) // (width // 120)),
        print_values=len(series) <= width // 40, print_zeroes=False, margin=10,
        value_formatter=(lambda v: f"{v:,.2f}") if revenue else (lambda v: f"{v:,.0f}"),
    )
    chart.x_labels = _labels([bucket["start"] for bucket in series], interval)
    # None, not 0: no bar and no label for an empty bucket.
    chart.add(value, [(bucket["revenue_cents"] / 100 if revenue else bucket[value]) or None for bucket in series])
    return _render(chart, css_class)


def ticket_types(types, *, title="Seats per ticket type"):
    """One stacked horizontal bar per ticket type: sold, held, available."""
    import pygal

    chart = pygal.HorizontalStackedBar(
        js=[], explicit_size=False, width=1000, height=120 + 45 * max(1, len(types)), style=_style([BLUE, ORANGE, GREY]),
        title=title, legend_at_bottom=True, legend_at_bottom_columns=3, print_values=True, print_zeroes=False,
        margin=10, x_title="seats",
    )
    chart.x_labels = [t["name"] for t in types]
    chart.add("sold", [t["tickets_sold"] for t in types])
    chart.add("held", [t.get("seats_held", 0) for t in types])
    chart.add("available", [t["seats_available"] for t in types])
    return _render(chart, "chart-types")


def top_events(rows, *, title):
    """Tickets of the best-selling events, one horizontal bar each, biggest on top."""
    import pygal

    chart = pygal.HorizontalBar(
        js=[], explicit_size=False, width=1000, height=120 + 45 * max(1, len(rows)), style=_style([GREEN]),
        title=title, show_legend=False, print_values=True, margin=10, x_title="tickets",
    )
    ordered = list(reversed(rows))  # pygal draws the first value at the bottom
    chart.x_labels = [f"{row['title'][:40]} ({row['_id']})" for row in ordered]
    chart.add("tickets", [row["tickets"] for row in ordered])
    return _render(chart, "chart-top")
