"""The offline classifier, alone and with the encoder, against the shared classifier contract."""

from __future__ import annotations

from agents.classifiers.local import LocalClassifier, load_encoder
from tests.contracts.classifier_contract import ClassifierContract


class TestLocalClassifierContract(ClassifierContract):
    def make_classifier(self) -> LocalClassifier:
        return LocalClassifier()


class TestLocalClassifierWithEncoderContract(ClassifierContract):
    def make_classifier(self) -> LocalClassifier:
        return LocalClassifier(encoder=load_encoder())
