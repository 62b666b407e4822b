"""Where `assistplan sandbox serve` listens unless told otherwise (importable without the server,
so the CLI can show them in --help without loading werkzeug)."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8089
