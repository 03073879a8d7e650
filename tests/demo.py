"""`make demo`: serve the replica portal on 127.0.0.x, crawl it with `newsarchive crawl`, show what next."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.replica import ReplicaServer, build_world

FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "LOG_LEVEL=WARNING"]


def write_registry(entries: list[dict[str, Any]], path: Path) -> Path:
    """Write the replica's portals as a registry file, in the format of crawler/portals.toml."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# The replica portal's registry, written by `make demo`.", ""]
    for entry in entries:
        lines.append("[[portal]]")
        for name, value in entry.items():
            if value:  # json.dumps writes valid TOML basic strings and arrays of them
                lines.append(f"{name} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portals", type=int, default=3)
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default=os.environ.get("ARCHIVE_DATABASE_URL", "sqlite:///archive.sqlite3"))
    args = parser.parse_args(argv)

    world = build_world(portals=args.portals, articles=args.articles, seed=args.seed)
    with ReplicaServer(world, first_host=2, port=0) as server:
        print(f"replica portal: {args.portals} portals x {args.articles} articles")
        for key, url in server.home_urls.items():
            print(f"  {key:<12} {url}")
        registry = write_registry(server.registry_entries(), Path(".demo/portals.toml"))
        script = Path(sys.executable).with_name("newsarchive")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "crawler"]
        print(f"\ncrawling into {args.db} (registry {registry}) ...\n", flush=True)
        crawl = [*command, "crawl", *world.portal_keys, "--registry", str(registry), "--db", args.db, *FAST]
        result = subprocess.run(crawl, check=False)
        if result.returncode != 0:
            return result.returncode
        sample = next(t for t in server.ground_truth().articles.values() if t.language == "vi")
    query = " ".join(sample.title.split()[:2])
    db = "" if args.db == "sqlite:///archive.sqlite3" else f" --db {args.db}"
    print(
        "\nTry next (activate with `. .venv/bin/activate`):\n"
        f'  newsarchive search "{query}"{db}\n'
        f"  newsarchive show 1{db}\n"
        f"  newsarchive export --format jsonl{db} | head -n 2\n"
        f"  newsarchive runs{db}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
