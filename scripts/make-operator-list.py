"""Writes lib/exported-operators.json, the operators a .pt2 archive may use (models.exported refuses any other
before a node runs). Run with the torch whose operators are to be listed; the committed file is the authority and
this script says how it was made:

    python3 scripts/make-operator-list.py [lib/exported-operators.json]

Listed: every ATen operator PyTorch itself tags `core` (the core ATen opset) or `pointwise`, and the families a
network's training and evaluation graphs compute with at torch.export's level (layers, activations, shape and
index ops, reductions, creation and random ops: FAMILIES), each with every overload that returns its result
(no `out` overloads, none that needs a Generator object); and the Python builtins of symbolic sizes. Never listed,
and never allowed by a user either (NEVER): operators that reach files, the process, other processes or global
state, or that re-point a tensor at other memory.
"""
import json
import re
import sys

import torch

# High-level operators torch.export keeps in training-mode graphs (not decomposed), by name; all their overloads.
FAMILIES = """
linear bilinear conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d convolution _convolution
batch_norm _native_batch_norm_legit _native_batch_norm_legit_functional _native_batch_norm_legit_no_training
native_batch_norm instance_norm layer_norm native_layer_norm group_norm native_group_norm rms_norm _fused_rms_norm
dropout feature_dropout alpha_dropout feature_alpha_dropout native_dropout bernoulli
embedding embedding_bag _embedding_bag
scaled_dot_product_attention _scaled_dot_product_flash_attention_for_cpu _scaled_dot_product_efficient_attention
_scaled_dot_product_flash_attention _scaled_dot_product_cudnn_attention _safe_softmax
max_pool1d max_pool2d max_pool3d max_pool1d_with_indices max_pool2d_with_indices max_pool3d_with_indices
avg_pool1d avg_pool2d avg_pool3d adaptive_avg_pool1d adaptive_avg_pool2d adaptive_avg_pool3d _adaptive_avg_pool2d
_adaptive_avg_pool3d adaptive_max_pool1d adaptive_max_pool2d adaptive_max_pool3d
upsample_nearest1d upsample_nearest2d upsample_nearest3d upsample_linear1d upsample_bilinear2d upsample_bicubic2d
upsample_trilinear3d _upsample_bilinear2d_aa _upsample_bicubic2d_aa _upsample_nearest_exact1d _upsample_nearest_exact2d
_upsample_nearest_exact3d grid_sampler grid_sampler_2d grid_sampler_3d affine_grid_generator
pixel_shuffle pixel_unshuffle channel_shuffle native_channel_shuffle
pad constant_pad_nd reflection_pad1d reflection_pad2d reflection_pad3d replication_pad1d replication_pad2d
replication_pad3d _pad_circular _pad_enum
relu relu_ relu6 hardtanh hardtanh_ gelu gelu_ silu silu_ mish mish_ hardswish hardswish_ hardsigmoid hardsigmoid_
elu elu_ selu selu_ celu celu_ leaky_relu leaky_relu_ prelu _prelu_kernel rrelu softplus softshrink hardshrink glu
log_sigmoid log_sigmoid_forward threshold threshold_ sigmoid sigmoid_ tanh tanh_ softmax _softmax log_softmax
_log_softmax
view reshape _unsafe_view _reshape_alias flatten unflatten squeeze squeeze_ unsqueeze unsqueeze_ permute transpose
transpose_ t expand expand_as contiguous clone select slice narrow split split_with_sizes chunk tensor_split unbind
cat concat concatenate stack hstack vstack dstack repeat repeat_interleave tile roll flip fliplr flipud rot90
movedim moveaxis swapaxes swapdims unfold view_as reshape_as index_select gather scatter scatter_add scatter_reduce
index index_put index_put_ _unsafe_index _unsafe_index_put index_add index_copy index_fill masked_fill masked_fill_
masked_scatter masked_select where diagonal diag diag_embed tril triu alias detach lift_fresh_copy _to_copy to
type_as copy copy_ _assert_tensor_metadata _assert_scalar _functional_assert_scalar sym_constrain_range
sym_constrain_range_for_size sym_size sym_numel sym_stride size numel dim
zeros zeros_like ones ones_like full full_like empty empty_like empty_strided new_zeros new_ones new_full
new_empty new_empty_strided arange linspace logspace eye scalar_tensor fill fill_ zero_ tensor
rand randn rand_like randn_like randint randint_like randperm normal uniform exponential
sum mean nanmean var std var_mean std_mean max min amax amin aminmax argmax argmin prod norm linalg_vector_norm
logsumexp cumsum cumprod cummax cummin topk sort argsort msort all any count_nonzero median nanmedian mode kthvalue
matmul mm bmm addmm addmv baddbmm addbmm einsum dot vdot mv outer tensordot cdist _cdist_forward
cosine_similarity pairwise_distance clamp clamp_ clamp_min clamp_min_ clamp_max clamp_max_ clip clip_
add add_ sub sub_ mul mul_ div div_ rsub neg pow pow_ sqrt rsqrt exp log abs sign floor ceil round trunc
erf erfinv reciprocal square lerp addcmul addcdiv fmod remainder maximum minimum logical_and logical_or
logical_not logical_xor bitwise_and bitwise_or bitwise_not eq ne lt le gt ge isnan isinf isfinite nan_to_num
one_hot bucketize searchsorted histc unique_consecutive _unique2 nonzero
__and__ __or__ __xor__ __invert__ __iand__ __ior__ floor_divide bernoulli_ detach_ dropout_ feature_dropout_
alpha_dropout_ feature_alpha_dropout_ uniform_ normal_ exponential_ random_ div_ pow_ exp_ log_ sqrt_ neg_ abs_
""".split()

# Never listed, never allowed (regular expressions on "aten.NAME.OVERLOAD"): files, the process, communication,
# global state, memory re-pointed or reached by address, and host-side scalars.
NEVER = [
    r"from_file", r"\b_?print\b", r"^aten\._print", r"record_stream", r"^aten\.set\b", r"^aten\.set_\b", r"set_data",
    r"c10d", r"profiler", r"_cufft_", r"plan_cache", r"_cudnn_init_dropout_state", r"_local_scalar_dense", r"\.item\.",
    r"^aten\.item\b", r"as_strided", r"_nested_view_from_buffer", r"_unsafe_set", r"share_memory", r"_shm",
    r"_dtensor", r"symm_mem", r"_foreach_", r"_fused_(adam|adamw|sgd|adagrad)", r"_amp_", r"_debug",
]

BUILTINS = ["_operator.add", "_operator.sub", "_operator.mul", "_operator.floordiv", "_operator.truediv", "_operator.mod",
            "_operator.neg", "_operator.eq", "_operator.ne", "_operator.lt", "_operator.le", "_operator.gt", "_operator.ge",
            "torch.sym_float", "torch.sym_int", "torch.sym_max", "torch.sym_min"]


def never(name: str) -> bool:
    return any(re.search(p, name) for p in NEVER)


def returns_result(packet, overload: str) -> bool:
    if overload == "out" or overload.endswith("_out") or "generator" in overload:
        return False
    schema = getattr(packet, overload)._schema
    return not any(a.is_out for a in schema.arguments) and not any(str(a.type) == "Generator" for a in schema.arguments)


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "lib/exported-operators.json"
    names = set()
    families = set(FAMILIES)
    every = sorted({n.split("::", 1)[1].split(".")[0] for n in torch._C._dispatch_get_all_op_names() if n.startswith("aten::")})
    for name in every:
        packet = getattr(torch.ops.aten, name, None)
        if not hasattr(packet, "overloads"):
            continue
        for overload in packet.overloads():
            op = getattr(packet, overload)
            tagged = torch.Tag.core in op.tags or torch.Tag.pointwise in op.tags
            full = f"aten.{name}.{overload}"
            if (tagged or name in families) and returns_result(packet, overload) and not never(full):
                names.add(full)
    document = {
        "about": "The operators a .pt2 archive may use; any other is refused when the archive is read. Made by "
                 "scripts/make-operator-list.py with torch " + torch.__version__.split("+")[0] + "; "
                 "models.exported({ allowOperators }) / --allow-operator add pure computations (aten or prims), "
                 "never one that 'never' matches.",
        "never": NEVER,
        "builtins": BUILTINS,
        "operators": sorted(names),
    }
    with open(out, "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(names)} operators, {len(BUILTINS)} builtins")


if __name__ == "__main__":
    main()
