"""The offline cue classifier against the shared classifier contract."""

from __future__ import annotations

from agents.classifiers.local import CueClassifier
from tests.contracts.classifier_contract import ClassifierContract


class TestLocalClassifierContract(ClassifierContract):
    def make_classifier(self) -> CueClassifier:
        return CueClassifier()
