"""Run folders and checkpoints: everything needed to continue a training bit for bit.

A run folder holds::

    config.json               the training configuration and the network's spec
    checkpoint.safetensors    the last checkpoint (replaced atomically every N epochs)
    history.csv               one row per epoch, up to the last checkpoint or the end
    model.safetensors         the trained model, written when training ends

A checkpoint is one file, so it is written with one atomic rename: a crash at any instant
leaves the previous checkpoint intact. It holds the parameters, the optimizer's state, the
random generator's state (mini-batch order, dropout masks, augmentation), the history, the
callbacks' state (early stopping's best weights, the divergence guard's) and a fingerprint of
the training data, which a resume must match.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .atomic import remove_stale_temporaries, write_atomic
from .files import save_model
from .safe_files import load_arrays, save_arrays

if TYPE_CHECKING:
    from ..nn.optimizers import Optimizer
    from .callbacks import Callback
    from .history import History
    from .model import MLP

BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def data_fingerprint(X: np.ndarray, y: np.ndarray) -> str:
    """SHA-256 of the shapes, dtypes and bytes of ``X`` and ``y``."""
    digest = hashlib.sha256()
    for array in (X, y):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.shape}{array.dtype.str}".encode())
        digest.update(array.data if array.dtype.kind != "O" else repr(array.tolist()).encode())
    return digest.hexdigest()


def _callback_key(position: int, callback: Callback) -> str:
    return f"{position}:{type(callback).__name__}"


@dataclass
class Checkpoint:
    """The state of a training at the end of ``epoch``."""

    epoch: int
    params: dict[str, np.ndarray]
    optimizer_state: tuple[dict[str, np.ndarray], dict[str, Any]]
    rng_state: dict[str, Any]
    history: dict[str, Any]
    callbacks: dict[str, tuple[dict[str, np.ndarray], dict[str, Any]]]
    standardizer: dict[str, np.ndarray] | None
    config: dict[str, Any]
    spec: dict[str, Any]
    dtype: str
    fingerprint: str

    @classmethod
    def capture(
        cls,
        epoch: int,
        model: MLP,
        optimizer: Optimizer,
        callbacks: Sequence[Callback],
        history: History,
        config: dict[str, Any],
        fingerprint: str,
    ) -> Checkpoint:
        arrays, scalars = optimizer.state()
        return cls(
            epoch=epoch,
            params={name: p.copy() for name, p in model.params.items()},
            optimizer_state=({k: v.copy() for k, v in arrays.items()}, dict(scalars)),
            rng_state=dict(model.rng.bit_generator.state),
            history=history.to_state(),
            callbacks={_callback_key(i, c): c.state() for i, c in enumerate(callbacks)},
            standardizer=None if model.standardizer is None else model.standardizer.to_arrays(),
            config=config,
            spec=model.spec.to_config(),
            dtype=model.dtype.name,
            fingerprint=fingerprint,
        )

    # --- one file: arrays under prefixes, everything else as JSON -----------------------------
    def save(self, path: Path) -> None:
        arrays = {f"params/{k}": v for k, v in self.params.items()}
        arrays |= {f"optimizer/{k}": v for k, v in self.optimizer_state[0].items()}
        for key, (callback_arrays, _) in self.callbacks.items():
            arrays |= {f"callbacks/{key}/{k}": v for k, v in callback_arrays.items()}
        if self.standardizer is not None:
            arrays |= {f"standardizer/{k}": v for k, v in self.standardizer.items()}
        metadata = {
            "epoch": self.epoch,
            "optimizer": self.optimizer_state[1],
            "rng": self.rng_state,
            "history": self.history,
            "callbacks": {key: values for key, (_, values) in self.callbacks.items()},
            "config": self.config,
            "spec": self.spec,
            "dtype": self.dtype,
            "fingerprint": self.fingerprint,
        }
        save_arrays(path, arrays, metadata, kind="checkpoint")

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        arrays, meta = load_arrays(path, kind="checkpoint")

        def group(prefix: str) -> dict[str, np.ndarray]:
            return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}

        try:
            callbacks = {
                key: (group(f"callbacks/{key}/"), values)
                for key, values in meta["callbacks"].items()
            }
            return cls(
                epoch=int(meta["epoch"]),
                params=group("params/"),
                optimizer_state=(group("optimizer/"), dict(meta["optimizer"])),
                rng_state=dict(meta["rng"]),
                history=dict(meta["history"]),
                callbacks=callbacks,
                standardizer=group("standardizer/") or None,
                config=dict(meta["config"]),
                spec=dict(meta["spec"]),
                dtype=str(meta["dtype"]),
                fingerprint=str(meta["fingerprint"]),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise ValueError(
                f"{path} is a damaged checkpoint: {error!r} is missing or malformed"
            ) from None

    # --- resuming ------------------------------------------------------------------------------
    def resumed_config(
        self, *, epochs: int | None, learning_rate: float | None, fingerprint: str
    ) -> dict[str, Any]:
        """The saved configuration, checked against what the resuming call passed."""
        if fingerprint != self.fingerprint:
            raise ValueError(
                "the data passed to resume differ from the data this run was trained on; "
                "resume with the same X and y (same values, shapes and dtypes)"
            )
        config = dict(self.config)
        if learning_rate is not None and learning_rate != config["learning_rate"]:
            raise ValueError(
                f"this run was trained with learning_rate={config['learning_rate']}; resume "
                f"continues it unchanged (got {learning_rate}); start a new run to change it"
            )
        if epochs is not None:
            if epochs <= self.epoch:
                raise ValueError(
                    f"the checkpoint is at epoch {self.epoch + 1}; epochs={epochs} is already done"
                )
            config["epochs"] = int(epochs)
        return config

    def restore_model(self, model: MLP) -> None:
        """Put the checkpoint's weights, normalizer and generator state into ``model``."""
        if model.spec.to_config() != self.spec or model.dtype.name != self.dtype:
            raise ValueError(
                f"the model does not match the checkpoint's network: checkpoint {self.spec} "
                f"({self.dtype}), model {model.spec.to_config()} ({model.dtype.name})"
            )
        for name, p in model.params.items():
            if name not in self.params or self.params[name].shape != p.shape:
                raise ValueError(f"the checkpoint's {name} does not fit the model")
            p[...] = self.params[name]
        from ..data.normalize import Standardizer

        model.standardizer = (
            None if self.standardizer is None else Standardizer.from_arrays(self.standardizer)
        )
        kind = self.rng_state.get("bit_generator")
        if kind not in BIT_GENERATORS:
            raise ValueError(f"unknown random generator {kind!r} in the checkpoint")
        bit_generator = getattr(np.random, kind)()
        bit_generator.state = self.rng_state
        model.rng = np.random.Generator(bit_generator)

    def restore_callbacks(self, callbacks: Sequence[Callback]) -> None:
        """Give each callback its saved state; the same callbacks must be passed again."""
        given = {_callback_key(i, c): c for i, c in enumerate(callbacks)}
        stateful = {key for key, (arrays, values) in self.callbacks.items() if arrays or values}
        missing = sorted(stateful - set(given))
        if missing:
            raise ValueError(
                f"the checkpoint holds the state of callbacks {missing}; pass the same callbacks "
                "(in the same order) to resume"
            )
        for key, callback in given.items():
            if key in self.callbacks:
                callback.load_state(*self.callbacks[key])


class RunDirectory:
    """A run folder (see the module documentation)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @property
    def checkpoint_path(self) -> Path:
        return self.path / "checkpoint.safetensors"

    @property
    def model_path(self) -> Path:
        return self.path / "model.safetensors"

    def start(self, config: Mapping[str, Any], model: MLP) -> None:
        """Create the folder for a new run and write its configuration."""
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"run folder {self.path} is a file; choose a folder")
        if self.checkpoint_path.exists():
            raise ValueError(
                f"{self.path} already holds a training run; resume it with "
                f"resume={str(self.path)!r} (dlrecipe train --resume), or choose another folder"
            )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            failure = type(error)(f"cannot create run folder {self.path}: {error.strerror}")
            failure.errno = error.errno
            raise failure from None
        document = {
            "training": dict(config),
            "model": model.spec.to_config(),
            "dtype": model.dtype.name,
        }
        write_atomic(self.path / "config.json", (json.dumps(document, indent=2) + "\n").encode())

    def latest_checkpoint(self) -> Checkpoint:
        """The checkpoint to resume from; temporary files of a killed write are cleared first."""
        if not self.checkpoint_path.exists():
            raise ValueError(
                f"{self.path} has no checkpoint.safetensors: it is not a run folder, or the run "
                "was stopped before its first checkpoint"
            )
        remove_stale_temporaries(self.path)
        return Checkpoint.load(self.checkpoint_path)

    def save_checkpoint(self, checkpoint: Checkpoint) -> None:
        checkpoint.save(self.checkpoint_path)
        self._write_history(checkpoint.history)

    def finish(self, model: MLP, history: History, config: Mapping[str, Any]) -> None:
        """Write the trained model and the full history."""
        save_model(model, self.model_path, training=dict(config))
        self._write_history(history.to_state())

    def _write_history(self, state: Mapping[str, Any]) -> None:
        from .history import History

        write_atomic(self.path / "history.csv", History.from_state(state).to_csv().encode())
