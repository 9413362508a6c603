"""Throw-away EC P-256 certificate authority and server certificates made with openssl."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .common import find_binary, run

_DAYS = "2"


@dataclass(frozen=True)
class ServerCert:
    """PEM files of a CA and of a server certificate it signed."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def make_server_cert(directory: Path, common_name: str, ca_name: str) -> ServerCert:
    """Create a CA and a server (and client) certificate for ``common_name`` and 127.0.0.1."""
    openssl = find_binary("openssl", package="openssl")
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_file = directory / "ca.key", directory / "ca.crt"
    key_file, csr = directory / f"{common_name}.key", directory / f"{common_name}.csr"
    cert_file, ext = directory / f"{common_name}.crt", directory / f"{common_name}.ext"
    ec_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc"]
    run(
        [openssl, "req", "-x509", *ec_key, "-keyout", ca_key, "-out", ca_file]
        + ["-days", _DAYS, "-subj", f"/CN={ca_name}"]
        + ["-addext", "basicConstraints=critical,CA:TRUE"]
        + ["-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    )
    run(
        [openssl, "req", "-new", *ec_key, "-keyout", key_file, "-out", csr]
        + ["-subj", f"/CN={common_name}"]
    )
    names = dict.fromkeys([common_name, "localhost"])
    alt_names = ",".join([*(f"DNS:{name}" for name in names), "IP:127.0.0.1"])
    ext.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth,clientAuth\n"
        f"subjectAltName={alt_names}\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n",
        encoding="ascii",
    )
    run(
        [openssl, "x509", "-req", "-in", csr, "-CA", ca_file, "-CAkey", ca_key]
        + ["-CAcreateserial", "-days", _DAYS, "-extfile", ext, "-out", cert_file]
    )
    return ServerCert(ca_file, cert_file, key_file)
