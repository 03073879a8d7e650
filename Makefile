# newsarchive: `make demo` sets up and crawls the replica portal; `make test` runs the test suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
DATA ?= ../shared/data
PORTALS ?= 3
ARTICLES ?= 150
PORT ?= 8651
# Test processes: the integration tests spend most of their time in crawl subprocesses and servers, so
# two pytest workers (whole files each, so a file's fixtures stay together) take the suite from ~10.5 to
# ~6.5 minutes on 2 cores.
TEST_JOBS ?= 2

.PHONY: install demo crawl test test-fast cutpoints lint eval eval-extraction eval-language bench bench-memory bench-dedup bench-search screenshots clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Installed once per change of pyproject.toml (the stamp's date), not on every make target.
INSTALLED := $(VENV)/.installed
$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

demo: install
	$(PY) -m tests.demo --portals $(PORTALS) --articles $(ARTICLES) --port $(PORT)

crawl: install
	$(BIN)/newsarchive crawl $(PORTAL)

test: install
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile

# The tests not marked slow (no crawl subprocess, no browser, no extraction timing): under 2 minutes.
test-fast: install
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile -m "not slow"

# Crawls of the replica cut by SIGKILL and SIGINT at 12 seeded moments per database, each rerun and
# compared with a clean crawl (tests/integration/cutpoints.py; a few of them run in `make test`).
cutpoints: install
	$(PY) -m tests.integration.cutpoints --cuts 12

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

eval: eval-extraction eval-language

eval-extraction: install
	$(BIN)/newsarchive eval extraction --data $(DATA)

eval-language: install
	$(BIN)/newsarchive eval language --data $(DATA)

# news-please, for the real pages' comparison, in a venv of its own (it pins other Scrapy and lxml
# versions than ours): tests/benchmarks/barepool.py runs its pool there.
NEWSPLEASE_VENV ?= .venv-newsplease
NEWSPLEASE_PY := $(NEWSPLEASE_VENV)/bin/python
NEWSPLEASE_INSTALLED := $(NEWSPLEASE_VENV)/.installed
$(NEWSPLEASE_INSTALLED): tests/benchmarks/newsplease-requirements.txt
	python3 -m venv $(NEWSPLEASE_VENV)
	$(NEWSPLEASE_PY) -m pip install --quiet -r $<
	touch $@

# One BENCH line per workload and worker count (tests/benchmarks/crawl.py; docs/benchmarks.md), and
# Scrapy's own CPU per page on the real pages, the main process's floor (tests/benchmarks/scrapy_floor.py).
bench: install $(NEWSPLEASE_INSTALLED)
	$(PY) -m tests.benchmarks.crawl --workload realpages --pages 2000 --data $(DATA) --workers 1 2 --newsplease-python $(NEWSPLEASE_PY)
	$(PY) -m tests.benchmarks.crawl --workload replica --portals 5 --articles 1000 --workers 1 2
	$(PY) -m tests.benchmarks.scrapy_floor --pages 2000 --data $(DATA)

# Peak memory of a long crawl: real pages behind 5,000 and 50,000 URLs, 2 workers, no bare-pool rate;
# and of a crawl of the hostile portal of the safety test (tests/integration/hostile.py).
bench-memory: install
	$(PY) -m tests.benchmarks.crawl --workload hostile --workers 2
	$(PY) -m tests.benchmarks.crawl --workload realpages --pages 5000 --data $(DATA) --workers 2 --no-bare
	$(PY) -m tests.benchmarks.crawl --workload realpages --pages 50000 --data $(DATA) --workers 2 --no-bare

bench-dedup: install
	$(PY) -m tests.benchmarks.dedup --articles 100000 --queries 1000

# ARTICLES given on the command line sizes the archive (make bench-search ARTICLES=1000000); else 100,000.
SEARCH_ARTICLES := $(if $(filter command line environment,$(origin ARTICLES)),$(ARTICLES),100000)
bench-search: install
	$(PY) -m tests.benchmarks.search --articles $(SEARCH_ARTICLES)

screenshots: install
	$(PY) -m tests.browser.screenshots --db $${ARCHIVE_DATABASE_URL:-sqlite:///demo.sqlite3} --out docs/screenshots

clean:
	rm -rf .demo build *.egg-info .pytest_cache .mypy_cache .ruff_cache
