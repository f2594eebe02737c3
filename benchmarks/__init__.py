"""`make bench`: the connector's full-refresh read against a minimal "floor" client, on the bundled simulator."""
