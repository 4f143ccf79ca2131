"""The package's public surface: exports, version, and the native module's type stub."""

from __future__ import annotations

import ast
from pathlib import Path

import packformer
from packformer import _packformer


def test_public_names():
    for name in packformer.__all__:
        assert hasattr(packformer, name), name
    assert packformer.__version__ == "0.1.0"
    assert packformer.Encoder.encode.__doc__ and packformer.Generator.generate.__doc__


def test_stub_lists_the_native_module():
    stub = Path(packformer.__file__).with_name("_packformer.pyi")
    tree = ast.parse(stub.read_text())
    stubbed = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    native = {name for name in dir(_packformer) if not name.startswith("__")}
    assert set(stubbed) == {name for name in native if isinstance(getattr(_packformer, name), type)}
    for name, node in stubbed.items():
        members = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        members |= {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
        actual = {m for m in vars(getattr(_packformer, name)) if not m.startswith("_") or m in ("__iter__", "__next__")}
        assert members >= actual, (name, actual - members)
