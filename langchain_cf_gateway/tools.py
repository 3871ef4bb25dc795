"""LangChain tools an agent can call: image generation, speech-to-text and text-to-speech.

They go through Cloudflare AI Gateway's ``/ai/run`` (Workers AI media models).

Each tool answers the model with a short text (``content``) and hands the caller the typed core
result as the ``artifact`` (``response_format="content_and_artifact"``): the image or audio
bytes never enter the conversation. Images and speech are written to ``output_dir`` (a fresh
temporary directory when unset) and the text names the file.

Example:
    .. code-block:: python

        from langchain_cf_gateway import ChatCloudflareAIGateway
        from langchain_cf_gateway.tools import CloudflareImageGenerationTool

        tools = [CloudflareImageGenerationTool(output_dir="out")]
        agent_model = ChatCloudflareAIGateway(model="openai/gpt-5.5").bind_tools(tools)
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from typing import Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from cf_gateway_core import GeneratedImage, Speech, Transcription
from langchain_cf_gateway._errors import translated
from langchain_cf_gateway._services import ServiceFields

__all__ = [
    "CloudflareImageGenerationTool",
    "CloudflareSpeechToTextTool",
    "CloudflareTextToSpeechTool",
]

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
}


class _PromptInput(BaseModel):
    prompt: str = Field(description="What the image should show, in detail.")


class _AudioInput(BaseModel):
    audio_path: str = Field(description="Path of the audio file to transcribe (mp3, wav, ...).")


class _SpeechInput(BaseModel):
    text: str = Field(description="The text to read aloud.")


class _MediaTool(ServiceFields, BaseTool):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", arbitrary_types_allowed=True)

    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    output_dir: str | None = None
    """Where images and speech are written; a temporary directory when ``None``."""

    def _save(self, data: bytes, mime: str | None, stem: str) -> str:
        directory = self.output_dir or tempfile.mkdtemp(prefix="cf-gateway-")
        os.makedirs(directory, exist_ok=True)
        name = hashlib.sha256(data).hexdigest()[:16]
        path = os.path.join(directory, f"{stem}-{name}{_EXTENSIONS.get(mime or '', '.bin')}")
        with open(path, "wb") as handle:
            handle.write(data)
        return path


class CloudflareImageGenerationTool(_MediaTool):
    """Generate an image from a text prompt (default ``@cf/black-forest-labs/flux-1-schnell``).

    The artifact is the :class:`cf_gateway_core.GeneratedImage`.
    """

    name: str = "cloudflare_image_generation"
    description: str = (
        "Generate an image from a detailed text description. Returns where the image was saved."
    )
    args_schema: type[BaseModel] = _PromptInput
    model: str = "@cf/black-forest-labs/flux-1-schnell"
    """Image model id."""
    steps: int | None = None
    """Diffusion steps (flux-1-schnell: at most 8)."""

    def _describe(self, image: GeneratedImage) -> tuple[str, GeneratedImage]:
        if image.data is None:
            return f"The image is at {image.url}", image
        path = self._save(image.data, image.mime_type, "image")
        return f"Generated a {image.mime_type} image ({len(image.data)} bytes) at {path}", image

    def _run(
        self, prompt: str, run_manager: CallbackManagerForToolRun | None = None
    ) -> tuple[str, GeneratedImage]:
        with translated():
            image = self._client.generate_image(prompt, model=self.model, steps=self.steps)
        return self._describe(image)

    async def _arun(
        self, prompt: str, run_manager: AsyncCallbackManagerForToolRun | None = None
    ) -> tuple[str, GeneratedImage]:
        with translated():
            image = await self._async_client.generate_image(
                prompt, model=self.model, steps=self.steps
            )
        return self._describe(image)


class CloudflareSpeechToTextTool(_MediaTool):
    """Transcribe an audio file (default ``@cf/openai/whisper-large-v3-turbo``).

    The content is the transcript, the artifact the :class:`cf_gateway_core.Transcription`
    (timestamps).
    """

    name: str = "cloudflare_speech_to_text"
    description: str = "Transcribe an audio file to text. Input: the path of the audio file."
    args_schema: type[BaseModel] = _AudioInput
    model: str = "@cf/openai/whisper-large-v3-turbo"
    """Speech-recognition model id."""
    language: str | None = None
    """Language of the audio, when the model takes one (e.g. ``en``)."""

    def _run(
        self, audio_path: str, run_manager: CallbackManagerForToolRun | None = None
    ) -> tuple[str, Transcription]:
        with translated():
            result = self._client.transcribe(audio_path, model=self.model, language=self.language)
        return result.text, result

    async def _arun(
        self, audio_path: str, run_manager: AsyncCallbackManagerForToolRun | None = None
    ) -> tuple[str, Transcription]:
        with translated():
            result = await self._async_client.transcribe(
                audio_path, model=self.model, language=self.language
            )
        return result.text, result


class CloudflareTextToSpeechTool(_MediaTool):
    """Read text aloud (default ``@cf/myshell-ai/melotts``) into an audio file.

    The artifact is the :class:`cf_gateway_core.Speech`.
    """

    name: str = "cloudflare_text_to_speech"
    description: str = "Turn text into spoken audio. Returns where the audio file was saved."
    args_schema: type[BaseModel] = _SpeechInput
    model: str = "@cf/myshell-ai/melotts"
    """Text-to-speech model id."""
    voice: str | None = None
    """Voice (Deepgram Aura ``speaker``)."""

    def _describe(self, speech: Speech) -> tuple[str, Speech]:
        if speech.audio is None:
            return f"The audio is at {speech.url}", speech
        path = self._save(speech.audio, speech.mime_type, "speech")
        return f"Saved {speech.mime_type} speech ({len(speech.audio)} bytes) at {path}", speech

    def _run(
        self, text: str, run_manager: CallbackManagerForToolRun | None = None
    ) -> tuple[str, Speech]:
        with translated():
            speech = self._client.speak(text, model=self.model, voice=self.voice)
        return self._describe(speech)

    async def _arun(
        self, text: str, run_manager: AsyncCallbackManagerForToolRun | None = None
    ) -> tuple[str, Speech]:
        with translated():
            speech = await self._async_client.speak(text, model=self.model, voice=self.voice)
        return self._describe(speech)
