"""Valid test identities, built with the same checksum the system uses."""

from __future__ import annotations

import base64
from datetime import date

from contracts.ids import mod11_2_check_char
from simulations.demo import school_code


def resident_id(region: str = "440106", born: date = date(2015, 3, 9), sequence: int = 123) -> str:
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + mod11_2_check_char(body)


def registration(school: str, id_number: str, name: str = "张三", **extra) -> dict:
    """A non-primary resident-ID single entry (REG-1) into the school's first junior class."""
    body = {
        "entry": "non_primary",
        "id_type": "1",
        "id_number": id_number,
        "name": name,
        "school_code": school,
        "class_code": extra.pop("class_code", "2026201"),
    }
    body.update(extra)
    return body


#: A junior middle school in each demo province (Guangzhou Tianhe, Hefei Shushan, Jinan Lixia).
JUNIOR_SCHOOL = {
    "44": school_code("440106", 2),
    "34": school_code("340104", 2),
    "37": school_code("370102", 2),
}

#: Demo accounts (simulations.demo): the registrars of those schools, and the ministry's.
REGISTRAR = {province: f"{school}_registrar" for province, school in JUNIOR_SCHOOL.items()}
MINISTRY = "moe_registrar"

#: The smallest real PNG: a proof material (ID-7) for students without a document.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201b1e4e0a60000000049454e44ae426082"
)
PNG_BASE64 = base64.b64encode(PNG).decode()
