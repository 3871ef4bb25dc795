# %% [markdown]
# # Beyond chat: gateway logs and feedback, rerankers, the model catalogue, images and speech
#
# Every request through Cloudflare AI Gateway leaves a **log** (model, provider, tokens, cost,
# cache, duration, status) whose id comes back with the reply. This notebook closes the loop:
# it runs a small **evaluation**, grades each answer and writes the grade back to the gateway log
# as feedback and a score, where the dashboard and the logs API show it next to the cost. Then it
# reranks retrieved documents with a Workers AI reranker in LangChain and LlamaIndex, searches the
# model catalogue, and generates an image, speech and a transcript through `/ai/run`.
#
# Reading logs needs the token's **AI Gateway › Read** permission and feedback **AI Gateway ›
# Edit**, on top of **Workers AI › Read**; offline, the emulator keeps the logs of the requests it
# answered and stores the feedback.

# %% [markdown]
# ## Setup: your account, or the offline emulator
#
# With `CLOUDFLARE_ACCOUNT_ID` and `CLOUDFLARE_API_TOKEN` set (the token needs
# **Account › Workers AI › Read**), every cell below calls the real gateway. Without them,
# `offline_unless_credentials()` starts the package's local **emulator** — a small HTTP server on
# `127.0.0.1` that answers in each API's real wire format — and points the package at it through
# the same environment variables. Nothing else in the notebook changes: the code you read is the
# code you would ship. Offline answers are deterministic stand-ins, not model output.

# %%
from cf_gateway_core.testing import offline_unless_credentials

gateway = offline_unless_credentials()  # your account, or the emulator on 127.0.0.1
print(gateway)

# %% [markdown]
# ## An evaluation loop with feedback on each gateway log
#
# `GatewayLogRecorder` is a LangChain callback handler: passed in `config={"callbacks": [...]}`
# it records the gateway log id of every chat model call a chain makes. The grader here is a
# keyword check (swap in an LLM judge or a human); its verdict goes to the log with
# `GatewayFeedback.send` — `feedback` 1 / -1, `score` 0–100, `metadata` of your own.

# %%
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_cf_gateway import ChatCloudflareAIGateway
from langchain_cf_gateway.feedback import GatewayFeedback, GatewayLogRecorder

llm = ChatCloudflareAIGateway(model="openai/gpt-5.5")
chain = (
    ChatPromptTemplate.from_messages([("user", "Answer in one sentence: {question}")])
    | llm
    | StrOutputParser()
)
EVAL_SET = [
    ("What does AI Gateway log for each request?", ["log"]),
    ("Which header selects the gateway?", ["gateway"]),
    ("Can the gateway cache responses?", ["cache"]),
]
recorder = GatewayLogRecorder()
feedback = GatewayFeedback.from_model(llm)
for question, keywords in EVAL_SET:
    answer = chain.invoke({"question": question}, config={"callbacks": [recorder]})
    hits = sum(k in answer.lower() for k in keywords)
    score = round(100 * hits / len(keywords))
    log_id = recorder.log_ids[-1]
    feedback.send(
        log_id, feedback=1 if score >= 50 else -1, score=score, metadata={"eval": "keywords-v1"}
    )
    print(f"{score:>3}  {log_id}  {question}")

# %% [markdown]
# Read the logs back: the grade sits next to what the call cost.

# %%
for log_id in recorder.log_ids:
    log = feedback.get_log(log_id)
    print(
        f"{log.model:<16} tokens {log.tokens_in}/{log.tokens_out}  cost ${log.cost:.6f}  "
        f"feedback {log.feedback:+d}  score {log.score:g}  {log.metadata}"
    )

# %% [markdown]
# The same from LlamaIndex: `GatewayLogRecorder` there is an instrumentation event handler, so it
# also sees the calls a query engine or an agent makes for you.

# %%
from llama_index.core.llms import ChatMessage

from llamaindex_cf_gateway import CloudflareAIGateway
from llamaindex_cf_gateway.feedback import (
    GatewayFeedback as LIFeedback,
    GatewayLogRecorder as LIRecorder,
)

li_llm = CloudflareAIGateway(model="anthropic/claude-sonnet-4.5")
li_recorder = LIRecorder().attach()
reply = li_llm.chat([ChatMessage(role="user", content="Name one thing the gateway logs.")])
li_recorder.detach()
LIFeedback.from_llm(li_llm).send(li_recorder.calls[-1], feedback=1, score=90)
print(LIFeedback.from_llm(li_llm).get_log(reply))

# %% [markdown]
# ## Reranking retrieved documents
#
# `CloudflareAIGatewayRerank` sends the query and the candidates to `@cf/baai/bge-reranker-base`
# and keeps the `top_n` best. In LangChain it is a `BaseDocumentCompressor` (use it in a
# `ContextualCompressionRetriever` from `langchain-classic`, or call it directly); the score lands
# in `metadata["relevance_score"]`.

# %%
from langchain_core.documents import Document

from langchain_cf_gateway import CloudflareAIGatewayRerank

docs = [
    Document(page_content="Cats sleep up to sixteen hours a day."),
    Document(page_content="AI Gateway logs every request with its tokens and cost."),
    Document(page_content="The gateway can cache responses to repeated prompts."),
]
for doc in CloudflareAIGatewayRerank(top_n=2).compress_documents(docs, "gateway logs cost"):
    print(f"{doc.metadata['relevance_score']:.3f}  {doc.page_content}")

# %% [markdown]
# In LlamaIndex it is a `BaseNodePostprocessor`: retrieve wide, rerank, answer from the best.

# %%
from llama_index.core import Document as LIDocument, VectorStoreIndex

from llamaindex_cf_gateway import (
    CloudflareAIGatewayEmbedding,
    CloudflareAIGatewayRerank as LIRerank,
)

index = VectorStoreIndex.from_documents(
    [LIDocument(text=d.page_content) for d in docs], embed_model=CloudflareAIGatewayEmbedding()
)
engine = index.as_query_engine(
    llm=li_llm, similarity_top_k=3, node_postprocessors=[LIRerank(top_n=1)]
)
response = engine.query("What does the gateway log, and what does it cost?")
for node in response.source_nodes:
    print(f"{node.score:.3f}  {node.node.get_content()}")

# %% [markdown]
# ## The model catalogue
#
# `client.models` searches Workers AI's catalogue (`task`, `author`, `search`) and reads a model's
# input/output schema; `extend_model_table()` is the one opt-in call that adds catalogue models the
# package's model table does not know yet. The command line has it too:
# `cf-gateway models --task "Text-to-Image"`.

# %%
from cf_gateway_core import GatewayClient

client = GatewayClient()
for model in client.models.search(task="Automatic Speech Recognition"):
    print(model.name, "-", model.task)
print(client.models.schema("@cf/baai/bge-reranker-base")["input"]["required"])
print("added to the model table:", client.models.extend_model_table(task="Text Generation"))

# %% [markdown]
# ## Images, speech and transcripts
#
# Typed calls on `/ai/run`, each model's documented options checked before the request
# (`cf-gateway image "…" -o out.png`, `cf-gateway speak "…" -o out.mp3`,
# `cf-gateway transcribe out.mp3` do the same from a shell). Offline, the image is a small PNG and
# the speech a short silent MP3 that the emulator's transcription reads back.

# %%
image = client.generate_image("a lighthouse at dusk, watercolour", steps=4)
print(image.mime_type, len(image.data), "bytes; log", image.gateway.log_id)

speech = client.speak("Cloudflare AI Gateway logs every request.")
print(speech.mime_type, len(speech.audio), "bytes")

transcript = client.transcribe(speech.audio)
print(transcript.text)
print([(w.word, w.start) for w in transcript.words[:3]])
client.close()

# %% [markdown]
# LangChain agents get the same as tools (`langchain_cf_gateway.tools`:
# `CloudflareImageGenerationTool`, `CloudflareSpeechToTextTool`, `CloudflareTextToSpeechTool`) and
# LlamaIndex agents as a tool spec (`llamaindex_cf_gateway.tools.CloudflareAIGatewayToolSpec`).

# %%
import tempfile

from langchain_cf_gateway.tools import CloudflareTextToSpeechTool
from llamaindex_cf_gateway.tools import CloudflareAIGatewayToolSpec

out = tempfile.mkdtemp()
tool = CloudflareTextToSpeechTool(output_dir=out)
message = tool.invoke(
    {"name": tool.name, "args": {"text": "Hello, agent."}, "id": "1", "type": "tool_call"}
)
print(message.content)
print([t.metadata.name for t in CloudflareAIGatewayToolSpec(output_dir=out).to_tool_list()])

# %%
gateway.stop()  # stops the emulator, if one was started
