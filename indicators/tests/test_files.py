import pytest

from indicators.files import FileRejected, read_table
from indicators.tests.helpers import PNG, csv_bytes, xlsx_bomb, xlsx_bytes, zip_bomb

ROWS = [{"indicator": "a", "geography": "3524", "period": "2021", "value": 1.5},
        {"indicator": "a", "geography": "35", "period": "2021", "value": "=HYPERLINK()"}]


def test_it_reads_a_csv_with_spreadsheet_row_numbers():
    header, rows = read_table(csv_bytes(ROWS), "data.csv")
    rows = list(rows)
    assert header[:4] == ["indicator", "geography", "period", "value"]
    assert [number for number, _row in rows] == [2, 3]
    assert rows[0][1]["value"] == "1.5"


def test_it_reads_an_xlsx():
    header, rows = read_table(xlsx_bytes(ROWS), "data.xlsx")
    rows = list(rows)
    assert rows[1][1]["geography"] == "35"
    assert rows[0][1]["value"] == 1.5


def test_it_reads_a_utf8_csv_with_a_bom_and_semicolons():
    data = "\ufeffindicator;geography;period;value\nä;3524;2021;1\n".encode()
    header, rows = read_table(data, "data.csv")
    assert header == ["indicator", "geography", "period", "value"]
    assert next(rows)[1]["indicator"] == "ä"


def test_it_refuses_a_file_that_is_not_csv_or_xlsx():
    with pytest.raises(FileRejected, match="Only CSV and XLSX"):
        read_table(PNG, "chart.png")
    with pytest.raises(FileRejected, match="binary data"):
        read_table(PNG, "")


def test_it_refuses_a_file_over_the_size_limit(settings):
    settings.INDICATORS_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(FileRejected, match="the limit is 0.0 MB|limit is"):
        read_table(b"indicator,geography\n" + b"a,35\n" * 500, "big.csv")


def test_it_refuses_an_xlsx_xml_bomb():
    with pytest.raises(FileRejected, match="declares XML entities"):
        header, rows = read_table(xlsx_bomb(ROWS), "bomb.xlsx")
        list(rows)


def test_it_refuses_an_xlsx_that_expands_like_a_zip_bomb():
    with pytest.raises(FileRejected, match="possible zip bomb"):
        read_table(zip_bomb(), "bomb.xlsx")


def test_it_refuses_a_header_with_repeated_columns():
    with pytest.raises(FileRejected, match="same name"):
        read_table(b"value,value\n1,2\n", "x.csv")


def test_it_relies_on_defusedxml_when_the_early_check_is_skipped(monkeypatch):
    from indicators import files

    monkeypatch.setattr(files, "check_xlsx_archive", lambda data: None)
    with pytest.raises(FileRejected, match="declares XML entities"):
        header, rows = read_table(xlsx_bomb(ROWS), "bomb.xlsx")
        list(rows)
