"""Charts drawn in the page with Plotly (its JavaScript comes from the pinned
`plotly` package, served by this server: no CDN), each from a data route
that follows the current filters and also answers as CSV.

- series: an indicator's figures by province over time (as_of)
- heat: the count of facts per province and indicator, as a heat table
- reviewed: facts per indicator by review state (the reviewed share)"""
from __future__ import annotations

import csv
import datetime as dt
import io
from importlib import resources

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pipeline.serve import views
from pipeline.store import reviews

# Plotly sets inline styles (and data: images in its toolbar); scripts stay
# this server's own. Only the charts page gets this policy.
CHARTS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
              "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
CHARTS = {"series": "figures by province over time", "heat": "facts per province and indicator",
          "reviewed": "reviewed share per indicator"}


def plotly_js() -> bytes:
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()


def vendor_plotly(request: Request):
    """plotly.min.js from the installed plotly package (cached by the browser)."""
    return Response(plotly_js(), media_type="text/javascript",
                    headers={"Cache-Control": "public, max-age=86400"})


def series_indicator(con, filters: dict, params: dict) -> str | None:
    """The indicator the series chart shows: the filter's, the one asked for,
    else the one with the most dated facts."""
    if "indicator" in filters:
        return filters["indicator"]
    if params.get("series") in views.INDICATORS:
        return params["series"]
    counts = reviews.facet_counts(con, {**filters})["indicator"]
    return counts[0][0] if counts else None


def chart_rows(con, name: str, filters: dict, params: dict) -> tuple[list[dict], str | None]:
    if name == "series":
        indicator = series_indicator(con, filters, params)
        return (reviews.chart_series(con, filters, indicator) if indicator else []), indicator
    if name == "heat":
        return reviews.chart_heat(con, filters), None
    return reviews.chart_reviewed(con, filters), None


def jsonable(row: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()}


def chart_data(request: Request):
    """/charts/NAME.json or /charts/NAME.csv under the filters in the query string."""
    site = request.app.state.site
    name, fmt = request.path_params["name"], request.path_params["fmt"]
    if name not in CHARTS or fmt not in ("json", "csv"):
        return JSONResponse({"error": f"no chart {name}.{fmt} (charts: {', '.join(CHARTS)})"}, status_code=404)
    params = dict(request.query_params)
    with site.db() as con:
        found, indicator = chart_rows(con, name, views.filters_of(params), params)
    found = [jsonable(row) for row in found]
    if fmt == "json":
        return JSONResponse({"chart": name, "indicator": indicator, "rows": found})
    return Response(as_csv(found), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="vnfacts-{name}.csv"'})


def as_csv(found: list[dict]) -> str:
    out = io.StringIO()
    if found:
        writer = csv.DictWriter(out, fieldnames=list(found[0]))
        writer.writeheader()
        writer.writerows({k: inert(v) for k, v in row.items()} for row in found)
    return out.getvalue()


def inert(value):
    """A scraped text a spreadsheet would run as a formula ("=HYPERLINK(...)")
    gets a leading apostrophe, which spreadsheets show as text (OWASP's advice);
    "- " (a list dash) is left alone."""
    if not isinstance(value, str):
        return value
    risky = value.startswith(("=", "+", "@", "\t", "\r")) or (value.startswith("-") and value[1:2] not in (" ", ""))
    return "'" + value if risky else value


def charts_page(request: Request):
    site = request.app.state.site
    params = dict(request.query_params)
    filters = views.filters_of(params)
    with site.db() as con:
        counts = reviews.facet_counts(con, filters)
        indicator = series_indicator(con, filters, params)
    query = {**filters, **({"series": params["series"]} if params.get("series") else {})}
    page = site.render("charts.html", counts=counts, filters=filters, params=query, charts=CHARTS,
                       indicator=indicator, total=sum(n for _, n in counts["indicator"]))
    page.headers["Content-Security-Policy"] = CHARTS_CSP
    return page
