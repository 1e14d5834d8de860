import pytest

from agent.resolve import AccountNotFound, AmbiguousAccount, normalise, resolve_account

ACCOUNTS = {
    "a-001": "Acme Corp",
    "acme-labs": "Acme Labs",
    "globex": "Globex Corporation",
    "initech": "Initech, Inc.",
}


def test_name_is_found_whatever_the_case_and_punctuation():
    assert resolve_account(ACCOUNTS, "ACME, corp.") == "a-001"
    assert resolve_account(ACCOUNTS, "initech inc") == "initech"
    assert resolve_account(ACCOUNTS, "Initech") == "initech"
    assert normalise("Acme-Corp.") == "acme corp"


def test_account_id_and_unique_prefix_resolve():
    assert resolve_account(ACCOUNTS, "acme-labs") == "acme-labs"
    assert resolve_account(ACCOUNTS, "glob") == "globex"


def test_company_suffixes_are_ignored_so_acme_is_acme_corp():
    # "Acme" equals "Acme Corp" once "Corp" is dropped; "Acme Labs" keeps "labs"
    assert resolve_account(ACCOUNTS, "acme") == "a-001"


def test_ambiguous_name_lists_the_candidates():
    with pytest.raises(AmbiguousAccount) as err:
        resolve_account(ACCOUNTS, "acm")
    assert err.value.candidates == ["Acme Corp", "Acme Labs"]
    assert "Acme Corp, Acme Labs" in str(err.value)


def test_unknown_name_suggests_the_closest():
    with pytest.raises(AccountNotFound) as err:
        resolve_account(ACCOUNTS, "Globx Corp")
    assert err.value.suggestions[0] == "Globex Corporation"
    assert "Did you mean: Globex Corporation" in str(err.value)


def test_nothing_close_gives_no_suggestion():
    with pytest.raises(AccountNotFound) as err:
        resolve_account(ACCOUNTS, "zzzz")
    assert err.value.suggestions == []


def test_a_typo_of_the_short_name_is_compared_with_the_name_without_its_suffix():
    # "globx" vs "globex corporation": ratio 2*5/(5+18) = 0.43, under the 0.5 cutoff;
    # vs the core name "globex": 2*5/(5+6) = 0.91
    with pytest.raises(AccountNotFound) as err:
        resolve_account(ACCOUNTS, "Globx")
    assert err.value.suggestions[0] == "Globex Corporation"
