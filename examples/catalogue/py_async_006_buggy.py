"""PY-ASYNC-006: the server accepts requests while the application is still starting up.

`main` starts the server and the application's start-up in one `gather`: the server is
listening as soon as its socket is bound, and a client's request reaches the handler before
`startup` has loaded the greeting it serves.

Run: python3 examples/catalogue/py_async_006_buggy.py
"""
import asyncio
import socket


class App:
    def __init__(self):
        self.greeting = None

    async def startup(self):
        await asyncio.sleep(0.1)  # loading configuration
        self.greeting = b"hello"

    async def handle(self, reader, writer):
        writer.write(self.greeting or b"not ready")
        await writer.drain()
        writer.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def client(port):
    for _ in range(100):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            break
        except OSError:
            await asyncio.sleep(0.005)
    reply = await reader.read()
    writer.close()
    return reply.decode()


async def main():
    app = App()
    port = free_port()
    server = asyncio.start_server(app.handle, "127.0.0.1", port)
    srv, _, reply = await asyncio.gather(server, app.startup(), client(port))  # expect: PY-ASYNC-006
    print(f"a client connecting right away gets: {reply}")
    srv.close()
    await srv.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
