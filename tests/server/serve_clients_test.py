"""`packformer serve` with real clients, every answer compared with the CLI's for the same input.

    serve_clients_test.py --cli build/packformer --model .cache/models/all-MiniLM-L6-v2 --data tests/data

- the `openai` package: client.embeddings.create (its default base64 and float);
- huggingface_hub's InferenceClient.feature_extraction (POST /);
- plain HTTP for every route: /embed, /, /v1/embeddings, /tokenize, /decode, /predict (a
  tiny classifier), /health, /info, /metrics, and each error status;
- SIGTERM: the server exits 0.
Embeddings must have cosine >= 0.99999 with the CLI's (`packformer embed`), labels must equal
`packformer classify`'s, token ids `packformer tokenize`'s. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile

# Nothing but 127.0.0.1 may be contacted: every other address goes to a proxy that does not
# exist (port 9 of the loopback), so any request elsewhere fails the test at once. The
# huggingface_hub offline switch is lifted for that reason only: with a server URL as its
# model, InferenceClient posts to that URL.
os.environ.update({"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
                   "NO_PROXY": "127.0.0.1", "HF_HUB_OFFLINE": "0", "HF_HUB_DISABLE_TELEMETRY": "1"})

from serve_util import Server, cli_json_lines, cosine  # noqa: E402

MIN_COSINE = 0.99999
failures: list[str] = []


def check(condition: bool, message: str) -> None:
    if not condition:
        failures.append(message)
        print("FAIL:", message, file=sys.stderr)


def check_embeddings(name: str, got, expected) -> None:
    check(len(got) == len(expected), f"{name}: {len(got)} embeddings for {len(expected)} inputs")
    worst = min((cosine(g, e) for g, e in zip(got, expected)), default=0.0)
    check(worst >= MIN_COSINE, f"{name}: lowest cosine with the CLI {worst:.7f} < {MIN_COSINE}")
    print(f"{name}: {len(got)} embeddings, lowest cosine with the CLI {worst:.8f}")


def check_error(server: Server, method: str, path: str, body, status: int, error_type: str, headers=None) -> None:
    got, value, _ = server.request(method, path, body, headers)
    ok = got == status and isinstance(value, dict) and value.get("error_type") == error_type and value.get("error")
    check(bool(ok), f"{method} {path} {str(body)[:60]}: expected {status} {error_type}, got {got} {str(value)[:200]}")


def test_embedding_server(args, texts: list[str]) -> None:
    reference = cli_json_lines(args.cli, "embed", args.model, texts)
    with Server(args.cli, args.model, "--threads", "2") as server:
        # The openai package, as an application would use it.
        import openai

        client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", timeout=60, max_retries=0)
        default = client.embeddings.create(model="all-MiniLM-L6-v2", input=texts[:32])
        check_embeddings("openai embeddings.create (default encoding)", [d.embedding for d in default.data], reference[:32])
        as_float = client.embeddings.create(model="all-MiniLM-L6-v2", input=texts[32:64], encoding_format="float")
        check_embeddings("openai embeddings.create (float)", [d.embedding for d in as_float.data], reference[32:64])
        check([d.index for d in as_float.data] == list(range(32)), "openai: indices 0..31 in order")
        tokens = sum(map(len, cli_json_lines(args.cli, "tokenize", args.model, texts[32:64], "--max-length", "256")))
        check(as_float.usage.prompt_tokens == tokens, f"openai usage {as_float.usage.prompt_tokens} != {tokens} tokens")
        single = client.embeddings.create(model="x", input=texts[64])
        check_embeddings("openai embeddings.create (one string)", [single.data[0].embedding], [reference[64]])
        try:
            client.embeddings.create(model="x", input=[])
            check(False, "openai: an empty input list must fail")
        except openai.APIStatusError as e:
            check(e.status_code == 422, f"openai: empty input gave {e.status_code}, expected 422")

        # huggingface_hub's InferenceClient posts to the server's root URL.
        from huggingface_hub import InferenceClient

        hub = InferenceClient(model=server.url, timeout=60)
        hub_rows = []
        for text in texts[:4]:
            array = hub.feature_extraction(text)
            hub_rows.append(list(array.reshape(-1)))
        check_embeddings("huggingface_hub feature_extraction", hub_rows, reference[:4])

        # Plain HTTP, every route.
        status, value, _ = server.request("POST", "/embed", {"inputs": texts[:32]})
        check(status == 200, f"/embed: {status}")
        check_embeddings("POST /embed", value, reference[:32])
        status, value, _ = server.request("POST", "/", {"inputs": texts[65]})
        check_embeddings("POST /", value, reference[65:66])
        status, value, _ = server.request("POST", "/v1/embeddings", {"input": texts[:3], "encoding_format": "float"})
        check_embeddings("POST /v1/embeddings", [d["embedding"] for d in value["data"]], reference[:3])

        cli_ids = cli_json_lines(args.cli, "tokenize", args.model, texts[:8])
        status, value, _ = server.request("POST", "/tokenize", {"inputs": texts[:8]})
        check(status == 200 and [[t["id"] for t in seq] for seq in value] == cli_ids, "/tokenize ids equal the CLI's")
        status, value, _ = server.request("POST", "/decode", {"ids": cli_ids})
        cli_texts = cli_json_lines(args.cli, "detokenize", args.model, [str(ids) for ids in cli_ids])
        check(status == 200 and value == cli_texts, f"/decode equals `packformer detokenize`: {str(value)[:200]}")

        status, value, _ = server.request("GET", "/health")
        check(status == 200, f"/health: {status}")
        status, value, _ = server.request("GET", "/info")
        check(status == 200 and value["max_input_length"] == 256 and value["model_type"] == {"embedding": {"pooling": "mean"}},
              f"/info: {value}")
        status, value, _ = server.request("GET", "/metrics")
        counts = [line for line in value.splitlines() if line.startswith("packformer_requests_total")]
        check(status == 200 and 'packformer_requests_total{route="/v1/embeddings",status="200"} 4' in counts,
              f"/metrics counts the four successful /v1/embeddings requests: {counts}")
        check('packformer_requests_total{route="/",status="200"} 5' in counts,
              f"/metrics counts huggingface_hub's 4 posts and one more to /: {counts}")

        check_error(server, "POST", "/embed", "{not json", 400, "BadRequest")
        check_error(server, "POST", "/embed", {"inputs": ""}, 422, "Validation")
        check_error(server, "POST", "/embed", {"inputs": 3}, 422, "Validation")
        check_error(server, "POST", "/embed", {"inputs": "word " * 300, "truncate": False}, 422, "Validation")
        check_error(server, "POST", "/embed", {"inputs": ["a"] * 33}, 413, "Validation")
        check_error(server, "POST", "/embed", "x" * 2_000_001, 413, "PayloadTooLarge")
        check_error(server, "GET", "/nowhere", None, 404, "NotFound")
        check_error(server, "GET", "/embed", None, 405, "MethodNotAllowed")
        check_error(server, "POST", "/predict", {"inputs": "a"}, 424, "Backend")
        code = server.stop()
        check(code == 0, f"exit status after SIGTERM: {code}")


def test_api_key(args) -> None:
    with Server(args.cli, args.model, "--threads", "2", "--api-key", "s3cret") as server:
        check_error(server, "POST", "/embed", {"inputs": "a"}, 401, "Unauthorized")
        status, _, _ = server.request("POST", "/embed", {"inputs": "a"}, {"Authorization": "Bearer s3cret"})
        check(status == 200, f"/embed with the key: {status}")
        import openai

        client = openai.OpenAI(base_url=server.url + "/v1", api_key="s3cret", max_retries=0, timeout=60)
        check(len(client.embeddings.create(model="m", input="a").data) == 1, "openai with the key")
        check(server.request("GET", "/health")[0] == 200, "/health needs no key")
        # A second server on the same port fails at start (no silent port sharing).
        second = subprocess.run([args.cli, "serve", "--model", args.model, "--port", str(server.port)],
                                capture_output=True, text=True, timeout=60)
        check(second.returncode == 1 and f"cannot listen on 127.0.0.1:{server.port}" in second.stderr,
              f"a second server on a port in use: exit {second.returncode}, {second.stderr.strip()}")
        check(server.stop() == 0, "exit 0")


def make_classifier(data: str, folder: str) -> str:
    """tiny-bert-cls with a WordPiece vocab.txt (it ships none), as tests/server/server_test_util.h."""
    source = os.path.join(data, "models", "tiny-bert-cls")
    for name in os.listdir(source):
        shutil.copy(os.path.join(source, name), folder)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "was", "great", "terrible", "i", "love",
             "hate", "it", "good", "bad", "not", "film", "very", "fine", ".", ",", "!", "?"]
    words += [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["##" + chr(c) for c in range(ord("a"), ord("z") + 1)]
    words += [f"[unused{i}]" for i in range(len(words), 300)]
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(words) + "\n")
    return folder


def test_classifier(args) -> None:
    texts = ["the movie was great!", "i hate it", "not a very good film.", "fine"]
    with tempfile.TemporaryDirectory() as folder:
        model = make_classifier(args.data, folder)
        reference = cli_json_lines(args.cli, "classify", model, texts)
        with Server(args.cli, model, "--threads", "2") as server:
            status, value, _ = server.request("POST", "/predict", {"inputs": [[t] for t in texts]})
            check(status == 200 and len(value) == len(texts), f"/predict batch: {status} {str(value)[:200]}")
            for text, ref, got in zip(texts, reference, value):
                check(got[0]["label"] == ref["label"], f"/predict {text!r}: label {got[0]['label']} != CLI {ref['label']}")
                top = max(ref["logits"])
                softmax = [math.exp(v - top) for v in ref["logits"]]
                best = max(softmax) / sum(softmax)
                check(abs(got[0]["score"] - best) < 1e-5, f"/predict {text!r}: score {got[0]['score']} != {best}")
            status, single, _ = server.request("POST", "/", {"inputs": texts[0], "raw_scores": True})
            check(status == 200 and single[0]["score"] == max(reference[0]["logits"]) or
                  abs(single[0]["score"] - max(reference[0]["logits"])) < 1e-5, f"POST / raw scores: {single}")
            print(f"/predict: {len(texts)} labels equal the CLI's")
            check(server.stop() == 0, "classifier server: exit 0")


def test_generator(args) -> None:
    model = os.path.join(args.data, "models", "tiny-gpt2")
    prompts = ["Hello world", "The cat sat on"]
    reference = cli_json_lines(args.cli, "generate", model, prompts, "--max-new-tokens", "8")
    with Server(args.cli, model, "--threads", "2", "--sessions", "2") as server:
        for prompt, expected in zip(prompts, reference):
            status, value, _ = server.request("POST", "/generate", {"inputs": prompt, "parameters": {"max_new_tokens": 8}})
            check(status == 200 and value["generated_text"] == expected, f"/generate {prompt!r}: {value} != CLI {expected!r}")
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            connection.request("POST", "/generate_stream", body=json.dumps({"inputs": prompt, "parameters": {"max_new_tokens": 8}}))
            response = connection.getresponse()
            check(response.getheader("Content-Type", "").startswith("text/event-stream"), "/generate_stream is SSE")
            events = [json.loads(line[5:]) for line in response.read().decode().splitlines() if line.startswith("data:")]
            connection.close()
            generated = events[-1]["details"]["generated_tokens"] if events else -1
            check(len(events) == generated + 1 and (generated == 8 or events[-1]["details"]["finish_reason"] == "eos_token"),
                  f"/generate_stream: one event per token and a last one: {events[-1:]}")
            deltas = "".join(e["token"]["text"] for e in events[:-1])
            check(events[-1]["generated_text"] == expected and expected.startswith(deltas),
                  f"/generate_stream {prompt!r}: {events[-1]['generated_text']!r} / {deltas!r} != CLI {expected!r}")

        import openai

        client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=60)
        completion = client.completions.create(model="tiny-gpt2", prompt=prompts[0], max_tokens=8)
        check(completion.choices[0].text == reference[0], f"openai completions: {completion.choices[0].text!r}")
        check(completion.usage.completion_tokens == 8, f"openai usage: {completion.usage}")
        streamed = "".join(c.choices[0].text for c in
                           client.completions.create(model="tiny-gpt2", prompt=prompts[0], max_tokens=8, stream=True))
        check(streamed == reference[0], f"openai completions stream: {streamed!r} != {reference[0]!r}")
        check_error(server, "POST", "/generate", {"inputs": "a", "parameters": {"max_new_tokens": 0}}, 422, "Validation")
        check_error(server, "POST", "/generate", {"inputs": "a", "parameters": {"max_new_tokens": 1000}}, 422, "Validation")
        check_error(server, "POST", "/embed", {"inputs": "a"}, 424, "Backend")
        print(f"generation: {len(prompts)} prompts equal `packformer generate`, streamed and not, TGI and OpenAI")
        check(server.stop() == 0, "generator server: exit 0")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    signal.alarm(240)  # the whole test, whatever happens
    if not os.path.exists(os.path.join(args.model, "model.safetensors")):
        print(f"{args.model} is missing: run scripts/setup", file=sys.stderr)
        return 1
    with open(os.path.join(args.data, "sentences.txt"), encoding="utf-8") as f:
        texts = f.read().splitlines()
    test_embedding_server(args, texts)
    test_api_key(args)
    test_classifier(args)
    test_generator(args)
    if failures:
        print(f"{len(failures)} failures", file=sys.stderr)
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
