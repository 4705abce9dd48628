"""The layers of docs/architecture.md: which package may import which, checked two ways."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.commands import child_env
from helpers.paths import REPO

FORBIDDEN = {
    "qa": {"ingest", "evaluation", "app", "streamlit"},
    "ingest": {"evaluation", "app", "streamlit"},
    "app": {"evaluation"},  # the page adds articles through ingest.jobs
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


VIEWS = REPO / "qa" / "page" / "views"  # the page's Streamlit sections, which app.py composes


def _forbidden(package: str, path: Path) -> set[str]:
    return FORBIDDEN[package] - {"streamlit"} if path.is_relative_to(VIEWS) else FORBIDDEN[package]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_a_layer_above_it(package):
    wrong = {
        str(path.relative_to(REPO)): sorted(_imported(path) & _forbidden(package, path))
        for path in _modules(package)
        if _imported(path) & _forbidden(package, path)
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
        assert "streamlit" not in names or path.is_relative_to(VIEWS), path
        if path != REPO / "qa" / "store" / "connection.py":  # the store's one gateway
            assert "chromadb" not in names, path
        if "embedding_metadata" in path.read_text(encoding="utf-8"):  # a Chroma table: its
            assert path.is_relative_to(REPO / "qa" / "store"), path  # file is the store's


# Inside qa/, each folder is a layer; a module imports only its own layer and those below.
LAYERS = [
    "base",  # qa/*.py: config, types, errors, heap
    "news",
    "encoders",
    "store",
    "retrieval",
    "conversation",
    "answering",
    "interface",
    "page",
]


def _layer(module: str) -> str | None:
    """The layer of a dotted qa module name: its folder, or "base" for qa/*.py."""
    parts = module.split(".")
    if parts[0] != "qa":
        return None
    return parts[1] if len(parts) > 1 and (REPO / "qa" / parts[1]).is_dir() else "base"


def _qa_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            if node.module == "qa":
                names |= {f"qa.{a.name}" for a in node.names}
    return {n for n in names if n.split(".")[0] == "qa"}


def test_the_folders_of_qa_are_the_layers_and_nothing_else():
    folders = {p.name for p in (REPO / "qa").iterdir() if (p / "__init__.py").is_file()}
    assert folders == set(LAYERS) - {"base"}


def test_each_qa_layer_imports_only_itself_and_the_layers_below():
    wrong = {}
    for path in sorted((REPO / "qa").rglob("*.py")):
        if path.name == "__main__.py":
            continue
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        rank = LAYERS.index(_layer(module))
        above = sorted(n for n in _qa_imports(path) if LAYERS.index(_layer(n)) > rank)
        if above:
            wrong[str(path.relative_to(REPO))] = above
    assert wrong == {}


def test_no_folder_holds_more_than_twelve_modules():
    for folder in ["qa", "ingest", "evaluation", *[p for p in (REPO / "qa").iterdir()]]:
        folder = REPO / folder
        if folder.is_dir():
            modules = [
                p for p in folder.glob("*.py") if p.name not in ("__init__.py", "__main__.py")
            ]
            assert len(modules) <= 12, (folder, len(modules))


def test_the_architecture_picture_lists_every_module_of_qa():
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        str(p.relative_to(REPO / "qa"))
        for p in (REPO / "qa").rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py") and p.name not in doc
    ]
    assert missing == []
