"""Opening the store: its Chroma collection (through the one gateway, `_chroma`), the embedding
models, and the guards that refuse a store built with another model or schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

from qa.config import Settings
from qa.errors import StoreError
from qa.store.connection import chroma_errors, connect
from qa.store.folder import STORE_HINT, check_folder, disk_full, open_failure
from qa.store.maintenance import finish_interrupted_reindex

SCHEMA_VERSION = 2  # 2: every chunk carries its dated sentences and sentence vectors
DIMENSION_KEY = "embedding_dimension"
PRECISION_KEY = "embedding_precision"  # which MiniLM export made the vectors: fp32 or int8


class OpenStore:
    """The store opened: settings, embedding models and the collection; nothing heavy until used."""

    def __init__(self, settings: Settings, *, embeddings=None, create: bool = True) -> None:
        """`create=False` (every reader: `qa ask`, `qa stats`, the page) refuses to open a store
        that does not exist yet instead of creating an empty one."""
        self.settings = settings
        self._create = create
        self._embeddings = embeddings
        self._query_embeddings: Any = None
        self._dimension_checked = False
        self._connection = connect(settings)
        self._handle: tuple[int, object] | None = None  # (connection generation, collection)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._handle = None

    @property
    def embeddings(self):
        """The model that embeds chunks, loaded on first use: for MiniLM the ONNX export of the
        store's precision (the file its questions are embedded with), else sentence-transformers.
        Checked against the store's dimension and precision."""
        model = self._model(self.stored_precision())
        if not self._dimension_checked:
            self._check_precision(model)
            self._check_dimension(model)
        return model

    @property
    def query_embeddings(self):
        """The model that embeds questions: MiniLM on ONNX Runtime in the store's precision (no
        torch on the question path, qa.encoders.onnx_embeddings) unless a model was given or
        another one is configured."""
        if self._query_embeddings is None:
            from qa.encoders.embeddings import is_minilm

            if self._embeddings is None and is_minilm(self.settings.embedding_model):
                from qa.encoders.onnx_embeddings import load_onnx_embeddings

                model = load_onnx_embeddings(self.stored_precision())
                self._check_dimension(model)
            else:
                model = self.embeddings
            self._query_embeddings = model
        return self._query_embeddings

    def stored_precision(self) -> str:
        """The precision of the store's vectors: what it records, fp32 for a store from before
        the record (torch embedded those)."""
        from qa.encoders.onnx_embeddings import STORED_BEFORE

        with self._chroma() as collection:
            return str((collection.metadata or {}).get(PRECISION_KEY, STORED_BEFORE))

    def _model(self, precision: str | None = None):
        """The chunk embedder: the one given, else for MiniLM the ONNX export of `precision`
        (the default, INGEST_PRECISION, for a new store or a reindex), else torch."""
        if self._embeddings is None:
            from qa.encoders.embeddings import is_minilm, load_embeddings

            if is_minilm(self.settings.embedding_model):
                from qa.encoders.onnx_embeddings import INGEST_PRECISION, load_ingest_embeddings

                return load_ingest_embeddings(precision or INGEST_PRECISION)
            self._embeddings = load_embeddings(self.settings.embedding_model)
        return self._embeddings

    def _check_precision(self, model) -> None:
        """Refuse to add vectors of another precision than the store's: a question is embedded
        with the store's one model file, and mixed vectors would rank unevenly."""
        recorded, made = self.stored_precision(), model_precision(model)
        if recorded != made:
            raise StoreError(
                f"The store at {self.settings.store_label} holds {recorded} vectors of "
                f"{self.settings.embedding_model!r}, but this model makes {made} ones: re-embed "
                "it with `python -m qa reindex`, or ingest with the model that built it."
            )

    def _check_dimension(self, model) -> None:
        """Refuse a model whose vectors do not fit the store (same name, other weights)."""
        from qa.encoders.embeddings import model_dimension

        with self._chroma() as collection:
            recorded = (collection.metadata or {}).get(DIMENSION_KEY)
        actual = model_dimension(model) if recorded is not None else None
        if recorded is not None and actual != recorded:
            raise StoreError(
                f"The store at {self.settings.store_label} holds {recorded}-dimensional vectors, "
                f"but the embedding model {self.settings.embedding_model!r} makes {actual}: "
                "re-embed it with `python -m qa reindex`, or set NEWSQA_EMBEDDING_MODEL to the "
                "model that built it."
            )
        self._dimension_checked = True

    @property
    def collection(self):
        """The Chroma collection, for a caller that makes no calls from other threads (tests,
        benchmarks); the index's own calls go through `_chroma`."""
        with self._chroma() as collection:
            return collection

    @property
    def _client(self):
        return self._connection.client

    @contextmanager
    def _chroma(self) -> Iterator:
        """The collection for a few Chroma calls: the gateway every call to the store goes through.

        Its client stays open until the block ends; a handle from a replaced client is re-fetched.
        """
        if self._handle is None:
            self._prepare_folder()  # before Chroma can create anything there
        with self._connection.use() as client:
            generation = self._connection.generation
            handle = self._handle
            if handle is None or handle[0] != generation:
                handle = self._handle = (generation, self._open_collection(client))
            try:
                yield handle[1]
            except chroma_errors()[0] as e:
                self._raise_if_disk_full(e)
                raise

    def _raise_if_disk_full(self, error: BaseException) -> None:
        """A full disk as one line naming it and the fix (Chroma says "Error in compaction")."""
        if line := disk_full(self.settings.store_label, self.settings.store_dir, error):
            raise StoreError(line) from error

    def _open_collection(self, client, *, check: bool = True):
        try:
            finish_interrupted_reindex(client, self.settings.collection)
            if not self._create and not self.settings.uses_server:
                collection = self._existing_collection(client)
            else:
                collection = client.get_or_create_collection(
                    self.settings.collection,
                    embedding_function=None,  # never Chroma's default: it downloads a model
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata=self._new_metadata(),
                )
        except StoreError:
            raise
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # chromadb raises several unrelated types (a Rust panic too)
            self._raise_if_disk_full(e)
            raise StoreError(open_failure(self.settings.store_label, e)) from e
        if check:
            self._check_guards(collection.metadata or {})
        return collection

    def _existing_collection(self, client):
        names = {c.name for c in client.list_collections()}
        if self.settings.collection not in names:
            raise StoreError(
                f"{self.settings.store_label} is a Chroma database without the collection "
                f"{self.settings.collection!r}, not a newsqa store: {STORE_HINT}."
            )
        return client.get_collection(self.settings.collection, embedding_function=None)

    def _prepare_folder(self) -> None:
        s = self.settings
        if s.uses_server:
            return
        check_folder(s, create=self._create)
        try:
            s.store_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(
                f"Could not create the store folder {s.store_label} ({e.strerror or e}): "
                "choose a folder you can write to."
            ) from e

    def _new_metadata(self, **extra) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "embedding_model": self.settings.embedding_model,
            PRECISION_KEY: self._new_precision(),
            "generation": "empty",
            "updated_at": "",
            **extra,
        }

    def _check_guards(self, meta: dict) -> None:
        built_with = meta.get("embedding_model")
        if built_with and built_with != self.settings.embedding_model:
            raise StoreError(
                f"The store at {self.settings.store_label} was built with the embedding model "
                f"{built_with!r}, not {self.settings.embedding_model!r}: set "
                f"NEWSQA_EMBEDDING_MODEL={built_with}, or re-embed it with `python -m qa reindex`."
            )
        precision = meta.get(PRECISION_KEY)
        if precision is not None and not self._knows_precision(str(precision)):
            raise StoreError(
                f"The store at {self.settings.store_label} holds {precision} vectors, which this "
                f"newsqa cannot embed questions for: re-embed it with `python -m qa reindex`."
            )
        version = meta.get("schema_version", "none")
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise StoreError(
                f"The store at {self.settings.store_label} was written by a newer newsqa (schema "
                f"version {version}; this one reads {SCHEMA_VERSION}): upgrade newsqa to use it. "
                "Nothing was changed."
            )
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"The store at {self.settings.store_label} has schema version {version}; this "
                f"newsqa reads version {SCHEMA_VERSION}: run `python -m qa reindex` to upgrade it."
            )

    def _new_precision(self) -> str:
        """The precision a new collection (a new store, a reindex) is embedded in."""
        if self._embeddings is not None:
            return model_precision(self._embeddings)
        from qa.encoders.embeddings import is_minilm
        from qa.encoders.onnx_embeddings import INGEST_PRECISION

        return INGEST_PRECISION if is_minilm(self.settings.embedding_model) else "fp32"

    def _knows_precision(self, precision: str) -> bool:
        from qa.encoders.onnx_embeddings import MODEL_FILES

        return precision in MODEL_FILES


def model_precision(model) -> str:
    """The precision of an embedding model's vectors: an ONNX export says; torch runs fp32."""
    return str(getattr(model, "precision", "fp32"))
