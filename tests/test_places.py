"""Places from the gazetteer underthesea ships: every district and commune of
the 63 provinces resolves to its province, ambiguous names never guess, and
national or 2025-merged content has no province (FACTS.md, Places)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipeline.lang import places, siteplaces


def test_gazetteer_covers_the_63_provinces_from_the_packaged_file():
    gazetteer = places.gazetteer()
    assert set(gazetteer.after_2025) == set(places.PROVINCES)
    assert len(set(gazetteer.after_2025.values())) == 34
    assert "mapping.json" in gazetteer.source and "2025-07-01" in gazetteer.source
    assert places.gazetteer() is gazetteer  # loaded once


def test_every_district_of_the_file_resolves_to_its_province():
    """Read the packaged file independently and check each unambiguous district."""
    rows = json.loads(places.gazetteer_file().read_text(encoding="utf-8"))["ward_mapping"]
    homes = {}
    for row in rows:
        homes.setdefault(row["old_district"], set()).add(places.old_province(row["old_province"]))
    unique = {name: next(iter(found)) for name, found in homes.items() if len(found) == 1}
    assert len(unique) > 600
    wrong = {name: places.province_of(name) for name, home in unique.items() if places.province_of(name) != home}
    assert not wrong


@pytest.mark.parametrize("locality,province", [
    ("huyện Cam Lộ", "Quảng Trị"), ("Huyện Cam Lộ", "Quảng Trị"), ("TP. Vinh", "Nghệ An"),
    ("thị xã Kỳ Anh", "Hà Tĩnh"), ("quận Ninh Kiều", "Cần Thơ"), ("thành phố Bạc Liêu", "Bạc Liêu"),
    ("thành phố Huế", "Thừa Thiên Huế"), ("tỉnh Đắk Nông", "Đắk Nông"), ("thị trấn Cam Lộ", "Quảng Trị"),
])
def test_district_and_commune_names_give_their_province(locality, province):
    assert places.province_of(locality) == province


def test_an_ambiguous_name_takes_the_hint_only_when_it_is_a_candidate():
    assert len(places.candidates("huyện Châu Thành")) > 5
    assert places.province_of("huyện Châu Thành") is None
    assert places.province_of("huyện Châu Thành", hint="Tiền Giang") == "Tiền Giang"
    assert places.province_of("huyện Châu Thành", hint="Quảng Trị") is None
    # a commune that shares a province's name is not in that province
    assert places.province_of("xã Thái Bình") is None


def test_province_2025_follows_the_merger():
    assert places.province_2025("Quảng Bình") == "Quảng Trị"
    assert places.province_2025("Hà Nội") == "Hà Nội"
    assert places.in_2025_merger("Khánh Hòa") and not places.in_2025_merger("Hà Nội")


def scene(province=None, locality=None, published=None):
    return {"locality": locality, "province": province, "site_province": province, "published": published}


def test_a_district_named_in_the_sentence_gives_the_province():
    found = places.locate("Đến nay, huyện Cam Lộ có ", scene())
    assert found == {"locality": "huyện Cam Lộ", "province": "Quảng Trị", "province_2025": "Quảng Trị"}


@pytest.mark.parametrize("written", ["TP. HCM", "TP HCM", "TP.HCM", "Thành phố Hồ Chí Minh"])
def test_ho_chi_minh_city_however_written(written):
    found = places.locate(f"{written} có ", scene("Hà Nội", "thành phố Hà Nội"))
    assert found["province"] == "Hồ Chí Minh" and found["locality"] == "thành phố Hồ Chí Minh"


def test_an_unknown_district_is_taken_to_be_in_the_documents_province():
    found = places.locate("Huyện Hoành Bồ đã giảm ", scene("Quảng Ninh", "tỉnh Quảng Ninh"))
    assert found["province"] == "Quảng Ninh"


def test_national_wording_has_no_province_even_on_a_provincial_site():
    found = places.locate("Tính đến nay, cả nước đã giảm ", scene("Gia Lai", "tỉnh Gia Lai"))
    assert found["locality"] == "cả nước" and found["province"] is None
    # "toàn Đảng bộ" is the local party organisation, not the whole party
    assert places.locate("toàn Đảng bộ huyện có ", scene("Gia Lai"))["province"] == "Gia Lai"


def test_several_provinces_together_have_no_province():
    assert places.locate("tổng biên chế của ba tỉnh là ", scene("Hậu Giang"))["province"] is None
    # a year before "tỉnh" is not a count of provinces
    assert places.locate("đến năm 2025 tỉnh phấn đấu giảm ", scene("Bình Định"))["province"] == "Bình Định"


def test_a_province_formed_in_2025_has_no_province():
    assert places.locate("Sau sáp nhập, tỉnh Khánh Hòa mới có ", scene())["province"] is None
    assert places.locate("thành phố Cần Thơ mở rộng sẽ có ", scene())["province"] is None
    assert places.locate("Ninh Thuận mở rộng mô hình với ", scene())["province"] == "Ninh Thuận"
    after = scene("Khánh Hòa", "tỉnh Khánh Hòa", published="2025-10-05")
    assert places.locate("Hiện tỉnh có ", after)["province"] is None
    assert places.locate("Trước khi sáp nhập, Thanh tra Khánh Hòa có ", after)["province"] == "Khánh Hòa"
    before = scene("Khánh Hòa", "tỉnh Khánh Hòa", published="2024-10-05")
    assert places.locate("Hiện tỉnh có ", before)["province"] == "Khánh Hòa"


def test_document_place_keeps_the_site_province_only_for_local_text():
    local = "Theo Ban Tổ chức Huyện ủy Nam Sách, đến nay có 64 thôn."
    assert places.document_place("", local, "Hải Dương") == (None, "Hải Dương")
    national = "Theo quy định hiện hành, mỗi xã loại I có 23 người."
    assert places.document_place("", national, "Thái Nguyên") == (None, None)
    assert places.document_place("", "Toàn tỉnh có 120 thôn.", "Thái Nguyên") == (None, "Thái Nguyên")


def test_document_place_resolves_the_titles_district():
    assert places.document_place("Huyện Cam Lộ giảm 20 thôn", "...") == ("huyện Cam Lộ", "Quảng Trị")
    assert places.document_place("Huyện Châu Thành giảm 20 thôn", "...", "Bến Tre") == ("huyện Châu Thành", "Bến Tre")


def test_site_provinces_follow_the_site_files_as_they_change(tmp_path):
    """provinces_by_domain is cached (datacache) under the files' names and
    bytes: an edited, added or broken file is read again."""
    site = tmp_path / "a.yaml"
    site.write_text("province: Bến Tre\ndomains: [a.vn]\n", encoding="utf-8")
    assert siteplaces.provinces_by_domain(str(tmp_path)) == {"a.vn": "Bến Tre"}
    siteplaces.provinces_by_domain.cache_clear()  # a new process: only the file cache is left
    assert siteplaces.provinces_by_domain(str(tmp_path)) == {"a.vn": "Bến Tre"}
    site.write_text("province: Cà Mau\ndomains: [a.vn]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("province: Hà Nội\ndomains: [B.vn.]\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("province: [unclosed\n", encoding="utf-8")
    siteplaces.provinces_by_domain.cache_clear()
    assert siteplaces.provinces_by_domain(str(tmp_path)) == {"a.vn": "Cà Mau", "b.vn": "Hà Nội"}
    siteplaces.provinces_by_domain.cache_clear()


def test_a_later_process_finds_the_site_provinces_without_parsing_yaml():
    probe = ("import sys\nfrom pipeline.lang import siteplaces\n"
             "print(siteplaces.province_for('https://www.baobentre.com.vn/a.html'), 'yaml' in sys.modules, sep='|')")
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
            for _ in range(2)]
    assert runs[0].startswith("Bến Tre|") and runs[1] == "Bến Tre|False"
