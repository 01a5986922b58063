"""A local HTTP server for the downloader examples: 127.0.0.1, a free port, its own thread.

The examples never touch the network: every URL they download points at this server.
"""
import http.server
import threading
import time
import urllib.request

PAGE_SIZE = 1000
LATENCY_SECONDS = 0.02


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        # Latency like a real server's is what gives concurrent downloads a chance to overlap.
        time.sleep(LATENCY_SECONDS)
        body = (self.path.encode() * PAGE_SIZE)[:PAGE_SIZE]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        """Silence the per-request log lines so the example's own output stays readable."""


def start_local_server():
    """Start the server on a free port; the caller stops it with `server.shutdown()`."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    threading.Thread(target=server.serve_forever, name="local-http", daemon=True).start()
    return server


def page_urls(server, count):
    host, port = server.server_address[:2]
    return [f"http://{host}:{port}/page/{i}" for i in range(count)]


# Proxy settings from the environment must not send loopback requests anywhere else.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url):
    with _opener.open(url, timeout=5) as response:
        return response.read()
