"""The threaded downloader, fixed.

`ThreadPoolExecutor.map` hands each URL to exactly one worker and returns the bodies to the
caller, so there is no shared results dict to check; the byte counter that workers do share
is only updated under `progress_lock`.

Run: python3 examples/downloader/fixed.py
"""
import threading
from concurrent.futures import ThreadPoolExecutor

from local_server import PAGE_SIZE, fetch, page_urls, start_local_server

downloaded_bytes = 0
progress_lock = threading.Lock()


def download(url):
    global downloaded_bytes
    body = fetch(url)
    with progress_lock:
        downloaded_bytes += len(body)
    return body


def main():
    server = start_local_server()
    try:
        urls = page_urls(server, 8)
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = dict(zip(urls, pool.map(download, urls)))
    finally:
        server.shutdown()
    print(f"pages: {len(results)}, bytes downloaded: {downloaded_bytes}, "
          f"bytes needed: {len(results) * PAGE_SIZE}")


if __name__ == "__main__":
    main()
