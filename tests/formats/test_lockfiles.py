"""Lockfiles people have: each pinned package is a component named as OSV names it; local code,
unpinned and non-registry entries are skipped with the reason."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats.components import SbomDocument
from clearinghouse.formats.errors import FormatError, InvalidRecord
from clearinghouse.formats.lockfiles import (
    is_requirements_file,
    read_cargo_lock,
    read_go_mod,
    read_go_module,
    read_go_sum,
    read_package_lock,
    read_pipfile_lock,
    read_poetry_lock,
    read_requirements_txt,
    read_uv_lock,
    read_yarn_lock,
)

DATA = Path(__file__).parent / "data" / "sbom" / "lockfiles"


def _pins(document: SbomDocument) -> list[tuple[str, str]]:
    return [(c.name, c.version) for c in document.components]


def _reasons(document: SbomDocument) -> dict[str, str]:
    return {s.name: s.reason for s in document.skipped}


# --- requirements.txt ----------------------------------------------------------------------------


def test_requirements_pins_hashes_markers_and_continuations() -> None:
    document = read_requirements_txt((DATA / "pip" / "requirements.txt").read_bytes())
    assert (document.format, document.encoding) == ("requirements.txt", "text")
    assert _pins(document) == [
        ("certifi", "2023.7.22"),  # three physical lines joined, hashes read past
        ("charset-normalizer", "3.3.0"),
        ("django", "3.2.12"),  # PEP 503 name; the marker does not hide the pin
        ("idna", "3.4"),
        ("importlib-metadata", "6.8.0"),
        ("pyyaml", "5.3.1"),
        ("requests", "2.31.0"),  # extras read past
        ("typing-extensions", "4.8.0"),  # '===' pins too
    ]
    certifi = document.components[0]
    assert certifi.location == "line 13" and certifi.purl == "pkg:pypi/certifi@2023.7.22"
    assert _reasons(document) == {
        "urllib3": "not pinned to one version (==1.26.*)",
        "flask": "not pinned to one version (>=2.0)",
        "gunicorn": "not pinned to one version (no version)",
        "internal-tools": "editable install (-e): a working copy, not a released package",
        "./vendor/acme_sdk-0.3.0-py3-none-any.whl": (
            "a URL or local path, not a release from the package index"
        ),
        "pyjwt": "a direct reference (https://github.com/jpadilla/pyjwt/archive/refs/tags/"
        "2.8.0.zip), not a release from the package index",
    }
    assert document.warnings == (
        "line 10: '-r base-requirements.txt' names another file, which is not read here",
        "line 11: '-c constraints.txt' names another file, which is not read here",
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("-e .", "editable install"),
        ("--editable=./src#egg=mypkg", "editable install"),
        ("https://example.com/pkg-1.0.tar.gz#egg=pkg", "a URL or local path"),
        ("git+https://github.com/a/b.git@v1#egg=b", "a URL or local path"),
        ("../libs/thing", "a URL or local path"),
        ("C:\\wheels\\thing-1.0-py3-none-any.whl", "a URL or local path"),
        ("pkg[extra]>=1,<2", "not pinned to one version (<2,>=1)"),
        ("pkg==1.0,==1.0", "not pinned to one version"),
        ("==1.0", "not a requirement pip can read: Expected package name"),
    ],
)
def test_requirements_lines_that_are_skipped(line: str, reason: str) -> None:
    document = read_requirements_txt(line.encode())
    assert document.components == ()
    assert document.skipped[0].reason.startswith(reason), document.skipped[0].reason


def test_requirements_options_are_not_components() -> None:
    text = "--index-url https://pypi.org/simple\n--require-hashes\n-f ./wheels\n--pre\n"
    document = read_requirements_txt(text.encode())
    assert document.declared == 0 and document.warnings == ()


def test_requirements_duplicates_are_one_component() -> None:
    text = "Django==4.2.7\ndjango==4.2.7 ; sys_platform == 'linux'\ndjango==4.2.8\n"
    assert _pins(read_requirements_txt(text.encode())) == [
        ("django", "4.2.7"),
        ("django", "4.2.8"),
    ]


def test_requirements_file_names() -> None:
    for name in (
        "requirements.txt",
        "Requirements-Dev.txt",
        "dev-requirements.txt",
        "requirements_prod.txt",
        "constraints.txt",
        "ci.requirements.txt",
    ):
        assert is_requirements_file(name), name
    for name in ("notes.txt", "requirementstxt", "requirements.in", "readme-requirements.md"):
        assert not is_requirements_file(name), name


# --- Python lockfiles ----------------------------------------------------------------------------


def test_poetry_lock() -> None:
    document = read_poetry_lock((DATA / "poetry" / "poetry.lock").read_bytes())
    assert (document.format, document.format_version) == ("poetry.lock", "2.0")
    assert _pins(document) == [
        ("certifi", "2023.7.22"),
        ("jinja2", "3.1.2"),
        ("markupsafe", "2.1.3"),
        ("fastapi-utils", "0.2.1"),  # a git source is a copy of the package
    ]
    assert _reasons(document) == {
        "ledger-client": "a local directory (../ledger-client), not a release"
    }
    assert document.skipped[0].location == "[[package]] 4"


def test_uv_lock() -> None:
    document = read_uv_lock((DATA / "uv" / "uv.lock").read_bytes())
    assert (document.format, document.format_version, document.name) == ("uv.lock", "1", "notary")
    assert _pins(document) == [
        ("anyio", "4.2.0"),
        ("idna", "3.6"),
        ("pydantic-core", "2.14.6"),
        ("sniffio", "1.3.0"),
    ]
    assert _reasons(document) == {"notary-plugins": "a local editable (plugins), not a release"}


def test_uv_lock_dynamic_version() -> None:
    text = '[[package]]\nname = "tool"\nsource = { registry = "https://pypi.org/simple" }\n'
    assert _reasons(read_uv_lock(text.encode())) == {
        "tool": "no version (a dynamic version is not locked)"
    }


def test_pipfile_lock() -> None:
    document = read_pipfile_lock((DATA / "pipenv" / "Pipfile.lock").read_bytes())
    assert (document.format, document.format_version) == ("Pipfile.lock", "6")
    assert _pins(document) == [("flask", "2.3.3"), ("werkzeug", "2.3.7"), ("pytest", "7.4.2")]
    assert [c.location for c in document.components] == [
        "default.flask",
        "default.werkzeug",
        "develop.pytest",
    ]
    assert _reasons(document) == {
        "audit-client": "not from the package index (path ./libs/audit-client)",
        "ledger-sdk": "not from the package index (git https://github.com/example/ledger-sdk.git)",
    }


# --- npm and yarn ---------------------------------------------------------------------------------


def test_package_lock_v1_nested_aliases_and_local() -> None:
    document = read_package_lock((DATA / "npm-v1" / "package-lock.json").read_bytes())
    assert (document.format_version, document.name) == ("1", "status-page")
    assert _pins(document) == [
        ("express", "4.17.1"),
        ("debug", "2.6.9"),
        ("ms", "2.0.0"),
        ("debug", "4.3.4"),
        ("ms", "2.1.2"),
        ("qs", "6.7.0"),
        ("string-width", "4.2.3"),  # "string-width-cjs": "npm:string-width@4.2.3"
    ]
    assert document.components[1].location == 'dependencies["express"].dependencies["debug"]'
    reasons = _reasons(document)
    assert reasons["status-theme"] == "a local package (file:packages/status-theme), not a release"
    assert reasons["chart-kit"].startswith("pinned to a git commit or URL (github:example/")


def test_package_lock_v2_reads_packages_not_dependencies() -> None:
    document = read_package_lock((DATA / "npm-v2" / "package-lock.json").read_bytes())
    assert document.format_version == "2"
    assert _pins(document) == [("express", "4.18.2"), ("qs", "6.11.0")]
    assert document.components[0].location == 'packages["node_modules/express"]'


def test_package_lock_v3_workspaces_links_and_copies() -> None:
    document = read_package_lock((DATA / "npm-v3" / "package-lock.json").read_bytes())
    assert (document.format_version, document.name) == ("3", "console-monorepo")
    assert _pins(document) == [
        ("@babel/traverse", "7.22.5"),
        ("ansi-regex", "5.0.1"),  # and its second copy at node_modules/ansi-regex-copy
        ("string-width", "4.2.3"),
        ("typescript", "5.2.2"),
        ("ansi-regex", "6.0.1"),
    ]
    assert _reasons(document) == {
        "@console/ui": "a workspace package at packages/ui (local code)",
        "local-fonts": "a local package (file:vendor/local-fonts), not a release",
    }


@pytest.mark.parametrize("version", [None, 0, 4, "3", True])
def test_package_lock_versions_read(version: object) -> None:
    import orjson

    with pytest.raises(InvalidRecord) as caught:
        read_package_lock(orjson.dumps({"lockfileVersion": version}), source="package-lock.json")
    assert caught.value.path == "$.lockfileVersion"


def test_yarn_classic() -> None:
    document = read_yarn_lock((DATA / "yarn-classic" / "yarn.lock").read_bytes())
    assert (document.format, document.format_version, document.encoding) == (
        "yarn.lock",
        "1",
        "text",
    )
    assert _pins(document) == [
        ("@babel/code-frame", "7.22.13"),
        ("lodash", "4.17.20"),
        ("string-width", "4.2.3"),
        ("minimist", "0.0.8"),
    ]
    assert document.components[1].location == "line 13"
    assert _reasons(document) == {
        "design-tokens": "a local package (file:./packages/design-tokens), not a release"
    }


def test_yarn_classic_errors_name_the_line() -> None:
    with pytest.raises(InvalidRecord) as caught:
        read_yarn_lock(b'# yarn lockfile v1\n\nlodash@^4:\n  version "4.17.21"\nnot an entry\n')
    assert caught.value.path == "line 5"


def test_yarn_berry() -> None:
    document = read_yarn_lock((DATA / "yarn-berry" / "yarn.lock").read_bytes())
    assert (document.format_version, document.encoding, document.name) == (
        "8",
        "yaml",
        "status-console",
    )
    # The compat patch of resolve is the npm package resolve@1.22.1: one component.
    assert _pins(document) == [
        ("@babel/code-frame", "7.22.13"),
        ("lodash", "4.17.20"),
        ("resolve", "1.22.1"),
    ]
    assert _reasons(document) == {"ui-kit": "a workspace package at packages/ui-kit (local code)"}


def test_yarn_berry_yaml_errors_name_the_line() -> None:
    with pytest.raises(InvalidRecord) as caught:
        read_yarn_lock(b'__metadata:\n  version: 8\n"a@npm:1": [\n')
    assert caught.value.path.startswith("line ")


# --- Cargo and Go --------------------------------------------------------------------------------


def test_cargo_lock() -> None:
    document = read_cargo_lock((DATA / "cargo" / "Cargo.lock").read_bytes())
    assert (document.format, document.format_version) == ("Cargo.lock", "3")
    assert [(c.ecosystem, c.name, c.version) for c in document.components] == [
        ("crates.io", "hyper", "0.14.26"),
        ("crates.io", "serde", "1.0.188"),
        ("crates.io", "time", "0.1.45"),  # the sparse index is crates.io too
        ("crates.io", "smallvec", "1.6.0"),
    ]
    assert _reasons(document) == {
        "billing-worker": "a crate of the workspace (local code)",
        "ledger-proto": "from another registry (registry+https://crates.example.com/index)",
    }


def test_go_mod_requirements_and_replacements() -> None:
    document = read_go_mod((DATA / "go" / "go.mod").read_bytes())
    assert (document.format, document.name) == ("go.mod", "github.com/example/billing-gateway")
    assert _pins(document) == [
        ("github.com/gin-gonic/gin", "v1.9.0"),
        ("golang.org/x/net", "v0.17.0"),
        ("gopkg.in/yaml.v3", "v3.0.1"),  # quoted path
        ("github.com/bytedance/sonic", "v1.9.1"),
        ("golang.org/x/text", "v0.13.0"),
        ("github.com/golang/protobuf", "v1.5.3"),  # what the build uses, after replace
        ("github.com/stretchr/testify", "v1.8.4"),
    ]
    protobuf = document.components[5]
    assert protobuf.location == "line 17, replaced at line 24"
    assert protobuf.purl == "pkg:golang/github.com/golang/protobuf@v1.5.3"
    assert _reasons(document) == {
        "github.com/example/ledger": "replaced by the local directory ../ledger (line 22)"
    }
    assert document.warnings == ()


def test_go_mod_before_117_warns() -> None:
    document = read_go_mod(b"module example.com/m\n\ngo 1.16\n\nrequire golang.org/x/net v0.1.0\n")
    assert "before Go 1.17" in document.warnings[0]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("module m\nrequire (\n\tgolang.org/x/net\n)\n", "line 3"),
        ("module m\nreplace a => \n", "line 2"),
        ("module m\nreplace a b c => d\n", "line 2"),
        ("module m\nrequire (\n\ta v1.0.0\n", "end"),
    ],
)
def test_go_mod_errors_name_the_line(text: str, path: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        read_go_mod(text.encode(), source="go.mod")
    assert caught.value.path == path


def test_go_sum_alone_keeps_the_highest_version() -> None:
    document = read_go_sum((DATA / "go-sum-only" / "go.sum").read_bytes())
    assert _pins(document) == [
        ("github.com/gin-gonic/gin", "v1.9.0"),
        ("golang.org/x/net", "v0.17.0"),
        ("gopkg.in/yaml.v3", "v3.0.1"),
    ]
    assert [(s.name, s.version, s.location) for s in document.skipped] == [
        ("golang.org/x/net", "v0.10.0", "line 5")
    ]
    assert document.warnings == (
        "1 module appears in go.sum only with a go.mod hash (read for version selection, not "
        "built); they are not components",
    )


def test_go_module_folder_prefers_go_mod() -> None:
    go_mod = (DATA / "go" / "go.mod").read_bytes()
    go_sum = (DATA / "go" / "go.sum").read_bytes()
    assert read_go_module(go_mod, go_sum).format == "go.mod"
    assert read_go_module(None, go_sum).format == "go.sum"
    with pytest.raises(InvalidRecord):
        read_go_module(None, None)


def test_go_sum_errors_name_the_line() -> None:
    with pytest.raises(InvalidRecord) as caught:
        read_go_sum(b"golang.org/x/net v0.17.0 h1:abc=\ngolang.org/x/net v0.17.0\n")
    assert caught.value.path == "line 2"


# --- every reader --------------------------------------------------------------------------------

READERS = [
    read_requirements_txt,
    read_poetry_lock,
    read_uv_lock,
    read_pipfile_lock,
    read_package_lock,
    read_yarn_lock,
    read_cargo_lock,
    read_go_mod,
    read_go_sum,
]


@pytest.mark.parametrize("reader", READERS, ids=lambda reader: reader.__name__)
def test_not_utf8_is_a_format_error(reader) -> None:
    with pytest.raises(InvalidRecord):
        reader(b'{"x": "\xff\xfe"}\n\xff', source="lock")


@given(st.binary(max_size=400))
@settings(max_examples=150, deadline=None)
def test_any_bytes_raise_only_format_errors(data: bytes) -> None:
    for reader in READERS:
        with contextlib.suppress(FormatError):
            reader(data, source="fuzz")


lockfile_text = st.lists(
    st.sampled_from(
        [*"abc-_.@/:=~^<>!*\"'[]{}(),;#\\ \t\n01v", "==", "=>", "npm:", "h1:", "  version "]
    ),
    max_size=80,
).map("".join)


@given(lockfile_text)
@settings(max_examples=300, deadline=None)
def test_any_lockfile_like_text_raises_only_format_errors(text: str) -> None:
    samples = [
        text,
        "[[package]]\n" + text,
        "# yarn lockfile v1\n" + text,
        "__metadata:\n  version: 8\n" + text,
        "module m\nrequire (\n" + text,
        '{"lockfileVersion": 3, "packages": {' + text,
    ]
    for sample in samples:
        for reader in READERS:
            with contextlib.suppress(FormatError):
                reader(sample.encode(), source="fuzz")
