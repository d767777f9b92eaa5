"""Model files: a model's weights, spec, dtype, initializer, normalizer and class names.

A model file is a safe file (:mod:`dlrecipe.train.safe_files`: safetensors, no pickle,
checksummed, written atomically) of kind ``model``. It holds ``W1, b1, …, WL, bL`` (plus
``standardizer.mean`` and ``standardizer.std`` when its inputs are normalized) and the
metadata ``{"spec", "dtype", "init", "classes", "training"}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..data.normalize import Standardizer
from ..nn import initializers
from ..nn.inputs import check_dtype
from ..nn.spec import NetworkSpec
from .atomic import PathLike
from .model import MLP
from .safe_files import load_arrays, save_arrays

STANDARDIZER = ("standardizer.mean", "standardizer.std")


def save_model(model: MLP, path: PathLike, *, training: Mapping[str, Any] | None = None) -> None:
    """Write ``model``'s weights, spec, dtype, initializer, normalizer and class names.

    ``training`` is an optional JSON-serializable record of how it was trained, returned by
    :func:`read_model_metadata`. The model is checked as :func:`load_model` checks a file (a
    model with NaN weights is refused), so every file written can be read back.
    """
    arrays = dict(model.params)
    if model.standardizer is not None and model.standardizer.fitted:
        standardizer = model.standardizer.to_arrays()
        arrays[STANDARDIZER[0]], arrays[STANDARDIZER[1]] = standardizer["mean"], standardizer["std"]
    metadata = {
        "spec": model.spec.to_config(),
        "dtype": model.dtype.name,
        "init": _init_config(model.init),
        "classes": None if model.classes is None else list(model.classes),
        "training": None if training is None else dict(training),
    }
    _check_model(f"cannot save {path}", arrays, metadata)
    save_arrays(path, arrays, metadata, kind="model")


def load_model(path: PathLike) -> MLP:
    """The model saved by :func:`save_model`, with writeable copies of its weights.

    ``init`` comes back as saved (None when it was a custom function, which a file cannot
    hold); the random generator is a fresh one with seed 0.
    """
    arrays, metadata = load_arrays(path, kind="model")
    spec, dtype, init = _check_model(str(path), arrays, metadata)
    # The spec's config holds MLP's arguments; "zeros" draws nothing, as the weights are replaced.
    model = MLP(**spec.to_config(), init="zeros", dtype=dtype, seed=0)
    model.params = {name: arrays[name] for name in model.params}
    if STANDARDIZER[0] in arrays:
        mean, std = (arrays[name] for name in STANDARDIZER)
        model.standardizer = Standardizer.from_arrays({"mean": mean, "std": std})
    classes = metadata.get("classes")
    model.classes = None if classes is None else tuple(classes)
    model.init = init
    return model


def read_model_metadata(path: PathLike) -> dict[str, Any]:
    """The metadata of a model file (``spec``, ``dtype``, ``init``, ``classes``, ``training``)."""
    arrays, metadata = load_arrays(path, kind="model")
    _check_model(str(path), arrays, metadata)
    return metadata


def _init_config(init: object) -> Any:
    """A name, an initializer's config, a list of these (one per layer), or None (custom)."""
    if isinstance(init, str):
        return init
    if isinstance(init, initializers.Initializer):
        return init.to_config()
    if isinstance(init, Sequence | np.ndarray):
        configs = [_init_config(one) for one in init]
        return None if any(c is None or isinstance(c, list) for c in configs) else configs
    return None


def _init_from_config(config: Any) -> Any:
    if isinstance(config, list):
        return [_init_from_config(one) for one in config]
    if isinstance(config, str):
        initializers.get_initializer(config)  # an unknown name raises ValueError
        return config
    return initializers.from_config(config)  # a dict; anything else raises TypeError


def _check_standardizer(where: str, mean: np.ndarray, std: np.ndarray) -> None:
    """σ >= 0, and μ, σ that normalize without overflow: σ = 0 (a constant feature) or σ a
    normal float64 with μ/σ finite (as :class:`Standardizer.fit` gives)."""
    if (std < 0).any():
        raise ValueError(f"{where}: standardizer.std has negative values; it must be >= 0")
    used = std > 0
    with np.errstate(over="ignore", divide="ignore"):
        ratio = np.abs(mean[used]) / std[used]
    if (std[used] < np.finfo(np.float64).tiny).any() or not np.isfinite(ratio).all():
        j = int(np.flatnonzero(used)[np.argmax(~np.isfinite(ratio) | (std[used] < 1e-300))])
        raise ValueError(
            f"{where}: standardizer mean {mean[j]!r} and std {std[j]!r} of feature {j} cannot "
            "normalize inputs without overflow; std must be 0 or a normal number with "
            "mean/std finite. The file is damaged, or was not written by dlrecipe"
        )


def _check_model(
    where: str, arrays: Mapping[str, np.ndarray], metadata: Mapping[str, Any]
) -> tuple[NetworkSpec, np.dtype, Any]:
    """Check a model's arrays and metadata against each other; the spec, dtype and init."""
    if not isinstance(metadata.get("spec"), dict):
        raise ValueError(f"{where}: the metadata has no spec (a JSON object); the file is damaged")
    try:
        spec = NetworkSpec.from_config(metadata["spec"])
        dtype = check_dtype(metadata.get("dtype"))
        init = None if metadata.get("init") is None else _init_from_config(metadata["init"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: its spec, dtype or init is invalid: {error}") from None
    if isinstance(init, list) and len(init) != spec.n_layers:
        raise ValueError(f"{where}: init lists {len(init)} layers; the spec has {spec.n_layers}")
    sizes = spec.layer_sizes
    expected: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    for l in range(1, spec.n_layers + 1):
        expected[f"W{l}"] = ((sizes[l], sizes[l - 1]), dtype)
        expected[f"b{l}"] = ((sizes[l], 1), dtype)
    if any(name in arrays for name in STANDARDIZER):
        expected |= {name: ((sizes[0],), np.dtype(np.float64)) for name in STANDARDIZER}
    missing = [name for name in expected if name not in arrays]
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        problem = f"lacks {missing}" if missing else f"has unexpected arrays {extra}"
        raise ValueError(f"{where}: the model {problem}; layer sizes {sizes} need {list(expected)}")
    for name, (shape, wanted) in expected.items():
        array = arrays[name]
        if array.shape != shape:
            raise ValueError(
                f"{where}: {name} has shape {array.shape}; layer sizes {sizes} need {shape}"
            )
        if array.dtype != wanted:
            raise ValueError(f"{where}: {name} is {array.dtype}, but it must be {wanted.name}")
        if not np.isfinite(array).all():
            raise ValueError(f"{where}: {name} holds NaN or infinite values; retrain the model")
    if STANDARDIZER[1] in arrays:
        _check_standardizer(where, arrays[STANDARDIZER[0]], arrays[STANDARDIZER[1]])
    classes, n_out = metadata.get("classes"), sizes[-1]
    n_classes = 2 if spec.output.name == "sigmoid" and n_out == 1 else n_out
    strings = isinstance(classes, list | tuple) and all(isinstance(c, str) for c in classes)
    if classes is not None and not (strings and len(classes) == n_classes):
        output = f"{n_out} {spec.output.name} output unit(s)"
        raise ValueError(
            f"{where}: classes must be {n_classes} strings for {output}; got {classes!r}"
        )
    if metadata.get("training") is not None and not isinstance(metadata["training"], dict):
        raise ValueError(f"{where}: training must be a JSON object; got {metadata['training']!r}")
    return spec, dtype, init
