#!/usr/bin/env python3
"""Writes a tiny but valid GGUF v3 file (llama architecture, Q4_K_M-style tensor types) for the
example hub. Deterministic: the same arguments give the same bytes.

Usage: make-gguf.py OUT --name NAME --base-org ORG --base-name NAME [--seed S]

The metadata names its base model (general.base_model.count/.0.name/.0.organization/
.0.repo_url), which the verifier reads as an unsigned hint only. Tensors: two Q4_K, one Q6_K and
one F32 tensor with pseudo-random quantized blocks (finite scales), 32-byte aligned, zero padded.
"""
import argparse
import random
import struct

ALIGN = 32
# GGUF metadata value types.
U32, F32, STRING, U64 = 4, 6, 8, 10
# ggml tensor types and their (block elements, block bytes).
GGML_F32, GGML_Q4_K, GGML_Q6_K = 0, 12, 14
BLOCK = {GGML_F32: (1, 4), GGML_Q4_K: (256, 144), GGML_Q6_K: (256, 210)}
MOSTLY_Q4_K_M = 15


def gguf_str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, value):
    out = gguf_str(key) + struct.pack("<I", vtype)
    if vtype == STRING:
        return out + gguf_str(value)
    return out + struct.pack({U32: "<I", F32: "<f", U64: "<Q"}[vtype], value)


def f16(x):
    return struct.pack("<e", x)


def q4_k_block(rng):
    # d, dmin (f16), 12 bytes of 6-bit scales/mins, 128 bytes of 4-bit quants.
    return (f16(rng.uniform(0.001, 0.02)) + f16(rng.uniform(0.0, 0.01)) +
            bytes(rng.getrandbits(8) for _ in range(12 + 128)))


def q6_k_block(rng):
    # ql[128], qh[64], int8 scales[16], d (f16).
    return (bytes(rng.getrandbits(8) for _ in range(128 + 64)) +
            bytes(rng.randint(1, 127) for _ in range(16)) + f16(rng.uniform(0.001, 0.02)))


def tensor_data(rng, ggml_type, ne):
    elements = 1
    for n in ne:
        elements *= n
    per_block, _ = BLOCK[ggml_type]
    blocks = elements // per_block
    if ggml_type == GGML_F32:
        return b"".join(struct.pack("<f", rng.uniform(0.9, 1.1)) for _ in range(blocks))
    make = q4_k_block if ggml_type == GGML_Q4_K else q6_k_block
    return b"".join(make(rng) for _ in range(blocks))


def pad(n):
    return (ALIGN - n % ALIGN) % ALIGN


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--name", required=True)
    ap.add_argument("--base-org", required=True)
    ap.add_argument("--base-name", required=True)
    ap.add_argument("--seed", default="gguf")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    embd = 256
    tensors = [  # (name, ggml type, ne: innermost first)
        ("token_embd.weight", GGML_Q4_K, [embd, 16]),
        ("blk.0.attn_q.weight", GGML_Q4_K, [embd, 8]),
        ("blk.0.ffn_down.weight", GGML_Q6_K, [embd, 8]),
        ("output_norm.weight", GGML_F32, [embd]),
    ]
    metadata = [
        kv("general.architecture", STRING, "llama"),
        kv("general.name", STRING, args.name),
        kv("general.file_type", U32, MOSTLY_Q4_K_M),
        kv("general.quantization_version", U32, 2),
        kv("general.alignment", U32, ALIGN),
        kv("general.base_model.count", U32, 1),
        kv("general.base_model.0.name", STRING, args.base_name),
        kv("general.base_model.0.organization", STRING, args.base_org),
        kv("general.base_model.0.repo_url", STRING,
           "https://huggingface.co/%s/%s" % (args.base_org, args.base_name)),
        kv("llama.context_length", U32, 512),
        kv("llama.embedding_length", U32, embd),
        kv("llama.block_count", U32, 1),
        kv("llama.feed_forward_length", U32, embd),
        kv("llama.attention.head_count", U32, 4),
        kv("llama.attention.layer_norm_rms_epsilon", F32, 1e-5),
    ]
    datas = [tensor_data(rng, t, ne) for _, t, ne in tensors]
    infos = b""
    offset = 0
    for (name, t, ne), data in zip(tensors, datas):
        infos += gguf_str(name) + struct.pack("<I", len(ne))
        infos += b"".join(struct.pack("<Q", n) for n in ne)
        infos += struct.pack("<IQ", t, offset)
        offset += len(data) + pad(len(data))
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    header += b"".join(metadata) + infos
    with open(args.out, "wb") as f:
        f.write(header + b"\0" * pad(len(header)))
        for data in datas:
            f.write(data + b"\0" * pad(len(data)))


if __name__ == "__main__":
    main()
