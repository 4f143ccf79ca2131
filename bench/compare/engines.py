"""The engines of the side-by-side benchmark. Each one gets the same model folder and the same
token ids; prepare() turns a batch (a list of id lists) into the engine's own inputs outside
the timed region, forward() is what is timed, hidden() returns per-sequence [len, hidden]
arrays for the parity check against transformers.

A run has one precision (compare.py --dtype): fp32, or an engine's own bf16 or int8 where it
has one (an engine's DTYPES). The reference is always transformers in fp32."""
import copy
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import numpy as np
import torch

THREADS = 2


def pad_batch(batch, pad_id):
    longest = max(len(ids) for ids in batch)
    ids = np.full((len(batch), longest), pad_id, dtype=np.int64)
    mask = np.zeros((len(batch), longest), dtype=np.int64)
    for i, seq in enumerate(batch):
        ids[i, : len(seq)] = seq
        mask[i, : len(seq)] = 1
    return ids, mask


def unpad(padded, batch):
    return [np.asarray(padded[i, : len(seq)], dtype=np.float32) for i, seq in enumerate(batch)]


class Model:
    """A model folder and its transformers base model (the reference)."""

    def __init__(self, name, folder, work):
        from transformers import AutoConfig, AutoModel

        self.name, self.folder, self.work = name, pathlib.Path(folder), pathlib.Path(work)
        self.config = AutoConfig.from_pretrained(folder)
        kwargs = {"attn_implementation": "eager"}
        if self.config.model_type in ("roberta", "xlm-roberta", "bert"):
            kwargs["add_pooling_layer"] = False
        self.hf = AutoModel.from_pretrained(folder, **kwargs).eval()
        self.pad_id = self.config.pad_token_id if self.config.pad_token_id is not None else 0

    def reference(self, batch):
        ids, mask = pad_batch(batch, self.pad_id)
        with torch.inference_mode():
            out = self.hf(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                          token_type_ids=torch.zeros_like(torch.from_numpy(ids))).last_hidden_state
        return unpad(out.numpy(), batch)


class TorchEager:
    """transformers' own model, eager attention: the tutorial's slow path. bf16: a copy cast
    to bfloat16; int8: a copy through torch.ao.quantization.quantize_dynamic (every nn.Linear
    as int8 weights, activations quantized per call), PyTorch's own dynamic int8."""
    name = "torch eager (transformers)"
    key = "torch_eager"
    DTYPES = ("fp32", "bf16", "int8")

    def __init__(self, model, dtype="fp32"):
        self.model = model
        self.net = model.hf
        if dtype == "bf16":
            self.net = copy.deepcopy(model.hf).to(torch.bfloat16)
        elif dtype == "int8":
            self.net = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model.hf), {torch.nn.Linear},
                                                              dtype=torch.qint8)

    def prepare(self, batch):
        ids, mask = pad_batch(batch, self.model.pad_id)
        ids = torch.from_numpy(ids)
        return dict(input_ids=ids, attention_mask=torch.from_numpy(mask), token_type_ids=torch.zeros_like(ids))

    def forward(self, inputs):
        with torch.inference_mode():
            return self.net(**inputs).last_hidden_state

    def hidden(self, batch):
        return unpad(self.forward(self.prepare(batch)).float().numpy(), batch)

    def close(self):
        del self.net


class BetterTransformerEncoder(torch.nn.Module):
    """The model rebuilt on nn.TransformerEncoder as torchtext's RoBERTa is, so that eval mode
    under inference_mode takes PyTorch's Better Transformer fastpath (native fused MHA, and
    nested tensors that skip the padding given a key-padding mask)."""

    def __init__(self, hf, config):
        super().__init__()
        self.embeddings = hf.embeddings
        layer = torch.nn.TransformerEncoderLayer(
            d_model=config.hidden_size, nhead=config.num_attention_heads, dim_feedforward=config.intermediate_size,
            dropout=0.0, activation="gelu", layer_norm_eps=config.layer_norm_eps, batch_first=True, norm_first=False)
        self.encoder = torch.nn.TransformerEncoder(layer, num_layers=config.num_hidden_layers,
                                                   enable_nested_tensor=True)
        with torch.no_grad():
            for dst, src in zip(self.encoder.layers, hf.encoder.layer):
                a = src.attention.self
                dst.self_attn.in_proj_weight.copy_(torch.cat([a.query.weight, a.key.weight, a.value.weight]))
                dst.self_attn.in_proj_bias.copy_(torch.cat([a.query.bias, a.key.bias, a.value.bias]))
                dst.self_attn.out_proj.weight = src.attention.output.dense.weight
                dst.self_attn.out_proj.bias = src.attention.output.dense.bias
                dst.norm1 = src.attention.output.LayerNorm
                dst.linear1 = src.intermediate.dense
                dst.linear2 = src.output.dense
                dst.norm2 = src.output.LayerNorm
                dst.norm1.eps = dst.norm2.eps = config.layer_norm_eps
        self.eval()

    def forward(self, input_ids, padding_mask):
        x = self.embeddings(input_ids=input_ids, token_type_ids=torch.zeros_like(input_ids))
        return self.encoder(x, src_key_padding_mask=padding_mask)


class TorchBetterTransformer:
    name = "torch BT fastpath"
    key = "torch_bt"
    DTYPES = ("fp32",)

    def __init__(self, model, dtype="fp32"):
        self.model = model
        self.net = BetterTransformerEncoder(model.hf, model.config)
        self.nested = bool(getattr(self.net.encoder, "use_nested_tensor", False))
        self.why_not = getattr(self.net.encoder.layers[0], "why_not_sparsity_fast_path", "")

    def prepare(self, batch):
        ids, mask = pad_batch(batch, self.model.pad_id)
        return torch.from_numpy(ids), torch.from_numpy(mask == 0)

    def forward(self, inputs):
        with torch.inference_mode():
            return self.net(*inputs)

    def hidden(self, batch):
        out = self.forward(self.prepare(batch))
        if out.is_nested:
            out = out.to_padded_tensor(0.0)
        return unpad(out.numpy(), batch)

    def close(self):
        del self.net


class _Wrapper(torch.nn.Module):
    def __init__(self, hf):
        super().__init__()
        self.hf = hf

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.hf(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state


def export_onnx(model, path):
    """Exports the transformers model with dynamic batch and sequence axes, then runs
    onnxruntime.transformers.optimizer (model_type 'bert': Attention, SkipLayerNorm,
    EmbedLayerNorm, BiasGelu fusions). Returns the optimized file and the fused-op counts."""
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    path = pathlib.Path(path)
    opt_path = path.with_name(path.stem + ".opt.onnx")
    stats_path = path.with_name(path.stem + ".fusions.json")
    if opt_path.exists() and stats_path.exists():
        return opt_path, json.loads(stats_path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    big = sum(p.numel() for p in model.hf.parameters()) * 4 > 1.8e9
    ids = torch.randint(3, 100, (2, 8))
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(_Wrapper(model.hf), (ids, mask, torch.zeros_like(ids)), str(path), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)
    options = FusionOptions("bert")
    opt = optimizer.optimize_model(str(path), model_type="bert", num_heads=model.config.num_attention_heads,
                                   hidden_size=model.config.hidden_size, optimization_options=options)
    opt.save_model_to_file(str(opt_path), use_external_data_format=big)
    stats = {k: int(v) for k, v in opt.get_fused_operator_statistics().items() if v}
    stats_path.write_text(json.dumps(stats))
    return opt_path, stats


def quantize_onnx(path):
    """onnxruntime.quantization.quantize_dynamic on the optimized model: int8 weights (QInt8)
    with a scale per output channel, as packformer and CTranslate2 have (per tensor, its
    default, gave all-MiniLM-L6-v2 embeddings a cosine of 0.923 to fp32 vs 0.987 per channel),
    activations quantized per call (u8): ONNX Runtime's own dynamic int8 on the CPU."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = path.with_name(path.stem + ".int8.onnx")
    if not out.exists():
        big = path.stat().st_size > 1.8e9 or path.with_suffix(".onnx.data").exists()
        # The fused contrib ops (Attention, SkipLayerNormalization) defeat ONNX shape inference:
        # their outputs are fp32, which the quantizer is told.
        quantize_dynamic(str(path), str(out), weight_type=QuantType.QInt8, per_channel=True, use_external_data_format=big,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return out


class OnnxRuntime:
    name = "ONNX Runtime (optimized)"
    key = "ort"
    DTYPES = ("fp32", "int8")  # its CPU provider has no bf16 matmul kernels

    def __init__(self, model, dtype="fp32"):
        import onnxruntime as ort

        self.model = model
        onnx_path, self.fusions = export_onnx(model, model.work / "onnx" / f"{model.name}.onnx")
        if dtype == "int8":
            onnx_path = quantize_onnx(onnx_path)
        so = ort.SessionOptions()
        so.intra_op_num_threads = THREADS
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def prepare(self, batch):
        ids, mask = pad_batch(batch, self.model.pad_id)
        feed = dict(input_ids=ids, attention_mask=mask, token_type_ids=np.zeros_like(ids))
        return {k: v for k, v in feed.items() if k in self.inputs}

    def forward(self, inputs):
        return self.session.run(None, inputs)[0]

    def hidden(self, batch):
        return unpad(self.forward(self.prepare(batch)), batch)

    def close(self):
        del self.session


def write_padded_tokenizer(src, dst, vocab_size):
    """CTranslate2's converter requires the tokenizer's vocabulary to have the model's size; the
    synth xlmr-large folder pairs a 250,002-row embedding with a 3,002-piece test tokenizer.
    CT2 is fed token ids, never text, so unused filler pieces only complete the id table."""
    spec = json.loads(pathlib.Path(src).read_text(encoding="utf-8"))
    vocab = spec["model"]["vocab"]
    have = len(vocab)
    for i in range(have, vocab_size):
        piece = f"<packformer_unused_{i}>"
        if isinstance(vocab, list):          # Unigram: [piece, score] pairs
            vocab.append([piece, -1000.0])
        else:                                # WordPiece / BPE: piece -> id
            vocab[piece] = i
    pathlib.Path(dst).write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")


def convert_ct2(model, out):
    """ctranslate2.converters.TransformersConverter on a view of the folder whose config names
    the base architecture (the synth xlmr-large folder carries a 2-class head)."""
    import ctranslate2

    out = pathlib.Path(out)
    if (out / "model.bin").exists():
        return out
    view = model.work / "ct2-src" / model.name
    shutil.rmtree(view, ignore_errors=True)
    view.mkdir(parents=True)
    config = json.loads((model.folder / "config.json").read_text())
    for f in model.folder.iterdir():
        if f.is_file() and f.name not in ("config.json", "tokenizer.json"):
            os.symlink(f.resolve(), view / f.name)
    write_padded_tokenizer(model.folder / "tokenizer.json", view / "tokenizer.json", config["vocab_size"])
    base = {"bert": "BertModel", "roberta": "RobertaModel", "xlm-roberta": "XLMRobertaModel"}[config["model_type"]]
    config["architectures"] = [base]
    (view / "config.json").write_text(json.dumps(config, indent=2))
    ctranslate2.converters.TransformersConverter(str(view)).convert(str(out), force=True)
    return out


class CTranslate2:
    """CTranslate2's Encoder on the fp32 conversion; bf16 and int8 are its compute_type,
    converted when the model loads (int8: per-channel weights, per-row dynamic activations)."""
    name = "CTranslate2 Encoder"
    key = "ct2"
    DTYPES = ("fp32", "bf16", "int8")
    COMPUTE_TYPE = {"fp32": "float32", "bf16": "bfloat16", "int8": "int8"}

    @classmethod
    def unsupported(cls, dtype):
        """Why this build cannot run dtype on this CPU, or None (CTranslate2 4.x has no bf16 on CPUs)."""
        import ctranslate2

        have = ctranslate2.get_supported_compute_types("cpu")
        if cls.COMPUTE_TYPE[dtype] not in have:
            return f"compute_type {cls.COMPUTE_TYPE[dtype]} unsupported on this CPU (supported: {', '.join(sorted(have))})"
        return None

    def __init__(self, model, dtype="fp32"):
        import ctranslate2

        self.model = model
        path = convert_ct2(model, model.work / "ct2" / model.name)
        self.encoder = ctranslate2.Encoder(str(path), device="cpu", compute_type=self.COMPUTE_TYPE[dtype],
                                           intra_threads=THREADS, inter_threads=1)

    def prepare(self, batch):
        return [list(map(int, ids)) for ids in batch]

    def forward(self, inputs):
        return self.encoder.forward_batch(inputs).last_hidden_state

    def hidden(self, batch):
        return unpad(np.array(self.forward(self.prepare(batch))), batch)

    def close(self):
        del self.encoder


class Packformer:
    """The packformer CLI: `bench` times its three paths on one batch, `hidden --ids` gives
    the parity outputs, `embed --ids --batch-size N` runs a whole file in batches."""
    PATHS = [("slow", "off", "packformer slow"), ("fast", "off", "packformer fast"),
             ("fast", "on", "packformer fast+sparsity")]

    def __init__(self, binary, dtype="fp32"):
        self.binary = str(binary)
        self.dtype = dtype  # the fast path's --dtype (the slow path is always fp32)

    def run(self, args, **kw):
        return subprocess.run([self.binary, *args], check=True, capture_output=True, text=True, **kw)

    def bench(self, folder, batch, iterations, warmup):
        out = self.run(["bench", "--model", str(folder), "--batch", batch, "--format", "json", "--dtype", self.dtype,
                        "--threads", str(THREADS), "--iterations", str(iterations), "--warmup", str(warmup)])
        return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]

    def hidden(self, folder, batch, path, sparsity):
        text = "".join(json.dumps(list(map(int, ids))) + "\n" for ids in batch)
        out = self.run(["hidden", "--model", str(folder), "--ids", "--path", path, "--sparsity", sparsity, "--dtype", self.dtype,
                        "--threads", str(THREADS), "--batch-size", str(len(batch))], input=text)
        return [np.asarray(json.loads(line), dtype=np.float32) for line in out.stdout.splitlines()]

    def embed(self, folder, batch, path, sparsity):
        text = "".join(json.dumps(list(map(int, ids))) + "\n" for ids in batch)
        out = self.run(["embed", "--model", str(folder), "--ids", "--path", path, "--sparsity", sparsity, "--dtype", self.dtype,
                        "--threads", str(THREADS), "--batch-size", str(len(batch))], input=text)
        return np.asarray([json.loads(line) for line in out.stdout.splitlines()], dtype=np.float32)

    def tokenize(self, folder, texts):
        out = self.run(["tokenize", "--model", str(folder)], input="".join(t + "\n" for t in texts))
        return [json.loads(line) for line in out.stdout.splitlines()]

    def embed_file_seconds(self, folder, id_file, batch_size, path, sparsity):
        """Wall time of `embed --ids` over id_file (one process: load + run + write)."""
        import time

        start = time.perf_counter()
        self.run(["embed", "--model", str(folder), "--ids", "--input", str(id_file), "--output", os.devnull,
                  "--path", path, "--sparsity", sparsity, "--dtype", self.dtype, "--threads", str(THREADS), "--batch-size",
                  str(batch_size)])
        return time.perf_counter() - start


def write_ids(path, batches):
    with open(path, "w") as f:
        for batch in batches:
            for ids in batch:
                f.write(json.dumps(list(map(int, ids))) + "\n")


def temp_dir():
    return tempfile.mkdtemp(prefix="pf-compare-")
