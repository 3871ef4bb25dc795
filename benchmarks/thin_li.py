"""The thinnest LlamaIndex adapter: a ``CustomLLM`` over :class:`thin.Wire` (``thin.py`` says what
it does and does not do). Importing this module imports LlamaIndex."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from pydantic import PrivateAttr
from thin import Wire


class ThinLLM(CustomLLM):
    """One API (``api``) through :class:`Wire`: a plain-dict payload per call, one
    ``ChatResponse`` per ``data:`` line, callbacks on, nothing validated or retried."""

    api: str
    _wire: Wire = PrivateAttr()

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(is_chat_model=True, model_name="thin")

    def _body(self, messages: Sequence[ChatMessage]) -> Any:
        plain = [{"role": m.role.value, "content": m.content} for m in messages]
        return self._wire.payload(plain, None)

    def _response(self, reply: Any) -> ChatResponse:
        text = self._wire.text(reply)
        return ChatResponse(message=ChatMessage(role="assistant", content=text), raw=reply)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._response(self._wire.post(self._body(messages)))

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._response(await self._wire.apost(self._body(messages)))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        body = self._body(messages)

        def gen() -> ChatResponseGen:
            text = ""
            for delta in self._wire.deltas(body):
                text += delta
                message = ChatMessage(role="assistant", content=text)
                yield ChatResponse(message=message, delta=delta)

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
        reply = self.chat([ChatMessage(role="user", content=prompt)])
        return CompletionResponse(text=reply.message.content or "")

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kw: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            for r in self.stream_chat([ChatMessage(role="user", content=prompt)]):
                yield CompletionResponse(text=r.message.content or "", delta=r.delta)

        return gen()


def build(root: str, api: str) -> ThinLLM:
    """The adapter for ``api`` against the fake server at ``root``."""
    llm = ThinLLM(api=api)
    llm._wire = Wire(root, api)
    return llm
