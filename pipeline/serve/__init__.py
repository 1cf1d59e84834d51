"""`vnfacts serve`: browse, facet and review facts in the browser.

app.py is the Starlette application (templates/ and static/ ship in the
package: no CDN), views.py what the pages show, gold.py reviews written as
a gold file, command.py the CLI commands. The SQL is in pipeline.store.reviews.
Starlette loads only when the server starts (see command.py)."""
