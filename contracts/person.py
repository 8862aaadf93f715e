"""Who a student is and who answers for them: the identity field set as value objects.

`Person` is what national dedup (REG-5) and authentication (ID-2) look at — the document,
its number, the name, and for a student without a document the sex and birth date. A
registration, a stored record, a claim to the hub and a key data change all carry these
five fields; each reads them with `Person.of(...)` and writes them with `as_dict()`, so the
set and its one dedup key are written once. `Guardian` is a 监护人 as a registration, an
import row and a pre-school completion check it, each naming the field of a bad one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date

from contracts.errors import ContractError
from contracts.ids import DocumentType, Sex, dedup_key, normalize_name, parse_resident_id


@dataclass(frozen=True)
class Person:
    id_type: str
    name: str
    id_number: str | None = None
    sex: str | None = None
    birth_date: date | str | None = None

    FIELDS = ("id_type", "id_number", "name", "sex", "birth_date")

    @classmethod
    def of(cls, source: Mapping | object) -> Person:
        """The identity of a record, a form, a message or an aggregate (a mapping or an
        object with the five attributes; anything else it holds is left). The values are
        kept as they come (a stored birth date may be an ISO string)."""
        if isinstance(source, Mapping):
            return cls(**{f: source.get(f) for f in cls.FIELDS})
        return cls(**{f: getattr(source, f, None) for f in cls.FIELDS})

    def dedup_key(self) -> str:
        """REG-5's national dedup key; ContractError naming the field that is missing."""
        sex = Sex(self.sex) if self.sex else None
        born = self.birth_date
        born = date.fromisoformat(born) if isinstance(born, str) and born else born or None
        return dedup_key(DocumentType(self.id_type), self.id_number, self.name, sex, born)

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in self.FIELDS}


@dataclass(frozen=True)
class Guardian:
    name: str
    id_type: str
    relation: str = ""
    id_number: str | None = None

    @classmethod
    def checked(cls, raw: Mapping, index: int = 0) -> Guardian:
        """A guardian as entered, normalised; ContractError naming `guardians[i].<field>`."""
        prefix = f"guardians[{index}]"
        name = normalize_name(str(raw.get("name") or ""), field=f"{prefix}.name")
        id_type = str(raw.get("id_type") or "")
        number = raw.get("id_number")
        if id_type == DocumentType.RESIDENT_ID.value:
            number = parse_resident_id(str(number or ""), field=f"{prefix}.id_number").number
        elif id_type not in {d.value for d in DocumentType}:
            raise ContractError(f"{prefix}.id_type", "bad_id_type", "监护人身份证件类型不存在")
        return cls(name=name, id_type=id_type, relation=str(raw.get("relation") or ""),
                   id_number=number)  # fmt: skip

    @property
    def has_resident_id(self) -> bool:
        """A document-less student needs at least one such guardian (REG-6)."""
        return self.id_type == DocumentType.RESIDENT_ID.value

    def as_dict(self) -> dict:
        """As records and archives keep a guardian (name, relation, id_type, id_number)."""
        found = asdict(self)
        return {k: found[k] for k in ("name", "relation", "id_type", "id_number")}
