"""Per-portal extraction hints: registry prune_xpath removes boilerplate trafilatura keeps on one portal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli.main import main
from crawler.portals import RegistryError, load_registry
from pipelines.extract.core import extract_article
from tests.unit.pipelines.test_pipelines import PARAGRAPHS

AD = (
    "Chương trình khuyến mãi đặc biệt dành cho bạn đọc: giảm giá 30% khi đặt mua báo in dài hạn, "
    "đăng ký tại tòa soạn hoặc qua đường dây nóng của báo trong tháng này."
)
PAGE = (
    "<html lang='vi'><head><meta charset='utf-8'><title>Sơ kết công tác - Báo Ninh Thuận</title></head><body>"
    "<article><h1>Sơ kết công tác phòng, chống ma túy</h1>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
    + f"<div class='box-quang-cao'><p>{AD}</p></div>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    + "</article></body></html>"
).encode()
URL = "https://baoninhthuan.com.vn/thoi-su/so-ket-cong-tac-phong-chong-ma-tuy-1234.html"


def test_prune_xpath_removes_what_the_default_keeps() -> None:
    assert AD in extract_article(PAGE, URL).text
    hinted = extract_article(PAGE, URL, prune_xpath=["//div[contains(@class, 'quang-cao')]"])
    assert AD not in hinted.text
    assert all(p in hinted.text for p in PARAGRAPHS)


def _registry(tmp_path: Path, hint: str) -> Path:
    path = tmp_path / "portals.toml"
    path.write_text(
        '[[portal]]\nkey = "ninhthuan"\nname = "Báo Ninh Thuận"\nhome_url = "https://baoninhthuan.com.vn/"\n'
        f"prune_xpath = [{hint!r}]\n",
        encoding="utf-8",
    )
    return path


def test_registry_carries_hints_and_rejects_bad_xpath(tmp_path: Path) -> None:
    portal = load_registry(_registry(tmp_path, "//div[@class='box-quang-cao']"))["ninhthuan"]
    assert portal.prune_xpath == ("//div[@class='box-quang-cao']",)
    with pytest.raises(RegistryError, match="not valid XPath"):
        load_registry(_registry(tmp_path, "//div[@class="))


def test_extract_command_applies_the_hints_of_the_urls_portal(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(PAGE)
    registry = _registry(tmp_path, "//div[contains(@class, 'quang-cao')]")
    hinted = CliRunner().invoke(main, ["extract", str(page), "--url", URL, "--registry", str(registry)])
    assert hinted.exit_code == 0, hinted.output
    assert "portal ninhthuan: 1 prune_xpath hint(s) applied" in hinted.stderr
    assert AD not in json.loads(hinted.stdout)["text"]
    # The same page under another site's URL gets no hints: the hints are the portal's own.
    elsewhere = URL.replace("baoninhthuan.com.vn", "baokhanhhoa.vn")
    plain = CliRunner().invoke(main, ["extract", str(page), "--url", elsewhere, "--registry", str(registry)])
    assert plain.exit_code == 0 and "prune_xpath" not in plain.stderr
    assert AD in json.loads(plain.stdout)["text"]
