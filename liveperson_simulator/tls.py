"""A throwaway certificate authority and a server certificate for ``localhost`` and ``127.0.0.1``.

LivePerson is only reachable over HTTPS; so is the simulator. Clients trust it through ``ca_path``
(for ``requests``: ``verify=sim.ca_path``), never by turning verification off.
"""

import os
import ssl
import tempfile

import trustme

SERVER_NAMES = ("localhost", "127.0.0.1")


class ServerCertificate:
    """The CA PEM written to a temporary file and a server-side TLS context using the leaf cert."""

    def __init__(self) -> None:
        authority = trustme.CA(organization_name="LivePerson simulator test CA")
        leaf = authority.issue_cert(*SERVER_NAMES)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        leaf.configure_cert(self.context)
        descriptor, self.ca_path = tempfile.mkstemp(prefix="lp-simulator-ca-", suffix=".pem")
        with os.fdopen(descriptor, "wb") as ca_file:
            ca_file.write(authority.cert_pem.bytes())

    def remove(self) -> None:
        try:
            os.unlink(self.ca_path)
        except FileNotFoundError:
            pass
