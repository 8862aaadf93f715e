"""Region table (GB/T 2260): all provinces plus the cities and counties the simulations use."""

from dataclasses import dataclass
from typing import Literal

from contracts.errors import ContractError

PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}

RegionLevel = Literal["province", "city", "county"]


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: RegionLevel
    parent: str | None


# city code -> (city name, {county code: county name})
_CITIES: dict[str, tuple[str, dict[str, str]]] = {
    "340100": ("合肥市", {"340102": "瑶海区", "340104": "蜀山区"}),
    "340200": ("芜湖市", {"340202": "镜湖区", "340207": "鸠江区"}),
    "370100": ("济南市", {"370102": "历下区", "370103": "市中区"}),
    "370200": ("青岛市", {"370202": "市南区", "370203": "市北区"}),
    "440100": ("广州市", {"440103": "荔湾区", "440106": "天河区"}),
    "440300": ("深圳市", {"440303": "罗湖区", "440304": "福田区"}),
    "441600": ("河源市", {"441623": "连平县"}),
}


def _build_regions() -> dict[str, Region]:
    table = {f"{p}0000": Region(f"{p}0000", n, "province", None) for p, n in PROVINCES.items()}
    for city_code, (city_name, counties) in _CITIES.items():
        table[city_code] = Region(city_code, city_name, "city", f"{city_code[:2]}0000")
        for county_code, county_name in counties.items():
            table[county_code] = Region(county_code, county_name, "county", city_code)
    return table


REGIONS: dict[str, Region] = _build_regions()


def province_of(code: str) -> str:
    """Province code (2 digits) of any region code, 6 or 12 digits."""
    return code[:2]


def is_known_province(code2: str) -> bool:
    return code2 in PROVINCES


def region(code: str) -> Region:
    found = REGIONS.get(code)
    if found is None:
        raise ContractError("region_code", "unknown_region", f"未知的行政区划代码：{code}")
    return found


def children(code: str) -> list[Region]:
    """Direct children of a known region, in code order."""
    region(code)
    return sorted((r for r in REGIONS.values() if r.parent == code), key=lambda r: r.code)


def _require_code6(code: str, field: str) -> None:
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise ContractError(field, "bad_region_code", f"行政区划代码应为6位数字：{code}")
    if not is_known_province(province_of(code)):
        raise ContractError(field, "unknown_region", f"未知的省级行政区划代码：{code[:2]}")


def level_of(code: str, field: str = "region_code") -> RegionLevel:
    """ID-4: the level a 6-digit code names by its digits (`440000`, `440100`, `440106`)."""
    _require_code6(code, field)
    if code[2:] == "0000":
        return "province"
    return "city" if code[4:] == "00" else "county"


_WIDTH: dict[RegionLevel, int] = {"province": 2, "city": 4, "county": 6}


def region_contains(outer: str, code: str, field: str = "region_code") -> bool:
    """`code` is `outer` or lies under it, compared at `outer`'s level: never by stripping
    zeros, which would make county 130130 contain 130131…130139."""
    width = _WIDTH[level_of(outer, field)]
    return code[:width] == outer[:width]


def to_file_code(code6: str) -> str:
    """Files carry 12-digit codes: the 6-digit code padded with zeros [004 Q19]."""
    _require_code6(code6, "region_code")
    return code6 + "000000"


def from_file_code(code12: str, field: str = "region_code") -> str:
    code12 = code12.strip()
    if len(code12) != 12 or not code12.isascii() or not code12.isdigit():
        raise ContractError(field, "bad_region_code", f"文件中的行政区划代码应为12位数字：{code12}")
    if not code12.endswith("000000"):
        raise ContractError(field, "bad_region_code", f"行政区划代码后6位应为000000：{code12}")
    _require_code6(code12[:6], field)
    return code12[:6]
