"""Egg build for Scrapyd nodes: `scrapyd-deploy` runs `python setup.py bdist_egg`.

All metadata lives in pyproject.toml; this file only lets that legacy command run.
"""

from setuptools import setup

setup()
