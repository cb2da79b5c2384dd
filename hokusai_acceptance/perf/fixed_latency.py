"""A target that is not the bottleneck: every GET is answered after a fixed delay, without work.

Started by :mod:`.generators` to measure the load generators themselves. With a fixed delay the
requests per second at N users can reach N / delay; what a run falls short of that is the load
generator's limit (or the machine's), and both kinds of run must see the same latency at a load both
can drive. Loopback only; the process ends with its parent (``--parent``) or on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from aiohttp import web


def app(delay: float) -> web.Application:
    async def answer(_request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        return web.Response(text="OK")

    application = web.Application()
    application.router.add_get("/{tail:.*}", answer)
    return application


async def _watch_parent(parent: int) -> None:
    while True:
        await asyncio.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ms", type=float, default=20.0)
    parser.add_argument("--parent", type=int, default=0)
    args = parser.parse_args(argv)
    application = app(args.ms / 1000)
    if args.parent:
        watchers: list[asyncio.Task[None]] = []  # kept: a task nobody holds may be collected mid-run

        async def watch(_app: web.Application) -> None:
            watchers.append(asyncio.ensure_future(_watch_parent(args.parent)))

        application.on_startup.append(watch)
    web.run_app(application, host="127.0.0.1", port=args.port, access_log=None, print=None, backlog=2048)


if __name__ == "__main__":
    main()
