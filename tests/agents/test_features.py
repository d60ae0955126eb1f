from agents.classifiers.features import features


def test_negation_marks_the_words_in_its_scope_within_the_clause() -> None:
    counts = features("We are not planning to renew, but we love it")
    assert counts["~planning"] == 1 and counts["~to"] == 1 and counts["~renew"] == 1
    assert counts["love"] == 1 and "~love" not in counts  # the comma ends the scope
    plain = features("We are planning to renew")
    assert plain["renew"] == 1 and "~renew" not in plain


def test_contractions_negate_and_curly_apostrophes_fold() -> None:
    assert features("we won\u2019t renew")["~renew"] == 1
    assert features("we won\u2019t renew") == features("we won't renew")


def test_fillers_are_dropped_and_digits_fold() -> None:
    assert features("um we uh need 30 seats") == features("we need 45 seats")
    assert "um" not in features("um we need seats")


def test_word_bigrams_and_character_ngrams() -> None:
    counts = features("Consolidating tools")
    assert counts["consolidating tools"] == 1
    assert counts["| co"] == 1 and counts["|ting "] == 1 and counts["|solid"] == 1
    assert "solid" not in counts  # character n-grams never pose as words


def test_features_are_deterministic_and_empty_for_no_words() -> None:
    text = "The CFO is scrutinising every line item."
    assert features(text) == features(text)
    assert not features("... !!! ---")


def test_capitalised_words_inside_a_clause_count_as_names() -> None:
    counts = features("we should look at Vitally and Gainsight on Friday")
    assert counts["<name>"] == 2 and counts["at <name>"] == 1
    assert "vitally" not in counts and "|vital" not in counts  # the name itself is masked: names do not generalise
    assert "<name>" not in features("Friday works. We are fine")  # weekdays and clause-initial words are not names
