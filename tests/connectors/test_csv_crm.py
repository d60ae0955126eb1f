"""accounts.csv, contacts.csv and revenue.csv: recognised by header, read whole, one-line errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors import csv_crm
from connectors.base import FatalSourceError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_accounts_all_columns_and_extras(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "account_id,name,mrr,domains,slack_channels,csm,segment,plan,renewal_date,industry\n"
                 "ACC-1,Acme,\"12,000\",acme.io; acme.com,#ext-acme,maya@vendor.io,enterprise,Scale,2027-01-15,Retail\n")
    [acme] = csv_crm.read_accounts(path)
    assert acme.mrr == 12000.0
    assert acme.domains == ("acme.io", "acme.com")
    assert acme.slack_channels == ("ext-acme",)
    assert acme.renewal_date == date(2027, 1, 15)
    assert acme.attributes == {"industry": "Retail"}


def test_files_are_recognised_by_header_not_name(tmp_path: Path) -> None:
    assert csv_crm.sniff(write(tmp_path, "x.csv", "account_id,month,mrr\nA,2025-01,10\n")) == "revenue"
    assert csv_crm.sniff(write(tmp_path, "y.csv", "Account_ID,Name,MRR\n")) == "accounts"
    assert csv_crm.sniff(write(tmp_path, "z.csv", "email,name,title\n")) == "contacts"
    assert csv_crm.sniff(write(tmp_path, "w.csv", "foo,bar\n")) is None


@pytest.mark.parametrize("text, expected", [
    ("account_id,name\nA,Acme\n", "missing required column 'mrr'"),
    ("account_id,name,mrr\nA,Acme,lots\n", "line 2: mrr 'lots' is not valid"),
    ("account_id,name,mrr\nA,Acme,1\nA,Again,2\n", "line 3: duplicate account_id 'A'"),
    ("account_id,name,mrr,renewal_date\nA,Acme,1,next year\n", "renewal_date 'next year'"),
])
def test_bad_accounts_give_one_line_errors(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(FatalSourceError) as info:
        csv_crm.read_accounts(write(tmp_path, "accounts.csv", text))
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_contacts_lowercase_emails_and_reject_bad_ones(tmp_path: Path) -> None:
    [c] = csv_crm.read_contacts(write(tmp_path, "c.csv", "email,name,title,account_id\nDana@Acme.IO,Dana Kim,VP Ops,\n"))
    assert (c.email, c.account_id, c.title) == ("dana@acme.io", None, "VP Ops")
    with pytest.raises(FatalSourceError, match="line 2: email 'not-an-email'"):
        csv_crm.read_contacts(write(tmp_path, "d.csv", "email,name\nnot-an-email,X\n"))


def test_revenue_rows_and_errors(tmp_path: Path) -> None:
    rows = csv_crm.read_revenue(write(tmp_path, "r.csv", "account_id,month,mrr\nA,2025-01,100\nA,2025-02,0\n"))
    assert rows == [("A", "2025-01", 100.0), ("A", "2025-02", 0.0)]
    with pytest.raises(FatalSourceError, match="month '2025-13' is not YYYY-MM"):
        csv_crm.read_revenue(write(tmp_path, "r2.csv", "account_id,month,mrr\nA,2025-13,1\n"))
    with pytest.raises(FatalSourceError, match="second row for A in 2025-01"):
        csv_crm.read_revenue(write(tmp_path, "r3.csv", "account_id,month,mrr\nA,2025-01,1\nA,2025-01,2\n"))
