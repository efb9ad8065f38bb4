"""Recognising direct-identifier columns by their names.

Columns whose names say they hold a person's name, birth date, address,
phone number, e-mail or a hospital identifier (medical record number) are
kept out of the loaded data, so that they can never reach an output; the
load reports each with a warning.  Names are matched in English and
Japanese, ignoring case, spaces, ``_``, ``-`` and full-width forms:
``first_name``, ``Surname``, ``DOB``, ``birth_date``, ``Street``,
``Postcode``, ``Mobile``, ``E-mail``, ``MRN``, ``Hospital number``,
``NHS number``, ``SSN``, ``氏名``, ``姓``, ``名``, ``フリガナ``,
``患者ID``, ``診察券番号``, ``電話番号``, ``携帯``, ``住所``, ``郵便番号``,
``生年月日``, ``カルテ番号``, ``保険証番号`` and their variants.  A column
that only *names a thing* is kept: ``histology_name``, ``drug_name``,
``centre_name``, ``hospital_name`` (a centre, not a person),
``redcap_event_name``, ``病名``, ``施設名``, ``性別``; ``name`` and ``名`` alone
are taken as a person's name.  A column mapped onto a schema field is never
dropped (the mapping says what it is); :func:`personal_values`
warns when such a field's values look like names or birth dates.  Study
patient and case IDs are *not* direct identifiers here: the schemas mark
them ``identifier: pseudonymise`` and every per-patient output pseudonymises
them (:func:`spinestats.data_schemas.privacy.pseudonymise`).
"""

from __future__ import annotations

import collections
import re
import unicodedata

#: normalised names (lower case, no separators) that are identifiers as a whole
_EXACT = frozenset({
    "name", "names", "fullname", "firstname", "lastname", "surname", "givenname", "familyname",
    "patientname", "ptname", "kana", "initials", "initial", "dob", "mrn", "tel", "phone", "email", "mail",
    "zip", "zipcode", "postcode", "postalcode", "address", "hospitalid", "hospid", "chartno",
    "chartnumber", "karte", "medicalrecordnumber", "recordnumber", "nhsnumber", "nhsno", "ssn", "insuranceno",
    "insurancenumber", "mynumber", "mobile", "fax", "street", "forename", "contact",
    # Japanese: 名 (given name), 姓 (family name), かな / カナ alone
    "名", "姓", "かな", "カナ", "〒",
})
#: fragments that make a normalised name an identifier wherever they appear
_FRAGMENTS = (
    "patientname", "firstname", "lastname", "fullname", "givenname", "familyname", "middlename", "maidenname",
    "nickname", "forename", "surname", "birth", "dateofbirth", "address", "street", "phone", "telephone",
    "email", "postcode", "postalcode", "zipcode", "hospitalid", "hospitalnumber", "hospitalno", "hospno",
    "medicalrecord", "chartno", "chartnumber", "mrn", "nhsnumber", "nhsno", "socialsecurity", "passport",
    "nationalid", "insurancenumber", "insuranceno", "contactnumber", "mobilenumber",
    "氏名", "名前", "患者名", "姓名", "旧姓", "カナ", "ﾌﾘｶﾞﾅ", "フリガナ", "ふりがな", "生年月日", "生年", "誕生日",
    "住所", "郵便", "〒", "電話", "携帯", "連絡先", "メール", "fax番号", "カルテ", "病院id", "診察券", "保険証",
    "保険者番号", "被保険者", "マイナンバー", "患者id", "患者番号", "患者no", "患者コード", "病歴番号", "id番号",
)
#: tokens (split on separators) that are identifiers on their own ("name" alone is not:
#: ``redcap_event_name`` or ``drug_name`` are not identifiers, ``name`` and ``patient_name`` are)
_TOKENS = frozenset({"dob", "tel", "mrn", "phone", "address", "email", "zip", "kana", "ssn", "fax", "mobile",
                     "initials", "street", "nhs", "postcode"})

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


# -- values that look like personal data in a mapped field --------------------------------------

_LATIN_NAME = re.compile(
    r"^(?:[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?|[A-Z]{2,}),?\s+[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
    r"(?:\s+[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)?$"
)
_CJK_NAME = re.compile(r"^(?:[\u4e00-\u9fff々]{1,5}|[\u30a1-\u30fa\u30fc]{1,8}|[\u3041-\u3096\u30fc]{1,8})"
                       r"[ \u3000](?:[\u4e00-\u9fff々]{1,5}|[\u30a1-\u30fa\u30fc]{1,8}|[\u3041-\u3096\u30fc]{1,8})$")
_DATE_TEXT = re.compile(r"^(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|[MTSHR]\d{1,2}[-/.]\d{1,2}[-/.]\d{1,2}"
                        r"|(?:明治|大正|昭和|平成|令和)\d{1,2}年\d{1,2}月\d{1,2}日)$")
#: a share of at least this many non-missing values must look personal before a warning
PERSONAL_SHARE = 0.5
#: names are (almost) unique per patient; coded values repeat
DISTINCT_SHARE = 0.8
#: dates before this year in a date field look like birth dates, not clinical events
BIRTH_YEAR_BEFORE = 1970


def personal_values(texts, *, date_field: bool = False, years=None) -> str | None:
    """What the values of a mapped field look like, when they look like personal data.

    Parameters
    ----------
    texts : the field's cells as text (missing ones left out by the caller).
    date_field : the field is a date; then ``years`` (the parsed dates' years)
        are checked: most of them before 1970 look like birth dates.

    Returns
    -------
    ``"personal names"``, ``"dates (of birth?)"``, ``"birth dates"`` or None.
    The values themselves are never returned or echoed.
    """
    values = [str(t).strip() for t in texts if str(t).strip()]
    n = len(values)
    if date_field:
        ys = [int(y) for y in (years if years is not None else []) if y == y]
        if len(ys) >= 3 and sum(y < BIRTH_YEAR_BEFORE for y in ys) >= PERSONAL_SHARE * len(ys):
            return "birth dates"
        return None
    if n < 3:
        return None
    counts = collections.Counter(values)  # each distinct text is matched once, counted as often as it occurs
    distinct = len(counts) / n
    names = sum(k for v, k in counts.items()
                if _LATIN_NAME.match(v) or _CJK_NAME.match(unicodedata.normalize("NFC", v)))
    if names >= PERSONAL_SHARE * n and distinct >= DISTINCT_SHARE:
        return "personal names"
    dates = sum(k for v, k in counts.items() if _DATE_TEXT.match(unicodedata.normalize("NFKC", v)))
    if dates >= PERSONAL_SHARE * n:
        return "dates (of birth?)"
    return None
