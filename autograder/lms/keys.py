"""The tool's own RSA key: its private half signs the passback's token requests (the LMS checks them
against the tool's key set, served by the hub at /hub/lti13/jwks); made once, kept with the hub's state."""
from __future__ import annotations

import json
import os
from pathlib import Path

from jwcrypto.jwk import JWK


def ensure_key(path: Path, group: int = -1) -> Path:
    """The PEM file of a new 2048-bit RSA key, unless one is there; readable by its owner and, when
    given, one group (the instructor's: the passback signs with it), nobody else."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    if group >= 0:
        os.chown(path, -1, group)
        path.chmod(0o640)
    return path


def public_pem(private_pem: str) -> str:
    return JWK.from_pem(private_pem.encode()).export_to_pem().decode()


def key_set(private_pem: str) -> dict:
    """The public key set (JWKS) of the key: what an LMS verifies the tool's signatures with. Its key
    id is the key's RFC 7638 thumbprint, as pylti1p3 names it in the header of each token request."""
    key = JWK.from_pem(public_pem(private_pem).encode())
    jwk = json.loads(key.export_public())
    jwk.update(alg="RS256", use="sig", kid=key.thumbprint())
    return {"keys": [jwk]}
