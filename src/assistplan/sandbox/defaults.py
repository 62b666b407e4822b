"""Where `assistplan sandbox serve` listens unless told otherwise, and which answers it can drop
(importable without the server, so the CLI can show them in --help without loading werkzeug)."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8089
# The operations that make something: the ones whose answer can be lost after the server acted.
DROPPABLE = (
    "POST /v1/assistants",
    "POST /v1/files",
    "POST /v1/uploads",
    "POST /v1/uploads/{upload_id}/parts",
    "POST /v1/uploads/{upload_id}/complete",
    "POST /v1/vector_stores",
    "POST /v1/vector_stores/{vector_store_id}/files",
    "POST /v1/vector_stores/{vector_store_id}/file_batches",
)
