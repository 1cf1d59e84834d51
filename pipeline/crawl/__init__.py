"""The crawler: site files (sites.py), discovery of article URLs (discover.py),
the Scrapy spider in its own process (spider.py), WARC archive (archive.py),
storing fetched pages (ingest.py), local test sites and the demo."""
