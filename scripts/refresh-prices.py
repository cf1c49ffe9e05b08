#!/usr/bin/env python3
"""Refresh assets/prices/genai-prices.json from pydantic's genai-prices package on PyPI.

    python3 scripts/refresh-prices.py [VERSION]

Downloads the wheel (`pip download genai-prices --no-deps`), reads its data module without
importing it (it needs pydantic; the module is plain constructor calls, read here with `ast`),
keeps what pricing needs (providers, their model match rules and prices) and writes it as JSON
beside the package's LICENSE.
"""

import ast
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

OUT = pathlib.Path(__file__).resolve().parent.parent / "assets" / "prices"
# what pricing reads; descriptions, comments and usage extractors are left out
KEEP = {
    "Provider": ["id", "model_match", "provider_match", "fallback_model_providers", "models"],
    "ModelInfo": ["id", "match", "prices"],
}


def value(node):
    """A data module expression as JSON: constructor calls become objects with their keyword
    arguments (and `type`: the class), `Decimal('x')` a number, dates ISO text."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [value(n) for n in node.elts]
    if isinstance(node, ast.Dict):
        return {value(k): value(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -value(node.operand)
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        args = [value(a) for a in node.args]
        if name == "Decimal":
            text = args[0]
            return int(text) if text.lstrip("-").isdigit() else float(text)
        if name == "date":
            return "%04d-%02d-%02d" % tuple(args)
        if name == "time":
            return "%02d:%02d" % tuple((args + [0, 0])[:2])
        out = {"type": name}
        keep = KEEP.get(name)
        for kw in node.keywords:
            if keep is None or kw.arg in keep:
                out[kw.arg.rstrip("_")] = value(kw.value)
        return out
    raise ValueError(f"unexpected expression at line {node.lineno}: {ast.dump(node)[:80]}")


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else None
    spec = f"genai-prices=={version}" if version else "genai-prices"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", spec, "--no-deps", "-q", "-d", tmp],
            check=True,
        )
        (wheel,) = pathlib.Path(tmp).glob("genai_prices-*.whl")
        with zipfile.ZipFile(wheel) as z:
            data = z.read("genai_prices/data.py").decode()
            licence = next(n for n in z.namelist() if n.endswith("/LICENSE"))
            (OUT / "LICENSE").write_bytes(z.read(licence))
    tree = ast.parse(data)
    providers = next(
        n.value
        for n in tree.body
        if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "providers"
    )
    doc = {"source": wheel.name, "providers": value(providers)}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "genai-prices.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"{OUT / 'genai-prices.json'}: {len(doc['providers'])} providers from {wheel.name}")


if __name__ == "__main__":
    main()
