"""``CloudflareAIGatewayToolSpec``: media tools for LlamaIndex agents.

Image generation, speech-to-text and text-to-speech through Cloudflare AI Gateway as a LlamaIndex
``BaseToolSpec`` (``spec.to_tool_list()`` for an agent).

Each tool has a sync and an async function; images and speech are written to ``output_dir``
(a fresh temporary directory when unset) and the tool answers with the file's path, the
transcription tool with the transcript.

Example:
    ```python
    from llama_index.core.agent.workflow import FunctionAgent
    from llamaindex_cf_gateway import CloudflareAIGateway
    from llamaindex_cf_gateway.tools import CloudflareAIGatewayToolSpec

    tools = CloudflareAIGatewayToolSpec(output_dir="out").to_tool_list()
    agent = FunctionAgent(tools=tools, llm=CloudflareAIGateway(model="openai/gpt-5.5"))
    ```
"""

from __future__ import annotations

import copy
import hashlib
import os
import tempfile
from typing import Any

from llama_index.core.tools.tool_spec.base import BaseToolSpec

from cf_gateway_core import GeneratedImage, Speech
from cf_gateway_core.pydantic_fields import cannot_travel_message
from cf_gateway_core.session import (
    GatewaySession,
    constructor_keywords,
    normalize_constructor_kwargs,
)
from llamaindex_cf_gateway._fields import GatewayFields

__all__ = ["CloudflareAIGatewayToolSpec"]

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/ogg": ".ogg",
}


_MODELS = ("image_model", "transcription_model", "speech_model", "output_dir")


class _ToolConnection(GatewayFields):
    """The connection settings of the tool spec (the mixin itself is never validated)."""


class CloudflareAIGatewayToolSpec(BaseToolSpec):
    """Media tools for LlamaIndex agents.

    Args:
        image_model: default ``@cf/black-forest-labs/flux-1-schnell``.
        transcription_model: default ``@cf/openai/whisper-large-v3-turbo``.
        speech_model: default ``@cf/myshell-ai/melotts``.
        output_dir: where images and speech are written (a temporary directory when ``None``).
        **connection: ``account_id``, ``api_token``, ``gateway_id``, ``base_url``,
            ``gateway_options``, ``http_client``… as for ``CloudflareAIGateway``.

    Raises:
        GatewayConfigError: an unknown keyword (with a did-you-mean hint), missing credentials
            or an invalid value (at construction).
    """

    spec_functions = [  # noqa: RUF012 - BaseToolSpec reads this class attribute
        ("generate_image", "agenerate_image"),
        ("transcribe_audio", "atranscribe_audio"),
        ("text_to_speech", "atext_to_speech"),
    ]

    def __init__(
        self,
        *,
        image_model: str = "@cf/black-forest-labs/flux-1-schnell",
        transcription_model: str = "@cf/openai/whisper-large-v3-turbo",
        speech_model: str = "@cf/myshell-ai/melotts",
        output_dir: str | None = None,
        **connection: Any,
    ) -> None:
        """Resolve the connection (no request is sent); see the class docstring."""
        self.image_model = image_model
        self.transcription_model = transcription_model
        self.speech_model = speech_model
        self.output_dir = output_dir
        known = constructor_keywords(_ToolConnection) | frozenset(_MODELS)
        normalize_constructor_kwargs(connection, known=known, owner=type(self).__name__)
        # The connection travels by GatewayFields' rules, as the other LlamaIndex classes do: a
        # token read from CLOUDFLARE_API_TOKEN stays out of the pickle (the receiving process
        # reads its own environment), and the session is rebuilt where the spec arrives.
        self._connection = _ToolConnection(**connection)

    @property
    def _session(self) -> GatewaySession:
        return self._connection._session

    def __getstate__(self) -> dict[str, Any]:
        """The models and the connection's settings.

        Raises:
            TypeError: ``http_client`` or ``http_async_client`` was given (a caller-owned httpx
                client cannot be pickled; the message says what to do instead).
        """
        for keyword in ("http_client", "http_async_client"):
            if getattr(self._connection, keyword) is not None:
                raise TypeError(cannot_travel_message(type(self).__name__, keyword))
        return dict(self.__dict__)

    def __copy__(self) -> CloudflareAIGatewayToolSpec:
        """A copy sharing the connection (and a caller-owned httpx client)."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> CloudflareAIGatewayToolSpec:
        """A copy with its own connection; a caller-owned httpx client is shared."""
        clone = self.__copy__()
        clone._connection = copy.deepcopy(self._connection, memo)
        return clone

    def __repr__(self) -> str:
        """Models and the connection (never the token)."""
        return f"CloudflareAIGatewayToolSpec(image_model={self.image_model!r}, {self._session!r})"

    def _save(self, data: bytes, mime: str | None, stem: str) -> str:
        directory = self.output_dir or tempfile.mkdtemp(prefix="cf-gateway-")
        os.makedirs(directory, exist_ok=True)
        name = (
            f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}{_EXTENSIONS.get(mime or '', '.bin')}"
        )
        path = os.path.join(directory, name)
        with open(path, "wb") as handle:
            handle.write(data)
        return path

    def _image_answer(self, image: GeneratedImage) -> str:
        if image.data is None:
            return f"The image is at {image.url}"
        return f"Image saved to {self._save(image.data, image.mime_type, 'image')}"

    def _speech_answer(self, speech: Speech) -> str:
        if speech.audio is None:
            return f"The audio is at {speech.url}"
        return f"Speech saved to {self._save(speech.audio, speech.mime_type, 'speech')}"

    def generate_image(self, prompt: str) -> str:
        """Generate an image from a detailed text description; returns where it was saved."""
        return self._image_answer(
            self._session.client.generate_image(prompt, model=self.image_model)
        )

    async def agenerate_image(self, prompt: str) -> str:
        """Generate an image from a detailed text description; returns where it was saved."""
        image = await self._session.aclient.generate_image(prompt, model=self.image_model)
        return self._image_answer(image)

    def transcribe_audio(self, audio_path: str) -> str:
        """Transcribe the audio file at audio_path (mp3, wav, flac, ogg, webm, m4a) to text."""
        return self._session.client.transcribe(audio_path, model=self.transcription_model).text

    async def atranscribe_audio(self, audio_path: str) -> str:
        """Transcribe the audio file at audio_path (mp3, wav, flac, ogg, webm, m4a) to text."""
        result = await self._session.aclient.transcribe(audio_path, model=self.transcription_model)
        return result.text

    def text_to_speech(self, text: str) -> str:
        """Read the text aloud into an audio file; returns where it was saved."""
        return self._speech_answer(self._session.client.speak(text, model=self.speech_model))

    async def atext_to_speech(self, text: str) -> str:
        """Read the text aloud into an audio file; returns where it was saved."""
        return self._speech_answer(await self._session.aclient.speak(text, model=self.speech_model))
