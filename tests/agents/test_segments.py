from agents.classifiers.segments import MAX_EVIDENCE, evidence_span, sentences


def _pieces(text: str) -> list[str]:
    return [text[a:b] for a, b in sentences(text)]


def test_sentences_are_exact_stripped_substrings() -> None:
    text = "Hi Ana,\n\nWe will not renew in June.  Finance decided last week!\nThanks for everything so far"
    pieces = _pieces(text)
    assert pieces == ["We will not renew in June.", "Finance decided last week!", "Thanks for everything so far"]
    assert all(p == p.strip() and p in text for p in pieces)


def test_quoted_history_and_signature_are_not_read() -> None:
    text = ("Works for us, see you Tuesday.\n\n-- \nDana Kim\nVP Operations | Acme\n\n"
            "On Tue, 3 Mar 2025 at 10:02, Sam <sam@vendor.com> wrote:\n> We are not planning to renew.\n")
    assert _pieces(text) == ["Works for us, see you Tuesday."]


def test_inline_replies_between_quotes_are_read_but_never_joined_to_quotes() -> None:
    text = "> can you send the quote?\nSure.\n> and the SOW?\nYes, by Friday we will send it over."
    pieces = _pieces(text)
    assert pieces == ["Yes, by Friday we will send it over."]  # "Sure." alone is too short to be a sentence


def test_a_short_sentence_joins_the_one_before_it() -> None:
    text = "The export failed again overnight. Annoying."
    assert _pieces(text) == ["The export failed again overnight. Annoying."]


def test_bullets_are_sentences() -> None:
    text = "Next steps:\n- Priya to send the order form\n- we sign by the 14th and return it"
    assert _pieces(text) == ["Priya to send the order form", "we sign by the 14th and return it"]


def test_long_evidence_is_cut_at_a_word_boundary() -> None:
    text = "word " * 200
    start, end = evidence_span(text, (0, len(text) - 1))
    assert start == 0 and end <= MAX_EVIDENCE and text[end] == " "
    assert evidence_span(text, (0, 20)) == (0, 20)


def test_short_lines_are_not_joined_to_the_line_above() -> None:
    text = "Theo will set up the demo with them.\n\nRyan\n\nR\n1. Renewal terms;\n3."
    pieces = _pieces(text)
    assert pieces == ["Theo will set up the demo with them."]  # a name, an initial and list numbers are dropped
