"""PY-ASYNC-006 fixed: the application finishes starting up before the server accepts requests.

Run: python3 examples/catalogue/py_async_006_fixed.py
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
    await app.startup()
    srv = await asyncio.start_server(app.handle, "127.0.0.1", port)
    print(f"a client connecting right away gets: {await client(port)}")
    srv.close()
    await srv.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
