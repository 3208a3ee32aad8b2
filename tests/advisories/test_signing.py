"""The instance key signs; `gpg --verify` with only the exported public key checks it."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from clearinghouse.advisories.openpgp_keys import OpenPgpKey
from clearinghouse.advisories.signing import SigningError, instance_signer
from clearinghouse.audit.models import AuditEvent
from clearinghouse.cli import app as cli
from clearinghouse.settings import Settings, get_settings
from clearinghouse.storage import Database


def settings_for(db: Database, key: str | None = None) -> Settings:
    return Settings(database_url=db.url, encryption_key=key or Fernet.generate_key().decode())


def gpg_verify(
    public_key: str, signature: str, data: bytes, home: Path
) -> subprocess.CompletedProcess[str]:
    """The standard tool, in a fresh GNUPGHOME holding nothing but the exported public key."""
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    (home / "key.asc").write_text(public_key)
    (home / "doc.json").write_bytes(data)
    (home / "doc.json.asc").write_text(signature)
    subprocess.run(
        ["gpg", "--batch", "--import", str(home / "key.asc")],
        env=env,
        check=True,
        capture_output=True,
    )
    try:
        return subprocess.run(
            ["gpg", "--batch", "--status-fd", "1", "--verify", "doc.json.asc", "doc.json"],
            env=env,
            cwd=home,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, capture_output=True)


@pytest.fixture(scope="module")
def csaf_example(shared_data: Path) -> bytes:
    return (shared_data / "csaf" / "2.0" / "examples" / "csaf" / "bsi-2022-0001.json").read_bytes()


def test_a_signature_verifies_with_gpg_and_a_tampered_copy_fails(
    sqlite_db: Database, csaf_example: bytes, tmp_path: Path
) -> None:
    signer = instance_signer(settings_for(sqlite_db), db=sqlite_db)
    signature = signer.sign_detached(csaf_example)
    assert signature.startswith("-----BEGIN PGP SIGNATURE-----")

    good = gpg_verify(signer.public_key_armored(), signature, csaf_example, tmp_path / "good")
    assert good.returncode == 0, good.stderr
    assert f"VALIDSIG {signer.fingerprint}" in good.stdout

    tampered = csaf_example.replace(b"BSI", b"BSJ", 1)
    assert tampered != csaf_example
    bad = gpg_verify(signer.public_key_armored(), signature, tampered, tmp_path / "bad")
    assert bad.returncode != 0
    assert "BADSIG" in bad.stdout


def test_the_key_is_kept_and_shared_and_its_secret_never_stored_in_clear(db: Database) -> None:
    settings = settings_for(db)
    first = instance_signer(settings, db=db)
    # Another "process": its own engine on the same database, the same key.
    other = Database(db.url)
    try:
        second = instance_signer(settings, db=other)
    finally:
        other.dispose()
    assert second.fingerprint == first.fingerprint
    assert len(first.fingerprint) == 40
    assert "PRIVATE" not in first.public_key_armored()
    assert first.fingerprint in repr(first) and "PRIVATE" not in repr(first)

    with db.read_session() as session:
        rows = session.execute(select(OpenPgpKey)).scalars().all()
        events = (
            session.execute(select(AuditEvent).where(AuditEvent.action == "openpgp_key.create"))
            .scalars()
            .all()
        )
    assert len(rows) == 1 and len(events) == 1
    assert b"PRIVATE KEY" not in rows[0].secret_ciphertext
    opened = Fernet(settings.encryption_key.encode()).decrypt(rows[0].secret_ciphertext)
    assert b"BEGIN PGP PRIVATE KEY BLOCK" in opened


def test_two_processes_racing_to_make_the_key_end_with_one(db: Database) -> None:
    settings = settings_for(db)
    fingerprints: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def make() -> None:
        own = Database(db.url)
        try:
            barrier.wait()
            fingerprints.append(instance_signer(settings, db=own).fingerprint)
        except BaseException as exc:  # collected and re-raised below
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=make) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(fingerprints) == 2 and fingerprints[0] == fingerprints[1]
    with db.read_session() as session:
        assert len(session.execute(select(OpenPgpKey)).scalars().all()) == 1


def test_the_key_does_not_open_with_another_encryption_key(sqlite_db: Database) -> None:
    instance_signer(settings_for(sqlite_db), db=sqlite_db)
    stranger = instance_signer(settings_for(sqlite_db), db=sqlite_db)
    with pytest.raises(SigningError, match="does not open"):
        stranger.sign_detached(b"{}")


def test_signing_time_per_document(
    sqlite_db: Database, csaf_example: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    signer = instance_signer(settings_for(sqlite_db), db=sqlite_db)
    started = time.perf_counter()
    single = signer.sign_detached(csaf_example)
    one_each = time.perf_counter() - started
    started = time.perf_counter()
    with signer.batch() as batch:
        signatures = [batch.sign_detached(csaf_example) for _ in range(20)]
    per_doc_in_batch = (time.perf_counter() - started) / 20
    assert all(s.startswith("-----BEGIN PGP SIGNATURE-----") for s in [single, *signatures])
    with capsys.disabled():
        print(
            f"\nsigning: {one_each * 1000:.0f} ms for one document with its own keyring, "
            f"{per_doc_in_batch * 1000:.0f} ms per document in a batch of 20"
        )


def test_the_cli_shows_the_key_and_exports_the_public_half_gpg_verifies_with(
    sqlite_db: Database, csaf_example: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No CLEARINGHOUSE_ENCRYPTION_KEY: the embedded mode keeps a 0600 key file beside the DB.
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", sqlite_db.url)
    monkeypatch.delenv("CLEARINGHOUSE_ENCRYPTION_KEY", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        info = runner.invoke(cli, ["csaf-provider", "key-info", "--json"])
        assert info.exit_code == 0, (info.output, info.exception)
        exported = tmp_path / "instance.asc"
        result = runner.invoke(cli, ["csaf-provider", "export-key", "--out", str(exported)])
        assert result.exit_code == 0, (result.output, result.exception)
        signer = instance_signer(get_settings(), db=sqlite_db)
    finally:
        get_settings.cache_clear()
    fingerprint = json.loads(info.stdout)["fingerprint"]
    assert fingerprint == signer.fingerprint
    assert "PRIVATE" not in info.output + exported.read_text()
    signature = signer.sign_detached(csaf_example)
    verified = gpg_verify(exported.read_text(), signature, csaf_example, tmp_path / "gpg")
    assert verified.returncode == 0, verified.stderr
    assert f"VALIDSIG {fingerprint}" in verified.stdout


def test_a_publishing_transaction_can_make_the_key_in_its_own_session(db: Database) -> None:
    settings = settings_for(db)
    with db.session() as session:
        # As publication does: the key joins the transaction that writes the version.
        signer = instance_signer(settings, session=session)
        assert signer.sign_detached(b"{}").startswith("-----BEGIN PGP SIGNATURE-----")
    assert instance_signer(settings, db=db).fingerprint == signer.fingerprint
