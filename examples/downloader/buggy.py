"""A threaded downloader whose workers share a results dict and a byte counter without a lock.

Four workers walk the same URL list and skip pages already in `results`. The check
(`url not in results`) and the act (`results[url] = ...`) are separate steps with a slow
download between them, so several workers download the same page. `downloaded_bytes += n`
is a read-modify-write that loses updates when two workers finish at once.

Run: python3 examples/downloader/buggy.py
"""
import threading

from local_server import PAGE_SIZE, fetch, page_urls, start_local_server

results = {}
downloaded_bytes = 0


def download_all(urls):
    global downloaded_bytes
    for url in urls:
        if url not in results:
            body = fetch(url)
            results[url] = body  # expect: PY-RACE-002
            downloaded_bytes += len(body)  # expect: PY-RACE-001


def main():
    server = start_local_server()
    try:
        urls = page_urls(server, 8)
        workers = []
        for _ in range(4):
            worker = threading.Thread(target=download_all, args=(urls,))
            workers.append(worker)
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        server.shutdown()
    print(f"pages: {len(results)}, bytes downloaded: {downloaded_bytes}, "
          f"bytes needed: {len(results) * PAGE_SIZE}")
    if downloaded_bytes > len(results) * PAGE_SIZE:
        print("the same pages were downloaded more than once")


if __name__ == "__main__":
    main()
