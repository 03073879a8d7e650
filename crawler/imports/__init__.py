"""Captures the archive did not make itself: WARC files (`newsarchive import`) and a Wayback-style CDX
server's replays (`newsarchive backfill`), through the same analysis, dedup and archive stages as a crawl."""
