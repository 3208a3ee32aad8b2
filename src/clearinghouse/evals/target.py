"""The model a run evaluates, built for Inspect from the model version's access details.

A version reached through an API (an OpenAI-compatible base URL and a credential) runs
on Inspect's `openai-api` provider; the credential is decrypted here, handed to
`get_model` as an argument for this run only (never through the environment, where
other code could read it), and kept out of every description, repr and log. Any other
Inspect provider (mockllm/model, hf/..., vllm/..., anthropic/...) can be named
explicitly: it uses that provider's own configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from inspect_ai.model import Model, get_model

from clearinghouse.evals.errors import TargetUnavailable
from clearinghouse.review.models import AccessKind, ModelVersion
from clearinghouse.review.secrets import decrypt_credential

ENDPOINT = "endpoint"
# provider/model, as Inspect names models; no spaces, quotes or control characters.
_EXPLICIT = re.compile(r"^[a-z][a-z0-9_-]{0,40}/[A-Za-z0-9_.:/@+-]{1,200}$")
_SERVICE = "developer"
# OpenAI-compatible servers that need no key (vLLM, llama.cpp) take any placeholder.
NO_CREDENTIAL = "EMPTY"


@dataclass(frozen=True)
class Target:
    """What Inspect evaluates. `description` is safe to store and show; the key is not."""

    description: str
    model_name: str
    base_url: str | None = None
    _api_key: str | None = field(default=None, repr=False)

    def secrets(self) -> tuple[str, ...]:
        """Values that must never be stored or shown (for redaction and log checks)."""
        return (self._api_key,) if self._api_key and self._api_key != NO_CREDENTIAL else ()

    def model(self) -> Model:
        """A fresh Inspect model (not memoised: the key must not outlive the run)."""
        if self.base_url is None:
            return get_model(self.model_name, memoize=False)
        return get_model(
            self.model_name, base_url=self.base_url, api_key=self._api_key, memoize=False
        )


def served_model_name(version: ModelVersion) -> str:
    """The model name sent to the endpoint when none is given: `<model>-<version>`, slugged."""
    raw = f"{version.model.name}-{version.version}".lower()
    return re.sub(r"[^a-z0-9_.-]+", "-", raw).strip("-") or "model"


def explicit_target(name: str) -> Target:
    if not _EXPLICIT.match(name):
        raise TargetUnavailable(
            f"{name!r} is not an Inspect model name (provider/model, e.g. mockllm/model)"
        )
    return Target(description=name, model_name=name)


def endpoint_target(
    version: ModelVersion, cipher: Fernet, *, served_model: str | None = None
) -> Target:
    """The version's own API endpoint, with its decrypted credential."""
    if version.access_kind is not AccessKind.api or not version.api_base_url:
        raise TargetUnavailable(
            f"model version {version.id} is reached through its weights, not an API: "
            "name an Inspect provider for them explicitly (e.g. hf/<path> or vllm/<path>)"
        )
    parts = urlsplit(version.api_base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetUnavailable(f"model version {version.id}'s base URL is not http(s)")
    name = served_model or served_model_name(version)
    if not re.fullmatch(r"[A-Za-z0-9_.:/@+-]{1,200}", name):
        raise TargetUnavailable(f"{name!r} is not a model name an endpoint can be asked for")
    credential = (
        decrypt_credential(cipher, version.api_credential_ciphertext)
        if version.api_credential_ciphertext is not None
        else NO_CREDENTIAL
    )
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return Target(
        description=f"{ENDPOINT} {parts.scheme}://{host} (model {name})",
        model_name=f"openai-api/{_SERVICE}/{name}",
        base_url=version.api_base_url,
        _api_key=credential,
    )
