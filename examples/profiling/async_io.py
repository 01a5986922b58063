"""Coroutines: each task awaits a slow reply (asyncio.sleep stands in for the network) and
parses it. One event loop overlaps the waiting: no pool needed. `relay` only hands control
back to the loop, over and over: the worst case for the profiler's per-step timing."""
import asyncio
import json


# conclens: tasks=range(16)
async def fetch_quote(i):
    await asyncio.sleep(0.05)
    reply = json.dumps({"symbol": "Q%d" % i, "prices": list(range(200))})
    return sum(json.loads(reply)["prices"])


async def relay(hops):
    for _ in range(hops):
        await asyncio.sleep(0)
    return hops
