"""The package's imports run one way: ``ovcl`` (API, compiler, lowering, tuning) → ``ovcl.frontends`` →
``ovcl.ir``; ``ovcl.kernels`` (templates and their specs) is data that imports only itself. No module imports
another module's private names. Parsed from the source (every import, also the ones inside functions)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# source folder -> installed package name (pyproject's package-dir)
PACKAGES = {"ovcl": "ovcl", "ir": "ovcl.ir", "frontends": "ovcl.frontends", "kernels": "ovcl.kernels"}
# what each layer may import from ovcl (a prefix list); everything else under ovcl may import anything
ALLOWED = {"ovcl.ir": ("ovcl.ir",), "ovcl.kernels": ("ovcl.kernels",),
           "ovcl.frontends": ("ovcl.frontends", "ovcl.ir")}


def _modules():
    for folder, pkg in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([pkg, *parts])
            yield name, path, path.name == "__init__.py"


def _imports(name: str, path: Path, is_pkg: bool):
    """(imported module, imported names, line) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(), str(path))
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            yield mod, [a.name for a in node.names], node.lineno


def _layer(mod: str) -> str | None:
    for layer in ALLOWED:
        if mod == layer or mod.startswith(layer + "."):
            return layer
    return None


def test_imports_run_one_way():
    bad = []
    for name, path, is_pkg in _modules():
        layer = _layer(name)
        if layer is None:
            continue
        for mod, _, line in _imports(name, path, is_pkg):
            if mod.startswith("ovcl") and not any(mod == p or mod.startswith(p + ".") for p in ALLOWED[layer]):
                bad.append(f"{path.relative_to(ROOT)}:{line} ({layer}) imports {mod}")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_no_module_imports_private_names_of_another():
    bad = []
    for name, path, is_pkg in _modules():
        for mod, names, line in _imports(name, path, is_pkg):
            if not mod.startswith("ovcl") or mod == name:
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private or any(part.startswith("_") and not part.startswith("__") for part in mod.split(".")):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {private or mod} from {mod}")
    assert not bad, "private imports:\n" + "\n".join(bad)
