"""The LLM's answers cached in the database: many keys in one lookup, each answer stored once."""

from __future__ import annotations

from groundswell.llm_store import StoredCache


def test_get_many_returns_only_the_keys_it_holds_across_chunks(engine) -> None:
    cache = StoredCache(engine, model="gpt-test")
    keys = [f"k{i:04d}" for i in range(StoredCache.CHUNK + 20)]  # more than one SELECT's worth
    for i, key in enumerate(keys[::2]):
        cache.put(key, {"signals": [{"type": "churn_intent", "n": i}]})
    found = cache.get_many(keys + ["missing"])
    assert set(found) == set(keys[::2])
    assert found["k0002"] == {"signals": [{"type": "churn_intent", "n": 1}]}
    cache.put("k0002", {"signals": []})  # the first answer paid for stays
    assert cache.get_many(["k0002"]) == {"k0002": {"signals": [{"type": "churn_intent", "n": 1}]}}
    assert cache.get_many([]) == {}
