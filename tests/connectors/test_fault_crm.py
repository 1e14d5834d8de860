"""The CRM fault test (evals/fault_crm.py) at a CI-sized scale: none lost, none duplicated."""

from evals.fault_crm import main


def test_writes_against_a_hubspot_failing_30_percent_land_exactly_once(capsys):
    # 150 writes with 30% of requests failing (429, 500, timeouts after the write applied):
    # main() checks every write landed once, none lost, the audit log matches the server
    assert main(["--writes", "150", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "duplicates found: 0 (must be 0)" in out
    assert "lost: 0 (must be 0)" in out
    assert "audit log matches the server: True (150 entries)" in out
