"""The offline emulator: deterministic default replies and a local HTTP server."""
