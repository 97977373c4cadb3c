"""PEP 517 backend for the repository root's pyproject.toml: pre-commit's install shim.

pre-commit installs a `language: python` hook with `pip install .` of the hook repository. This
backend makes that a metadata-only wheel, `fdlint-pre-commit-hook`, whose one dependency is the
binary wheel `fdlint==<version in Cargo.toml>`, so pip installs the prebuilt binary instead of
compiling Rust. It uses only the standard library, so pip needs nothing from an index to run it.
"""

import base64
import hashlib
import os
import re
import zipfile

NAME = "fdlint_pre_commit_hook"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _version():
    """The `version` of Cargo.toml's `[package]` table (read as text: tomllib is 3.11+)."""
    with open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8") as f:
        text = f.read()
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    version = package and re.search(r'^version\s*=\s*"([^"]+)"', package.group(1), re.M)
    if not version:
        raise RuntimeError("no version in Cargo.toml's [package] table")
    return version.group(1)


def _metadata(version):
    return (
        "Metadata-Version: 2.1\n"
        "Name: fdlint-pre-commit-hook\n"
        f"Version: {version}\n"
        "Summary: pre-commit's install shim for fdlint: requires the fdlint wheel of this version\n"
        f"Requires-Dist: fdlint=={version}\n"
    )


WHEEL = "Wheel-Version: 1.0\nGenerator: fdlint pre_commit_shim\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _dist_info(version):
    return f"{NAME}-{version}.dist-info"


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    version = _version()
    info = os.path.join(metadata_directory, _dist_info(version))
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata(version))
    with open(os.path.join(info, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(WHEEL)
    return _dist_info(version)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version = _version()
    info = _dist_info(version)
    files = {f"{info}/METADATA": _metadata(version), f"{info}/WHEEL": WHEEL}
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    wheel = f"{NAME}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return wheel
