"""Nothing planted in a study's identifier columns or ID column reaches any output (issue 14).

A study folder is built from the synthetic cohorts with distinctive fake names, birth dates,
phone numbers, addresses, e-mails and hospital numbers in 30+ identifier-like columns, and
distinctive raw IDs (one of them a name) in the ID column, plus a duplicated ID so that an
exclusion reason and a warning concern it.  Then `dss`, `survival`, `fracture`, `predict`
and a small plan through `run` are run as a user would, and every output file is searched:
text files as they are, DOCX/XLSX unzipped, PDF through `pdftotext` (poppler-utils; where it
is absent every PDF figure must have an SVG twin of the same drawing, which is searched),
SVG as text, and the commands' stdout and stderr.  Then the pseudonyms: enumerating plausible
IDs with everything the outputs contain (the input's SHA-256 published in provenance, the
plan hash, file names) does not reverse a single pseudonym.
"""

import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from spinestats.data_schemas import privacy
from spinestats.data_schemas.examples import cohort_dss

EXAMPLES = Path(cohort_dss.__file__).parent

#: distinctive tokens planted in the inputs; none may appear in any output
PLANTED = ["KARTE8842", "Quillfeather", "Zebulon", "蛇腹", "喜之助", "ゼブロン", "1931-07-", "090-5550",
           "Nowhere-cho", "Fictional-ku", "example.invalid", "MRN77441", "NHS9988", "SSN-123-45", "郵便999",
           "Passport-XZ", "保険8765"]

IDENTIFIER_COLUMNS = {
    "氏名": "蛇腹 喜之助{i}", "姓": "蛇腹{i}", "名": "喜之助{i}", "カナ": "ゼブロン{i}", "フリガナ": "ゼブロン キノスケ{i}",
    "患者ID": "KARTE8842{i:03d}", "診察券番号": "KARTE8842-{i}", "電話番号": "090-5550-{i:04d}",
    "携帯": "090-5550-9{i:03d}", "住所": "Fictional-ku Nowhere-cho {i}", "郵便番号": "郵便999-{i:04d}",
    "生年月日": "1931-07-{d:02d}", "患者氏名": "Quillfeather Zebulon{i}", "カルテ番号": "KARTE8842/{i}",
    "保険証番号": "保険8765{i}", "first_name": "Zebulon{i}", "last_name": "Quillfeather{i}", "surname": "Quillfeather",
    "Initials": "ZQ{i}KARTE8842", "DOB": "1931-07-{d:02d}", "birth_date": "1931-07-{d:02d}",
    "Street": "{i} Nowhere-cho Lane", "Postcode": "NW{i} 9QQ Nowhere-cho", "phone": "090-5550-1{i:03d}",
    "mobile": "+81 090-5550-2{i:03d}", "e-mail": "zq{i}@example.invalid", "MRN": "MRN77441{i}",
    "hospital number": "MRN77441-{i}", "NHS number": "NHS9988{i}", "SSN": "SSN-123-45-{i:04d}",
    "passport_no": "Passport-XZ{i}", "patient_name": "Zebulon Quillfeather", "address": "Nowhere-cho {i}",
}


def _plant(frame: pd.DataFrame, id_col: str) -> pd.DataFrame:
    d = frame.copy()
    n = len(d)
    ids = [f"KARTE8842{i:04d}" for i in range(n)]
    ids[0] = "Quillfeather Zebulon"  # a name typed into the ID column
    d[id_col] = ids
    for col, pattern in IDENTIFIER_COLUMNS.items():
        d[col] = [pattern.format(i=i, d=1 + i % 28) for i in range(n)]
    return d


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    folder = root / "study"
    folder.mkdir()
    read = lambda name: pd.read_csv(EXAMPLES / name, comment="#", dtype=str, keep_default_na=False)  # noqa: E731
    dss = _plant(read("synthetic_dss.csv"), "patient_id")
    dss.loc[len(dss)] = dss.iloc[3]  # the same raw ID twice: an exclusion reason and a warning name it
    dss.to_csv(folder / "dss.csv", index=False)
    _plant(read("synthetic_cirt.csv"), "patient_id").to_csv(folder / "cirt.csv", index=False)
    _plant(read("synthetic_fracture.csv"), "patient_id").to_csv(folder / "fracture.csv", index=False)
    (folder / "plan.yaml").write_text(
        "schema_version: 1\ntitle: privacy check\nseed: 1\n"
        "data:\n  dss: {file: dss.csv, schema: dss, exclude_invalid: true}\n  cirt: {file: cirt.csv, schema: cirt}\n"
        "analyses:\n"
        "  - {type: table_one, data: dss, group: reference, variables: [size_cm, boundary, dss]}\n"
        "  - {type: dss, data: dss, bootstrap: 0}\n"
        "  - {type: survival, data: cirt}\n"
        "output:\n  figures: {formats: [pdf, svg], dpi: [72]}\n  tables: {formats: [csv, xlsx, docx, md]}\n",
        encoding="utf-8")
    env = dict(os.environ)
    env.pop(privacy.KEY_ENV, None)  # the study key is created on first use, as for a user
    out = root / "out"
    commands = {
        "dss": ["dss", folder / "dss.csv", "--bootstrap", "0", "--figure-format", "pdf", "--figure-format", "svg",
                "--out", out / "dss"],
        "survival": ["survival", folder / "cirt.csv", "--schema", "cirt", "--figure-format", "pdf",
                     "--figure-format", "svg", "--out", out / "survival"],
        "fracture": ["fracture", folder / "fracture.csv", "--bootstrap", "0", "--figure-format", "pdf",
                     "--figure-format", "svg", "--save-model", out / "model.json", "--out", out / "fracture"],
        "predict": ["predict", out / "model.json", folder / "fracture.csv", "--out", out / "predict"],
        "run": ["run", folder / "plan.yaml", "--out", out / "run", "--quiet"],
    }
    streams = {}
    for name, args in commands.items():
        r = subprocess.run([sys.executable, "-m", "spinestats", *map(str, args)], capture_output=True, text=True,
                           env=env, cwd=root)
        assert r.returncode == 0, f"{name}: {r.stderr}"
        streams[name] = r.stdout + r.stderr
    return {"root": root, "folder": folder, "out": out, "streams": streams}


def _pdf_text(path: Path) -> str | None:
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    return subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True).stdout


def output_texts(out: Path) -> dict[str, str]:
    """Every output file as searchable text (DOCX/XLSX unzipped, PDF through pdftotext)."""
    texts: dict[str, str] = {}
    for p in sorted(out.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(out).as_posix()
        suffix = p.suffix.lower()
        if suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(p) as z:
                texts[rel] = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        elif suffix == ".pdf":
            text = _pdf_text(p)
            if text is None:  # no pdftotext: the same drawing must exist as SVG, which is searched
                assert p.with_suffix(".svg").is_file(), f"{rel}: no pdftotext and no SVG twin to search"
                text = ""
            texts[rel] = text
        elif suffix in (".png", ".tif", ".tiff"):
            continue  # raster images: the same figures are searched as SVG/PDF text
        else:
            texts[rel] = p.read_bytes().decode("utf-8", "replace")
    return texts


def test_outputs_were_written_in_every_format(study):
    texts = output_texts(study["out"])
    kinds = {Path(k).suffix for k in texts}
    assert {".json", ".md", ".csv", ".html", ".svg", ".pdf", ".docx", ".xlsx"} <= kinds
    if shutil.which("pdftotext"):  # the PDF reader works: figure labels are found
        assert any("Sensitivity" in t or "Survival" in t or "survival" in t for k, t in texts.items() if k.endswith(".pdf"))
    assert any("reference" in t.lower() for k, t in texts.items() if k.endswith(".docx"))


def test_no_planted_identifier_reaches_any_output(study):
    texts = output_texts(study["out"])
    texts.update({f"<{k} stdout/stderr>": v for k, v in study["streams"].items()})
    leaks = [(name, token) for name, text in texts.items() for token in PLANTED if token in text]
    assert leaks == []


def test_the_duplicated_id_is_excluded_under_its_pseudonym(study):
    key = (study["folder"] / ".spinestats-key").read_text().strip()
    pseud = privacy.pseudonymise(["KARTE88420003"], key)[0]
    results = (study["out"] / "dss" / "results.json").read_text(encoding="utf-8")
    run_results = (study["out"] / "run" / "results.json").read_text(encoding="utf-8")
    assert pseud in results and pseud in run_results and pseud in study["streams"]["dss"]
    predictions = pd.read_csv(study["out"] / "predict" / "predictions.csv")
    assert predictions["patient"].iloc[0] == privacy.pseudonymise(["Quillfeather Zebulon"], key)[0]


def test_key_file_is_private_and_never_published(study):
    path = study["folder"] / ".spinestats-key"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    key = path.read_text().strip()
    texts = output_texts(study["out"])
    assert not [k for k, t in texts.items() if key in t or key[:16] in t]


def test_pseudonyms_cannot_be_reversed_from_what_the_outputs_contain(study):
    """An attacker enumerates plausible IDs (the KARTE8842#### pattern, 0-9999) under every key
    candidate the outputs offer: the hashes, file names, titles, seeds and every 64-hex string."""
    texts = output_texts(study["out"])
    everything = "\n".join(texts.values()) + "\n".join(study["streams"].values())
    pseudonyms = set(re.findall(r"\bP-[0-9a-f]{10}\b", everything))
    assert len(pseudonyms) >= 100  # predictions.csv and the exclusion reasons publish pseudonyms
    candidates = set(re.findall(r"\b[0-9a-f]{64}\b", everything)) | set(re.findall(r"\b[0-9a-f]{12}\b", everything))
    candidates |= {"", "spinestats", "privacy check", "1", "dss.csv", "fracture.csv", "cirt.csv", "study"}
    for prov in (study["out"] / "run" / "results.json", study["out"] / "dss" / "results.json"):
        doc = json.loads(prov.read_text(encoding="utf-8"))
        for v in json.dumps(doc.get("provenance", {})).split('"'):
            if 3 <= len(v) <= 200:
                candidates.add(v)
    plausible = [f"KARTE8842{i:04d}" for i in range(10000)] + ["Quillfeather Zebulon"]
    reversed_ = []
    for key in candidates:
        k = key.encode("utf-8")
        guesses = {"P-" + hmac.new(k, g.encode(), hashlib.sha256).hexdigest()[:10] for g in plausible}
        hit = guesses & pseudonyms
        if hit:
            reversed_.append((key[:16], len(hit)))
    assert reversed_ == []
    # and the real key does reverse them: the check above would have found a published key
    real = (study["folder"] / ".spinestats-key").read_text().strip().encode()
    assert {"P-" + hmac.new(real, g.encode(), hashlib.sha256).hexdigest()[:10] for g in plausible} & pseudonyms


def test_every_planted_token_is_in_the_inputs_and_the_search_finds_it(study):
    """The leak search is not vacuous: each token is in the inputs, and a planted copy in an
    output file (a DOCX part, here) is found."""
    inputs = "".join((study["folder"] / f).read_text(encoding="utf-8") for f in ("dss.csv", "cirt.csv", "fracture.csv"))
    assert [t for t in PLANTED if t not in inputs] == []
    fake = study["root"] / "fake"
    fake.mkdir(exist_ok=True)
    with zipfile.ZipFile(fake / "t.docx", "w") as z:
        z.writestr("word/document.xml", "<w:t>蛇腹 喜之助</w:t>")
    assert "蛇腹" in output_texts(fake)["t.docx"]


# Output files, folders and privacy: not re-run under the second BLAS kernel (.ci/run).
pytestmark = pytest.mark.outputs
