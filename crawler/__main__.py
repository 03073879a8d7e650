"""`python -m crawler`: the `newsarchive` command, for when its console script is not installed."""

from crawler.cli.main import main

main()
