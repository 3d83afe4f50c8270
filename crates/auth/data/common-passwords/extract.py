#!/usr/bin/env python3
"""Regenerates the common-password lists in this folder from their published packages.

    pip download --no-deps -d /tmp/pw django==5.2.19
    cargo info zxcvbn@3.1.1   # or any build that fetches it into ~/.cargo/registry
    python3 extract.py /tmp/pw/django-5.2.19-py3-none-any.whl \
        ~/.cargo/registry/src/*/zxcvbn-3.1.1/src/frequency_lists.rs

Each output file keeps its source's order (most common first), one password a line.
"""
import gzip
import re
import sys
import zipfile

wheel, zxcvbn_src = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    data = gzip.decompress(z.read("django/contrib/auth/common-passwords.txt.gz")).decode()
django = [line for line in data.splitlines() if line]
with open("django.txt", "w") as f:
    f.write("\n".join(django) + "\n")

src = open(zxcvbn_src, encoding="utf-8").read()
zx = re.search(r'const PASSWORDS: &str = "([^"]*)";', src).group(1).replace("\\'", "'").split(",")
with open("zxcvbn.txt", "w") as f:
    f.write("\n".join(zx) + "\n")
print(len(django), len(zx))
