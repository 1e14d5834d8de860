import pytest

from prompts import TemplateError, fill, load, sections, unfilled


def test_fill_replaces_every_field():
    assert fill("Hi {name}, renewal on {date}.", name="Dana", date="2027-02-06") == (
        "Hi Dana, renewal on 2027-02-06."
    )


def test_a_missing_field_is_an_error_not_a_blank():
    with pytest.raises(TemplateError, match="needs field 'date'"):
        fill("Renewal on {date}.", name="Dana")


def test_a_value_that_smuggles_a_placeholder_in_is_refused():
    with pytest.raises(TemplateError, match=r"unfilled placeholder '\[Name\]'"):
        fill("Hi {name},", name="[Name]")


def test_unfilled_finds_the_forms_a_template_leaves_behind():
    assert unfilled("Dear [Customer Name], see {link} TBD") == ["[Customer Name]", "{link}", "TBD"]
    assert unfilled("Acme renews on 2027-02-06 [1]") == []


def test_sections_split_a_prompt_file_by_heading():
    winback = sections("winback")
    assert {"product", "value", "relationship", "financial", "competition"} <= set(winback)
    assert load("winback").startswith("# Win-back e-mails")
