"""Recognising direct-identifier columns by their names.

Columns whose names say they hold a person's name, birth date, address,
phone number, e-mail or a hospital identifier (medical record number) are
kept out of the loaded data, so that they can never reach an output; the
load reports each with a warning.  Names are matched in English and
Japanese, ignoring case, spaces, ``_``, ``-`` and full-width forms.  Study
patient and case IDs are *not* direct identifiers here: the schemas mark
them ``identifier: pseudonymise`` and every per-patient output pseudonymises
them (:func:`spinestats.data_schemas.privacy.pseudonymise`).
"""

from __future__ import annotations

import re
import unicodedata

#: normalised names (lower case, no separators) that are identifiers as a whole
_EXACT = frozenset({
    "name", "names", "fullname", "firstname", "lastname", "surname", "givenname", "familyname",
    "patientname", "ptname", "kana", "initials", "dob", "mrn", "tel", "phone", "email", "mail",
    "zip", "zipcode", "postcode", "postalcode", "address", "hospitalid", "hospid", "chartno",
    "chartnumber", "karte", "medicalrecordnumber", "recordnumber", "nhsnumber", "ssn", "insuranceno",
    "insurancenumber", "mynumber",
})
#: fragments that make a normalised name an identifier wherever they appear
_FRAGMENTS = (
    "patientname", "firstname", "lastname", "fullname", "givenname", "familyname", "surname", "birth", "dateofbirth", "address", "phone", "telephone", "email", "emailaddress",
    "hospitalid", "medicalrecord", "chartno", "chartnumber", "mrn",
    "氏名", "名前", "患者名", "カナ", "ﾌﾘｶﾞﾅ", "フリガナ", "ふりがな", "生年月日", "誕生日", "住所",
    "郵便番号", "電話", "携帯", "メール", "カルテ", "病院id", "診察券", "保険証", "マイナンバー",
)
#: tokens (split on separators) that are identifiers on their own ("name" alone is not:
#: ``redcap_event_name`` or ``drug_name`` are not identifiers, ``name`` and ``patient_name`` are)
_TOKENS = frozenset({"dob", "tel", "mrn", "phone", "address", "email", "zip", "kana"})

_SPLIT = re.compile(r"[\s_\-./()\[\]:]+")


def _normalise(name: str) -> str:
    return unicodedata.normalize("NFKC", str(name)).strip().lower()


def looks_like_identifier(name: str) -> bool:
    """True when a column called ``name`` probably holds a direct identifier."""
    n = _normalise(name)
    compact = _SPLIT.sub("", n)
    if compact in _EXACT:
        return True
    if any(f in compact for f in _FRAGMENTS):
        return True
    return any(t in _TOKENS for t in _SPLIT.split(n) if t)
