"""A seeded population: the people the population-registry stand-in knows (REG-5).

Deterministic per province, so tests, demos and benchmarks can name real people of it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.ids import Sex, mod11_2_check_char
from contracts.regions import children

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵欧阳解强丛华车冉房边"  # noqa: E501
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华晓明子涵浩然梓涵一诺欣怡宇轩思远雨桐若汐俊杰嘉怡诗涵博文佳琪梓萱子轩天佑"  # noqa: E501


@dataclass(frozen=True)
class Person:
    id_number: str
    name: str
    sex: Sex
    birth_date: date


def person(province: str, index: int) -> Person:
    """The index-th school-age resident of a province (born 2008–2020)."""
    rng = random.Random(f"{province}:{index}")
    counties = [c.code for city in children(f"{province}0000") for c in children(city.code)]
    region = counties[index % len(counties)] if counties else f"{province}0100"
    born = date(2008, 1, 1) + timedelta(days=rng.randrange(13 * 365))
    sex = Sex.MALE if index % 2 == 0 else Sex.FEMALE
    # Sequence: odd for male (GB 11643); the index keeps numbers distinct.
    sequence = (index // max(len(counties), 1) % 500) * 2 + (1 if sex is Sex.MALE else 0)
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    return Person(body + mod11_2_check_char(body), name, sex, born)


def population(province: str, count: int) -> Iterator[Person]:
    for index in range(count):
        yield person(province, index)
