"""WARC files as the crawler writes them (pipeline.crawl.archive), for the
WARC ingest tests of both engines (tests/test_warc_ingest.py, tests/test_ray.py)."""
from __future__ import annotations

# Pages of our own wording (figures as the press prints them).
WARC_PAGES = {
    "bai-0": ("Sắp xếp thôn ở Bảo Thắng", "Sau khi sắp xếp, huyện Bảo Thắng hiện có 112 thôn, tổ dân phố, giảm 23 "
              "thôn so với trước. Việc sáp nhập được cán bộ và nhân dân đồng tình, ủng hộ cao."),
    "bai-1": ("Kết quả bầu cử", "Tỷ lệ cử tri đi bầu cử của xã đạt 99,5%. Toàn xã có 15 tổ bầu cử."),
    "bai-2": ("Hội nghị tổng kết", "Năm 2022, toàn tỉnh có 1.250 đảng viên mới được kết nạp vào Đảng."),
}
ENGLISH = ("http://127.0.0.1:8001/en.html", "<html><body><p>An English page, 12 words long.</p></body></html>")
CHANGED = ("http://127.0.0.1:8001/tin/bai-0.html",
           f"<html><body><p>{WARC_PAGES['bai-0'][1]} Cập nhật.</p></body></html>")


def write_warc(folder, run_id, pages, extra=()):
    """A WARC of the pages, a robots.txt, a 404, and `extra` (url, html) responses."""
    from pipeline.crawl.archive import WarcArchive

    archive, html = WarcArchive(folder, run_id), [("Content-Type", "text/html; charset=utf-8")]
    archive.write_response("http://127.0.0.1:8001/robots.txt", 200, "OK", [("Content-Type", "text/plain")], b"")
    for slug, (title, text) in pages.items():
        page = (f"<html><head><title>{title}</title></head><body><nav>Trang chủ | Thời sự</nav><article>"
                f"<h1>{title}</h1><p>12/04/2023</p><p>{text}</p></article></body></html>")
        archive.write_response(f"http://127.0.0.1:8001/tin/{slug}.html", 200, "OK", html, page.encode())
    archive.write_response("http://127.0.0.1:8001/tin/mat.html", 404, "Not Found", html, b"<html></html>")
    for url, page in extra:
        archive.write_response(url, 200, "OK", html, page.encode())
    archive.close()
    return archive.path


def two_warcs(folder):
    """The English page (refused), a robots.txt and a 404 in each (skipped),
    and bai-0 again, changed, in the second file (a duplicate id, the last kept)."""
    return [write_warc(folder / "a", "one", WARC_PAGES, [ENGLISH]),
            write_warc(folder / "b", "two", {"bai-3": WARC_PAGES["bai-1"]}, [CHANGED])]
