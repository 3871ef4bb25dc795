r"""Batch inference over a dataset with Ray Data, through Cloudflare AI Gateway.

Answers come from the LangChain chat model, then vectors of the answers from the LlamaIndex
embeddings.

    pip install -e ".[all,ray]"    # in a clone; the example uses LangChain and LlamaIndex
    export CLOUDFLARE_ACCOUNT_ID=... CLOUDFLARE_API_TOKEN=...   # and CLOUDFLARE_GATEWAY_ID
    python examples/ray_batch.py --rows 2000

Offline, against the emulator (any account id and token):

    cf-gateway emulator --port 8787 &
    python examples/ray_batch.py --base-url http://127.0.0.1:8787/client/v4 \
        --account-id test --api-token test

The models are built once in the driver and shipped to the workers: they pickle as their
settings, and each Ray actor builds its own HTTP connection pool on its first request.

Limits to set (Workers AI, https://developers.cloudflare.com/workers-ai/platform/limits/: text
generation 300 requests/minute per account for most models, text embeddings 3000/minute,
1500 for bge-large; other providers behind the gateway have their own, and the gateway's own
rate limiting may be stricter):

- in flight at once = ``--actors`` x ``--max-concurrency`` (Ray Data actors x LangChain
  ``batch()`` threads per actor); keep it near what the provider serves in parallel;
- requests per second = ``--rps``, split evenly over the actors (each actor holds a LangChain
  ``InMemoryRateLimiter`` for its share: a rate limiter holds a lock, so it is built inside the
  actor, not pickled);
- embeddings: 100 texts per request; ``--embed-batch`` rows per Ray batch is one LlamaIndex
  batch (at most 2048 texts = 21 requests). For very large ingestion on ``@cf/`` models, pass
  ``--batch-api``: each Ray batch becomes one Workers AI async batch job (``queueRequest``),
  which Cloudflare queues instead of rate-limiting;
- ``max_retries`` (2 here) retries 429 and 5xx with backoff, honouring ``Retry-After``.

Ray is started on this machine only: ``address="local"``, no dashboard, no usage statistics.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

CHAT_MODEL = "@cf/meta/llama-3.1-8b-instruct"
EMBED_MODEL = "@cf/baai/bge-base-en-v1.5"


class Answer:
    """Ray Data callable class: one chat model per actor; a batch's questions run concurrently."""

    def __init__(self, llm: Any, max_concurrency: int, requests_per_second: float) -> None:
        """Give ``llm`` a rate limiter for this actor's share of ``requests_per_second``."""
        from langchain_core.rate_limiters import InMemoryRateLimiter

        limiter = InMemoryRateLimiter(
            requests_per_second=requests_per_second,
            check_every_n_seconds=0.05,
            max_bucket_size=max(1.0, requests_per_second),
        )
        self.llm = llm.model_copy(update={"rate_limiter": limiter})
        self.config = {"max_concurrency": max_concurrency}

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Add an ``answer`` column: the chat model's reply to each ``question``."""
        import numpy as np

        replies = self.llm.batch([str(q) for q in batch["question"]], config=self.config)
        batch["answer"] = np.array([str(reply.content) for reply in replies], dtype=object)
        return batch


class Embed:
    """Ray Data callable class: one LlamaIndex embedding model per actor."""

    def __init__(self, embed_model: Any) -> None:
        """Hold the embedding model shipped from the driver."""
        self.embed_model = embed_model

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Add an ``embedding`` column: the vector of each ``answer``."""
        import numpy as np

        texts = [str(text) for text in batch["answer"]]
        batch["embedding"] = np.array(self.embed_model.get_text_embedding_batch(texts))
        return batch


def build_models(args: argparse.Namespace) -> tuple[Any, Any]:
    """The chat model and the embedding model, configured once in the driver."""
    from langchain_cf_gateway import ChatCloudflareAIGateway
    from llamaindex_cf_gateway import CloudflareAIGatewayEmbedding

    settings: dict[str, Any] = {"max_retries": 2, "timeout": 60.0}
    for key in ("account_id", "api_token", "base_url"):
        if getattr(args, key):
            settings[key] = getattr(args, key)
    llm = ChatCloudflareAIGateway(model=args.chat_model, max_tokens=256, **settings)
    embed_model = CloudflareAIGatewayEmbedding(
        model=args.embed_model,
        embed_batch_size=args.embed_batch,
        batch_api=args.batch_api,
        **settings,
    )
    return llm, embed_model


def start_ray(num_cpus: int) -> None:
    """A local Ray instance: this machine only, no dashboard, no usage statistics."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    ray.init(
        address="local",
        num_cpus=num_cpus,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        configure_logging=False,
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the pipeline, run it, and summarise the output."""
    import ray

    llm, embed_model = build_models(args)
    questions = [
        {"id": i, "question": f"In one sentence, what is use case {i}?"} for i in range(args.rows)
    ]
    per_actor_rps = args.rps / args.actors
    started = time.perf_counter()
    dataset = (
        ray.data.from_items(questions)
        .map_batches(
            Answer,
            fn_constructor_kwargs={
                "llm": llm,
                "max_concurrency": args.max_concurrency,
                "requests_per_second": per_actor_rps,
            },
            batch_size=args.chat_batch,
            concurrency=args.actors,
            num_cpus=args.actor_cpus,
        )
        .map_batches(
            Embed,
            fn_constructor_kwargs={"embed_model": embed_model},
            batch_size=args.embed_batch,
            concurrency=1,
            num_cpus=args.actor_cpus,
        )
    )
    rows = sorted(dataset.take_all(), key=lambda row: int(row["id"]))
    elapsed = time.perf_counter() - started
    return {
        "rows": len(rows),
        "ids_in_order": [int(r["id"]) for r in rows] == list(range(args.rows)),
        "nonempty_answers": sum(1 for r in rows if str(r["answer"]).strip()),
        "first_answer": str(rows[0]["answer"]) if rows else None,
        "dimensions": sorted({len(r["embedding"]) for r in rows}),
        "seconds": round(elapsed, 2),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line's options (``--help`` lists them)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--chat-model", default=CHAT_MODEL)
    parser.add_argument("--embed-model", default=EMBED_MODEL)
    parser.add_argument("--base-url", default=None, help="default: CLOUDFLARE_API_BASE_URL")
    parser.add_argument("--account-id", default=None, help="default: CLOUDFLARE_ACCOUNT_ID")
    parser.add_argument("--api-token", default=None, help="default: CLOUDFLARE_API_TOKEN")
    parser.add_argument("--actors", type=int, default=2, help="chat actors")
    parser.add_argument("--actor-cpus", type=float, default=0.5, help="CPUs reserved per actor")
    parser.add_argument("--max-concurrency", type=int, default=4, help="requests per actor")
    parser.add_argument("--rps", type=float, default=4.0, help="chat requests/second in all")
    parser.add_argument("--chat-batch", type=int, default=16, help="rows per chat batch")
    parser.add_argument("--embed-batch", type=int, default=256, help="rows per embedding batch")
    parser.add_argument("--batch-api", action="store_true", help="embed via queueRequest jobs")
    parser.add_argument("--num-cpus", type=int, default=2, help="CPUs given to local Ray")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the pipeline on a local Ray instance and print its summary as JSON."""
    args = parse_args(argv)
    start_ray(args.num_cpus)
    import ray

    try:
        print(json.dumps(run(args)))
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
