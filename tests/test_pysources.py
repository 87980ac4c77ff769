"""llmopsctl.pysources: the project files a python model or scorer runs, found by reading imports (never
running them), on real files in a temporary project."""

from __future__ import annotations

from pathlib import Path

from llmopsctl.pysources import entry_file, sources


def project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root.resolve()


def rels(root: Path, found: set[Path]) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in found)


def test_imports_are_followed_through_packages_relative_imports_and_functions(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "pipe/__init__.py": "",
            "pipe/model.py": (
                "import os\nimport json\n\nfrom . import prompts\nfrom .retrieval import search\n"
                "from pipe.util import helpers\n\n\ndef answer(vars):\n"
                "    import pipe.lazy\n    return search(vars)\n"
            ),
            "pipe/prompts.py": "TEMPLATE = 'x'\n",
            "pipe/retrieval/__init__.py": "from .index import search\n",
            "pipe/retrieval/index.py": "from ..prompts import TEMPLATE\n\nsearch = TEMPLATE.format\n",
            "pipe/util/helpers.py": "import importlib\n\nPLUGIN = importlib.import_module('plugins.extra')\n",
            "pipe/lazy.py": "import pipe.model\n",  # a cycle back to the start
            "plugins/extra.py": "",
            "unrelated.py": "import pipe.model\n",  # imports the model, but the model does not import it
        },
    )
    found = sources(root, "pipe.model")
    assert rels(root, found) == [
        "pipe/__init__.py",
        "pipe/lazy.py",
        "pipe/model.py",
        "pipe/prompts.py",
        "pipe/retrieval/__init__.py",
        "pipe/retrieval/index.py",
        "pipe/util/helpers.py",  # pipe/util is a namespace package: no __init__ to run
        "plugins/extra.py",
    ]
    assert entry_file(root, "pipe.model") == root / "pipe" / "model.py"


def test_a_file_reference_imports_its_siblings_and_unknown_modules_are_not_followed(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "app/models.py": "import numpy\nimport sibling\nfrom missing.module import thing\n",
            "app/sibling.py": "from app import models\n",
            "broken.py": "def (:\n",
        },
    )
    assert rels(root, sources(root, "app/models.py")) == ["app/models.py", "app/sibling.py"]
    assert rels(root, sources(root, "broken.py")) == ["broken.py"]  # unparsable: imports nothing we can see
    assert sources(root, "app/absent.py") == set() and sources(root, "no.such.module") == set()
    assert entry_file(root, "app/absent.py") is None
