"""The offline cue classifier against the shared classifier contract."""

from __future__ import annotations

from agents.classifiers.local import LocalClassifier
from tests.contracts.classifier_contract import ClassifierContract


class TestLocalClassifierContract(ClassifierContract):
    def make_classifier(self) -> LocalClassifier:
        return LocalClassifier()
