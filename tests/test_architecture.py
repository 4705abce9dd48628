"""The layers of docs/architecture.md: which package may import which, checked two ways."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import child_env

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "qa": {"ingest", "evaluation", "app", "streamlit"},
    "ingest": {"evaluation", "app", "streamlit"},
    "app": {"ingest", "evaluation"},
    "evaluation": {"app"},
}


def _modules(package: str) -> list[Path]:
    return [REPO / "app.py"] if package == "app" else sorted((REPO / package).rglob("*.py"))


def _imported(path: Path) -> set[str]:
    """Top-level names of every import in the file, inside functions too."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_a_layer_above_it(package):
    wrong = {
        str(path.relative_to(REPO)): sorted(_imported(path) & FORBIDDEN[package])
        for path in _modules(package)
        if _imported(path) & FORBIDDEN[package]
    }
    assert wrong == {}


BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"{{name}} is a layer above")
sys.meta_path.insert(0, Block())
import pkgutil, importlib
for m in pkgutil.walk_packages([{folder!r}], prefix="{package}."):
    if not m.name.endswith("__main__"):  # running the command line is not importing it
        importlib.import_module(m.name)
print("ok")
"""


@pytest.mark.parametrize("package", ["qa", "ingest"])
def test_each_package_imports_with_the_layers_above_it_blocked(package):
    blocked = FORBIDDEN[package] - {"streamlit"}  # app.py is not a package: checked by ast
    code = BLOCKER.format(blocked=blocked, folder=str(REPO / package), package=package)
    done = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]


def test_only_the_store_touches_chroma_and_only_the_page_touches_streamlit():
    for path in _modules("qa") + _modules("ingest"):
        names = _imported(path)
        assert "streamlit" not in names, path
        if path != REPO / "qa" / "store" / "connection.py":  # the store's one gateway
            assert "chromadb" not in names, path
        if "embedding_metadata" in path.read_text(encoding="utf-8"):  # a Chroma table: its
            assert path.is_relative_to(REPO / "qa" / "store"), path  # file is the store's
