"""CLI: ``python -m tests.replica --portals N --articles M --seed S`` serves until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from tests.replica import ReplicaServer, build_world
from tests.replica.dates import edit_time


def _write_atomically(path: str, text: str) -> None:
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the parsed command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.replica",
        description="Serve seeded replica Vietnamese provincial news portals on 127.0.0.N addresses.",
    )
    parser.add_argument("--portals", type=int, default=3, help="number of portals (default 3)")
    parser.add_argument("--articles", type=int, default=150, help="articles per portal (default 150)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--first-host", type=int, default=2, help="portal i binds 127.0.0.{first-host + i}")
    parser.add_argument("--port", type=int, default=0, help="port of every portal; 0 picks a free one")
    parser.add_argument(
        "--edition", type=int, default=0, help="1 serves the edited articles' new text, dated now"
    )
    parser.add_argument(
        "--clock-behind",
        type=float,
        default=0.0,
        help="hours the portals' clock lags ours: their edits are dated that much before now (default 0)",
    )
    parser.add_argument("--slow-delay", type=float, default=0.3, help="seconds the slow article waits")
    parser.add_argument("--ready-file", help="write {base_urls, home_urls} JSON here once listening")
    parser.add_argument("--truth-out", help="write the ground truth JSON here")
    parser.add_argument("--registry-out", help="write the portal registry records (JSON list) here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the replica until SIGTERM or SIGINT; return the exit status."""
    args = parse_args(argv)
    world = build_world(portals=args.portals, articles=args.articles, seed=args.seed)
    if args.edition:
        # As a real portal does: the edit is made now and its lastmod moves to now, by the portal's clock.
        world.set_edition(args.edition, edited_at=edit_time(args.clock_behind))
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with ReplicaServer(
        world, first_host=args.first_host, port=args.port, slow_delay=args.slow_delay
    ) as server:
        if args.truth_out:
            _write_atomically(args.truth_out, server.ground_truth().to_json())
        if args.registry_out:
            _write_atomically(args.registry_out, json.dumps(server.registry_entries(), ensure_ascii=False))
        for key, base in server.base_urls.items():
            print(key, base, flush=True)
        if args.ready_file:
            ready = {"base_urls": server.base_urls, "home_urls": server.home_urls}
            _write_atomically(args.ready_file, json.dumps(ready))
        while not stop.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
