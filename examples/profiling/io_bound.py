"""I/O-bound: each task fetches a page from a slow local HTTP server (started by this module
on 127.0.0.1, never the network). Threads overlap the waiting."""
import os
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESPONSE_DELAY_S = 0.05


class _SlowHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(RESPONSE_DELAY_S)
        body = b"hello from 127.0.0.1\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


_servers = {}
_start_lock = threading.Lock()


def _server_url():
    # One server per process: a forked pool worker cannot use its parent's server thread.
    with _start_lock:
        pid = os.getpid()
        if pid not in _servers:
            server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            _servers[pid] = "http://127.0.0.1:%d/" % server.server_address[1]
        return _servers[pid]


# conclens: tasks=range(16)
def fetch(index):
    with urllib.request.urlopen(_server_url() + str(index), timeout=10) as response:
        return len(response.read())


if __name__ == "__main__":
    print(sum(fetch(i) for i in range(4)))
