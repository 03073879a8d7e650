"""The layout rules of docs/architecture.md: imports point one way, modules and folders stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("crawler", "pipelines", "storage")
# What each package may not import, anywhere in it (lazy imports inside functions included).
FORBIDDEN = {"storage": ("crawler", "pipelines"), "pipelines": ("crawler",)}
# docs/architecture.md: no module over ~450 lines, no folder of more than ~15 modules (migrations aside,
# which are a history, not a design).
MAX_MODULE_LINES = 450
MAX_FOLDER_MODULES = 15


def _modules(package: str) -> list[Path]:
    return sorted(
        path
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts and path.name != "__init__.py"
    )


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(package)
        for name in sorted(_imported_packages(path) & set(FORBIDDEN[package]))
    ]
    assert offenders == []


def test_no_module_is_long() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for package in PACKAGES
        for path in _modules(package)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []


def test_no_folder_holds_too_many_modules() -> None:
    crowded = []
    for package in PACKAGES:
        for folder in [ROOT / package, *(p for p in (ROOT / package).rglob("*") if p.is_dir())]:
            if "migrations" in folder.relative_to(ROOT).parts or folder.name == "__pycache__":
                continue
            count = len([p for p in folder.glob("*.py") if p.name != "__init__.py"])
            if count > MAX_FOLDER_MODULES:
                crowded.append(f"{folder.relative_to(ROOT)}: {count} modules")
    assert crowded == []


def test_every_package_folder_is_named_in_the_architecture_document() -> None:
    document = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    folders = [
        folder.relative_to(ROOT / package).as_posix() + "/"
        for package in PACKAGES
        for folder in (ROOT / package).rglob("*")
        if folder.is_dir() and (folder / "__init__.py").exists() and "migrations" not in folder.parts
    ]
    missing = [folder for folder in folders if folder not in document]
    assert missing == []
